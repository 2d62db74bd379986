//! Label and field selectors, parsed as k8s.io/apimachinery parses them
//! (`pkg/labels/selector.go`, `pkg/fields/selector.go`), including the exact
//! error messages kube-apiserver returns for bad selectors.

use crate::validation::{go_quote, label_key_errors, label_value_errors};
use std::collections::BTreeSet;

/// A parsed label selector: the AND of its requirements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LabelRequirement {
    key: String,
    op: LabelOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    /// `in`, `=` and `==`.
    In(Vec<String>),
    /// `notin` and `!=`.
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    GreaterThan(i64),
    LessThan(i64),
}

impl LabelSelector {
    /// Parses the `labelSelector` syntax (`k=v`, `k==v`, `k!=v`, `k in (..)`,
    /// `k notin (..)`, `k`, `!k`, `k>n`, `k<n`, comma-separated); the empty
    /// string selects everything.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let requirements = Parser {
            tokens: lex(s),
            pos: 0,
        }
        .parse()?;
        Ok(LabelSelector { requirements })
    }

    /// Whether the labels, which `label` looks up by key, satisfy every requirement (`!=`
    /// and `notin` also match when the key is absent).
    pub fn matches<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let value = label(&r.key);
            match &r.op {
                LabelOp::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
                LabelOp::NotIn(values) => value.is_none_or(|v| values.iter().all(|x| x != v)),
                LabelOp::Exists => value.is_some(),
                LabelOp::DoesNotExist => value.is_none(),
                LabelOp::GreaterThan(bound) => label_number(value).is_some_and(|n| n > *bound),
                LabelOp::LessThan(bound) => label_number(value).is_some_and(|n| n < *bound),
            }
        })
    }
}

