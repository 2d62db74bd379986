//! Every versioned kubectl on the machine (`kubectl.1.27` … `kubectl.1.33`) writing to a real
//! `foo-apiserver local`: client-side and server-side apply (with a field-manager conflict),
//! `edit` through an `EDITOR` script, `patch` of every type, `label`, `annotate`, `replace`,
//! `delete` with waiting and finalizers, `wait --for=delete`, and `get -w`.
//!
//! The expectations are what kube-apiserver answers for the same requests; the server runs
//! with `--controller=false`, so that only kubectl writes. As in `tests/kubectl.rs`, each
//! test function has its own server, the kubectl versions run one after the other with names
//! of their own, and the test fails at the end naming each failing version.

mod common;

use std::io::{BufRead, BufReader, Read};

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::run::{Run, fails, ok, stderr};
use common::{Kubectl, Server, each_kubectl, tag};
use serde_json::{Value, json};

const GROUP: &str = "demo.jeremyxu2010.me";
const GROUP_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
const HOLD: &str = "demo.jeremyxu2010.me/hold";

/// A server without the built-in controller: its status writes would race the
/// "nothing changed" checks and add rows to `get -w`. What is tested here is the API alone.
fn server() -> Server {
    Server::start_with(&["--controller=false"])
}

/// Runs kubectl with every HTTP request bounded, so no test can hang.
fn run(kubectl: &Kubectl, server: &Server, args: &[&str]) -> Run {
    run_env(kubectl, server, args, &[])
}

/// As `run`, with extra environment variables (e.g. `EDITOR`).
fn run_env(kubectl: &Kubectl, server: &Server, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut command = kubectl.command(&server.kubeconfig());
    command
        .arg("--request-timeout=60s")
        .args(args)
        .env_remove("KUBE_EDITOR")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let env_text: String = env
        .iter()
        .map(|(k, v)| format!("{k}={} ", v.display()))
        .collect();
    Run {
        command: format!("{env_text}kubectl.{} {}", kubectl.version, args.join(" ")),
        output: command.output().expect("run kubectl"),
    }
}

/// Asserts that a command succeeded and printed exactly `expected` (one line).
fn prints(run: &Run, expected: &str) {
    let out = ok(run);
    assert_eq!(
        out.trim(),
        expected,
        "`{}` printed this (stderr: {})",
        run.command,
        stderr(run)
    );
}

/// Asserts that `text` contains `needle`, naming the command.
fn says(run: &Run, text: &str, needle: &str) {
    assert!(
        text.contains(needle),
        "`{}`: expected {needle:?} in:\n{text}",
        run.command
    );
}

