//! One function per command.

use std::io::{IsTerminal, Read};

use std::time::{Duration, Instant};

use foo_sdk::table::{FooRow, IncludeObject, Table};
use foo_sdk::{
    API_VERSION, BarParams, DeleteParams, Deletion, Foo, FooEvent, GROUP, ListParams, Patch,
    PatchParams, PostParams, VERSION, ValidationDirective,
};
use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::api::{KIND_GROUP, ListOptions, TableEvent, to_value};
use crate::error::{Error, Result};
use crate::kubeconfig::Connection;
use crate::live::LiveTable;
use crate::printer::{self, Format, ObjectStream, ObjectStyle, TableStyle, out};
use crate::{
    ApiResourcesArgs, ApplyArgs, BarArgs, Cli, Command, CompletionArgs, CreateArgs, DeleteArgs,
    DryRun, GetArgs, ListArgs, Selection, ServerDryRun, Shell, StatusArgs, VersionArgs, term,
};

/// Runs the parsed command line.
pub async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completion(args) => completion(&args),
        Command::Version(args) if args.client => version(None, &args).await,
        command => {
            let conn = cli.kube.connect().await?;
            let done = match command {
                Command::List(args) => list(&conn, &args).await,
                Command::Get(args) => get(&conn, &args).await,
                Command::Describe(args) => describe(&conn, &args).await,
                Command::Status(args) => status(&conn, &args).await,
                Command::Create(args) => create(&conn, &args).await,
                Command::Apply(args) => apply(&conn, &args).await,
                Command::Suspend(args) => set_suspend(&conn, &args, true).await,
                Command::Resume(args) => set_suspend(&conn, &args, false).await,
                Command::Delete(args) => delete(&conn, &args).await,
                Command::Bar(args) => bar(&conn, &args).await,
                Command::ApiResources(args) => api_resources(&conn, &args).await,
                Command::Version(args) => version(Some(&conn), &args).await,
                Command::Completion(_) => unreachable!(),
            };
            done.map_err(|e| e.naming_server(&conn.server))
        }
    }
}

fn print_one(format: Option<&str>, object: &Value, default: impl FnOnce() -> String) -> Result<()> {
    match Format::parse(format)? {
        Format::Table | Format::Wide => out(&default()),
        other => out(&printer::print_objects(
            &other,
            std::slice::from_ref(object),
            true,
            ObjectStyle::default(),
        )?),
    }
    Ok(())
}

