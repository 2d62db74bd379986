//! Lists every Foo, 50 a page, with its greeting, bar count, readiness and suspension,
//! then how many there are:
//!
//! ```text
//! NAME      GREETING   BARS   READY   SUSPENDED
//! example   Hello      2      true    false
//! 1 Foo(s)
//! ```
//!
//! With no Foos it prints `No Foos found.` Run it against a server, e.g. `foo-apiserver local`:
//!
//! ```sh
//! KUBECONFIG=/path/to/kubeconfig cargo run -p foo-sdk --example list
//! ```

use foo_sdk::{FooApi, ListParams};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let foos = FooApi::try_default().await?;
    let all = foos.list_all(&ListParams::default().limit(50)).await?;
    if all.is_empty() {
        println!("No Foos found.");
        return Ok(());
    }
    let rows: Vec<[String; 5]> = all
        .iter()
        .map(|foo| {
            [
                foo.name().to_owned(),
                foo.spec.greeting.clone(),
                foo.bar_count().to_string(),
                foo.is_ready().to_string(),
                foo.spec.suspend.to_string(),
            ]
        })
        .collect();
    let header = ["NAME", "GREETING", "BARS", "READY", "SUSPENDED"].map(String::from);
    let mut widths = [0; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", line.join("   ").trim_end());
    }
    println!("{} Foo(s)", all.len());
    Ok(())
}
