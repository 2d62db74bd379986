//! An API reference in the style of the Kubernetes reference docs, rendered from the OpenAPI
//! v3 documents the server publishes: one page per group-version, with each kind (its fields,
//! subresources, operations and examples) and every definition it uses, linked; and an index.
//! Static and self-contained: no script, no stylesheet or font to fetch. The server serves it
//! at `/docs/`; [`Reference::write`] puts it in a directory.

mod html;
mod operations;
mod schema;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::resource::ResourceInfo;
use html::{code, escape, page, paragraphs, table};

/// An example of using a kind, shown in its section after the generated kubectl ones.
///
/// ```
/// use aggregated_apiserver::docs::Example;
///
/// let example = Example {
///     kind: "Foo",
///     caption: "kubectl foo".into(),
///     code: "kubectl foo list".into(),
/// };
/// ```
#[derive(Clone, Debug)]
pub struct Example {
    /// The kind it is about, e.g. `Foo`.
    pub kind: &'static str,
    /// What it uses, shown above it: `kubectl foo`, `Rust (foo-sdk)`.
    pub caption: String,
    /// The commands or code.
    pub code: String,
}

/// The reference's pages, by file name (`index.html`, `<group>-<version>.html`).
#[derive(Debug, Default)]
pub struct Reference {
    files: BTreeMap<String, String>,
}

impl Reference {
    /// Renders the pages of `resources` from `documents` (each group-version's OpenAPI v3
    /// document, by its path `apis/<group>/<version>`), with `examples`.
    ///
    /// ```
    /// use aggregated_apiserver::docs::Reference;
    ///
    /// let reference = Reference::render(&[], &Default::default(), &[]);
    /// assert!(reference.file("index.html").unwrap().contains("<h1>API reference</h1>"));
    /// ```
    pub fn render(
        resources: &[&'static ResourceInfo],
        documents: &BTreeMap<String, Value>,
        examples: &[Example],
    ) -> Reference {
        let mut files = BTreeMap::new();
        let mut index = Vec::new();
        for (path, document) in documents {
            let Some(group_version) = path.strip_prefix("apis/") else {
                continue;
            };
            // Each kind with the id of its section: its schema's name.
            let kinds: Vec<Kind> = resources
                .iter()
                .filter(|info| info.group_version() == group_version)
                .map(|info| {
                    let (id, schema) =
                        kind_schema(document, info).unwrap_or((info.kind, &Value::Null));
                    Kind { info, id, schema }
                })
                .collect();
            let file = page_file(group_version);
            let kind_links: Vec<String> = kinds
                .iter()
                .map(|kind| {
                    format!(
                        "<a href=\"{file}#{}\">{}</a>",
                        escape(kind.id),
                        escape(kind.info.kind)
                    )
                })
                .collect();
            index.push(vec![
                format!("<a href=\"{file}\">{}</a>", escape(group_version)),
                kind_links.join(", "),
            ]);
            let page = GroupVersionPage {
                group_version,
                document,
                kinds,
                examples,
            };
            files.insert(file, page.render());
        }
        let body = format!(
            "<h1>API reference</h1><p>The API groups this server serves, each version on a page \
             of its own.</p>{}",
            table("index", &["Group/version", "Kinds"], &index)
        );
        files.insert("index.html".into(), page("API reference", "", &body));
        Reference { files }
    }

    /// The page named `name` (`index.html`, …), if the reference has it.
    ///
    /// ```
    /// # let reference = aggregated_apiserver::docs::Reference::render(&[], &Default::default(), &[]);
    /// assert!(reference.file("index.html").is_some());
    /// assert!(reference.file("../index.html").is_none());
    /// ```
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// Every page, by file name.
    ///
    /// ```
    /// # let reference = aggregated_apiserver::docs::Reference::render(&[], &Default::default(), &[]);
    /// let names: Vec<&str> = reference.files().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["index.html"]);
    /// ```
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(n, f)| (n.as_str(), f.as_str()))
    }

    /// Writes every page into `dir` (created if need be), leaving other files there alone.
    ///
    /// ```
    /// # let reference = aggregated_apiserver::docs::Reference::render(&[], &Default::default(), &[]);
    /// let dir = tempfile::tempdir()?;
    /// reference.write(&dir.path().join("api"))?;
    /// assert!(dir.path().join("api/index.html").is_file());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, content) in self.files() {
            std::fs::write(dir.join(name), content)?;
        }
        Ok(())
    }
}

/// The file of a group-version's page.
fn page_file(group_version: &str) -> String {
    format!("{}.html", group_version.replace('/', "-"))
}

