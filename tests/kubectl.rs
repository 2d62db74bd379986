//! Every versioned kubectl on the machine (`kubectl.1.27` … `kubectl.1.33`) against a real
//! `foo-apiserver local`: discovery, create/get/replace/delete, selectors, chunked lists,
//! explain, kube-apiserver's error wording, and persistence across `kill -9`.
//!
//! Each test function has its own server; inside it the kubectl versions run one after the
//! other, each with names of its own (`foo-127-a`, …). A failing version does not hide the
//! others: every version runs, and the test fails at the end naming each failing version.

mod common;

use std::collections::BTreeSet;

use std::path::PathBuf;

use common::run::{Run, fails, ok, stderr};
use common::{Kubectl, Server, each_kubectl, tag};
use serde_json::Value;

const GROUP: &str = "demo.jeremyxu2010.me";
const GROUP_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";

/// Runs kubectl with every HTTP request bounded, so no test can hang.
fn run(kubectl: &Kubectl, server: &Server, args: &[&str]) -> Run {
    let mut all = vec!["--request-timeout=60s"];
    all.extend_from_slice(args);
    Run {
        command: format!("kubectl.{} {}", kubectl.version, args.join(" ")),
        output: kubectl.run(&server.kubeconfig(), &all),
    }
}

/// Writes a manifest into the server's temporary directory.
fn manifest(server: &Server, file: &str, contents: &str) -> PathBuf {
    let path = server.dir.path().join(file);
    std::fs::write(&path, contents).expect("write manifest");
    path
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A Foo manifest; `labels` and `spec` are YAML fragments already indented for their place.
fn foo_yaml(name: &str, labels: &[(&str, &str)], spec: &str) -> String {
    let mut yaml = format!("apiVersion: {GROUP_VERSION}\nkind: Foo\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        yaml.push_str("  labels:\n");
        for (key, value) in labels {
            yaml.push_str(&format!("    {key}: \"{value}\"\n"));
        }
    }
    yaml.push_str(spec);
    yaml
}

/// The seed manifest of the original blog post, under a per-version name.
fn seed_yaml(name: &str) -> String {
    format!(
        "apiVersion: {GROUP_VERSION}\nkind: Foo\nmetadata:\n  name: {name}\n  namespace: test\nspec: {{}}\n"
    )
}

/// `kubectl get foo NAME -o json`, parsed.
fn get_json(kubectl: &Kubectl, server: &Server, name: &str) -> Value {
    let out = ok(&run(kubectl, server, &["get", "foo", name, "-o", "json"]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("get foo {name} -o json: {e}\n{out}"))
}

/// The names `kubectl get foos -o name ARGS…` prints (without the `foo.<group>/` prefix).
fn names(kubectl: &Kubectl, server: &Server, args: &[&str]) -> Vec<String> {
    let mut all = vec!["get", "foos", "-o", "name"];
    all.extend_from_slice(args);
    let out = ok(&run(kubectl, server, &all));
    out.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.strip_prefix(&format!("foo.{GROUP}/"))
                .unwrap_or_else(|| panic!("unexpected -o name line {line:?} in\n{out}"))
                .to_string()
        })
        .collect()
}

fn name_set(kubectl: &Kubectl, server: &Server, args: &[&str]) -> BTreeSet<String> {
    names(kubectl, server, args).into_iter().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Collapses runs of whitespace, so table headers compare independently of column widths.
fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The table row whose first column is `name`, split on whitespace.
fn row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
        .parse()
        .unwrap_or_else(|e| panic!("resourceVersion not an integer ({e}) in {object}"))
}