/// `kubectl foo list`
pub async fn list(conn: &Connection, args: &ListArgs) -> Result<()> {
    let format = args.print.format()?;
    let opts = ListOptions {
        label_selector: args.selector.clone(),
        field_selector: args.field_selector.clone(),
        limit: args.chunk_size.max(0),
        include_object: args.sort_by.is_some(),
    };
    let watch = args.watch || args.watch_only;
    // With --output-watch-events the objects listed first are ADDED events too.
    let listed_event = args.output_watch_events.then_some("ADDED");
    if format.needs_objects() {
        let (mut items, mut version) = conn.list_objects(&opts).await?;
        if let Some(sort) = &args.sort_by {
            printer::sort_objects(&mut items, sort)?;
        }
        if !watch {
            if items.is_empty() && !matches!(format, Format::Json | Format::Yaml) {
                eprintln!("No resources found");
            } else {
                let style = args.print.object_style();
                out(&printer::print_objects(&format, &items, false, style)?);
            }
            return Ok(());
        }
        let mut stream =
            ObjectStream::new(&format, args.print.object_style(), args.output_watch_events);
        if !args.watch_only {
            for item in &items {
                out(&stream.print("ADDED", item)?);
            }
        }
        let wp = opts.watch_params();
        loop {
            let started = Instant::now();
            let mut events = Box::pin(conn.foos.watch(&wp, &version).await?);
            while let Some(event) = events.try_next().await? {
                if let Some(v) = event.resource_version() {
                    version = v.to_string();
                }
                let (kind, foo) = match &event {
                    FooEvent::Added(foo) => ("ADDED", foo),
                    FooEvent::Modified(foo) => ("MODIFIED", foo),
                    FooEvent::Deleted(foo) => ("DELETED", foo),
                    _ => continue,
                };
                out(&stream.print(kind, &to_value(foo)?)?);
            }
            if !resume_watch(started) {
                return Ok(());
            }
        }
    }
    let style = args.print.table_style(&format);
    let mut table = conn
        .foos
        .table_with(&opts.list_params(), opts.include())
        .await?;
    let resource_version = table.metadata.resource_version.clone().unwrap_or_default();
    if let Some(sort) = &args.sort_by {
        printer::sort_rows(&mut table, sort)?;
    }
    // On a terminal, `-w` keeps one table current in place; piped, or with watch events
    // asked for, it prints a line per change as kubectl get -w does.
    let redraw =
        watch && !args.watch_only && !args.output_watch_events && std::io::stdout().is_terminal();
    let mut live =
        redraw.then(|| LiveTable::new(table.clone(), style.clone(), args.sort_by.clone()));
    let width = || usize::from(dialoguer::console::Term::stdout().size().1);
    let mut printed_header = false;
    let mut widths = Vec::new();
    if let Some(live) = &mut live {
        out(&live.redraw(width())?);
    } else if !args.watch_only {
        if table.rows.is_empty() {
            if !watch {
                eprintln!("No resources found");
            }
        } else {
            let (text, w) = printer::render_table_min(&table, &style, listed_event, &[]);
            out(&text);
            widths = w;
            printed_header = true;
        }
    }
    if watch {
        let mut columns = table.column_definitions.clone();
        let mut version = resource_version;
        loop {
            let started = Instant::now();
            let mut events = Box::pin(conn.watch_table(&opts, &version).await?);
            while let Some(event) = events.try_next().await? {
                let (mut row, kind) = match event {
                    TableEvent::Bookmark(v) => {
                        version = v;
                        continue;
                    }
                    TableEvent::Row(row, kind) => (row, kind),
                };
                if let Some(v) = row_version(&row) {
                    version = v;
                }
                if let Some(live) = &mut live {
                    live.apply(row, kind == "DELETED");
                    out(&live.redraw(width())?);
                    continue;
                }
                if row.column_definitions.is_empty() {
                    row.column_definitions = columns.clone();
                } else if columns.is_empty() {
                    columns = row.column_definitions.clone();
                }
                let style = TableStyle {
                    headers: style.headers && !printed_header,
                    ..style.clone()
                };
                let event = args.output_watch_events.then_some(kind);
                let (text, w) = printer::render_table_min(&row, &style, event, &widths);
                out(&text);
                widths = w;
                printed_header = true;
            }
            if !resume_watch(started) {
                break;
            }
        }
    }
    Ok(())
}

/// The server ends a watch after `timeoutSeconds` (kube asks for 290s); `-w` then goes on
/// from the last resourceVersion seen, unless the watch ended at once (the server is going
/// away, or refuses to hold watches).
fn resume_watch(started: Instant) -> bool {
    started.elapsed() >= Duration::from_secs(1)
}

/// The resourceVersion of the object in a one-row watch Table.
fn row_version(row: &Table) -> Option<String> {
    let object = row.rows.first()?.partial_object()?.ok()?;
    object.metadata.resource_version
}

