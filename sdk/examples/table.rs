//! Prints the Foos as the server renders them for `kubectl get foos` (server-side
//! printing), fetched 10 rows a page and merged; `--wide` adds the priority-1 columns as
//! `kubectl get -o wide` does:
//!
//! ```text
//! NAME      GREETING   BARS   READY   AGE
//! example   Hello      1      True    5m
//! 1 row(s), resourceVersion 42
//! ```
//!
//! With no Foos it prints `No resources found`. Run it against a server, e.g.
//! `foo-apiserver local`:
//!
//! ```sh
//! KUBECONFIG=/path/to/kubeconfig cargo run -p foo-sdk --example table [-- --wide]
//! ```

use foo_sdk::{FooApi, ListParams};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let wide = std::env::args().any(|a| a == "--wide");
    let foos = FooApi::try_default().await?;
    let table = foos.table(&ListParams::default().limit(10)).await?;
    if table.rows.is_empty() {
        println!("No resources found");
        return Ok(());
    }
    print!("{}", table.to_text(wide));
    println!(
        "{} row(s), resourceVersion {}",
        table.rows.len(),
        table.resource_version().unwrap_or("?")
    );
    Ok(())
}
