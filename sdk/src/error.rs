//! The error of every [`FooApi`](crate::FooApi) call.

use std::fmt;
use std::ops::Deref;

use kube::core::response::{Status, StatusCause};

/// The result of every client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when talking to the server.
///
/// A refusal by the server is [`Error::Api`], which keeps the `Status` it sent (message,
/// reason, code, causes). Match on [`Error::reason`] rather than on messages:
///
/// ```no_run
/// use foo_sdk::{FooApi, Reason};
///
/// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
/// match foos.get("missing").await {
///     Ok(foo) => println!("{}", foo.spec.greeting),
///     Err(e) if e.reason() == Some(Reason::NotFound) => println!("no such Foo"),
///     Err(e) => {
///         for cause in e.causes() {
///             eprintln!("{}: {}", cause.field, cause.message);
///         }
///         return Err(e);
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the request and said why with a `Status` (404, 409, 422, …).
    #[error("{0}")]
    Api(ApiError),
    /// The request never got an answer: configuration, connection, TLS, authentication
    /// plugins, or a broken stream.
    #[error("request failed: {0}")]
    Client(#[source] kube::Error),
    /// The server answered with a body that is not what the call expects.
    #[error("cannot decode the server's answer: {0}")]
    Decode(#[source] serde_json::Error),
    /// The call was refused before anything was sent (e.g. `apply` of a Foo with no name).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The server answered with something other than what was asked for, e.g. a list when
    /// a Table was asked for.
    #[error("unexpected answer from the server: {0}")]
    UnexpectedResponse(String),
}

impl Error {
    /// The server's refusal, when the server refused.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The `Status` the server answered with, when it refused.
    pub fn status(&self) -> Option<&Status> {
        self.api_error().map(ApiError::status)
    }

    /// Why the server refused (`None` when the request got no answer).
    pub fn reason(&self) -> Option<Reason> {
        self.api_error().map(ApiError::reason)
    }

    /// The HTTP code of the refusal (`None` when the request got no answer).
    pub fn code(&self) -> Option<u16> {
        self.api_error().map(ApiError::code)
    }

    /// The `details.causes` of the refusal: one per bad field for [`Reason::Invalid`].
    /// Empty when there are none.
    pub fn causes(&self) -> &[StatusCause] {
        self.api_error().map_or(&[], ApiError::causes)
    }

    /// `404 NotFound`.
    pub fn is_not_found(&self) -> bool {
        self.reason() == Some(Reason::NotFound)
    }

    /// `409 AlreadyExists`.
    pub fn is_already_exists(&self) -> bool {
        self.reason() == Some(Reason::AlreadyExists)
    }

    /// `409 Conflict`: a stale resourceVersion, a server-side apply conflict, or a `bar` on a
    /// suspended Foo.
    pub fn is_conflict(&self) -> bool {
        self.reason() == Some(Reason::Conflict)
    }

    /// `422 Invalid`: see [`causes`](Self::causes) for the fields.
    pub fn is_invalid(&self) -> bool {
        self.reason() == Some(Reason::Invalid)
    }

    /// `410 Gone` or `Expired`: a resourceVersion or continue token too old to serve.
    pub fn is_expired(&self) -> bool {
        matches!(self.reason(), Some(Reason::Expired | Reason::Gone))
    }
}

impl From<kube::Error> for Error {
    fn from(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => Error::Api(ApiError(status)),
            kube::Error::SerdeError(e) => Error::Decode(e),
            other => Error::Client(other),
        }
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Api(ApiError(Box::new(status)))
    }
}

impl From<Box<Status>> for Error {
    fn from(status: Box<Status>) -> Self {
        Error::Api(ApiError(status))
    }
}

#[cfg(feature = "runtime")]
impl From<kube::runtime::watcher::Error> for Error {
    fn from(error: kube::runtime::watcher::Error) -> Self {
        use kube::runtime::watcher::Error as W;
        match error {
            W::WatchError(status) => status.into(),
            W::InitialListFailed(e) | W::WatchStartFailed(e) | W::WatchFailed(e) => e.into(),
            W::NoResourceVersion => Error::UnexpectedResponse(
                "no metadata.resourceVersion in a watch answer".to_owned(),
            ),
        }
    }
}

