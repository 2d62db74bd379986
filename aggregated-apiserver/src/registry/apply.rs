//! Server-side apply (`PATCH` with `application/apply-patch+yaml`): the applied configuration
//! is checked, merged by the field manager, and written like any update, or created.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fieldmanager::{self, Writer};
use super::object::ObjectId;
use super::outcome::Outcome;
use super::store::{Caller, Manage, Part, Store, checked_manager};
use super::{ResourceRequest, Strategy, decode};
use crate::request::options_invalid;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

impl<S: Strategy> Store<S> {
    pub(super) async fn apply(
        &self,
        id: ObjectId<'_>,
        part: Part,
        request: ResourceRequest,
    ) -> Result<Outcome<S::Object>, ApiError> {
        let caller = Caller {
            user: &request.user,
            dry_run: request.query.dry_run("PatchOptions")?,
        };
        let manager = match request.query.get("fieldManager").filter(|m| !m.is_empty()) {
            Some(manager) => checked_manager(manager, "PatchOptions")?,
            None => {
                return Err(options_invalid(
                    "PatchOptions",
                    &[FieldError::required(
                        "fieldManager",
                        "is required for apply patch",
                    )],
                ));
            }
        };
        let force = request.query.flag("force")?;
        let config =
            applied_configuration::<S::Object>(self.strategy.info(), id.name, &request.body)?;
        // A configuration naming a resourceVersion is a precondition: no retry on conflict.
        let retry = config.pointer("/metadata/resourceVersion").is_none();
        let time = super::now().0.to_string();
        let api_version = self.strategy.info().group_version();
        let writer = Writer {
            manager,
            subresource: (part == Part::Status).then_some("status"),
            api_version: &api_version,
            time: &time,
        };
        let mut attempts = 0;
        loop {
            let current = match self.load(id).await {
                Ok(current) => Some(current),
                Err(e) if e.code == 404 && part == Part::Main => None,
                Err(e) => return Err(e),
            };
            let live = current
                .as_ref()
                .map(|c| serde_json::to_value(&c.object).map_err(ApiError::internal))
                .transpose()?;
            let merged = tokio::task::block_in_place(|| {
                fieldmanager::apply(&self.lists, live.as_ref(), &config, &writer, force)
            })?;
            let decoded = decode::decode_value::<S::Object>(
                self.strategy.info(),
                merged,
                decode::FieldValidation::Ignore,
            )?;
            let result = match &current {
                None => match (self.insert(id.namespace, decoded.object, caller, Manage::Applied))
                    .await
                {
                    Ok(created) => return Ok(Outcome::created(created)),
                    Err(e) => Err(e),
                },
                Some(current) => {
                    self.replace(id, part, decoded.object, current, caller, &Manage::Applied)
                        .await
                }
            };
            match result {
                // Lost a race with another writer or creator: apply again on what it wrote.
                Err(e)
                    if e.code == 409 && (retry || e.reason == "AlreadyExists") && attempts < 5 =>
                {
                    attempts += 1;
                }
                result => return Ok(Outcome::existing(result?)),
            }
        }
    }
}

/// The applied configuration: YAML or JSON, of `info`'s kind, named as the URL, without
/// managedFields and without fields the kind (`T`) does not have.
pub fn applied_configuration<T: DeserializeOwned>(
    info: &ResourceInfo,
    name: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let config = decode::parse_body(body, decode_format(body))
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    let text = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (api_version, kind) = (text("/apiVersion"), text("/kind"));
    if api_version != info.group_version() || kind != info.kind {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        return Err(ApiError::bad_request(format!(
            "invalid object type: {group}/{version}, Kind={kind}"
        )));
    }
    if config
        .pointer("/metadata/managedFields")
        .is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let body_name = text("/metadata/name");
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let (_, unknown) = decode::with_unknown_fields::<T>(config.clone())
        .map_err(|e| ApiError::bad_request(typed_patch_error(&config, &e)))?;
    if let Some(field) = unknown.first() {
        let why = format!(".{field}: field not declared in schema");
        return Err(ApiError::bad_request(typed_patch_error(&config, &why)));
    }
    Ok(config)
}

/// kubectl sends JSON with the apply media type; anything else is YAML.
fn decode_format(body: &[u8]) -> crate::negotiate::BodyFormat {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => crate::negotiate::BodyFormat::Json,
        _ => crate::negotiate::BodyFormat::Yaml,
    }
}

/// The field manager's wording for a configuration it cannot type.
fn typed_patch_error(config: &Value, why: &str) -> String {
    let text = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!(
        "failed to create typed patch object (/{}; {}, Kind={}): {why}",
        text("/metadata/name"),
        text("/apiVersion"),
        text("/kind")
    )
}
