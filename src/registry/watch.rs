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
use tokio::sync::{broadcast, mpsc};

use kube::Resource;

use super::Strategy;
use super::cache::{Cached, CachedEvent, Change, Subscription};
use super::render::Renderer;
use super::store::selected;
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::Revision;

/// Lines buffered per watcher before its writer waits for the client.
const BUFFERED_EVENTS: usize = 64;
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
    let (tx, rx) = mpsc::channel::<Bytes>(BUFFERED_EVENTS);
    tokio::spawn(watch.run(tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|line| (Ok::<_, Infallible>(line), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

impl<S: Strategy> Watch<S> {
    async fn run(self, tx: mpsc::Sender<Bytes>) {
        let mut out = Out {
            tx: &tx,
            renderer: &self.renderer,
            first: true,
        };
        let Subscription {
            revision,
            initial,
            replay,
            mut live,
        } = match self.subscription {
            Ok(subscription) => subscription,
            Err(error) => return out.error(&error).await,
        };
        let mut last = revision;
        for cached in initial
            .iter()
            .filter(|c| selected(&c.object, &self.options))
        {
            if !out.object("ADDED", cached).await {
                return;
            }
        }
        if self.end_of_initial_events && !out.bookmark(last, true).await {
            return;
        }
        for event in &replay {
            last = event.revision();
            if !out.change(event, &self.options).await {
                return;
            }
        }
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut bookmarks = tokio::time::interval(BOOKMARK_INTERVAL);
        bookmarks.tick().await;
        loop {
            let sent = tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = bookmarks.tick(), if self.bookmarks => out.bookmark(last, false).await,
                event = live.recv() => match event {
                    // Skip what the subscription's start already covers.
                    Ok(event) if event.revision() <= last => true,
                    Ok(event) => {
                        last = event.revision();
                        out.change(&event, &self.options).await
                    }
                    // Too slow to keep up: closed, so that it resumes from its last revision
                    // instead of holding the others back.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if !sent {
                return;
            }
        }
    }
}

/// Writes one watcher's events.
struct Out<'a, S: Strategy> {
    tx: &'a mpsc::Sender<Bytes>,
    renderer: &'a Renderer<S>,
    first: bool,
}

impl<S: Strategy> Out<'_, S> {
    /// The event a change is for a watcher with these selectors, if any: an object entering
    /// the selection is ADDED, one leaving it DELETED. False once the client is gone.
    async fn change(&mut self, event: &CachedEvent<S::Object>, options: &ListOptions) -> bool {
        let now = selected(&event.object.object, options);
        let before = event
            .prev
            .as_ref()
            .is_some_and(|prev| selected(&prev.object, options));
        match (event.change, before, now) {
            (Change::Deleted, _, true) => self.object("DELETED", &event.object).await,
            (_, false, true) => self.object("ADDED", &event.object).await,
            (_, true, true) => self.object("MODIFIED", &event.object).await,
            // Leaving the selection: the object as the watcher last saw it, at this revision
            // (as kube-apiserver's watch cache sends it).
            (Change::Added | Change::Modified, true, false) => match &event.prev {
                Some(prev) => {
                    let mut last_seen = prev.object.clone();
                    last_seen.meta_mut().resource_version = Some(event.revision().to_string());
                    self.owned("DELETED", &last_seen).await
                }
                None => true,
            },
            _ => true,
        }
    }

    async fn object(&mut self, kind: &str, cached: &Arc<Cached<S::Object>>) -> bool {
        if self.renderer.is_plain_json() {
            // The object's JSON was serialized once for every watcher.
            return self.send_raw(kind, &cached.json()).await;
        }
        self.owned(kind, &cached.object).await
    }

    /// Sends an object of this watcher's own.
    async fn owned(&mut self, kind: &str, object: &S::Object) -> bool {
        match self.renderer.event_object(object, self.first) {
            Ok(value) => {
                self.first = false;
                self.send(kind, &value).await
            }
            Err(error) => {
                self.error(&error).await;
                false
            }
        }
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
        self.tx.send(line.freeze()).await.is_ok()
    }
}
