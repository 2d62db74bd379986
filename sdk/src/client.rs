//! [`FooApi`]: the typed client of the Foo API on `kube::Client`.

use std::fmt;

use futures::{Stream, StreamExt};
use http::header::{ACCEPT, HeaderValue};
use kube::Client;
use kube::api::{
    Api, DeleteParams, ListParams, ObjectList, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use kube::core::response::Status;
use serde::Serialize;

use crate::discovery::{self, GroupDiscovery};
use crate::table::{ACCEPT_TABLE, IncludeObject, Table};
use crate::{BAR_SUBRESOURCE, Error, Foo, FooBar, Result};

/// The typed client of the `foos` resource of `demo.jeremyxu2010.me/v1beta1`.
///
/// Cheap to clone (it shares the `kube::Client`'s connection pool). Foos are
/// cluster-scoped, so there is no namespace to choose.
///
/// ```no_run
/// use foo_sdk::{Foo, FooApi, FooSpec, ListParams, PostParams};
///
/// # async fn run() -> foo_sdk::Result<()> {
/// let client = foo_sdk::Client::try_default().await?;
/// let foos = FooApi::new(client);
/// foos.create(&PostParams::default(), &Foo::new("hello", FooSpec::new("Hi"))).await?;
/// for foo in foos.list_all(&ListParams::default()).await? {
///     println!("{} says {}", foo.name(), foo.spec.greeting);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FooApi {
    api: Api<Foo>,
    client: Client,
    field_manager: String,
}

/// The field manager of writes made through a [`FooApi`] whose params name none.
pub const DEFAULT_FIELD_MANAGER: &str = "foo-sdk";

impl fmt::Debug for FooApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FooApi")
            .field("url", &self.api.resource_url())
            .finish_non_exhaustive()
    }
}

impl From<Client> for FooApi {
    fn from(client: Client) -> Self {
        FooApi::new(client)
    }
}

impl From<FooApi> for Api<Foo> {
    fn from(foos: FooApi) -> Self {
        foos.api
    }
}

/// The options of the connect-style `bar` subresource: query parameters of
/// `POST …/foos/<name>/bar`.
///
/// ```
/// use foo_sdk::BarParams;
///
/// let params = BarParams::new("sdk").dry_run();
/// assert_eq!(params.arg1.as_deref(), Some("sdk"));
/// assert!(params.dry_run);
/// assert_eq!(BarParams::default().arg1, None); // the server answers "<greeting>, world"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BarParams {
    /// What the greeting is addressed to; the server uses `world` when `None` or empty.
    /// At most 256 characters, no control characters (else `400 BadRequest`).
    pub arg1: Option<String>,
    /// `dryRun=All`: answer without counting the call in the status.
    pub dry_run: bool,
}

impl BarParams {
    /// Parameters with the given `arg1`.
    pub fn new(arg1: impl Into<String>) -> Self {
        BarParams {
            arg1: Some(arg1.into()),
            dry_run: false,
        }
    }

    /// These parameters as a dry run: the server answers but writes nothing.
    #[must_use]
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// The query string of the call (empty when every parameter is the default).
    fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(arg1) = &self.arg1 {
            query.append_pair("arg1", arg1);
        }
        if self.dry_run {
            query.append_pair("dryRun", "All");
        }
        query.finish()
    }
}

/// One event of a [`FooApi::watch`] stream. An `ERROR` event of the server arrives as an
/// `Err` of the stream ([`Error::Api`], e.g. `410 Expired` for a too-old resourceVersion).
#[derive(Clone, Debug, PartialEq)]
pub enum FooEvent {
    /// A Foo was created (or entered the selection).
    Added(Foo),
    /// A Foo changed.
    Modified(Foo),
    /// A Foo was deleted (or left the selection), as last seen.
    Deleted(Foo),
    /// A progress marker: nothing changed up to this resourceVersion.
    Bookmark(Bookmark),
}

impl FooEvent {
    /// The Foo of an `Added`, `Modified` or `Deleted` event.
    pub fn object(&self) -> Option<&Foo> {
        match self {
            FooEvent::Added(foo) | FooEvent::Modified(foo) | FooEvent::Deleted(foo) => Some(foo),
            FooEvent::Bookmark(_) => None,
        }
    }

