//! The generic store: kube-apiserver's REST semantics for one kind over [`Storage`].

use std::sync::Arc;

use kube::Resource;
use serde_json::{Value, json};

use super::cache::{Cache, Cached, HistoryLimit};
use super::decode::{self, FieldValidation, MAX_BODY_BYTES};
use super::object::{Decode, ObjectId, object_at};
use super::outcome::Outcome;
use super::{ResourceRequest, Strategy, Style};
use super::{fieldmanager, meta, patch};
use crate::admission::{self, Attributes, Operation};
use crate::authn::UserInfo;
use crate::negotiate;
use crate::openapi::derive::list_types;
use crate::request::{Continue, parse_revision};
use crate::resource::{ListTypes, ResourceInfo};
use crate::status::{ApiError, FieldError};
use crate::storage::{KeyValue, Revision, Storage, StorageError};
use crate::validation;

/// Objects larger than this as stored are refused: etcd's default request limit, which
/// the embedded store keeps too so that data can move between the two.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// Lists longer than this are rendered off the async workers (big ones take seconds).
pub(crate) const LONG_LIST: usize = 500;

/// An object as stored, with its resourceVersion set from the storage revision.
pub(super) struct Stored<T> {
    pub object: T,
    pub revision: Revision,
}

/// The generic registry store of one kind: kube-apiserver's REST semantics over a
/// [`Storage`], with a watch cache, and the kind's particulars from its [`Strategy`].
pub struct Store<S: Strategy> {
    pub(crate) strategy: Arc<S>,
    pub(super) storage: Arc<dyn Storage>,
    pub(crate) cache: Arc<Cache<S::Object>>,
    /// Where the kind's objects are kept: `<key root>/<group>/<plural>/`.
    pub(super) prefix: String,
    /// The shortest a watch without timeoutSeconds lasts (`--min-request-timeout`).
    pub(super) min_watch_seconds: u64,
    /// The server's admission plugins.
    pub(super) admission: Arc<admission::Chain>,
    /// How the kind's lists merge, read from its schemas.
    pub(super) lists: Arc<ListTypes>,
    /// What a create is compared from by the field manager (see [`zero_value`]).
    zero: Value,
}

/// Who writes, and whether for real: what admission plugins are told besides the object.
#[derive(Clone, Copy)]
pub(crate) struct Caller<'a> {
    pub user: &'a UserInfo,
    pub dry_run: bool,
}

/// A write that admission plugins are asked about: all but the new object.
pub(super) struct Admitting<'a> {
    pub operation: Operation,
    pub subresource: Option<&'a str>,
    pub id: ObjectId<'a>,
    pub old: Option<Value>,
    pub caller: Caller<'a>,
}

/// Which part of an object a write may change.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Part {
    /// The main resource: everything but status.
    Main,
    /// `/status`: status alone.
    Status,
}

impl<S: Strategy> Store<S> {
    /// A store for the kind, keeping objects under `<key_root>/<group>/<plural>/`, whose
    /// watch cache keeps `history`, and whose watches without timeoutSeconds last
    /// between `min_watch_seconds` and twice that.
    pub fn new(
        strategy: S,
        storage: Arc<dyn Storage>,
        key_root: &str,
        history: HistoryLimit,
        min_watch_seconds: u64,
    ) -> Self {
        let info = strategy.info();
        let prefix = format!("{key_root}/{}/{}/", info.group, info.plural);
        let strategy = Arc::new(strategy);
        let decoding = strategy.clone();
        let decode: Decode<S::Object> = Arc::new(move |bytes| decoding.deserialize_stored(bytes));
        let lists = Arc::new(list_types((info, &strategy.openapi_schemas())));
        Store {
            lists,
            zero: zero_value::<S::Object>(strategy.style()),
            min_watch_seconds,
            cache: Cache::start(storage.clone(), prefix.clone(), history, decode),
            strategy,
            storage,
            prefix,
            admission: Arc::default(),
        }
    }

    /// The store, with writes passed through `admission`'s plugins.
    pub(crate) fn admitted_by(mut self, admission: Arc<admission::Chain>) -> Self {
        self.admission = admission;
        self
    }

