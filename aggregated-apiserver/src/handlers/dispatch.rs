//! Dispatch of a resource request to the store's verbs: the verb from the method and path,
//! refused unless the kind declares it for the resource or subresource, and the answer
//! rendered as negotiated.

use async_trait::async_trait;
use axum::response::Response;
use http::StatusCode;
use kube::Resource;

use super::{Endpoint, render, watch};
use crate::negotiate::{self, Output};
use crate::registry::object::ObjectId;
use crate::registry::patch;
use crate::registry::store::{LONG_LIST, Part};
use crate::registry::{ResourceRequest, Store, Strategy, Style};
use crate::request::ListOptions;
use crate::resource::ResourceInfo;
use crate::status::ApiError;

/// Serves `request` with `store`'s verbs.
async fn serve<S: Strategy>(
    store: &Store<S>,
    request: ResourceRequest,
) -> Result<Response, ApiError> {
    use http::Method;
    let name = request.name.clone();
    let namespace = request.namespace.clone();
    let id = |name| ObjectId {
        namespace: namespace.as_deref(),
        name,
    };
    let list = name.is_none();
    let subresource = request.subresource.as_deref();
    let verbs = store
        .info()
        .verbs_of(subresource)
        .ok_or_else(ApiError::path_not_found)?;
    let verb = match (&request.method, list) {
        (&Method::GET, false) => "get",
        (&Method::GET, true) => "list",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, false) => "delete",
        (&Method::DELETE, true) => "deletecollection",
        _ => return Err(ApiError::method_not_allowed()),
    };
    if !verbs.contains(&verb) {
        return Err(ApiError::method_not_allowed());
    }
    // go-restful's order: the method (405), the body's media type (415), then Accept (406).
    if verb == "patch" {
        patch::check_media_type(&request.headers)?;
    }
    let rendering = render::Renderer::new(
        store.strategy.clone(),
        &request.headers,
        &request.query,
        list,
    )?;
    match (name.as_deref(), subresource, &request.method) {
        (None, None, &Method::GET) => {
            let mut options = ListOptions::parse(&request.query)?;
            options.namespace = request.namespace;
            if options.watch.is_some() {
                if !verbs.contains(&"watch") {
                    return Err(ApiError::method_not_allowed());
                }
                return Ok(watch::respond(store.watch(options).await?, rendering));
            }
            let listed = store.list(&options).await?;
            if listed.items.len() > LONG_LIST {
                crate::offload::cpu_bound(|| rendering.list(listed))
            } else {
                rendering.list(listed)
            }
        }
        (None, None, &Method::POST) => {
            rendering.one(store.create(request).await?.warned_by(&*store.strategy))
        }
        (None, None, &Method::DELETE) => rendering.list(store.delete_collection(&request).await?),
        (Some(name), None | Some("status"), &Method::GET) => {
            rendering.cached(&*store.get(id(name), &request.query).await?)
        }
        (Some(name), part @ (None | Some("status")), &(Method::PUT | Method::PATCH)) => {
            let part = match part {
                None => Part::Main,
                Some(_) => Part::Status,
            };
            let written = match request.method == Method::PUT {
                true => store.update(id(name), part, request).await?,
                false => store.patch(id(name), part, request).await?,
            };
            rendering.one(written.warned_by(&*store.strategy))
        }
        (Some(name), None, &Method::DELETE) => {
            let deleted = store.delete(id(name), &request).await?;
            let pending = deleted.object().meta().deletion_timestamp.is_some();
            match store.strategy.style() == Style::CustomResource || pending {
                true => rendering.one(deleted),
                false => rendering.success(deleted.object()),
            }
        }
        (Some(name), Some(sub), &Method::POST) if sub != "status" => {
            // Negotiated before the action, so that an unacceptable request changes nothing.
            let output = match negotiate::output(&request.headers, false)? {
                output @ (Output::Json | Output::Yaml) => output,
                _ => {
                    return Err(ApiError::not_acceptable(&[
                        negotiate::JSON,
                        negotiate::YAML,
                    ]));
                }
            };
            let answer = store.connect(id(name), sub, &request).await?;
            render::respond(output, StatusCode::OK, &[], &answer)
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

#[async_trait]
impl<S: Strategy> Endpoint for Store<S> {
    fn info(&self) -> &'static ResourceInfo {
        self.strategy.info()
    }

    fn storage_version(&self) -> &'static str {
        self.strategy.storage_version()
    }

    fn deprecation(&self) -> Option<&'static str> {
        self.strategy.deprecation()
    }

    fn object_count(&self) -> usize {
        self.cache.object_count()
    }

    fn objects(&self, namespace: Option<&str>) -> Vec<bytes::Bytes> {
        let (objects, _) = self.cache.snapshot(namespace);
        objects.iter().map(|object| object.json().clone()).collect()
    }

    async fn handle(&self, request: ResourceRequest) -> Result<Response, ApiError> {
        serve(self, request).await
    }
}
