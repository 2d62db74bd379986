//! kubectl-foo through kubectl's own plugin dispatch (`kubectl foo …` with `kubectl-foo` on
//! PATH), on every kubectl on the machine, each against a server of its own: every command
//! and output format, the non-terminal refusals, errors, the terminal prompts (in tmux),
//! completion through kubectl and bash, and the generated files.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Kubectl, Server, fails, kubectls, ok, plugin_dir};
use serde_json::Value;

/// A directory for PATH holding `kubectl` (the given version), `kubectl-foo` and
/// `kubectl_complete-foo`.
struct Env {
    bin: tempfile::TempDir,
    cache: tempfile::TempDir,
    kubectl: Kubectl,
}

impl Env {
    fn new(kubectl: &Kubectl) -> Env {
        let bin = tempfile::tempdir().expect("tempdir");
        let dir = plugin_dir();
        for name in ["kubectl-foo", "kubectl_complete-foo"] {
            std::os::unix::fs::symlink(dir.join(name), bin.path().join(name)).expect("symlink");
        }
        std::os::unix::fs::symlink(&kubectl.path, bin.path().join("kubectl")).expect("symlink");
        Env {
            bin,
            cache: tempfile::tempdir().expect("tempdir"),
            kubectl: kubectl.clone(),
        }
    }

    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// `kubectl foo ARGS… --kubeconfig K` as a command (stdin closed, no terminal).
    fn command(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.kubectl.path);
        command
            .arg("foo")
            .args(args)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .env("PATH", self.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null());
        command
    }

    fn foo(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.command(kubeconfig, args)
            .output()
            .expect("run kubectl foo")
    }

    fn foo_stdin(&self, kubeconfig: &Path, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(kubeconfig, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl foo");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait kubectl foo")
    }
}

fn newest() -> Kubectl {
    kubectls().pop().expect("a kubectl")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failure: exit code `code`, one line on stderr (plus kubectl's usage hint for code 2).
fn failure(output: &Output, code: i32) -> String {
    let err = fails(output);
    assert_eq!(output.status.code(), Some(code), "exit code; stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    let allowed = if code == 2 { 2 } else { 1 };
    assert!(
        !lines.is_empty() && lines.len() <= allowed,
        "not one clear line: {err:?}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    err
}

#[test]
fn every_command_and_output_format() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);

        // Empty list: nothing on stdout, "No resources found" on stderr.
        let out = env.foo(&kc, &["list"]);
        assert_eq!(ok(&out), "");
        assert!(stderr(&out).contains("No resources found"));

        // create, with every dry-run mode and output format.
        let out = ok(&env.foo(&kc, &["create", "alpha", "--greeting", "Hi"]));
        assert_eq!(out, "foo.demo.jeremyxu2010.me/alpha created\n");
        let out = ok(&env.foo(&kc, &["create", "beta", "--suspend", "-o", "json"]));
        let beta: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(beta["spec"]["suspend"], true);
        assert_eq!(beta["spec"]["greeting"], "Hello");
        assert!(
            out.starts_with("{\n    \"apiVersion\""),
            "kubectl's 4-space JSON: {out}"
        );
        let out = ok(&env.foo(&kc, &["create", "dry", "--dry-run=server", "-o", "yaml"]));
        assert!(
            out.contains("name: dry") && out.contains("greeting: Hello"),
            "{out}"
        );
        let out = ok(&env.foo(&kc, &["create", "dry2", "--dry-run=client", "-o", "name"]));
        assert_eq!(out, "foo.demo.jeremyxu2010.me/dry2\n");
        failure(&env.foo(&kc, &["get", "dry"]), 1);
        let err = failure(&env.foo(&kc, &["create", "alpha"]), 1);
        assert!(err.contains("Error from server (AlreadyExists)"), "{err}");

        // list: table, wide, labels, name, json, yaml, jsonpath, custom-columns, sort-by.
        let out = ok(&env.foo(&kc, &["list"]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(header, ["NAME", "GREETING", "BARS", "READY", "AGE"]);
        assert!(lines[1].starts_with("alpha   Hi "), "{out}");
        let out = ok(&env.foo(&kc, &["ls", "-o", "wide", "--show-labels"]));
        for column in ["SUSPENDED", "LAST BAR", "MESSAGE", "LABELS"] {
            assert!(out.lines().next().unwrap().contains(column), "{out}");
        }
        let out = ok(&env.foo(&kc, &["list", "--no-headers"]));
        assert!(!out.contains("NAME") && out.lines().count() == 2, "{out}");
        assert_eq!(
            ok(&env.foo(&kc, &["list", "-o", "name"])),
            "foo.demo.jeremyxu2010.me/alpha\nfoo.demo.jeremyxu2010.me/beta\n"
        );
        let list: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["list", "-o", "json"]))).unwrap();
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert!(list["items"][0]["metadata"].get("managedFields").is_none());
        let yaml = ok(&env.foo(&kc, &["list", "-o", "yaml"]));
        assert!(
            yaml.contains("kind: List") && yaml.contains("name: beta"),
            "{yaml}"
        );
        let out = ok(&env.foo(
            &kc,
            &[
                "list",
                "-o",
                "jsonpath={range .items[*]}{.metadata.name}={.spec.greeting}{\"\\n\"}{end}",
            ],
        ));
        assert_eq!(out, "alpha=Hi\nbeta=Hello\n");
        let out = ok(&env.foo(
            &kc,
            &[
                "list",
                "-o",
                "custom-columns=NAME:.metadata.name,GREETING:.spec.greeting",
                "--sort-by",
                ".spec.greeting",
            ],
        ));
        assert_eq!(out, "NAME    GREETING\nbeta    Hello\nalpha   Hi\n");
        let out = ok(&env.foo(
            &kc,
            &["list", "--sort-by", "{.spec.greeting}", "--no-headers"],
        ));
        assert!(out.starts_with("beta"), "{out}");
        ok(&env.foo(&kc, &["list", "--chunk-size", "1", "-o", "name"]))
            .lines()
            .count()
            .eq(&2)
            .then_some(())
            .expect("chunked list returns everything");
        let out = ok(&env.foo(
            &kc,
            &[
                "list",
                "--field-selector",
                "metadata.name=beta",
                "-o",
                "name",
            ],
        ));
        assert_eq!(out, "foo.demo.jeremyxu2010.me/beta\n");
        let out = env.foo(&kc, &["list", "-l", "team=none"]);
        assert_eq!(ok(&out), "");
        assert!(stderr(&out).contains("No resources found"));

        // get, describe.
        let out = ok(&env.foo(&kc, &["get", "alpha", "beta"]));
        assert_eq!(out.lines().count(), 3, "{out}");
        let one: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["get", "alpha", "-o", "json"]))).unwrap();
        assert_eq!(one["kind"], "Foo");
        let out = ok(&env.foo(&kc, &["describe", "alpha"]));
        for line in [
            "Name:         alpha",
            "API Version:  demo.jeremyxu2010.me/v1beta1",
            "Kind:         Foo",
            "Spec:",
            "  Greeting:  Hi",
        ] {
            assert!(out.contains(line), "describe lacks {line:?}:\n{out}");
        }

        // bar: message, dry run, json/yaml, suspended, unknown, no name without a terminal.
        assert_eq!(
            ok(&env.foo(&kc, &["bar", "alpha", "--arg1", "you"])),
            "Hi, you\n"
        );
        assert_eq!(
            ok(&env.foo(&kc, &["bar", "alpha", "--dry-run=server"])),
            "Hi, world\n"
        );
        let bar: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["bar", "alpha", "-o", "json"]))).unwrap();
        assert_eq!(bar["kind"], "FooBar");
        assert!(ok(&env.foo(&kc, &["bar", "alpha", "-o", "yaml"])).contains("message: Hi, world"));
        let one: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["get", "alpha", "-o", "json"]))).unwrap();
        assert_eq!(one["status"]["barCount"], 3, "dry run does not count");
        let err = failure(&env.foo(&kc, &["bar", "beta"]), 1);
        assert!(
            err.contains("Conflict") && err.contains("suspended"),
            "{err}"
        );
        let err = failure(&env.foo(&kc, &["bar", "nope"]), 1);
        assert!(
            err.contains(
                "Error from server (NotFound): foos.demo.jeremyxu2010.me \"nope\" not found"
            ),
            "{err}"
        );
        failure(&env.foo(&kc, &["bar"]), 2);

        // suspend / resume.
        assert_eq!(
            ok(&env.foo(&kc, &["resume", "beta"])),
            "foo.demo.jeremyxu2010.me/beta resumed\n"
        );
        assert_eq!(ok(&env.foo(&kc, &["bar", "beta"])), "Hello, world\n");
        assert_eq!(
            ok(&env.foo(&kc, &["suspend", "beta"])),
            "foo.demo.jeremyxu2010.me/beta suspended\n"
        );
        failure(&env.foo(&kc, &["suspend", "nope"]), 1);

        // apply: from stdin (create then configure, several documents), server-side, from a file.
        let doc = "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: gamma\nspec:\n  greeting: Hey\n---\napiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: delta\n";
        let out = ok(&env.foo_stdin(&kc, &["apply", "-f", "-"], doc));
        assert_eq!(
            out,
            "foo.demo.jeremyxu2010.me/gamma created\nfoo.demo.jeremyxu2010.me/delta created\n"
        );
        let out = ok(&env.foo_stdin(&kc, &["apply", "-f", "-"], &doc.replace("Hey", "Yo")));
        assert!(out.contains("gamma configured"), "{out}");
        let file = server.dir.path().join("epsilon.yaml");
        std::fs::write(&file, "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: epsilon\nspec:\n  greeting: Ssa\n").unwrap();
        let out = ok(&env.foo(
            &kc,
            &["apply", "--server-side", "-f", file.to_str().unwrap()],
        ));
        assert_eq!(out, "foo.demo.jeremyxu2010.me/epsilon serverside-applied\n");
        assert_eq!(ok(&env.foo(&kc, &["bar", "epsilon"])), "Ssa, world\n");
        let err = failure(&env.foo_stdin(&kc, &["apply", "-f", "-"], "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: bad\nspec:\n  greeting: \"\\u0001\"\n"), 1);
        assert!(err.contains("Invalid") || err.contains("invalid"), "{err}");

        // delete: refused without a terminal, then --yes, names and --all.
        let err = failure(&env.foo(&kc, &["delete", "alpha"]), 2);
        assert!(err.contains("--yes"), "{err}");
        ok(&env.foo(&kc, &["get", "alpha"]));
        failure(&env.foo(&kc, &["delete", "--all"]), 2);
        assert_eq!(
            ok(&env.foo(&kc, &["delete", "alpha", "--yes"])),
            "foo.demo.jeremyxu2010.me \"alpha\" deleted\n"
        );
        let err = failure(&env.foo(&kc, &["delete", "alpha", "--yes"]), 1);
        assert!(err.contains("NotFound"), "{err}");
        let out = ok(&env.foo(&kc, &["delete", "--all", "--yes"]));
        assert_eq!(out.lines().count(), 4, "{out}");
        assert!(stderr(&env.foo(&kc, &["list"])).contains("No resources found"));

        // api-resources and version.
        let out = ok(&env.foo(&kc, &["api-resources"]));
        let lines: Vec<Vec<&str>> = out
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines[0],
            ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        );
        assert_eq!(
            lines[1],
            ["foos", "fo", "demo.jeremyxu2010.me/v1beta1", "false", "Foo"]
        );
        assert!(
            out.contains("foos/bar") && out.contains("foos/status"),
            "{out}"
        );
        let out = ok(&env.foo(&kc, &["api-resources", "-o", "wide"]));
        assert!(
            out.contains("create,delete,deletecollection,get,list,patch,update,watch"),
            "{out}"
        );
        let json: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["api-resources", "-o", "json"]))).unwrap();
        assert_eq!(json["resources"].as_array().unwrap().len(), 3);
        assert!(ok(&env.foo(&kc, &["api-resources", "-o", "yaml"])).contains("name: foos/bar"));
        // The discovery cache is kept under the user's cache directory, with its ETag.
        let cached: Vec<_> = walk(env.cache.path());
        assert!(
            cached.iter().any(|p| p.ends_with("apis.etag")),
            "{cached:?}"
        );
        ok(&env.foo(&kc, &["api-resources"]));
        let out = ok(&env.foo(&kc, &["version"]));
        assert!(out.contains("Plugin Version: kubectl-foo v"), "{out}");
        assert!(out.contains("Server Version:"), "{out}");
        assert!(
            out.contains("demo.jeremyxu2010.me/v1beta1: served"),
            "{out}"
        );
        let v: Value =
            serde_json::from_str(&ok(&env.foo(&kc, &["version", "-o", "json"]))).unwrap();
        assert_eq!(v["group"]["served"], true);

        // Usage errors exit 2 (an unknown output format 1, as kubectl's); help says
        // `kubectl foo`.
        failure(&env.foo(&kc, &["list", "-o", "xml"]), 1);
        failure(&env.foo(&kc, &["list", "--bogus"]), 2);
        failure(&env.foo(&kc, &["get"]), 2);
        let help = ok(&env.foo(&kc, &["list", "--help"]));
        assert!(help.contains("Usage: kubectl foo list"), "{help}");
    });
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn every_kubectl_dispatches_to_the_plugin() {
    let server = Server::start();
    let kc = server.kubeconfig();
    for kubectl in kubectls() {
        let env = Env::new(&kubectl);
        let name = format!("v{}", kubectl.minor());
        ok(&env.foo(&kc, &["create", &name]));
        let out = ok(&env.foo(&kc, &["get", &name, "-o", "name"]));
        assert_eq!(
            out,
            format!("foo.demo.jeremyxu2010.me/{name}\n"),
            "kubectl {}",
            kubectl.version
        );
    }
}