    /// The 422 of an update without a resourceVersion. Go's generic registry names the
    /// resource in it (`flunders.wardle.example.com`), as the one for a custom resource names
    /// its kind, where it also prints the missing version as Go's `%#v` of 0.
    fn unconditional_update(&self, name: &str) -> ApiError {
        let info = self.info();
        let (kind, value) = match self.strategy.style() {
            Style::CustomResource => (info.kind, "0x0"),
            Style::Typed => (info.plural, "0"),
        };
        let error = FieldError::invalid_raw(
            "metadata.resourceVersion",
            value,
            "must be specified for an update",
        );
        let qualified_kind = format!("{kind}.{}", info.group);
        ApiError::invalid_named(&qualified_kind, info.group, kind, name, &[error])
    }

    /// A write about to be made to `id` (whose current object is `old`), for admission.
    pub(super) fn admitting<'a>(
        &self,
        operation: Operation,
        subresource: Option<&'a str>,
        id: ObjectId<'a>,
        old: Option<&S::Object>,
        caller: Caller<'a>,
    ) -> Result<Admitting<'a>, ApiError> {
        let old = match self.admission.is_empty() {
            true => None,
            false => old.map(to_json).transpose()?,
        };
        Ok(Admitting {
            operation,
            subresource,
            id,
            old,
            caller,
        })
    }

    fn attributes<'a>(&'a self, write: &'a Admitting<'a>) -> Attributes<'a> {
        Attributes {
            operation: write.operation,
            resource: self.info(),
            subresource: write.subresource,
            namespace: write.id.namespace,
            name: write.id.name,
            old_object: write.old.as_ref(),
            user: write.caller.user,
            dry_run: write.caller.dry_run,
            objects: self.admission.objects(),
        }
    }

    /// `object` as the admission plugins' mutating steps leave it.
    pub(super) async fn mutated(
        &self,
        write: &Admitting<'_>,
        object: S::Object,
    ) -> Result<S::Object, ApiError> {
        if self.admission.is_empty() {
            return Ok(object);
        }
        let mut json = to_json(&object)?;
        self.admission
            .admit(&self.attributes(write), &mut json)
            .await?;
        serde_json::from_value(json).map_err(|e| ApiError::internal(format!("admission: {e}")))
    }

    /// Whether the admission plugins' validating steps let the write (of `object`) be made.
    pub(super) async fn admitted(
        &self,
        write: &Admitting<'_>,
        object: Option<&S::Object>,
    ) -> Result<(), ApiError> {
        if self.admission.is_empty() {
            return Ok(());
        }
        let json = object.map(to_json).transpose()?;
        self.admission
            .validate(&self.attributes(write), json.as_ref())
            .await
    }

    pub(crate) fn info(&self) -> &'static ResourceInfo {
        self.strategy.info()
    }

    pub(super) fn key(&self, id: ObjectId) -> String {
        format!("{}{}", self.prefix, id.path())
    }

    /// The prefix of the keys of a list's objects: the kind's, or one namespace's.
    pub(super) fn list_prefix(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(namespace) => format!("{}{namespace}/", self.prefix),
            None => self.prefix.clone(),
        }
    }

    pub(super) fn decode_stored(&self, kv: &KeyValue) -> Result<Stored<S::Object>, ApiError> {
        Ok(Stored {
            object: object_at(kv, |stored| self.strategy.deserialize_stored(stored))?,
            revision: kv.mod_revision,
        })
    }

    fn encode(&self, object: &S::Object) -> Result<Vec<u8>, ApiError> {
        let mut object = object.clone();
        object.meta_mut().resource_version = None;
        let bytes = self.strategy.serialize_stored(&object)?;
        if bytes.len() > MAX_OBJECT_BYTES {
            return Err(ApiError::too_large(MAX_OBJECT_BYTES));
        }
        Ok(bytes)
    }

    pub(super) fn storage_error(&self, name: &str, error: StorageError) -> ApiError {
        match error {
            StorageError::NotFound(_) => ApiError::not_found(self.info(), name),
            StorageError::AlreadyExists(_) => ApiError::already_exists(self.info(), name),
            StorageError::Conflict { .. } => ApiError::modified(self.info(), name),
            StorageError::Compacted { .. } => {
                ApiError::expired("The resourceVersion for the provided list is too old.")
            }
            StorageError::FutureRevision { requested, current } => {
                ApiError::too_large_resource_version(requested, current)
            }
            StorageError::Internal(e) => ApiError::internal(e),
        }
    }

    pub(super) async fn load(&self, id: ObjectId<'_>) -> Result<Stored<S::Object>, ApiError> {
        match self.storage.get(&self.key(id)).await {
            Ok(Some(kv)) => self.decode_stored(&kv),
            Ok(None) => Err(ApiError::not_found(self.info(), id.name)),
            Err(e) => Err(self.storage_error(id.name, e)),
        }
    }

    fn decode_body(
        &self,
        request: &ResourceRequest,
    ) -> Result<decode::Decoded<S::Object>, ApiError> {
        if request.body.len() > MAX_BODY_BYTES {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        let format = negotiate::body_format(&request.headers, self.strategy.style())?;
        let validation = FieldValidation::from_query(&request.query)?;
        decode::decode(self.info(), &request.body, format, validation)
    }

    pub(crate) async fn create(
        &self,
        request: ResourceRequest,
    ) -> Result<Outcome<S::Object>, ApiError> {
        let dry_run = request.query.dry_run("CreateOptions")?;
        let manager = update_manager(&request)?;
        let decoded = self.decode_body(&request)?;
        let namespace = request.namespace.as_deref();
        let caller = Caller {
            user: &request.user,
            dry_run,
        };
        let object = self
            .insert(namespace, decoded.object, caller, Manage::Update(manager))
            .await?;
        Ok(Outcome::created(object).with_warnings(decoded.warnings))
    }

    /// Creates `object` as a new object in `namespace` (a namespaced kind's): system fields,
    /// defaults, admission, the kind's preparation and validation, managedFields.
    pub(super) async fn insert(
        &self,
        namespace: Option<&str>,
        mut object: S::Object,
        caller: Caller<'_>,
        manage: Manage,
    ) -> Result<S::Object, ApiError> {
        if object
            .meta()
            .resource_version
            .as_deref()
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        meta::fill_for_create(object.meta_mut(), namespace)?;
        if self.info().has_status() {
            set_status(&mut object, Value::Null)?;
        }
        self.strategy.default(&mut object);
        let name = object.meta().name.clone().unwrap_or_default();
        let id = ObjectId {
            namespace,
            name: &name,
        };
        let write = self.admitting(Operation::Create, None, id, None, caller)?;
        let mut object = self.mutated(&write, object).await?;
        meta::check_namespace(object.meta_mut(), namespace)?;
        self.strategy.prepare_for_create(&mut object);
        let names = match self.strategy.style() {
            Style::CustomResource => validation::dns1123_subdomain_errors,
            Style::Typed => validation::path_segment_name_errors,
        };
        let mut errors = meta::validate_create(object.meta(), names);
        errors.extend(self.strategy.validate(&object));
        invalid(self.info(), &object, errors)?;
        self.strategy.canonicalize(&mut object);
        self.admitted(&write, Some(&object)).await?;
        let object = record(
            self.info(),
            &self.lists,
            None,
            &self.zero,
            object,
            &manage,
            Part::Main,
        )?;

        let key = self.key(id);
        if caller.dry_run {
            if self
                .storage
                .get(&key)
                .await
                .map_err(|e| self.storage_error(&name, e))?
                .is_some()
            {
                return Err(ApiError::already_exists(self.info(), &name));
            }
            return Ok(object);
        }
        let kv = self
            .storage
            .create(&key, self.encode(&object)?)
            .await
            .map_err(|e| self.storage_error(&name, e))?;
        Ok(self.decode_stored(&kv)?.object)
    }

    /// PUT on the main resource or on `/status`.
    pub(crate) async fn update(
        &self,
        id: ObjectId<'_>,
        part: Part,
        request: ResourceRequest,
    ) -> Result<Outcome<S::Object>, ApiError> {
        let dry_run = request.query.dry_run("UpdateOptions")?;
        let manager = update_manager(&request)?;
        let decoded = self.decode_body(&request)?;
        let current = self.load(id).await?;
        let unconditional = decoded.object.meta().resource_version.as_deref();
        if unconditional.is_none_or(str::is_empty) {
            return Err(self.unconditional_update(id.name));
        }
        let manage = Manage::Update(manager);
        let caller = Caller {
            user: &request.user,
            dry_run,
        };
        let written = self
            .replace(id, part, decoded.object, &current, caller, &manage)
            .await?;
        Ok(Outcome::existing(written).with_warnings(decoded.warnings))
    }

    /// PATCH on the main resource or on `/status`: the patch is applied to the current
    /// object and the result written like an update; when the patch names no
    /// resourceVersion a lost race is retried on the newer object, as kube-apiserver does.
    pub(crate) async fn patch(
        &self,
        id: ObjectId<'_>,
        part: Part,
        request: ResourceRequest,
    ) -> Result<Outcome<S::Object>, ApiError> {
        if patch::is_apply(&request.headers) {
            return self.apply(id, part, request).await;
        }
        let dry_run = request.query.dry_run("PatchOptions")?;
        let caller = Caller {
            user: &request.user,
            dry_run,
        };
        let manage = Manage::Update(update_manager(&request)?);
        let validation = FieldValidation::from_query(&request.query)?;
        let patch = Arc::new(patch::Patch::parse(
            &request.headers,
            &request.query,
            &request.body,
        )?);
        loop {
            let current = self.load(id).await?;
            let document = serde_json::to_value(&current.object).map_err(ApiError::internal)?;
            // Merging a list of 100,000 items takes a second: off the async workers, so that
            // the server keeps answering.
            let (patch, lists) = (patch.clone(), self.lists.clone());
            let patched = tokio::task::spawn_blocking(move || patch.apply(&lists, document))
                .await
                .map_err(ApiError::internal)??;
            let decoded = decode::decode_value::<S::Object>(self.info(), patched, validation)?;
            // A patch that changed the resourceVersion made it a precondition, which a retry
            // would fail again.
            let precondition = decoded
                .object
                .meta()
                .resource_version
                .as_ref()
                .is_some_and(|rv| {
                    !rv.is_empty() && Some(rv) != current.object.meta().resource_version.as_ref()
                });
            match self
                .replace(id, part, decoded.object, &current, caller, &manage)
                .await
            {
                // As kube-apiserver's GuaranteedUpdate: try again on the newer object for as
                // long as writers race.
                Err(e) if e.code == 409 && !precondition => {}
                result => return Ok(Outcome::existing(result?).with_warnings(decoded.warnings)),
            }
        }
    }

    /// Writes `object` (a full replacement from PUT, a patch or an apply) over `current`.
    pub(super) async fn replace(
        &self,
        id: ObjectId<'_>,
        part: Part,
        mut object: S::Object,
        current: &Stored<S::Object>,
        caller: Caller<'_>,
        manage: &Manage,
    ) -> Result<S::Object, ApiError> {
        let name = id.name;
        let body_name = object.meta().name.clone().unwrap_or_default();
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(rv) = object
            .meta()
            .resource_version
            .as_deref()
            .filter(|rv| !rv.is_empty())
            && parse_revision(rv)? != current.revision
        {
            return Err(ApiError::modified(self.info(), name));
        }
        if part == Part::Status {
            object = with_status_of(&current.object, &object)?;
        } else if self.info().has_status() {
            let status = field_of(&current.object, "status")?;
            set_status(&mut object, status)?;
        }
        meta::check_namespace(object.meta_mut(), id.namespace)?;
        let subresource = (part == Part::Status).then_some("status");
        let write = self.admitting(
            Operation::Update,
            subresource,
            id,
            Some(&current.object),
            caller,
        )?;
        let mut object = self.mutated(&write, object).await?;
        meta::check_namespace(object.meta_mut(), id.namespace)?;
        let object = prepare_update(self.strategy.as_ref(), object, &current.object)?;
        self.admitted(&write, Some(&object)).await?;
        let live = Some(&current.object);
        let object = record(
            self.info(),
            &self.lists,
            live,
            &self.zero,
            object,
            manage,
            part,
        )?;
        self.write(id, object, current, caller.dry_run).await
    }

    /// Writes `object` over `current` (compare-and-swap), or removes it when it is being
    /// deleted and its last finalizer is gone. Unchanged objects are not written.
    pub(super) async fn write(
        &self,
        id: ObjectId<'_>,
        mut object: S::Object,
        current: &Stored<S::Object>,
        dry_run: bool,
    ) -> Result<S::Object, ApiError> {
        object.meta_mut().resource_version = current.object.meta().resource_version.clone();
        let finalized = object.meta().deletion_timestamp.is_some()
            && object
                .meta()
                .finalizers
                .as_deref()
                .unwrap_or_default()
                .is_empty();
        if object == current.object && !finalized {
            return Ok(object);
        }
        if dry_run {
            return Ok(object);
        }
        let key = self.key(id);
        let result = if finalized {
            self.storage.delete(&key, Some(current.revision)).await
        } else {
            self.storage
                .update(&key, self.encode(&object)?, current.revision)
                .await
        };
        let kv = result.map_err(|e| self.storage_error(id.name, e))?;
        let written = self.decode_stored(&kv)?.object;
        if finalized {
            // What was deleted is what the client sent, at the deleting revision.
            object.meta_mut().resource_version = written.meta().resource_version.clone();
            return Ok(object);
        }
        Ok(written)
    }
}

