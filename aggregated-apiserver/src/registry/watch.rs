//! Watch responses: newline-delimited `{"type","object"}` events with bookmarks, served
//! from a watch-cache subscription and pulled by the connection as it has room for them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use http::header;
use serde_json::{Value, json};
use tokio::time::{Instant, Interval};

use kube::Resource;

use super::Strategy;
use super::cache::{Cached, CachedEvent, Change, Changes, Subscription};
use super::render::Renderer;
use super::store::selected;
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::Revision;

/// Events gathered into one chunk of the response (one write for the connection) while
/// more are ready.
const CHUNK_BYTES: usize = 64 << 10;
/// How often a watcher that asked for bookmarks gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

pub struct Watch<S: Strategy> {
    pub renderer: Renderer<S>,
    pub options: ListOptions,
    /// Where the watch starts, or why it cannot (sent as one ERROR event).
    pub subscription: Result<Subscription<S::Object>, ApiError>,
    pub timeout: Duration,
    pub bookmarks: bool,
    /// Whether the initial objects end with the `k8s.io/initial-events-end` bookmark.
    pub end_of_initial_events: bool,
}

/// Answers 200 at once and streams events until the timeout or the client leaving.
///
/// The connection asks for the next chunk only once it has sent the last one, so a slow
/// client holds no copies of events: only its place in the cache's history, which it
/// loses (and the watch ends, for the client to resume) if it falls too far behind.
pub fn respond<S: Strategy>(watch: Watch<S>) -> Response {
    let deadline = Instant::now() + watch.timeout;
    let stream = futures::stream::unfold(Events::new(watch), move |mut events| async move {
        let chunk = tokio::time::timeout_at(deadline, events.next_chunk())
            .await
            .ok()??;
        Some((Ok::<_, Infallible>(chunk), events))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// One watcher's progress through its events.
struct Events<S: Strategy> {
    lines: Lines<S>,
    /// Initial objects not sent yet.
    initial: std::vec::IntoIter<Arc<Cached<S::Object>>>,
    /// Whether the `k8s.io/initial-events-end` bookmark is still to follow them.
    end_of_initial_events: bool,
    /// The changes; `None` once the watch has ended.
    changes: Option<Changes<S::Object>>,
    /// Why the watch could not start, to be sent as its only event.
    refused: Option<ApiError>,
    bookmarks: Option<Interval>,
    /// The revision of the last change taken.
    last: Revision,
}

impl<S: Strategy> Events<S> {
    fn new(watch: Watch<S>) -> Self {
        let bookmarks = watch.bookmarks.then(|| {
            tokio::time::interval_at(Instant::now() + BOOKMARK_INTERVAL, BOOKMARK_INTERVAL)
        });
        let (initial, changes, last, refused) = match watch.subscription {
            Ok(Subscription {
                revision,
                initial,
                changes,
            }) => (initial, Some(changes), revision, None),
            Err(error) => (Vec::new(), None, 0, Some(error)),
        };
        Events {
            lines: Lines {
                renderer: watch.renderer,
                options: watch.options,
                first: true,
            },
            initial: initial.into_iter(),
            end_of_initial_events: watch.end_of_initial_events,
            changes,
            refused,
            bookmarks,
            last,
        }
    }

    /// The next chunk of lines, waiting for one; `None` once the watch is over.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut chunk = BytesMut::new();
        if let Some(error) = self.refused.take() {
            self.lines.error(&mut chunk, &error);
            return Some(chunk.freeze());
        }
        if let Err(error) = self.fill(&mut chunk).await {
            // An event that cannot be written ends the watch with an ERROR event.
            self.lines.error(&mut chunk, &error);
            self.changes = None;
        }
        (!chunk.is_empty()).then(|| chunk.freeze())
    }

    /// Writes what is ready into `chunk`, waiting only while it has nothing; leaves it
    /// empty when the watch ends.
    async fn fill(&mut self, chunk: &mut BytesMut) -> Result<(), ApiError> {
        for cached in self.initial.by_ref() {
            if selected(&cached, &self.lines.options) {
                self.lines.object(chunk, "ADDED", &cached)?;
                if chunk.len() >= CHUNK_BYTES {
                    return Ok(());
                }
            }
        }
        if std::mem::take(&mut self.end_of_initial_events) {
            self.lines.bookmark(chunk, self.last, true);
        }
        while chunk.is_empty() {
            let Some(changes) = self.changes.as_mut() else {
                return Ok(());
            };
            let batch = tokio::select! {
                () = tick(&mut self.bookmarks) => {
                    self.lines.bookmark(chunk, self.last, false);
                    continue;
                }
                batch = changes.next() => batch,
            };
            // None: too slow to keep up with the history, or the cache relisted; closed so
            // that the client resumes from its last revision.
            let Some(batch) = batch else {
                self.changes = None;
                return Ok(());
            };
            for event in &batch {
                self.last = event.revision();
                self.lines.change(chunk, event)?;
            }
        }
        Ok(())
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

/// Writes one watcher's events as lines.
struct Lines<S: Strategy> {
    renderer: Renderer<S>,
    options: ListOptions,
    first: bool,
}

impl<S: Strategy> Lines<S> {
    /// The event a change is for a watcher with these selectors, if any: an object entering
    /// the selection is ADDED, one leaving it DELETED.
    fn change(
        &mut self,
        out: &mut BytesMut,
        event: &CachedEvent<S::Object>,
    ) -> Result<(), ApiError> {
        let now = selected(&event.object, &self.options);
        let before = event
            .prev
            .as_ref()
            .is_some_and(|prev| selected(prev, &self.options));
        match (event.change, before, now) {
            (Change::Deleted, _, true) => self.object(out, "DELETED", &event.object),
            (_, false, true) => self.object(out, "ADDED", &event.object),
            (_, true, true) => self.object(out, "MODIFIED", &event.object),
            // Leaving the selection: the object as the watcher last saw it, at this revision
            // (as kube-apiserver's watch cache sends it).
            (Change::Added | Change::Modified, true, false) => match &event.prev {
                Some(prev) => {
                    let mut last_seen = prev.decode()?;
                    last_seen.meta_mut().resource_version = Some(event.revision().to_string());
                    self.owned(out, "DELETED", &last_seen)
                }
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn object(
        &mut self,
        out: &mut BytesMut,
        kind: &str,
        cached: &Cached<S::Object>,
    ) -> Result<(), ApiError> {
        if self.renderer.is_plain_json() {
            // The object's JSON was serialized once for every watcher.
            line(out, kind, cached.json());
            return Ok(());
        }
        self.owned(out, kind, &cached.decode()?)
    }

    /// Writes an object of this watcher's own.
    fn owned(
        &mut self,
        out: &mut BytesMut,
        kind: &str,
        object: &S::Object,
    ) -> Result<(), ApiError> {
        let value = self.renderer.event_object(object, self.first)?;
        self.first = false;
        write(out, kind, &value);
        Ok(())
    }

    /// A BOOKMARK: an object of the kind carrying only the revision reached.
    fn bookmark(&self, out: &mut BytesMut, revision: Revision, end_of_initial_events: bool) {
        let info = self.renderer.info();
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if end_of_initial_events {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({
            "kind": info.kind,
            "apiVersion": info.group_version(),
            "metadata": metadata,
        });
        write(out, "BOOKMARK", &object);
    }

    fn error(&self, out: &mut BytesMut, error: &ApiError) {
        write(out, "ERROR", &error.to_status());
    }
}

fn write(out: &mut BytesMut, kind: &str, object: &Value) {
    line(out, kind, &serde_json::to_vec(object).unwrap_or_default());
}

fn line(out: &mut BytesMut, kind: &str, object: &[u8]) {
    out.reserve(object.len() + kind.len() + 24);
    out.put_slice(b"{\"type\":\"");
    out.put_slice(kind.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(object);
    out.put_slice(b"}\n");
}