/// Usage errors in kubectl's form, through every kubectl's dispatch: the whole message on one
/// line and the command whose help to read; an unknown command with cobra's "Did you mean
/// this?"; no command at all prints the help and succeeds, as kubectl does.
#[test]
fn usage_errors_say_what_is_wrong_and_where_to_look() {
    let kc = Path::new("/nonexistent/kubeconfig");
    common::each_kubectl(|kubectl| {
        let env = Env::new(kubectl);
        for (command, missing) in [
            ("get", "<NAME>..."),
            ("describe", "<NAME>..."),
            ("status", "<NAME>"),
            ("create", "<NAME>"),
            ("apply", "--filename <FILE>"),
            ("suspend", "<NAME>..."),
            ("delete", "<NAME>..."),
            ("completion", "<SHELL>"),
        ] {
            let err = failure(&env.foo(kc, &[command]), 2);
            assert_eq!(
                err,
                format!(
                    "error: the following required arguments were not provided: {missing}\n\
                     See 'kubectl foo {command} --help' for usage.\n"
                ),
                "kubectl foo {command}"
            );
        }
        let err = failure(&env.foo(kc, &["list", "--selectr", "a=b"]), 2);
        assert!(err.contains("'--selectr'"), "{err}");
        assert!(
            err.ends_with("See 'kubectl foo list --help' for usage.\n"),
            "{err}"
        );

        // A value refused by its parser: the reason, and the command's own help.
        let err = failure(&env.foo(kc, &["get", "pods/a"]), 2);
        assert_eq!(
            err,
            "error: invalid value 'pods/a' for '<NAME>...': \"pods\" is not foos: give NAME or foos/NAME (kubectl foo works on foos/demo.jeremyxu2010.me only)\n\
             See 'kubectl foo get --help' for usage.\n"
        );

        let out = env.foo(kc, &["lst"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            stderr(&out),
            "error: unknown command \"lst\" for \"kubectl foo\"\n\n\
             Did you mean this?\n\tlist\n\n\
             Run 'kubectl foo --help' for usage.\n"
        );

        let help = ok(&env.foo(kc, &[]));
        assert!(help.contains("Usage: kubectl foo"), "{help}");
        assert!(help.contains("list"), "{help}");
    });
}

/// `-o name` output can be fed back: `foo.demo.jeremyxu2010.me/NAME` and every TYPE/NAME
/// kubectl takes for foos name a Foo; other types are refused before anything is sent.
#[test]
fn type_slash_name_is_taken_wherever_a_name_is() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        for name in ["a", "b", "c", "d"] {
            ok(&env.foo(&kc, &["create", name]));
        }
        assert_eq!(
            ok(&env.foo(
                &kc,
                &[
                    "get",
                    "fo/a",
                    "foos/b",
                    "Foo/c",
                    "foos.demo.jeremyxu2010.me/d",
                    "-o",
                    "name"
                ]
            )),
            "foo.demo.jeremyxu2010.me/a\nfoo.demo.jeremyxu2010.me/b\nfoo.demo.jeremyxu2010.me/c\nfoo.demo.jeremyxu2010.me/d\n"
        );
        ok(&env.foo(&kc, &["suspend", "foo/a"]));
        ok(&env.foo(&kc, &["resume", "foos.v1beta1.demo.jeremyxu2010.me/a"]));
        assert!(ok(&env.foo(&kc, &["describe", "foo/a"])).contains("Name:"));
        ok(&env.foo(&kc, &["bar", "foo/a"]));
        let err = failure(&env.foo(&kc, &["delete", "--yes", "pods/a"]), 2);
        assert!(err.contains("\"pods\" is not foos"), "{err}");

        // As a user would: list the names, then delete them all with xargs.
        let names = ok(&env.foo(&kc, &["list", "-o", "name"]));
        let mut args = vec!["delete", "--yes"];
        args.extend(names.lines());
        ok(&env.foo(&kc, &args));
        assert_eq!(ok(&env.foo(&kc, &["list", "-o", "name"])), "");
    });
}