/// The schema of `info`'s kind in `document`: the one whose `x-kubernetes-group-version-kind`
/// names it.
fn kind_schema<'a>(document: &'a Value, info: &ResourceInfo) -> Option<(&'a str, &'a Value)> {
    let schemas = document.pointer("/components/schemas")?.as_object()?;
    schemas.iter().find_map(|(name, schema)| {
        let gvks = schema.get("x-kubernetes-group-version-kind")?.as_array()?;
        gvks.iter()
            .any(|gvk| {
                gvk["group"] == info.group
                    && gvk["version"] == info.version
                    && gvk["kind"] == info.kind
            })
            .then_some((name.as_str(), schema))
    })
}

/// A kind on its group-version's page: its section's id is its schema's name.
struct Kind<'a> {
    info: &'a ResourceInfo,
    id: &'a str,
    schema: &'a Value,
}

struct GroupVersionPage<'a> {
    group_version: &'a str,
    document: &'a Value,
    kinds: Vec<Kind<'a>>,
    examples: &'a [Example],
}

impl GroupVersionPage<'_> {
    fn render(&self) -> String {
        let empty = Map::new();
        let paths = self
            .document
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let schemas = self
            .document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut nav = format!(
            "<p><a href=\"index.html\">API reference</a></p><p><strong>{}</strong></p><ul>",
            escape(self.group_version)
        );
        let mut body = format!("<h1>{}</h1>", escape(self.group_version));
        for kind in &self.kinds {
            let Kind { info, id, .. } = *kind;
            let owned: Vec<(&String, &Map<String, Value>)> = paths
                .iter()
                .filter(|(path, _)| resource_of(path) == Some(info.plural))
                .filter_map(|(path, item)| Some((path, item.as_object()?)))
                .collect();
            nav.push_str(&format!(
                "<li><a href=\"#{}\">{}</a><ul>",
                escape(id),
                escape(info.kind)
            ));
            let prefix = format!("/apis/{}", self.group_version);
            for (path, item) in &owned {
                let short = path.strip_prefix(&prefix).unwrap_or(path);
                for (method, id) in operations::ids(item) {
                    nav.push_str(&format!(
                        "<li><a href=\"#{}\"><code>{} {}</code></a></li>",
                        escape(&id),
                        method.to_ascii_uppercase(),
                        escape(short)
                    ));
                }
            }
            nav.push_str("</ul></li>");
            body.push_str(&self.kind(kind, &owned));
        }
        let discovery: Vec<(&String, &Value)> = paths
            .iter()
            .filter(|(path, _)| resource_of(path).is_none())
            .collect();
        if !discovery.is_empty() {
            nav.push_str("<li><a href=\"#discovery\">Discovery</a></li>");
            body.push_str("<h2 id=\"discovery\">Discovery</h2>");
            for (path, item) in discovery {
                if let Some(item) = item.as_object() {
                    body.push_str(&operations::path_item(path, item));
                }
            }
        }
        nav.push_str("<li><a href=\"#definitions\">Definitions</a><ul>");
        body.push_str(
            "<h2 id=\"definitions\">Definitions</h2><p>The types the kinds above are made of, \
             and those of their lists, options and responses.</p>",
        );
        let mut definitions: Vec<(&String, &Value)> = schemas
            .iter()
            .filter(|(name, _)| !self.kinds.iter().any(|kind| kind.id == name.as_str()))
            .collect();
        definitions.sort_by_key(|(name, _)| (schema::short_name(name), name.as_str()));
        for (name, schema) in definitions {
            nav.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>",
                escape(name),
                escape(schema::short_name(name))
            ));
            body.push_str(&format!(
                "<h3 id=\"{}\">{}</h3><p class=\"note\"><code>{}</code></p>{}{}",
                escape(name),
                escape(schema::short_name(name)),
                escape(name),
                schema::description(schema),
                schema::fields(schema),
            ));
        }
        nav.push_str("</ul></li></ul>");
        page(self.group_version, &nav, &body)
    }

    /// A kind's section: what it is, its fields, examples and operations.
    fn kind(&self, kind: &Kind, owned: &[(&String, &Map<String, Value>)]) -> String {
        let &Kind { info, id, schema } = kind;
        let scope = match info.namespaced {
            true => "Namespaced",
            false => "Cluster",
        };
        let subresources: Vec<String> = info
            .subresources
            .iter()
            .map(|sub| {
                format!(
                    "<code>{}</code> ({}: {})",
                    escape(sub.name),
                    escape(sub.kind),
                    escape(&sub.verbs.join(", "))
                )
            })
            .collect();
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| format!("<code>{}</code>", escape(item)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let facts = vec![
            vec![
                "apiVersion".into(),
                format!("<code>{}</code>", escape(&info.group_version())),
            ],
            vec!["kind".into(), format!("<code>{}</code>", escape(info.kind))],
            vec!["Scope".into(), scope.into()],
            vec!["Resource".into(), list(&[info.plural])],
            vec!["Short names".into(), list(info.short_names)],
            vec!["Verbs".into(), list(info.verbs)],
            vec!["Subresources".into(), subresources.join("<br>")],
        ];
        let mut out = format!(
            "<h2 id=\"{}\">{}</h2>{}{}<h3>Fields</h3>{}<h3>Examples</h3>",
            escape(id),
            escape(info.kind),
            paragraphs(
                schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            ),
            table("facts", &[], &facts),
            schema::fields(schema),
        );
        out.push_str(&code("kubectl", &kubectl_examples(info)));
        for example in self.examples.iter().filter(|e| e.kind == info.kind) {
            out.push_str(&code(&example.caption, &example.code));
        }
        out.push_str("<h3>Operations</h3>");
        for (path, item) in owned {
            out.push_str(&operations::path_item(path, item));
        }
        out
    }
}