pub(super) const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// A page of a list, ready to be rendered.
pub struct ListResult<T> {
    /// The objects, shared with the watch cache when read from it.
    pub items: Vec<Arc<Cached<T>>>,
    pub revision: Revision,
    pub continue_from: Option<Continue>,
    /// How many items follow, when known (not with selectors, as kube-apiserver).
    pub remaining: Option<u64>,
}

impl<T> ListResult<T> {
    /// A page cut at its limit after the object named `last`, with `remaining` objects after
    /// it; `filtered` lists (by selectors) do not count what remains, as kube-apiserver.
    pub(super) fn limited(
        items: Vec<Arc<Cached<T>>>,
        revision: Revision,
        last: String,
        remaining: u64,
        filtered: bool,
    ) -> Self {
        let more = remaining > 0;
        ListResult {
            items,
            revision,
            continue_from: more.then_some(Continue {
                revision,
                after: last,
            }),
            remaining: (more && !filtered).then_some(remaining),
        }
    }
}

/// 422 Invalid when validation found `errors`.
fn invalid<T: Resource>(
    info: &ResourceInfo,
    object: &T,
    errors: Vec<FieldError>,
) -> Result<(), ApiError> {
    if errors.is_empty() {
        return Ok(());
    }
    let name = object.meta().name.as_deref().unwrap_or_default();
    Err(ApiError::invalid(info, name, &errors))
}

