//! Entry points of the fuzz targets (a kind's `fuzz/` crate, run by `cargo fuzz`): each hands
//! arbitrary bytes to one step of request handling, the server's own code, and checks what
//! the API promises of it: no panic, a refusal is a `Status` with a client error code, and a
//! decoded, patched or applied object serializes and decodes again to itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, header};
use kube::Resource;

use crate::negotiate::BodyFormat;
use crate::openapi::derive::list_types;
use crate::registry::Strategy;
use crate::registry::apply;
use crate::registry::cache::Cached;
use crate::registry::decode::{self, FieldValidation};
use crate::registry::fieldmanager::{self, Writer};
use crate::registry::patch::Patch;
use crate::registry::store::{self, Manage, Part};
use crate::request::{Continue, ListOptions, Query, ReadAt};
use crate::resource::ListTypes;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;

/// When the fuzzed writes happen, for their managedFields.
const WRITTEN_AT: &str = "2026-11-25T10:05:00Z";

/// The fuzz targets of one kind, around a live object that patches and applies change.
pub struct Fuzz<S: Strategy> {
    strategy: S,
    live: S::Object,
    /// The live object as the watch cache keeps it, which selectors are matched against.
    live_cached: Arc<Cached<S::Object>>,
    name: String,
    api_version: String,
    /// How the kind's lists merge, as its store reads them.
    lists: ListTypes,
}

impl<S: Strategy> Fuzz<S> {
    /// Targets for the kind of `strategy`, with `live` (JSON) as the stored object.
    pub fn new(strategy: S, live: &str) -> Self {
        let object: S::Object = serde_json::from_str(live).expect("the live object decodes");
        let live_cached = Cached::new(&object, 1, live.len()).expect("the live object is cached");
        Fuzz {
            name: object
                .meta()
                .name
                .clone()
                .expect("the live object has a name"),
            api_version: strategy.info().group_version(),
            lists: list_types((strategy.info(), &strategy.openapi_schemas())),
            strategy,
            live: object,
            live_cached,
        }
    }

    /// A request body (POST, PUT): byte 0 picks JSON or YAML and the field validation.
    pub fn decode_body(&self, data: &[u8]) {
        let Some((&flags, body)) = data.split_first() else {
            return;
        };
        let format = [BodyFormat::Json, BodyFormat::Yaml][usize::from(flags & 1)];
        let validation = validation(flags >> 1);
        match decode::decode::<S::Object>(self.strategy.info(), body, format, validation) {
            Ok(decoded) => self.assert_round_trip(&decoded.object),
            Err(e) => assert_refused(&e, &[400]),
        }
    }

    /// A JSON patch (RFC 6902) of the live object.
    pub fn json_patch(&self, data: &[u8]) {
        self.patch("application/json-patch+json", data);
    }

    /// A JSON merge patch (RFC 7386) of the live object.
    pub fn merge_patch(&self, data: &[u8]) {
        self.patch("application/merge-patch+json", data);
    }

    /// A strategic merge patch of the live object.
    pub fn strategic_merge_patch(&self, data: &[u8]) {
        self.patch("application/strategic-merge-patch+json", data);
    }

