//! Watches Foos with a `kube::runtime` watcher (which relists and resumes by itself) and
//! prints one line per event:
//!
//! ```text
//! existing: example (greeting "Hello", 2 bars)
//! synced: 1 existing Foo(s)
//! applied: other (greeting "Hi", 0 bars)
//! deleted: other
//! ```
//!
//! `existing` lines come from the initial list, `synced` ends it; then each change is an
//! `applied` (created or modified, the controller's status writes included) or `deleted`
//! line. With a number argument it stops after
//! that many changes; otherwise it runs until interrupted. Run it against a server, e.g.
//! `foo-apiserver local`:
//!
//! ```sh
//! KUBECONFIG=/path/to/kubeconfig cargo run -p foo-sdk --example watch [CHANGES]
//! ```

use foo_sdk::watcher::{self, WatchStreamExt};
use foo_sdk::{Foo, FooApi};
use futures::TryStreamExt;

fn describe(foo: &Foo) -> String {
    format!(
        "{} (greeting {:?}, {} bars)",
        foo.name(),
        foo.spec.greeting,
        foo.bar_count()
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let limit: Option<usize> = std::env::args().nth(1).map(|n| n.parse()).transpose()?;
    let foos = FooApi::try_default().await?;
    let mut events = Box::pin(foos.watcher(watcher::Config::default()).default_backoff());
    let (mut existing, mut changes) = (0, 0);
    while let Some(event) = events.try_next().await? {
        match event {
            watcher::Event::Init => existing = 0,
            watcher::Event::InitApply(foo) => {
                existing += 1;
                println!("existing: {}", describe(&foo));
            }
            watcher::Event::InitDone => println!("synced: {existing} existing Foo(s)"),
            watcher::Event::Apply(foo) => {
                changes += 1;
                println!("applied: {}", describe(&foo));
            }
            watcher::Event::Delete(foo) => {
                changes += 1;
                println!("deleted: {}", foo.name());
            }
        }
        if limit.is_some_and(|limit| changes >= limit) {
            break;
        }
    }
    Ok(())
}
