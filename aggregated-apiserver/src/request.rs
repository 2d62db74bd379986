//! Query parameters of resource requests, validated as kube-apiserver validates them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, FieldError};
use crate::storage::Revision;

/// The query string, decoded; a repeated key keeps its first value, as Go's `url.Values.Get`.
#[derive(Clone, Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes a raw (percent-encoded) query string; `None` is an empty query.
    pub fn parse(raw: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter, parsed as Go's `strconv.ParseBool`.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(false),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(ApiError::bad_request(format!(
                "invalid value {other:?} for boolean parameter {key:?}"
            ))),
        }
    }

    /// An integer parameter; `None` when absent or empty, 400 Bad Request when not a number.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "invalid value {v:?} for integer parameter {key:?}"
                    ))
                })
            })
            .transpose()
    }

    /// `dryRun`: only `All` is known; anything else is 422 as kube-apiserver answers.
    pub fn dry_run(&self, options_kind: &str) -> Result<bool, ApiError> {
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == "dryRun")
            .map(|(_, v)| v.clone())
            .collect();
        dry_run(&values, options_kind)
    }
}

/// Whether `dryRun` values (from a query or an options body) ask for a dry run.
pub fn dry_run(values: &[String], options_kind: &str) -> Result<bool, ApiError> {
    match values {
        [] => Ok(false),
        [all] if all == "All" => Ok(true),
        _ => {
            // Go renders the rejected slice as `[]string{"x"}`.
            let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            let rendered = format!("[]string{{{}}}", quoted.join(", "));
            Err(options_invalid(
                options_kind,
                &[FieldError::not_supported("dryRun", &rendered, &["All"])],
            ))
        }
    }
}

/// 422 about the options themselves (`ListOptions.meta.k8s.io "" is invalid: …`).
pub fn options_invalid(options_kind: &str, errors: &[FieldError]) -> ApiError {
    ApiError::invalid_named(
        &format!("{options_kind}.meta.k8s.io"),
        "meta.k8s.io",
        options_kind,
        "",
        errors,
    )
}

/// What a read asks of the state it sees (`resourceVersion`, `resourceVersionMatch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAt {
    /// Unset: the latest state, reflecting every write acknowledged before the read.
    Latest,
    /// `0`: any state the server has at hand.
    Any,
    /// State at least as new as the revision (for a watch: the changes after it).
    NotOlderThan(Revision),
    /// The state at exactly the revision.
    Exact(Revision),
}

/// Where a paginated list resumes, kept in the opaque continue token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continue {
    /// The revision the first page was read at; every later page is read at it too.
    pub revision: Revision,
    /// The last name returned.
    pub after: String,
}

#[derive(Serialize, Deserialize)]
struct ContinueToken {
    v: String,
    rv: i64,
    start: String,
}

impl Continue {
    /// The same shape as kube-apiserver's tokens: base64url of `{"v","rv","start"}`, where
    /// `start` is the key to resume at (the last key plus a NUL byte).
    pub fn encode(&self) -> String {
        let token = ContinueToken {
            v: "meta.k8s.io/v1".into(),
            rv: self.revision as i64,
            start: format!("{}\u{0}", self.after),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
    }

    /// Parses a `continue` token; 400 Bad Request if it is malformed or names a bad key or
    /// resourceVersion, as kube-apiserver rejects it.
    pub fn decode(token: &str) -> Result<Self, ApiError> {
        let invalid = |why: &str| {
            ApiError::bad_request(format!(
                "invalid continue token: continue key is not valid: {why}"
            ))
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|e| invalid(&e.to_string()))?;
        let token: ContinueToken =
            serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))?;
        if token.v != "meta.k8s.io/v1" {
            return Err(invalid(&format!(
                "got encoding version {}, expected meta.k8s.io/v1",
                token.v
            )));
        }
        if token.rv <= 0 {
            return Err(invalid("incorrect encoded start resourceVersion"));
        }
        let after = token
            .start
            .strip_suffix('\u{0}')
            // An object's path within its kind (`<namespace>/<name>` or `<name>`), clean as
            // apiserver's path.Clean check demands: nothing that could climb out of the kind.
            .filter(|s| s.split('/').all(|part| !matches!(part, "" | "." | "..")))
            .ok_or_else(|| invalid("incorrect encoded start key"))?;
        Ok(Continue {
            revision: token.rv as Revision,
            after: after.into(),
        })
    }
}