/// A refusal by the server: the `Status` it answered with.
///
/// It dereferences to kube's [`Status`], so `e.message`, `e.code` and `e.details` read as
/// they do there.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError(Box<Status>);

impl ApiError {
    /// The `Status` as the server sent it.
    pub fn status(&self) -> &Status {
        &self.0
    }

    /// The `Status`, owned.
    pub fn into_status(self) -> Status {
        *self.0
    }

    /// Why the server refused: its `reason`, or when that is empty or unknown, the one its
    /// HTTP code stands for (as client-go's `apierrors.ReasonForError` and `Is*` do).
    pub fn reason(&self) -> Reason {
        Reason::of(&self.0)
    }

    /// The HTTP code.
    pub fn code(&self) -> u16 {
        self.0.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// `details.causes`: one per bad field for [`Reason::Invalid`].
    pub fn causes(&self) -> &[StatusCause] {
        self.0.details.as_ref().map_or(&[], |d| &d.causes)
    }
}

impl Deref for ApiError {
    type Target = Status;
    fn deref(&self) -> &Status {
        &self.0
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.reason();
        write!(f, "{} ({reason}, {})", self.0.message, self.0.code)
    }
}

impl std::error::Error for ApiError {}

/// Why the server refused a request: the `metav1.StatusReason` values of Kubernetes.
///
/// New reasons may be added; match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// 400: the request makes no sense (e.g. a bad `arg1` for `bar`).
    BadRequest,
    /// 401: no or bad credentials.
    Unauthorized,
    /// 403: not allowed.
    Forbidden,
    /// 404: the object (or path) does not exist.
    NotFound,
    /// 405: the verb is not supported.
    MethodNotAllowed,
    /// 406: the `Accept` header asks for nothing the server can give.
    NotAcceptable,
    /// 409: an object of that name already exists.
    AlreadyExists,
    /// 409: a conflict (stale resourceVersion, apply conflict, suspended Foo for `bar`).
    Conflict,
    /// 410: gone.
    Gone,
    /// 410: a resourceVersion or continue token too old to serve.
    Expired,
    /// 413: the request is too large.
    RequestEntityTooLarge,
    /// 415: the `Content-Type` is not supported.
    UnsupportedMediaType,
    /// 422: the object is invalid; the causes name the fields.
    Invalid,
    /// 429: too many requests; retry later.
    TooManyRequests,
    /// 500: an internal error.
    InternalError,
    /// 500: the server could not finish in time; retry.
    ServerTimeout,
    /// 500: the storage could not be read.
    StorageReadError,
    /// 503: the service is unavailable.
    ServiceUnavailable,
    /// 504: the request timed out.
    Timeout,
    /// Any other reason or code.
    Unknown,
}

impl Reason {
    /// The reason of a `Status`: its `reason` field if known, else its HTTP code's.
    pub fn of(status: &Status) -> Reason {
        match Reason::from_reason(&status.reason) {
            Reason::Unknown => Reason::from_code(status.code),
            known => known,
        }
    }

    /// A reason by its name in a `Status` (`NotFound`, …).
    pub fn from_reason(reason: &str) -> Reason {
        match reason {
            "BadRequest" => Reason::BadRequest,
            "Unauthorized" => Reason::Unauthorized,
            "Forbidden" => Reason::Forbidden,
            "NotFound" => Reason::NotFound,
            "MethodNotAllowed" => Reason::MethodNotAllowed,
            "NotAcceptable" => Reason::NotAcceptable,
            "AlreadyExists" => Reason::AlreadyExists,
            "Conflict" => Reason::Conflict,
            "Gone" => Reason::Gone,
            "Expired" => Reason::Expired,
            "RequestEntityTooLarge" => Reason::RequestEntityTooLarge,
            "UnsupportedMediaType" => Reason::UnsupportedMediaType,
            "Invalid" => Reason::Invalid,
            "TooManyRequests" => Reason::TooManyRequests,
            "InternalError" => Reason::InternalError,
            "ServerTimeout" => Reason::ServerTimeout,
            "StorageReadError" => Reason::StorageReadError,
            "ServiceUnavailable" => Reason::ServiceUnavailable,
            "Timeout" => Reason::Timeout,
            _ => Reason::Unknown,
        }
    }

