//! The guide "Your own aggregated API in Rust" of `aggregated-apiserver/README.md` is true:
//! its `Cargo.toml` block and Rust files build as a crate of their own, outside the workspace
//! (the library by path, the workspace's `Cargo.lock`), and the server answers the real
//! kubectl as the guide's transcripts show, on this machine (`local`) and aggregated into a
//! real kube-apiserver with the guide's `deploy.yaml`.
//!
//! The guide marks what is taken from it in its code blocks' info strings:
//!
//! - `rust file=src/main.rs` (and its other files), `toml append=Cargo.toml`,
//!   `yaml file=widget.yaml` and `yaml file=deploy.yaml`;
//! - `console session=local`: a transcript of `$ kubectl ...` commands and what each prints
//!   (stdout and stderr, compared word by word; ages such as `12s` match any age).

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::cluster::{Cluster, free_port};

/// How long a cold build of the guide's crate may take (its dependencies are built once into
/// `target/outside-crate`, then reused).
const BUILD: Duration = Duration::from_secs(1200);
/// How long the server, kube-apiserver's view of it, and each kubectl may take.
const WAIT: Duration = Duration::from_secs(120);
/// Where the guide says the library is, relative to the new crate.
const GUIDE_PATH: &str = "path = \"../foo-apiserver/aggregated-apiserver\"";
/// What the guide shows `local` printing, where it serves and the kubeconfig it wrote.
const GUIDE_URL: &str = "https://127.0.0.1:9443";
const GUIDE_KUBECONFIG: &str = "/home/you/.local/share/widget-apiserver/kubeconfig";
const API_SERVICE: &str = "apiservice/v1alpha1.toys.example.com";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One fenced code block of the guide: its language, its `key=value` attributes and its text.
struct Block {
    language: String,
    attributes: Vec<(String, String)>,
    text: String,
}

struct Guide(Vec<Block>);

impl Guide {
    fn read() -> Guide {
        let readme = fs::read_to_string(root().join("aggregated-apiserver/README.md")).unwrap();
        let start = readme
            .find("## Your own aggregated API in Rust")
            .expect("the guide's section in aggregated-apiserver/README.md");
        let end = readme[start + 3..]
            .find("\n## ")
            .map_or(readme.len(), |end| start + 3 + end);
        let mut blocks = Vec::new();
        let mut lines = readme[start..end].lines();
        while let Some(line) = lines.next() {
            let Some(info) = line.strip_prefix("```") else {
                continue;
            };
            let mut words = info.split_whitespace();
            let language = words.next().unwrap_or_default().to_owned();
            let attributes = words
                .filter_map(|word| word.split_once('='))
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect();
            let text: String = lines
                .by_ref()
                .take_while(|line| *line != "```")
                .map(|line| format!("{line}\n"))
                .collect();
            blocks.push(Block {
                language,
                attributes,
                text,
            });
        }
        Guide(blocks)
    }

    /// The blocks whose attribute `key` is set, with its value.
    fn marked<'a>(&'a self, key: &str) -> impl Iterator<Item = (&'a str, &'a Block)> {
        let key = key.to_owned();
        self.0.iter().filter_map(move |block| {
            let (_, value) = block.attributes.iter().find(|(k, _)| *k == key)?;
            Some((value.as_str(), block))
        })
    }

    /// The text of the one block marked `key=value`.
    fn block(&self, key: &str, value: &str) -> &str {
        let mut found = self.marked(key).filter(|(v, _)| *v == value);
        let (_, block) = found
            .next()
            .unwrap_or_else(|| panic!("no block marked {key}={value} in the guide"));
        assert!(found.next().is_none(), "two blocks marked {key}={value}");
        &block.text
    }

    /// The text of the unmarked block of `language` that starts with `start`.
    fn unmarked(&self, language: &str, start: &str) -> &str {
        let block = self.0.iter().find(|block| {
            block.language == language
                && block.attributes.is_empty()
                && block.text.starts_with(start)
        });
        &block
            .unwrap_or_else(|| panic!("no {language} block starting {start:?} in the guide"))
            .text
    }

    /// The `$ command` lines of the transcript `session`, each with what it prints.
    fn session(&self, session: &str) -> Vec<(String, String)> {
        let mut steps: Vec<(String, String)> = Vec::new();
        for line in self.block("session", session).lines() {
            match (line.strip_prefix("$ "), steps.last_mut()) {
                (Some(command), _) => steps.push((command.to_owned(), String::new())),
                (None, Some((_, printed))) => *printed += &format!("{line}\n"),
                (None, None) => panic!("session {session} starts without a command: {line}"),
            }
        }
        steps
    }
}

