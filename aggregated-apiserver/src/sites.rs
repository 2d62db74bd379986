//! The static sites the server serves beside its API, built when it starts: the API reference
//! at `/docs/`, and the OpenAPI explorer at `/swagger-ui/` (swagger-ui, vendored in `assets/`
//! and built into the binary, opened on the server's own OpenAPI v3 documents). Their links
//! are relative, so that they work wherever the server's paths are reached (`kubectl proxy`,
//! kube-apiserver's proxy to a Service).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;

use crate::docs::Reference;

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One file of a site: its media type and content.
pub struct File {
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub content: Bytes,
}

/// A site's files by name; `index.html` is also its root.
#[derive(Default)]
pub struct Site {
    files: BTreeMap<String, File>,
}

const EXPLORER_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>API explorer</title>\n<link rel=\"stylesheet\" href=\"swagger-ui.css\">\n</head>\n<body>\n\
<div id=\"swagger-ui\"></div>\n<script src=\"swagger-ui-bundle.js\"></script>\n\
<script src=\"swagger-ui-standalone-preset.js\"></script>\n<script src=\"initializer.js\"></script>\n\
</body>\n</html>\n";

impl Site {
    /// The pages of the API reference.
    pub fn reference(reference: &Reference) -> Site {
        let mut site = Site::default();
        for (name, page) in reference.files() {
            site.add(name, HTML, Bytes::from(page.to_owned()));
        }
        site
    }

    /// swagger-ui, offering the documents at `paths` (`apis/<group>/<version>`, as
    /// `/openapi/v3/<path>` serves them), the first one open.
    pub fn explorer<'a>(paths: impl IntoIterator<Item = &'a str>) -> Site {
        let mut urls = String::new();
        for path in paths {
            let name = path.strip_prefix("apis/").unwrap_or(path);
            let _ = write!(
                urls,
                "\n    {{ url: {}, name: {} }},",
                serde_json::Value::from(format!("../openapi/v3/{path}")),
                serde_json::Value::from(name),
            );
        }
        let initializer = format!(
            "window.ui = SwaggerUIBundle({{\n  urls: [{urls}\n  ],\n  dom_id: \"#swagger-ui\",\n  \
             deepLinking: true,\n  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n  \
             layout: \"StandaloneLayout\",\n}});\n"
        );
        let mut site = Site::default();
        site.add(
            "index.html",
            HTML,
            Bytes::from_static(EXPLORER_PAGE.as_bytes()),
        );
        site.add("initializer.js", JAVASCRIPT, Bytes::from(initializer));
        let vendored: [(&str, &str, &'static [u8]); 3] = [
            (
                "swagger-ui-bundle.js",
                JAVASCRIPT,
                include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
            ),
            (
                "swagger-ui-standalone-preset.js",
                JAVASCRIPT,
                include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
            ),
            (
                "swagger-ui.css",
                CSS,
                include_bytes!("../assets/swagger-ui/swagger-ui.css"),
            ),
        ];
        for (name, content_type, content) in vendored {
            site.add(name, content_type, Bytes::from_static(content));
        }
        site
    }

    fn add(&mut self, name: &str, content_type: &'static str, content: Bytes) {
        let file = File {
            content_type,
            content,
        };
        self.files.insert(name.to_owned(), file);
    }

    /// The file `name` (`""`: the index), if the site has it.
    pub fn file(&self, name: &str) -> Option<&File> {
        let name = if name.is_empty() { "index.html" } else { name };
        self.files.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explorer_opens_the_servers_documents() {
        let explorer = Site::explorer([
            "apis/wardle.example.com/v1alpha1",
            "apis/wardle.example.com/v1beta1",
        ]);
        let initializer = &explorer.file("initializer.js").unwrap().content;
        assert!(String::from_utf8_lossy(initializer).contains(
            r#"{ url: "../openapi/v3/apis/wardle.example.com/v1alpha1", name: "wardle.example.com/v1alpha1" },"#
        ));
        let page = explorer.file("").unwrap();
        assert_eq!(page.content_type, HTML);
        for asset in [
            "swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js",
            "swagger-ui.css",
        ] {
            assert!(String::from_utf8_lossy(&page.content).contains(asset));
            assert!(
                explorer.file(asset).unwrap().content.len() > 100_000,
                "{asset}"
            );
        }
        assert!(explorer.file("../secret").is_none());
    }

    #[test]
    fn the_reference_is_served_at_its_root() {
        let site = Site::reference(&Reference::render(&[], &Default::default(), &[]));
        let index = site.file("").unwrap();
        assert_eq!(index.content_type, HTML);
        assert!(String::from_utf8_lossy(&index.content).contains("API reference"));
    }
}
