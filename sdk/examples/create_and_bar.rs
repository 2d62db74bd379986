//! Creates a Foo named `example` (or the first argument) unless it exists, then calls its
//! `bar` subresource with `arg1=sdk`, first as a dry run and then for real, printing:
//!
//! ```text
//! created Foo example with greeting "Hello"
//! dry run: "Hello, sdk" (barCount stays 0)
//! bar: "Hello, sdk" (barCount is now 1)
//! ```
//!
//! (`Foo example already exists with greeting "Hello"` on the first line when it does.)
//! A suspended Foo refuses `bar`: the example then prints `Foo example is suspended: …` and
//! exits with an error. Run it against a server, e.g. `foo-apiserver local`:
//!
//! ```sh
//! KUBECONFIG=/path/to/kubeconfig cargo run -p foo-sdk --example create_and_bar [NAME]
//! ```

use foo_sdk::{BarParams, Foo, FooApi, FooSpec, PostParams, Reason};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "example".to_owned());
    let foos = FooApi::try_default().await?;

    let created = foos
        .create(&PostParams::default(), &Foo::new(&name, FooSpec::default()))
        .await;
    let foo = match created {
        Ok(foo) => {
            println!("created Foo {name} with greeting {:?}", foo.spec.greeting);
            foo
        }
        Err(e) if e.reason() == Some(Reason::AlreadyExists) => {
            let foo = foos.get(&name).await?;
            println!(
                "Foo {name} already exists with greeting {:?}",
                foo.spec.greeting
            );
            foo
        }
        Err(e) => return Err(e.into()),
    };

    let dry = match foos.bar(&name, &BarParams::new("sdk").dry_run()).await {
        Ok(answer) => answer,
        Err(e) if e.reason() == Some(Reason::Conflict) => {
            println!(
                "Foo {name} is suspended: {}",
                e.status().map_or("", |s| &s.message)
            );
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let count = foos.get(&name).await?.bar_count();
    assert_eq!(count, foo.bar_count(), "a dry run writes nothing");
    println!("dry run: {:?} (barCount stays {count})", dry.message);

    let answer = foos.bar(&name, &BarParams::new("sdk")).await?;
    let count = foos.get(&name).await?.bar_count();
    println!("bar: {:?} (barCount is now {count})", answer.message);
    Ok(())
}
