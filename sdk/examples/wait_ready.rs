//! Creates a Foo named `waiting` (or the first argument) unless it exists, waits until the
//! controller has made it Ready, calls `bar`, then waits until its status counts that call,
//! printing:
//!
//! ```text
//! waiting is Ready (Reconciled)
//! bar: "Hello, sdk"; the status now counts 1 bar(s)
//! ```
//!
//! Each wait gives up after 30 seconds. Run it against a server, e.g. `foo-apiserver local`:
//!
//! ```sh
//! KUBECONFIG=/path/to/kubeconfig cargo run -p foo-sdk --example wait_ready [NAME]
//! ```

use std::time::Duration;

use foo_sdk::{BarParams, Foo, FooApi, FooSpec, PostParams};
use tokio::time::timeout;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "waiting".to_owned());
    let foos = FooApi::try_default().await?;
    let limit = Duration::from_secs(30);

    let created = foos
        .create(&PostParams::default(), &Foo::new(&name, FooSpec::default()))
        .await;
    match created {
        Ok(_) => {}
        Err(e) if e.is_already_exists() => {}
        Err(e) => return Err(e.into()),
    }
    let ready = timeout(limit, foos.wait_ready(&name)).await??;
    let reason = ready.ready_condition().map_or("", |c| c.reason.as_str());
    println!("{name} is Ready ({reason})");

    let before = ready.bar_count();
    let answer = foos.bar(&name, &BarParams::new("sdk")).await?;
    let counted = foos.wait_for(&name, |foo| foo.is_some_and(|f| f.bar_count() > before));
    let counted = timeout(limit, counted).await??;
    let bars = counted.map_or(0, |foo| foo.bar_count());
    println!(
        "bar: {:?}; the status now counts {bars} bar(s)",
        answer.message
    );
    Ok(())
}