/// Writes a file into the server's temporary directory.
fn manifest(server: &Server, file: &str, contents: &str) -> PathBuf {
    let path = server.dir.path().join(file);
    std::fs::write(&path, contents).expect("write manifest");
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A Foo manifest; `metadata` and `spec` are YAML fragments already indented for their place.
fn foo_yaml(name: &str, labels: &[(&str, &str)], metadata: &str, spec: &str) -> String {
    let mut yaml = format!("apiVersion: {GROUP_VERSION}\nkind: Foo\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        yaml.push_str("  labels:\n");
        for (key, value) in labels {
            yaml.push_str(&format!("    {key}: \"{value}\"\n"));
        }
    }
    yaml.push_str(metadata);
    yaml.push_str(spec);
    yaml
}

/// `kubectl create -f` of a Foo with the given greeting (and extra metadata lines).
fn create(kubectl: &Kubectl, server: &Server, name: &str, labels: &[(&str, &str)], metadata: &str) {
    let file = manifest(
        server,
        &format!("{name}.yaml"),
        &foo_yaml(name, labels, metadata, "spec:\n  greeting: Hello\n"),
    );
    prints(
        &run(kubectl, server, &["create", "-f", path_str(&file)]),
        &format!("foo.{GROUP}/{name} created"),
    );
}

/// `kubectl get foo NAME -o json`, parsed.
fn get_json(kubectl: &Kubectl, server: &Server, name: &str) -> Value {
    let out = ok(&run(kubectl, server, &["get", "foo", name, "-o", "json"]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("get foo {name} -o json: {e}\n{out}"))
}

/// `kubectl get foo NAME -o json --show-managed-fields`, parsed.
fn get_managed(kubectl: &Kubectl, server: &Server, name: &str) -> Value {
    let out = ok(&run(
        kubectl,
        server,
        &["get", "foo", name, "-o", "json", "--show-managed-fields"],
    ));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("get foo {name} -o json: {e}\n{out}"))
}

/// Asserts that `get foo NAME` answers NotFound with kube-apiserver's wording.
fn gone(kubectl: &Kubectl, server: &Server, name: &str) {
    let err = fails(&run(kubectl, server, &["get", "foo", name]));
    assert_eq!(
        err.trim(),
        format!("Error from server (NotFound): foos.{GROUP} \"{name}\" not found"),
        "get foo {name} after its deletion"
    );
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
        .parse()
        .unwrap_or_else(|e| panic!("resourceVersion not an integer ({e}) in {object}"))
}

/// The managedFields entry of `manager`.
fn managed_entry<'a>(object: &'a Value, manager: &str) -> &'a Value {
    object["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["manager"] == manager))
        .unwrap_or_else(|| panic!("no managedFields entry of {manager:?} in {object:#}"))
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let text = |key: &str| e[key].as_str().unwrap_or("?").to_string();
                    format!("{}/{}", text("manager"), text("operation"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Collapses runs of whitespace, so table headers compare independently of column widths.
fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes an executable shell script into the server's directory.
fn script(server: &Server, file: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = manifest(server, file, &format!("#!/bin/sh\nset -e\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Which stream a line of a background kubectl came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stream {
    Out,
    Err,
}

/// A kubectl running in the background (`wait`, `get -w`); killed when dropped.
struct Background {
    command: String,
    child: Child,
    lines: mpsc::Receiver<(Stream, String)>,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

impl Background {
    fn spawn(kubectl: &Kubectl, server: &Server, args: &[&str]) -> Background {
        let mut child = kubectl
            .command(&server.kubeconfig())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kubectl");
        let (tx, lines) = mpsc::channel();
        let pipes: [(Stream, Box<dyn Read + Send>); 2] = [
            (Stream::Out, Box::new(child.stdout.take().expect("stdout"))),
            (Stream::Err, Box::new(child.stderr.take().expect("stderr"))),
        ];
        for (stream, pipe) in pipes {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send((stream, line)).is_err() {
                        break;
                    }
                }
            });
        }
        Background {
            command: format!("kubectl.{} {}", kubectl.version, args.join(" ")),
            child,
            lines,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// Reads lines until the lines of `stream` so far satisfy `done`, or until `deadline`.
    fn until(
        &mut self,
        stream: Stream,
        deadline: Instant,
        done: impl Fn(&[String]) -> bool,
    ) -> bool {
        loop {
            let lines = match stream {
                Stream::Out => &self.stdout,
                Stream::Err => &self.stderr,
            };
            if done(lines) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self.lines.recv_timeout(left) {
                Ok((Stream::Out, line)) => self.stdout.push(line),
                Ok((Stream::Err, line)) => self.stderr.push(line),
                // Timed out, or both pipes closed: nothing more will come in time.
                Err(_) => {
                    let lines = match stream {
                        Stream::Out => &self.stdout,
                        Stream::Err => &self.stderr,
                    };
                    return done(lines);
                }
            }
        }
    }

    /// Waits up to `timeout` for the process to exit (killing it then), and reads what is left.
    fn finish(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait().expect("poll kubectl") {
                Some(status) => break Some(status),
                None if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        // The pipes close with the process; drain them.
        while let Ok((stream, line)) = self.lines.recv_timeout(Duration::from_secs(5)) {
            match stream {
                Stream::Out => self.stdout.push(line),
                Stream::Err => self.stderr.push(line),
            }
        }
        status
    }

    fn describe(&self) -> String {
        format!(
            "`{}`\nstdout:\n{}\nstderr:\n{}",
            self.command,
            self.stdout.join("\n"),
            self.stderr.join("\n")
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kubectl wait --for=delete foo/NAME --timeout=30s` in the background, returned once its
/// watch is open (it logs the watch request at `-v=6`), so a deletion cannot precede it.
fn wait_for_delete(kubectl: &Kubectl, server: &Server, name: &str) -> Background {
    let target = format!("foo/{name}");
    let mut wait = Background::spawn(
        kubectl,
        server,
        &[
            "--request-timeout=60s",
            "-v=6",
            "wait",
            "--for=delete",
            &target,
            "--timeout=30s",
        ],
    );
    let watching = wait.until(
        Stream::Err,
        Instant::now() + Duration::from_secs(20),
        |lines| lines.iter().any(|l| l.contains("watch=true")),
    );
    assert!(watching, "kubectl wait never watched:\n{}", wait.describe());
    wait
}

/// Asserts that a background `kubectl wait --for=delete foo/NAME` ended with success.
fn condition_met(mut wait: Background, name: &str) {
    let status = wait.finish(Duration::from_secs(40));
    assert!(
        status.is_some_and(|s| s.success()),
        "wait --for=delete ended with {status:?}:\n{}",
        wait.describe()
    );
    assert_eq!(
        wait.stdout
            .iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect::<Vec<_>>(),
        [format!("foo.{GROUP}/{name} condition met")],
        "{}",
        wait.describe()
    );
}

#[test]
fn apply_client_side() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);
        let name = format!("csa-{t}");
        let last_applied = |object: &Value| -> Value {
            let text = object["metadata"]["annotations"]
                ["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .unwrap_or_else(|| panic!("no last-applied-configuration in {object:#}"));
            serde_json::from_str(text).unwrap_or_else(|e| panic!("last-applied {text}: {e}"))
        };

        // Create.
        let v1 = manifest(
            &server,
            &format!("{name}-v1.yaml"),
            &foo_yaml(
                &name,
                &[("app", "demo"), ("drop", "me")],
                "",
                "spec:\n  greeting: Hello\n",
            ),
        );
        prints(
            &run(k, &server, &["apply", "-f", path_str(&v1)]),
            &format!("foo.{GROUP}/{name} created"),
        );
        let created = get_managed(k, &server, &name);
        assert_eq!(created["spec"]["greeting"], "Hello", "{created:#}");
        assert_eq!(
            created["metadata"]["labels"],
            json!({"app": "demo", "drop": "me"}),
            "{created:#}"
        );
        assert_eq!(created["metadata"]["generation"], 1, "{created:#}");
        assert_eq!(last_applied(&created)["spec"]["greeting"], "Hello");

        // A new greeting, a changed label, a label left out: the three-way patch removes it.
        let v2 = manifest(
            &server,
            &format!("{name}-v2.yaml"),
            &foo_yaml(
                &name,
                &[("app", "changed")],
                "",
                "spec:\n  greeting: Bonjour\n",
            ),
        );
        prints(
            &run(k, &server, &["apply", "-f", path_str(&v2)]),
            &format!("foo.{GROUP}/{name} configured"),
        );
        let configured = get_json(k, &server, &name);
        assert_eq!(configured["spec"]["greeting"], "Bonjour", "{configured:#}");
        assert_eq!(configured["spec"]["suspend"], false, "{configured:#}");
        assert_eq!(
            configured["metadata"]["labels"],
            json!({"app": "changed"}),
            "apply must remove the label no longer in the manifest: {configured:#}"
        );
        assert_eq!(configured["metadata"]["generation"], 2, "{configured:#}");
        assert_eq!(
            configured["metadata"]["uid"], created["metadata"]["uid"],
            "{configured:#}"
        );
        assert_eq!(last_applied(&configured)["spec"]["greeting"], "Bonjour");
        let table = ok(&run(k, &server, &["get", "foo", &name]));
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().nth(1) == Some("Bonjour")),
            "get foo {name}:\n{table}"
        );

        // The same manifest again: nothing to do, nothing written.
        prints(
            &run(k, &server, &["apply", "-f", path_str(&v2)]),
            &format!("foo.{GROUP}/{name} unchanged"),
        );
        let again = get_json(k, &server, &name);
        assert_eq!(again, configured, "an unchanged apply wrote the Foo");

        // apply over an object made by `create`: kubectl warns and patches the annotation in.
        let plain = format!("csa-{t}-plain");
        create(k, &server, &plain, &[], "");
        let file = manifest(
            &server,
            &format!("{plain}-apply.yaml"),
            &foo_yaml(&plain, &[], "", "spec:\n  greeting: Applied\n"),
        );
        let out = run(k, &server, &["apply", "-f", path_str(&file)]);
        prints(&out, &format!("foo.{GROUP}/{plain} configured"));
        says(
            &out,
            &stderr(&out),
            "missing the kubectl.kubernetes.io/last-applied-configuration annotation",
        );
        let applied = get_json(k, &server, &plain);
        assert_eq!(applied["spec"]["greeting"], "Applied", "{applied:#}");
        assert_eq!(last_applied(&applied)["spec"]["greeting"], "Applied");

        // Client-side apply writes as the Update manager `kubectl-client-side-apply`.
        let entry = managed_entry(&created, "kubectl-client-side-apply");
        assert_eq!(entry["operation"], "Update", "{created:#}");
        assert_eq!(entry["apiVersion"], GROUP_VERSION, "{created:#}");
    });
}

#[test]
fn apply_server_side_and_conflicts() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);

        // Create and re-apply with the default manager `kubectl`.
        let name = format!("ssa-{t}");
        let file = manifest(
            &server,
            &format!("{name}.yaml"),
            &foo_yaml(&name, &[("app", "ssa")], "", "spec:\n  greeting: Hello\n"),
        );
        prints(
            &run(
                k,
                &server,
                &["apply", "--server-side", "-f", path_str(&file)],
            ),
            &format!("foo.{GROUP}/{name} serverside-applied"),
        );
        let created = get_managed(k, &server, &name);
        assert_eq!(created["spec"]["greeting"], "Hello", "{created:#}");
        assert_eq!(created["spec"]["suspend"], false, "{created:#}");
        assert_eq!(created["metadata"]["generation"], 1, "{created:#}");
        assert_eq!(managers(&created), ["kubectl/Apply"], "{created:#}");
        let entry = managed_entry(&created, "kubectl");
        assert_eq!(entry["apiVersion"], GROUP_VERSION, "{entry:#}");
        assert_eq!(entry["fieldsType"], "FieldsV1", "{entry:#}");
        assert_eq!(
            entry["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:greeting": {}}}),
            "the applier owns exactly what it sent: {entry:#}"
        );
        assert!(entry.get("subresource").is_none(), "{entry:#}");

        prints(
            &run(
                k,
                &server,
                &["apply", "--server-side", "-f", path_str(&file)],
            ),
            &format!("foo.{GROUP}/{name} serverside-applied"),
        );
        let again = get_managed(k, &server, &name);
        assert_eq!(
            again, created,
            "re-applying the same manifest must change nothing (resourceVersion, time)"
        );

        // Two managers: `a` applies a greeting and a label, `b` another greeting.
        let name = format!("ssa-{t}-c");
        let a = manifest(
            &server,
            &format!("{name}-a.yaml"),
            &foo_yaml(
                &name,
                &[("owner-a", "yes")],
                "",
                "spec:\n  greeting: Alpha\n",
            ),
        );
        let b = manifest(
            &server,
            &format!("{name}-b.yaml"),
            &foo_yaml(&name, &[], "", "spec:\n  greeting: Beta\n"),
        );
        prints(
            &run(
                k,
                &server,
                &[
                    "apply",
                    "--server-side",
                    "--field-manager=a",
                    "-f",
                    path_str(&a),
                ],
            ),
            &format!("foo.{GROUP}/{name} serverside-applied"),
        );
        let before = get_managed(k, &server, &name);
        assert_eq!(before["spec"]["greeting"], "Alpha", "{before:#}");

        let conflict = run(
            k,
            &server,
            &[
                "apply",
                "--server-side",
                "--field-manager=b",
                "-f",
                path_str(&b),
            ],
        );
        let err = fails(&conflict);
        says(
            &conflict,
            &err,
            "error: Apply failed with 1 conflict: conflict with \"a\": .spec.greeting",
        );
        says(&conflict, &err, "--force-conflicts");
        assert_eq!(
            get_managed(k, &server, &name),
            before,
            "a conflicting apply changed the Foo"
        );

        prints(
            &run(
                k,
                &server,
                &[
                    "apply",
                    "--server-side",
                    "--field-manager=b",
                    "--force-conflicts",
                    "-f",
                    path_str(&b),
                ],
            ),
            &format!("foo.{GROUP}/{name} serverside-applied"),
        );
        let forced = get_managed(k, &server, &name);
        assert_eq!(forced["spec"]["greeting"], "Beta", "{forced:#}");
        assert_eq!(
            forced["metadata"]["labels"],
            json!({"owner-a": "yes"}),
            "{forced:#}"
        );
        assert_eq!(forced["metadata"]["generation"], 2, "{forced:#}");
        let entry_a = managed_entry(&forced, "a");
        let entry_b = managed_entry(&forced, "b");
        assert_eq!(entry_a["operation"], "Apply", "{forced:#}");
        assert_eq!(entry_b["operation"], "Apply", "{forced:#}");
        assert_eq!(
            entry_a["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:owner-a": {}}}}),
            "`a` lost .spec.greeting to the forced apply: {forced:#}"
        );
        assert_eq!(
            entry_b["fieldsV1"],
            json!({"f:spec": {"f:greeting": {}}}),
            "{forced:#}"
        );
        assert_eq!(managers(&forced).len(), 2, "{forced:#}");

        // The same, as a person reads it.
        let yaml_run = run(
            k,
            &server,
            &["get", "foo", &name, "-o", "yaml", "--show-managed-fields"],
        );
        let yaml = ok(&yaml_run);
        for needle in [
            "managedFields:",
            "manager: a\n",
            "manager: b\n",
            "operation: Apply",
        ] {
            says(&yaml_run, &yaml, needle);
        }
        assert_eq!(
            yaml.matches("operation: Apply").count(),
            2,
            "two Apply entries:\n{yaml}"
        );
        let plain = ok(&run(k, &server, &["get", "foo", &name, "-o", "yaml"]));
        assert!(
            !plain.contains("managedFields"),
            "managedFields are hidden without --show-managed-fields:\n{plain}"
        );
    });
}

#[test]
fn edit_with_an_editor_script() {
    let server = server();
    let edit = script(
        &server,
        "edit-greeting.sh",
        "sed -i 's/^  greeting: .*$/  greeting: Edited/' \"$1\"",
    );
    let long = "a".repeat(300);
    let invalid = script(
        &server,
        "edit-invalid.sh",
        &format!("sed -i 's/^  greeting: .*$/  greeting: {long}/' \"$1\""),
    );
    let nothing = script(&server, "edit-nothing.sh", "true");
    each_kubectl(|k| {
        let t = tag(k);
        let name = format!("edit-{t}");
        create(k, &server, &name, &[("app", "edit")], "");
        let created = get_json(k, &server, &name);

        let out = run_env(k, &server, &["edit", "foo", &name], &[("EDITOR", &edit)]);
        prints(&out, &format!("foo.{GROUP}/{name} edited"));
        let edited = get_json(k, &server, &name);
        assert_eq!(edited["spec"]["greeting"], "Edited", "{edited:#}");
        assert_eq!(edited["metadata"]["generation"], 2, "{edited:#}");
        assert_eq!(edited["metadata"]["labels"], json!({"app": "edit"}));
        assert!(rv(&edited) > rv(&created), "{edited:#}");

        // Saving without a change.
        let out = run_env(k, &server, &["edit", "foo", &name], &[("EDITOR", &nothing)]);
        ok(&out);
        says(&out, &stderr(&out), "Edit cancelled, no changes made.");
        assert_eq!(get_json(k, &server, &name), edited, "an empty edit wrote");

        // A 300-character greeting: the server refuses it, kubectl reopens the editor with the
        // reasons, the script saves the same text again, and kubectl gives up.
        let out = run_env(k, &server, &["edit", "foo", &name], &[("EDITOR", &invalid)]);
        let err = fails(&out);
        says(
            &out,
            &err,
            &format!("error: foos.{GROUP} \"{name}\" is invalid"),
        );
        says(&out, &err, "Edit cancelled, no valid changes were saved.");
        assert_eq!(
            get_json(k, &server, &name),
            edited,
            "an invalid edit changed the Foo"
        );
    });
}

#[test]
fn patch_of_every_type() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);
        let name = format!("patch-{t}");
        create(k, &server, &name, &[], "");
        let one = format!("{GROUP}/one");
        let two = format!("{GROUP}/two");
        let patched = format!("foo.{GROUP}/{name} patched");

        // Strategic merge patch, kubectl's default: a greeting and a finalizer.
        let p = format!(
            r#"{{"metadata":{{"finalizers":["{one}"]}},"spec":{{"greeting":"Strategic"}}}}"#
        );
        prints(
            &run(k, &server, &["patch", "foo", &name, "-p", &p]),
            &patched,
        );
        let after = get_json(k, &server, &name);
        assert_eq!(after["spec"]["greeting"], "Strategic", "{after:#}");
        assert_eq!(after["metadata"]["finalizers"], json!([one]), "{after:#}");
        assert_eq!(after["metadata"]["generation"], 2, "{after:#}");

        // finalizers merge (patchStrategy merge): a second one is added, not substituted; the
        // patch's items come first when the live list does not order them (strategicpatch
        // mergeSortedSlice).
        let p = format!(r#"{{"metadata":{{"finalizers":["{two}"]}}}}"#);
        prints(
            &run(
                k,
                &server,
                &["patch", "foo", &name, "--type", "strategic", "-p", &p],
            ),
            &patched,
        );
        let after = get_json(k, &server, &name);
        assert_eq!(
            after["metadata"]["finalizers"],
            json!([two, one]),
            "a strategic merge patch unions finalizers: {after:#}"
        );
        assert_eq!(
            after["metadata"]["generation"], 2,
            "metadata only: {after:#}"
        );

        // JSON merge patch: lists are replaced.
        let p =
            format!(r#"{{"metadata":{{"finalizers":["{two}"]}},"spec":{{"greeting":"Merged"}}}}"#);
        prints(
            &run(
                k,
                &server,
                &["patch", "foo", &name, "--type", "merge", "-p", &p],
            ),
            &patched,
        );
        let after = get_json(k, &server, &name);
        assert_eq!(after["spec"]["greeting"], "Merged", "{after:#}");
        assert_eq!(
            after["metadata"]["finalizers"],
            json!([two]),
            "a merge patch replaces the list: {after:#}"
        );
        assert_eq!(after["metadata"]["generation"], 3, "{after:#}");

        // The same merge patch again changes nothing, and kubectl says so.
        prints(
            &run(
                k,
                &server,
                &["patch", "foo", &name, "--type", "merge", "-p", &p],
            ),
            &format!("foo.{GROUP}/{name} patched (no change)"),
        );
        assert_eq!(get_json(k, &server, &name), after, "a no-op patch wrote");

        // JSON patch: replace, and remove the finalizers.
        let p = r#"[{"op":"replace","path":"/spec/greeting","value":"Jsoned"},{"op":"remove","path":"/metadata/finalizers"}]"#;
        prints(
            &run(
                k,
                &server,
                &["patch", "foo", &name, "--type", "json", "-p", p],
            ),
            &patched,
        );
        let after = get_json(k, &server, &name);
        assert_eq!(after["spec"]["greeting"], "Jsoned", "{after:#}");
        assert!(
            after["metadata"].get("finalizers").is_none(),
            "finalizers removed: {after:#}"
        );
        assert_eq!(after["metadata"]["generation"], 4, "{after:#}");

        // A failing `test` op: 422 Invalid without details; nothing changes.
        let p = r#"[{"op":"test","path":"/spec/greeting","value":"Nope"},{"op":"replace","path":"/spec/greeting","value":"Never"}]"#;
        let out = run(
            k,
            &server,
            &["patch", "foo", &name, "--type", "json", "-p", p],
        );
        let err = fails(&out);
        says(&out, &err, "The request is invalid");
        assert_eq!(
            get_json(k, &server, &name),
            after,
            "a failed json patch changed the Foo"
        );

        // An invalid result: 422 naming the field.
        let p = format!(r#"{{"spec":{{"greeting":"{}"}}}}"#, "b".repeat(300));
        let out = run(
            k,
            &server,
            &["patch", "foo", &name, "--type", "merge", "-p", &p],
        );
        let err = fails(&out);
        says(
            &out,
            &err,
            &format!("The Foo \"{name}\" is invalid: spec.greeting"),
        );
        assert_eq!(get_json(k, &server, &name), after, "an invalid patch wrote");

        // A missing object.
        let missing = format!("patch-{t}-missing");
        let out = run(
            k,
            &server,
            &["patch", "foo", &missing, "--type", "merge", "-p", "{}"],
        );
        let err = fails(&out);
        says(
            &out,
            &err,
            &format!("Error from server (NotFound): foos.{GROUP} \"{missing}\" not found"),
        );

        prints(
            &run(k, &server, &["delete", "foo", &name, "--timeout=60s"]),
            &format!("foo.{GROUP} \"{name}\" deleted"),
        );
    });
}

#[test]
fn label_annotate_and_replace() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);
        let name = format!("meta-{t}");
        create(k, &server, &name, &[("app", "meta")], "");
        let labeled = format!("foo.{GROUP}/{name} labeled");
        // kubectl 1.27 prints "annotate" (its printer's operation), later ones "annotated".
        let verb = if k.minor() <= 27 {
            "annotate"
        } else {
            "annotated"
        };
        let annotated = format!("foo.{GROUP}/{name} {verb}");

        // label: add, refuse to overwrite, overwrite, remove.
        prints(
            &run(k, &server, &["label", "foo", &name, "env=dev"]),
            &labeled,
        );
        let after = get_json(k, &server, &name);
        assert_eq!(
            after["metadata"]["labels"],
            json!({"app": "meta", "env": "dev"}),
            "{after:#}"
        );
        let out = run(k, &server, &["label", "foo", &name, "env=prod"]);
        let err = fails(&out);
        says(&out, &err, "'env' already has a value (dev)");
        says(&out, &err, "--overwrite is false");
        prints(
            &run(
                k,
                &server,
                &["label", "--overwrite", "foo", &name, "env=prod"],
            ),
            &labeled,
        );
        assert_eq!(
            get_json(k, &server, &name)["metadata"]["labels"],
            json!({"app": "meta", "env": "prod"})
        );
        let listed = ok(&run(
            k,
            &server,
            &["get", "foos", "-l", "env=prod", "-o", "name"],
        ));
        assert!(
            listed.lines().any(|l| l == format!("foo.{GROUP}/{name}")),
            "get foos -l env=prod:\n{listed}"
        );
        prints(
            &run(k, &server, &["label", "foo", &name, "env-"]),
            &format!("foo.{GROUP}/{name} unlabeled"),
        );
        let after = get_json(k, &server, &name);
        assert_eq!(
            after["metadata"]["labels"],
            json!({"app": "meta"}),
            "{after:#}"
        );
        assert_eq!(
            after["metadata"]["generation"], 1,
            "labels leave generation alone: {after:#}"
        );

        // annotate: add, refuse to overwrite, overwrite, remove.
        prints(
            &run(k, &server, &["annotate", "foo", &name, "note=hello"]),
            &annotated,
        );
        assert_eq!(
            get_json(k, &server, &name)["metadata"]["annotations"]["note"],
            "hello"
        );
        let out = run(k, &server, &["annotate", "foo", &name, "note=bye"]);
        let err = fails(&out);
        says(&out, &err, "--overwrite is false");
        prints(
            &run(
                k,
                &server,
                &["annotate", "--overwrite", "foo", &name, "note=bye"],
            ),
            &annotated,
        );
        assert_eq!(
            get_json(k, &server, &name)["metadata"]["annotations"]["note"],
            "bye"
        );
        prints(
            &run(k, &server, &["annotate", "foo", &name, "note-"]),
            &annotated,
        );
        let after = get_json(k, &server, &name);
        assert!(
            after["metadata"]["annotations"].get("note").is_none(),
            "annotation removed: {after:#}"
        );
        assert_eq!(after["metadata"]["generation"], 1, "{after:#}");

        // replace -f with what `get -o yaml` printed, greeting changed.
        let yaml = ok(&run(k, &server, &["get", "foo", &name, "-o", "yaml"]));
        assert!(yaml.contains("greeting: Hello"), "{yaml}");
        let file = manifest(
            &server,
            &format!("{name}-replace.yaml"),
            &yaml.replace("greeting: Hello", "greeting: Replaced"),
        );
        prints(
            &run(k, &server, &["replace", "-f", path_str(&file)]),
            &format!("foo.{GROUP}/{name} replaced"),
        );
        let replaced = get_json(k, &server, &name);
        assert_eq!(replaced["spec"]["greeting"], "Replaced", "{replaced:#}");
        assert_eq!(replaced["metadata"]["generation"], 2, "{replaced:#}");
        assert_eq!(replaced["metadata"]["labels"], json!({"app": "meta"}));

        // The same file again carries a stale resourceVersion: 409 Conflict.
        let out = run(k, &server, &["replace", "-f", path_str(&file)]);
        let err = fails(&out);
        says(
            &out,
            &err,
            &format!(
                "Error from server (Conflict): error when replacing \"{}\": Operation cannot be \
                 fulfilled on foos.{GROUP} \"{name}\": the object has been modified; please apply \
                 your changes to the latest version and try again",
                path_str(&file)
            ),
        );
        assert_eq!(
            get_json(k, &server, &name),
            replaced,
            "a stale replace wrote"
        );
    });
}

#[test]
fn delete_wait_and_finalizers() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);

        // delete waits (--wait=true by default) until the object is gone.
        let name = format!("del-{t}-a");
        create(k, &server, &name, &[], "");
        prints(
            &run(k, &server, &["delete", "foo", &name, "--timeout=60s"]),
            &format!("foo.{GROUP} \"{name}\" deleted"),
        );
        gone(k, &server, &name);

        // wait --for=delete while another command deletes the object.
        let name = format!("del-{t}-b");
        create(k, &server, &name, &[], "");
        let wait = wait_for_delete(k, &server, &name);
        prints(
            &run(k, &server, &["delete", "foo", &name, "--wait=false"]),
            &format!("foo.{GROUP} \"{name}\" deleted"),
        );
        condition_met(wait, &name);
        gone(k, &server, &name);

        // A finalizer holds the object: deletion only marks it.
        let name = format!("del-{t}-c");
        create(
            k,
            &server,
            &name,
            &[],
            &format!("  finalizers:\n  - {HOLD}\n"),
        );
        let before = get_json(k, &server, &name);
        assert_eq!(
            before["metadata"]["finalizers"],
            json!([HOLD]),
            "{before:#}"
        );
        assert_eq!(before["metadata"]["generation"], 1, "{before:#}");
        prints(
            &run(k, &server, &["delete", "foo", &name, "--wait=false"]),
            &format!("foo.{GROUP} \"{name}\" deleted"),
        );
        let stamp = ok(&run(
            k,
            &server,
            &[
                "get",
                "foo",
                &name,
                "-o",
                "jsonpath={.metadata.deletionTimestamp}",
            ],
        ));
        assert!(
            stamp.trim().ends_with('Z') && stamp.trim().len() == 20,
            "deletionTimestamp after delete: {stamp:?}"
        );
        let marked = get_json(k, &server, &name);
        assert_eq!(
            marked["metadata"]["generation"], 2,
            "deletion bumps generation: {marked:#}"
        );
        assert_eq!(
            marked["metadata"]["deletionGracePeriodSeconds"], 0,
            "{marked:#}"
        );
        assert_eq!(
            marked["metadata"]["finalizers"],
            json!([HOLD]),
            "{marked:#}"
        );
        assert_eq!(marked["spec"], before["spec"], "{marked:#}");

        // No new finalizers on an object being deleted.
        let p =
            format!(r#"[{{"op":"add","path":"/metadata/finalizers/-","value":"{GROUP}/more"}}]"#);
        let out = run(
            k,
            &server,
            &["patch", "foo", &name, "--type", "json", "-p", &p],
        );
        let err = fails(&out);
        says(
            &out,
            &err,
            &format!(
                "The Foo \"{name}\" is invalid: metadata.finalizers: Forbidden: no new \
                 finalizers can be added if the object is being deleted"
            ),
        );
        assert_eq!(
            get_json(k, &server, &name),
            marked,
            "a refused finalizer changed the Foo"
        );

        // Removing the last finalizer lets it go; a waiting kubectl sees the deletion.
        let wait = wait_for_delete(k, &server, &name);
        prints(
            &run(
                k,
                &server,
                &[
                    "patch",
                    "foo",
                    &name,
                    "--type",
                    "json",
                    "-p",
                    r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
                ],
            ),
            &format!("foo.{GROUP}/{name} patched"),
        );
        gone(k, &server, &name);
        condition_met(wait, &name);
    });
}

#[test]
fn get_watch_prints_changes() {
    let server = server();
    each_kubectl(|k| {
        let t = tag(k);
        let selector = format!("watch={t}");
        let a = format!("w-{t}-a");
        let b = format!("w-{t}-b");
        create(k, &server, &a, &[("watch", &t)], "");

        let start = Instant::now();
        let deadline = start + Duration::from_secs(12);
        let watch_args = |events: bool| {
            let mut args = vec!["--request-timeout=8s", "get", "foos", "-l", &selector, "-w"];
            if events {
                args.push("--output-watch-events");
            }
            args
        };
        // (name, greeting) of a row, with or without the EVENT column in front.
        let row_of = |line: &str| -> (String, String) {
            let mut cells: Vec<&str> = line.split_whitespace().collect();
            if matches!(cells.first(), Some(&("ADDED" | "MODIFIED" | "DELETED"))) {
                cells.remove(0);
            }
            let cell = |i: usize| cells.get(i).map(|c| c.to_string()).unwrap_or_default();
            (cell(0), cell(1))
        };
        let cells =
            |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_string).collect() };
        let mut plain = Background::spawn(k, &server, &watch_args(false));
        let mut events = Background::spawn(k, &server, &watch_args(true));
        let initial = |lines: &[String]| lines.iter().any(|l| row_of(l).0 == a);
        assert!(
            plain.until(Stream::Out, deadline, initial),
            "the initial row never came:\n{}",
            plain.describe()
        );
        assert!(
            events.until(Stream::Out, deadline, initial),
            "the initial row never came:\n{}",
            events.describe()
        );

        // A change, a creation and a deletion.
        prints(
            &run(
                k,
                &server,
                &[
                    "patch",
                    "foo",
                    &a,
                    "--type",
                    "merge",
                    "-p",
                    r#"{"spec":{"greeting":"Watched"}}"#,
                ],
            ),
            &format!("foo.{GROUP}/{a} patched"),
        );
        create(k, &server, &b, &[("watch", &t)], "");
        prints(
            &run(k, &server, &["delete", "foo", &b, "--timeout=60s"]),
            &format!("foo.{GROUP} \"{b}\" deleted"),
        );

        // Until b's second row (its deletion) is printed, or the watches time out.
        let b_twice = |lines: &[String]| lines.iter().filter(|l| row_of(l).0 == b).count() >= 2;
        plain.until(Stream::Out, deadline, b_twice);
        events.until(Stream::Out, deadline, b_twice);
        plain.finish(Duration::ZERO);
        events.finish(Duration::ZERO);

        // Plain -w: the header, the initial row, then one row per event.
        let lines: Vec<&String> = plain
            .stdout
            .iter()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            lines.first().map(|l| squash(l)),
            Some("NAME GREETING BARS READY AGE".to_string()),
            "{}",
            plain.describe()
        );
        let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| cells(l)).collect();
        let summary: Vec<(String, String)> = lines[1..].iter().map(|l| row_of(l)).collect();
        let pair = |n: &str, g: &str| (n.to_string(), g.to_string());
        assert_eq!(
            summary,
            [
                pair(&a, "Hello"),
                pair(&a, "Watched"),
                pair(&b, "Hello"),
                pair(&b, "Hello"),
            ],
            "get -w rows (initial a, a modified, b added, b deleted):\n{}",
            plain.describe()
        );
        assert!(
            rows.iter()
                .all(|c| c.len() == 5 && c[2] == "0" && c[3] == "Unknown"),
            "{}",
            plain.describe()
        );

        // --output-watch-events: the event type in front.
        let lines: Vec<&String> = events
            .stdout
            .iter()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            lines.first().map(|l| squash(l)),
            Some("EVENT NAME GREETING BARS READY AGE".to_string()),
            "{}",
            events.describe()
        );
        let summary: Vec<String> = lines[1..]
            .iter()
            .map(|l| cells(l).into_iter().take(3).collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(
            summary,
            [
                format!("ADDED {a} Hello"),
                format!("MODIFIED {a} Watched"),
                format!("ADDED {b} Hello"),
                format!("DELETED {b} Hello"),
            ],
            "get -w --output-watch-events:\n{}",
            events.describe()
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the watches ran for {:?}",
            start.elapsed()
        );

        prints(
            &run(k, &server, &["delete", "foo", &a, "--timeout=60s"]),
            &format!("foo.{GROUP} \"{a}\" deleted"),
        );
    });
}

/// `kubectl apply --server-side` takes over from `kubectl apply` (client-side) without a
/// conflict, as kube-apiserver lets kubectl's manager take the fields its last-applied
/// annotation lists; another manager still conflicts.
#[test]
fn server_side_apply_follows_client_side_apply() {
    let server = server();
    each_kubectl(|k| {
        let name = format!("csa-{}", tag(k));
        let yaml =
            |greeting: &str| foo_yaml(&name, &[], "", &format!("spec:\n  greeting: {greeting}\n"));
        let file = manifest(&server, &format!("{name}.yaml"), &yaml("Hello"));
        prints(
            &run(k, &server, &["apply", "-f", path_str(&file)]),
            &format!("foo.{GROUP}/{name} created"),
        );
        std::fs::write(&file, yaml("Bonjour")).expect("write manifest");
        let other = run(
            k,
            &server,
            &[
                "apply",
                "--server-side",
                "--field-manager=other",
                "-f",
                path_str(&file),
            ],
        );
        let err = fails(&other);
        assert!(
            err.contains("conflict with \"kubectl-client-side-apply\""),
            "{err}"
        );
        prints(
            &run(
                k,
                &server,
                &["apply", "--server-side", "-f", path_str(&file)],
            ),
            &format!("foo.{GROUP}/{name} serverside-applied"),
        );
        assert_eq!(get_json(k, &server, &name)["spec"]["greeting"], "Bonjour");
    });
}