/// The options of a list or watch request.
#[derive(Debug)]
pub struct ListOptions {
    /// `labelSelector`, when given and not blank.
    pub labels: Option<LabelSelector>,
    /// `fieldSelector`, when given and not blank.
    pub fields: Option<FieldSelector>,
    /// `limit`: the page size; `None` when absent or not positive (no pagination).
    pub limit: Option<usize>,
    /// The decoded `continue` token of a list (ignored for a watch).
    pub continue_from: Option<Continue>,
    /// Which state the request reads, from `resourceVersion` and `resourceVersionMatch`.
    pub read_at: ReadAt,
    /// Set for `watch=true`.
    pub watch: Option<WatchOptions>,
    /// The namespace of the request's path, for a namespaced kind: only its objects are
    /// listed, watched or deleted (`None`: every namespace's).
    pub namespace: Option<String>,
}

/// The options that only a watch request takes.
#[derive(Debug, Default)]
pub struct WatchOptions {
    /// `allowWatchBookmarks`: the client accepts `BOOKMARK` events.
    pub bookmarks: bool,
    /// `sendInitialEvents`, when given.
    pub send_initial_events: Option<bool>,
    /// `timeoutSeconds`: how long the watch may last (negative values count as 0).
    pub timeout_seconds: Option<u64>,
}

impl ListOptions {
    /// Reads and validates the options from `query` as apimachinery's `ValidateListOptions`
    /// does: 422 for invalid combinations, 400 for malformed values.
    pub fn parse(query: &Query) -> Result<Self, ApiError> {
        let selector = |key| query.get(key).filter(|s: &&str| !s.trim().is_empty());
        let labels = selector("labelSelector")
            .map(LabelSelector::parse)
            .transpose()
            .map_err(ApiError::bad_request)?;
        let fields = selector("fieldSelector")
            .map(FieldSelector::parse)
            .transpose()
            .map_err(ApiError::bad_request)?;
        let watch = query.flag("watch")?;
        let limit = query
            .integer("limit")?
            .filter(|&l| l > 0)
            .map(|l| l as usize);
        let token = query.get("continue").filter(|s| !s.is_empty());
        let rv = query.get("resourceVersion").filter(|s| !s.is_empty());
        let rv_match = query.get("resourceVersionMatch").filter(|s| !s.is_empty());
        let send_initial_events = match query.get("sendInitialEvents").filter(|s| !s.is_empty()) {
            Some(_) => Some(query.flag("sendInitialEvents")?),
            None => None,
        };

        let errors = if watch {
            watch_errors(rv_match, token, send_initial_events)
        } else {
            list_errors(rv, rv_match, token, send_initial_events)
        };
        if !errors.is_empty() {
            return Err(options_invalid("ListOptions", &errors));
        }
        let continue_from = match token {
            Some(t) if !watch => {
                if rv.is_some_and(|v| v != "0") {
                    return Err(ApiError::bad_request(
                        "specifying resource version is not allowed when using continue",
                    ));
                }
                Some(Continue::decode(t)?)
            }
            _ => None,
        };
        let read_at = match rv {
            None => ReadAt::Latest,
            Some("0") => ReadAt::Any,
            Some(v) if rv_match == Some("Exact") => ReadAt::Exact(parse_revision(v)?),
            Some(v) => ReadAt::NotOlderThan(parse_revision(v)?),
        };
        let watch = match watch {
            false => None,
            true => Some(WatchOptions {
                bookmarks: query.flag("allowWatchBookmarks")?,
                send_initial_events,
                timeout_seconds: query.integer("timeoutSeconds")?.map(|t| t.max(0) as u64),
            }),
        };
        Ok(ListOptions {
            labels,
            fields,
            limit,
            continue_from,
            read_at,
            watch,
            namespace: None,
        })
    }
}