fn label_number(value: Option<&str>) -> Option<i64> {
    value?.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    Bang,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits a label selector into tokens, ending with exactly one `EndOfString`.
///
/// Like apimachinery's byte lexer, a NUL byte reads as end of input: at the
/// start of a token it ends the selector, right after a token it is skipped.
fn lex(s: &str) -> Vec<(Token, &str)> {
    let bytes = s.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    loop {
        while bytes.get(pos).copied().is_some_and(is_whitespace) {
            pos += 1;
        }
        let start = pos;
        let first = match bytes.get(start) {
            None | Some(0) => {
                tokens.push((Token::EndOfString, ""));
                return tokens;
            }
            Some(&b) => b,
        };
        let len = if !is_special(first) {
            bytes[start..]
                .iter()
                .position(|&b| b == 0 || is_special(b) || is_whitespace(b))
                .unwrap_or(bytes.len() - start)
        } else if matches!(first, b'=' | b'!') && bytes.get(start + 1) == Some(&b'=') {
            2
        } else {
            1
        };
        pos = start + len;
        let literal = &s[start..pos];
        if bytes.get(pos) == Some(&0) {
            pos += 1;
        }
        let token = match literal {
            ")" => Token::ClosedPar,
            "," => Token::Comma,
            "!" => Token::Bang,
            "==" => Token::DoubleEquals,
            "=" => Token::Equals,
            ">" => Token::GreaterThan,
            "in" => Token::In,
            "<" => Token::LessThan,
            "!=" => Token::NotEquals,
            "notin" => Token::NotIn,
            "(" => Token::OpenPar,
            _ => Token::Identifier,
        };
        tokens.push((token, literal));
    }
}

struct Parser<'a> {
    tokens: Vec<(Token, &'a str)>,
    pos: usize,
}

impl<'a> Parser<'a> {
    /// The current token where a key or value is expected: `in` and `notin`
    /// are then plain identifiers (`in in (in)` is a valid selector).
    fn peek(&self) -> (Token, &'a str) {
        let (token, literal) = self.peek_operator();
        match token {
            Token::In | Token::NotIn => (Token::Identifier, literal),
            _ => (token, literal),
        }
    }

    fn peek_operator(&self) -> (Token, &'a str) {
        // Never past the final EndOfString, so malformed input cannot overrun.
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> (Token, &'a str) {
        let item = self.peek();
        self.pos += 1;
        item
    }

    fn next_operator(&mut self) -> (Token, &'a str) {
        let item = self.peek_operator();
        self.pos += 1;
        item
    }

    fn parse(mut self) -> Result<Vec<LabelRequirement>, String> {
        let mut requirements = Vec::new();
        loop {
            match self.peek() {
                (Token::Identifier | Token::Bang, _) => {
                    let requirement = self
                        .requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(requirement);
                    match self.next() {
                        (Token::EndOfString, _) => return Ok(requirements),
                        (Token::Comma, _) => {
                            let (token, literal) = self.peek();
                            if !matches!(token, Token::Identifier | Token::Bang) {
                                return Err(format!(
                                    "found '{literal}', expected: identifier after ','"
                                ));
                            }
                        }
                        (_, literal) => {
                            return Err(format!(
                                "found '{literal}', expected: ',' or 'end of string'"
                            ));
                        }
                    }
                }
                (Token::EndOfString, _) => return Ok(requirements),
                (_, literal) => {
                    return Err(format!(
                        "found '{literal}', expected: !, identifier, or 'end of string'"
                    ));
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<LabelRequirement, String> {
        let (mut token, mut key) = self.next();
        let negated = token == Token::Bang;
        if negated {
            (token, key) = self.next();
        }
        if token != Token::Identifier {
            return Err(format!("found '{key}', expected: identifier"));
        }
        let key_errors = label_key_errors(key);
        if !key_errors.is_empty() {
            return Err(invalid_value("<nil>", key, &key_errors));
        }
        // `!key` takes no operator: anything after it fails as a missing ','.
        if negated {
            return Ok(LabelRequirement {
                key: key.to_owned(),
                op: LabelOp::DoesNotExist,
            });
        }
        if matches!(self.peek().0, Token::EndOfString | Token::Comma) {
            return Ok(LabelRequirement {
                key: key.to_owned(),
                op: LabelOp::Exists,
            });
        }

        let (operator, literal) = self.next_operator();
        let values = match operator {
            Token::In | Token::NotIn => self.value_set()?,
            Token::Equals
            | Token::DoubleEquals
            | Token::NotEquals
            | Token::GreaterThan
            | Token::LessThan => BTreeSet::from([self.exact_value()?]),
            _ => {
                return Err(format!(
                    "found '{literal}', expected: in, notin, =, ==, !=, gt, lt"
                ));
            }
        };

        let mut errors = Vec::new();
        let bound = if matches!(operator, Token::GreaterThan | Token::LessThan) {
            let value = values.first().copied().unwrap_or_default();
            let bound = value.parse::<i64>();
            if bound.is_err() {
                errors.push(invalid_value(
                    "values[0]",
                    value,
                    &["for 'Gt', 'Lt' operators, the value must be an integer".to_owned()],
                ));
            }
            bound.ok()
        } else {
            None
        };
        for (i, value) in values.iter().enumerate() {
            let value_errors = label_value_errors(value);
            if !value_errors.is_empty() {
                let path = format!("values[{i}][{key}]");
                errors.push(invalid_value(&path, value, &value_errors));
            }
        }
        if !errors.is_empty() {
            return Err(aggregate(errors));
        }

        let values = || values.iter().map(|v| (*v).to_owned()).collect();
        let op = match (operator, bound) {
            (Token::GreaterThan, Some(bound)) => LabelOp::GreaterThan(bound),
            (Token::LessThan, Some(bound)) => LabelOp::LessThan(bound),
            (Token::NotIn | Token::NotEquals, _) => LabelOp::NotIn(values()),
            _ => LabelOp::In(values()),
        };
        Ok(LabelRequirement {
            key: key.to_owned(),
            op,
        })
    }

    /// `( v1, v2, ... )`, where empty elements stand for the empty value.
    fn value_set(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let (token, literal) = self.next();
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.peek();
        if !matches!(token, Token::Identifier | Token::Comma | Token::ClosedPar) {
            return Err(format!(
                "found '{literal}', expected: ',', ')' or identifier"
            ));
        }
        let mut values = BTreeSet::new();
        loop {
            match self.next() {
                (Token::Identifier, value) => {
                    values.insert(value);
                    match self.next() {
                        (Token::Comma, _) => {}
                        (Token::ClosedPar, _) => return Ok(values),
                        (_, literal) => {
                            return Err(format!("found '{literal}', expected: ',' or ')'"));
                        }
                    }
                }
                (Token::Comma, _) => {
                    values.insert("");
                }
                (Token::ClosedPar, _) => {
                    values.insert("");
                    return Ok(values);
                }
                (_, literal) => {
                    return Err(format!("found '{literal}', expected: ',', or identifier"));
                }
            }
        }
    }

    /// The value after `=`, `==`, `!=`, `>` or `<`; may be empty.
    fn exact_value(&mut self) -> Result<&'a str, String> {
        if matches!(self.peek().0, Token::EndOfString | Token::Comma) {
            return Ok("");
        }
        match self.next() {
            (Token::Identifier, value) => Ok(value),
            (_, literal) => Err(format!("found '{literal}', expected: identifier")),
        }
    }
}

/// A `field.Invalid` error as rendered by apimachinery.
fn invalid_value(path: &str, value: &str, details: &[String]) -> String {
    format!(
        "{path}: Invalid value: {}: {}",
        go_quote(value),
        details.join("; ")
    )
}

/// An apimachinery error aggregate: one message alone, several deduplicated in brackets.
fn aggregate(errors: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for error in errors {
        if !unique.contains(&error) {
            unique.push(error);
        }
    }
    match &unique[..] {
        [single] => single.clone(),
        _ => format!("[{}]", unique.join(", ")),
    }
}

/// A parsed field selector: the AND of `field=value` / `field!=value` terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldRequirement {
    field: String,
    equals: bool,
    value: String,
}

impl FieldSelector {
    /// Parses the `fieldSelector` syntax; the empty string selects everything.
    /// In values, `\`, `,` and `=` must be escaped with a backslash.
    pub fn parse(s: &str) -> Result<FieldSelector, String> {
        let mut terms = split_terms(s);
        // Sorted as apimachinery does, which decides which bad term is reported.
        terms.sort_unstable();
        let mut requirements = Vec::new();
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let (field, equals, raw_value) = split_term(term)
                .ok_or_else(|| format!("invalid selector: '{s}'; can't understand '{term}'"))?;
            let value = unescape_value(raw_value)?;
            // apimachinery drops terms that name neither a field nor a value ("=", "!=").
            if field.is_empty() && value.is_empty() {
                continue;
            }
            requirements.push(FieldRequirement {
                field: field.to_owned(),
                equals,
                value,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// `(field, equals, value)` for each term, `equals` being false for `!=`,
    /// in the order apimachinery checks them.
    pub fn requirements(&self) -> impl Iterator<Item = (&str, bool, &str)> {
        self.requirements
            .iter()
            .map(|r| (r.field.as_str(), r.equals, r.value.as_str()))
    }

    /// `field_value` returns an object's value for a field; like apimachinery,
    /// a missing field compares as the empty string.
    pub fn matches<'a>(&self, field_value: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements
            .iter()
            .all(|r| (field_value(&r.field).unwrap_or_default() == r.value) == r.equals)
    }

    /// The first field not in `supported`, which kube-apiserver's field label conversion
    /// fails on.
    pub fn unsupported_field(&self, supported: &[&str]) -> Option<&str> {
        self.requirements
            .iter()
            .map(|r| r.field.as_str())
            .find(|field| !supported.contains(field))
    }
}

/// Splits on the commas that are not backslash-escaped, keeping escapes.
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at its first operator (`!=`, `==` or `=`); the field part
/// has no escaping.
fn split_term(term: &str) -> Option<(&str, bool, &str)> {
    let b = term.as_bytes();
    let i = (0..b.len()).find(|&i| b[i] == b'=' || b[i..].starts_with(b"!="))?;
    let (operator_len, equals) = match &b[i..] {
        [b'!', ..] => (2, false),
        [b'=', b'=', ..] => (2, true),
        _ => (1, true),
    };
    Some((&term[..i], equals, &term[i + operator_len..]))
}

fn unescape_value(s: &str) -> Result<String, String> {
    let mut value = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(c @ ('\\' | ',' | '=')) => value.push(c),
                Some(c) => {
                    return Err(format!(
                        "invalid field selector: invalid escape sequence: \\{c}"
                    ));
                }
                None => {
                    return Err("invalid field selector: invalid escape sequence: \\".to_owned());
                }
            },
            // Go prints the rune as a number here.
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescaped character in value: {}",
                    u32::from(c)
                ));
            }
            c => value.push(c),
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn in_map<'a>(labels: &'a BTreeMap<String, String>) -> impl Fn(&str) -> Option<&'a str> {
        |key| labels.get(key).map(String::as_str)
    }

    const VALUE_REGEX_ERROR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    const NAME_REGEX_ERROR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    #[test]
    fn label_selector_matches() {
        let none = labels(&[]);
        let ab = labels(&[("a", "b"), ("x", "y")]);
        let empty_x = labels(&[("x", "")]);
        let numbers = labels(&[("x", "10"), ("y", "-3")]);
        // (selector, matches none, ab, empty_x, numbers)
        let cases = [
            ("", [true, true, true, true]),
            ("a", [false, true, false, false]),
            ("!a", [true, false, true, true]),
            ("a=b", [false, true, false, false]),
            ("a==b", [false, true, false, false]),
            ("a!=b", [true, false, true, true]),
            ("a!=c", [true, true, true, true]),
            ("a in (b,c)", [false, true, false, false]),
            ("a notin (b,c)", [true, false, true, true]),
            ("x=", [false, false, true, false]),
            ("x in (,z)", [false, false, true, false]),
            ("x in ()", [false, false, true, false]),
            ("x notin (y,)", [true, false, false, true]),
            ("a=b,x=y", [false, true, false, false]),
            ("a=b,x!=y", [false, false, false, false]),
            (" a = b , x ", [false, true, false, false]),
            ("\ta\tin\n(b ,\rc)", [false, true, false, false]),
            ("x>9,y<0", [false, false, false, true]),
            ("x>10", [false, false, false, false]),
            ("x<11", [false, false, false, true]),
            ("in in (in),!notin", [false, false, false, false]),
            ("example.com/a", [false, false, false, false]),
        ];
        for (selector, want) in cases {
            let parsed = LabelSelector::parse(selector).unwrap();
            let got = [&none, &ab, &empty_x, &numbers].map(|l| parsed.matches(in_map(l)));
            assert_eq!(got, want, "{selector:?}");
        }
        let in_keyword = labels(&[("in", "in")]);
        assert!(
            LabelSelector::parse("in in (in)")
                .unwrap()
                .matches(in_map(&in_keyword))
        );
        assert!(
            LabelSelector::parse("in=in")
                .unwrap()
                .matches(in_map(&in_keyword))
        );
    }

    #[test]
    fn label_selector_syntax_errors() {
        let cases = [
            (
                ",",
                "found ',', expected: !, identifier, or 'end of string'",
            ),
            (
                "(",
                "found '(', expected: !, identifier, or 'end of string'",
            ),
            (
                "=",
                "found '=', expected: !, identifier, or 'end of string'",
            ),
            ("a,", "found '', expected: identifier after ','"),
            ("a,,b", "found ',', expected: identifier after ','"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("x==a==b", "found '==', expected: ',' or 'end of string'"),
            ("!x=a", "found '=', expected: ',' or 'end of string'"),
            ("a in (b))", "found ')', expected: ',' or 'end of string'"),
            (
                "!",
                "unable to parse requirement: found '', expected: identifier",
            ),
            (
                "!!a",
                "unable to parse requirement: found '!', expected: identifier",
            ),
            (
                "a=(",
                "unable to parse requirement: found '(', expected: identifier",
            ),
            (
                "a b",
                "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "a(",
                "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "a in",
                "unable to parse requirement: found '' expected: '('",
            ),
            (
                "a in b",
                "unable to parse requirement: found 'b' expected: '('",
            ),
            (
                "a in (",
                "unable to parse requirement: found '', expected: ',', ')' or identifier",
            ),
            (
                "a in ((b))",
                "unable to parse requirement: found '(', expected: ',', ')' or identifier",
            ),
            (
                "a in (b c)",
                "unable to parse requirement: found 'c', expected: ',' or ')'",
            ),
            (
                "a in (b,",
                "unable to parse requirement: found '', expected: ',', or identifier",
            ),
            (
                "a in (b,=)",
                "unable to parse requirement: found '=', expected: ',', or identifier",
            ),
            (
                "x<a",
                "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            // A NUL byte ends the input at the start of a token and is skipped after one.
            (
                "a\0b",
                "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            ),
            ("a, \0b", "found '', expected: identifier after ','"),
        ];
        for (selector, want) in cases {
            assert_eq!(
                LabelSelector::parse(selector),
                Err(want.to_owned()),
                "{selector:?}"
            );
        }
    }

    #[test]
    fn label_selector_validation_errors() {
        let value_error = |path: &str, value: &str| {
            format!("{path}: Invalid value: {value}: {VALUE_REGEX_ERROR}")
        };
        let cases = [
            (
                "app=a@b".to_owned(),
                format!("unable to parse requirement: {}", value_error("values[0][app]", "\"a@b\"")),
            ),
            // Values are sorted and deduplicated before validation.
            (
                "a in (z,-c,-b,-b)".to_owned(),
                format!(
                    "unable to parse requirement: [{}, {}]",
                    value_error("values[0][a]", "\"-b\""),
                    value_error("values[1][a]", "\"-c\"")
                ),
            ),
            (
                "a>+1".to_owned(),
                format!("unable to parse requirement: {}", value_error("values[0][a]", "\"+1\"")),
            ),
            (
                format!("a={}", "v".repeat(64)),
                format!(
                    "unable to parse requirement: values[0][a]: Invalid value: \"{}\": must be no more than 63 bytes",
                    "v".repeat(64)
                ),
            ),
            (
                "a=\"é\u{1}\u{200b}\u{1f600}\\".to_owned(),
                format!(
                    "unable to parse requirement: {}",
                    value_error("values[0][a]", r#""\"é\x01\u200b😀\\""#)
                ),
            ),
            (
                "-k".to_owned(),
                format!("unable to parse requirement: <nil>: Invalid value: \"-k\": name part {NAME_REGEX_ERROR}"),
            ),
            (
                "k".repeat(64),
                format!(
                    "unable to parse requirement: <nil>: Invalid value: \"{}\": name part must be no more than 63 bytes",
                    "k".repeat(64)
                ),
            ),
            (
                "/k".to_owned(),
                "unable to parse requirement: <nil>: Invalid value: \"/k\": prefix part must be non-empty".to_owned(),
            ),
            (
                "p/".to_owned(),
                format!("unable to parse requirement: <nil>: Invalid value: \"p/\": name part must be non-empty; name part {NAME_REGEX_ERROR}"),
            ),
            (
                "P/k".to_owned(),
                "unable to parse requirement: <nil>: Invalid value: \"P/k\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned(),
            ),
            (
                "p/k/x".to_owned(),
                format!("unable to parse requirement: <nil>: Invalid value: \"p/k/x\": a valid label key {NAME_REGEX_ERROR} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
            ),
        ];
        for (selector, want) in cases {
            assert_eq!(LabelSelector::parse(&selector), Err(want), "{selector:?}");
        }
        for valid in [
            "k.k_k-k",
            "example.com/Key",
            "a-b.c/k",
            &format!("{}/k", "p".repeat(253)),
            &format!("k={}", "v".repeat(63)),
            "k=A.b_c-1",
        ] {
            assert!(LabelSelector::parse(valid).is_ok(), "{valid:?}");
        }
    }

    #[test]
    fn go_quote_escapes_like_strconv_quote() {
        assert_eq!(go_quote("a\"b\\"), r#""a\"b\\""#);
        assert_eq!(
            go_quote("\u{7}\u{b}\u{c}\u{1}\u{7f}"),
            r#""\a\v\f\x01\x7f""#
        );
        assert_eq!(go_quote("é\u{a0}\u{ad}\u{85}"), r#""é\u00a0\u00ad\u0085""#);
        assert_eq!(
            go_quote("\u{200b}\u{feff}\u{e0001}😀"),
            r#""\u200b\ufeff\U000e0001😀""#
        );
    }

    #[test]
    fn parsers_never_panic() {
        let label_atoms = [
            "a", "in", "notin", "=", "==", "!=", "!", "(", ")", ",", " ", ">", "<", "-1", "é", "\0",
        ];
        let field_atoms = ["a", "=", "!", ",", "\\", "==", "é", " ", "\0"];
        for atoms in [&label_atoms[..], &field_atoms[..]] {
            let mut inputs = vec![String::new()];
            for _ in 0..3 {
                inputs = inputs
                    .iter()
                    .flat_map(|prefix| atoms.iter().map(move |atom| format!("{prefix}{atom}")))
                    .collect();
                for input in &inputs {
                    let _ = LabelSelector::parse(input).map(|s| s.matches(|_| None));
                    let _ = FieldSelector::parse(input).map(|s| s.matches(|_| None));
                }
            }
        }
    }

    #[test]
    fn field_selector_parses_and_matches() {
        let selector =
            FieldSelector::parse("status.phase!=Failed,metadata.name=a\\,b\\=c\\\\,,=,!=").unwrap();
        assert_eq!(
            selector.requirements().collect::<Vec<_>>(),
            [
                ("metadata.name", true, "a,b=c\\"),
                ("status.phase", false, "Failed")
            ]
        );
        let object = |name: &'static str, phase: Option<&'static str>| {
            move |field: &str| match field {
                "metadata.name" => Some(name),
                "status.phase" => phase,
                _ => None,
            }
        };
        assert!(selector.matches(object("a,b=c\\", Some("Running"))));
        assert!(selector.matches(object("a,b=c\\", None)));
        assert!(!selector.matches(object("a,b=c\\", Some("Failed"))));
        assert!(!selector.matches(object("x", Some("Running"))));

        let double = FieldSelector::parse("spec.nodeName==").unwrap();
        assert_eq!(
            double.requirements().collect::<Vec<_>>(),
            [("spec.nodeName", true, "")]
        );
        assert!(double.matches(|_| None));
        assert!(!double.matches(|_| Some("n1")));

        let everything = FieldSelector::parse("").unwrap();
        assert_eq!(everything.requirements().count(), 0);
        assert!(everything.matches(|_| None));
    }

    #[test]
    fn field_selector_errors() {
        let cases = [
            ("a", "invalid selector: 'a'; can't understand 'a'"),
            // Terms are sorted before parsing, so "b" fails before "a=1" is read.
            ("b,a=1", "invalid selector: 'b,a=1'; can't understand 'b'"),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "a!==b",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "a=b\\c",
                "invalid field selector: invalid escape sequence: \\c",
            ),
            (
                "a=b\\!",
                "invalid field selector: invalid escape sequence: \\!",
            ),
            (
                "a=é\\é",
                "invalid field selector: invalid escape sequence: \\é",
            ),
            (
                "a=b\\",
                "invalid field selector: invalid escape sequence: \\",
            ),
        ];
        for (selector, want) in cases {
            assert_eq!(
                FieldSelector::parse(selector),
                Err(want.to_owned()),
                "{selector:?}"
            );
        }
    }

    #[test]
    fn field_selector_checks_supported_fields() {
        let supported = ["metadata.name", "metadata.namespace"];
        let selector = FieldSelector::parse("metadata.name=a,metadata.namespace!=b").unwrap();
        assert_eq!(selector.unsupported_field(&supported), None);
        let selector = FieldSelector::parse("spec.x=1,metadata.name=a,status.y=2").unwrap();
        assert_eq!(selector.unsupported_field(&supported), Some("spec.x"));
    }
}
