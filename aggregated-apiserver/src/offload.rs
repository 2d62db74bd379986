//! CPU-bound work done for one request (merging long lists, parsing aliased YAML, rendering
//! big lists) leaves the async workers: a task woken on a busy worker waits for it, so one
//! request could otherwise delay others, `/livez` included.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f` on this thread after handing its async work to another; directly where there are
/// no other workers (a single-threaded runtime, or none).
///
/// ```
/// let sum = aggregated_apiserver::offload::cpu_bound(|| (1..=100u64).sum::<u64>());
/// assert_eq!(sum, 5050);
/// ```
pub fn cpu_bound<R>(f: impl FnOnce() -> R) -> R {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
