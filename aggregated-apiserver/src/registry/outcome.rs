//! What a verb on one object comes to, for the handlers to write out.

use super::Strategy;

/// The object a create, update, patch, apply, delete or get left or found, whether it was
/// created by this request, and the warnings for the client.
pub struct Outcome<T> {
    object: T,
    created: bool,
    warnings: Vec<String>,
}

impl<T> Outcome<T> {
    /// An object that was there already (read, changed or deleted).
    pub fn existing(object: T) -> Self {
        Outcome {
            object,
            created: false,
            warnings: Vec::new(),
        }
    }

    /// An object this request created.
    pub fn created(object: T) -> Self {
        Outcome {
            created: true,
            ..Self::existing(object)
        }
    }

    /// With warnings about the request, such as unknown fields.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// With the warnings the kind's strategy has about the object written.
    pub fn warned_by<S: Strategy<Object = T>>(mut self, strategy: &S) -> Self {
        self.warnings.extend(strategy.warnings(&self.object));
        self
    }

    /// The object written or read.
    pub fn object(&self) -> &T {
        &self.object
    }

    /// Whether this request created the object (`201 Created`).
    pub fn is_created(&self) -> bool {
        self.created
    }

    /// The object and the warnings.
    pub fn into_parts(self) -> (T, Vec<String>) {
        (self.object, self.warnings)
    }
}
