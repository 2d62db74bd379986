//! kube-yaml against the library kubectl and kube-apiserver write YAML with: sigs.k8s.io/yaml,
//! run as the Go peer `tests/peers/json-to-yaml`. Random JSON documents are built from the
//! strings, keys and shapes that decide YAML's layout (indicators, quotes, breaks, words
//! past column 80, values YAML reads as other types, keys of every length and order), and
//! each must come out byte for byte the same.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::cluster::{module_key, peer};
use serde_json::{Map, Value, json};

/// Documents per run: a few seconds, and every rule is hit many times.
const DOCUMENTS: usize = 4000;

/// The text pieces strings and keys are made of.
const PIECES: &[&str] = &[
    "",
    " ",
    "  ",
    "a",
    "word",
    "Hello world",
    "yes",
    "on",
    "y",
    "N",
    "~",
    "null",
    "true",
    "1",
    "08",
    "0x1F",
    "1e3",
    "1.5",
    ".5",
    "-1",
    "+1",
    "0",
    "0.0",
    "2024-01-02",
    "2024-1-2T3:04:05Z",
    "2024-02-30",
    "1:20",
    "-",
    "- a",
    "a: b",
    "a:b",
    ":",
    "? a",
    "?",
    "#x",
    "a #b",
    "a#b",
    "'",
    "\"",
    "\\",
    "\t",
    "\n",
    "x\n",
    "\n\n",
    "\r",
    "é",
    "日本",
    "\u{1F600}",
    "\u{2028}",
    "\u{a0}",
    "\u{feff}",
    "---",
    "...",
    "[",
    "{a}",
    "[a]",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "%",
    "@",
    "`",
    "<<",
    "=",
    ",",
    "a,b",
    "k:{\"type\":\"Ready\"}",
    "f:status",
    ".",
    "app9",
    "app10",
    "x01",
    "_",
    "Z",
];

/// A xorshift generator: the same documents on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn piece(&mut self) -> &'static str {
        PIECES[self.below(PIECES.len())]
    }

    fn text(&mut self) -> String {
        match self.below(6) {
            // Prose past column 80, with runs of spaces.
            0 => {
                let words = [
                    "lorem", "ipsum", "dolor", "sit", "amet,", "a:", "b", "  ", "#",
                ];
                let separator = if self.below(3) == 0 { "  " } else { " " };
                (0..5 + self.below(40))
                    .map(|_| words[self.below(words.len())])
                    .collect::<Vec<_>>()
                    .join(separator)
            }
            // Long runs of the characters that decide styles.
            1 => {
                let chars = ['a', ' ', 'b', ':', '#', '\n', 'é', '\'', '"', '\t'];
                (0..60 + self.below(120))
                    .map(|_| chars[self.below(chars.len())])
                    .collect()
            }
            _ => (0..1 + self.below(4)).map(|_| self.piece()).collect(),
        }
    }

    fn key(&mut self) -> String {
        match self.below(10) {
            // Longer than a simple key may be.
            0 => "k".repeat(120 + self.below(20)),
            _ => self.text(),
        }
    }

    fn value(&mut self, depth: usize) -> Value {
        match self.below(if depth >= 4 { 4 } else { 7 }) {
            0 | 1 => Value::String(self.text()),
            2 => Value::String(self.piece().to_owned()),
            3 => match self.below(7) {
                0 => Value::Null,
                1 => json!(self.below(2) == 0),
                2 => json!(self.below(1 << 20) as i64 - (1 << 19)),
                3 => json!(u64::MAX - self.below(1000) as u64),
                4 => json!(self.below(1 << 30) as f64 / (1u64 << self.below(40)) as f64),
                5 => json!((self.below(1 << 30) as f64) * 1e10_f64.powi(self.below(3) as i32)),
                _ => json!(-(self.below(1000) as f64) / 7.0),
            },
            4 | 5 => Value::Object(
                (0..self.below(5))
                    .map(|_| (self.key(), self.value(depth + 1)))
                    .collect::<Map<_, _>>(),
            ),
            _ => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
        }
    }

    fn document(&mut self) -> Value {
        let entries = 1 + self.below(5);
        Value::Object((0..entries).map(|_| (self.key(), self.value(1))).collect())
    }
}

/// JSON as Go's encoding/json writes it where that matters to a YAML reader: U+2028 and
/// U+2029 escaped (YAML would read them raw as line breaks), and NEL too, which Go leaves
/// raw but no Kubernetes object carries.
fn go_json(document: &Value) -> String {
    serde_json::to_string(document)
        .expect("JSON")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{85}', "\\u0085")
}

#[test]
fn every_document_is_written_as_sigs_k8s_io_yaml_writes_it() {
    let binary = peer("json-to-yaml", || module_key("tests/peers/json-to-yaml"));
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let documents: Vec<Value> = (0..DOCUMENTS).map(|_| random.document()).collect();
    let input: String = documents.iter().map(|d| go_json(d) + "\n").collect();

    let mut child = Command::new(&binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut output = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut output)
        .expect("the peer's YAML");
    writer
        .join()
        .expect("writer")
        .expect("writing the documents");
    assert!(child.wait().expect("the peer").success());

    let expected: Vec<&str> = output.split_terminator('\0').collect();
    assert_eq!(expected.len(), documents.len(), "one YAML per document");
    let differing: Vec<String> = documents
        .iter()
        .zip(&expected)
        .filter(|(document, go)| kube_yaml::from_json(document) != **go)
        .map(|(document, go)| {
            format!(
                "{}\n--- sigs.k8s.io/yaml:\n{go}--- kube-yaml:\n{}",
                go_json(document),
                kube_yaml::from_json(document)
            )
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{} of {DOCUMENTS} documents differ; the first:\n{}",
        differing.len(),
        differing.first().map(String::as_str).unwrap_or_default()
    );
}