#[test]
fn connection_flags_and_errors() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "one"]));

        // KUBECONFIG with several files: the first holds an unrelated cluster.
        let other = server.dir.path().join("other-kubeconfig");
        std::fs::write(
            &other,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: elsewhere\n  cluster:\n    server: https://127.0.0.1:1\n",
        )
        .unwrap();
        let joined = format!("{}:{}", other.display(), kc.display());
        let out = Command::new(&env.kubectl.path)
            .args(["foo", "list", "-o", "name"])
            .env("PATH", env.path())
            .env("KUBECONFIG", &joined)
            .env("XDG_CACHE_HOME", env.cache.path())
            .output()
            .unwrap();
        assert_eq!(ok(&out), "foo.demo.jeremyxu2010.me/one\n");
        // --cluster picks the other cluster (nothing listens there).
        let err = failure(
            &Command::new(&env.kubectl.path)
                .args(["foo", "list", "--cluster", "elsewhere"])
                .env("PATH", env.path())
                .env("KUBECONFIG", &joined)
                .output()
                .unwrap(),
            1,
        );
        assert!(err.contains("cannot reach the server"), "{err}");
        // --context that does not exist.
        let err = failure(&env.foo(&kc, &["list", "--context", "missing"]), 1);
        assert!(err.contains("context \"missing\" does not exist"), "{err}");
        // A bool flag before the command takes no value from it, as kubectl's.
        let out = Command::new(&env.kubectl.path)
            .args([
                "foo",
                "--insecure-skip-tls-verify",
                "list",
                "-o",
                "name",
                "-s",
            ])
            .arg(&server.url)
            .arg("--kubeconfig")
            .arg(&kc)
            .env("PATH", env.path())
            .env("XDG_CACHE_HOME", env.cache.path())
            .output()
            .unwrap();
        assert_eq!(ok(&out), "foo.demo.jeremyxu2010.me/one\n");
        ok(&env.foo(&kc, &["list", "--insecure-skip-tls-verify=false"]));
        // -s/--server with --insecure-skip-tls-verify plus the kubeconfig's client certificate.
        let out = env.foo(
            &kc,
            &[
                "list",
                "-o",
                "name",
                "-s",
                &server.url,
                "--insecure-skip-tls-verify",
            ],
        );
        assert_eq!(ok(&out), "foo.demo.jeremyxu2010.me/one\n");
        // A --user that does not exist.
        let err = failure(&env.foo(&kc, &["list", "--user", "nobody-here"]), 1);
        assert!(err.contains("user \"nobody-here\" does not exist"), "{err}");
        // Bad --request-timeout is a usage error.
        failure(&env.foo(&kc, &["list", "--request-timeout", "soon"]), 2);
        ok(&env.foo(&kc, &["list", "--request-timeout", "10s"]));

        // The server is down: one clear line, exit 1.
        let kept = env.cache.path().join("kubeconfig");
        std::fs::copy(&kc, &kept).unwrap();
        let url = server.url.clone();
        drop(server);
        let err = failure(&env.foo(&kept, &["list"]), 1);
        assert!(
            err.starts_with(&format!("error: cannot reach the server {url}: ")),
            "{err}"
        );
        // version prints the plugin's version, then why the server's is missing.
        let out = env.foo(&kept, &["version"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(ok_stdout(&out).starts_with("Plugin Version: kubectl-foo v"));
        assert!(stderr(&out).starts_with(&format!("error: cannot reach the server {url}: ")));

        // A kubeconfig that is not there: named once, with why.
        let err = failure(&env.foo(Path::new("/nonexistent/kubeconfig"), &["list"]), 1);
        assert_eq!(err.matches("/nonexistent/kubeconfig").count(), 1, "{err}");
    });
}

fn ok_stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn watch_prints_rows_as_they_change() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "first"]));
        let mut child = env
            .command(&kc, &["list", "-w"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut created = false;
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                seen.push(line);
            }
            if !created && seen.iter().any(|l| l.starts_with("first")) {
                ok(&env.foo(&kc, &["create", "second"]));
                created = true;
            }
            if seen.iter().any(|l| l.starts_with("second")) {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(seen[0].starts_with("NAME"), "{seen:?}");
        assert_eq!(
            seen.iter().filter(|l| l.starts_with("NAME")).count(),
            1,
            "{seen:?}"
        );
        assert!(seen.iter().any(|l| l.starts_with("second")), "{seen:?}");
    });
}