/// The resource a path is about (`/apis/<g>/<v>[/watch][/namespaces/{namespace}]/<plural>…`);
/// none for the group-version's own path.
fn resource_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/apis/")?;
    let mut parts = rest.split('/').skip(2).filter(|p| !p.is_empty()).peekable();
    if parts.peek() == Some(&"watch") {
        parts.next();
    }
    if parts.peek() == Some(&"namespaces") {
        parts.next();
        parts.next();
    }
    parts.next()
}

/// What kubectl does with any kind, in an order that runs as written: explain, create, read,
/// change and delete.
fn kubectl_examples(info: &ResourceInfo) -> String {
    let singular = info.singular;
    let in_namespace = if info.namespaced { " -n NAMESPACE" } else { "" };
    let namespace_line = if info.namespaced {
        "\n  namespace: NAMESPACE"
    } else {
        ""
    };
    let mut examples = format!(
        "kubectl explain {plural}.spec\n\
         cat <<EOF | kubectl apply -f -\n\
         apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: NAME{namespace_line}\nspec: {{}}\nEOF\n\
         kubectl get {plural}{in_namespace}\n\
         kubectl get {singular} NAME{in_namespace} -o yaml\n\
         kubectl label {singular} NAME{in_namespace} team=blue\n",
        plural = info.plural,
        api_version = info.group_version(),
        kind = info.kind,
    );
    if info.verbs_of(Some("status")).is_some() {
        examples.push_str(&format!(
            "kubectl get {singular} NAME{in_namespace} --subresource=status\n"
        ));
    }
    examples.push_str(&format!("kubectl delete {singular} NAME{in_namespace}\n"));
    examples
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::v3_documents;
    use crate::registry::Strategy;
    use crate::testing::{NAMESPACED_FOO, PLAIN_FOO_V2, Plain};

    /// Two group-versions, one of a namespaced kind: a page each, both in the index, and
    /// kubectl examples in the kind's scope.
    #[test]
    fn a_page_per_group_version() {
        let schemas = [
            Plain(&NAMESPACED_FOO).openapi_schemas(),
            Plain(&PLAIN_FOO_V2).openapi_schemas(),
        ];
        let kinds = [&NAMESPACED_FOO, &PLAIN_FOO_V2];
        let resources: Vec<_> = kinds.iter().copied().zip(&schemas).collect();
        let example = Example {
            kind: "Foo",
            caption: "curl".into(),
            code: "curl <url>".into(),
        };
        let reference = Reference::render(&kinds, &v3_documents("test", &resources), &[example]);
        let names: Vec<&str> = reference.files().map(|(name, _)| name).collect();
        assert_eq!(
            names,
            [
                "demo.jeremyxu2010.me-v1beta1.html",
                "demo.jeremyxu2010.me-v2.html",
                "index.html"
            ]
        );
        let index = reference.file("index.html").unwrap();
        for page in &names[..2] {
            assert!(index.contains(&format!("<a href=\"{page}\">")), "{page}");
        }
        let namespaced = reference.file(names[0]).unwrap();
        for part in [
            "<td>Namespaced</td>",
            "kubectl get foos -n NAMESPACE",
            "  namespace: NAMESPACE",
            "/namespaces/{namespace}/foos/{name}",
            "<figcaption>curl</figcaption><pre><code>curl &lt;url&gt;</code></pre>",
        ] {
            assert!(namespaced.contains(part), "{part}");
        }
    }

    #[test]
    fn paths_name_their_resource() {
        for (path, resource) in [
            ("/apis/g/v1/", None),
            ("/apis/g/v1/foos/{name}/status", Some("foos")),
            (
                "/apis/g/v1/watch/namespaces/{namespace}/flunders",
                Some("flunders"),
            ),
            (
                "/apis/g/v1/namespaces/{namespace}/flunders",
                Some("flunders"),
            ),
            ("/apis/g/v1/flunders", Some("flunders")),
        ] {
            assert_eq!(resource_of(path), resource, "{path}");
        }
    }
}
