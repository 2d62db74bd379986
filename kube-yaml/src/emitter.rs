//! go-yaml's block emitter, for the trees JSON makes: the position it keeps (column,
//! indentation, whether the line so far is only indentation or ends in whitespace) and the
//! writers that decide each line break from it.

use serde_json::{Map, Value};

use crate::order;
use crate::scalar::{self, Style, is_break, is_printable, width};

/// Indentation of each level.
const INDENT: i32 = 2;
/// Past this column a scalar is folded at its next space.
const WIDTH: usize = 80;
/// The longest key written as `key: value`; longer ones are written as `? key`.
const SIMPLE_KEY_BYTES: usize = 128;

/// `value` as a YAML document.
pub(crate) fn document(value: &Value) -> String {
    let mut emitter = Emitter {
        out: String::new(),
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
    };
    emitter.node(value, false, false);
    emitter.write_indent();
    emitter.out
}

struct Emitter {
    out: String,
    column: usize,
    /// The indentation of the current level (-1 before the first).
    indent: i32,
    indents: Vec<i32>,
    /// The last character written is whitespace.
    whitespace: bool,
    /// The current line holds only indentation and indicators.
    indention: bool,
}

impl Emitter {
    /// A node; `mapping` when it is a mapping's key or value, `simple_key` when it is a key
    /// written on the line of its value.
    fn node(&mut self, value: &Value, mapping: bool, simple_key: bool) {
        match value {
            Value::Array(items) if !items.is_empty() => self.sequence(items, mapping),
            Value::Object(map) if !map.is_empty() => self.mapping(map),
            Value::Array(_) => self.empty("[", "]"),
            Value::Object(_) => self.empty("{", "}"),
            Value::Null => self.scalar("null", Style::Plain, simple_key),
            Value::Bool(b) => {
                self.scalar(if *b { "true" } else { "false" }, Style::Plain, simple_key)
            }
            Value::Number(n) => self.scalar(&scalar::number(n), Style::Plain, simple_key),
            Value::String(s) => self.string(s, simple_key),
        }
    }

    /// An empty list or map, in flow style.
    fn empty(&mut self, open: &str, close: &str) {
        self.indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.indicator(close, false, false, false);
    }

