//! Content negotiation: which representation a client asked for (`Accept`) and which one it
//! sent (`Content-Type`), as k8s.io/apiserver's negotiation package decides.

use http::HeaderMap;

use crate::registry::Style;
use crate::status::ApiError;

/// The `meta.k8s.io` version of a Table or PartialObjectMetadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaVersion {
    /// `meta.k8s.io/v1`.
    V1,
    /// `meta.k8s.io/v1beta1`, which older clients still ask for.
    V1beta1,
}

impl MetaVersion {
    /// The `apiVersion` to write in the response, e.g. `meta.k8s.io/v1`.
    pub fn api_version(self) -> &'static str {
        match self {
            MetaVersion::V1 => "meta.k8s.io/v1",
            MetaVersion::V1beta1 => "meta.k8s.io/v1beta1",
        }
    }
}

/// What an answer carrying objects should look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The objects themselves, as JSON.
    Json,
    /// The objects themselves, as YAML.
    Yaml,
    /// A `Table` of the objects' printer columns (`as=Table`), as `kubectl get` asks for.
    Table(MetaVersion),
    /// `PartialObjectMetadata` for one object, `PartialObjectMetadataList` for a list.
    Metadata(MetaVersion),
}

/// The JSON media type, the default for requests and responses.
pub const JSON: &str = "application/json";
/// The YAML media type.
pub const YAML: &str = "application/yaml";
const ACCEPTED: &[&str] = &[JSON, YAML];
/// Kubernetes' protobuf media type, which this server does not speak.
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// One entry of an `Accept` header, e.g. `application/json;as=Table;v=v1;g=meta.k8s.io`.
#[derive(Debug, PartialEq)]
pub struct MediaRange<'a> {
    /// The media type without parameters, lowercased (`application/json`, `*/*`).
    pub essence: String,
    params: Vec<(String, &'a str)>,
    quality: f32,
}

impl MediaRange<'_> {
    /// The value of parameter `name` (lowercase; quotes removed), such as `as`, `g` or `v`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    fn matches(&self, media_type: &str) -> bool {
        let (ty, _) = media_type.split_once('/').unwrap_or((media_type, ""));
        self.essence == "*/*"
            || self.essence == media_type
            || self.essence.strip_suffix("/*") == Some(ty)
    }
}

/// The entries of `Accept`, most preferred first (by `q`, then by order).
pub fn accept_ranges(headers: &HeaderMap) -> Vec<MediaRange<'_>> {
    let mut ranges: Vec<MediaRange> = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_range)
        .filter(|r| r.quality > 0.0)
        .collect();
    if ranges.is_empty() {
        ranges.push(MediaRange {
            essence: "*/*".into(),
            params: vec![],
            quality: 1.0,
        });
    }
    // A stable sort keeps the client's order among equal qualities.
    ranges.sort_by(|a, b| b.quality.total_cmp(&a.quality));
    ranges
}

fn parse_range(entry: &str) -> Option<MediaRange<'_>> {
    let mut parts = entry.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    if essence.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut quality = 1.0;
    for part in parts {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"'));
        if k == "q" {
            quality = v.parse().unwrap_or(0.0);
        } else {
            params.push((k, v));
        }
    }
    Some(MediaRange {
        essence,
        params,
        quality,
    })
}

/// The representation for a response about objects. `list` tells whether the answer is a
/// list, which decides between `PartialObjectMetadata` and `PartialObjectMetadataList`.
pub fn output(headers: &HeaderMap, list: bool) -> Result<Output, ApiError> {
    for range in accept_ranges(headers) {
        if let Some(output) = output_for(&range, list) {
            return Ok(output);
        }
    }
    Err(ApiError::not_acceptable(ACCEPTED))
}

fn output_for(range: &MediaRange, list: bool) -> Option<Output> {
    let version = || match (range.param("g"), range.param("v")) {
        (Some("meta.k8s.io"), Some("v1")) => Some(MetaVersion::V1),
        (Some("meta.k8s.io"), Some("v1beta1")) => Some(MetaVersion::V1beta1),
        _ => None,
    };
    match range.param("as") {
        None if range.matches(JSON) => Some(Output::Json),
        None if range.matches(YAML) => Some(Output::Yaml),
        None => None,
        // Transformed forms are only offered as JSON (and YAML, which kubectl never asks).
        Some(_) if !range.matches(JSON) => None,
        Some("Table") => version().map(Output::Table),
        Some("PartialObjectMetadata") if !list => version().map(Output::Metadata),
        Some("PartialObjectMetadataList") if list => version().map(Output::Metadata),
        Some(_) => None,
    }
}

/// The format of a request body, from `Content-Type` (JSON when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/yaml`.
    Yaml,
}

/// The format of the request body; 415 Unsupported Media Type for anything but JSON or YAML,
/// whose list of accepted types names protobuf too for a typed kind (Go's serializers offer
/// it for every typed kind, as CRDs' do not).
pub fn body_format(headers: &HeaderMap, style: Style) -> Result<BodyFormat, ApiError> {
    // An absent or empty Content-Type is JSON, as kube-apiserver takes it; one that does not
    // parse as a media type (`;;;`) is refused.
    let value = headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").trim())
        .unwrap_or_default();
    if value.is_empty() {
        return Ok(BodyFormat::Json);
    }
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        JSON => Ok(BodyFormat::Json),
        YAML => Ok(BodyFormat::Yaml),
        _ => Err(ApiError::unsupported_media_type(match style {
            Style::CustomResource => ACCEPTED,
            Style::Typed => &[JSON, YAML, PROTOBUF],
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::ACCEPT, value.parse().unwrap());
        h
    }

    #[test]
    fn kubectl_get_gets_a_v1_table() {
        let h = accept(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        );
        assert_eq!(output(&h, true), Ok(Output::Table(MetaVersion::V1)));
    }

    #[test]
    fn unknown_table_version_alone_is_not_acceptable() {
        let h = accept("application/json;as=Table;v=v2;g=meta.k8s.io");
        assert_eq!(output(&h, true).unwrap_err().code, 406);
        let h = accept("application/vnd.kubernetes.protobuf");
        assert_eq!(output(&h, false).unwrap_err().code, 406);
    }

    #[test]
    fn partial_metadata_depends_on_list() {
        let h = accept("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
        assert_eq!(output(&h, true), Ok(Output::Metadata(MetaVersion::V1)));
        assert!(output(&h, false).is_err());
    }

    #[test]
    fn quality_and_wildcards() {
        let h = accept("application/json;q=0.5, application/yaml");
        assert_eq!(output(&h, false), Ok(Output::Yaml));
        assert_eq!(output(&accept("*/*"), false), Ok(Output::Json));
        assert_eq!(output(&HeaderMap::new(), false), Ok(Output::Json));
    }
}