/// Applies the update rules to a changed object: system fields, defaults, validation,
/// and the generation bump on a spec change.
pub(crate) fn prepare_update<S: Strategy>(
    strategy: &S,
    mut object: S::Object,
    old: &S::Object,
) -> Result<S::Object, ApiError> {
    meta::keep_for_update(object.meta_mut(), old.meta());
    strategy.prepare_for_update(&mut object, old);
    strategy.default(&mut object);
    let mut errors = meta::validate_update(object.meta(), old.meta());
    errors.extend(strategy.validate_update(&object, old));
    invalid(strategy.info(), &object, errors)?;
    strategy.canonicalize(&mut object);
    if spec_of(&object)? != spec_of(old)? {
        object.meta_mut().generation = Some(old.meta().generation.unwrap_or(0).saturating_add(1));
    }
    Ok(object)
}

/// Sets managedFields for an Update operation (creates included) of `manage`'s manager
/// (an apply has computed them already), and drops empty metadata lists as Go omits them.
/// A create (no `live`) is compared from `zero` (see [`zero_value`]).
pub(crate) fn record<T: Resource + serde::Serialize + serde::de::DeserializeOwned>(
    info: &ResourceInfo,
    lists: &ListTypes,
    live: Option<&T>,
    zero: &Value,
    mut object: T,
    manage: &Manage,
    part: Part,
) -> Result<T, ApiError> {
    let Manage::Update(manager) = manage else {
        meta::drop_empty(object.meta_mut());
        return Ok(object);
    };
    let time = meta::now().0.to_string();
    let writer = fieldmanager::Writer {
        manager,
        subresource: (part == Part::Status).then_some("status"),
        api_version: &info.group_version(),
        time: &time,
    };
    let live = live.map(to_json).transpose()?;
    let mut new = to_json(&object)?;
    // Field sets of long lists take a while: off the async workers. A small object's take
    // less than the hand-off would.
    let large = [Some(&new), live.as_ref()]
        .into_iter()
        .flatten()
        .any(|object| larger_than(object, OFFLOADED_NODES));
    let mut record = || fieldmanager::record_update(lists, live.as_ref(), zero, &mut new, &writer);
    if large {
        crate::offload::cpu_bound(record)?;
    } else {
        record()?;
    }
    let mut object: T = serde_json::from_value(new).map_err(ApiError::internal)?;
    meta::drop_empty(object.meta_mut());
    Ok(object)
}