/// Commands over several Foos, as kubectl's: names, `-l` and `--all` on describe, suspend,
/// resume and delete, each failure reported while the others go on; delete's
/// `--ignore-not-found` and `--wait` (which waits for finalizers); `create --labels`;
/// `get -w` on one Foo; `apply` of several files and directories; `status`.
#[test]
fn selections_labels_several_files_and_status() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "a1", "--labels", "team=a,tier=web"]));
        ok(&env.foo(&kc, &["create", "a2", "-l", "team=a"]));
        ok(&env.foo(&kc, &["create", "b1", "--labels", "team=b"]));
        let labels = ok(&env.foo(&kc, &["get", "a1", "-o", "jsonpath={.metadata.labels}"]));
        assert_eq!(labels, r#"{"team":"a","tier":"web"}"#);
        let err = failure(&env.foo(&kc, &["create", "x", "--labels", "team"]), 2);
        assert!(err.contains("\"team\" is not key=value"), "{err}");

        assert_eq!(
            ok(&env.foo(&kc, &["suspend", "-l", "team=a"])),
            "foo.demo.jeremyxu2010.me/a1 suspended\nfoo.demo.jeremyxu2010.me/a2 suspended\n"
        );
        let suspended = ok(&env.foo(
            &kc,
            &[
                "list",
                "-o",
                "custom-columns=N:.metadata.name,S:.spec.suspend",
                "--no-headers",
            ],
        ));
        assert_eq!(suspended, "a1    true\na2    true\nb1    false\n");
        let out = env.foo(&kc, &["resume", "a1", "missing", "a2"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            ok_stdout(&out),
            "foo.demo.jeremyxu2010.me/a1 resumed\nfoo.demo.jeremyxu2010.me/a2 resumed\n"
        );
        assert!(
            stderr(&out).contains("\"missing\" not found"),
            "{}",
            stderr(&out)
        );
        ok(&env.foo(&kc, &["resume", "--all"]));
        let err = failure(&env.foo(&kc, &["suspend", "a1", "-l", "team=a"]), 2);
        assert!(err.contains("cannot be used with"), "{err}");
        let out = ok(&env.foo(&kc, &["describe", "-l", "team=a"]));
        assert_eq!(out.matches("Name:").count(), 2, "{out}");
        // Two blank lines between descriptions, as kubectl's.
        assert!(out.contains("<none>\n\n\nName:"), "{out}");
        let out = ok(&env.foo(&kc, &["suspend", "-l", "team=nobody"]));
        assert_eq!(out, "");

        // delete: a missing Foo fails unless --ignore-not-found; -l picks by label.
        let out = env.foo(&kc, &["delete", "--yes", "missing"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            stderr(&out),
            "Error from server (NotFound): foos.demo.jeremyxu2010.me \"missing\" not found\n"
        );
        ok(&env.foo(&kc, &["delete", "--yes", "--ignore-not-found", "missing"]));
        assert_eq!(
            ok(&env.foo(&kc, &["delete", "--yes", "-l", "team=a"])),
            "foo.demo.jeremyxu2010.me \"a1\" deleted\nfoo.demo.jeremyxu2010.me \"a2\" deleted\n"
        );

        // --wait (the default) returns once the finalizers are done; --wait=false at once.
        let held = "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\n";
        ok(&env.foo_stdin(&kc, &["apply", "-f", "-"], held));
        ok(&env.foo(&kc, &["delete", "--yes", "--wait=false", "held"]));
        ok(&env.foo(&kc, &["get", "held"]));
        let mut waiting = env
            .command(&kc, &["delete", "--yes", "held"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            waiting.try_wait().unwrap().is_none(),
            "delete returned while held"
        );
        let release = Command::new(&env.kubectl.path)
            .args([
                "patch",
                "foo",
                "held",
                "--type=merge",
                "-p",
                r#"{"metadata":{"finalizers":null}}"#,
                "--kubeconfig",
            ])
            .arg(&kc)
            .env("XDG_CACHE_HOME", env.cache.path())
            .output()
            .unwrap();
        ok(&release);
        let deadline = Instant::now() + Duration::from_secs(30);
        while waiting.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "delete still waiting after the finalizer went"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            ok(&waiting.wait_with_output().unwrap()),
            "foo.demo.jeremyxu2010.me \"held\" deleted\n"
        );
        failure(&env.foo(&kc, &["get", "held"]), 1);

        // get -w: one Foo, then its changes; several names are refused as kubectl does.
        let mut watching = Watching::start(env.command(&kc, &["get", "b1", "-w"]));
        watching.until("b1");
        ok(&env.foo(&kc, &["bar", "b1"]));
        let seen = watching.until("   1   ").to_owned();
        assert!(seen.starts_with("NAME"), "{seen}");
        assert_eq!(seen.matches("NAME").count(), 1, "{seen}");
        assert!(
            seen.lines().skip(1).all(|line| line.starts_with("b1 ")),
            "{seen}"
        );
        let err = failure(&env.foo(&kc, &["get", "b1", "a1", "-w"]), 1);
        assert!(
            err.contains("watch is only supported on individual resources"),
            "{err}"
        );

        // apply: several -f, a directory (its .yaml/.yml/.json files), -R for its subdirectories.
        let dir = tempfile::tempdir().unwrap();
        let manifest = |name: &str| {
            format!(
                "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: {name}\n"
            )
        };
        std::fs::write(dir.path().join("one.yaml"), manifest("f1")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/two.yml"), manifest("f2")).unwrap();
        let json = dir.path().join("three.json");
        std::fs::write(
            &json,
            r#"{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"f3"}}"#,
        )
        .unwrap();
        let root = dir.path().display().to_string();
        let out = ok(&env.foo(&kc, &["apply", "-f", &root, "--dry-run=client"]));
        assert_eq!(
            out,
            "foo.demo.jeremyxu2010.me/f1 created (dry run)\nfoo.demo.jeremyxu2010.me/f3 created (dry run)\n"
        );
        let sub = dir.path().join("sub/two.yml").display().to_string();
        let out = ok(&env.foo(&kc, &["apply", "-R", "-f", &root, "-f", &sub]));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "foo.demo.jeremyxu2010.me/f1 created",
                "foo.demo.jeremyxu2010.me/f2 created",
                "foo.demo.jeremyxu2010.me/f3 created",
                "foo.demo.jeremyxu2010.me/f2 unchanged",
            ]
        );
        let err = failure(&env.foo(&kc, &["apply", "-f", "/nonexistent/x.yaml"]), 1);
        assert_eq!(
            err,
            "error: the path \"/nonexistent/x.yaml\" does not exist\n"
        );

        // A YAML error keeps serde-saphyr's snippet, lines and marker included.
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "kind: Foo\nmetadata:\n  name: [x\n").unwrap();
        let out = env.foo(&kc, &["apply", "-f", &bad.display().to_string()]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: error parsing {}: ", bad.display())),
            "{err}"
        );
        assert!(err.lines().count() > 2 && err.contains("^"), "{err}");

        // status: the spec, the controller, the conditions and bar at a glance.
        let out = ok(&env.foo(&kc, &["status", "b1"]));
        for part in [
            "Foo b1\n",
            "\nController\n",
            "\nConditions\n",
            "\nBar\n",
            "  Calls:",
            "Ready",
        ] {
            assert!(out.contains(part), "{part:?} in:\n{out}");
        }
        let err = failure(&env.foo(&kc, &["status", "missing"]), 1);
        assert!(err.contains("\"missing\" not found"), "{err}");
    });
}

/// `kubectl foo list|get` and `kubectl get foos` print the same bytes for every output form
/// and flag they share, on the same objects, through each kubectl with that kubectl. Ages
/// tick between two runs, so the plugin's output must equal kubectl's from just before or
/// just after it.
#[test]
fn output_matches_kubectl_get_byte_for_byte() {
    let server = Server::start_with(&["--controller=false"]);
    let kc = server.kubeconfig();
    let setup = Env::new(&newest());
    ok(&setup.foo(
        &kc,
        &["create", "alpha", "--greeting", "Hi", "--labels", "team=a"],
    ));
    ok(&setup.foo(
        &kc,
        &["create", "beta", "--suspend", "--labels", "team=b,tier=web"],
    ));
    ok(&setup.foo(&kc, &["create", "gamma", "--greeting", "Yo"]));
    ok(&setup.foo(&kc, &["bar", "alpha"]));
    // More than 12 with equal keys: kubectl's sort (Go's sort.Sort) leaves them in an order
    // of its own past 12 items.
    for i in 0..13 {
        let greeting = ["Hi", "Yo", "Hey"][i % 3];
        let team = format!("team=t{}", i % 2);
        ok(&setup.foo(
            &kc,
            &[
                "create",
                &format!("tie-{i:02}"),
                "--greeting",
                greeting,
                "--labels",
                &team,
            ],
        ));
    }
    // One whose strings take every YAML style.
    let manifest = server.dir.path().join("delta.json");
    std::fs::write(&manifest, common::foo_of_every_yaml_style("delta")).unwrap();
    ok(&setup.foo(&kc, &["apply", "-f", manifest.to_str().unwrap()]));
    common::each_kubectl(|kubectl| same_output_as(&Env::new(kubectl), &kc));
}

