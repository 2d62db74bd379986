//! foo-sdk against a started `foo-apiserver local` (no mocks): every `FooApi` method, the
//! mapping of the server's Status to `foo_sdk::Error`/`Reason`, typed watch streams and the
//! runtime watcher, Tables paginated over more rows than one page, discovery (aggregated and
//! legacy), and the crate's examples run as a user would run them.
//!
//! Every server runs without its built-in controller, so that each write and event a test
//! sees is its own. Every wait is bounded by `WAIT`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{RwLock, mpsc};
use std::time::{Duration, Instant};

use common::Server;
use foo_sdk::discovery::{self, DiscoverySource};
use foo_sdk::table::IncludeObject;
use foo_sdk::{
    BarParams, DeleteParams, Deletion, Error, Foo, FooApi, FooEvent, FooSpec, FooStatus,
    ListParams, Patch, PatchParams, PostParams, Reason, WatchParams, watcher,
};
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::json;
use tokio::time::timeout;

/// The longest any single call, event or process output may take.
const WAIT: Duration = Duration::from_secs(20);

/// Held while the examples build: a cold build takes both cores for minutes, so servers of
/// the other tests start only once it is done (their bounded waits stay meaningful).
static BUILDING_EXAMPLES: RwLock<()> = RwLock::new(());

fn start(flags: &[&str]) -> Server {
    drop(BUILDING_EXAMPLES.read().unwrap_or_else(|e| e.into_inner()));
    let mut all = vec!["--controller=false"];
    all.extend_from_slice(flags);
    Server::start_with(&all)
}

async fn foos(server: &Server) -> FooApi {
    FooApi::new(server.client().await)
}

/// Awaits `future` for at most `WAIT`.
async fn bounded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {WAIT:?}"))
}

fn labelled(name: &str, labels: &[(&str, &str)], spec: FooSpec) -> Foo {
    let mut foo = Foo::new(name, spec);
    foo.metadata.labels = Some(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    );
    foo
}

