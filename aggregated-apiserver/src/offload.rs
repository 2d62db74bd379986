//! CPU-bound work done for one request (merging long lists, parsing aliased YAML, rendering
//! big lists) leaves the async workers: a task woken on a busy worker waits for it, so one
//! request could otherwise delay others, `/livez` included.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f` on this thread after handing its async work to another; directly where there are
/// no other workers (a single-threaded runtime, or none).
pub fn cpu_bound<R>(f: impl FnOnce() -> R) -> R {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::cpu_bound;

    fn sum() -> u64 {
        cpu_bound(|| (1..=100u64).sum())
    }

    #[test]
    fn runs_without_a_runtime() {
        assert_eq!(sum(), 5050);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_a_worker_of_a_multi_threaded_runtime() {
        assert_eq!(sum(), 5050);
    }

    #[tokio::test]
    async fn runs_on_a_single_threaded_runtime() {
        assert_eq!(sum(), 5050);
    }
}
