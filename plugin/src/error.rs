//! The plugin's errors: one clear line on stderr, and the exit code (1 failure, 2 usage).

use foo_sdk::Status;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a `Status` failure.
    #[error("Error from server ({}): {}", .0.reason, .0.message)]
    Api(Box<Status>),
    /// The command line is wrong in a way clap cannot see (exit code 2).
    #[error("error: {0}\nSee 'kubectl foo --help' for usage.")]
    Usage(String),
    /// The server could not be reached; the root cause.
    #[error("error: cannot reach the server: {0}")]
    Unreachable(String),
    /// A file that could not be parsed: the message keeps its lines, which show the text
    /// around the place with a marker under it.
    #[error("error: {0}")]
    Parse(String),
    /// Anything else.
    #[error("error: {0}")]
    Other(String),
    /// A failure already reported on stderr (exit code 1, nothing more to print).
    #[error("")]
    Reported,
    /// Ctrl-C at a prompt: exit code 130, as a shell reports SIGINT, and nothing printed.
    #[error("")]
    Interrupted,
}

/// The plugin's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A plain failure.
    pub fn msg(message: impl std::fmt::Display) -> Self {
        Error::Other(message.to_string())
    }

    /// A usage error.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Error::Usage(message.to_string())
    }

    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Interrupted => 130,
            _ => 1,
        }
    }

    /// The message as printed: a single line, but for the usage hint and a parse error's
    /// snippet of the text.
    pub fn one_line(&self) -> String {
        match self {
            Error::Usage(m) => format!(
                "error: {}\nSee 'kubectl foo --help' for usage.",
                m.replace('\n', " ")
            ),
            Error::Parse(_) => self.to_string(),
            other => other.to_string().replace('\n', " "),
        }
    }

    /// The error with the server named where it could not be reached.
    pub fn naming_server(self, server: &str) -> Self {
        match self {
            Error::Unreachable(cause) => {
                Error::Other(format!("cannot reach the server {server}: {cause}"))
            }
            other => other,
        }
    }

    /// True when the server said NotFound.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api(s) if s.code == 404)
    }
}

/// foo-sdk's errors as kubectl prints them: a refusal as `Error from server (Reason): …`
/// (the reason the HTTP code stands for when the server names none), an unreachable server
/// as `cannot reach the server: <root cause>`.
impl From<foo_sdk::Error> for Error {
    fn from(err: foo_sdk::Error) -> Self {
        match err {
            foo_sdk::Error::Api(e) => {
                let mut status = e.into_status();
                let names_a_foo = status.details.as_ref().is_some_and(|d| !d.kind.is_empty());
                if status.code == 404 && !names_a_foo {
                    // Not a missing Foo: no Foos at all (kube-apiserver's "404 page not
                    // found", or a Status without details), as kubectl words it.
                    return Error::Other(format!(
                        "the server doesn't have a resource type \"{}\"",
                        foo_sdk::PLURAL
                    ));
                }
                if status.message.trim_start().starts_with('<') {
                    // An HTML page (a proxy's or a web server's), not a Kubernetes Status.
                    status.message = format!(
                        "the server answered {} with an HTML page, not a Kubernetes Status",
                        status.code
                    );
                }
                if status.reason.is_empty() {
                    status.reason = foo_sdk::Reason::from_code(status.code).to_string();
                }
                Error::Api(Box::new(status))
            }
            foo_sdk::Error::Client(kube::Error::Service(e)) => Error::Unreachable(root(&*e)),
            foo_sdk::Error::Client(kube::Error::HyperError(e)) => Error::Unreachable(root(&e)),
            foo_sdk::Error::Client(other) => Error::Other(chain(&other)),
            other => Error::Other(chain(&other)),
        }
    }
}

/// The requests foo-sdk does not make, sent on its `kube::Client`.
impl From<kube::Error> for Error {
    fn from(err: kube::Error) -> Self {
        foo_sdk::Error::from(err).into()
    }
}

/// The innermost cause of an error.
pub fn root(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Other(chain(&err))
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Other(chain(&err))
    }
}

/// An error and its sources joined on one line, without repeating a source whose text the
/// outer message already contains.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
