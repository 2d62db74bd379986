//! Writing HTML by hand: escaping, and the page frame every reference page shares.

use std::fmt::Write as _;

/// `text` with HTML's special characters escaped, for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A description as paragraphs: blank lines part them, as in Kubernetes' Go comments.
pub fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let _ = write!(out, "<p>{}</p>", escape(paragraph));
    }
    out
}

/// One table: its header cells (none for a table of facts), then rows of cells that are HTML
/// already.
pub fn table(class: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table class=\"{class}\">");
    if !header.is_empty() {
        out.push_str("<thead><tr>");
        for cell in header {
            let _ = write!(out, "<th>{}</th>", escape(cell));
        }
        out.push_str("</tr></thead>");
    }
    out.push_str("<tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A block of code, with the tool it is for as its caption.
pub fn code(caption: &str, code: &str) -> String {
    format!(
        "<figure class=\"example\"><figcaption>{}</figcaption><pre><code>{}</code></pre></figure>",
        escape(caption),
        escape(code.trim_end())
    )
}

/// A whole page: `title`, the navigation, then `body`. Styles are inline so that the page
/// needs nothing else to be read.
pub fn page(title: &str, nav: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

const STYLE: &str = "\
body{margin:0;display:flex;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222}\
nav{overflow-wrap:anywhere;position:sticky;top:0;height:100vh;overflow:auto;box-sizing:border-box;width:17rem;flex:none;\
padding:1rem;background:#f4f6fa;border-right:1px solid #dde}\
nav ul{list-style:none;padding-left:.8rem;margin:.2rem 0}nav>ul{padding:0}\
nav a{color:#326ce5;text-decoration:none;overflow-wrap:anywhere}nav code{font-size:.8rem}nav a:hover{text-decoration:underline}\
main{padding:1rem 2.5rem 4rem;max-width:64rem;min-width:0}\
h1{font-size:1.8rem;border-bottom:2px solid #326ce5;padding-bottom:.3rem}\
h2{font-size:1.45rem;margin-top:2.5rem;border-bottom:1px solid #dde}\
h3{font-size:1.15rem;margin-top:1.8rem}h4{margin:1.4rem 0 .4rem;font-family:monospace;font-size:1rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}\
th,td{border:1px solid #dde;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f6fa}table.facts td:first-child{width:9rem;background:#f4f6fa}td p{margin:0 0 .4rem}td p:last-child{margin:0}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\
pre{background:#1f2430;color:#e6e6e6;padding:.7rem 1rem;overflow:auto;border-radius:4px;margin:0}\
figure.example{margin:.6rem 0 1rem}figcaption{font-size:.85rem;color:#555;margin-bottom:.2rem}\
.method{display:inline-block;min-width:4.2rem;font-weight:bold;color:#fff;background:#326ce5;\
border-radius:3px;padding:0 .4rem;margin-right:.5rem;text-align:center}\
.method.post{background:#2e8540}.method.put{background:#b35c00}.method.patch{background:#7a3fb8}\
.method.delete{background:#c0392b}.note{color:#555;font-size:.9rem}\
.field{font-family:monospace;white-space:nowrap}.required{color:#c0392b;font-size:.8rem}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_split_into_paragraphs() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            paragraphs("one\nline\n\n two "),
            "<p>one\nline</p><p>two</p>"
        );
    }
}
