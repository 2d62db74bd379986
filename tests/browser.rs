//! The API reference and the OpenAPI explorer in a real browser: headless Chromium (Debian's
//! `chromium`) renders the committed reference (`docs/api/`) and the pages the server serves,
//! reached as a user reaches them (`kubectl proxy` with the server's kubeconfig). Every
//! internal link is followed, the field tables are checked against the server's OpenAPI, the
//! explorer must show every operation, and the screenshots the README shows are taken again
//! (`docs/screenshots/`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

const GROUP_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
const GROUP_VERSION_PAGE: &str = "demo.jeremyxu2010.me-v1beta1.html";
/// How long scripts may run, in the browser's virtual time, before a page is read.
const SCRIPT_BUDGET_MS: u32 = 20_000;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Headless Chromium, with a profile of its own so that tests can run it side by side.
fn chromium(args: &[&str]) -> String {
    let binary = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok())
        .expect("Debian's chromium (apt-get install chromium; `cargo xtask peers` installs it)");
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("a UTF-8 DOM")
}

/// The DOM of `url` once the browser has rendered it and run its scripts.
fn dom(url: &str) -> Html {
    let budget = format!("--virtual-time-budget={SCRIPT_BUDGET_MS}");
    Html::parse_document(&chromium(&[&budget, "--dump-dom", url]))
}

/// Saves what the browser shows of `url` in a window of `width`×`height` as `docs/screenshots/<name>`.
fn screenshot(url: &str, name: &str, (width, height): (u32, u32)) {
    let dir = repository().join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let budget = format!("--virtual-time-budget={SCRIPT_BUDGET_MS}");
    let size = format!("--window-size={width},{height}");
    let file = format!("--screenshot={}", dir.join(name).display());
    // Every compositor stage before the picture is taken, or a busy machine gets half a page.
    let whole = "--run-all-compositor-stages-before-draw";
    chromium(&[whole, &budget, &size, &file, url]);
    let png = std::fs::read(dir.join(name)).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
}

fn select<'a>(element: ElementRef<'a>, selector: &str) -> Vec<ElementRef<'a>> {
    element
        .select(&Selector::parse(selector).unwrap())
        .collect()
}

fn text(element: ElementRef) -> String {
    element.text().collect::<String>().trim().to_owned()
}

/// `kubectl proxy` with the server's kubeconfig, on a port it picks.
struct Proxy {
    child: Child,
    url: String,
}