/// What a create is compared from by the field manager: a typed kind's zero value (see
/// [`Style::Typed`]); nothing (`{}`) for a custom resource or a type that needs more than
/// metadata to decode.
fn zero_value<T: serde::Serialize + serde::de::DeserializeOwned>(style: Style) -> Value {
    let zero = match style {
        Style::CustomResource => None,
        Style::Typed => serde_json::from_value::<T>(json!({"metadata": {}})).ok(),
    };
    zero.and_then(|zero| serde_json::to_value(zero).ok())
        .unwrap_or_else(|| json!({}))
}

/// Objects of more JSON values than this have their managed fields worked out off the async
/// workers.
const OFFLOADED_NODES: usize = 2_000;

/// Whether `value` holds more than `limit` JSON values, counted up to the limit.
fn larger_than(value: &Value, limit: usize) -> bool {
    let mut pending = vec![value];
    let mut count = 0;
    while let Some(value) = pending.pop() {
        count += 1;
        if count > limit {
            return true;
        }
        match value {
            Value::Array(items) => pending.extend(items),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    false
}

/// How a write shows in managedFields.
pub(crate) enum Manage {
    /// An Update operation by this field manager.
    Update(String),
    /// Server-side apply, which has set managedFields itself.
    Applied,
}

/// The field manager of a non-apply write: `fieldManager`, or the client's User-Agent.
fn update_manager(request: &ResourceRequest) -> Result<String, ApiError> {
    match request.query.get("fieldManager") {
        Some(manager) => Ok(checked_manager(manager, options_kind(&request.method))?.to_string()),
        None => {
            let user_agent = request.headers.get(http::header::USER_AGENT);
            let user_agent = user_agent.and_then(|v| v.to_str().ok());
            Ok(fieldmanager::manager_from_user_agent(user_agent))
        }
    }
}

/// The options a method's request carries, as kube-apiserver names them in errors.
pub(super) fn options_kind(method: &http::Method) -> &'static str {
    match *method {
        http::Method::POST => "CreateOptions",
        http::Method::PUT => "UpdateOptions",
        _ => "PatchOptions",
    }
}

/// A `fieldManager` as apimachinery's ValidateFieldManager accepts it.
pub(super) fn checked_manager<'a>(
    manager: &'a str,
    options_kind: &str,
) -> Result<&'a str, ApiError> {
    const MAX_LENGTH: usize = 128;
    let error = if manager.len() > MAX_LENGTH {
        FieldError::too_long("fieldManager", MAX_LENGTH)
    } else if manager.chars().any(char::is_control) {
        FieldError::invalid(
            "fieldManager",
            manager,
            "must only contain printable characters",
        )
    } else {
        return Ok(manager);
    };
    Err(crate::request::options_invalid(options_kind, &[error]))
}