fn expect_err<T: std::fmt::Debug>(what: &str, result: foo_sdk::Result<T>) -> Error {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Reads and writes
// ---------------------------------------------------------------------------------------------

/// get, get_opt, create, replace, patch (merge and JSON patch), list and list_all, delete and
/// delete_collection, and the errors each maps: NotFound, AlreadyExists, Invalid with causes,
/// Conflict on a stale resourceVersion, BadRequest, and refusals made before sending.
#[tokio::test]
async fn reads_writes_and_their_errors() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let pp = PostParams::default();

    // get / get_opt of nothing.
    assert_eq!(bounded("get_opt", foos.get_opt("a")).await.unwrap(), None);
    let e = expect_err("get missing", foos.get("a").await);
    assert_eq!(e.reason(), Some(Reason::NotFound));
    assert!(e.is_not_found());
    assert_eq!(e.code(), Some(404));
    let status = e.status().unwrap();
    assert_eq!(status.message, r#"foos.demo.jeremyxu2010.me "a" not found"#);
    assert_eq!(status.details.as_ref().unwrap().name, "a");
    assert!(
        matches!(&e, Error::Api(api) if api.reason() == Reason::NotFound && api.message() == status.message)
    );

    // create: defaults filled in, generation 1.
    let created = foos
        .create(&pp, &labelled("a", &[("team", "x")], FooSpec::default()))
        .await
        .unwrap();
    assert_eq!(created.name(), "a");
    assert_eq!(created.spec.greeting, "Hello");
    assert!(!created.spec.suspend);
    assert_eq!(created.metadata.generation, Some(1));
    assert!(created.metadata.resource_version.is_some());
    assert_eq!(foos.get("a").await.unwrap(), created);
    assert_eq!(foos.get_opt("a").await.unwrap(), Some(created.clone()));

    // create again: AlreadyExists, which is a 409 but not a Conflict.
    let e = expect_err("create twice", foos.create(&pp, &created_fresh("a")).await);
    assert_eq!(e.reason(), Some(Reason::AlreadyExists));
    assert_eq!(e.code(), Some(409));
    assert!(e.is_already_exists() && !e.is_conflict());

    // create invalid: 422 Invalid with one cause per bad field.
    let bad = Foo::new("bad", FooSpec::new("x".repeat(300)));
    let e = expect_err("invalid create", foos.create(&pp, &bad).await);
    assert_eq!(e.reason(), Some(Reason::Invalid));
    assert_eq!(e.code(), Some(422));
    assert!(e.is_invalid());
    let fields: Vec<&str> = e.causes().iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["spec.greeting"], "{e}");
    assert!(e.to_string().contains("is invalid"), "{e}");
    assert_eq!(foos.get_opt("bad").await.unwrap(), None);

    // create with a dry run writes nothing.
    let dry = foos
        .create(
            &PostParams {
                dry_run: true,
                ..PostParams::default()
            },
            &created_fresh("dry"),
        )
        .await
        .unwrap();
    assert_eq!(dry.name(), "dry");
    assert_eq!(foos.get_opt("dry").await.unwrap(), None);

    // replace with the current resourceVersion: the spec changes, the generation grows.
    let mut changed = created.clone();
    changed.spec.greeting = "Hi".into();
    let replaced = foos.replace("a", &pp, &changed).await.unwrap();
    assert_eq!(replaced.spec.greeting, "Hi");
    assert_eq!(replaced.metadata.generation, Some(2));

    // replace with the old resourceVersion: Conflict.
    let e = expect_err("stale replace", foos.replace("a", &pp, &changed).await);
    assert_eq!(e.reason(), Some(Reason::Conflict));
    assert!(e.is_conflict() && !e.is_already_exists());
    assert!(
        e.status()
            .unwrap()
            .message
            .contains("the object has been modified"),
        "{e}"
    );

    // replace with no resourceVersion: Invalid, with the field named.
    let mut unversioned = replaced.clone();
    unversioned.metadata.resource_version = None;
    let e = expect_err(
        "unversioned replace",
        foos.replace("a", &pp, &unversioned).await,
    );
    assert_eq!(e.reason(), Some(Reason::Invalid));
    assert_eq!(e.causes()[0].field, "metadata.resourceVersion");

    // replace ignores status on the main resource.
    let mut with_status = replaced.clone();
    with_status.status = Some(FooStatus {
        bar_count: Some(7),
        ..FooStatus::default()
    });
    let replaced = foos.replace("a", &pp, &with_status).await.unwrap();
    assert_eq!(replaced.bar_count(), 0);

    // patch: merge and JSON patch; status changes ignored.
    let merge = json!({"spec": {"suspend": true}, "status": {"barCount": 9}});
    let patched = foos
        .patch("a", &PatchParams::default(), &Patch::Merge(&merge))
        .await
        .unwrap();
    assert!(patched.spec.suspend);
    assert_eq!(patched.bar_count(), 0);
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "replace", "path": "/spec/greeting", "value": "Salut"}
    ]))
    .unwrap();
    let patched = foos
        .patch("a", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(patched.spec.greeting, "Salut");
    let e = expect_err(
        "invalid patch",
        foos.patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"greeting": "\u{7}"}})),
        )
        .await,
    );
    assert!(e.is_invalid(), "{e}");
    let e = expect_err(
        "patch of nothing",
        foos.patch("nope", &PatchParams::default(), &Patch::Merge(&merge))
            .await,
    );
    assert!(e.is_not_found(), "{e}");

    // list and list_all over pages.
    for name in ["b", "c", "d"] {
        foos.create(&pp, &labelled(name, &[("team", "y")], FooSpec::default()))
            .await
            .unwrap();
    }
    let list = foos.list(&ListParams::default()).await.unwrap();
    let names: Vec<&str> = list.items.iter().map(Foo::name).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert!(list.metadata.resource_version.is_some());
    let page = foos.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(page.metadata.continue_.is_some());
    let all = foos
        .list_all(&ListParams::default().limit(1))
        .await
        .unwrap();
    assert_eq!(all.iter().map(Foo::name).collect::<Vec<_>>(), names);
    let team_y = foos
        .list_all(&ListParams::default().labels("team=y").limit(2))
        .await
        .unwrap();
    assert_eq!(
        team_y.iter().map(Foo::name).collect::<Vec<_>>(),
        ["b", "c", "d"]
    );
    let e = expect_err(
        "bad field selector",
        foos.list(&ListParams::default().fields("spec.nope=1"))
            .await,
    );
    assert_eq!(e.reason(), Some(Reason::BadRequest), "{e}");

    // delete: the object as last seen, then NotFound.
    match foos.delete("b", &DeleteParams::default()).await.unwrap() {
        Deletion::Deleted(foo) => assert_eq!(foo.name(), "b"),
        other => panic!("delete b: {other:?}"),
    }
    let e = expect_err(
        "delete twice",
        foos.delete("b", &DeleteParams::default()).await,
    );
    assert!(e.is_not_found(), "{e}");

    // delete with a finalizer: Finalizing until the finalizer goes.
    let mut held = created_fresh("held");
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    foos.create(&pp, &held).await.unwrap();
    let deletion = foos.delete("held", &DeleteParams::default()).await.unwrap();
    assert!(!deletion.is_deleted(), "{deletion:?}");
    let Deletion::Finalizing(foo) = deletion else {
        panic!("delete held: {deletion:?}")
    };
    assert!(foo.metadata.deletion_timestamp.is_some());
    let release = json!({"metadata": {"finalizers": null}});
    foos.patch("held", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .unwrap();
    assert_eq!(foos.get_opt("held").await.unwrap(), None);

    // delete_collection by label.
    let deleted = foos
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("team=y"),
        )
        .await
        .unwrap();
    let mut deleted: Vec<&str> = deleted.iter().map(Foo::name).collect();
    deleted.sort();
    assert_eq!(deleted, ["c", "d"]);
    let left = foos.list_all(&ListParams::default()).await.unwrap();
    assert_eq!(left.iter().map(Foo::name).collect::<Vec<_>>(), ["a"]);

    // Refused before sending: names that address no single Foo.
    for name in ["", "a/b", "..", "a?b", "a#b", "a%2Fb", "a b"] {
        let e = expect_err("bad name", foos.get(name).await);
        assert!(matches!(e, Error::InvalidRequest(_)), "{name:?}: {e:?}");
        assert_eq!(e.reason(), None);
    }
}

fn created_fresh(name: &str) -> Foo {
    Foo::new(name, FooSpec::default())
}

