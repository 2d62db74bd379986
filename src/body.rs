//! Request bodies that a handler drops unread (an early 401, 413 or 429) are drained, within
//! bounds, instead of dropped: over HTTP/2, dropping one resets the stream, and h2 discards a
//! reset stream's queued frames, the answer among them, so the client would see a stream error
//! instead of the Status. Go's server sends the answer first; draining lets ours through too.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

/// How much of an unread body is read and discarded, and for how long, before the stream is
/// reset after all.
const DRAIN_BYTES: usize = 16 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A request body drained in the background when dropped before its end.
pub struct DrainOnDrop<B: Body<Data = Bytes> + Send + Unpin + 'static>(Option<B>);

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> DrainOnDrop<B> {
    pub fn new(body: B) -> Self {
        DrainOnDrop(Some(body))
    }
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Drop for DrainOnDrop<B> {
    fn drop(&mut self) {
        let Some(mut body) = self.0.take().filter(|b| !b.is_end_stream()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let mut drained = 0;
            let drain = async {
                while let Some(Ok(frame)) = body.frame().await {
                    drained += frame.data_ref().map_or(0, Bytes::len);
                    if drained > DRAIN_BYTES {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
        });
    }
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Body for DrainOnDrop<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.get_mut().0.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.0.as_ref().map(Body::size_hint).unwrap_or_default()
    }
}

/// `body`, with `done` called once the body is dropped: when a streamed response (a watch)
/// has ended or its client has gone.
pub fn on_drop(body: axum::body::Body, done: impl FnOnce() + Send + 'static) -> axum::body::Body {
    axum::body::Body::new(OnDrop {
        body,
        done: Some(Box::new(done)),
    })
}

struct OnDrop {
    body: axum::body::Body,
    done: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done();
        }
    }
}

impl Body for OnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