    /// A PATCH of the live object, then the update it makes, as the store runs them.
    fn patch(&self, content_type: &'static str, body: &[u8]) {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        let patch = match Patch::parse(&headers, &Query::default(), body) {
            Ok(patch) => patch,
            Err(e) => return assert_refused(&e, &[400, 413]),
        };
        let document = serde_json::to_value(&self.live).expect("the live object serializes");
        let patched = match patch.apply(&self.lists, document) {
            Ok(patched) => patched,
            Err(e) => return assert_refused(&e, &[400, 422]),
        };
        match decode::decode_value::<S::Object>(
            self.strategy.info(),
            patched,
            FieldValidation::Warn,
        ) {
            Ok(decoded) => self.update(decoded.object),
            Err(e) => assert_refused(&e, &[400]),
        }
    }

    /// The store's update rules on a patched object (status kept, as a write of the main resource
    /// keeps it): system fields, defaults, validation, then managedFields for the writer.
    fn update(&self, mut object: S::Object) {
        let live = &self.live;
        let status = store::field_of(live, "status").expect("the live status serializes");
        store::set_status(&mut object, status).expect("the live status fits");
        let manage = Manage::Update("editor".into());
        let recorded = store::prepare_update(&self.strategy, object, live).and_then(|object| {
            store::record(
                self.strategy.info(),
                &self.lists,
                Some(live),
                &serde_json::json!({}),
                object,
                &manage,
                Part::Main,
            )
        });
        match recorded {
            Ok(recorded) => self.assert_round_trip(&recorded),
            Err(e) => assert_refused(&e, &[422]),
        }
    }

    /// A server-side apply: byte 0 picks `force`, the `/status` subresource, whether the object
    /// exists yet and the field manager; the rest is the applied configuration.
    pub fn server_side_apply(&self, data: &[u8]) {
        let Some((&flags, body)) = data.split_first() else {
            return;
        };
        let force = flags & 1 != 0;
        let subresource = (flags & 2 != 0).then_some("status");
        let live = (flags & 4 == 0)
            .then(|| serde_json::to_value(&self.live).expect("the live object serializes"));
        let manager = if flags & 8 == 0 { "kubectl" } else { "other" };
        let config =
            match apply::applied_configuration::<S::Object>(self.strategy.info(), &self.name, body)
            {
                Ok(config) => config,
                Err(e) => return assert_refused(&e, &[400]),
            };
        let writer = self.writer(manager, subresource);
        let merged = match fieldmanager::apply(&self.lists, live.as_ref(), &config, &writer, force)
        {
            Ok(merged) => merged,
            Err(e) => return assert_refused(&e, if force { &[400] } else { &[400, 409] }),
        };
        let object = match decode::decode_value::<S::Object>(
            self.strategy.info(),
            merged,
            FieldValidation::Ignore,
        ) {
            Ok(decoded) => decoded.object,
            Err(e) => return assert_refused(&e, &[400]),
        };
        self.assert_round_trip(&object);
        // What the kind's validation refuses is never stored, so nothing is applied to it again.
        if !self.strategy.validate(&object).is_empty() {
            return;
        }
        // An object left without managed fields (the apply owned nothing) is attributed to
        // `before-first-apply` by the next apply, as in kube: only an owned result must be stable.
        if object
            .meta()
            .managed_fields
            .as_ref()
            .is_none_or(Vec::is_empty)
        {
            return;
        }
        // Applying the same configuration again changes nothing and conflicts with no one, in
        // the object the server stores: the merge decoded as an object (a null that the merge drops,
        // such as `status:` in a condition, is the type's empty value again once decoded).
        let stored = serde_json::to_value(&object).expect("an applied object serializes");
        let again = fieldmanager::apply(&self.lists, Some(&stored), &config, &writer, false)
            .expect("a second identical apply succeeds");
        let again =
            decode::decode_value::<S::Object>(self.strategy.info(), again, FieldValidation::Ignore)
                .expect("a second identical apply decodes")
                .object;
        assert!(
            again == object,
            "a second identical apply changes nothing: {}",
            serde_json::to_value(&again).expect("an applied object serializes")
        );
    }

    /// A `labelSelector` and a `fieldSelector`, parsed and matched against the live object.
    pub fn selectors(&self, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let labels = LabelSelector::parse(&text);
        let fields = FieldSelector::parse(&text);
        if let Ok(fields) = &fields {
            let _ = fields.unsupported_field(&self.strategy.info().field_selector_fields());
        }
        let options = ListOptions {
            labels: labels.ok(),
            fields: fields.ok(),
            limit: None,
            continue_from: None,
            read_at: ReadAt::Latest,
            watch: None,
            namespace: None,
        };
        self.live_cached.is_selected(&options);
        let labels = options.labels.unwrap_or_default();
        for set in [
            vec![],
            vec![("app", "demo")],
            vec![("a", "b"), ("e", "f"), ("n", "7")],
        ] {
            let set: BTreeMap<String, String> = set
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            labels.matches(|key| set.get(key).map(String::as_str));
        }
    }

    /// A list or watch query string, and continue tokens: the input itself, and its base64.
    pub fn query(&self, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let query = Query::parse(Some(&text));
        match ListOptions::parse(&query) {
            Ok(options) => {
                if let Some(fields) = &options.fields {
                    let _ = fields.unsupported_field(&self.strategy.info().field_selector_fields());
                }
                self.live_cached.is_selected(&options);
                if let Some(from) = &options.continue_from {
                    assert_eq!(Continue::decode(&from.encode()).as_ref(), Ok(from));
                }
            }
            Err(e) => assert_refused(&e, &[400, 422]),
        }
        if let Err(e) = FieldValidation::from_query(&query) {
            assert_refused(&e, &[400]);
        }
        if let Err(e) = query.dry_run("PatchOptions") {
            assert_refused(&e, &[422]);
        }
        for token in [text.into_owned(), URL_SAFE_NO_PAD.encode(data)] {
            match Continue::decode(&token) {
                Ok(from) => assert_eq!(Continue::decode(&from.encode()), Ok(from)),
                Err(e) => assert_refused(&e, &[400]),
            }
        }
    }

    /// An object the server accepted serializes, decodes strictly (nothing unknown) and serializes
    /// to the same JSON again.
    fn assert_round_trip(&self, object: &S::Object) {
        let value = serde_json::to_value(object).expect("an object serializes");
        let again = decode::decode_value::<S::Object>(
            self.strategy.info(),
            value.clone(),
            FieldValidation::Strict,
        )
        .unwrap_or_else(|e| panic!("a serialized object decodes again: {e:?}\n{value}"));
        assert_eq!(
            serde_json::to_value(&again.object).expect("an object serializes"),
            value,
            "an object survives a round trip"
        );
    }

    fn writer<'a>(&'a self, manager: &'a str, subresource: Option<&'a str>) -> Writer<'a> {
        Writer {
            manager,
            subresource,
            api_version: &self.api_version,
            time: WRITTEN_AT,
        }
    }
}

fn validation(pick: u8) -> FieldValidation {
    match pick % 3 {
        0 => FieldValidation::Strict,
        1 => FieldValidation::Warn,
        _ => FieldValidation::Ignore,
    }
}

/// A refusal is answered as a `Status` with one of `codes`.
fn assert_refused(error: &ApiError, codes: &[u16]) {
    assert!(
        codes.contains(&error.code),
        "refused with {} (not one of {codes:?}): {error:?}",
        error.code
    );
    let status = error.to_status();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["code"], error.code);
    assert!(!error.reason.is_empty() && !error.message.is_empty());
}
