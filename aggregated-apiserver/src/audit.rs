//! Audit logging as kube-apiserver does it: an `audit.k8s.io/v1` Policy decides each
//! request's level (None, Metadata, Request, RequestResponse) by its first matching rule, and
//! each stage of the request (RequestReceived, ResponseStarted for watches, ResponseComplete)
//! is one `Event` JSON line in `--audit-log-path` (`-` for standard output).

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::authn::UserInfo;
use crate::authz::RequestInfo;

/// How much of a request is recorded.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Record nothing (also the level when no rule matches).
    #[default]
    None,
    /// Record the request's metadata (user, verb, resource, response status) but no bodies.
    Metadata,
    /// Metadata and the request body (`requestObject`).
    Request,
    /// Metadata, the request body and the response body (`responseObject`).
    RequestResponse,
}

/// The stages of a request that get an event.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Stage {
    /// As soon as the request arrives, before it is handled.
    RequestReceived,
    /// Once the response headers are sent, before the body: only for long-running requests
    /// (watches).
    ResponseStarted,
    /// Once the response has been sent in full.
    ResponseComplete,
    /// When the handler panicked.
    Panic,
}

/// `audit.k8s.io/v1` Policy.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    omit_stages: Vec<Stage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    level: Level,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    user_groups: Vec<String>,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    resources: Vec<GroupResources>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Vec<String>,
    #[serde(default)]
    omit_stages: Vec<Stage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupResources {
    #[serde(default)]
    group: String,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    resource_names: Vec<String>,
}

impl Policy {
    /// Reads a Policy in YAML or JSON.
    pub fn read(path: &Path) -> anyhow::Result<Policy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the audit policy {}", path.display()))?;
        let policy: Value = serde_saphyr::from_str(&text)
            .with_context(|| format!("parsing the audit policy {}", path.display()))?;
        if policy["kind"] != "Policy" || policy["apiVersion"] != "audit.k8s.io/v1" {
            anyhow::bail!(
                "{}: not an audit.k8s.io/v1 Policy (kind {}, apiVersion {})",
                path.display(),
                policy["kind"],
                policy["apiVersion"]
            );
        }
        serde_json::from_value(policy)
            .with_context(|| format!("parsing the audit policy {}", path.display()))
    }

    /// The level of the first rule that matches, and the stages to leave out.
    pub fn decide(&self, user: &UserInfo, request: &RequestInfo) -> (Level, Vec<Stage>) {
        match self.rules.iter().find(|rule| rule.matches(user, request)) {
            Some(rule) => {
                let mut omit = self.omit_stages.clone();
                omit.extend(&rule.omit_stages);
                (rule.level, omit)
            }
            None => (Level::None, Vec::new()),
        }
    }
}

impl Rule {
    fn matches(&self, user: &UserInfo, request: &RequestInfo) -> bool {
        let listed =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        if !listed(&self.users, &user.name)
            || !(self.user_groups.is_empty()
                || user.groups.iter().any(|g| self.user_groups.contains(g)))
            || !listed(&self.verbs, &request.verb)
        {
            return false;
        }
        match &request.resource {
            Some(resource) => {
                if !self.non_resource_urls.is_empty()
                    || !listed(&self.namespaces, &resource.namespace)
                {
                    return false;
                }
                self.resources.is_empty()
                    || self.resources.iter().any(|r| {
                        let names = r.resource_names.is_empty()
                            || r.resource_names.contains(&resource.name);
                        let whole = match resource.subresource.as_str() {
                            "" => resource.resource.clone(),
                            sub => format!("{}/{sub}", resource.resource),
                        };
                        let any_sub = format!("*/{}", resource.subresource);
                        let kinds = r.resources.is_empty()
                            || r.resources.iter().any(|k| {
                                k == "*"
                                    || *k == whole
                                    || (!resource.subresource.is_empty() && *k == any_sub)
                            });
                        r.group == resource.group && kinds && names
                    })
            }
            None => {
                if !self.resources.is_empty() || !self.namespaces.is_empty() {
                    return false;
                }
                self.non_resource_urls.is_empty()
                    || self
                        .non_resource_urls
                        .iter()
                        .any(|url| match url.strip_suffix('*') {
                            Some(prefix) => request.path.starts_with(prefix),
                            None => request.path == *url,
                        })
            }
        }
    }
}

/// Where events go: one JSON line each.
pub struct Log {
    out: Mutex<Box<dyn Write + Send>>,
    /// The Policy that decides each request's level and the stages left out.
    pub policy: Policy,
}

impl Log {
    /// `--audit-log-path` (`-` for standard output), appended to.
    pub fn open(path: &Path, policy: Policy) -> anyhow::Result<Log> {
        let out: Box<dyn Write + Send> = if path == Path::new("-") {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening the audit log {}", path.display()))?,
            )
        };
        Ok(Log {
            out: Mutex::new(out),
            policy,
        })
    }

    /// Writes `event` as one JSON line; a failure is only logged as a warning, not returned.
    pub fn write(&self, event: &Value) {
        let mut line = event.to_string();
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            tracing::warn!("writing the audit log failed: {error}");
        }
    }
}