/// `kubectl foo get NAME…`
pub async fn get(conn: &Connection, args: &GetArgs) -> Result<()> {
    let format = args.print.format()?;
    if args.watch {
        // As kubectl: one Foo, shown and then watched as `list -w` does its selection.
        let [name] = &args.names[..] else {
            return Err(Error::msg(format!(
                "watch is only supported on individual resources and resource collections, but {} resources were found",
                args.names.len()
            )));
        };
        conn.foos.get(name).await?;
        let watched = ListArgs {
            print: args.print.clone(),
            selector: None,
            field_selector: Some(format!("metadata.name={name}")),
            sort_by: None,
            watch: true,
            watch_only: false,
            output_watch_events: args.output_watch_events,
            chunk_size: 0,
            all_namespaces: false,
        };
        return list(conn, &watched).await;
    }
    let mut outcome = Outcome::new();
    let mut report = |error: foo_sdk::Error| {
        let error = Error::from(error);
        if !(args.ignore_not_found && error.is_not_found()) {
            outcome.report(error);
        }
    };
    if format.needs_objects() {
        let mut items = Vec::new();
        for name in &args.names {
            match conn.foos.get(name).await {
                Ok(foo) => items.push(to_value(&foo)?),
                Err(e) => report(e),
            }
        }
        if !items.is_empty() {
            let single = args.names.len() == 1;
            let style = args.print.object_style();
            out(&printer::print_objects(&format, &items, single, style)?);
        }
    } else {
        let mut table: Option<Table> = None;
        for name in &args.names {
            match conn.foos.get_table(name, IncludeObject::Metadata).await {
                Ok(t) => match &mut table {
                    None => table = Some(t),
                    Some(all) => all.rows.extend(t.rows),
                },
                Err(e) => report(e),
            }
        }
        if let Some(table) = table {
            out(&printer::render_table(
                &table,
                &args.print.table_style(&format),
            ));
        }
    }
    outcome.finish()
}

/// The Foos a selection stands for: those named (each read, a missing one reported), or
/// those the label selector or `--all` finds.
async fn selected_foos(conn: &Connection, selection: &Selection) -> Result<Vec<Result<Foo>>> {
    if selection.names.is_empty() {
        let lp = ListParams {
            label_selector: selection.selector.clone(),
            ..ListParams::default()
        };
        let foos = conn.foos.list_all(&lp).await?;
        return Ok(foos.into_iter().map(Ok).collect());
    }
    let mut foos = Vec::new();
    for name in &selection.names {
        foos.push(conn.foos.get(name).await.map_err(Error::from));
    }
    Ok(foos)
}

/// The names a selection stands for, without reading the Foos it names.
async fn selected_names(conn: &Connection, selection: &Selection) -> Result<Vec<String>> {
    if !selection.names.is_empty() {
        return Ok(selection.names.clone());
    }
    let found = selected_foos(conn, selection).await?;
    Ok(found
        .iter()
        .flatten()
        .map(|foo| foo.name().to_owned())
        .collect())
}

/// Reports each failure on stderr as it comes and goes on, as kubectl does with several
/// objects; fails at the end if any failed.
struct Outcome {
    failed: bool,
}

impl Outcome {
    fn new() -> Self {
        Outcome { failed: false }
    }

    fn report(&mut self, error: Error) {
        self.report_text(&error.one_line());
    }

    fn report_text(&mut self, text: &str) {
        eprintln!("{text}");
        self.failed = true;
    }

    fn finish(self) -> Result<()> {
        // Already printed: exit 1 without printing it twice.
        if self.failed {
            Err(Error::Reported)
        } else {
            Ok(())
        }
    }
}

/// `kubectl foo describe NAME…|-l SELECTOR|--all`
pub async fn describe(conn: &Connection, args: &Selection) -> Result<()> {
    let foos = selected_foos(conn, args).await?;
    if foos.is_empty() {
        eprintln!("No resources found");
        return Ok(());
    }
    let mut outcome = Outcome::new();
    let mut first = true;
    for foo in foos {
        match foo {
            Ok(foo) => {
                // kubectl separates descriptions with two blank lines.
                let separator = if first { "" } else { "\n\n" };
                out(&format!(
                    "{separator}{}",
                    crate::describe::describe(&to_value(&foo)?)
                ));
                first = false;
            }
            Err(e) => outcome.report(e),
        }
    }
    outcome.finish()
}

/// `kubectl foo status NAME`
pub async fn status(conn: &Connection, args: &StatusArgs) -> Result<()> {
    let foo = conn.foos.get(&args.name).await?;
    out(&crate::status::report(
        &foo,
        k8s_openapi::jiff::Timestamp::now(),
    ));
    Ok(())
}