impl Proxy {
    fn start(kubeconfig: &Path) -> Proxy {
        let kubectl = common::kubectls().pop().expect("a kubectl");
        let mut child = kubectl
            .command(kubeconfig)
            .args(["proxy", "--port=0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("Starting to serve on ")
            .unwrap_or_else(|| panic!("kubectl proxy said {line:?}"));
        Proxy {
            child,
            url: format!("http://{address}"),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pages reachable from `start` (a page name) by internal links, read by `load`; each
/// link is followed once, and must lead to a page that has the element its fragment names.
/// Returns the pages, and how many links were checked.
fn crawl(start: &str, load: impl Fn(&str) -> Html) -> (BTreeMap<String, Html>, usize) {
    let mut pages = BTreeMap::new();
    let mut to_visit = vec![start.to_owned()];
    let mut links = Vec::new();
    while let Some(name) = to_visit.pop() {
        if pages.contains_key(&name) {
            continue;
        }
        let page = load(&name);
        for anchor in select(page.root_element(), "a[href]") {
            let href = anchor.value().attr("href").unwrap();
            assert!(
                !href.contains("://"),
                "{name} links outside the reference: {href}"
            );
            let (file, fragment) = href.split_once('#').unwrap_or((href, ""));
            let file = if file.is_empty() {
                name.clone()
            } else {
                file.to_owned()
            };
            to_visit.push(file.clone());
            links.push((name.clone(), file, fragment.to_owned()));
        }
        pages.insert(name, page);
    }
    let ids: BTreeMap<&String, BTreeSet<&str>> = pages
        .iter()
        .map(|(name, page)| {
            let ids = select(page.root_element(), "[id]")
                .into_iter()
                .filter_map(|element| element.value().attr("id"))
                .collect();
            (name, ids)
        })
        .collect();
    for (from, file, fragment) in &links {
        let on_page = &ids[file];
        assert!(
            fragment.is_empty() || on_page.contains(fragment.as_str()),
            "{from} links to {file}#{fragment}, which is not there"
        );
    }
    (pages, links.len())
}

/// Every definition's field table on the group-version page says what the OpenAPI document
/// says: the same properties in the same order, the same required ones, a link to the
/// definition a property refers to, the type of the others.
fn check_field_tables(page: &Html, document: &Value) {
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let heading = select(page.root_element(), "[id]")
            .into_iter()
            .find(|element| element.value().attr("id") == Some(name))
            .unwrap_or_else(|| panic!("no section for {name}"));
        // The section runs to the next element with an id of its own.
        let table = heading
            .next_siblings()
            .filter_map(ElementRef::wrap)
            .take_while(|element| element.value().attr("id").is_none())
            .find(|element| element.value().classes().any(|class| class == "fields"));
        let properties = schema["properties"].as_object();
        let (Some(table), Some(properties)) = (table, properties) else {
            assert!(
                properties.is_none_or(|p| p.is_empty()),
                "{name} has fields but no table"
            );
            continue;
        };
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let rows = select(table, "tbody > tr");
        let shown: Vec<String> = rows
            .iter()
            .map(|row| text(select(*row, "span.field")[0]))
            .collect();
        let expected: Vec<&String> = properties.keys().collect();
        assert_eq!(
            shown.iter().collect::<Vec<_>>(),
            expected,
            "fields of {name}"
        );
        for (row, (field, property)) in rows.iter().zip(properties) {
            let cells = select(*row, "td");
            let is_required = !select(cells[0], "span.required").is_empty();
            assert_eq!(
                is_required,
                required.contains(&field.as_str()),
                "{name}.{field}"
            );
            let type_cell = cells[1];
            let reference = property["$ref"]
                .as_str()
                .or_else(|| property["allOf"][0]["$ref"].as_str())
                .map(|r| r.trim_start_matches("#/components/schemas/"));
            match reference {
                Some(target) => {
                    let link = select(type_cell, "a")[0].value().attr("href").unwrap();
                    assert_eq!(link, format!("#{target}"), "{name}.{field}");
                }
                None => {
                    let shown = text(type_cell);
                    let expected = match property["type"].as_str() {
                        Some("array") => "[]",
                        Some("object") if property["additionalProperties"].is_object() => {
                            "map[string]"
                        }
                        Some(other) => other,
                        None => "",
                    };
                    assert!(shown.starts_with(expected), "{name}.{field}: {shown}");
                }
            }
        }
    }
}

/// The committed reference and the served pages, in Chromium: links, field tables, the
/// explorer's operations, and the screenshots.
#[tokio::test(flavor = "multi_thread")]
async fn reference_and_explorer_in_a_browser() {
    let server = common::Server::start_with(&["--controller=false"]);
    let proxy = Proxy::start(&server.kubeconfig());
    let client = server.client().await;
    let request = http::Request::get(format!("/openapi/v3/apis/{GROUP_VERSION}"))
        .body(Vec::new())
        .unwrap();
    let document: Value =
        serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();

    let operations: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|method| item.get(*method).is_some())
                .map(|method| (method.to_owned(), path.clone()))
        })
        .collect();
    let definitions = document["components"]["schemas"].as_object().unwrap().len();

    // The committed reference, as files: the navigation alone links every operation and
    // definition.
    let committed = repository().join("docs/api");
    let file_url = |name: &str| format!("file://{}", committed.join(name).display());
    let (files, links) = crawl("index.html", |name| dom(&file_url(name)));
    assert!(
        links >= operations.len() + definitions,
        "only {links} links"
    );
    let written: BTreeSet<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files.keys().cloned().collect::<BTreeSet<_>>(),
        written,
        "every page is linked"
    );
    check_field_tables(&files[GROUP_VERSION_PAGE], &document);

    // The same pages, served.
    let served_url = |name: &str| format!("{}/docs/{name}", proxy.url);
    let (served, _) = crawl("index.html", |name| dom(&served_url(name)));
    for (name, page) in &served {
        assert_eq!(
            page.html(),
            files[name].html(),
            "/docs/{name} renders as docs/api/{name}"
        );
    }

    // The explorer: every operation of the document, under the group-version's definition.
    let explorer = dom(&format!("{}/swagger-ui/", proxy.url));
    let shown: BTreeSet<(String, String)> = select(explorer.root_element(), ".opblock-summary")
        .into_iter()
        .map(|summary| {
            let method = text(select(summary, ".opblock-summary-method")[0]).to_lowercase();
            let path = select(summary, ".opblock-summary-path")[0]
                .value()
                .attr("data-path")
                .unwrap()
                .to_owned();
            (method, path)
        })
        .collect();
    assert_eq!(shown, operations, "the explorer shows every operation");
    let title = text(select(explorer.root_element(), "select option")[0]);
    assert_eq!(title, GROUP_VERSION);

    screenshot(&file_url(GROUP_VERSION_PAGE), "reference.png", (1280, 900));
    screenshot(
        &format!("{}/swagger-ui/", proxy.url),
        "explorer.png",
        (1280, 900),
    );
}