/// The parts of an event known when the request arrives.
pub struct Event {
    /// The level the policy decided for the request.
    pub level: Level,
    /// A unique ID of the request, shared by all its events (`auditID`).
    pub audit_id: String,
    /// The request's URI as received (`requestURI`).
    pub request_uri: String,
    /// The request's verb as the authorizer sees it (`verb`).
    pub verb: String,
    /// The authenticated user (`user`).
    pub user: UserInfo,
    /// The user impersonated with `Impersonate-*` headers, once known (`impersonatedUser`).
    pub impersonated: Option<UserInfo>,
    /// The client's IP address, if known (`sourceIPs`).
    pub source_ip: Option<String>,
    /// The `User-Agent` header, if any (`userAgent`).
    pub user_agent: Option<String>,
    /// What the request is about; its resource, if any, becomes `objectRef`.
    pub request: RequestInfo,
    /// When the request arrived, RFC 3339 with microseconds (`requestReceivedTimestamp`).
    pub received: String,
}

fn user_json(user: &UserInfo) -> Value {
    let mut value = json!({"username": user.name, "groups": user.groups});
    if !user.uid.is_empty() {
        value["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        value["extra"] = json!(user.extra);
    }
    value
}

impl Event {
    /// The event of `stage`: with the response's code (and a failure's Status fields) once
    /// there is one, and the bodies the level asks for.
    pub fn at(
        &self,
        stage: Stage,
        response: Option<(u16, Option<&Value>)>,
        request_object: Option<&Value>,
        now: String,
    ) -> Value {
        let mut event = json!({
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": format!("{:?}", self.level),
            "auditID": self.audit_id,
            "stage": stage,
            "requestURI": self.request_uri,
            "verb": self.verb,
            "user": user_json(&self.user),
            "sourceIPs": self.source_ip.iter().collect::<Vec<_>>(),
            "requestReceivedTimestamp": self.received,
            "stageTimestamp": now,
        });
        if let Some(user) = &self.impersonated {
            event["impersonatedUser"] = user_json(user);
        }
        if let Some(agent) = &self.user_agent {
            event["userAgent"] = json!(agent);
        }
        if let Some(r) = &self.request.resource {
            let mut object =
                json!({"resource": r.resource, "apiGroup": r.group, "apiVersion": r.version});
            for (key, value) in [
                ("namespace", &r.namespace),
                ("name", &r.name),
                ("subresource", &r.subresource),
            ] {
                if !value.is_empty() {
                    object[key] = json!(value);
                }
            }
            event["objectRef"] = object;
        }
        if let Some((code, body)) = response {
            let mut status = json!({"metadata": {}, "code": code});
            if let Some(body) = body.filter(|b| b["kind"] == "Status") {
                for key in ["status", "message", "reason"] {
                    if !body[key].is_null() {
                        status[key] = body[key].clone();
                    }
                }
            }
            event["responseStatus"] = status;
            // A panic's Status is not a response the client saw.
            if self.level >= Level::RequestResponse
                && stage != Stage::Panic
                && let Some(body) = body
            {
                event["responseObject"] = body.clone();
            }
        }
        if self.level >= Level::Request
            && let Some(object) = request_object
        {
            event["requestObject"] = object.clone();
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Query;
    use http::Method;

    fn policy(yaml: &str) -> Policy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, yaml).unwrap();
        Policy::read(&path).unwrap()
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let policy = policy(
            "apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: [/healthz*, /livez, /readyz]
- level: RequestResponse
  users: [alice]
  resources: [{group: demo.jeremyxu2010.me, resources: [foos/bar]}]
- level: Metadata
  verbs: [get, list, watch]
- level: Request
  resources: [{group: demo.jeremyxu2010.me}]
",
        );
        let user = |name: &str| UserInfo {
            name: name.into(),
            ..UserInfo::default()
        };
        let request =
            |method: Method, path: &str| RequestInfo::parse(&method, path, &Query::parse(None));
        let foos = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
        let level =
            |who: &str, method, path: &str| policy.decide(&user(who), &request(method, path)).0;
        assert_eq!(level("alice", Method::GET, "/healthz/ping"), Level::None);
        assert_eq!(
            level("alice", Method::POST, &format!("{foos}/x/bar")),
            Level::RequestResponse
        );
        assert_eq!(
            level("bob", Method::POST, &format!("{foos}/x/bar")),
            Level::Request
        );
        assert_eq!(level("bob", Method::GET, foos), Level::Metadata);
        assert_eq!(level("bob", Method::POST, "/openapi/v2"), Level::None);
        let (_, omitted) = policy.decide(&user("bob"), &request(Method::GET, foos));
        assert_eq!(omitted, [Stage::RequestReceived]);
    }
}
