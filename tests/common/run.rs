//! One kubectl invocation and what it printed, with assertions that name the command.

use std::process::Output;

pub struct Run {
    /// The command as a person would type it, for assertion messages.
    pub command: String,
    pub output: Output,
}

/// stdout of a command that must succeed.
pub fn ok(run: &Run) -> String {
    assert!(
        run.output.status.success(),
        "`{}` failed:\nstderr: {}\nstdout: {}",
        run.command,
        stderr(run),
        String::from_utf8_lossy(&run.output.stdout)
    );
    String::from_utf8_lossy(&run.output.stdout).into_owned()
}

/// stderr of a command that must fail.
pub fn fails(run: &Run) -> String {
    assert!(
        !run.output.status.success(),
        "`{}` unexpectedly succeeded:\nstdout: {}\nstderr: {}",
        run.command,
        String::from_utf8_lossy(&run.output.stdout),
        stderr(run)
    );
    stderr(run)
}

pub fn stderr(run: &Run) -> String {
    String::from_utf8_lossy(&run.output.stderr).into_owned()
}