fn same_output_as(env: &Env, kc: &Path) {
    let kubectl = |args: &[&str]| {
        let mut command = Command::new(&env.kubectl.path);
        command
            .args(args)
            .arg("--kubeconfig")
            .arg(kc)
            .env("XDG_CACHE_HOME", env.cache.path())
            .env_remove("KUBECONFIG");
        command.output().unwrap()
    };
    let printed = |out: &Output| (out.status.code(), out.stdout.clone());
    let same = |plugin_args: &[&str], kubectl_args: &[&str]| {
        // On a loaded machine an age may tick twice across the three runs: a few tries.
        let attempt = || {
            let before = kubectl(kubectl_args);
            let ours = env.foo(kc, plugin_args);
            let after = kubectl(kubectl_args);
            let matched = printed(&ours) == printed(&before) || printed(&ours) == printed(&after);
            (matched, ours, after)
        };
        let mut result = attempt();
        for _ in 1..3 {
            if result.0 {
                break;
            }
            result = attempt();
        }
        let (matched, ours, after) = result;
        assert!(
            matched,
            "kubectl foo {plugin_args:?} vs kubectl {kubectl_args:?}:\n--- ours ({:?}):\n{}{}\n--- kubectl:\n{}{}",
            ours.status.code(),
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&after.stdout),
            String::from_utf8_lossy(&after.stderr),
        );
    };
    let templates = tempfile::tempdir().unwrap();
    let file = |format: &str, text: &str| {
        let path = templates.path().join(format);
        std::fs::write(&path, text).unwrap();
        format!("{format}={}", path.display())
    };
    let go_template_file = file(
        "go-template-file",
        "{{range .items}}{{.metadata.name}}\n{{end}}",
    );
    let templatefile = file("templatefile", "{{.kind}}");
    let jsonpath_file = file("jsonpath-file", "{.items[*].spec.greeting}\n");
    let custom_columns_file = file(
        "custom-columns-file",
        "NAME   GREETING\n.metadata.name   {.spec.greeting}\n",
    );
    let forms: &[&[&str]] = &[
        &[],
        &["-o", "wide"],
        &["--show-labels"],
        &["-o", "wide", "--show-labels"],
        &["--no-headers"],
        &["-o", "wide", "--no-headers"],
        &["-o", "name"],
        &["-o", "json"],
        &["-o", "yaml"],
        &["-o", "jsonpath={.metadata.name}"],
        &["-o", "jsonpath-as-json={.items[*].metadata.name}"],
        &["-o", "jsonpath-as-json={range .items[*]}{.spec}{end}"],
        &[
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}{\"\\t\"}{.spec.greeting}{\"\\n\"}{end}",
        ],
        &[
            "-o",
            "custom-columns=NAME:.metadata.name,SAYS:.spec.greeting,LABELS:.metadata.labels",
        ],
        &["-o", "custom-columns=NAME:.metadata.name", "--no-headers"],
        // Values with line breaks and tabs: kubectl's tabwriter starts lines and cells there.
        &[
            "-o",
            "custom-columns=N:.metadata.name,K:.metadata.annotations.kept,T:.metadata.annotations.tab,G:.spec.greeting",
        ],
        &[
            "-o",
            "custom-columns=N:.metadata.name,A:.metadata.annotations,L:.metadata.labels",
        ],
        &["--sort-by", ".spec.greeting"],
        &["--sort-by", ".spec.greeting", "-o", "name"],
        &["--sort-by", ".metadata.labels.team", "-o", "json"],
        &["--sort-by", "{.status.barCount}", "-o", "name"],
        &["--sort-by", ".spec.suspend"],
        &["--sort-by", ".status.conditions", "-o", "name"],
        &["-l", "team"],
        &["-l", "team in (a,b),tier!=web", "-o", "wide"],
        &["--field-selector", "metadata.name!=beta", "-o", "name"],
        &["-L", "team"],
        // Namespace flags, which change nothing for cluster-scoped Foos.
        &["-n", "default"],
        &["-A", "-o", "wide"],
        &["-L", "team,tier", "-L", "example.com/nope", "--show-labels"],
        &["--show-kind"],
        &["--show-kind", "-o", "wide", "-L", "tier", "--no-headers"],
        &[
            "-o",
            "go-template={{range .items}}{{.metadata.name}}:{{.metadata.labels}} {{.spec}} {{.status.barCount}}{{\"\\n\"}}{{end}}",
        ],
        &["-o", "go-template={{.nope}} {{len .items}}"],
        &[
            "--template",
            "{{range .items}}{{if .spec.suspend}}{{.metadata.name}}{{end}}{{end}}",
        ],
        &["-o", "template={{(index .items 0).metadata.name}}"],
        &["-o", &go_template_file],
        &["-o", &templatefile],
        &["-o", &jsonpath_file],
        &["-o", &custom_columns_file],
        &["-o", "json", "--show-managed-fields"],
        &[
            "-o",
            "jsonpath={.items[*].metadata.managedFields[*].manager}",
        ],
        &[
            "-o",
            "custom-columns=N:.metadata.name,M:.metadata.managedFields[0].manager",
        ],
        // Errors: the same exit code, nothing on stdout.
        &["-o", "xml"],
        &["-o", "go-template"],
        &["-o", "custom-columns=NAME"],
        &[
            "-o",
            "jsonpath={.nope}",
            "--allow-missing-template-keys=false",
        ],
        &["--sort-by", ".spec.nope", "-o", "name"],
    ];
    for form in forms {
        let mut ours = vec!["list"];
        ours.extend_from_slice(form);
        let mut theirs = vec!["get", "foos"];
        theirs.extend_from_slice(form);
        same(&ours, &theirs);
    }
    let single: &[&[&str]] = &[
        &[],
        &["-o", "wide"],
        &["-o", "json"],
        &["-o", "yaml"],
        &["-o", "name"],
        &["-o", "jsonpath={.spec}"],
        &["-o", "jsonpath-as-json={.metadata.name}"],
        &["-o", "custom-columns=N:.metadata.name,S:.spec.suspend"],
        &["--show-labels", "--no-headers"],
        &["--show-kind", "-L", "team"],
        &[
            "-o",
            "go-template={{.metadata.name}} {{.spec}} {{.metadata.generation}}",
        ],
        &["-o", "jsonpath={.metadata.managedFields[0].manager}"],
        &["-o", "json", "--show-managed-fields"],
        &["-o", "yaml", "--show-managed-fields"],
    ];
    // A Foo that is not there: an error, or nothing with --ignore-not-found.
    for form in [
        &[][..],
        &["--ignore-not-found"],
        &["--ignore-not-found", "-o", "name"],
    ] {
        let mut ours = vec!["get", "alpha", "nope"];
        ours.extend_from_slice(form);
        let mut theirs = vec!["get", "foos", "alpha", "nope"];
        theirs.extend_from_slice(form);
        same(&ours, &theirs);
    }
    for form in single {
        for names in [&["beta"][..], &["alpha", "gamma"][..]] {
            let mut ours = vec!["get"];
            ours.extend_from_slice(names);
            ours.extend_from_slice(form);
            let mut theirs = vec!["get", "foos"];
            theirs.extend_from_slice(names);
            theirs.extend_from_slice(form);
            same(&ours, &theirs);
        }
    }
    // describe: kubectl's generic describer, the Foo with every kind of string included.
    for selection in [
        &["alpha"][..],
        &["delta"],
        &["beta", "gamma"],
        &["-l", "team=t1"],
        &["nope"],
    ] {
        let mut ours = vec!["describe"];
        ours.extend_from_slice(selection);
        let mut theirs = vec!["describe", "foos"];
        theirs.extend_from_slice(selection);
        same(&ours, &theirs);
    }
    same(&["describe", "--all"], &["describe", "foos"]);
}

/// Help in kubectl's layout: each command's own flags, then the connection flags under
/// "Global flags", then examples; man pages refer to each other by their file names.
#[test]
fn help_has_examples_and_global_flags_apart() {
    common::each_kubectl(|kubectl| {
        let env = Env::new(kubectl);
        let kc = Path::new("/nonexistent/kubeconfig");
        let top = ok(&env.foo(kc, &["--help"]));
        let commands: Vec<String> = top
            .lines()
            .skip_while(|line| !line.starts_with("Commands:"))
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .map(|line| {
                line.split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches(',')
                    .to_owned()
            })
            .collect();
        assert!(commands.len() >= 13, "{commands:?}");
        for command in &commands {
            let help = ok(&env.foo(kc, &[command, "--help"]));
            let examples = help
                .find("Examples:")
                .unwrap_or_else(|| panic!("no examples for {command}:\n{help}"));
            let global = help
                .find("Global flags:")
                .unwrap_or_else(|| panic!("no Global flags for {command}:\n{help}"));
            let own = help
                .find("Options:")
                .unwrap_or_else(|| panic!("no Options for {command}:\n{help}"));
            assert!(own < global && global < examples, "{command}:\n{help}");
            assert!(help[examples..].contains("kubectl"), "{command}:\n{help}");
            let own_flags = &help[own..global];
            assert!(!own_flags.contains("--kubeconfig"), "{command}:\n{help}");
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let man = std::fs::read_to_string(root.join("man/kubectl-foo.1")).unwrap();
        assert!(man.contains("kubectl\\-foo\\-bar(1)"), "{man}");
        assert!(!man.contains("kubectl foo\\-bar(1)"), "{man}");
    });
}

/// A watching command's stdout, read on a thread.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Watching {
    fn start(mut command: Command) -> Watching {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn a watch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Reads until the output holds `text`, then until it has been quiet a moment.
    fn until(&mut self, text: &str) -> &str {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.seen.contains(text) && Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.seen.push_str(&line);
                self.seen.push('\n');
            }
        }
        assert!(
            self.seen.contains(text),
            "waited for {text:?} in:\n{}",
            self.seen
        );
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        &self.seen
    }
}

