//! DELETE of one object or a collection, with `metav1.DeleteOptions`: preconditions, dry
//! run, propagation policy and finalizers.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::Deserialize;

use super::cache::Cached;
use super::object::ObjectId;
use super::outcome::Outcome;
use super::store::{Caller, ListResult, Store, Stored};
use super::{ResourceRequest, Strategy, Style, decode, meta};
use crate::admission::Operation;
use crate::authn::UserInfo;
use crate::negotiate;
use crate::request::{ListOptions, parse_revision};
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

impl<S: Strategy> Store<S> {
    pub(crate) async fn delete(
        &self,
        id: ObjectId<'_>,
        request: &ResourceRequest,
    ) -> Result<Outcome<S::Object>, ApiError> {
        let options = DeleteOptions::from_request(request, self.strategy.style())?;
        let current = self.load(id).await?;
        let deleted = self.delete_stored(id, current, &options, &request.user);
        Ok(Outcome::existing(deleted.await?))
    }

    async fn delete_stored(
        &self,
        id: ObjectId<'_>,
        current: Stored<S::Object>,
        options: &DeleteOptions,
        user: &UserInfo,
    ) -> Result<S::Object, ApiError> {
        options.check_preconditions(self.info(), id.name, current.object.meta())?;
        let caller = Caller {
            user,
            dry_run: options.dry_run,
        };
        let write = self.admitting(Operation::Delete, None, id, Some(&current.object), caller)?;
        self.admitted(&write, None).await?;
        let meta = current.object.meta();
        if meta.finalizers.as_deref().unwrap_or_default().is_empty() {
            if options.dry_run {
                return Ok(current.object);
            }
            let kv = self
                .storage
                .delete(&self.key(id), Some(current.revision))
                .await
                .map_err(|e| self.storage_error(id.name, e))?;
            return Ok(self.decode_stored(&kv)?.object);
        }
        if meta.deletion_timestamp.is_some() {
            return Ok(current.object);
        }
        // Finalizers hold the object: mark it, and let the last finalizer's removal delete it.
        let mut object = current.object.clone();
        let m = object.meta_mut();
        m.deletion_timestamp = Some(meta::now());
        m.deletion_grace_period_seconds = Some(0);
        m.generation = Some(m.generation.unwrap_or(0).saturating_add(1));
        self.write(id, object, &current, options.dry_run).await
    }

    pub(crate) async fn delete_collection(
        &self,
        request: &ResourceRequest,
    ) -> Result<ListResult<S::Object>, ApiError> {
        let delete = DeleteOptions::from_request(request, self.strategy.style())?;
        let mut options = ListOptions::parse(&request.query)?;
        options.namespace = request.namespace.clone();
        options.limit = None;
        options.continue_from = None;
        let listed = self.list(&options).await?;
        let mut deleted = Vec::with_capacity(listed.items.len());
        for listed in listed.items {
            let id = ObjectId {
                namespace: listed.namespace(),
                name: listed.name(),
            };
            let Ok(current) = self.load(id).await else {
                continue; // deleted meanwhile
            };
            let object = (self.delete_stored(id, current, &delete, &request.user)).await?;
            let revision = object
                .meta()
                .resource_version
                .as_deref()
                .map(parse_revision);
            deleted.push(Cached::new(&object, revision.unwrap_or(Ok(0))?, 0)?);
        }
        Ok(ListResult {
            items: deleted,
            revision: listed.revision,
            continue_from: None,
            remaining: None,
        })
    }
}

/// `metav1.DeleteOptions`, from the body (if any) and the query.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteOptionsBody {
    #[serde(default)]
    preconditions: Option<Preconditions>,
    #[serde(default)]
    dry_run: Option<Vec<String>>,
    #[serde(default)]
    propagation_policy: Option<String>,
    /// Typed so that a malformed one is refused; otherwise unused, as Foos are deleted at
    /// once like every kind without graceful deletion.
    #[serde(default, rename = "gracePeriodSeconds")]
    _grace_period_seconds: Option<i64>,
    #[serde(default, rename = "orphanDependents")]
    _orphan_dependents: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Preconditions {
    uid: Option<String>,
    resource_version: Option<String>,
}

struct DeleteOptions {
    dry_run: bool,
    preconditions: Preconditions,
}

impl DeleteOptions {
    fn from_request(request: &ResourceRequest, style: Style) -> Result<Self, ApiError> {
        let body: DeleteOptionsBody = if request.body.iter().all(u8::is_ascii_whitespace) {
            DeleteOptionsBody::default()
        } else {
            let format = negotiate::body_format(&request.headers, style)?;
            let value = decode::parse_body(&request.body, format).map_err(ApiError::bad_request)?;
            // `null` is no options, as Go decodes it.
            serde_json::from_value::<Option<DeleteOptionsBody>>(value)
                .map_err(|e| ApiError::bad_request(e.to_string()))?
                .unwrap_or_default()
        };
        request.query.integer("gracePeriodSeconds")?;
        request.query.flag("orphanDependents")?;
        let policy = body
            .propagation_policy
            .as_deref()
            .or(request.query.get("propagationPolicy"))
            .unwrap_or_default();
        if !matches!(policy, "" | "Orphan" | "Background" | "Foreground") {
            return Err(crate::request::options_invalid(
                "DeleteOptions",
                &[FieldError::not_supported(
                    "propagationPolicy",
                    &format!("{policy:?}"),
                    &["Foreground", "Background", "Orphan", "nil"],
                )],
            ));
        }
        let dry_run = match body.dry_run.filter(|values| !values.is_empty()) {
            Some(values) => crate::request::dry_run(&values, "DeleteOptions")?,
            None => request.query.dry_run("DeleteOptions")?,
        };
        Ok(DeleteOptions {
            dry_run,
            preconditions: body.preconditions.unwrap_or_default(),
        })
    }

    fn check_preconditions(
        &self,
        info: &ResourceInfo,
        name: &str,
        meta: &ObjectMeta,
    ) -> Result<(), ApiError> {
        let have_uid = meta.uid.as_deref().unwrap_or_default();
        let have_rv = meta.resource_version.as_deref().unwrap_or_default();
        if let Some(uid) = self.preconditions.uid.as_deref().filter(|u| *u != have_uid) {
            let why = format!(
                "the UID in the precondition ({uid}) does not match the UID in record ({have_uid}). The object might have been deleted and then recreated"
            );
            return Err(ApiError::precondition_failed(info, name, &why));
        }
        if let Some(rv) = self
            .preconditions
            .resource_version
            .as_deref()
            .filter(|r| *r != have_rv)
        {
            let why = format!(
                "the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({have_rv}). The object might have been modified"
            );
            return Err(ApiError::precondition_failed(info, name, &why));
        }
        Ok(())
    }
}