    /// The resourceVersion of the event: where a new watch resumes after it.
    pub fn resource_version(&self) -> Option<&str> {
        match self {
            FooEvent::Bookmark(b) => Some(&b.resource_version),
            other => other.object()?.metadata.resource_version.as_deref(),
        }
    }

    /// The event type as the server names it: `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`.
    pub fn type_name(&self) -> &'static str {
        match self {
            FooEvent::Added(_) => "ADDED",
            FooEvent::Modified(_) => "MODIFIED",
            FooEvent::Deleted(_) => "DELETED",
            FooEvent::Bookmark(_) => "BOOKMARK",
        }
    }
}

/// A `BOOKMARK` watch event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bookmark {
    /// The resourceVersion the watch has reached.
    pub resource_version: String,
    /// Whether this bookmark ends the initial events of a `sendInitialEvents` watch
    /// (annotation `k8s.io/initial-events-end`).
    pub initial_events_end: bool,
}

/// What [`FooApi::delete`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Deletion {
    /// The Foo is gone; this is it as last seen.
    Deleted(Box<Foo>),
    /// Deletion has started (`metadata.deletionTimestamp` is set) but finalizers hold the
    /// Foo until they are removed.
    Finalizing(Box<Foo>),
    /// The server answered with a `Status` rather than the object.
    Status(Box<Status>),
}

impl Deletion {
    /// The Foo the server answered with, gone or finalizing.
    pub fn object(&self) -> Option<&Foo> {
        match self {
            Deletion::Deleted(foo) | Deletion::Finalizing(foo) => Some(foo),
            Deletion::Status(_) => None,
        }
    }

    /// Whether the Foo is gone (not held by finalizers).
    pub fn is_deleted(&self) -> bool {
        !matches!(self, Deletion::Finalizing(_))
    }
}

impl FooApi {
    /// A client of the Foos served through `client`.
    pub fn new(client: Client) -> Self {
        FooApi {
            api: Api::all(client.clone()),
            client,
            field_manager: DEFAULT_FIELD_MANAGER.into(),
        }
    }

