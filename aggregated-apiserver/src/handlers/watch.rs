//! Watch responses: a watch's events as newline-delimited `{"type","object"}` lines, in the
//! negotiated form, pulled by the connection as it has room for them.

use std::convert::Infallible;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use futures::FutureExt;
use http::header;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::render::Renderer;
use crate::registry::{Strategy, Watch, WatchEvent};
use crate::status::ApiError;

/// Events gathered into one chunk of the response (one write for the connection) while
/// more are ready.
const CHUNK_BYTES: usize = 64 << 10;

/// Answers 200 at once and streams events until the watch's timeout or the client leaving.
///
/// The connection asks for the next chunk only once it has sent the last one, so a slow
/// client holds no copies of events: only its place in the cache's history, which it
/// loses (and the watch ends, for the client to resume) if it falls too far behind.
pub fn respond<S: Strategy>(watch: Watch<S::Object>, renderer: Renderer<S>) -> Response {
    let deadline = Instant::now() + watch.timeout;
    let lines = Lines {
        watch,
        renderer,
        first: true,
    };
    let stream = futures::stream::unfold(lines, move |mut lines| async move {
        let chunk = tokio::time::timeout_at(deadline, lines.next_chunk())
            .await
            .ok()??;
        Some((Ok::<_, Infallible>(chunk), lines))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Writes one watcher's events as lines.
struct Lines<S: Strategy> {
    watch: Watch<S::Object>,
    renderer: Renderer<S>,
    /// Whether no object has been written yet (a Table's columns go with the first).
    first: bool,
}

impl<S: Strategy> Lines<S> {
    /// The lines of the events ready, waiting for one; `None` once the watch is over.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut chunk = BytesMut::new();
        let mut next = self.watch.next().await;
        while let Some(event) = next {
            if let Err(error) = self.write(&mut chunk, event) {
                // An event that cannot be written ends the watch with an ERROR event.
                write(&mut chunk, "ERROR", &error.to_status());
                self.watch.stop();
                break;
            }
            if chunk.len() >= CHUNK_BYTES {
                break;
            }
            // More while more are ready.
            next = self.watch.next().now_or_never().flatten();
        }
        (!chunk.is_empty()).then(|| chunk.freeze())
    }

    fn write(&mut self, out: &mut BytesMut, event: WatchEvent<S::Object>) -> Result<(), ApiError> {
        match event {
            WatchEvent::Cached(kind, cached) if self.renderer.is_plain_json() => {
                // The object's JSON was serialized once for every watcher.
                line(out, kind.as_str(), cached.json());
            }
            WatchEvent::Cached(kind, cached) => {
                self.object(out, kind.as_str(), &cached.decode()?)?;
            }
            WatchEvent::LastSeen(object) => self.object(out, "DELETED", &object)?,
            WatchEvent::Bookmark {
                revision,
                initial_events_end,
            } => {
                // An object of the kind carrying only the revision reached.
                let info = self.renderer.info();
                let mut metadata = json!({"resourceVersion": revision.to_string()});
                if initial_events_end {
                    metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
                }
                let object = json!({
                    "kind": info.kind,
                    "apiVersion": info.group_version(),
                    "metadata": metadata,
                });
                write(out, "BOOKMARK", &object);
            }
            WatchEvent::Error(error) => write(out, "ERROR", &error.to_status()),
        }
        Ok(())
    }

    /// Writes an object in the negotiated form.
    fn object(
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
