//! Kubernetes' validation of names and labels (k8s.io/apimachinery `pkg/util/validation`),
//! with its exact error wording, and Go's quoting of invalid values.

use std::fmt::Write as _;

const LABEL_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_NAME_MAX_LEN: usize = 63;
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MAX_LEN: usize = 253;
const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MAX_LEN: usize = 63;

/// Matches `LABEL_FMT`: non-empty, `[-A-Za-z0-9_.]`, alphanumeric at both ends.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Matches `DNS1123_SUBDOMAIN_FMT`.
fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        let lower_alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(lower_alnum)
            && b.last().is_some_and(lower_alnum)
            && b.iter().all(|c| lower_alnum(c) || *c == b'-')
    })
}

fn regex_error(message: &str, regex: &str, examples: &[&str]) -> String {
    let examples: String = examples
        .iter()
        .map(|e| format!("'{e}', "))
        .collect::<Vec<_>>()
        .join(" or ");
    format!("{message} (e.g. {examples}regex used for validation is '{regex}')")
}

fn label_name_regex_error() -> String {
    regex_error(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_FMT,
        &["MyName", "my.name", "123-abc"],
    )
}

/// apimachinery's `IsQualifiedName` (label keys, annotation keys, finalizers):
/// `[DNS-1123 subdomain "/"] name`.
pub fn label_key_errors(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let name = match key.split('/').collect::<Vec<_>>()[..] {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else {
                if prefix.len() > DNS1123_SUBDOMAIN_MAX_LEN {
                    errors.push(format!(
                        "prefix part must be no more than {DNS1123_SUBDOMAIN_MAX_LEN} bytes"
                    ));
                }
                if !is_dns1123_subdomain(prefix) {
                    errors.push(format!("prefix part {}", dns1123_subdomain_regex_error()));
                }
            }
            name
        }
        _ => {
            return vec![format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                label_name_regex_error()
            )];
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > LABEL_NAME_MAX_LEN {
        errors.push(format!(
            "name part must be no more than {LABEL_NAME_MAX_LEN} bytes"
        ));
    }
    if !is_label_name(name) {
        errors.push(format!("name part {}", label_name_regex_error()));
    }
    errors
}

/// apimachinery's `IsValidLabelValue`.
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_NAME_MAX_LEN {
        errors.push(format!("must be no more than {LABEL_NAME_MAX_LEN} bytes"));
    }
    if !value.is_empty() && !is_label_name(value) {
        errors.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            &format!("({LABEL_FMT})?"),
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

/// Go's `%q` (`strconv.Quote`), used by apimachinery to show invalid values.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if c < ' ' || c == '\x7f' => _ = write!(out, "\\x{:02x}", u32::from(c)),
            c if u32::from(c) < 0x10000 => _ = write!(out, "\\u{:04x}", u32::from(c)),
            c => _ = write!(out, "\\U{:08x}", u32::from(c)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint`, except that unassigned code points (which Go
/// escapes) count as printable, as telling them apart needs Unicode tables.
fn is_go_printable(c: char) -> bool {
    let c = u32::from(c);
    if c <= 0xff {
        return (0x20..=0x7e).contains(&c) || ((0xa1..=0xff).contains(&c) && c != 0xad);
    }
    // Space separators, format characters, private use and noncharacters.
    const NOT_PRINTABLE: &[(u32, u32)] = &[
        (0x0600, 0x0605),
        (0x061c, 0x061c),
        (0x06dd, 0x06dd),
        (0x070f, 0x070f),
        (0x0890, 0x0891),
        (0x08e2, 0x08e2),
        (0x1680, 0x1680),
        (0x180e, 0x180e),
        (0x2000, 0x200f),
        (0x2028, 0x202f),
        (0x205f, 0x2064),
        (0x2066, 0x206f),
        (0x3000, 0x3000),
        (0xe000, 0xf8ff),
        (0xfdd0, 0xfdef),
        (0xfeff, 0xfeff),
        (0xfff9, 0xfffb),
        (0x110bd, 0x110bd),
        (0x110cd, 0x110cd),
        (0x13430, 0x1343f),
        (0x1bca0, 0x1bca3),
        (0x1d173, 0x1d17a),
        (0xe0001, 0xe0001),
        (0xe0020, 0xe007f),
        (0xf0000, 0x10ffff),
    ];
    c & 0xfffe != 0xfffe
        && !NOT_PRINTABLE
            .iter()
            .any(|&(first, last)| (first..=last).contains(&c))
}

/// apimachinery's `IsValidPathSegmentName`: the only rule Go's generic registry has for the
/// names of a kind that checks nothing more (they must fit in a URL path segment).
///
/// ```
/// use aggregated_apiserver::validation::path_segment_name_errors;
///
/// assert!(path_segment_name_errors("Upper_Case").is_empty());
/// assert_eq!(path_segment_name_errors(".."), ["may not be '..'"]);
/// assert_eq!(
///     path_segment_name_errors("a/b%c"),
///     ["may not contain '/'", "may not contain '%'"]
/// );
/// ```
pub fn path_segment_name_errors(name: &str) -> Vec<String> {
    if let Some(whole) = [".", ".."].into_iter().find(|&n| n == name) {
        return vec![format!("may not be '{whole}'")];
    }
    ["/", "%"]
        .into_iter()
        .filter(|part| name.contains(part))
        .map(|part| format!("may not contain '{part}'"))
        .collect()
}

/// apimachinery's `IsDNS1123Subdomain`: the rules of object names.
pub fn dns1123_subdomain_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > DNS1123_SUBDOMAIN_MAX_LEN {
        errors.push(format!(
            "must be no more than {DNS1123_SUBDOMAIN_MAX_LEN} characters"
        ));
    }
    if !is_dns1123_subdomain(name) {
        errors.push(dns1123_subdomain_regex_error());
    }
    errors
}

/// apimachinery's `IsDNS1123Label`: the rules of namespace names.
pub fn dns1123_label_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > DNS1123_LABEL_MAX_LEN {
        errors.push(format!(
            "must be no more than {DNS1123_LABEL_MAX_LEN} characters"
        ));
    }
    if name.contains('.') && is_dns1123_subdomain(name) {
        errors.push("must not contain dots".into());
    } else if !is_dns1123_subdomain(name) {
        errors.push(regex_error(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            DNS1123_LABEL_FMT,
            &["my-name", "123-abc"],
        ));
    }
    errors
}

fn dns1123_subdomain_regex_error() -> String {
    regex_error(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        &["example.com"],
    )
}