    /// The same client, writing as `manager` where a write's params name no field manager
    /// (the server records each field's manager in `metadata.managedFields`).
    ///
    /// ```no_run
    /// use foo_sdk::{Foo, FooApi, FooSpec, PostParams};
    ///
    /// # async fn run(client: foo_sdk::Client) -> foo_sdk::Result<()> {
    /// let foos = FooApi::new(client).with_field_manager("my-controller");
    /// let foo = foos.create(&PostParams::default(), &Foo::new("hello", FooSpec::new("Hi"))).await?;
    /// let managers = foo.metadata.managed_fields.unwrap_or_default();
    /// assert_eq!(managers[0].manager.as_deref(), Some("my-controller"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = manager.into();
        self
    }

    /// The field manager of writes whose params name none ([`DEFAULT_FIELD_MANAGER`] unless
    /// set with [`with_field_manager`](Self::with_field_manager)).
    pub fn field_manager(&self) -> &str {
        &self.field_manager
    }

    fn post_params(&self, pp: &PostParams) -> PostParams {
        let mut pp = pp.clone();
        pp.field_manager
            .get_or_insert_with(|| self.field_manager.clone());
        pp
    }

    fn patch_params(&self, pp: &PatchParams) -> PatchParams {
        let mut pp = pp.clone();
        pp.field_manager
            .get_or_insert_with(|| self.field_manager.clone());
        pp
    }

    /// A client configured as kubectl would be: `KUBECONFIG`, `~/.kube/config`, or the
    /// in-cluster service account.
    pub async fn try_default() -> Result<Self> {
        Ok(FooApi::new(Client::try_default().await?))
    }

    /// The underlying `kube::Api<Foo>`, for what this type does not wrap.
    pub fn api(&self) -> &Api<Foo> {
        &self.api
    }

    /// The `kube::Client` requests go through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    // ----- reads -----

    /// One Foo by name.
    pub async fn get(&self, name: &str) -> Result<Foo> {
        check_name(name)?;
        Ok(self.api.get(name).await?)
    }

    /// One Foo by name, `None` if there is no such Foo.
    pub async fn get_opt(&self, name: &str) -> Result<Option<Foo>> {
        check_name(name)?;
        Ok(self.api.get_opt(name).await?)
    }

    /// One page of Foos: at most `lp.limit` of them, from `lp.continue_token` on. The list's
    /// `metadata.continue` tells whether more follow; see [`list_all`](Self::list_all).
    ///
    /// Selectors: labels with every operator of label selectors (`=`, `==`, `!=`, `in`,
    /// `notin`, `key`, `!key`); fields on `metadata.name` alone (`=`, `==`, `!=`): any other
    /// field is refused with `400 BadRequest` (`field label not supported: …`), as
    /// kube-apiserver refuses it. The same holds for [`watch`](Self::watch) and the tables.
    ///
    /// ```no_run
    /// use foo_sdk::{FooApi, ListParams};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let team_a = ListParams::default().labels("team=a").fields("metadata.name!=legacy");
    /// for foo in foos.list(&team_a).await?.items {
    ///     println!("{}", foo.name());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list(&self, lp: &ListParams) -> Result<ObjectList<Foo>> {
        Ok(self.api.list(lp).await?)
    }

    /// Every Foo matching `lp`, fetched page by page (`lp.limit` a page, or all at once when
    /// unset) and from one consistent snapshot.
    pub async fn list_all(&self, lp: &ListParams) -> Result<Vec<Foo>> {
        let mut lp = lp.clone();
        let mut items = Vec::new();
        loop {
            let page = self.api.list(&lp).await?;
            items.extend(page.items);
            match next_page(&mut lp, page.metadata.continue_)? {
                true => continue,
                false => return Ok(items),
            }
        }
    }

    // ----- writes -----

    /// Creates a Foo (`201`). The server fills in the defaults (`greeting: Hello`,
    /// `suspend: false`) and drops any `status` or namespace; an existing name is
    /// [`Reason::AlreadyExists`](crate::Reason::AlreadyExists), a bad spec
    /// [`Reason::Invalid`](crate::Reason::Invalid).
    pub async fn create(&self, pp: &PostParams, foo: &Foo) -> Result<Foo> {
        Ok(self.api.create(&self.post_params(pp), foo).await?)
    }

    /// Replaces a Foo (`PUT`). `foo.metadata.resourceVersion` must be the current one, else
    /// [`Reason::Conflict`](crate::Reason::Conflict); changes to `status` are ignored (use
    /// [`replace_status`](Self::replace_status)).
    pub async fn replace(&self, name: &str, pp: &PostParams, foo: &Foo) -> Result<Foo> {
        check_name(name)?;
        Ok(self.api.replace(name, &self.post_params(pp), foo).await?)
    }

    /// Patches a Foo: a JSON patch, a JSON merge patch, a strategic merge patch or a
    /// server-side apply ([`Patch`]). Changes to `status` are ignored.
    ///
    /// ```no_run
    /// use foo_sdk::{FooApi, Patch, PatchParams};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let patch = serde_json::json!({"spec": {"suspend": true}});
    /// foos.patch("hello", &PatchParams::default(), &Patch::Merge(&patch)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn patch<P: Serialize + fmt::Debug>(
        &self,
        name: &str,
        pp: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<Foo> {
        check_name(name)?;
        Ok(self.api.patch(name, &self.patch_params(pp), patch).await?)
    }

    /// Server-side apply of `foo` as `field_manager` (`application/apply-patch+yaml`),
    /// without forcing: changing a field another manager set is a
    /// [`Reason::Conflict`](crate::Reason::Conflict). Creates the Foo if it does not exist.
    ///
    /// Fields written with [`create`](Self::create), [`patch`](Self::patch) or
    /// [`replace`](Self::replace) belong to this client's [`field_manager`](Self::field_manager):
    /// apply as that manager to change them, or take them over with
    /// [`apply_with`](Self::apply_with) and `.force()`.
    ///
    /// ```no_run
    /// use foo_sdk::{Foo, FooApi, FooSpec, PatchParams, PostParams, Reason};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let applied = foos.apply(&Foo::new("hello", FooSpec::new("Hi")), "my-tool").await?;
    /// assert_eq!(applied.spec.greeting, "Hi");
    ///
    /// // A Foo created as foo-sdk: another manager changing its greeting conflicts…
    /// foos.create(&PostParams::default(), &Foo::new("made", FooSpec::new("Hi"))).await?;
    /// let mine = Foo::new("made", FooSpec::new("Hey"));
    /// let refused = foos.apply(&mine, "my-tool").await.unwrap_err();
    /// assert_eq!(refused.reason(), Some(Reason::Conflict));
    /// // …unless it forces, taking the field over.
    /// foos.apply_with(&mine, &PatchParams::apply("my-tool").force()).await?;
    /// // Applying as the creating manager never conflicts with its own fields.
    /// foos.apply(&Foo::new("made", FooSpec::new("Hello")), foos.field_manager()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn apply(&self, foo: &Foo, field_manager: &str) -> Result<Foo> {
        self.apply_with(foo, &PatchParams::apply(field_manager))
            .await
    }

    /// Server-side apply with full control: `pp` is `PatchParams::apply(manager)`, with
    /// `.force()` to take fields over or `.dry_run()`. `metadata.managedFields` of `foo` is
    /// not sent (the server refuses it in an apply).
    pub async fn apply_with(&self, foo: &Foo, pp: &PatchParams) -> Result<Foo> {
        let (name, body) = apply_body(foo, pp)?;
        Ok(self.api.patch(name, pp, &Patch::Apply(&body)).await?)
    }

    /// Deletes a Foo: [`Deletion::Deleted`] with the object as last seen, or
    /// [`Deletion::Finalizing`] when finalizers hold it.
    pub async fn delete(&self, name: &str, dp: &DeleteParams) -> Result<Deletion> {
        check_name(name)?;
        let answer = self.api.delete(name, dp).await?;
        Ok(answer.either(
            |foo| {
                let held = foo.metadata.deletion_timestamp.is_some()
                    && foo
                        .metadata
                        .finalizers
                        .as_ref()
                        .is_some_and(|f| !f.is_empty());
                match held {
                    true => Deletion::Finalizing(Box::new(foo)),
                    false => Deletion::Deleted(Box::new(foo)),
                }
            },
            |status| Deletion::Status(Box::new(status)),
        ))
    }

    /// Deletes every Foo matching `lp` (`deletecollection`) and returns them as last seen.
    pub async fn delete_collection(&self, dp: &DeleteParams, lp: &ListParams) -> Result<Vec<Foo>> {
        let answer = self.api.delete_collection(dp, lp).await?;
        Ok(answer.either(|list| list.items, |_status| Vec::new()))
    }

    // ----- the status subresource -----

    /// A Foo read through `foos/status`.
    pub async fn get_status(&self, name: &str) -> Result<Foo> {
        check_name(name)?;
        Ok(self.api.get_status(name).await?)
    }

    /// Patches `foos/status`: only `status` changes (and `metadata` labels/annotations);
    /// changes to `spec` are ignored.
    ///
    /// ```no_run
    /// use foo_sdk::{FooApi, Patch, PatchParams};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let patch = serde_json::json!({"status": {"lastMessage": "reset"}});
    /// let foo = foos.patch_status("hello", &PatchParams::default(), &Patch::Merge(&patch)).await?;
    /// assert_eq!(foo.last_message(), Some("reset"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn patch_status<P: Serialize + fmt::Debug>(
        &self,
        name: &str,
        pp: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<Foo> {
        check_name(name)?;
        Ok(self
            .api
            .patch_status(name, &self.patch_params(pp), patch)
            .await?)
    }

    /// Replaces `foos/status` (`PUT`): `foo.metadata.resourceVersion` must be current.
    pub async fn replace_status(&self, name: &str, pp: &PostParams, foo: &Foo) -> Result<Foo> {
        check_name(name)?;
        Ok(self
            .api
            .replace_status(name, &self.post_params(pp), foo)
            .await?)
    }

    /// Server-side apply of `foo.status` through `foos/status`, as `pp`'s field manager
    /// (`PatchParams::apply(manager)`, what controllers use to own their status fields).
    pub async fn apply_status(&self, foo: &Foo, pp: &PatchParams) -> Result<Foo> {
        let (name, body) = apply_body(foo, pp)?;
        Ok(self
            .api
            .patch_status(name, pp, &Patch::Apply(&body))
            .await?)
    }

    // ----- the bar subresource -----

    /// Calls `bar` (`POST …/foos/<name>/bar`): answers `<greeting>, <arg1>` and, unless
    /// `dry_run`, counts the call in the status (`barCount`, `lastBarTime`, `lastMessage`).
    ///
    /// Errors: [`NotFound`](crate::Reason::NotFound) for an unknown Foo,
    /// [`Conflict`](crate::Reason::Conflict) for a suspended one,
    /// [`BadRequest`](crate::Reason::BadRequest) for a bad `arg1`.
    pub async fn bar(&self, name: &str, params: &BarParams) -> Result<FooBar> {
        check_name(name)?;
        let mut url = format!("{}/{name}/{BAR_SUBRESOURCE}", self.api.resource_url());
        let query = params.query();
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let request = http::Request::post(url)
            .body(Vec::new())
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        Ok(self.client.request::<FooBar>(request).await?)
    }

    // ----- server-side printing -----

    /// The Foos matching `lp` as the server prints them (`kubectl get foos`): one [`Table`]
    /// holding every page (`lp.limit` rows a page), each row with its
    /// [`PartialObjectMetadata`](crate::table::PartialObjectMetadata).
    pub async fn table(&self, lp: &ListParams) -> Result<Table> {
        self.table_with(lp, IncludeObject::Metadata).await
    }

    /// As [`table`](Self::table), with rows carrying no object, their metadata or the whole
    /// Foo as `include` says.
    pub async fn table_with(&self, lp: &ListParams, include: IncludeObject) -> Result<Table> {
        let mut lp = lp.clone();
        let mut table = self.table_page(&lp, include).await?;
        while next_page(&mut lp, table.metadata.continue_.take())? {
            let page = self.table_page(&lp, include).await?;
            if table.column_definitions.is_empty() {
                table.column_definitions = page.column_definitions;
            }
            table.rows.extend(page.rows);
            table.metadata.continue_ = page.metadata.continue_;
            table.metadata.remaining_item_count = page.metadata.remaining_item_count;
        }
        table.metadata.remaining_item_count = None;
        Ok(table)
    }

    /// One page of the Table: at most `lp.limit` rows from `lp.continue_token` on; its
    /// [`continue_token`](Table::continue_token) asks for the next.
    pub async fn table_page(&self, lp: &ListParams, include: IncludeObject) -> Result<Table> {
        let request = kube::core::Request::new(self.api.resource_url())
            .list(lp)
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        self.request_table(request, include).await
    }

    /// One Foo as the server prints it (`kubectl get foo <name>`): a one-row [`Table`] with
    /// the same columns as [`table`](Self::table), its row carrying no object, the Foo's
    /// metadata or the whole Foo as `include` says. An unknown name is
    /// [`Reason::NotFound`](crate::Reason::NotFound).
    ///
    /// ```no_run
    /// use foo_sdk::FooApi;
    /// use foo_sdk::table::IncludeObject;
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let table = foos.get_table("hello", IncludeObject::Metadata).await?;
    /// print!("{}", table.to_text(false)); // NAME    GREETING   BARS   READY   AGE …
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_table(&self, name: &str, include: IncludeObject) -> Result<Table> {
        check_name(name)?;
        let request = http::Request::get(format!("{}/{name}", self.api.resource_url()))
            .body(Vec::new())
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        self.request_table(request, include).await
    }

    /// Sends `request` asking for a Table (`includeObject` added to its query).
    async fn request_table(
        &self,
        mut request: http::Request<Vec<u8>>,
        include: IncludeObject,
    ) -> Result<Table> {
        let uri = request.uri().to_string();
        let separator = if uri.contains('?') { '&' } else { '?' };
        *request.uri_mut() = format!("{uri}{separator}includeObject={}", include.as_str())
            .parse()
            .map_err(|e: http::uri::InvalidUri| Error::InvalidRequest(e.to_string()))?;
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static(ACCEPT_TABLE));
        let text = self.client.request_text(request).await?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(Error::Decode)?;
        match value.get("kind").and_then(|k| k.as_str()) {
            Some("Table") => serde_json::from_value(value).map_err(Error::Decode),
            other => Err(Error::UnexpectedResponse(format!(
                "a Table was asked for, the server sent kind {}",
                other.unwrap_or("<none>")
            ))),
        }
    }

    // ----- watching -----

    /// Watches Foos from `resource_version` (e.g. a list's `metadata.resourceVersion`, or
    /// `"0"` for any): a stream of [`FooEvent`]s that ends when the server closes the watch
    /// (`wp.timeout`). A too-old resourceVersion comes as an `Err` with
    /// [`Error::is_expired`]; relist then. For a watch that relists and resumes by itself,
    /// use [`watcher`](Self::watcher).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use foo_sdk::{FooApi, FooEvent, ListParams, WatchParams};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let list = foos.list(&ListParams::default()).await?;
    /// let version = list.metadata.resource_version.unwrap_or_default();
    /// let mut events = Box::pin(foos.watch(&WatchParams::default(), &version).await?);
    /// while let Some(event) = events.try_next().await? {
    ///     if let FooEvent::Added(foo) = event {
    ///         println!("new Foo {}", foo.name());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn watch(
        &self,
        wp: &WatchParams,
        resource_version: &str,
    ) -> Result<impl Stream<Item = Result<FooEvent>> + Send + use<>> {
        let events = self.api.watch(wp, resource_version).await?;
        Ok(events.map(|event| match event? {
            WatchEvent::Added(foo) => Ok(FooEvent::Added(foo)),
            WatchEvent::Modified(foo) => Ok(FooEvent::Modified(foo)),
            WatchEvent::Deleted(foo) => Ok(FooEvent::Deleted(foo)),
            WatchEvent::Bookmark(bookmark) => Ok(FooEvent::Bookmark(Bookmark {
                initial_events_end: bookmark
                    .metadata
                    .annotations
                    .get("k8s.io/initial-events-end")
                    .is_some_and(|v| v == "true"),
                resource_version: bookmark.metadata.resource_version,
            })),
            WatchEvent::Error(status) => Err(Error::from(status)),
        }))
    }

    /// A `kube::runtime` watcher of Foos: lists, watches, and relists on its own after
    /// errors such as `410 Expired`. The stream works with `kube::runtime::WatchStreamExt`
    /// (`applied_objects`, `default_backoff`, …) and reflectors.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use foo_sdk::{watcher, FooApi};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let mut events = Box::pin(foos.watcher(watcher::Config::default()));
    /// while let Some(event) = events.try_next().await? {
    ///     match event {
    ///         watcher::Event::Apply(foo) => println!("{} changed", foo.name()),
    ///         watcher::Event::Delete(foo) => println!("{} deleted", foo.name()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "runtime")]
    #[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
    pub fn watcher(
        &self,
        config: crate::watcher::Config,
    ) -> impl Stream<Item = Result<crate::watcher::Event<Foo>, crate::watcher::Error>> + Send + use<>
    {
        kube::runtime::watcher(self.api.clone(), config)
    }

    // ----- one Foo over time -----

    /// The changes of the Foo named `name` from now on: `Added` when it is created,
    /// `Modified` at each change (the controller's status writes included), `Deleted` when
    /// it goes. The stream goes on across the watches the server ends (bookmarks only move it
    /// on; none are yielded) and ends with an error the watch cannot go on from, such as
    /// [`Error::is_expired`] after a long disconnection.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use foo_sdk::{FooApi, FooEvent};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// let mut changes = Box::pin(foos.watch_one("hello").await?);
    /// while let Some(event) = changes.try_next().await? {
    ///     match event {
    ///         FooEvent::Deleted(_) => break,
    ///         event => println!("{}: {:?}", event.type_name(), event.object().map(|f| f.bar_count())),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn watch_one(
        &self,
        name: &str,
    ) -> Result<impl Stream<Item = Result<FooEvent>> + Send + use<>> {
        check_name(name)?;
        let (_, version) = self.current(name).await?;
        Ok(self.follow(name, version))
    }

    /// Waits until `condition` holds for the Foo named `name` (`None` while it does not
    /// exist) and returns what it held for. The condition is checked on the Foo as it is now,
    /// then on each change, with a new read when the watch cannot go on. There is no time
    /// limit: wrap the call in `tokio::time::timeout` for one.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use foo_sdk::FooApi;
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// // Until bar has been called three times, for at most a minute.
    /// let waited = tokio::time::timeout(
    ///     Duration::from_secs(60),
    ///     foos.wait_for("hello", |foo| foo.is_some_and(|foo| foo.bar_count() >= 3)),
    /// )
    /// .await;
    /// match waited {
    ///     Ok(found) => println!("{:?} reached 3 bars", found?.map(|foo| foo.bar_count())),
    ///     Err(_) => println!("still fewer than 3 bars after a minute"),
    /// }
    /// // Until it is gone.
    /// foos.wait_for("hello", |foo| foo.is_none()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(
        &self,
        name: &str,
        condition: impl Fn(Option<&Foo>) -> bool,
    ) -> Result<Option<Foo>> {
        check_name(name)?;
        loop {
            let (foo, version) = self.current(name).await?;
            if condition(foo.as_ref()) {
                return Ok(foo);
            }
            let mut changes = std::pin::pin!(self.follow(name, version));
            while let Some(event) = changes.next().await {
                match event {
                    Ok(FooEvent::Added(foo) | FooEvent::Modified(foo)) if condition(Some(&foo)) => {
                        return Ok(Some(foo));
                    }
                    Ok(FooEvent::Deleted(_)) if condition(None) => return Ok(None),
                    Ok(_) => {}
                    // Too far behind to go on: read it again.
                    Err(e) if e.is_expired() => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Waits until the Foo named `name` is Ready for its current spec (the controller has
    /// reconciled its latest generation and set `Ready` to `True`) and returns it. A Foo that
    /// does not exist, or is deleted while waiting, is [`Error::is_not_found`]; a suspended
    /// Foo is not Ready until resumed.
    ///
    /// ```no_run
    /// use foo_sdk::{Foo, FooApi, FooSpec, PostParams};
    ///
    /// # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
    /// foos.create(&PostParams::default(), &Foo::new("hello", FooSpec::default())).await?;
    /// let ready = foos.wait_ready("hello").await?;
    /// assert!(ready.is_ready() && ready.is_reconciled());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_ready(&self, name: &str) -> Result<Foo> {
        let ready = |foo: &Foo| foo.is_reconciled() && foo.is_ready();
        let found = self.wait_for(name, |foo| foo.is_none_or(ready)).await?;
        found.ok_or_else(|| {
            let message = format!("{}.{} \"{name}\" not found", crate::PLURAL, crate::GROUP);
            Error::from(Status::failure(&message, "NotFound").with_code(404))
        })
    }

    /// The Foo named `name` if it exists, and the resourceVersion to watch it from.
    async fn current(&self, name: &str) -> Result<(Option<Foo>, String)> {
        let list = self
            .api
            .list(&ListParams::default().fields(&one(name)))
            .await?;
        let version = list.metadata.resource_version.unwrap_or_default();
        Ok((list.items.into_iter().next(), version))
    }

    /// The events of the Foo named `name` after `version`, watch after watch.
    fn follow(
        &self,
        name: &str,
        version: String,
    ) -> impl Stream<Item = Result<FooEvent>> + Send + use<> {
        let following = Following {
            foos: self.clone(),
            params: WatchParams::default().fields(&one(name)),
            version,
            events: None,
            failed: false,
        };
        futures::stream::unfold(following, |mut f| async move {
            if f.failed {
                return None;
            }
            loop {
                let events = match &mut f.events {
                    Some(events) => events,
                    None => match f.foos.watch(&f.params, &f.version).await {
                        Ok(events) => f.events.insert(events.boxed()),
                        Err(e) => {
                            f.failed = true;
                            return Some((Err(e), f));
                        }
                    },
                };
                match events.next().await {
                    // The server ended this watch: the next one goes on from here.
                    None => f.events = None,
                    Some(Err(e)) => {
                        f.failed = true;
                        return Some((Err(e), f));
                    }
                    Some(Ok(event)) => {
                        if let Some(version) = event.resource_version() {
                            f.version = version.to_owned();
                        }
                        if !matches!(event, FooEvent::Bookmark(_)) {
                            return Some((Ok(event), f));
                        }
                    }
                }
            }
        })
    }

    // ----- discovery -----

    /// What the server says about the group: versions, resources, subresources; `None`
    /// when it does not serve the group. See [`discovery::discover`].
    pub async fn discover(&self) -> Result<Option<GroupDiscovery>> {
        discovery::discover(&self.client).await
    }

    /// Whether the server serves `demo.jeremyxu2010.me/v1beta1` with the `foos` resource.
    pub async fn is_served(&self) -> Result<bool> {
        discovery::is_served(&self.client).await
    }
}

/// The field selector of the Foo named `name`.
fn one(name: &str) -> String {
    format!("metadata.name={name}")
}

/// Where [`FooApi::watch_one`] is: the watch under way, and the resourceVersion the next
/// one starts from.
struct Following {
    foos: FooApi,
    params: WatchParams,
    version: String,
    events: Option<futures::stream::BoxStream<'static, Result<FooEvent>>>,
    failed: bool,
}

/// Refuses names that would address something else than one Foo: kube puts the name in the
/// path as it is, so `a?b` would read `a` and `a/b` another path; characters that a path
/// segment cannot hold unescaped (`?`, `#`, `%`, spaces, …) are refused with `/`, `.`, `..`.
/// No valid Foo name (a DNS subdomain) has any of them.
fn check_name(name: &str) -> Result<()> {
    let segment_char = |c: char| c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=".contains(c);
    if name.is_empty() || !name.chars().all(segment_char) || name == "." || name == ".." {
        return Err(Error::InvalidRequest(format!("{name:?} is not a Foo name")));
    }
    Ok(())
}

/// Sets up `lp` for the page after one whose `metadata.continue` is `token`; false when
/// there is none.
fn next_page(lp: &mut ListParams, token: Option<String>) -> Result<bool> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    if lp.continue_token.as_deref() == Some(token.as_str()) {
        return Err(Error::UnexpectedResponse(
            "the server sent the same continue token twice".to_owned(),
        ));
    }
    // The token pins the snapshot; resourceVersion (Match) may not come with it.
    lp.continue_token = Some(token);
    lp.resource_version = None;
    lp.version_match = None;
    Ok(true)
}

fn apply_body<'a>(foo: &'a Foo, pp: &PatchParams) -> Result<(&'a str, Foo)> {
    let name = foo
        .metadata
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::InvalidRequest("a Foo to apply needs metadata.name".into()))?;
    check_name(name)?;
    if pp.field_manager.as_deref().unwrap_or_default().is_empty() {
        return Err(Error::InvalidRequest(
            "server-side apply needs a field manager: PatchParams::apply(\"name\")".into(),
        ));
    }
    let mut body = foo.clone();
    body.metadata.managed_fields = None;
    Ok((name, body))
}

/// Programs spawn these calls on multi-threaded runtimes, so every future must be `Send`:
/// checked at compile time.
#[cfg(test)]
#[allow(dead_code, clippy::let_underscore_future)]
fn futures_are_send(foos: &FooApi, foo: &Foo) {
    fn send<T: Send>(_: T) {}
    let (pp, lp, dp) = (
        PostParams::default(),
        ListParams::default(),
        DeleteParams::default(),
    );
    send(foos.get("x"));
    send(foos.list_all(&lp));
    send(foos.create(&pp, foo));
    send(foos.replace("x", &pp, foo));
    send(foos.apply(foo, "me"));
    send(foos.delete("x", &dp));
    send(foos.bar("x", &BarParams::default()));
    send(foos.table(&lp));
    send(foos.watch(&WatchParams::default(), "0"));
    send(foos.discover());
}