/// Server-side apply: creates, updates, conflicts between managers unless forced, dry runs,
/// and the requests refused before sending (no name, no field manager).
#[tokio::test]
async fn server_side_apply() {
    let server = start(&[]);
    let foos = foos(&server).await;

    let applied = foos
        .apply(&Foo::new("s", FooSpec::new("Hi")), "sdk-test")
        .await
        .unwrap();
    assert_eq!(applied.spec.greeting, "Hi");
    let managers: Vec<String> = applied
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert_eq!(managers, ["sdk-test"]);

    // Applying what was read back (managedFields and all) works: they are not sent.
    let mut again = foos.get("s").await.unwrap();
    again.spec.greeting = "Hey".into();
    again.metadata.resource_version = None;
    assert_eq!(
        foos.apply(&again, "sdk-test").await.unwrap().spec.greeting,
        "Hey"
    );

    // Another manager changing an owned field: Conflict, unless forced.
    let theirs = Foo::new("s", FooSpec::new("Yo"));
    let e = expect_err("apply conflict", foos.apply(&theirs, "other").await);
    assert_eq!(e.reason(), Some(Reason::Conflict), "{e}");
    assert!(
        !e.causes().is_empty(),
        "an apply conflict names the fields: {e}"
    );
    let dry = foos
        .apply_with(&theirs, &PatchParams::apply("other").force().dry_run())
        .await
        .unwrap();
    assert_eq!(dry.spec.greeting, "Yo");
    assert_eq!(foos.get("s").await.unwrap().spec.greeting, "Hey");
    let forced = foos
        .apply_with(&theirs, &PatchParams::apply("other").force())
        .await
        .unwrap();
    assert_eq!(forced.spec.greeting, "Yo");

    // An invalid apply maps to Invalid.
    let e = expect_err(
        "invalid apply",
        foos.apply(&Foo::new("s2", FooSpec::new("\u{1}")), "sdk-test")
            .await,
    );
    assert!(e.is_invalid(), "{e}");

    // Refused before sending.
    let e = expect_err(
        "apply without a name",
        foos.apply(&Foo::default(), "sdk-test").await,
    );
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    let e = expect_err(
        "apply without a manager",
        foos.apply_with(&theirs, &PatchParams::default()).await,
    );
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
}

fn managers(foo: &Foo) -> Vec<String> {
    let fields = foo.metadata.managed_fields.iter().flatten();
    fields.filter_map(|m| m.manager.clone()).collect()
}

