//! The generic store: kube-apiserver's REST semantics for one kind over [`Storage`].

use std::sync::Arc;

use kube::Resource;
use serde_json::{Value, json};

use super::cache::{Cache, Cached, HistoryLimit};
use super::decode::{self, FieldValidation};
use super::render::Rendered;
use super::{ResourceRequest, Strategy, Style};
use super::{fieldmanager, meta, patch};
use crate::admission::{self, Attributes, Operation};
use crate::authn::UserInfo;
use crate::negotiate;
use crate::openapi::derive::list_types;
use crate::request::{Continue, ListOptions, parse_revision};
use crate::resource::{ListTypes, ResourceInfo};
use crate::status::{ApiError, FieldError};
use crate::storage::{KeyValue, Revision, Storage, StorageError};
use crate::validation;

/// Bodies larger than this are refused, as kube-apiserver refuses them.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// Objects larger than this as stored are refused: etcd's default request limit, which
/// the embedded store keeps too so that data can move between the two.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// Lists longer than this are rendered off the async workers (big ones take seconds).
pub(super) const LONG_LIST: usize = 500;

/// An object as stored, with its resourceVersion set from the storage revision.
pub(super) struct Stored<T> {
    pub object: T,
    pub revision: Revision,
}

/// The generic registry store of one kind: kube-apiserver's REST semantics over a
/// [`Storage`], with a watch cache, and the kind's particulars from its [`Strategy`].
pub struct Store<S: Strategy> {
    pub(super) strategy: Arc<S>,
    pub(super) storage: Arc<dyn Storage>,
    pub(super) cache: Arc<Cache<S::Object>>,
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

/// Which object of a kind a request names: its namespace (a namespaced kind's) and name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjectId<'a> {
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl ObjectId<'_> {
    /// `<namespace>/<name>`, or `<name>` for a cluster-scoped kind: the object's storage key
    /// after its kind's prefix (as kube-apiserver keys objects), and the watch cache's index.
    pub fn path(&self) -> String {
        match self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.to_owned(),
        }
    }
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

    pub(super) fn info(&self) -> &'static ResourceInfo {
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

    pub(super) async fn create(
        &self,
        request: ResourceRequest,
    ) -> Result<Rendered<S::Object>, ApiError> {
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
        Ok(Rendered::created(object, decoded.warnings))
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
    pub(super) async fn update(
        &self,
        id: ObjectId<'_>,
        part: Part,
        request: ResourceRequest,
    ) -> Result<Rendered<S::Object>, ApiError> {
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
        Ok(Rendered::ok(written).with_warnings(decoded.warnings))
    }

    /// PATCH on the main resource or on `/status`: the patch is applied to the current
    /// object and the result written like an update; when the patch names no
    /// resourceVersion a lost race is retried on the newer object, as kube-apiserver does.
    pub(super) async fn patch(
        &self,
        id: ObjectId<'_>,
        part: Part,
        request: ResourceRequest,
    ) -> Result<Rendered<S::Object>, ApiError> {
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
                result => return Ok(Rendered::ok(result?).with_warnings(decoded.warnings)),
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

/// Whether an object is in a list's or watch's namespace and passes its label and field
/// selectors.
pub fn selected<T>(object: &Cached<T>, options: &ListOptions) -> bool {
    if options
        .namespace
        .as_deref()
        .is_some_and(|namespace| object.namespace() != Some(namespace))
    {
        return false;
    }
    let labels_match = options
        .labels
        .as_ref()
        .is_none_or(|s| s.matches(|key| object.label(key)));
    let fields_match = options.fields.as_ref().is_none_or(|s| {
        let own: Vec<&str> = s
            .requirements()
            .map(|(field, _, _)| field)
            .filter(|field| !field.starts_with("metadata."))
            .collect();
        let values = object.field_values(&own);
        s.matches(|field| match field {
            "metadata.name" => Some(object.name()),
            "metadata.namespace" => Some(object.namespace().unwrap_or_default()),
            _ => own
                .iter()
                .position(|f| *f == field)
                .map(|i| values[i].as_str()),
        })
    });
    labels_match && fields_match
}

/// How a kind's objects are read from what storage keeps ([`Strategy::deserialize_stored`]).
pub(crate) type Decode<T> = Arc<dyn Fn(&[u8]) -> Result<T, ApiError> + Send + Sync>;

/// A stored object, with its resourceVersion set from the storage revision.
pub fn object_at<T: Resource>(
    kv: &KeyValue,
    decode: impl FnOnce(&[u8]) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut object = decode(&kv.value)?;
    object.meta_mut().resource_version = Some(kv.mod_revision.to_string());
    Ok(object)
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
    use axum::response::Response;
    use bytes::Bytes;
    use http::{HeaderMap, Method};
    use serde_json::json;

    use crate::registry::Endpoint;
    use crate::request::Query;
    use crate::storage::EmbeddedStorage;
    use crate::testing::{NAMESPACED_FOO, PLAIN_FOO, Plain};

    fn request(method: Method, name: Option<&str>, subresource: Option<&str>) -> ResourceRequest {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        ResourceRequest {
            method,
            user: UserInfo::anonymous(),
            namespace: None,
            name: name.map(str::to_owned),
            subresource: subresource.map(str::to_owned),
            query: Query::default(),
            headers,
            body: Bytes::new(),
        }
    }

    async fn body(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// The object `name` as a GET answers it.
    async fn get(store: &Store<Plain>, name: &str) -> Value {
        let response = store.handle(request(Method::GET, Some(name), None)).await;
        body(response.unwrap()).await
    }

    /// A store of [`PLAIN_FOO`] on an embedded database in its own directory.
    fn plain_store() -> (Store<Plain>, tempfile::TempDir) {
        store_of(&PLAIN_FOO)
    }

    fn store_of(info: &'static ResourceInfo) -> (Store<Plain>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
        let history = HistoryLimit {
            events: 100,
            bytes: 1 << 20,
        };
        let store = Store::new(Plain(info), storage, "/registry", history, 60);
        (store, dir)
    }

    /// A kind that does not return deleted objects answers a DELETE that removes one with a
    /// Success Status naming it, and one its finalizers hold with the object.
    #[tokio::test]
    async fn a_kind_may_answer_deletes_with_a_status() {
        struct Forgetful;
        impl Strategy for Forgetful {
            type Object = foo_sdk::Foo;
            fn info(&self) -> &'static ResourceInfo {
                &NAMESPACED_FOO
            }
            fn style(&self) -> super::super::Style {
                super::super::Style::Typed
            }
            fn table_columns(&self) -> Vec<super::super::TableColumnDefinition> {
                Vec::new()
            }
            fn table_cells(&self, _: &Self::Object, _: k8s_openapi::jiff::Timestamp) -> Vec<Value> {
                Vec::new()
            }
            fn openapi_schemas(&self) -> serde_json::Map<String, Value> {
                serde_json::Map::new()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
        let history = HistoryLimit {
            events: 100,
            bytes: 1 << 20,
        };
        let store = Store::new(Forgetful, storage, "/registry", history, 60);
        let in_n = |method, name: Option<&str>| {
            let mut request = request(method, name, None);
            request.namespace = Some("n".into());
            request
        };
        for (name, finalizers) in [("gone", json!([])), ("held", json!(["example.com/hold"]))] {
            let mut create = in_n(Method::POST, None);
            create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                "metadata": {"name": name, "finalizers": finalizers}, "spec": {"greeting": "hi"}})
            .to_string()
            .into();
            store.handle(create).await.unwrap();
        }
        let gone = body(
            store
                .handle(in_n(Method::DELETE, Some("gone")))
                .await
                .unwrap(),
        )
        .await;
        let uid = gone["details"]["uid"].clone();
        assert!(uid.is_string(), "{gone}");
        assert_eq!(
            gone,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "details": {"name": "gone", "group": "demo.jeremyxu2010.me", "kind": "foos", "uid": uid}})
        );
        let held = body(
            store
                .handle(in_n(Method::DELETE, Some("held")))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(held["kind"], "Foo");
        assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
    }

    /// A version converted from the hub reads and writes the hub's objects: a write in either
    /// version is read in the other, in its own shape; the hub's rules apply to both, and
    /// storage keeps the hub's JSON.
    #[tokio::test]
    async fn a_converted_version_shares_the_hubs_objects() {
        use crate::registry::Converted;
        use crate::testing::FooV2;
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> =
            Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
        let history = HistoryLimit {
            events: 100,
            bytes: 1 << 20,
        };
        let hub = Store::new(Plain(&PLAIN_FOO), storage.clone(), "/registry", history, 60);
        let v2 = Converted::<Plain, FooV2>::new(Plain(&PLAIN_FOO));
        let v2 = Store::new(v2, storage.clone(), "/registry", history, 60);
        assert_eq!(v2.storage_version(), "v1beta1", "the hub's");

        let mut create = request(Method::POST, None, None);
        create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v2", "kind": "Foo",
            "metadata": {"name": "a"}, "spec": {"message": " hi "}})
        .to_string()
        .into();
        let created = body(v2.handle(create).await.unwrap()).await;
        assert_eq!(created["apiVersion"], "demo.jeremyxu2010.me/v2");
        assert_eq!(
            created["spec"],
            json!({"message": "hi"}),
            "canonical, as the hub's"
        );

        let read = get(&hub, "a").await;
        assert_eq!(read["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
        assert_eq!(read["spec"]["greeting"], "hi");
        let stored = storage.get("/registry/demo.jeremyxu2010.me/foos/a").await;
        let stored: Value = serde_json::from_slice(&stored.unwrap().unwrap().value).unwrap();
        assert_eq!(stored["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
        assert_eq!(stored["spec"]["greeting"], "hi");

        // The hub's update validation, with its field paths.
        let mut update = request(Method::PUT, Some("a"), None);
        let rv = created["metadata"]["resourceVersion"].clone();
        update.body = json!({"apiVersion": "demo.jeremyxu2010.me/v2", "kind": "Foo",
            "metadata": {"name": "a", "resourceVersion": rv}, "spec": {"message": "yo"}})
        .to_string()
        .into();
        let refused = v2.handle(update).await.err().unwrap();
        assert_eq!(
            (refused.code, refused.message.as_str()),
            (
                422,
                r#"Foo.demo.jeremyxu2010.me "a" is invalid: spec.greeting: Invalid value: "yo": field is immutable"#
            )
        );

        // A label written in the hub version shows in v2 once its cache has it.
        let mut label = request(Method::PUT, Some("a"), None);
        let mut labelled = read.clone();
        labelled["metadata"]["labels"] = json!({"seen": "yes"});
        label.body = labelled.to_string().into();
        hub.handle(label).await.unwrap();
        let response = v2.handle(request(Method::GET, Some("a"), None)).await;
        let read = body(response.unwrap()).await;
        assert_eq!(read["metadata"]["labels"]["seen"], "yes");
        assert_eq!(read["spec"], json!({"message": "hi"}));
    }

    /// Objects of a namespaced kind live in their namespace: one name in two namespaces is
    /// two objects; lists, field selectors, pages and deletecollection keep to the request's
    /// namespace or span them all; a body naming another namespace is refused.
    #[tokio::test]
    async fn a_namespaced_kind_keeps_each_namespace_apart() {
        let (store, _dir) = store_of(&NAMESPACED_FOO);
        let in_namespace = |method, namespace: Option<&str>, name, query: &str| {
            let mut request = request(method, name, None);
            request.namespace = namespace.map(str::to_owned);
            request.query = Query::parse(Some(query));
            request
        };
        let foo = |name: &str, namespace: Option<&str>, greeting: &str| {
            json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                   "metadata": {"name": name, "namespace": namespace},
                   "spec": {"greeting": greeting}})
            .to_string()
            .into()
        };
        for (namespace, name, body_namespace) in [
            ("blue", "x", None),
            ("green", "x", Some("green")),
            ("green", "y", None),
        ] {
            let mut create = in_namespace(Method::POST, Some(namespace), None, "");
            create.body = foo(name, body_namespace, namespace);
            let created = body(store.handle(create).await.unwrap()).await;
            assert_eq!(created["metadata"]["namespace"], namespace);
        }
        let mut elsewhere = in_namespace(Method::POST, Some("blue"), None, "");
        elsewhere.body = foo("z", Some("green"), "z");
        let refused = store.handle(elsewhere).await.err().unwrap();
        assert_eq!(
            (refused.code, refused.message.as_str()),
            (
                400,
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        );

        let listed = async |namespace: Option<&str>, query: &str| {
            let list = in_namespace(Method::GET, namespace, None, query);
            let list = body(store.handle(list).await.unwrap()).await;
            let items = list["items"].as_array().unwrap().iter().map(|item| {
                let meta = &item["metadata"];
                format!(
                    "{}/{}",
                    meta["namespace"].as_str().unwrap(),
                    meta["name"].as_str().unwrap()
                )
            });
            (
                items.collect::<Vec<_>>(),
                list["metadata"]["continue"].as_str().map(str::to_owned),
            )
        };
        let get = in_namespace(Method::GET, Some("green"), Some("x"), "");
        let green_x = body(store.handle(get).await.unwrap()).await;
        assert_eq!(green_x["spec"]["greeting"], "green");
        let get = in_namespace(Method::GET, Some("red"), Some("x"), "");
        assert_eq!(store.handle(get).await.err().unwrap().code, 404);
        assert_eq!(listed(Some("green"), "").await.0, ["green/x", "green/y"]);
        assert_eq!(listed(None, "").await.0, ["blue/x", "green/x", "green/y"]);
        assert_eq!(
            listed(
                None,
                "fieldSelector=metadata.namespace%3Dgreen,metadata.name%3Dx"
            )
            .await
            .0,
            ["green/x"]
        );
        let (page, token) = listed(None, "limit=2").await;
        assert_eq!(page, ["blue/x", "green/x"]);
        let next = format!("limit=2&continue={}", token.unwrap());
        assert_eq!(listed(None, &next).await.0, ["green/y"]);

        let delete = in_namespace(Method::DELETE, Some("green"), None, "");
        store.handle(delete).await.unwrap();
        assert_eq!(listed(None, "").await.0, ["blue/x"]);
    }

    /// A kind's update validation refuses a change with 422 and changes nothing; its
    /// warnings reach the client in `Warning` headers of a write that succeeds; what it
    /// stores is in its canonical form.
    #[tokio::test]
    async fn a_kinds_update_validation_and_warnings() {
        let (store, _dir) = plain_store();
        let foo = |greeting: &str, rv: &Value| {
            json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                   "metadata": {"name": "a", "resourceVersion": rv}, "spec": {"greeting": greeting}})
            .to_string()
            .into()
        };
        let mut create = request(Method::POST, None, None);
        create.body = foo(" deprecated ", &Value::Null);
        let created = store.handle(create).await.unwrap();
        let warning = created.headers().get("warning").unwrap().to_str().unwrap();
        assert_eq!(
            warning,
            r#"299 - "spec.greeting: \"deprecated\" is deprecated""#
        );
        let rv = body(created).await["metadata"]["resourceVersion"].clone();

        let mut update = request(Method::PUT, Some("a"), None);
        update.body = foo("hi", &rv);
        let refused = store.handle(update).await.err().unwrap();
        assert_eq!(refused.code, 422);
        assert_eq!(
            refused.message,
            r#"Foo.demo.jeremyxu2010.me "a" is invalid: spec.greeting: Invalid value: "hi": field is immutable"#
        );
        let read = get(&store, "a").await;
        assert_eq!(read["spec"]["greeting"], "deprecated");
    }

    /// Field selectors name `metadata.name` and the fields the kind declares selectable,
    /// compared as strings; any other field is refused with kube-apiserver's 400.
    #[tokio::test]
    async fn field_selectors_take_the_kinds_selectable_fields() {
        let (store, _dir) = plain_store();
        for (name, greeting, suspend) in [("a", "hi", false), ("b", "yo", true), ("c", "hi", true)]
        {
            let mut create = request(Method::POST, None, None);
            create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                "metadata": {"name": name}, "spec": {"greeting": greeting, "suspend": suspend}})
            .to_string()
            .into();
            store.handle(create).await.unwrap();
        }
        let names = async |selector: &str| {
            let mut list = request(Method::GET, None, None);
            list.query = Query::parse(Some(&format!("fieldSelector={selector}")));
            let listed = store.handle(list).await.map_err(|e| (e.code, e.message))?;
            let items = body(listed).await["items"].as_array().unwrap().clone();
            Ok::<_, (u16, String)>(
                items
                    .iter()
                    .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(names("spec.greeting%3Dhi").await.unwrap(), ["a", "c"]);
        assert_eq!(names("spec.suspend%3Dtrue").await.unwrap(), ["b", "c"]);
        assert_eq!(
            names("spec.suspend!%3Dtrue,metadata.name!%3Db")
                .await
                .unwrap(),
            ["a"]
        );
        assert_eq!(
            names("spec.other%3Dx").await.unwrap_err(),
            (400, "field label not supported: spec.other".to_owned())
        );
    }

    /// A kind serves only the verbs and subresources it declares; without a status
    /// subresource, status is written with the rest of the object.
    #[tokio::test]
    async fn a_kind_serves_what_it_declares() {
        let (store, _dir) = plain_store();
        let foo = |count: i64| {
            json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                   "metadata": {"name": "a"}, "spec": {"greeting": "hi"},
                   "status": {"barCount": count}})
        };
        let mut create = request(Method::POST, None, None);
        create.body = foo(3).to_string().into();
        let created = body(store.handle(create).await.unwrap()).await;
        assert_eq!(created["status"]["barCount"], 3, "{created}");

        let mut update = request(Method::PUT, Some("a"), None);
        let mut replacement = foo(4);
        replacement["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"].clone();
        update.body = replacement.to_string().into();
        let updated = body(store.handle(update).await.unwrap()).await;
        assert_eq!(updated["status"]["barCount"], 4, "{updated}");

        for (method, name, subresource, code) in [
            (Method::DELETE, Some("a"), None, 405),
            (Method::DELETE, None, None, 405),
            (Method::PATCH, Some("a"), None, 405),
            (Method::GET, Some("a"), Some("status"), 404),
            (Method::POST, Some("a"), Some("bar"), 404),
        ] {
            let refused = store
                .handle(request(method.clone(), name, subresource))
                .await;
            let code_seen = refused.err().map(|e| e.code);
            assert_eq!(code_seen, Some(code), "{method} {name:?} {subresource:?}");
        }
        let mut watch = request(Method::GET, None, None);
        watch.query = Query::parse(Some("watch=true"));
        assert_eq!(store.handle(watch).await.err().map(|e| e.code), Some(405));
        let read = get(&store, "a").await;
        assert_eq!(read["status"]["barCount"], 4);
    }

    #[test]
    fn json_values_are_counted_up_to_the_limit() {
        // The object, the list and its three items, the null and the string: seven.
        let value = serde_json::json!({"a": [1, 2, {"b": null}], "c": "d"});
        assert!(!larger_than(&value, 7));
        assert!(larger_than(&value, 6));
        assert!(!larger_than(&Value::Null, 1));
    }
}