#[test]
fn discovery_api_resources_and_api_versions() {
    let server = Server::start();
    each_kubectl(|k| {
        let out = ok(&run(k, &server, &["api-resources", "--api-group", GROUP]));
        let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            squash(lines[0]),
            "NAME SHORTNAMES APIVERSION NAMESPACED KIND",
            "api-resources header:\n{out}"
        );
        assert_eq!(
            lines.len(),
            2,
            "only foos (no subresources) expected:\n{out}"
        );
        assert_eq!(
            row(&out, "foos"),
            ["foos", "fo", GROUP_VERSION, "false", "Foo"],
            "api-resources row:\n{out}"
        );

        let wide = ok(&run(
            k,
            &server,
            &["api-resources", "--api-group", GROUP, "-o", "wide"],
        ));
        assert!(
            squash(wide.lines().next().unwrap_or_default()).contains("KIND VERBS"),
            "api-resources -o wide header:\n{wide}"
        );
        assert!(
            row(&wide, "foos")
                .contains(&"create,delete,deletecollection,get,list,patch,update,watch"),
            "api-resources -o wide verbs:\n{wide}"
        );

        let cluster = ok(&run(
            k,
            &server,
            &["api-resources", "--namespaced=false", "-o", "name"],
        ));
        assert!(
            cluster.lines().any(|l| l == format!("foos.{GROUP}")),
            "--namespaced=false lists foos:\n{cluster}"
        );
        let namespaced = ok(&run(
            k,
            &server,
            &["api-resources", "--namespaced=true", "-o", "name"],
        ));
        assert!(
            !namespaced.contains("foos"),
            "--namespaced=true must not list foos:\n{namespaced}"
        );

        let versions = ok(&run(k, &server, &["api-versions"]));
        assert!(
            versions.lines().any(|l| l.trim() == GROUP_VERSION),
            "api-versions:\n{versions}"
        );
    });
}

#[test]
fn create_and_get_in_every_output_format() {
    let server = Server::start();
    each_kubectl(|k| {
        let t = tag(k);
        let seed = format!("foo-{t}-a");
        let labelled = format!("foo-{t}-b");

        // The blog post's seed manifest: its namespace is dropped on a cluster-scoped kind.
        let seed_file = manifest(&server, &format!("{seed}.yaml"), &seed_yaml(&seed));
        let out = ok(&run(k, &server, &["create", "-f", path_str(&seed_file)]));
        assert_eq!(
            out.trim(),
            format!("foo.{GROUP}/{seed} created"),
            "create -f output"
        );
        let yaml = ok(&run(k, &server, &["get", "foo", &seed, "-o", "yaml"]));
        assert!(
            !yaml.contains("namespace:"),
            "a cluster-scoped Foo has no namespace:\n{yaml}"
        );
        for expected in [
            format!("apiVersion: {GROUP_VERSION}"),
            "kind: Foo".to_string(),
            format!("name: {seed}"),
            "generation: 1".to_string(),
            "greeting: Hello".to_string(),
            "suspend: false".to_string(),
            "uid: ".to_string(),
            "creationTimestamp: ".to_string(),
            "resourceVersion: ".to_string(),
        ] {
            assert!(
                yaml.contains(&expected),
                "-o yaml lacks {expected:?}:\n{yaml}"
            );
        }

        // A manifest with labels and a greeting.
        let labelled_file = manifest(
            &server,
            &format!("{labelled}.yaml"),
            &foo_yaml(
                &labelled,
                &[("app", "demo"), ("tier", &t)],
                "spec:\n  greeting: Howdy\n",
            ),
        );
        ok(&run(
            k,
            &server,
            &["create", "-f", path_str(&labelled_file)],
        ));

        // -o json: server-set metadata.
        let json = get_json(k, &server, &labelled);
        assert_eq!(json["apiVersion"], GROUP_VERSION, "{json}");
        assert_eq!(json["kind"], "Foo", "{json}");
        assert_eq!(json["metadata"]["name"], labelled.as_str(), "{json}");
        assert!(
            json["metadata"]["uid"]
                .as_str()
                .is_some_and(|u| u.len() == 36),
            "uid: {json}"
        );
        assert!(
            json["metadata"]["creationTimestamp"]
                .as_str()
                .is_some_and(|c| c.ends_with('Z')),
            "creationTimestamp: {json}"
        );
        assert_eq!(json["metadata"]["generation"], 1, "{json}");
        assert!(rv(&json) > 0, "{json}");
        assert!(json["metadata"].get("namespace").is_none(), "{json}");
        assert_eq!(json["metadata"]["labels"]["app"], "demo", "{json}");
        assert_eq!(json["metadata"]["labels"]["tier"], t.as_str(), "{json}");
        assert_eq!(json["spec"]["greeting"], "Howdy", "{json}");
        assert_eq!(json["spec"]["suspend"], false, "{json}");
        let seed_json = get_json(k, &server, &seed);
        assert_ne!(
            seed_json["metadata"]["uid"], json["metadata"]["uid"],
            "uids are unique"
        );

        // The server-side table, by plural and by short name.
        for resource in ["foos", "fo"] {
            let table = ok(&run(
                k,
                &server,
                &["get", resource, "-l", &format!("tier={t}")],
            ));
            assert_eq!(
                squash(table.lines().next().unwrap_or_default()),
                "NAME GREETING BARS READY AGE",
                "get {resource} header:\n{table}"
            );
            let cells = row(&table, &labelled);
            assert_eq!(cells.len(), 5, "get {resource}:\n{table}");
            assert_eq!(cells[1..3], ["Howdy", "0"], "get {resource}:\n{table}");
            assert!(ready(cells[3]), "get {resource}:\n{table}");
        }
        let table = ok(&run(k, &server, &["get", "foos"]));
        let cells = row(&table, &seed);
        assert_eq!(cells[1..3], ["Hello", "0"], "get foos:\n{table}");
        assert!(ready(cells[3]), "get foos:\n{table}");
        assert!(
            cells[4].ends_with('s') || cells[4].ends_with('m'),
            "AGE of a new Foo: {table}"
        );

        let wide = ok(&run(k, &server, &["get", "foos", "-o", "wide"]));
        assert_eq!(
            squash(wide.lines().next().unwrap_or_default()),
            "NAME GREETING BARS READY AGE SUSPENDED LAST BAR MESSAGE",
            "get foos -o wide header:\n{wide}"
        );
        let cells = row(&wide, &seed);
        assert_eq!(cells[1..3], ["Hello", "0"], "-o wide:\n{wide}");
        assert!(ready(cells[3]), "-o wide:\n{wide}");
        assert_eq!(cells[5..], ["false", "<none>"], "-o wide:\n{wide}");

        // -o name, and get by name.
        let listed = names(k, &server, &[]);
        assert!(
            listed.contains(&seed) && listed.contains(&labelled),
            "{listed:?}"
        );
        let one = ok(&run(k, &server, &["get", "foo", &seed]));
        assert_eq!(one.lines().count(), 2, "get foo NAME:\n{one}");
        assert_eq!(row(&one, &seed)[1], "Hello", "get foo NAME:\n{one}");
        let one = ok(&run(k, &server, &["get", "fo", &labelled, "-o", "name"]));
        assert_eq!(one.trim(), format!("foo.{GROUP}/{labelled}"));
    });
}