/// `kubectl foo create NAME`
pub async fn create(conn: &Connection, args: &CreateArgs) -> Result<()> {
    let format = Format::parse(args.output.as_deref())?;
    let mut spec = serde_json::Map::new();
    if let Some(g) = &args.greeting {
        spec.insert("greeting".into(), json!(g));
    }
    if args.suspend {
        spec.insert("suspend".into(), json!(true));
    }
    let mut metadata = json!({"name": args.name});
    if !args.labels.is_empty() {
        metadata["labels"] = json!(args.labels);
    }
    let object = json!({
        "apiVersion": API_VERSION,
        "kind": "Foo",
        "metadata": metadata,
        "spec": spec,
    });
    let pp = |dry_run| PostParams {
        dry_run,
        ..PostParams::default()
    };
    let foo: Foo = serde_json::from_value(object.clone())?;
    let (created, suffix) = match args.dry_run {
        DryRun::Client => (object, " (dry run)"),
        DryRun::Server => (
            to_value(&conn.foos.create(&pp(true), &foo).await?)?,
            " (server dry run)",
        ),
        DryRun::None => (to_value(&conn.foos.create(&pp(false), &foo).await?)?, ""),
    };
    if !matches!(format, Format::Table) {
        return print_one(args.output.as_deref(), &created, String::new);
    }
    out(&format!("{} created{suffix}\n", printer::name_of(&created)));
    Ok(())
}

/// An object read from a manifest file, and where.
struct Manifest {
    file: String,
    /// Its place among the file's objects (from 1), and how many the file holds.
    at: usize,
    of: usize,
    object: Value,
}

/// The objects of every `-f`: files, `-` for stdin, and directories (their `.json`, `.yaml`
/// and `.yml` files, in name order; with `-R`, those of their subdirectories too), as
/// kubectl reads them.
fn read_manifests(filenames: &[String], recursive: bool) -> Result<Vec<Manifest>> {
    let mut files = Vec::new();
    for filename in filenames {
        let path = std::path::Path::new(filename);
        if filename != "-" && path.is_dir() {
            files_of(path, recursive, &mut files)?;
        } else if filename == "-" || path.exists() {
            files.push(filename.clone());
        } else {
            return Err(Error::msg(format!(
                "the path \"{filename}\" does not exist"
            )));
        }
    }
    let mut manifests = Vec::new();
    for file in files {
        let objects = read_documents(&file)?;
        let of = objects.len();
        manifests.extend(
            objects
                .into_iter()
                .enumerate()
                .map(|(at, object)| Manifest {
                    file: file.clone(),
                    at: at + 1,
                    of,
                    object,
                }),
        );
    }
    Ok(manifests)
}

/// The manifest files of a directory, in name order.
fn files_of(dir: &std::path::Path, recursive: bool, files: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Error::msg(format!(
                "the path \"{}\" cannot be read: {e}",
                dir.display()
            ))
        })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                files_of(&path, recursive, files)?;
            }
        } else if path
            .extension()
            .is_some_and(|ext| ["json", "yaml", "yml"].contains(&ext.to_string_lossy().as_ref()))
        {
            files.push(path.display().to_string());
        }
    }
    Ok(())
}

fn read_documents(file: &str) -> Result<Vec<Value>> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Error::msg(format!("the path \"{file}\" cannot be read: {e}")))?
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Parse(format!("error parsing {file}: {e}")))?;
        return Ok(flatten(value));
    }
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| {
        // serde-saphyr's message: the place, then a snippet of the text marking it.
        let message = e.to_string().replace("<input>", file);
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        Error::Parse(format!("error parsing {file}: {}", message.trim_end()))
    })?;
    Ok(documents
        .into_iter()
        .filter(|d| !d.is_null())
        .flat_map(flatten)
        .collect())
}

fn flatten(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        v if v["kind"].as_str().is_some_and(|k| k.ends_with("List")) => {
            v["items"].as_array().cloned().unwrap_or_default()
        }
        v => vec![v],
    }
}

