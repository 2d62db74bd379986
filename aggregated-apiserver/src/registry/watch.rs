//! A watch as the registry decides it: which events one watcher gets, from its selectors and
//! its place in the watch cache's history, and when its bookmarks fall due. The handlers
//! write the events out.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use tokio::time::{Instant, Interval};

use super::cache::{Cached, CachedEvent, Change, Changes, Subscription};
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::Revision;

/// How often a watcher that asked for bookmarks gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

/// The type of a watch event that carries an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// `ADDED`: new, or newly in the watcher's selection.
    Added,
    /// `MODIFIED`: changed, and still in the selection.
    Modified,
    /// `DELETED`: gone, or out of the selection.
    Deleted,
}

impl EventType {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One event of a watch.
pub enum WatchEvent<T> {
    /// An object as the cache holds it (its JSON serialized once for every watcher).
    Cached(EventType, Arc<Cached<T>>),
    /// An object leaving the selection: `DELETED`, as the watcher last saw it, at the
    /// revision of the change that took it out (as kube-apiserver's watch cache sends it).
    LastSeen(T),
    /// A `BOOKMARK`: the revision the watch has reached; `initial_events_end` when it ends
    /// the initial objects (`k8s.io/initial-events-end`).
    Bookmark {
        /// The revision reached.
        revision: Revision,
        /// Whether it marks the end of the initial objects.
        initial_events_end: bool,
    },
    /// An `ERROR`, the watch's last event.
    Error(ApiError),
}

/// One watcher's events: the initial objects it asked for, then every change that concerns
/// its selection, until its client leaves, [`Watch::timeout`] passes or it falls too far
/// behind the cache's history.
pub struct Watch<T> {
    /// How long the watch may last.
    pub timeout: Duration,
    options: ListOptions,
    /// Initial objects not taken yet.
    initial: std::vec::IntoIter<Arc<Cached<T>>>,
    /// Whether the `k8s.io/initial-events-end` bookmark is still to follow them.
    end_of_initial_events: bool,
    /// The changes; `None` once the watch has ended.
    changes: Option<Changes<T>>,
    /// Changes taken from the cache and not looked at yet.
    pending: VecDeque<Arc<CachedEvent<T>>>,
    /// Why the watch could not start, to be its only event.
    refused: Option<ApiError>,
    bookmarks: Option<Interval>,
    /// The revision of the last change taken.
    last: Revision,
}

impl<T: Resource + serde::Serialize + serde::de::DeserializeOwned> Watch<T> {
    /// A watch from `subscription` (or the reason it could not start), for a watcher with
    /// `options`; with a bookmark every minute when it asked for them, and one after the
    /// initial objects when `end_of_initial_events`.
    pub(crate) fn new(
        options: ListOptions,
        subscription: Result<Subscription<T>, ApiError>,
        timeout: Duration,
        bookmarks: bool,
        end_of_initial_events: bool,
    ) -> Self {
        let bookmarks = bookmarks.then(|| {
            tokio::time::interval_at(Instant::now() + BOOKMARK_INTERVAL, BOOKMARK_INTERVAL)
        });
        let (initial, changes, last, refused) = match subscription {
            Ok(Subscription {
                revision,
                initial,
                changes,
            }) => (initial, Some(changes), revision, None),
            Err(error) => (Vec::new(), None, 0, Some(error)),
        };
        Watch {
            timeout,
            options,
            initial: initial.into_iter(),
            end_of_initial_events,
            changes,
            pending: VecDeque::new(),
            refused,
            bookmarks,
            last,
        }
    }

    /// The next event, waiting for one; `None` once the watch is over (its history lost,
    /// or the cache relisted: the client resumes from the last revision it saw).
    ///
    /// Cancel-safe: dropped while it waits, it loses nothing.
    pub async fn next(&mut self) -> Option<WatchEvent<T>> {
        if let Some(error) = self.refused.take() {
            return Some(WatchEvent::Error(error));
        }
        if let Some(cached) = self
            .initial
            .find(|cached| cached.is_selected(&self.options))
        {
            return Some(WatchEvent::Cached(EventType::Added, cached));
        }
        if std::mem::take(&mut self.end_of_initial_events) {
            return Some(self.bookmark(true));
        }
        loop {
            while let Some(event) = self.pending.pop_front() {
                self.last = event.revision();
                match self.event(&event) {
                    Ok(None) => continue,
                    Ok(Some(event)) => return Some(event),
                    Err(error) => {
                        self.stop();
                        return Some(WatchEvent::Error(error));
                    }
                }
            }
            let changes = self.changes.as_mut()?;
            tokio::select! {
                () = tick(&mut self.bookmarks) => return Some(self.bookmark(false)),
                batch = changes.next() => match batch {
                    Some(batch) => self.pending.extend(batch),
                    None => {
                        self.stop();
                        return None;
                    }
                },
            }
        }
    }

    /// Ends the watch: [`Watch::next`] has nothing more.
    pub fn stop(&mut self) {
        self.changes = None;
        self.pending.clear();
        self.initial = Vec::new().into_iter();
        self.end_of_initial_events = false;
    }

    /// The event a change is for this watcher's selection, if any: an object entering the
    /// selection is ADDED, one leaving it DELETED.
    fn event(&self, event: &CachedEvent<T>) -> Result<Option<WatchEvent<T>>, ApiError> {
        let now = event.object.is_selected(&self.options);
        let before = event
            .prev
            .as_ref()
            .is_some_and(|prev| prev.is_selected(&self.options));
        let object = |kind| Ok(Some(WatchEvent::Cached(kind, event.object.clone())));
        match (event.change, before, now) {
            (Change::Deleted, _, true) => object(EventType::Deleted),
            (_, false, true) => object(EventType::Added),
            (_, true, true) => object(EventType::Modified),
            (Change::Added | Change::Modified, true, false) => match &event.prev {
                Some(prev) => {
                    let mut last_seen = prev.decode()?;
                    last_seen.meta_mut().resource_version = Some(event.revision().to_string());
                    Ok(Some(WatchEvent::LastSeen(last_seen)))
                }
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    fn bookmark(&self, initial_events_end: bool) -> WatchEvent<T> {
        WatchEvent::Bookmark {
            revision: self.last,
            initial_events_end,
        }
    }
}

/// The next bookmark time, or never without bookmarks.
async fn tick(bookmarks: &mut Option<Interval>) {
    match bookmarks {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}
