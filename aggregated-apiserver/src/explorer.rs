//! The interactive OpenAPI explorer at `/swagger-ui/`: swagger-ui (vendored in `assets/`, built
//! into the binary), opened on the server's own OpenAPI v3 documents. Its links are relative,
//! so that it works wherever the server's paths are reached (`kubectl proxy`, a port-forward).

use std::fmt::Write as _;

use bytes::Bytes;

/// A file of the explorer: its media type and content.
pub struct File {
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub content: Bytes,
}

/// The explorer of one server: swagger-ui and the documents it offers.
pub struct Explorer {
    initializer: Bytes,
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

const PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>API explorer</title>\n<link rel=\"stylesheet\" href=\"swagger-ui.css\">\n</head>\n<body>\n\
<div id=\"swagger-ui\"></div>\n<script src=\"swagger-ui-bundle.js\"></script>\n\
<script src=\"swagger-ui-standalone-preset.js\"></script>\n<script src=\"initializer.js\"></script>\n\
</body>\n</html>\n";

impl Explorer {
    /// An explorer offering the documents at `paths` (`apis/<group>/<version>`, as
    /// `/openapi/v3/<path>` serves them), the first one open.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
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
        Explorer {
            initializer: Bytes::from(initializer),
        }
    }

    /// The file `name` (`""` is the page), if the explorer has it.
    pub fn file(&self, name: &str) -> Option<File> {
        let (content_type, content): (_, &'static [u8]) = match name {
            "" | "index.html" => ("text/html; charset=utf-8", PAGE.as_bytes()),
            "initializer.js" => {
                return Some(File {
                    content_type: JAVASCRIPT,
                    content: self.initializer.clone(),
                });
            }
            "swagger-ui-bundle.js" => (
                JAVASCRIPT,
                include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
            ),
            "swagger-ui-standalone-preset.js" => (
                JAVASCRIPT,
                include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
            ),
            "swagger-ui.css" => (
                "text/css; charset=utf-8",
                include_bytes!("../assets/swagger-ui/swagger-ui.css"),
            ),
            _ => return None,
        };
        Some(File {
            content_type,
            content: Bytes::from_static(content),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_opens_the_servers_documents() {
        let explorer = Explorer::new([
            "apis/wardle.example.com/v1alpha1",
            "apis/wardle.example.com/v1beta1",
        ]);
        let initializer =
            String::from_utf8(explorer.file("initializer.js").unwrap().content.to_vec()).unwrap();
        assert!(initializer.contains(
            r#"{ url: "../openapi/v3/apis/wardle.example.com/v1alpha1", name: "wardle.example.com/v1alpha1" },"#
        ));
        let page = explorer.file("").unwrap();
        assert_eq!(page.content_type, "text/html; charset=utf-8");
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
}