#[test]
fn label_and_field_selectors() {
    let server = Server::start();
    each_kubectl(|k| {
        let t = tag(k);
        let n = |s: &str| format!("sel-{t}-{s}");
        let mut docs = Vec::new();
        for app in ["x", "y", "z"] {
            docs.push(foo_yaml(&n(app), &[("app", app), ("kv", &t)], "spec: {}\n"));
        }
        docs.push(foo_yaml(&n("none"), &[("kv", &t)], "spec: {}\n"));
        let file = manifest(&server, &format!("sel-{t}.yaml"), &docs.join("---\n"));
        ok(&run(k, &server, &["create", "-f", path_str(&file)]));

        let kv = format!("kv={t}");
        let with = |selector: &str| format!("{selector},{kv}");
        let expect = |selector: String, want: &[&str]| {
            let want: BTreeSet<String> = want.iter().map(|s| n(s)).collect();
            assert_eq!(
                name_set(k, &server, &["-l", &selector]),
                want,
                "get foos -l '{selector}'"
            );
        };
        expect(kv.clone(), &["x", "y", "z", "none"]);
        expect(with("app=x"), &["x"]);
        expect(with("app==x"), &["x"]);
        expect(with("app in (x,y)"), &["x", "y"]);
        expect(with("app notin (x)"), &["y", "z", "none"]);
        expect(with("!app"), &["none"]);
        expect(with("app"), &["x", "y", "z"]);
        expect(with("app!=x"), &["y", "z", "none"]);

        // Nothing matches: kubectl says so on stderr.
        let out = run(k, &server, &["get", "foos", "-l", &with("app=nobody")]);
        assert_eq!(ok(&out).trim(), "");
        assert!(
            stderr(&out).contains("No resources found"),
            "{}",
            stderr(&out)
        );

        // Field selectors.
        let by_name = format!("metadata.name={}", n("x"));
        assert_eq!(
            name_set(k, &server, &["--field-selector", &by_name]),
            set(&[&n("x")]),
            "--field-selector {by_name}"
        );
        let not_name = format!("metadata.name!={}", n("x"));
        assert_eq!(
            name_set(k, &server, &["--field-selector", &not_name, "-l", &kv]),
            set(&[&n("y"), &n("z"), &n("none")]),
            "--field-selector {not_name} -l {kv}"
        );
        assert_eq!(
            name_set(
                k,
                &server,
                &["--field-selector", &by_name, "-l", &with("app=y")]
            ),
            BTreeSet::new(),
            "field and label selectors are ANDed"
        );
        let table = ok(&run(
            k,
            &server,
            &["get", "foos", "--field-selector", &by_name],
        ));
        assert_eq!(row(&table, &n("x"))[1], "Hello", "{table}");

        let err = fails(&run(
            k,
            &server,
            &["get", "foos", "--field-selector", "spec.greeting=x"],
        ));
        assert!(
            err.contains("Error from server (BadRequest)")
                && err.contains("field label not supported: spec.greeting"),
            "unsupported field selector:\n{err}"
        );
    });
}

