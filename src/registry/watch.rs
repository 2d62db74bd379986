//! Watch responses: newline-delimited `{"type","object"}` events, flushed one by one.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use http::header;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Strategy;
use super::render::Renderer;
use super::store::{object_at, selected};
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::{Event, EventKind, EventStream, StorageError};

/// Events buffered per watcher before its writer waits for the client.
const BUFFERED_EVENTS: usize = 64;

pub struct Watch<S: Strategy> {
    pub renderer: Renderer<S>,
    pub options: ListOptions,
    /// Objects sent as ADDED before the changes.
    pub initial: Vec<S::Object>,
    /// The changes, or why they cannot be followed (sent as one ERROR event).
    pub events: Result<EventStream, ApiError>,
    pub timeout: Duration,
}

/// Answers 200 at once and streams events until the timeout, the end of the changes, or
/// the client leaving.
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
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut sender = Sender {
            tx: &tx,
            renderer: &self.renderer,
            first: true,
        };
        for object in &self.initial {
            if !sender.object("ADDED", object).await {
                return;
            }
        }
        let mut events = match self.events {
            Ok(events) => events,
            Err(error) => return sender.error(&error).await,
        };
        loop {
            let event = tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                event = events.next() => event,
            };
            let sent = match event {
                Some(Ok(event)) => match translate::<S>(&event, &self.options) {
                    Ok(Some((kind, object))) => sender.object(kind, &object).await,
                    Ok(None) => true,
                    Err(error) => return sender.error(&error).await,
                },
                Some(Err(StorageError::Compacted {
                    requested,
                    compacted,
                })) => {
                    let message = format!("too old resource version: {requested} ({compacted})");
                    return sender.error(&ApiError::expired(message)).await;
                }
                Some(Err(_)) | None => return,
            };
            if !sent {
                return;
            }
        }
    }
}

/// The event a watcher with these selectors sees for a storage change, if any: an object
/// entering the selection is ADDED, one leaving it is DELETED.
fn translate<S: Strategy>(
    event: &Event,
    options: &ListOptions,
) -> Result<Option<(&'static str, S::Object)>, ApiError> {
    let object: S::Object = object_at(&event.kv)?;
    let now = selected(&object, options);
    let before = match &event.prev {
        Some(prev) => selected(&object_at::<S::Object>(prev)?, options),
        None => false,
    };
    let kind = match (&event.kind, before, now) {
        (EventKind::Delete, _, true) => "DELETED",
        (EventKind::Delete, _, false) => return Ok(None),
        (EventKind::Put, false, true) => "ADDED",
        (EventKind::Put, true, true) => "MODIFIED",
        (EventKind::Put, true, false) => "DELETED",
        (EventKind::Put, false, false) => return Ok(None),
    };
    Ok(Some((kind, object)))
}

struct Sender<'a, S: Strategy> {
    tx: &'a mpsc::Sender<Bytes>,
    renderer: &'a Renderer<S>,
    first: bool,
}

impl<S: Strategy> Sender<'_, S> {
    /// Sends one event; false once the client is gone.
    async fn object(&mut self, kind: &str, object: &S::Object) -> bool {
        match self.renderer.event_object(object, self.first) {
            Ok(value) => {
                self.first = false;
                self.send(kind, value).await
            }
            Err(error) => {
                self.error(&error).await;
                false
            }
        }
    }

    async fn error(&mut self, error: &ApiError) {
        self.send("ERROR", error.to_status()).await;
    }

    async fn send(&self, kind: &str, object: Value) -> bool {
        let mut line =
            serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
        line.push(b'\n');
        self.tx.send(Bytes::from(line)).await.is_ok()
    }
}