/// apimachinery's ValidateListOptions for a list.
fn list_errors(
    rv: Option<&str>,
    rv_match: Option<&str>,
    token: Option<&str>,
    send_initial_events: Option<bool>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(m) = rv_match {
        if rv.is_none() {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if token.is_some() {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
        if !matches!(m, "Exact" | "NotOlderThan") {
            errors.push(FieldError::not_supported(
                "resourceVersionMatch",
                &format!("{m:?}"),
                &["Exact", "NotOlderThan", ""],
            ));
        }
        if m == "Exact" && rv == Some("0") {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ));
        }
    }
    if send_initial_events.is_some() {
        errors.push(FieldError::forbidden(
            "sendInitialEvents",
            "sendInitialEvents is forbidden for list",
        ));
    }
    errors
}

/// apimachinery's ValidateListOptions for a watch.
fn watch_errors(
    rv_match: Option<&str>,
    token: Option<&str>,
    send_initial_events: Option<bool>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if send_initial_events.is_some() && rv_match != Some("NotOlderThan") {
        errors.push(FieldError::forbidden(
            "resourceVersionMatch",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ));
    }
    if let Some(m) = rv_match {
        if send_initial_events.is_none() {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        if m != "NotOlderThan" {
            errors.push(FieldError::not_supported(
                "resourceVersionMatch",
                &format!("{m:?}"),
                &["NotOlderThan"],
            ));
        }
        if token.is_some() {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
    }
    errors
}

/// A resourceVersion sent by a client: a decimal revision.
pub fn parse_revision(value: &str) -> Result<Revision, ApiError> {
    value
        .parse::<Revision>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version \"{value}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(q: &str) -> Result<ListOptions, ApiError> {
        ListOptions::parse(&Query::parse(Some(q)))
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let c = Continue {
            revision: 42,
            after: "foo-1".into(),
        };
        assert_eq!(Continue::decode(&c.encode()), Ok(c));
        for bad in ["!!", "e30", "eyJ2IjoieCIsInJ2IjoxLCJzdGFydCI6ImEifQ"] {
            assert_eq!(Continue::decode(bad).unwrap_err().code, 400, "{bad}");
        }
    }

    #[test]
    fn resource_version_rules_of_the_api_concepts_page() {
        assert_eq!(list("resourceVersionMatch=Exact").unwrap_err().code, 422);
        assert_eq!(
            list("resourceVersion=0&resourceVersionMatch=Exact")
                .unwrap_err()
                .code,
            422
        );
        assert_eq!(
            list("resourceVersion=5&resourceVersionMatch=Exact")
                .unwrap()
                .read_at,
            ReadAt::Exact(5)
        );
        assert_eq!(list("resourceVersion=0").unwrap().read_at, ReadAt::Any);
        assert_eq!(list("").unwrap().read_at, ReadAt::Latest);
        assert_eq!(
            list("resourceVersion=7").unwrap().read_at,
            ReadAt::NotOlderThan(7)
        );
        assert_eq!(list("resourceVersion=x").unwrap_err().code, 400);
        assert_eq!(list("limit=x").unwrap_err().code, 400);
        assert_eq!(list("sendInitialEvents=true").unwrap_err().code, 422);
        assert_eq!(
            list("watch=1&resourceVersionMatch=NotOlderThan")
                .unwrap_err()
                .code,
            422
        );
        assert_eq!(
            list("watch=1&sendInitialEvents=true").unwrap_err().code,
            422
        );
        let watch = list("watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
            .unwrap()
            .watch
            .unwrap();
        assert!(watch.bookmarks);
        assert_eq!(watch.send_initial_events, Some(true));
    }
}