#[test]
fn chunked_list_returns_every_object_once() {
    let server = Server::start();
    each_kubectl(|k| {
        let t = tag(k);
        // Start from an empty server, whatever an earlier version left behind.
        ok(&run(
            k,
            &server,
            &["delete", "foos", "--all", "--timeout=60s"],
        ));

        let expected: BTreeSet<String> = (0..12).map(|i| format!("chunk-{t}-{i:02}")).collect();
        let docs: Vec<String> = expected
            .iter()
            .map(|name| foo_yaml(name, &[("kv", &t)], "spec: {}\n"))
            .collect();
        let file = manifest(&server, &format!("chunk-{t}.yaml"), &docs.join("---\n"));
        let created = ok(&run(k, &server, &["create", "-f", path_str(&file)]));
        assert_eq!(created.lines().count(), 12, "{created}");

        // -o name in chunks of 5: every object exactly once, over several requests.
        let out = run(
            k,
            &server,
            &["get", "foos", "--chunk-size", "5", "-o", "name", "-v=6"],
        );
        let listed: Vec<String> = ok(&out)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_start_matches(&format!("foo.{GROUP}/")).to_string())
            .collect();
        assert_eq!(
            listed.len(),
            12,
            "get foos --chunk-size 5 -o name: {listed:?}"
        );
        assert_eq!(
            listed.iter().cloned().collect::<BTreeSet<_>>(),
            expected,
            "get foos --chunk-size 5 -o name"
        );
        let log = stderr(&out);
        let requests: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("/foos?") && l.contains("limit=5"))
            .collect();
        assert!(
            requests.len() >= 3,
            "12 objects in chunks of 5 take 3 list requests:\n{log}"
        );
        assert!(
            requests.iter().any(|l| l.contains("continue=")),
            "later chunks carry a continue token:\n{log}"
        );

        // The table in chunks of 5: one header, every row once.
        let table = ok(&run(k, &server, &["get", "foos", "--chunk-size", "5"]));
        let lines: Vec<&str> = table.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("NAME")).count(),
            1,
            "one header:\n{table}"
        );
        let rows: Vec<String> = lines[1..]
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(rows.len(), 12, "get foos --chunk-size 5:\n{table}");
        assert_eq!(
            rows.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{table}"
        );

        // A chunked, label-selected list.
        assert_eq!(
            names(k, &server, &["--chunk-size", "5", "-l", &format!("kv={t}")]).len(),
            12
        );

        ok(&run(
            k,
            &server,
            &["delete", "foos", "--all", "--timeout=60s"],
        ));
        assert!(names(k, &server, &[]).is_empty(), "delete foos --all");
    });
}

#[test]
fn explain_foos() {
    let server = Server::start();
    each_kubectl(|k| {
        let out = squash(&ok(&run(k, &server, &["explain", "foos"])));
        for expected in [
            "KIND: Foo",
            "VERSION: v1beta1",
            "spec",
            "status",
            "metadata",
        ] {
            assert!(
                out.contains(expected),
                "explain foos lacks {expected:?}:\n{out}"
            );
        }

        let out = ok(&run(k, &server, &["explain", "foos.spec"]));
        for expected in ["greeting", "suspend", "Hello"] {
            assert!(
                out.contains(expected),
                "explain foos.spec lacks {expected:?}:\n{out}"
            );
        }

        let out = ok(&run(k, &server, &["explain", "foos.status.conditions"]));
        for expected in [
            "lastTransitionTime",
            "message",
            "observedGeneration",
            "reason",
            "status",
            "type",
        ] {
            assert!(
                out.contains(expected),
                "explain foos.status.conditions lacks {expected:?}:\n{out}"
            );
        }

        let out = ok(&run(k, &server, &["explain", "fo.status"]));
        assert!(out.contains("barCount"), "explain fo.status:\n{out}");
    });
}

