//! The examples of the API reference (`docs/api/`) run as written: the kubectl session of each
//! kind with every kubectl 1.27–1.33, and the `kubectl foo` session through kubectl's plugin
//! dispatch, each as a bash script (`set -e`) against a real server, `NAME` being a Foo's name.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Kubectl, each_kubectl, plugin_dir};
use scraper::{Html, Selector};

/// Foo's examples on its group-version page, as (caption, code).
fn examples() -> Vec<(String, String)> {
    let page =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api/demo.jeremyxu2010.me-v1beta1.html");
    let page = Html::parse_document(&std::fs::read_to_string(page).unwrap());
    let figure = Selector::parse("figure.example").unwrap();
    let caption = Selector::parse("figcaption").unwrap();
    let code = Selector::parse("pre code").unwrap();
    page.select(&figure)
        .map(|example| {
            let text = |selector| {
                let element = example.select(selector).next().unwrap();
                element.text().collect::<String>()
            };
            (text(&caption), text(&code))
        })
        .collect()
}

/// Runs `script` in bash with `kubectl` (this version) and the plugin first on the PATH.
fn run(script: &str, kubectl: &Kubectl, kubeconfig: &Path) {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&kubectl.path, bin.path().join("kubectl")).unwrap();
    std::os::unix::fs::symlink(
        plugin_dir().join("kubectl-foo"),
        bin.path().join("kubectl-foo"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env("PATH", path)
        .env("KUBECONFIG", kubeconfig)
        .env("XDG_CACHE_HOME", bin.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("bash");
    assert!(
        output.status.success(),
        "kubectl {}: the example failed:\n{script}\nstdout:\n{}\nstderr:\n{}",
        kubectl.version,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_references_examples_run() {
    let server = common::Server::start();
    let kubeconfig = server.kubeconfig();
    let examples = examples();
    let session = |caption: &str| {
        let (_, code) = examples
            .iter()
            .find(|(shown, _)| shown == caption)
            .unwrap_or_else(|| panic!("no {caption:?} example among {examples:?}"));
        code.replace("NAME", "docs-example")
    };
    let kubectl = session("kubectl");
    each_kubectl(|version| run(&kubectl, version, &kubeconfig));
    let newest = common::kubectls().pop().unwrap();
    run(&session("kubectl foo (the plugin)"), &newest, &kubeconfig);
}