    /// Items each after `- `; a mapping's sequence is not indented past its key.
    fn sequence(&mut self, items: &[Value], mapping: bool) {
        let indentless = mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.indicator("-", true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    /// Entries as `key: value`, or `? key` then `: value` for a key too long or of several
    /// lines.
    fn mapping(&mut self, map: &Map<String, Value>) {
        self.increase_indent(false, false);
        for (key, value) in order::sorted(map) {
            self.write_indent();
            if key.len() <= SIMPLE_KEY_BYTES && !scalar::is_multiline(key) {
                self.string(key, true);
                self.indicator(":", false, false, false);
            } else {
                self.indicator("?", true, false, true);
                self.string(key, false);
                self.write_indent();
                self.indicator(":", true, false, true);
            }
            self.node(value, true, false);
        }
        self.pop_indent();
    }

    fn string(&mut self, text: &str, simple_key: bool) {
        let style = scalar::allowed_style(text, scalar::string_style(text), simple_key);
        self.scalar(text, style, simple_key);
    }

    /// A scalar in `style` (null, booleans and numbers are always plain).
    fn scalar(&mut self, text: &str, style: Style, simple_key: bool) {
        self.increase_indent(true, false);
        let folding = !simple_key;
        match style {
            Style::Plain => self.plain(text, folding),
            Style::SingleQuoted => self.single_quoted(text, folding),
            Style::DoubleQuoted => self.double_quoted(text, folding),
            Style::Literal => self.literal(text),
        }
        self.pop_indent();
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { INDENT } else { 0 };
        } else if !indentless {
            self.indent += INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Starts a line at the current indentation, unless the line so far is just that.
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// The character of `text` at byte `i`, written; returns the next byte.
    fn write_char(&mut self, text: &str, i: usize) -> usize {
        let next = i + width(text.as_bytes()[i]);
        self.out.push_str(&text[i..next]);
        self.column += 1;
        next
    }

    /// A line break of `text` at byte `i`, written as it is; returns the next byte.
    fn write_break(&mut self, text: &str, i: usize) -> usize {
        if text.as_bytes()[i] == b'\n' {
            self.put_break();
            i + 1
        } else {
            let next = self.write_char(text, i);
            self.column = 0;
            next
        }
    }

    /// Whether a space at byte `i` is where a long line is folded.
    fn folds_at(&self, text: &str, i: usize, folding: bool, spaces: bool) -> bool {
        folding && !spaces && self.column > WIDTH && text.as_bytes().get(i + 1) != Some(&b' ')
    }

    /// The space at byte `i`: the line folded there when `fold`, else the space written;
    /// returns the next byte.
    fn space(&mut self, text: &str, i: usize, fold: bool) -> usize {
        if fold {
            self.write_indent();
            i + 1
        } else {
            self.write_char(text, i)
        }
    }

    fn plain(&mut self, text: &str, folding: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Most scalars cannot fold: no space, or one that ends before the fold column.
        let chars = text.chars().count();
        if !folding || !text.contains(' ') || self.column + chars <= WIDTH {
            self.out.push_str(text);
            self.column += chars;
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut i = 0;
        while i < text.len() {
            if text.as_bytes()[i] == b' ' {
                i = self.space(text, i, self.folds_at(text, i, folding, spaces));
                spaces = true;
            } else {
                i = self.write_char(text, i);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, text: &str, folding: bool) {
        self.indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            if bytes[i] == b' ' {
                let inner = i > 0 && i < text.len() - 1;
                i = self.space(text, i, inner && self.folds_at(text, i, folding, spaces));
                spaces = true;
            } else if is_break(bytes, i) {
                if !breaks && bytes[i] == b'\n' {
                    self.put_break();
                }
                i = self.write_break(text, i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if bytes[i] == b'\'' {
                    self.put('\'');
                }
                i = self.write_char(text, i);
                self.indention = false;
                (spaces, breaks) = (false, false);
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, text: &str, folding: bool) {
        self.indicator("\"", true, false, false);
        let bytes = text.as_bytes();
        // go-yaml looks for a byte order mark at the start of the text at every character,
        // so after a leading one every character is escaped.
        let bom = text.starts_with('\u{feff}');
        let mut spaces = false;
        let mut i = 0;
        while i < text.len() {
            if !is_printable(bytes, i)
                || bom
                || is_break(bytes, i)
                || bytes[i] == b'"'
                || bytes[i] == b'\\'
            {
                let c = text[i..].chars().next().unwrap_or_default();
                i += c.len_utf8();
                self.escape(c);
                spaces = false;
            } else if bytes[i] == b' ' {
                let inner = i > 0 && i < text.len() - 1;
                let fold = folding && !spaces && self.column > WIDTH && inner;
                i = self.space(text, i, fold);
                // A space after the fold would be read as indentation: escaped.
                if fold && bytes.get(i) == Some(&b' ') {
                    self.put('\\');
                }
                spaces = true;
            } else {
                i = self.write_char(text, i);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// A character as a double-quoted escape.
    fn escape(&mut self, c: char) {
        self.put('\\');
        let short = match c {
            '\0' => Some('0'),
            '\u{7}' => Some('a'),
            '\u{8}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{b}' => Some('v'),
            '\u{c}' => Some('f'),
            '\r' => Some('r'),
            '\u{1b}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{a0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        let code = u32::from(c);
        let text = match short {
            Some(s) => s.to_string(),
            None if code <= 0xFF => format!("x{code:02X}"),
            None if code <= 0xFFFF => format!("u{code:04X}"),
            None => format!("U{code:08X}"),
        };
        for c in text.chars() {
            self.put(c);
        }
    }

    fn literal(&mut self, text: &str) {
        self.indicator("|", true, false, false);
        let bytes = text.as_bytes();
        // An indentation hint when the text starts with what would read as indentation.
        if bytes.first() == Some(&b' ') || is_break(bytes, 0) {
            self.indicator(&INDENT.to_string(), false, false, false);
        }
        // Chomping: `-` strips a text without a final break, `+` keeps several.
        let ends_in_break = |end: usize| {
            let start = text[..end]
                .char_indices()
                .next_back()
                .map_or(0, |(at, _)| at);
            end > 0 && is_break(bytes, start)
        };
        let last = text.char_indices().next_back().map_or(0, |(at, _)| at);
        if !ends_in_break(text.len()) {
            self.indicator("-", false, false, false);
        } else if last == 0 || ends_in_break(last) {
            self.indicator("+", false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < text.len() {
            if is_break(bytes, i) {
                i = self.write_break(text, i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                i = self.write_char(text, i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::document;

    /// Each expected text is what sigs.k8s.io/yaml v1.6.0 writes of the same JSON.
    #[test]
    fn layouts_as_go_yaml() {
        let key = "k".repeat(130);
        for (value, expected) in [
            (json!({"a": "x\n\n"}), "a: |+\n  x\n\n".to_owned()),
            (json!({"a": ["x\n\n"]}), "a:\n- |+\n  x\n\n".to_owned()),
            (json!({"a": "\nlead"}), "a: |2-\n\n  lead\n".to_owned()),
            (
                json!({"a": [[1, []], {}], "b": [{"c": {"d": []}}]}),
                "a:\n- - 1\n  - []\n- {}\nb:\n- c:\n    d: []\n".to_owned(),
            ),
            (json!({key.clone(): [1]}), format!("? {key}\n: - 1\n")),
            (json!({"a b\nc": {"x": 1}}), "? |-\n  a b\n  c\n: x: 1\n".to_owned()),
            (
                json!({"m": "The message is long enough that it has to be folded past the eightieth column: twice, even, when it goes on and on"}),
                "m: 'The message is long enough that it has to be folded past the eightieth column:\n  twice, even, when it goes on and on'\n".to_owned(),
            ),
            (
                json!({"d": "\t The message is long enough that it has to be folded past the eightieth  column,  with  two  spaces"}),
                "d: \"\\t The message is long enough that it has to be folded past the eightieth  column,\n  \\ with  two  spaces\"\n".to_owned(),
            ),
            (json!({}), "{}\n".to_owned()),
        ] {
            assert_eq!(document(&value), expected, "{value}");
        }
    }
}
