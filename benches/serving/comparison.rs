//! The comparisons a run makes, and each server's part in them: foo-apiserver's Foo against
//! its peers (sample-apiserver's Flunder, the static-JSON ceiling, a CRD), and the same
//! Flunder workload on wardle-apiserver (examples/wardle, on the same library) and on
//! sample-apiserver. Every table, plot and target is of one comparison: its server under
//! test against its peers, all measured side by side in the same rounds.

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Comparison {
    /// foo-apiserver's Foo beside sample-apiserver's Flunder, the static-JSON server and a
    /// CRD of Foo's shape.
    Foo,
    /// The same Flunder requests, on the same paths, on wardle-apiserver and on
    /// sample-apiserver.
    Flunder,
}

impl Comparison {
    pub const ALL: [Comparison; 2] = [Comparison::Foo, Comparison::Flunder];

    /// How the ratio columns name the server under test.
    pub fn subject(self) -> &'static str {
        match self {
            Comparison::Foo => "foo",
            Comparison::Flunder => "wardle",
        }
    }
}

/// What a server is in the comparisons of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The server under test of a comparison: foo-apiserver in Foo's, wardle-apiserver in
    /// Flunder's. Its ratios are against the peers of its comparison.
    UnderTest(Comparison),
    /// A peer in these comparisons.
    Peer(&'static [Comparison]),
}

/// The static-JSON server and the CRD: Foo's peers alone.
pub const FOO_PEER: Role = Role::Peer(&[Comparison::Foo]);
/// sample-apiserver serves the Flunders both comparisons measure (one process, one set of
/// rows).
pub const SAMPLE_APISERVER: Role = Role::Peer(&[Comparison::Foo, Comparison::Flunder]);

impl Role {
    pub fn is_in(self, comparison: Comparison) -> bool {
        match self {
            Role::UnderTest(own) => own == comparison,
            Role::Peer(comparisons) => comparisons.contains(&comparison),
        }
    }

    pub fn under_test(self) -> bool {
        matches!(self, Role::UnderTest(_))
    }

    /// foo-apiserver itself.
    pub fn is_foo(self) -> bool {
        self == Role::UnderTest(Comparison::Foo)
    }

    /// wardle-apiserver itself.
    pub fn is_wardle(self) -> bool {
        self == Role::UnderTest(Comparison::Flunder)
    }
}
