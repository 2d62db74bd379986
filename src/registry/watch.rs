//! Watch responses: newline-delimited `{"type","object"}` events, flushed one by one, with
//! bookmarks, served from a watch-cache subscription.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use http::header;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use kube::Resource;

use super::Strategy;
use super::cache::{Cached, CachedEvent, Change, Subscription};
use super::render::Renderer;
use super::store::selected;
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::Revision;

/// Bytes of events a watcher may have waiting for its client before its writer waits (a
/// larger event waits for the buffer to be empty).
const BUFFERED_BYTES: usize = 1 << 20;
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
pub fn respond<S: Strategy>(watch: Watch<S>) -> Response {
    let (tx, rx) = mpsc::unbounded_channel();
    let buffer = Buffer {
        tx,
        room: Arc::new(Semaphore::new(BUFFERED_BYTES)),
    };
    tokio::spawn(async move {
        let timeout = watch.timeout;
        // The timeout ends the watch wherever it is, waiting for a slow client included.
        let _ = tokio::time::timeout(timeout, watch.run(&buffer)).await;
    });
    // A line leaves the buffer (and frees its room) as the connection takes it.
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let (line, _room): (Bytes, OwnedSemaphorePermit) = rx.recv().await?;
        Some((Ok::<_, Infallible>(line), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

impl<S: Strategy> Watch<S> {
    async fn run(self, buffer: &Buffer) {
        let mut out = Out {
            buffer,
            renderer: &self.renderer,
            first: true,
        };
        let Subscription {
            revision,
            initial,
            mut changes,
        } = match self.subscription {
            Ok(subscription) => subscription,
            Err(error) => return out.error(&error).await,
        };
        let mut last = revision;
        for cached in initial.iter().filter(|c| selected(c, &self.options)) {
            if !out.object("ADDED", cached).await {
                return;
            }
        }
        if self.end_of_initial_events && !out.bookmark(last, true).await {
            return;
        }
        let mut bookmarks = tokio::time::interval(BOOKMARK_INTERVAL);
        bookmarks.tick().await;
        loop {
            let sent = tokio::select! {
                _ = buffer.tx.closed() => return,
                _ = bookmarks.tick(), if self.bookmarks => out.bookmark(last, false).await,
                batch = changes.next() => {
                    // None: too slow to keep up with the history, or the cache relisted;
                    // closed so that the client resumes from its last revision.
                    let Some(batch) = batch else { return };
                    let mut sent = true;
                    for event in &batch {
                        last = event.revision();
                        sent = sent && out.change(event, &self.options).await;
                    }
                    sent
                }
            };
            if !sent {
                return;
            }
        }
    }
}

/// A watcher's lines on their way to the client, bounded in bytes.
struct Buffer {
    tx: mpsc::UnboundedSender<(Bytes, OwnedSemaphorePermit)>,
    room: Arc<Semaphore>,
}

impl Buffer {
    /// Waits for room, then queues the line; false once the client is gone.
    async fn send(&self, line: Bytes) -> bool {
        let needed = line.len().clamp(1, BUFFERED_BYTES) as u32;
        // Room is freed as the client reads, or all at once when it leaves.
        let Ok(room) = self.room.clone().acquire_many_owned(needed).await else {
            return false;
        };
        self.tx.send((line, room)).is_ok()
    }
}

/// Writes one watcher's events.
struct Out<'a, S: Strategy> {
    buffer: &'a Buffer,
    renderer: &'a Renderer<S>,
    first: bool,
}

impl<S: Strategy> Out<'_, S> {
    /// The event a change is for a watcher with these selectors, if any: an object entering
    /// the selection is ADDED, one leaving it DELETED. False once the client is gone.
    async fn change(&mut self, event: &CachedEvent<S::Object>, options: &ListOptions) -> bool {
        let now = selected(&event.object, options);
        let before = event
            .prev
            .as_ref()
            .is_some_and(|prev| selected(prev, options));
        match (event.change, before, now) {
            (Change::Deleted, _, true) => self.object("DELETED", &event.object).await,
            (_, false, true) => self.object("ADDED", &event.object).await,
            (_, true, true) => self.object("MODIFIED", &event.object).await,
            // Leaving the selection: the object as the watcher last saw it, at this revision
            // (as kube-apiserver's watch cache sends it).
            (Change::Added | Change::Modified, true, false) => match &event.prev {
                Some(prev) => match prev.decode() {
                    Ok(mut last_seen) => {
                        let revision = event.revision().to_string();
                        last_seen.meta_mut().resource_version = Some(revision);
                        self.owned("DELETED", &last_seen).await
                    }
                    Err(error) => self.failed(&error).await,
                },
                None => true,
            },
            _ => true,
        }
    }

    async fn object(&mut self, kind: &str, cached: &Arc<Cached<S::Object>>) -> bool {
        if self.renderer.is_plain_json() {
            // The object's JSON was serialized once for every watcher.
            return self.send_raw(kind, cached.json()).await;
        }
        match cached.decode() {
            Ok(object) => self.owned(kind, &object).await,
            Err(error) => self.failed(&error).await,
        }
    }

    /// Sends an object of this watcher's own.
    async fn owned(&mut self, kind: &str, object: &S::Object) -> bool {
        match self.renderer.event_object(object, self.first) {
            Ok(value) => {
                self.first = false;
                self.send(kind, &value).await
            }
            Err(error) => self.failed(&error).await,
        }
    }

    /// Ends the watch with an ERROR event; false, as the watch is over.
    async fn failed(&mut self, error: &ApiError) -> bool {
        self.error(error).await;
        false
    }

    /// A BOOKMARK: an object of the kind carrying only the revision reached.
    async fn bookmark(&mut self, revision: Revision, end_of_initial_events: bool) -> bool {
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
        self.send("BOOKMARK", &object).await
    }

    async fn error(&mut self, error: &ApiError) {
        self.send("ERROR", &error.to_status()).await;
    }

    async fn send(&self, kind: &str, object: &Value) -> bool {
        let object = serde_json::to_vec(object).unwrap_or_default();
        self.send_raw(kind, &object).await
    }

    async fn send_raw(&self, kind: &str, object: &[u8]) -> bool {
        let mut line = BytesMut::with_capacity(object.len() + kind.len() + 24);
        line.put_slice(b"{\"type\":\"");
        line.put_slice(kind.as_bytes());
        line.put_slice(b"\",\"object\":");
        line.put_slice(object);
        line.put_slice(b"}\n");
        self.buffer.send(line.freeze()).await
    }
}