/// `kubectl foo apply -f FILE|-`
///
/// Every object in the file is checked before any is applied; an object the server refuses
/// is reported and the others are still applied, as kubectl does.
pub async fn apply(conn: &Connection, args: &ApplyArgs) -> Result<()> {
    let format = Format::parse(args.output.as_deref())?;
    if args.server_side && args.dry_run == DryRun::Client {
        return Err(Error::usage(
            "--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)",
        ));
    }
    let suffix = match args.dry_run {
        DryRun::None => "",
        DryRun::Server => " (server dry run)",
        DryRun::Client => " (dry run)",
    };
    let manifests = read_manifests(&args.filenames, args.recursive)?;
    if manifests.is_empty() {
        return Err(Error::msg("no objects passed to apply"));
    }
    let objects = manifests
        .into_iter()
        .map(|manifest| {
            let name = manifest_name(&manifest.object).map_err(|why| {
                Error::msg(format!(
                    "{} (object {} of {}): {why}; nothing was applied",
                    manifest.file, manifest.at, manifest.of
                ))
            })?;
            Ok((name, manifest))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results = Vec::new();
    let mut outcome = Outcome::new();
    for (name, manifest) in objects {
        match apply_one(conn, args, &name, manifest.object).await {
            Ok((object, verb)) => {
                if matches!(format, Format::Table) {
                    out(&format!("{} {verb}{suffix}\n", printer::name_of(&object)));
                }
                results.push(object);
            }
            Err(error) => outcome.report_text(&applying_error(error, &name, &manifest.file)),
        }
    }
    if !matches!(format, Format::Table) && !results.is_empty() {
        out(&printer::print_objects(
            &format,
            &results,
            results.len() == 1,
            ObjectStyle::default(),
        )?);
    }
    outcome.finish()
}

/// The name of a Foo manifest, or why it is not one.
fn manifest_name(doc: &Value) -> std::result::Result<String, String> {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default();
    let kind = doc["kind"].as_str().unwrap_or_default();
    if api_version != API_VERSION || kind != "Foo" {
        return Err(format!(
            "only {API_VERSION} Foo objects can be applied, not {api_version} {kind}"
        ));
    }
    doc["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "the object has no metadata.name".into())
}

/// Applies one manifest: the object as the server answered, and what happened to it.
async fn apply_one(
    conn: &Connection,
    args: &ApplyArgs,
    name: &str,
    doc: Value,
) -> Result<(Value, &'static str)> {
    let dry_run = args.dry_run == DryRun::Server;
    if args.server_side {
        let mut pp = PatchParams::apply(&args.field_manager).validation_strict();
        pp.force = args.force_conflicts;
        pp.dry_run = dry_run;
        // The manifest as read (not a typed Foo), so that unknown fields are refused.
        let applied = conn.foos.patch(name, &pp, &Patch::Apply(&doc)).await?;
        return Ok((to_value(&applied)?, "serverside-applied"));
    }
    let current = conn.foos.get_opt(name).await?;
    if args.dry_run == DryRun::Client {
        // Nothing is sent: the manifest is what would be applied.
        let verb = if current.is_some() {
            "configured"
        } else {
            "created"
        };
        return Ok((doc, verb));
    }
    let Some(current) = current else {
        let created = conn.create_manifest(&doc, dry_run).await?;
        return Ok((to_value(&created)?, "created"));
    };
    let mut patch = doc;
    if let Some(map) = patch.as_object_mut() {
        map.remove("status");
        map.remove("apiVersion");
        map.remove("kind");
    }
    // As kubectl: a patch that changes nothing is not sent, so that a write racing in
    // between (the controller's) does not make the Foo look configured.
    let live = to_value(&current)?;
    let mut merged = live.clone();
    json_patch::merge(&mut merged, &patch);
    if merged == live {
        return Ok((live, "unchanged"));
    }
    let patched = conn
        .foos
        .patch(name, &merge_params(dry_run), &Patch::Merge(&patch))
        .await?;
    let same = patched.metadata.resource_version == current.metadata.resource_version;
    let verb = if same { "unchanged" } else { "configured" };
    Ok((to_value(&patched)?, verb))
}

/// kubectl's advice after a server-side apply conflict.
const CONFLICT_HINT: &str =
    "Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from the manifest) or they update
  the field to a matching value.

See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts";

/// How a failed apply of one object is reported, naming it.
fn applying_error(error: Error, name: &str, file: &str) -> String {
    match error {
        // As kubectl: the server's conflict message as it is (one line per field), then
        // what to do about it.
        Error::Api(status) if status.code == 409 && status.message.starts_with("Apply failed") => {
            format!("error: {}\n{CONFLICT_HINT}", status.message)
        }
        Error::Api(status) => format!(
            "Error from server ({}): error when applying {KIND_GROUP} \"{name}\" from \"{file}\": {}",
            status.reason,
            status.message.replace('\n', " ")
        ),
        other => other.one_line(),
    }
}

/// The parameters of the plugin's merge patches.
fn merge_params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::default()
    }
}

/// `kubectl foo suspend|resume NAME…|-l SELECTOR|--all`
pub async fn set_suspend(conn: &Connection, args: &Selection, suspend: bool) -> Result<()> {
    let names = selected_names(conn, args).await?;
    if names.is_empty() {
        eprintln!("No resources found");
        return Ok(());
    }
    let patch = json!({"spec": {"suspend": suspend}});
    let verb = if suspend { "suspended" } else { "resumed" };
    let mut outcome = Outcome::new();
    for name in &names {
        let patched = conn
            .foos
            .patch(name, &merge_params(false), &Patch::Merge(&patch))
            .await;
        match patched {
            Ok(foo) => out(&format!("{} {verb}\n", printer::name_of(&to_value(&foo)?))),
            Err(e) => outcome.report(e.into()),
        }
    }
    outcome.finish()
}

/// `kubectl foo delete NAME…|-l SELECTOR|--all`
pub async fn delete(conn: &Connection, args: &DeleteArgs) -> Result<()> {
    let names = selected_names(conn, &args.selection).await?;
    if names.is_empty() {
        eprintln!("No resources found");
        return Ok(());
    }
    let dry_run = args.dry_run == DryRun::Server;
    if args.dry_run == DryRun::Client {
        for name in &names {
            out(&format!("{KIND_GROUP} \"{name}\" deleted (dry run)\n"));
        }
        return Ok(());
    }
    if !args.yes && !dry_run {
        if !term::interactive() {
            return Err(Error::usage(
                "refusing to delete without confirmation when not on a terminal: pass --yes",
            ));
        }
        let prompt = if names.len() == 1 {
            format!("Delete {KIND_GROUP} \"{}\"?", names[0])
        } else {
            format!("Delete {} Foos ({})?", names.len(), names.join(", "))
        };
        let theme = term::theme();
        let confirmed = term::prompt(|on| {
            dialoguer::Confirm::with_theme(theme.as_ref())
                .with_prompt(prompt)
                .default(false)
                .interact_on(on)
        })?;
        if !confirmed {
            return Err(Error::msg("deletion cancelled"));
        }
    }
    let suffix = if dry_run { " (server dry run)" } else { "" };
    let dp = DeleteParams {
        dry_run,
        ..DeleteParams::default()
    };
    let mut outcome = Outcome::new();
    let mut finalizing = Vec::new();
    for name in &names {
        match conn.foos.delete(name, &dp).await.map_err(Error::from) {
            Ok(deletion) => {
                out(&format!("{KIND_GROUP} \"{name}\" deleted{suffix}\n"));
                if let Deletion::Finalizing(foo) = deletion {
                    finalizing.push((name, foo.metadata.uid));
                }
            }
            Err(e) if args.ignore_not_found && e.is_not_found() => {}
            Err(e) => outcome.report(e),
        }
    }
    // As kubectl's --wait: returns once each Foo is gone, its finalizers done (a Foo made
    // again under the same name meanwhile is another one).
    if args.wait && !dry_run {
        for (name, uid) in finalizing {
            let gone = |foo: Option<&Foo>| foo.is_none_or(|foo| foo.metadata.uid != uid);
            if let Err(e) = conn.foos.wait_for(name, gone).await {
                outcome.report(e.into());
            }
        }
    }
    outcome.finish()
}

/// `kubectl foo bar [NAME]`
pub async fn bar(conn: &Connection, args: &BarArgs) -> Result<()> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => {
            if !term::interactive() {
                return Err(Error::usage(
                    "a Foo name is required when not on a terminal: kubectl foo bar NAME",
                ));
            }
            let table = conn.foos.table(&ListParams::default()).await?;
            let foos = FooRow::from_table(&table)
                .map_err(|e| Error::msg(format!("the server's Foo table: {e}")))?;
            if foos.is_empty() {
                return Err(Error::msg("No resources found: create a Foo first"));
            }
            let items = picker_items(&foos);
            let theme = term::theme();
            let picked = term::prompt(|on| {
                dialoguer::FuzzySelect::with_theme(theme.as_ref())
                    .with_prompt("Foo")
                    .items(&items)
                    .default(0)
                    .interact_on_opt(on)
            })?;
            match picked {
                Some(i) => foos[i].name.clone(),
                None => return Err(Error::msg("no Foo picked")),
            }
        }
    };
    let params = BarParams {
        arg1: args.arg1.clone(),
        dry_run: args.dry_run == ServerDryRun::Server,
    };
    let answer = conn.foos.bar(&name, &params).await?;
    match args.output.as_deref() {
        Some("json") => out(&printer::to_json(&serde_json::to_value(&answer)?)?),
        Some("yaml") => out(&printer::to_yaml(&serde_json::to_value(&answer)?)),
        _ => out(&format!("{}\n", answer.message)),
    }
    Ok(())
}