/// Runs `command` with its output in files (no pipe to fill), killed after `limit`.
fn run_bounded(mut command: Command, what: &str, limit: Duration) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: still running after {limit:?}\n{}",
                fs::read_to_string(&err).unwrap_or_default()
            );
        }
        sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: fs::read(&out).unwrap(),
        stderr: fs::read(&err).unwrap(),
    }
}

/// The guide's server, built once for every test here: the crate is written in a temporary
/// directory, removed once it is built into `target/outside-crate`.
fn binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BINARY.get_or_init(|| {
        let guide = Guide::read();
        let dependencies = guide.block("append", "Cargo.toml");
        assert!(dependencies.contains(GUIDE_PATH), "{dependencies}");
        let library = format!("path = {:?}", root().join("aggregated-apiserver"));
        let dependencies = dependencies.replace(GUIDE_PATH, &library);
        let krate = tempfile::Builder::new()
            .prefix("guide-crate-")
            .tempdir()
            .unwrap();
        // What `cargo new widget-apiserver` writes, and the guide's dependencies; without
        // debug information, which the test does not need, to spare the disk.
        let manifest = format!(
            "[package]\nname = \"widget-apiserver\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             {dependencies}\n[profile.dev]\ndebug = false\n\n[workspace]\n"
        );
        fs::write(krate.path().join("Cargo.toml"), manifest).unwrap();
        // The workspace's versions, so that nothing new is fetched.
        fs::copy(root().join("Cargo.lock"), krate.path().join("Cargo.lock")).unwrap();
        let mut files = 0;
        for (path, block) in guide.marked("file") {
            if block.language == "rust" {
                let path = krate.path().join(path);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, &block.text).unwrap();
                files += 1;
            }
        }
        assert!(files >= 3, "the guide's Rust files: {files}");
        let target = root().join("target/outside-crate");
        let mut build = common::cargo();
        build
            .args(["build", "-q", "--manifest-path"])
            .arg(krate.path().join("Cargo.toml"))
            // Kept between runs, as the SDK's outside crate (tests/sdk.rs).
            .env("CARGO_TARGET_DIR", &target);
        let output = run_bounded(build, "building the guide's crate", BUILD);
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(target.join("debug/widget-apiserver"))
    });
    match built {
        Ok(path) => path,
        Err(stderr) => panic!("the guide's crate does not build:\n{stderr}"),
    }
}