#[test]
fn replace_and_delete() {
    let server = Server::start();
    each_kubectl(|k| {
        let t = tag(k);
        let a = format!("foo-{t}-a");
        let b = format!("foo-{t}-b");
        let c = format!("foo-{t}-c");
        for name in [&a, &b, &c] {
            let file = manifest(
                &server,
                &format!("{name}.yaml"),
                &foo_yaml(name, &[], "spec:\n  greeting: Hello\n"),
            );
            ok(&run(k, &server, &["create", "-f", path_str(&file)]));
        }
        let before = get_json(k, &server, &a);

        // replace: a new greeting (and a status the main resource must ignore).
        let changed = manifest(
            &server,
            &format!("{a}-changed.yaml"),
            &foo_yaml(
                &a,
                &[],
                "spec:\n  greeting: Bonjour\nstatus:\n  barCount: 99\n  lastMessage: forged\n",
            ),
        );
        let out = ok(&run(k, &server, &["replace", "-f", path_str(&changed)]));
        assert_eq!(out.trim(), format!("foo.{GROUP}/{a} replaced"));
        let after = get_json(k, &server, &a);
        assert_eq!(after["spec"]["greeting"], "Bonjour", "{after}");
        assert_eq!(after["metadata"]["generation"], 2, "{after}");
        assert_eq!(
            after["metadata"]["uid"], before["metadata"]["uid"],
            "{after}"
        );
        assert_eq!(
            after["metadata"]["creationTimestamp"], before["metadata"]["creationTimestamp"],
            "{after}"
        );
        assert!(rv(&after) > rv(&before), "{before}\n{after}");
        for field in ["barCount", "lastMessage", "lastBarTime"] {
            assert_eq!(
                after["status"].get(field),
                before["status"].get(field),
                "replace must not change status.{field}: {after}"
            );
        }
        let table = ok(&run(k, &server, &["get", "foo", &a]));
        assert_eq!(row(&table, &a)[1..3], ["Bonjour", "0"], "{table}");

        // The same spec again: no new generation.
        ok(&run(k, &server, &["replace", "-f", path_str(&changed)]));
        let again = get_json(k, &server, &a);
        assert_eq!(again["metadata"]["generation"], 2, "{again}");
        assert_eq!(again["spec"]["greeting"], "Bonjour", "{again}");

        // delete by name.
        let out = ok(&run(k, &server, &["delete", "foo", &a, "--timeout=60s"]));
        assert_eq!(out.trim(), format!("foo.{GROUP} \"{a}\" deleted"));
        let err = fails(&run(k, &server, &["get", "foo", &a]));
        assert!(
            err.contains(&format!("foos.{GROUP} \"{a}\" not found")),
            "{err}"
        );

        // delete -f.
        let b_file = server.dir.path().join(format!("{b}.yaml"));
        let out = ok(&run(
            k,
            &server,
            &["delete", "-f", path_str(&b_file), "--timeout=60s"],
        ));
        assert_eq!(out.trim(), format!("foo.{GROUP} \"{b}\" deleted"));
        assert_eq!(names(k, &server, &[]), std::slice::from_ref(&c));

        // delete --all.
        let out = ok(&run(
            k,
            &server,
            &["delete", "foos", "--all", "--timeout=60s"],
        ));
        assert_eq!(out.trim(), format!("foo.{GROUP} \"{c}\" deleted"));
        let out = run(k, &server, &["get", "foos"]);
        assert_eq!(ok(&out).trim(), "");
        assert!(
            stderr(&out).contains("No resources found"),
            "{}",
            stderr(&out)
        );
        let err = fails(&run(k, &server, &["delete", "foo", &c]));
        assert!(
            err.contains(&format!(
                "Error from server (NotFound): foos.{GROUP} \"{c}\" not found"
            )),
            "{err}"
        );
    });
}