/// The picker's lines: each Foo's name, and what would make bar fail or wait on it.
fn picker_items(foos: &[FooRow]) -> Vec<String> {
    let width = foos.iter().map(|foo| foo.name.len()).max().unwrap_or(0);
    foos.iter()
        .map(|foo| {
            let state = if foo.suspended {
                "suspended: bar is refused"
            } else if !foo.is_ready() {
                "not Ready"
            } else {
                ""
            };
            format!("{:<width$}  {state}", foo.name)
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// `kubectl foo api-resources`
pub async fn api_resources(conn: &Connection, args: &ApiResourcesArgs) -> Result<()> {
    let Some(group) = conn.discovery().await? else {
        return Err(Error::msg(format!(
            "the server does not serve the group {GROUP}"
        )));
    };
    let mut rows = Vec::new();
    let mut entries = Vec::new();
    for version in &group.versions {
        let gv = format!("{GROUP}/{}", version.version);
        for resource in &version.resources {
            let name = resource.plural.clone();
            let namespaced = resource.namespaced;
            entries.push(json!({
                "name": name, "shortNames": resource.short_names, "apiVersion": gv,
                "namespaced": namespaced, "kind": resource.kind, "verbs": resource.verbs,
                "categories": resource.categories,
            }));
            rows.push((
                name.clone(),
                resource.short_names.join(","),
                gv.clone(),
                namespaced,
                resource.kind.clone(),
                resource.verbs.clone(),
                resource.categories.clone(),
            ));
            for sub in &resource.subresources {
                let sub_name = format!("{name}/{}", sub.name);
                entries.push(json!({
                    "name": sub_name, "shortNames": [], "apiVersion": gv, "namespaced": namespaced,
                    "kind": sub.kind, "verbs": sub.verbs, "categories": [],
                }));
                rows.push((
                    sub_name,
                    String::new(),
                    gv.clone(),
                    namespaced,
                    sub.kind.clone(),
                    sub.verbs.clone(),
                    vec![],
                ));
            }
        }
    }
    match args.output.as_deref() {
        Some("json") => out(&printer::to_json(
            &json!({"groupVersion": api_version(), "resources": entries}),
        )?),
        Some("yaml") => out(&printer::to_yaml(
            &json!({"groupVersion": api_version(), "resources": entries}),
        )),
        Some("name") => {
            for (name, ..) in &rows {
                out(&format!("{name}.{GROUP}\n"));
            }
        }
        other => {
            let wide = other == Some("wide");
            let mut header = vec!["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
            if wide {
                header.extend(["VERBS", "CATEGORIES"]);
            }
            let body = rows
                .into_iter()
                .map(|(name, short, gv, ns, kind, verbs, cats)| {
                    let mut row = vec![name, short, gv, ns.to_string(), kind];
                    if wide {
                        row.push(verbs.join(","));
                        row.push(cats.join(","));
                    }
                    row
                })
                .collect();
            let header = (!args.no_headers).then(|| header.iter().map(|h| h.to_string()).collect());
            out(&printer::layout(header, body));
        }
    }
    Ok(())
}

fn api_version() -> String {
    format!("{GROUP}/{VERSION}")
}

/// `kubectl foo version`
pub async fn version(conn: Option<&Connection>, args: &VersionArgs) -> Result<()> {
    let plugin = env!("CARGO_PKG_VERSION");
    let mut info = json!({"clientVersion": {"plugin": "kubectl-foo", "version": plugin}});
    // As kubectl: the client's version is printed even when the server cannot be asked.
    let mut failure = None;
    if let Some(conn) = conn {
        match server_version(conn).await {
            Ok((server, group)) => {
                info["serverVersion"] = server;
                info["group"] = group;
            }
            Err(e) => failure = Some(e),
        }
    }
    match args.output.as_deref() {
        Some("json") => out(&printer::to_json(&info)?),
        Some("yaml") => out(&printer::to_yaml(&info)),
        _ => {
            let mut text = format!("Plugin Version: kubectl-foo v{plugin}\n");
            if !info["serverVersion"].is_null() {
                let s = &info["serverVersion"];
                text.push_str(&format!(
                    "Server Version: {}\n",
                    s["gitVersion"].as_str().unwrap_or("unknown")
                ));
                let g = &info["group"];
                let how = if g["served"] != true {
                    "not served".to_string()
                } else if g["throughCluster"] == true {
                    format!(
                        "served through the cluster (APIService {}, Available={})",
                        g["apiService"]["apiService"].as_str().unwrap_or_default(),
                        g["apiService"]["available"].as_str().unwrap_or_default()
                    )
                } else {
                    "served directly by foo-apiserver (no APIService)".to_string()
                };
                text.push_str(&format!("Group {}: {how}\n", api_version()));
            }
            out(&text);
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The server's version, and how it serves the group.
async fn server_version(conn: &Connection) -> Result<(Value, Value)> {
    let server = conn.version().await?;
    let served = conn.discovery().await?.is_some();
    let apiservice = conn
        .get_optional(&format!(
            "/apis/apiregistration.k8s.io/v1/apiservices/{VERSION}.{GROUP}"
        ))
        .await
        .unwrap_or(None);
    let through = match &apiservice {
        Some(svc) => {
            let available = svc["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Available")
                .and_then(|c| c["status"].as_str())
                .unwrap_or("Unknown")
                .to_string();
            json!({"apiService": format!("{VERSION}.{GROUP}"), "available": available})
        }
        None => Value::Null,
    };
    let group = json!({
        "groupVersion": api_version(),
        "served": served,
        "throughCluster": apiservice.is_some(),
        "apiService": through,
    });
    Ok((server, group))
}

/// `kubectl foo completion SHELL`
pub fn completion(args: &CompletionArgs) -> Result<()> {
    out(crate::generate::completion_script(args.shell));
    Ok(())
}

impl Shell {
    /// The file the script is kept in under `completions/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Shell::Bash => "kubectl-foo.bash",
            Shell::Zsh => "_kubectl-foo",
            Shell::Fish => "kubectl-foo.fish",
            Shell::Powershell => "_kubectl-foo.ps1",
        }
    }
}