impl Watching {
    /// Whether the output holds `text` within a second.
    fn saw(&mut self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.seen.contains(text) && Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.seen.push_str(&line);
                self.seen.push('\n');
            }
        }
        self.seen.contains(text)
    }

    /// Reads until the output has been quiet a moment, and forgets it all.
    fn forget(&mut self) {
        while self.lines.recv_timeout(Duration::from_millis(500)).is_ok() {}
        self.seen.clear();
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kubectl foo list -w -o FORMAT` prints what `kubectl get foos -w -o FORMAT` prints, byte for
/// byte: the listed objects one by one (never a List), then each change; YAML documents
/// separated by `---`.
#[test]
fn watch_in_object_formats_prints_as_kubectl_get_w() {
    common::each_kubectl(|kubectl| {
        let server = Server::start_with(&["--controller=false"]);
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "first"]));
        let forms: [(&[&str], &str); 6] = [
            (&["-w", "-o", "json"], "\"name\": \"second\""),
            (&["-w", "-o", "yaml"], "name: second"),
            (&["-w", "-o", "name"], "/second"),
            // Watch events: JSON on one line each, or an EVENT column (watch-only, so that no
            // age of a listed Foo can tick between the two).
            (
                &["-w", "--output-watch-events", "-o", "json"],
                "\"name\":\"second\"",
            ),
            (&["--watch-only", "--output-watch-events"], "second"),
            (
                &[
                    "--watch-only",
                    "--output-watch-events",
                    "--show-kind",
                    "-L",
                    "team",
                    "-o",
                    "wide",
                ],
                "/second",
            ),
        ];
        for (args, second) in forms {
            let mut plugin = Watching::start(env.command(&kc, &[&["list"], args].concat()));
            let mut kubectl = Watching::start({
                let mut command = Command::new(&env.kubectl.path);
                command
                    .args(["get", "foos"])
                    .args(args)
                    .arg("--kubeconfig")
                    .arg(&kc)
                    .env("XDG_CACHE_HOME", env.cache.path());
                command
            });
            if args.contains(&"--watch-only") {
                // Neither prints anything before a change: change a probe until both have
                // printed it, so that both are watching, then forget what they printed.
                ok(&env.foo(&kc, &["create", "probe"]));
                let mut change = 0;
                while !(plugin.saw("probe") && kubectl.saw("probe")) {
                    change += 1;
                    assert!(change < 30, "the watches never saw the probe change");
                    let toggle = if change % 2 == 1 { "suspend" } else { "resume" };
                    ok(&env.foo(&kc, &[toggle, "probe"]));
                }
                plugin.forget();
                kubectl.forget();
            } else {
                plugin.until("first");
                kubectl.until("first");
            }
            ok(&env.foo(&kc, &["create", "second", "--labels", "team=a"]));
            let expected = kubectl.until(second).to_owned();
            assert_eq!(plugin.until(second), expected, "{args:?}");
            ok(&env.foo(
                &kc,
                &["delete", "--yes", "second", "probe", "--ignore-not-found"],
            ));
        }
    });
}

/// apply over several objects, as kubectl: a file with an object that is not a Foo applies
/// nothing and names the object; an object the server refuses is reported by name while the
/// others are applied; a server-side apply conflict keeps the server's message and kubectl's
/// advice; `--force-conflicts` needs `--server-side`; `--dry-run=client` sends nothing.
#[test]
fn apply_checks_every_object_first_and_reports_each_failure() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        let foo = |name: &str, greeting: &str| {
            format!(
                "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: {name}\nspec:\n  greeting: \"{greeting}\"\n"
            )
        };
        let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";

        let mixed = format!("{}---\n{config_map}", foo("first", "Hi"));
        let err = failure(&env.foo_stdin(&kc, &["apply", "-f", "-"], &mixed), 1);
        assert!(
            err.contains("(object 2 of 2)") && err.contains("v1 ConfigMap"),
            "{err}"
        );
        assert!(err.contains("nothing was applied"), "{err}");
        failure(&env.foo(&kc, &["get", "first"]), 1);

        let one_bad = format!(
            "{}---\n{}---\n{}",
            foo("a", "Hi"),
            foo("b", "\\u0001"),
            foo("c", "Yo")
        );
        let out = env.foo_stdin(&kc, &["apply", "-f", "-"], &one_bad);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            ok_stdout(&out),
            "foo.demo.jeremyxu2010.me/a created\nfoo.demo.jeremyxu2010.me/c created\n"
        );
        let err = stderr(&out);
        assert!(
            err.starts_with("Error from server (Invalid): error when applying foo.demo.jeremyxu2010.me \"b\" from \"-\": "),
            "{err}"
        );

        let err = failure(
            &env.foo_stdin(
                &kc,
                &["apply", "--force-conflicts", "-f", "-"],
                &foo("a", "Hi"),
            ),
            2,
        );
        assert!(err.contains("--server-side"), "{err}");

        let out = ok(&env.foo_stdin(
            &kc,
            &["apply", "--dry-run=client", "-f", "-"],
            &format!("{}---\n{}", foo("a", "New"), foo("d", "New")),
        ));
        assert_eq!(
            out,
            "foo.demo.jeremyxu2010.me/a configured (dry run)\nfoo.demo.jeremyxu2010.me/d created (dry run)\n"
        );
        failure(&env.foo(&kc, &["get", "d"]), 1);
        let err = failure(
            &env.foo_stdin(
                &kc,
                &["apply", "--server-side", "--dry-run=client", "-f", "-"],
                &foo("a", "Hi"),
            ),
            2,
        );
        assert!(err.contains("--dry-run=server"), "{err}");

        // "a" was created by kubectl foo: another manager changing its greeting conflicts.
        let out = env.foo_stdin(
            &kc,
            &[
                "apply",
                "--server-side",
                "--field-manager",
                "other",
                "-f",
                "-",
            ],
            &foo("a", "Changed"),
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.starts_with("error: Apply failed with 1 conflict: conflict with \"kubectl-foo\""),
            "{err}"
        );
        assert!(
            err.contains(".spec.greeting\nPlease review the fields above"),
            "{err}"
        );
        assert!(err.contains("--force-conflicts"), "{err}");
        ok(&env.foo_stdin(
            &kc,
            &[
                "apply",
                "--server-side",
                "--field-manager",
                "other",
                "--force-conflicts",
                "-f",
                "-",
            ],
            &foo("a", "Changed"),
        ));
        assert_eq!(ok(&env.foo(&kc, &["bar", "a"])), "Changed, world\n");
    });
}

/// A plain-HTTP server that answers every request with `response`; a kubeconfig for it.
fn answering(response: &'static str, dir: &Path) -> PathBuf {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = stream.write_all(response.as_bytes());
        }
    });
    let path = dir.join(format!("kubeconfig-{port}"));
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {{}}\n"
        ),
    )
    .expect("write kubeconfig");
    path
}

/// Servers that are not foo-apiserver: one without the API (kube-apiserver's plain
/// "404 page not found") is not a missing Foo, and an HTML error page is not printed raw.
#[test]
fn servers_without_the_api_or_with_html_errors_get_one_clear_line() {
    common::each_kubectl(|kubectl| {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = Env::new(kubectl);
        let no_api = answering(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\n404 page not found",
            dir.path(),
        );
        for args in [&["get", "x"][..], &["delete", "--yes", "x"], &["bar", "x"]] {
            let err = failure(&env.foo(&no_api, args), 1);
            assert_eq!(
                err, "error: the server doesn't have a resource type \"foos\"\n",
                "{args:?}"
            );
        }
        let html = answering(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 51\r\nConnection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1></body></html>\n",
            dir.path(),
        );
        let err = failure(&env.foo(&html, &["get", "x"]), 1);
        assert!(!err.contains('<'), "{err}");
        assert!(err.contains("502 with an HTML page"), "{err}");
    });
}

#[test]
fn completion_through_kubectl_and_bash() {
    let server = Server::start();
    let kc = server.kubeconfig();
    let env = Env::new(&newest());
    ok(&env.foo(&kc, &["create", "completeme"]));
    ok(&env.foo(&kc, &["create", "other"]));

    common::each_kubectl(|kubectl| {
        let env = Env::new(kubectl);
        // kubectl's __complete relays kubectl_complete-foo (subcommands, flags, names).
        let complete = |words: &[&str]| {
            let out = Command::new(&env.kubectl.path)
                .arg("__complete")
                .arg("foo")
                .args(words)
                .env("PATH", env.path())
                .env("KUBECONFIG", &kc)
                .output()
                .unwrap();
            ok(&out)
        };
        let out = complete(&["de"]);
        assert!(
            out.contains("delete\t") && out.contains("describe\t") && out.ends_with(":4\n"),
            "{out}"
        );
        let out = complete(&["list", "--sort"]);
        assert!(out.contains("--sort-by"), "{out}");
        let out = complete(&["get", "comp"]);
        assert_eq!(out, "completeme\n:4\n");
        // Output formats: what kubectl offers for its own get.
        let theirs = Command::new(&env.kubectl.path)
            .args(["__complete", "get", "foos", "-o", ""])
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        assert_eq!(complete(&["list", "-o", ""]), ok(&theirs));

        // The same through kubectl's bash completion script.
        let script = r#"
    _get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    compopt() { :; }
    source <(kubectl completion bash)
    complete_line() {
      COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
      COMPREPLY=(); __start_kubectl kubectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\n' "${COMPREPLY[@]}"; echo ---
    }
    complete_line kubectl foo bar ""
    complete_line kubectl foo li
    "#;
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("PATH", env.path())
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        let text = ok(&out);
        let parts: Vec<&str> = text.split("---\n").collect();
        let names: Vec<&str> = parts[0].lines().map(str::trim).collect();
        assert!(
            names.contains(&"completeme") && names.contains(&"other"),
            "{text}\n{}",
            stderr(&out)
        );
        assert!(parts[1].lines().any(|l| l.trim() == "list"), "{text}");
    });

    let scratch = tempfile::tempdir().unwrap();
    let empty = scratch.path().join("empty-kubeconfig");
    std::fs::write(&empty, "apiVersion: v1\nkind: Config\n").unwrap();
    // `source <(kubectl-foo completion bash)`: the script asks `kubectl-foo __complete`, so
    // names come from the cluster the line's own flags name, and values after `=` complete.
    let script = format!(
        r#"
source <(kubectl-foo completion bash)
complete_line() {{
  COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
  read -ra COMP_WORDS <<< "$COMP_LINE"; [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=()
  _kubectl_foo kubectl-foo "${{COMP_WORDS[COMP_CWORD]}}"
  printf '%s\n' "${{COMPREPLY[@]}}"; echo ---
}}
complete_line "kubectl-foo get comp"
complete_line "kubectl-foo --kubeconfig {empty} delete "
complete_line "kubectl-foo --kubeconfig {kc} delete "
complete_line "kubectl-foo list -o ya"
complete_line "kubectl-foo ap"
"#,
        empty = empty.display(),
        kc = kc.display(),
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", env.path())
        .env("KUBECONFIG", &kc)
        .output()
        .unwrap();
    let text = ok(&out);
    let parts: Vec<Vec<&str>> = text
        .split("---\n")
        .map(|part| part.lines().filter(|l| !l.is_empty()).collect())
        .collect();
    assert_eq!(parts[0], ["completeme"], "{text}");
    assert!(parts[1].is_empty(), "no names without a cluster: {text}");
    assert_eq!(parts[2], ["completeme", "other"], "{text}");
    assert_eq!(parts[3], ["yaml"], "{text}");
    assert_eq!(parts[4], ["apply", "api-resources"], "{text}");

    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = ok(&env.foo(&kc, &["completion", shell]));
        assert!(out.contains("kubectl-foo __complete"), "{shell}");
    }

    // fish completes non-interactively: names, flag values, commands with their help, files.
    let shell = |program: &str, script: &str| {
        let out = Command::new(program)
            .arg("-c")
            .arg(script)
            .env("PATH", env.path())
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap_or_else(|e| panic!("{program} (cargo xtask test installs it): {e}"));
        ok(&out)
    };
    let fish = shell(
        "fish",
        "kubectl-foo completion fish | source
         complete -C 'kubectl-foo get comp'; echo ---
         complete -C 'kubectl-foo list -o ya'; echo ---
         complete -C 'kubectl-foo ap'",
    );
    let parts: Vec<&str> = fish.split("---\n").collect();
    assert_eq!(parts[0], "completeme\n", "{fish}");
    assert_eq!(parts[1], "yaml\n", "{fish}");
    assert!(parts[2].contains("apply\tCreate or update Foos"), "{fish}");
    assert!(parts[2].contains("api-resources\t"), "{fish}");
}

#[test]
fn generated_files_are_current() {
    let out = common::cargo()
        .args(["run", "-q", "-p", "xtask", "--", "generate", "--check"])
        .output()
        .expect("cargo xtask generate --check");
    assert!(
        out.status.success(),
        "run `cargo xtask generate`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("completions/kubectl_complete-foo").is_file());
    assert!(root.join("man/kubectl-foo-list.1").is_file());
    assert!(root.join("plugin/krew/foo.yaml").is_file());
}

/// A tmux session on its own socket, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `kubectl foo args` on a terminal of its own.
    fn start(env: &Env, kubeconfig: &Path, args: &str) -> Tmux {
        Tmux::run(env, kubeconfig, &format!("kubectl foo {args}"))
    }

    /// `command` (a shell line) on a terminal of its own, with the plugin on PATH.
    fn run(env: &Env, kubeconfig: &Path, command: &str) -> Tmux {
        let socket = format!("kubectl-foo-test-{}-{}", std::process::id(), rand_suffix());
        let command = format!(
            "PATH='{}' KUBECONFIG='{}' XDG_CACHE_HOME='{}' {command}; echo EXIT=$?; sleep 30",
            env.path(),
            kubeconfig.display(),
            env.cache.path().display()
        );
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
            ])
            .arg(command)
            .env_remove("TMUX")
            .status()
            .expect("tmux");
        assert!(status.success());
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// tmux's `cursor_flag` of the pane: "1" when the cursor is shown.
    fn cursor_shown(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display",
                "-p",
                "-t",
                "0",
                "#{cursor_flag}",
            ])
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Whether tmux is missing for the terminal tests (`cargo xtask test` installs it).
fn tmux_missing() -> bool {
    let missing = Command::new("tmux").arg("-V").output().is_err();
    if missing {
        eprintln!("tmux is not installed: skipping the terminal test");
    }
    missing
}

#[test]
fn terminal_prompts_confirm_delete_and_pick_for_bar() {
    if tmux_missing() {
        return;
    }
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        for name in ["apple", "banana", "cherry"] {
            ok(&env.foo(
                &kc,
                &["create", name, "--greeting", &format!("Hi from {name}")],
            ));
        }

        // delete asks; "n" keeps the Foo, "y" deletes it.
        let tmux = Tmux::start(&env, &kc, "delete apple");
        tmux.wait_for("Delete foo.demo.jeremyxu2010.me \"apple\"?");
        tmux.keys(&["n"]);
        tmux.wait_for("EXIT=1");
        drop(tmux);
        ok(&env.foo(&kc, &["get", "apple"]));
        let tmux = Tmux::start(&env, &kc, "delete apple");
        tmux.wait_for("Delete foo.demo.jeremyxu2010.me \"apple\"?");
        tmux.keys(&["y"]);
        let screen = tmux.wait_for("EXIT=0");
        assert!(
            screen.contains("foo.demo.jeremyxu2010.me \"apple\" deleted"),
            "{screen}"
        );
        drop(tmux);
        failure(&env.foo(&kc, &["get", "apple"]), 1);

        // bar without a name offers a fuzzy pick among the Foos, saying which refuse bar.
        ok(&env.foo(&kc, &["suspend", "banana"]));
        let tmux = Tmux::start(&env, &kc, "bar --arg1 tmux");
        let screen = tmux.wait_for("banana");
        assert!(
            screen.contains("banana  suspended: bar is refused"),
            "{screen}"
        );
        assert!(!screen.contains("cherry  "), "{screen}");
        tmux.keys(&["-l", "cher"]);
        std::thread::sleep(Duration::from_millis(300));
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("EXIT=0");
        assert!(screen.contains("Hi from cherry, tmux"), "{screen}");
        drop(tmux);

        // Ctrl-C in either prompt ends the command with 130 and the cursor shown again.
        for (args, prompt) in [("bar", "banana"), ("delete banana", "Delete")] {
            let tmux = Tmux::start(&env, &kc, args);
            tmux.wait_for(prompt);
            assert_eq!(
                tmux.cursor_shown(),
                "0",
                "{args}: the prompt hides the cursor"
            );
            tmux.keys(&["C-c"]);
            tmux.wait_for("EXIT=130");
            assert_eq!(tmux.cursor_shown(), "1", "{args}: cursor after Ctrl-C");
        }
        ok(&env.foo(&kc, &["get", "banana"]));
    });
}

/// zsh, interactively, completes with the plugin's own script and through kubectl's: names
/// from the cluster, flag values and subcommands.
#[test]
fn zsh_completes_on_a_terminal() {
    if tmux_missing() {
        return;
    }
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "completeme"]));
        let tmux = Tmux::run(&env, &kc, "PS1='zsh> ' zsh -f");
        tmux.wait_for("zsh>");
        let setup = "autoload -U compinit && compinit -u && source <(kubectl-foo completion zsh) \
            && source <(kubectl completion zsh) && clear";
        tmux.keys(&[setup, "Enter"]);
        for (typed, completed) in [
            ("kubectl-foo get comp", "kubectl-foo get completeme"),
            ("kubectl-foo list -o ya", "kubectl-foo list -o yaml"),
            ("kubectl-foo sus", "kubectl-foo suspend"),
            ("kubectl foo get comp", "kubectl foo get completeme"),
            ("kubectl foo des", "kubectl foo describe"),
        ] {
            tmux.keys(&["-l", typed]);
            tmux.keys(&["Tab"]);
            tmux.wait_for(completed);
            tmux.keys(&["C-u"]);
            tmux.wait_until("an empty line", |screen| !screen.contains(completed));
        }
    });
}

/// `list --watch` on a terminal keeps one table current in place: rows added, changed and
/// removed under a single header.
#[test]
fn list_watch_redraws_one_table_on_a_terminal() {
    if tmux_missing() {
        return;
    }
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let kc = server.kubeconfig();
        let env = Env::new(kubectl);
        ok(&env.foo(&kc, &["create", "alpha"]));
        let tmux = Tmux::start(&env, &kc, "list --watch");
        tmux.wait_for("alpha");
        ok(&env.foo(&kc, &["create", "beta"]));
        tmux.wait_for("beta");
        ok(&env.foo(&kc, &["bar", "alpha"]));
        let bars = |screen: &str, name: &str| {
            let row = screen.lines().find(|line| line.starts_with(name))?;
            row.split_whitespace().nth(2).map(str::to_owned)
        };
        tmux.wait_until("alpha's one bar", |screen| {
            bars(screen, "alpha").as_deref() == Some("1")
        });
        ok(&env.foo(&kc, &["delete", "--yes", "beta"]));
        let screen = tmux.wait_until("beta gone", |screen| !screen.contains("beta"));
        assert_eq!(screen.matches("NAME").count(), 1, "{screen}");
        let rows: Vec<&str> = screen
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert_eq!(rows.len(), 2, "{screen}");
        assert!(rows[1].starts_with("alpha"), "{screen}");
    });
}

/// Credentials and routes kubectl users configure: an exec credential plugin, certificate
/// flags over a bare kubeconfig, a bearer token, impersonation, and an HTTP CONNECT proxy
/// from `proxy-url`.
#[test]
fn exec_credentials_certificate_flags_and_proxies() {
    common::each_kubectl(|kubectl| {
        let server = Server::start();
        let env = Env::new(kubectl);
        ok(&env.foo(&server.kubeconfig(), &["create", "reached"]));
        let dir = server.dir.path();
        let pki = dir.join("pki");
        let bare = |name: &str, cluster_extra: &str, user: &str| {
            let path = dir.join(name);
            std::fs::write(
                &path,
                format!(
                    "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: {}\n    certificate-authority: {}\n{cluster_extra}contexts:\n- name: local\n  context:\n    cluster: local\n    user: u\ncurrent-context: local\nusers:\n- name: u\n  user:\n{user}",
                    server.url,
                    pki.join("ca.crt").display(),
                ),
            )
            .unwrap();
            path
        };

        // An exec credential plugin that hands out the admin certificate.
        let plugin = dir.join("credential-plugin.sh");
        let pem = |name: &str| {
            serde_json::to_string(&std::fs::read_to_string(pki.join(name)).unwrap()).unwrap()
        };
        std::fs::write(
            &plugin,
            format!(
                "#!/bin/sh\ncat <<'EOF'\n{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"clientCertificateData\":{},\"clientKeyData\":{}}}}}\nEOF\n",
                pem("admin.crt"),
                pem("admin.key")
            ),
        )
        .unwrap();
        std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let exec = bare(
            "exec-kubeconfig",
            "",
            &format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
                plugin.display()
            ),
        );
        assert_eq!(
            ok(&env.foo(&exec, &["list", "-o", "name"])),
            "foo.demo.jeremyxu2010.me/reached\n"
        );

        // No credentials in the kubeconfig: the certificate flags supply them, and without them
        // the server answers 401.
        let nothing = bare("bare-kubeconfig", "", "    {}\n");
        let err = failure(&env.foo(&nothing, &["list"]), 1);
        assert!(err.contains("Unauthorized"), "{err}");
        let cert = pki.join("admin.crt");
        let key = pki.join("admin.key");
        let out = env.foo(
            &nothing,
            &[
                "list",
                "-o",
                "name",
                "--client-certificate",
                cert.to_str().unwrap(),
                "--client-key",
                key.to_str().unwrap(),
            ],
        );
        assert_eq!(ok(&out), "foo.demo.jeremyxu2010.me/reached\n");

        // Impersonation: the admin may act as another user, whom `local` refuses API resources
        // unless the impersonated groups include system:masters.
        let kc = server.kubeconfig();
        let err = failure(&env.foo(&kc, &["list", "--as", "bob"]), 1);
        assert!(
            err.contains(
                r#"User "bob" cannot list resource "foos" in API group "demo.jeremyxu2010.me""#
            ),
            "{err}"
        );
        let out = env.foo(
            &kc,
            &[
                "list",
                "-o",
                "name",
                "--as",
                "bob",
                "--as-group",
                "system:masters",
            ],
        );
        assert_eq!(ok(&out), "foo.demo.jeremyxu2010.me/reached\n");

        // --token: this server authenticates by certificate only, so the bearer token is seen
        // where it is sent, by a listener that records the requests and answers 401.
        let recorder = Recorder::start();
        let err = failure(
            &env.foo(
                &nothing,
                &[
                    "list",
                    "-s",
                    &format!("http://{}", recorder.address),
                    "--token",
                    "s3cret",
                ],
            ),
            1,
        );
        assert!(err.contains("Unauthorized"), "{err}");
        assert!(
            recorder.requests().iter().any(|head| head
                .to_ascii_lowercase()
                .contains("authorization: bearer s3cret")),
            "no bearer token in {:?}",
            recorder.requests()
        );

        // Through an HTTP CONNECT proxy named by the cluster's proxy-url.
        let proxy = ConnectProxy::start();
        let proxied = bare(
            "proxied-kubeconfig",
            &format!("    proxy-url: http://{}\n", proxy.address),
            &format!(
                "    client-certificate: {}\n    client-key: {}\n",
                cert.display(),
                key.display()
            ),
        );
        assert_eq!(
            ok(&env.foo(&proxied, &["list", "-o", "name"])),
            "foo.demo.jeremyxu2010.me/reached\n"
        );
        let target = server.url.trim_start_matches("https://");
        assert!(
            proxy.tunnels().iter().any(|t| t == target),
            "the proxy saw {:?}, not {target}",
            proxy.tunnels()
        );
    });
}

/// A plain-HTTP listener on 127.0.0.1 that records each request head and answers 401 with
/// kube-apiserver's Status.
struct Recorder {
    address: std::net::SocketAddr,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for mut client in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut head = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    head.push_str(&line);
                    line.clear();
                }
                seen.lock().unwrap().push(head);
                let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;
                let _ = write!(
                    client,
                    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder { address, heads }
    }

    fn requests(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 that records where it tunnelled.
struct ConnectProxy {
    address: std::net::SocketAddr,
    tunnels: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let tunnels = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut request = String::new();
                    reader.read_line(&mut request).unwrap_or_default();
                    // Skip the headers up to the blank line.
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let Some(target) = request
                        .strip_prefix("CONNECT ")
                        .and_then(|r| r.split(' ').next())
                    else {
                        return;
                    };
                    let Ok(upstream) = TcpStream::connect(target) else {
                        return;
                    };
                    seen.lock().unwrap().push(target.to_string());
                    let mut client = client;
                    client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .unwrap();
                    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
                    let mut client_read = client.try_clone().unwrap();
                    std::thread::spawn(move || std::io::copy(&mut up_read, &mut client));
                    let _ = std::io::copy(&mut client_read, &mut up_write);
                });
            }
        });
        ConnectProxy { address, tunnels }
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}