#[test]
fn errors_use_kube_apiserver_wording_and_change_nothing() {
    // No controller: its status writes would change the Foos between the reads compared.
    let server = Server::start_with(&["--controller=false"]);
    each_kubectl(|k| {
        let t = tag(k);

        // AlreadyExists: the second create (another greeting) changes nothing.
        let name = format!("err-{t}-dup");
        let first = manifest(
            &server,
            &format!("{name}.yaml"),
            &foo_yaml(&name, &[], "spec:\n  greeting: First\n"),
        );
        ok(&run(k, &server, &["create", "-f", path_str(&first)]));
        let before = get_json(k, &server, &name);
        let second = manifest(
            &server,
            &format!("{name}-2.yaml"),
            &foo_yaml(&name, &[], "spec:\n  greeting: Second\n"),
        );
        let err = fails(&run(k, &server, &["create", "-f", path_str(&second)]));
        assert!(
            err.contains("Error from server (AlreadyExists)")
                && err.contains(&format!("foos.{GROUP} \"{name}\" already exists")),
            "create twice:\n{err}"
        );
        assert_eq!(
            get_json(k, &server, &name),
            before,
            "a failed create changed the Foo"
        );

        // NotFound.
        let err = fails(&run(k, &server, &["get", "foo", "missing"]));
        assert_eq!(
            err.trim(),
            format!("Error from server (NotFound): foos.{GROUP} \"missing\" not found")
        );

        let absent = |name: &str| {
            assert!(
                !names(k, &server, &[]).contains(&name.to_string()),
                "a rejected create stored {name}"
            );
        };

        // Invalid greetings: too long, control characters.
        let long = format!("err-{t}-long");
        let file = manifest(
            &server,
            &format!("{long}.yaml"),
            &foo_yaml(
                &long,
                &[],
                &format!("spec:\n  greeting: {}\n", "a".repeat(257)),
            ),
        );
        let err = fails(&run(k, &server, &["create", "-f", path_str(&file)]));
        assert!(
            err.contains(&format!("The Foo \"{long}\" is invalid: spec.greeting")),
            "257-character greeting:\n{err}"
        );
        absent(&long);

        let control = format!("err-{t}-ctl");
        let file = manifest(
            &server,
            &format!("{control}.yaml"),
            &foo_yaml(&control, &[], "spec:\n  greeting: \"bell\\u0007\"\n"),
        );
        let err = fails(&run(k, &server, &["create", "-f", path_str(&file)]));
        assert!(
            err.contains(&format!("The Foo \"{control}\" is invalid: spec.greeting")),
            "greeting with a control character:\n{err}"
        );
        absent(&control);

        // An invalid name.
        let file = manifest(
            &server,
            &format!("bad-{t}.yaml"),
            &foo_yaml("Bad_Name", &[], "spec: {}\n"),
        );
        let err = fails(&run(k, &server, &["create", "-f", path_str(&file)]));
        assert!(
            err.contains(
                "The Foo \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""
            ),
            "invalid name:\n{err}"
        );
        absent("Bad_Name");

        // An unknown field: strict by default, dropped with --validate=false, a warning with warn.
        let bogus = |name: &str| {
            manifest(
                &server,
                &format!("{name}.yaml"),
                &foo_yaml(name, &[], "spec:\n  greeting: Hi\n  bogus: 1\n"),
            )
        };
        let strict = format!("err-{t}-strict");
        let file = bogus(&strict);
        let err = fails(&run(k, &server, &["create", "-f", path_str(&file)]));
        assert!(
            err.contains("Error from server (BadRequest)")
                && err.contains("strict decoding error: unknown field \"spec.bogus\""),
            "create -f with spec.bogus:\n{err}"
        );
        absent(&strict);

        let lax = format!("err-{t}-lax");
        let file = bogus(&lax);
        let out = run(
            k,
            &server,
            &["create", "-f", path_str(&file), "--validate=false"],
        );
        assert_eq!(ok(&out).trim(), format!("foo.{GROUP}/{lax} created"));
        let json = get_json(k, &server, &lax);
        assert_eq!(json["spec"]["greeting"], "Hi", "{json}");
        assert!(
            json["spec"].get("bogus").is_none(),
            "unknown field kept: {json}"
        );

        let warned = format!("err-{t}-warn");
        let file = bogus(&warned);
        let out = run(
            k,
            &server,
            &["create", "-f", path_str(&file), "--validate=warn"],
        );
        assert_eq!(ok(&out).trim(), format!("foo.{GROUP}/{warned} created"));
        assert!(
            stderr(&out).contains("Warning: unknown field \"spec.bogus\""),
            "--validate=warn:\n{}",
            stderr(&out)
        );
        let json = get_json(k, &server, &warned);
        assert!(
            json["spec"].get("bogus").is_none(),
            "unknown field kept: {json}"
        );
    });
}