/// Writes whose params name no field manager are made as the client's: `foo-sdk`, or the
/// one set with `with_field_manager`. An apply that changes a field such a write set
/// conflicts naming that manager (an update and an apply are two managers, as in
/// kube-apiserver), applying the same value shares it, and `.force()` takes it.
#[tokio::test]
async fn writes_have_a_field_manager_by_default() {
    let server = start(&[]);
    let foos = foos(&server).await;
    assert_eq!(foos.field_manager(), foo_sdk::DEFAULT_FIELD_MANAGER);
    let created = foos
        .create(&PostParams::default(), &Foo::new("m", FooSpec::new("Hi")))
        .await
        .unwrap();
    assert_eq!(managers(&created), ["foo-sdk"]);
    let e = expect_err(
        "apply over the create's value",
        foos.apply(&Foo::new("m", FooSpec::new("Hey")), "deployer")
            .await,
    );
    assert!(e.is_conflict(), "{e}");
    assert!(e.to_string().contains("conflict with \"foo-sdk\""), "{e}");
    let shared = foos
        .apply(&Foo::new("m", FooSpec::new("Hi")), "deployer")
        .await
        .unwrap();
    assert_eq!(managers(&shared), ["deployer", "foo-sdk"]);
    let forced = foos
        .apply_with(
            &Foo::new("m", FooSpec::new("Hey")),
            &PatchParams::apply("deployer").force(),
        )
        .await
        .unwrap();
    assert_eq!(forced.spec.greeting, "Hey");

    let mine = foos.clone().with_field_manager("my-controller");
    let patch = serde_json::json!({"metadata": {"labels": {"team": "a"}}});
    let patched = mine
        .patch("m", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    assert!(
        managers(&patched).contains(&"my-controller".to_owned()),
        "{:?}",
        managers(&patched)
    );
    // Params that name a manager win.
    let named = PostParams {
        field_manager: Some("named".into()),
        ..PostParams::default()
    };
    let other = mine
        .create(&named, &Foo::new("n", FooSpec::new("Hi")))
        .await
        .unwrap();
    assert_eq!(managers(&other), ["named"]);
}

/// The status subresource: get, merge patch, replace and apply; spec changes ignored there,
/// status changes ignored on the main resource; generation unchanged by status writes.
#[tokio::test]
async fn status_subresource() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let created = foos
        .create(&PostParams::default(), &Foo::new("st", FooSpec::default()))
        .await
        .unwrap();
    assert_eq!(foos.get_status("st").await.unwrap(), created);
    let e = expect_err("status of nothing", foos.get_status("nope").await);
    assert!(e.is_not_found());

    let patch = json!({"status": {"lastMessage": "set by test", "barCount": 4}, "spec": {"greeting": "ignored"}});
    let patched = foos
        .patch_status("st", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    assert_eq!(patched.last_message(), Some("set by test"));
    assert_eq!(patched.bar_count(), 4);
    assert_eq!(patched.spec.greeting, "Hello");
    assert_eq!(patched.metadata.generation, Some(1));

    let mut next = patched.clone();
    next.status.as_mut().unwrap().bar_count = Some(5);
    let replaced = foos
        .replace_status("st", &PostParams::default(), &next)
        .await
        .unwrap();
    assert_eq!(replaced.bar_count(), 5);
    let e = expect_err(
        "stale status replace",
        foos.replace_status("st", &PostParams::default(), &next)
            .await,
    );
    assert!(e.is_conflict(), "{e}");

    let mut applied = Foo::new("st", FooSpec::default());
    applied.status = Some(FooStatus {
        observed_generation: Some(1),
        ..FooStatus::default()
    });
    let applied = foos
        .apply_status(&applied, &PatchParams::apply("sdk-status").force())
        .await
        .unwrap();
    assert_eq!(
        applied.status.as_ref().unwrap().observed_generation,
        Some(1)
    );
    assert!(applied.is_reconciled());
    assert_eq!(
        applied.bar_count(),
        5,
        "apply keeps fields it does not name"
    );

    let e = expect_err(
        "invalid status",
        foos.patch_status(
            "st",
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": {"barCount": -1}})),
        )
        .await,
    );
    assert!(e.is_invalid(), "{e}");
}

// ---------------------------------------------------------------------------------------------
// bar
// ---------------------------------------------------------------------------------------------

/// bar answers `<greeting>, <arg1>`, counts each call, writes nothing on a dry run, encodes
/// arg1, and maps 404 / 409 (suspended) / 400 (bad arg1).
#[tokio::test]
async fn bar_subresource() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let pp = PostParams::default();
    foos.create(&pp, &Foo::new("b", FooSpec::new("Hi")))
        .await
        .unwrap();

    let answer = foos.bar("b", &BarParams::default()).await.unwrap();
    assert_eq!(answer.message, "Hi, world");
    assert_eq!(answer.name(), "b");
    let foo = foos.get("b").await.unwrap();
    assert_eq!(foo.bar_count(), 1);
    assert_eq!(foo.last_message(), Some("Hi, world"));
    assert_eq!(foo.metadata.generation, Some(1));

    let odd = "a b&c=d/é?#";
    let answer = foos.bar("b", &BarParams::new(odd)).await.unwrap();
    assert_eq!(answer.message, format!("Hi, {odd}"));
    assert_eq!(foos.get("b").await.unwrap().bar_count(), 2);

    let before = foos.get("b").await.unwrap();
    let dry = foos
        .bar("b", &BarParams::new("dry").dry_run())
        .await
        .unwrap();
    assert_eq!(dry.message, "Hi, dry");
    assert_eq!(
        foos.get("b").await.unwrap(),
        before,
        "a dry run writes nothing"
    );

    let e = expect_err(
        "bar of nothing",
        foos.bar("nope", &BarParams::default()).await,
    );
    assert_eq!(e.reason(), Some(Reason::NotFound));

    let e = expect_err(
        "bad arg1",
        foos.bar("b", &BarParams::new("x".repeat(257))).await,
    );
    assert_eq!(e.reason(), Some(Reason::BadRequest), "{e}");
    assert_eq!(e.code(), Some(400));

    foos.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"suspend": true}})),
    )
    .await
    .unwrap();
    let e = expect_err("suspended", foos.bar("b", &BarParams::default()).await);
    assert_eq!(e.reason(), Some(Reason::Conflict));
    assert_eq!(e.code(), Some(409));
    assert!(e.status().unwrap().message.contains("suspended"), "{e}");
    assert_eq!(foos.get("b").await.unwrap().bar_count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// 25 Foos in pages of 10: `table` follows the continue tokens into one 25-row Table;
/// `table_page` gives 10 + 10 + 5 with tokens between; includeObject Metadata / Object /
/// None; cells by column name; kubectl-style text.
#[tokio::test]
async fn table_pagination_and_objects() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let names: Vec<String> = (0..25).map(|i| format!("t{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        let spec = FooSpec::new(format!("G{i}")).suspended(i % 5 == 0);
        foos.create(
            &PostParams::default(),
            &labelled(name, &[("set", "t")], spec),
        )
        .await
        .unwrap();
    }
    foos.create(
        &PostParams::default(),
        &labelled("other", &[("set", "o")], FooSpec::default()),
    )
    .await
    .unwrap();
    let lp = ListParams::default().labels("set=t").limit(10);

    // One Table over every page.
    let table = foos.table(&lp).await.unwrap();
    assert_eq!(table.kind, "Table");
    assert_eq!(table.api_version, "meta.k8s.io/v1");
    let columns: Vec<&str> = table
        .column_definitions
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "Name",
            "Greeting",
            "Bars",
            "Ready",
            "Age",
            "Suspended",
            "Last Bar",
            "Message"
        ]
    );
    assert_eq!(table.column("Bars").unwrap().type_, "integer");
    assert_eq!(table.column("suspended").unwrap().priority, 1);
    assert_eq!(table.rows.len(), 25);
    assert_eq!(table.continue_token(), None);
    assert!(table.resource_version().is_some());
    let row_names: Vec<&str> = table.rows.iter().map(|r| r.name().unwrap()).collect();
    assert_eq!(row_names, names);
    for (i, row) in table.rows.iter().enumerate() {
        let meta = row.partial_object().unwrap().unwrap();
        assert_eq!(meta.kind, "PartialObjectMetadata");
        assert_eq!(meta.api_version, "meta.k8s.io/v1");
        assert_eq!(meta.metadata.name.as_deref(), Some(names[i].as_str()));
        assert!(meta.metadata.creation_timestamp.is_some());
        assert_eq!(row.cells.len(), 8);
        assert_eq!(table.cell(i, "Greeting").unwrap(), &json!(format!("G{i}")));
        assert_eq!(table.cell(i, "Bars").unwrap(), &json!(0));
        assert_eq!(table.cell(i, "Ready").unwrap(), &json!("Unknown"));
        assert_eq!(table.cell(i, "Suspended").unwrap(), &json!(i % 5 == 0));
        assert_eq!(row.cell_text(7), "");
    }
    let text = table.to_text(false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 26, "{text}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "GREETING", "BARS", "READY", "AGE"]
    );
    assert!(lines[1].starts_with("t00 "), "{text}");
    let wide = table.to_text(true);
    assert!(wide.lines().next().unwrap().contains("LAST BAR"), "{wide}");

    // Page by page.
    let mut page_lp = lp.clone();
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    loop {
        let page = foos
            .table_page(&page_lp, IncludeObject::None)
            .await
            .unwrap();
        sizes.push(page.rows.len());
        assert_eq!(page.column_definitions.len(), 8);
        for row in &page.rows {
            assert_eq!(row.object, None);
            seen.push(row.cells[0].as_str().unwrap().to_owned());
        }
        match page.continue_token() {
            Some(token) => page_lp.continue_token = Some(token.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(seen, names);

    // Whole objects.
    let table = foos.table_with(&lp, IncludeObject::Object).await.unwrap();
    assert_eq!(table.rows.len(), 25);
    for (i, row) in table.rows.iter().enumerate() {
        let foo: Foo = row.object_as().unwrap().unwrap();
        assert_eq!(foo.spec.greeting, format!("G{i}"));
        assert_eq!(
            row.partial_object().unwrap().unwrap().metadata.name,
            foo.metadata.name
        );
    }

    // No pagination asked: one page with everything.
    let all = foos.table(&ListParams::default()).await.unwrap();
    assert_eq!(all.rows.len(), 26);

    // A Table reflects status: bar a Foo and read its row.
    foos.bar("t01", &BarParams::new("x")).await.unwrap();
    let one = foos
        .table(&ListParams::default().fields("metadata.name=t01"))
        .await
        .unwrap();
    assert_eq!(one.rows.len(), 1);
    assert_eq!(one.cell(0, "Bars").unwrap(), &json!(1));
    assert_eq!(one.cell(0, "Message").unwrap(), &json!("G1, x"));

    // One Foo by name (`kubectl get foo NAME`): the same columns, one row.
    let named = foos
        .get_table("t01", IncludeObject::Metadata)
        .await
        .unwrap();
    assert_eq!(named.kind, "Table");
    assert_eq!(named.column_definitions, one.column_definitions);
    assert_eq!(named.rows, one.rows);
    let whole = foos.get_table("t01", IncludeObject::Object).await.unwrap();
    let foo: Foo = whole.rows[0].object_as().unwrap().unwrap();
    assert_eq!((foo.name(), foo.bar_count()), ("t01", 1));
    let bare = foos.get_table("t01", IncludeObject::None).await.unwrap();
    assert_eq!(bare.rows.len(), 1);
    assert_eq!(bare.rows[0].object, None);
    let e = expect_err(
        "table of a missing Foo",
        foos.get_table("missing", IncludeObject::Metadata).await,
    );
    assert!(e.is_not_found(), "{e}");
    assert!(matches!(
        foos.get_table("a/b", IncludeObject::Metadata).await,
        Err(Error::InvalidRequest(_))
    ));

    // Errors come through the Table path too.
    let e = expect_err(
        "bad selector",
        foos.table(&ListParams::default().labels("set in (")).await,
    );
    assert_eq!(e.reason(), Some(Reason::BadRequest), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Watch
// ---------------------------------------------------------------------------------------------

async fn next_event<S>(what: &str, events: &mut S) -> foo_sdk::Result<FooEvent>
where
    S: Stream<Item = foo_sdk::Result<FooEvent>> + Unpin,
{
    loop {
        let event = bounded(what, events.next())
            .await
            .unwrap_or_else(|| panic!("{what}: the watch ended"));
        if !matches!(event, Ok(FooEvent::Bookmark(_))) {
            return event;
        }
    }
}

/// One Foo over time: `wait_ready` returns it once the controller has made it Ready,
/// `watch_one` yields its own changes from now (not another Foo's, not its past), and
/// `wait_for` returns when a condition holds, including "it is gone".
#[tokio::test]
async fn waiting_for_and_watching_one_foo() {
    // With the controller, which makes Foos Ready.
    let server = Server::start();
    let foos = foos(&server).await;
    let limit = Duration::from_secs(30);

    let e = expect_err("ready of nothing", foos.wait_ready("nope").await);
    assert!(e.is_not_found(), "{e}");
    foos.create(&PostParams::default(), &Foo::new("w", FooSpec::new("Hi")))
        .await
        .unwrap();
    let ready = timeout(limit, foos.wait_ready("w")).await.unwrap().unwrap();
    assert!(ready.is_ready() && ready.is_reconciled(), "{ready:?}");

    let mut changes = Box::pin(foos.watch_one("w").await.unwrap());
    foos.create(
        &PostParams::default(),
        &Foo::new("other", FooSpec::new("Hi")),
    )
    .await
    .unwrap();
    foos.bar("w", &BarParams::new("you")).await.unwrap();
    let event = timeout(limit, changes.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(event.type_name(), "MODIFIED");
    assert_eq!(event.object().unwrap().name(), "w");
    assert_eq!(event.object().unwrap().bar_count(), 1);

    let bars = foos.wait_for("w", |foo| foo.is_some_and(|f| f.bar_count() >= 1));
    let found = timeout(limit, bars).await.unwrap().unwrap();
    assert_eq!(found.unwrap().bar_count(), 1);

    // A suspended Foo is not Ready: still waiting when the time is up.
    let patch = json!({"spec": {"suspend": true}});
    foos.patch("w", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let waited = timeout(Duration::from_secs(2), foos.wait_ready("w")).await;
    assert!(waited.is_err(), "{waited:?}");

    let gone = tokio::spawn({
        let foos = foos.clone();
        async move { foos.wait_for("w", |foo| foo.is_none()).await }
    });
    foos.delete("w", &DeleteParams::default()).await.unwrap();
    let gone = timeout(limit, gone).await.unwrap().unwrap().unwrap();
    assert!(gone.is_none());
    loop {
        let event = timeout(limit, changes.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(event.object().unwrap().name(), "w");
        if event.type_name() == "DELETED" {
            break;
        }
    }
}

/// `watch` from a list's resourceVersion sees ADDED, MODIFIED and DELETED in order, with
/// typed objects; selectors apply; a resourceVersion older than the server keeps is an
/// `Err` mapped to Expired (410).
#[tokio::test]
async fn typed_watch() {
    let server = start(&["--default-watch-cache-size", "3"]);
    let foos = foos(&server).await;
    let list = foos.list(&ListParams::default()).await.unwrap();
    let start_rv = list.metadata.resource_version.unwrap();
    let mut events = Box::pin(
        foos.watch(&WatchParams::default().timeout(60), &start_rv)
            .await
            .unwrap(),
    );
    let mut picky = Box::pin(
        foos.watch(&WatchParams::default().labels("pick=yes"), &start_rv)
            .await
            .unwrap(),
    );

    let pp = PostParams::default();
    foos.create(&pp, &Foo::new("w", FooSpec::new("Hi")))
        .await
        .unwrap();
    foos.create(&pp, &labelled("p", &[("pick", "yes")], FooSpec::default()))
        .await
        .unwrap();
    foos.bar("w", &BarParams::new("x")).await.unwrap();
    foos.delete("w", &DeleteParams::default()).await.unwrap();

    let added = next_event("added", &mut events).await.unwrap();
    assert_eq!(added.type_name(), "ADDED");
    let FooEvent::Added(foo) = &added else {
        panic!("{added:?}")
    };
    assert_eq!(foo.spec.greeting, "Hi");
    assert!(added.resource_version().is_some());
    let added_p = next_event("added p", &mut events).await.unwrap();
    assert!(
        matches!(&added_p, FooEvent::Added(f) if f.name() == "p"),
        "{added_p:?}"
    );
    let modified = next_event("modified", &mut events).await.unwrap();
    let FooEvent::Modified(foo) = &modified else {
        panic!("{modified:?}")
    };
    assert_eq!(foo.bar_count(), 1);
    let deleted = next_event("deleted", &mut events).await.unwrap();
    assert!(
        matches!(&deleted, FooEvent::Deleted(f) if f.name() == "w"),
        "{deleted:?}"
    );
    assert_eq!(deleted.object().unwrap().name(), "w");

    let picked = next_event("picked", &mut picky).await.unwrap();
    assert!(
        matches!(&picked, FooEvent::Added(f) if f.name() == "p"),
        "{picked:?}"
    );

    // More writes than the cache keeps: the start resourceVersion is now too old.
    for i in 0..5 {
        foos.create(&pp, &Foo::new(&format!("x{i}"), FooSpec::default()))
            .await
            .unwrap();
    }
    let mut old = Box::pin(
        foos.watch(&WatchParams::default(), &start_rv)
            .await
            .unwrap(),
    );
    let e = match next_event("expired", &mut old).await {
        Err(e) => e,
        Ok(event) => panic!("expected 410, got {event:?}"),
    };
    assert!(e.is_expired(), "{e:?}");
    assert_eq!(e.reason(), Some(Reason::Expired));
    assert_eq!(e.code(), Some(410));
}

/// The runtime watcher: initial list (InitApply … InitDone), then Apply and Delete.
#[tokio::test]
async fn runtime_watcher() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let pp = PostParams::default();
    foos.create(&pp, &Foo::new("before", FooSpec::default()))
        .await
        .unwrap();

    let mut events = Box::pin(foos.watcher(watcher::Config::default()));
    let mut initial = Vec::new();
    loop {
        match bounded("initial events", events.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            watcher::Event::Init => {}
            watcher::Event::InitApply(foo) => initial.push(foo.name().to_owned()),
            watcher::Event::InitDone => break,
            other => panic!("during the initial list: {other:?}"),
        }
    }
    assert_eq!(initial, ["before"]);

    foos.create(&pp, &Foo::new("after", FooSpec::new("Hey")))
        .await
        .unwrap();
    foos.delete("before", &DeleteParams::default())
        .await
        .unwrap();
    match bounded("apply", events.try_next()).await.unwrap().unwrap() {
        watcher::Event::Apply(foo) => assert_eq!(foo.spec.greeting, "Hey"),
        other => panic!("expected Apply, got {other:?}"),
    }
    match bounded("delete", events.try_next()).await.unwrap().unwrap() {
        watcher::Event::Delete(foo) => assert_eq!(foo.name(), "before"),
        other => panic!("expected Delete, got {other:?}"),
    }

    // watcher errors convert into foo_sdk::Error.
    let e: Error = watcher::Error::NoResourceVersion.into();
    assert!(matches!(e, Error::UnexpectedResponse(_)));
}

// ---------------------------------------------------------------------------------------------
// Discovery and authentication errors
// ---------------------------------------------------------------------------------------------

/// Aggregated discovery and the legacy documents describe the same resources; the group is
/// served, v1beta1 preferred.
#[tokio::test]
async fn discovery_aggregated_and_legacy() {
    let server = start(&[]);
    let foos = foos(&server).await;
    let client = foos.client().clone();

    let aggregated = foos.discover().await.unwrap().expect("the group is served");
    assert_eq!(aggregated.source, DiscoverySource::Aggregated);
    assert_eq!(aggregated.group, "demo.jeremyxu2010.me");
    assert_eq!(aggregated.preferred_version(), Some("v1beta1"));
    let resource = aggregated.resource("foos").unwrap();
    assert_eq!(resource.kind, "Foo");
    assert_eq!(resource.singular, "foo");
    assert!(!resource.namespaced);
    let mut verbs = resource.verbs.clone();
    verbs.sort();
    assert_eq!(
        verbs,
        [
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ]
    );
    assert_eq!(resource.short_names, ["fo"]);
    assert_eq!(resource.categories, ["demo"]);
    let bar = resource.subresource("bar").unwrap();
    assert_eq!(bar.kind, "FooBar");
    assert_eq!(bar.verbs, ["create"]);
    let status = resource.subresource("status").unwrap();
    assert_eq!(status.kind, "Foo");
    assert!(status.supports("patch") && status.supports("get") && status.supports("update"));

    let legacy = discovery::discover_legacy(&client).await.unwrap().unwrap();
    assert_eq!(legacy.source, DiscoverySource::Legacy);
    assert_eq!(legacy.preferred_version(), Some("v1beta1"));
    let sorted = |g: &discovery::GroupDiscovery| {
        let mut r = g.resource("foos").unwrap().clone();
        r.verbs.sort();
        r.subresources.sort_by(|a, b| a.name.cmp(&b.name));
        r
    };
    assert_eq!(sorted(&legacy), sorted(&aggregated));
    assert_eq!(
        discovery::discover_aggregated(&client).await.unwrap(),
        Some(aggregated)
    );

    // A document fetched by the caller (e.g. from a cache) reads the same.
    let request = http::Request::get("/apis")
        .header(http::header::ACCEPT, discovery::ACCEPT_AGGREGATED)
        .body(Vec::new())
        .unwrap();
    let document: discovery::APIGroupDiscoveryList = client.request(request).await.unwrap();
    assert_eq!(
        discovery::GroupDiscovery::from_aggregated(&document),
        foos.discover().await.unwrap()
    );
    let mut others = document.clone();
    others.items.retain(|g| {
        g.metadata.as_ref().and_then(|m| m.name.as_deref()) != Some("demo.jeremyxu2010.me")
    });
    assert_eq!(discovery::GroupDiscovery::from_aggregated(&others), None);

    assert!(foos.is_served().await.unwrap());
    assert!(discovery::is_served(&client).await.unwrap());
    assert_eq!(
        discovery::preferred_version(&client)
            .await
            .unwrap()
            .as_deref(),
        Some("v1beta1")
    );
}

/// A client without the kubeconfig's certificate is refused: Unauthorized (401).
#[tokio::test]
async fn unauthenticated_client_is_unauthorized() {
    let server = start(&[]);
    let mut kubeconfig = kube::config::Kubeconfig::read_from(server.kubeconfig()).unwrap();
    for user in &mut kubeconfig.auth_infos {
        if let Some(auth) = user.auth_info.as_mut() {
            auth.client_certificate = None;
            auth.client_certificate_data = None;
            auth.client_key = None;
            auth.client_key_data = None;
        }
    }
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let foos = FooApi::new(kube::Client::try_from(config).unwrap());
    let e = expect_err("anonymous get", foos.get("x").await);
    assert_eq!(e.reason(), Some(Reason::Unauthorized), "{e}");
    assert_eq!(e.code(), Some(401));
    let e = expect_err("anonymous table", foos.table(&ListParams::default()).await);
    assert_eq!(e.reason(), Some(Reason::Unauthorized), "{e}");
    let e = expect_err(
        "anonymous discovery",
        discovery::discover_legacy(foos.client()).await,
    );
    assert_eq!(e.reason(), Some(Reason::Unauthorized), "{e}");
}

/// A server that is not there: a transport error, with no reason.
#[tokio::test]
async fn unreachable_server_is_a_client_error() {
    let server = start(&[]);
    let client = server.client().await;
    drop(server);
    let foos = FooApi::new(client);
    let e = expect_err("no server", bounded("get", foos.get("x")).await);
    assert!(matches!(e, Error::Client(_)), "{e:?}");
    assert_eq!(e.reason(), None);
    assert!(e.causes().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The examples, run as a user would
// ---------------------------------------------------------------------------------------------

/// Waits for `child` for at most `limit`, killing it past that.
fn wait_output(mut child: Child, what: &str, limit: Duration) -> (bool, String, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            return (
                status.success(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn example(server: &Server, name: &str, args: &[&str]) -> Command {
    let mut command = common::cargo();
    command
        .args(["run", "-q", "-p", "foo-sdk", "--example", name, "--"])
        .args(args)
        .env("KUBECONFIG", server.kubeconfig())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run_example(server: &Server, name: &str, args: &[&str]) -> String {
    let child = example(server, name, args).spawn().unwrap();
    let (ok, stdout, stderr) = wait_output(child, name, Duration::from_secs(120));
    assert!(ok, "example {name} failed:\n{stderr}\n{stdout}");
    stdout
}

/// Every example builds as a program of its own would: a new crate outside the workspace
/// with the `[dependencies]` block of the SDK's README (foo-sdk by path), each example a
/// binary of it.
#[test]
fn examples_build_in_a_crate_of_their_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("sdk/README.md")).unwrap();
    let dependencies = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("a toml block in sdk/README.md");
    assert!(
        dependencies.starts_with("[dependencies]\n"),
        "{dependencies}"
    );
    let sdk = format!("foo-sdk = {{ path = {:?} }}", root.join("sdk"));
    let dependencies = dependencies.replace("foo-sdk = \"0.1\"", &sdk);
    assert!(dependencies.contains(&sdk), "{dependencies}");

    let program = tempfile::tempdir().unwrap();
    std::fs::write(
        program.path().join("Cargo.toml"),
        format!("[package]\nname = \"uses-foo-sdk\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{dependencies}\n[workspace]\n"),
    )
    .unwrap();
    // The workspace's versions, so that nothing new is fetched.
    std::fs::copy(root.join("Cargo.lock"), program.path().join("Cargo.lock")).unwrap();
    let bins = program.path().join("src/bin");
    std::fs::create_dir_all(&bins).unwrap();
    let mut examples = 0;
    for entry in std::fs::read_dir(root.join("sdk/examples")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, bins.join(path.file_name().unwrap())).unwrap();
        examples += 1;
    }
    assert!(examples >= 4);
    let build = common::cargo()
        .args(["build", "-q", "--bins", "--manifest-path"])
        .arg(program.path().join("Cargo.toml"))
        // Kept between runs (its own: the features differ from the workspace's).
        .env("CARGO_TARGET_DIR", root.join("target/outside-crate"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (ok, _, stderr) = wait_output(
        build,
        "building the outside crate",
        Duration::from_secs(1200),
    );
    assert!(
        ok,
        "the examples do not build outside the workspace:\n{stderr}"
    );
    // The block's k8s-openapi line reuses foo-sdk's: one build each of kube and k8s-openapi.
    let tree = common::cargo()
        .args([
            "tree",
            "-q",
            "--offline",
            "--duplicates",
            "-e",
            "normal",
            "--manifest-path",
        ])
        .arg(program.path().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let duplicates = String::from_utf8_lossy(&tree.stdout);
    for krate in ["kube", "kube-client", "kube-core", "k8s-openapi"] {
        assert!(
            !duplicates
                .lines()
                .any(|line| line.starts_with(&format!("{krate} v"))),
            "{krate} is built twice:\n{duplicates}"
        );
    }
}

/// Each example in `sdk/examples` runs against the server through `KUBECONFIG` and prints
/// what its doc comment says.
#[tokio::test(flavor = "multi_thread")]
async fn examples_print_what_they_say() {
    // Build first, with room for a cold build; each run then starts at once.
    let building = BUILDING_EXAMPLES.write().unwrap_or_else(|e| e.into_inner());
    let build = common::cargo()
        .args(["build", "-q", "-p", "foo-sdk", "--examples"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (ok, _, stderr) = wait_output(build, "building the examples", Duration::from_secs(900));
    assert!(ok, "building the examples failed:\n{stderr}");
    drop(building);

    let server = start(&[]);
    let foos = foos(&server).await;

    assert_eq!(run_example(&server, "list", &[]), "No Foos found.\n");
    assert_eq!(run_example(&server, "table", &[]), "No resources found\n");

    let out = run_example(&server, "create_and_bar", &[]);
    assert_eq!(
        out,
        "created Foo example with greeting \"Hello\"\n\
         dry run: \"Hello, sdk\" (barCount stays 0)\n\
         bar: \"Hello, sdk\" (barCount is now 1)\n"
    );
    let out = run_example(&server, "create_and_bar", &[]);
    assert_eq!(
        out,
        "Foo example already exists with greeting \"Hello\"\n\
         dry run: \"Hello, sdk\" (barCount stays 1)\n\
         bar: \"Hello, sdk\" (barCount is now 2)\n"
    );
    assert_eq!(foos.get("example").await.unwrap().bar_count(), 2);

    // With the controller, which makes Foos Ready.
    let controlled = Server::start();
    assert_eq!(
        run_example(&controlled, "wait_ready", &[]),
        "waiting is Ready (Reconciled)\nbar: \"Hello, sdk\"; the status now counts 1 bar(s)\n"
    );

    let out = run_example(&server, "list", &[]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec!["NAME", "GREETING", "BARS", "READY", "SUSPENDED"],
            vec!["example", "Hello", "2", "false", "false"],
            vec!["1", "Foo(s)"],
        ],
        "{out}"
    );

    // More Foos than one page of the table example (10 a page).
    for i in 0..11 {
        foos.create(
            &PostParams::default(),
            &Foo::new(&format!("page{i:02}"), FooSpec::new("Yo")),
        )
        .await
        .unwrap();
    }
    let out = run_example(&server, "table", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 14, "{out}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "GREETING", "BARS", "READY", "AGE"]
    );
    assert_eq!(
        lines[1].split_whitespace().take(4).collect::<Vec<_>>(),
        ["example", "Hello", "2", "Unknown"]
    );
    assert!(
        lines[13].starts_with("12 row(s), resourceVersion "),
        "{out}"
    );
    let out = run_example(&server, "table", &["--wide"]);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("SUSPENDED   LAST BAR   MESSAGE"),
        "{out}"
    );
    assert!(out.contains("Hello, sdk"), "{out}");

    // watch: the initial list, then two changes, then it exits by itself.
    let mut child = example(&server, "watch", &["2"]).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let next = |lines: &mut Vec<String>| {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("watch example: no more output after {lines:?}"));
        lines.push(line.clone());
        line
    };
    while !next(&mut lines).starts_with("synced:") {}
    assert_eq!(lines.len(), 13, "{lines:?}");
    assert_eq!(lines[0], "existing: example (greeting \"Hello\", 2 bars)");
    assert_eq!(lines[12], "synced: 12 existing Foo(s)");
    foos.create(
        &PostParams::default(),
        &Foo::new("watched", FooSpec::new("Hi")),
    )
    .await
    .unwrap();
    assert_eq!(
        next(&mut lines),
        "applied: watched (greeting \"Hi\", 0 bars)"
    );
    foos.delete("watched", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(next(&mut lines), "deleted: watched");
    let (ok, _, stderr) = wait_output(child, "watch example", Duration::from_secs(30));
    assert!(ok, "watch example failed: {stderr}");
}