    /// The reason an HTTP code stands for when a `Status` names none.
    pub fn from_code(code: u16) -> Reason {
        match code {
            400 => Reason::BadRequest,
            401 => Reason::Unauthorized,
            403 => Reason::Forbidden,
            404 => Reason::NotFound,
            405 => Reason::MethodNotAllowed,
            406 => Reason::NotAcceptable,
            409 => Reason::Conflict,
            410 => Reason::Gone,
            413 => Reason::RequestEntityTooLarge,
            415 => Reason::UnsupportedMediaType,
            422 => Reason::Invalid,
            429 => Reason::TooManyRequests,
            500 => Reason::InternalError,
            503 => Reason::ServiceUnavailable,
            504 => Reason::Timeout,
            _ => Reason::Unknown,
        }
    }

    /// The reason's name as in a `Status` (`""` for [`Reason::Unknown`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadRequest => "BadRequest",
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::NotAcceptable => "NotAcceptable",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Gone => "Gone",
            Reason::Expired => "Expired",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
            Reason::UnsupportedMediaType => "UnsupportedMediaType",
            Reason::Invalid => "Invalid",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::InternalError => "InternalError",
            Reason::ServerTimeout => "ServerTimeout",
            Reason::StorageReadError => "StorageReadError",
            Reason::ServiceUnavailable => "ServiceUnavailable",
            Reason::Timeout => "Timeout",
            Reason::Unknown => "",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Unknown => f.write_str("Unknown"),
            known => f.write_str(known.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: serde_json::Value) -> Error {
        serde_json::from_value::<Status>(json).unwrap().into()
    }

    #[test]
    fn reason_comes_from_the_status_then_the_code() {
        let e = status(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Foo.demo.jeremyxu2010.me \"x\" is invalid: spec.greeting: Required value",
            "reason": "Invalid", "code": 422,
            "details": {"name": "x", "group": "demo.jeremyxu2010.me", "kind": "Foo",
                        "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.greeting"}]}
        }));
        assert_eq!(e.reason(), Some(Reason::Invalid));
        assert!(e.is_invalid());
        assert_eq!(e.code(), Some(422));
        assert_eq!(e.causes()[0].field, "spec.greeting");
        assert!(e.to_string().contains("is invalid"), "{e}");
        assert!(e.to_string().contains("(Invalid, 422)"), "{e}");

        // A body that is not a Status, as kube reconstructs it: the code decides.
        let e = status(
            serde_json::json!({"message": "404 page not found", "reason": "Failed to parse error data", "code": 404}),
        );
        assert_eq!(e.reason(), Some(Reason::NotFound));
        assert!(e.is_not_found());

        // AlreadyExists and Conflict share 409: the reason tells them apart.
        let e = status(serde_json::json!({"reason": "AlreadyExists", "code": 409}));
        assert!(e.is_already_exists() && !e.is_conflict());
        let e = status(serde_json::json!({"reason": "", "code": 409}));
        assert!(e.is_conflict());
        let e = status(serde_json::json!({"reason": "Expired", "code": 410}));
        assert!(e.is_expired());
        let e = status(serde_json::json!({"code": 418}));
        assert_eq!(e.reason(), Some(Reason::Unknown));
    }

    #[test]
    fn reasons_round_trip_by_name() {
        for code in [
            400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422, 429, 500, 503, 504,
        ] {
            let reason = Reason::from_code(code);
            assert_ne!(reason, Reason::Unknown);
            assert_eq!(Reason::from_reason(reason.as_str()), reason);
        }
    }

    #[test]
    fn kube_errors_map_to_variants() {
        let e: Error =
            kube::Error::Api(Status::failure("gone", "NotFound").with_code(404).boxed()).into();
        assert!(matches!(e, Error::Api(_)));
        assert!(e.is_not_found());
        let decode = serde_json::from_str::<u8>("x").unwrap_err();
        assert!(matches!(
            Error::from(kube::Error::SerdeError(decode)),
            Error::Decode(_)
        ));
        assert!(Error::from(kube::Error::TlsRequired).reason().is_none());
    }
}