/// YAML as kube-apiserver and kubectl write it (both through sigs.k8s.io/yaml): the server's
/// `application/yaml` answer is byte for byte what each kubectl writes of the same object
/// with `-o yaml --show-managed-fields`, for an object whose strings take every YAML style
/// (and whose last-applied annotation is a long JSON text).
#[test]
fn yaml_is_written_as_kubernetes_writes_it() {
    let server = Server::start_with(&["--controller=false"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime.block_on(server.client());
    each_kubectl(|kubectl| {
        let name = format!("yaml-{}", tag(kubectl));
        let file = manifest(
            &server,
            &format!("{name}.json"),
            &common::foo_of_every_yaml_style(&name),
        );
        ok(&run(kubectl, &server, &["apply", "-f", path_str(&file)]));
        let kubectls = ok(&run(
            kubectl,
            &server,
            &["get", "foos", &name, "-o", "yaml", "--show-managed-fields"],
        ));
        let request = http::Request::get(format!("/apis/{GROUP_VERSION}/foos/{name}"))
            .header("Accept", "application/yaml")
            .body(Vec::new())
            .expect("request");
        let servers = runtime
            .block_on(client.request_text(request))
            .expect("the server's YAML");
        assert_eq!(servers, kubectls, "the server's YAML, then kubectl's");
    });
}

#[test]
fn objects_survive_kill_9() {
    let mut server = Server::start();
    let mut stored: Vec<Value> = Vec::new();
    each_kubectl(|k| {
        let t = tag(k);
        let seed = format!("foo-{t}-a");
        let labelled = format!("foo-{t}-b");
        let docs = [
            seed_yaml(&seed),
            foo_yaml(&labelled, &[("app", "demo")], "spec:\n  greeting: Howdy\n"),
        ];
        let file = manifest(&server, &format!("persist-{t}.yaml"), &docs.join("---\n"));
        ok(&run(k, &server, &["create", "-f", path_str(&file)]));
        stored.push(get_json(k, &server, &seed));
        stored.push(get_json(k, &server, &labelled));
    });
    let highest = stored.iter().map(rv).max().expect("objects were created");

    server = server.kill_and_restart();

    let mut created = Vec::new();
    each_kubectl(|k| {
        for before in &stored {
            let name = before["metadata"]["name"].as_str().expect("name");
            let after = get_json(k, &server, name);
            assert_eq!(after, *before, "{name} changed across kill -9");
        }
        let out = ok(&run(k, &server, &["get", "foos", "-o", "json"]));
        let list: Value = serde_json::from_str(&out).expect("list json");
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(stored.len() + created.len()),
            "get foos -o json after restart"
        );

        let name = format!("foo-{}-after", tag(k));
        let file = manifest(
            &server,
            &format!("{name}.yaml"),
            &foo_yaml(&name, &[], "spec: {}\n"),
        );
        ok(&run(k, &server, &["create", "-f", path_str(&file)]));
        let fresh = get_json(k, &server, &name);
        assert!(
            rv(&fresh) > highest,
            "a create after restart got resourceVersion {} not above {highest}",
            rv(&fresh)
        );
        assert!(
            stored
                .iter()
                .all(|o| o["metadata"]["uid"] != fresh["metadata"]["uid"]),
            "a new uid after restart"
        );
        created.push(fresh);
    });

    // Those creates are durable too.
    server = server.kill_and_restart();
    each_kubectl(|k| {
        for before in stored.iter().chain(&created) {
            let name = before["metadata"]["name"].as_str().expect("name");
            assert_eq!(
                get_json(k, &server, name),
                *before,
                "{name} after a second kill -9"
            );
        }
    });
}

/// The READY cell: `Unknown` until the controller of `local` has reconciled the Foo, then
/// `True`.
fn ready(cell: &str) -> bool {
    matches!(cell, "Unknown" | "True")
}