fn to_json<T: serde::Serialize>(object: &T) -> Result<Value, ApiError> {
    serde_json::to_value(object).map_err(ApiError::internal)
}

/// A top-level field of an object (`spec`, `status`), `Null` when absent.
pub(crate) fn field_of<T: serde::Serialize>(object: &T, field: &str) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(object).map_err(ApiError::internal)?;
    Ok(value.get_mut(field).map(Value::take).unwrap_or(Value::Null))
}

/// Everything but metadata and status: what a change of bumps the generation.
fn spec_of<T: serde::Serialize>(object: &T) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(object).map_err(ApiError::internal)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    Ok(value)
}

pub(crate) fn set_status<T: serde::Serialize + serde::de::DeserializeOwned>(
    object: &mut T,
    status: Value,
) -> Result<(), ApiError> {
    let mut value = serde_json::to_value(&*object).map_err(ApiError::internal)?;
    if let Some(map) = value.as_object_mut() {
        match status {
            Value::Null => map.remove("status"),
            status => map.insert("status".into(), status),
        };
    }
    *object = serde_json::from_value(value).map_err(ApiError::internal)?;
    Ok(())
}

/// `old` with the status of `new`: on `/status` everything else stays as it was, but for
/// managedFields, which track the status write (as kube-apiserver's status strategy keeps).
fn with_status_of<T: Resource + Clone + serde::Serialize + serde::de::DeserializeOwned>(
    old: &T,
    new: &T,
) -> Result<T, ApiError> {
    let mut merged = old.clone();
    set_status(&mut merged, field_of(new, "status")?)?;
    merged.meta_mut().managed_fields = new.meta().managed_fields.clone();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_counted_up_to_the_limit() {
        // The object, the list and its three items, the null and the string: seven.
        let value = serde_json::json!({"a": [1, 2, {"b": null}], "c": "d"});
        assert!(!larger_than(&value, 7));
        assert!(larger_than(&value, 6));
        assert!(!larger_than(&Value::Null, 1));
    }
}
