//! Request bodies that a handler drops unread (an early 401, 413 or 429) are not dropped at
//! once. Over HTTP/2 one is kept until its response has been sent: h2 then resets the stream
//! with NO_ERROR after the complete answer, as RFC 9113 §8.1 asks and Go's server does. Dropped
//! earlier, h2 resets with CANCEL and discards the queued answer; drained instead, a client
//! that stops uploading on seeing the answer (curl ends its stream short of the declared
//! content-length) gets a PROTOCOL_ERROR reset from h2. Over HTTP/1.1 one is drained, within
//! bounds, so that the connection stays usable.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

/// How much of an unread HTTP/1.1 body is read and discarded, and for how long, before the
/// connection is closed after all.
const DRAIN_BYTES: usize = 16 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(10);

type Slot<B> = Arc<Mutex<Option<B>>>;

/// A request body that outlives its handler when dropped before its end (see the module).
pub struct RequestBody<B: Body<Data = Bytes> + Send + Unpin + 'static> {
    body: Option<B>,
    /// Over HTTP/2, where the unread body waits for the response to be sent.
    kept: Option<Slot<B>>,
}

/// Where a request's body left unread waits for the response: see [`keep_unread`].
pub struct Unread<B>(Option<Slot<B>>);

impl<B: Send + 'static> Unread<B> {
    /// The response's `body`, which releases the request's unread body when dropped itself:
    /// after its last frame has been sent, or when the client has gone.
    pub fn release_after(self, body: axum::body::Body) -> axum::body::Body {
        match self.0 {
            Some(unread) => on_drop(body, move || release_later(unread)),
            None => body,
        }
    }
}

/// Drops `unread` from a task of its own, so that the connection writes out the response's
/// last frames before h2 queues the reset: a client that reads the reset in the same read as
/// the response may drop the response (curl does).
fn release_later<B: Send + 'static>(unread: Slot<B>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move { drop(unread) });
    }
}

/// `request` with its body wrapped so that, left unread, it is kept until the response's
/// body (passed through [`Unread::release_after`]) is dropped, or drained over HTTP/1.1.
pub fn keep_unread<B>(request: Request<B>) -> (Request<RequestBody<B>>, Unread<B>)
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
{
    let kept = (request.version() == Version::HTTP_2 && !request.body().is_end_stream())
        .then(Slot::<B>::default);
    let unread = Unread(kept.clone());
    let request = request.map(|body| RequestBody {
        body: Some(body),
        kept,
    });
    (request, unread)
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Drop for RequestBody<B> {
    fn drop(&mut self) {
        let Some(mut body) = self.body.take().filter(|b| !b.is_end_stream()) else {
            return;
        };
        if let Some(kept) = &self.kept {
            *kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
            return;
        }
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

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Body for RequestBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.get_mut().body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body.as_ref().map(Body::size_hint).unwrap_or_default()
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