/// A process of the guide's server, killed when dropped; its stderr is `<dir>/server.log`.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, args: &[String]) -> (Server, std::process::ChildStdout) {
        let log = dir.join("server.log");
        let mut child = Command::new(binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting the guide's server");
        let stdout = child.stdout.take().unwrap();
        (Server { child, log }, stdout)
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// kubectl (the one on the PATH) running `command` (a line of the guide, `kubectl ...`) in
/// `dir` with `kubeconfig` and a cache of `dir`'s: what it prints, stdout and stderr together.
fn kubectl(dir: &Path, kubeconfig: &Path, command: &str) -> (bool, String) {
    assert!(command.starts_with("kubectl "), "{command}");
    let script = format!(
        "kubectl() {{ command kubectl --cache-dir \"$GUIDE_KUBECTL_CACHE\" \"$@\"; }}\n{command} 2>&1"
    );
    let mut sh = Command::new("sh");
    sh.args(["-c", &script])
        .current_dir(dir)
        .env("KUBECONFIG", kubeconfig)
        .env("GUIDE_KUBECTL_CACHE", dir.join("kubectl-cache"));
    let output = run_bounded(sh, command, WAIT);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// What kubectl prints, as words on lines, ages (`12s`, `3m`) as `AGE`: column widths and
/// trailing blanks vary, and so does the time.
fn words(printed: &str) -> Vec<Vec<String>> {
    let is_age = |word: &str| {
        let digits = word.trim_end_matches(['s', 'm', 'h', 'd']);
        digits.len() < word.len()
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
    };
    printed
        .lines()
        .map(|line| {
            let words = line.split_whitespace();
            words
                .map(|w| if is_age(w) { "AGE" } else { w }.to_owned())
                .collect()
        })
        .collect()
}

/// Runs each command of the guide's transcript and compares what it prints.
fn check_transcript(
    dir: &Path,
    kubeconfig: &Path,
    steps: &[(String, String)],
    log: impl Fn() -> String,
) {
    for (command, expected) in steps {
        let (_, printed) = kubectl(dir, kubeconfig, command);
        assert_eq!(
            words(&printed),
            words(expected),
            "`{command}` printed:\n{printed}\nthe guide shows:\n{expected}\nthe server's log:\n{}",
            log()
        );
    }
}

#[test]
fn the_guide_builds_and_serves_kubectl_on_this_machine() {
    let guide = Guide::read();
    let dir = tempfile::Builder::new()
        .prefix("guide-local-")
        .tempdir()
        .unwrap();
    fs::write(
        dir.path().join("widget.yaml"),
        guide.block("file", "widget.yaml"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let args = [
        "local",
        "--secure-port",
        "0",
        "--bind-address",
        "127.0.0.1",
        "--data-dir",
    ];
    let mut args: Vec<String> = args.map(String::from).to_vec();
    args.push(data.to_str().unwrap().to_owned());
    let (server, stdout) = Server::start(dir.path(), &args);

    // What it prints: where it serves and the kubeconfig, as the guide shows.
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let shown = guide.unmarked("text", "serving ");
    let mut first = Vec::new();
    for _ in shown.lines() {
        match printed.recv_timeout(WAIT) {
            Ok(line) => first.push(line),
            Err(e) => panic!(
                "the server printed {first:?}, then nothing ({e}):\n{}",
                server.log()
            ),
        }
    }
    let url = first[0]
        .strip_prefix("serving ")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{first:?}");
    let kubeconfig = data.join("kubeconfig");
    let expected = shown
        .replace(GUIDE_URL, &url)
        .replace(GUIDE_KUBECONFIG, kubeconfig.to_str().unwrap());
    assert_eq!(format!("{}\n", first.join("\n")), expected);

    check_transcript(dir.path(), &kubeconfig, &guide.session("local"), || {
        server.log()
    });
    drop(server);
}

/// The guide's `deploy.yaml` in a real control plane, as much of it as runs without nodes:
/// everything but the Deployment, whose server runs here instead, with the Deployment's flags
/// and its ServiceAccount's token (what it has in a pod), behind a Service for localhost.
#[test]
fn the_guides_deployment_serves_kubectl_through_kube_apiserver() {
    let guide = Guide::read();
    let cluster = Cluster::start();
    let dir = tempfile::Builder::new()
        .prefix("guide-cluster-")
        .tempdir()
        .unwrap();
    let admin = cluster.kubeconfig();
    let port = free_port();
    let deploy = guide.block("file", "deploy.yaml");
    let objects: Vec<Value> = serde_saphyr::from_multiple(deploy).expect("deploy.yaml");
    let mut applied = Vec::new();
    let mut server_args = None;
    let mut service_account = None;
    for mut object in objects {
        match object["kind"].as_str().unwrap_or_default() {
            "Deployment" => {
                let pod = &object["spec"]["template"]["spec"];
                service_account = pod["serviceAccountName"].as_str().map(str::to_owned);
                server_args = Some(pod["containers"][0]["args"].clone());
                continue;
            }
            "Service" => {
                object["spec"] = json!({
                    "type": "ExternalName",
                    "externalName": "localhost",
                    "ports": [{"name": "https", "port": port}],
                });
            }
            "APIService" => object["spec"]["service"]["port"] = json!(port),
            _ => {}
        }
        applied.push(object);
    }
    let list = json!({"apiVersion": "v1", "kind": "List", "items": applied});
    fs::write(dir.path().join("deploy.json"), list.to_string()).unwrap();
    let (ok, printed) = kubectl(dir.path(), &admin, "kubectl apply -f deploy.json");
    assert!(ok, "{printed}");

    // The ServiceAccount's token, as a pod of the Deployment would have it.
    let service_account = service_account.expect("the Deployment's serviceAccountName");
    let namespace = applied
        .iter()
        .find(|o| o["kind"] == "ServiceAccount")
        .and_then(|o| o["metadata"]["namespace"].as_str())
        .expect("the ServiceAccount's namespace")
        .to_owned();
    let create_token = format!("kubectl create token {service_account} -n {namespace}");
    let (ok, token) = kubectl(dir.path(), &admin, &create_token);
    assert!(ok, "{token}");
    let in_cluster = dir.path().join("in-cluster.kubeconfig");
    let ca = cluster.client_ca_file();
    fs::write(
        &in_cluster,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: cluster\n  cluster:\n    server: {}\n    \
             certificate-authority: {}\nusers:\n- name: sa\n  user:\n    token: {}\ncontexts:\n- name: sa\n  \
             context:\n    cluster: cluster\n    user: sa\ncurrent-context: sa\n",
            cluster.url,
            ca.display(),
            token.trim()
        ),
    )
    .unwrap();

    // The Deployment's flags, on this machine: its port, and directories of the test's.
    let server_args = server_args.expect("the Deployment's args");
    let mut args: Vec<String> = Vec::new();
    for arg in server_args.as_array().expect("args") {
        let arg = arg.as_str().expect("an arg");
        let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
        args.push(match flag {
            "--secure-port" => format!("{flag}={port}"),
            "--cert-dir" | "--data-dir" => {
                let value = value.trim_start_matches('/').replace('/', "-");
                format!("{flag}={}", dir.path().join(value).display())
            }
            _ => arg.to_owned(),
        });
    }
    let kubeconfig = in_cluster.display();
    args.extend([
        "--bind-address=127.0.0.1".to_owned(),
        format!("--authentication-kubeconfig={kubeconfig}"),
        format!("--authorization-kubeconfig={kubeconfig}"),
        format!("--kubeconfig={kubeconfig}"),
    ]);
    let (server, _) = Server::start(dir.path(), &args);
    let logs = || format!("{}\n{}", server.log(), cluster.apiserver_log());

    let timeout = format!("--timeout={}s", WAIT.as_secs());
    let wait = format!("kubectl wait --for=condition=Available {API_SERVICE} {timeout}");
    let (ok, printed) = kubectl(dir.path(), &admin, &wait);
    assert!(ok, "{printed}\n{}", logs());

    // The guide's Widget, through kube-apiserver, once its discovery has the new group.
    fs::write(
        dir.path().join("widget.yaml"),
        guide.block("file", "widget.yaml"),
    )
    .unwrap();
    let steps = guide.session("local");
    let deadline = Instant::now() + WAIT;
    loop {
        let (ok, printed) = kubectl(dir.path(), &admin, &steps[0].0);
        if ok {
            assert_eq!(words(&printed), words(&steps[0].1));
            break;
        }
        assert!(Instant::now() < deadline, "{printed}\n{}", logs());
        sleep(Duration::from_millis(500));
    }
    check_transcript(dir.path(), &admin, &steps[1..], logs);
    drop(server);
}
