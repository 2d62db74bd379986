//! One function per command.

use std::io::Read;

use foo_sdk::table::Table;
use foo_sdk::{API_VERSION, GROUP, VERSION};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::api::{KIND_GROUP, ListOptions, group_in};
use crate::error::{Error, Result};
use crate::kubeconfig::Connection;
use crate::printer::{self, Format, out};
use crate::{
    ApiResourcesArgs, ApplyArgs, BarArgs, Cli, Command, CompletionArgs, CreateArgs, DeleteArgs,
    DryRun, GetArgs, ListArgs, NameArg, Shell, VersionArgs, term,
};

/// Runs the parsed command line.
pub async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completion(args) => completion(&args),
        Command::Complete(args) => {
            crate::complete::run(&args.words);
            Ok(())
        }
        Command::Version(args) if args.client => version(None, &args).await,
        command => {
            let conn = cli.kube.connect().await?;
            match command {
                Command::List(args) => list(&conn, &args).await,
                Command::Get(args) => get(&conn, &args).await,
                Command::Describe(args) => describe(&conn, &args).await,
                Command::Create(args) => create(&conn, &args).await,
                Command::Apply(args) => apply(&conn, &args).await,
                Command::Suspend(args) => set_suspend(&conn, &args, true).await,
                Command::Resume(args) => set_suspend(&conn, &args, false).await,
                Command::Delete(args) => delete(&conn, &args).await,
                Command::Bar(args) => bar(&conn, &args).await,
                Command::ApiResources(args) => api_resources(&conn, &args).await,
                Command::Version(args) => version(Some(&conn), &args).await,
                Command::Completion(_) | Command::Complete(_) => unreachable!(),
            }
        }
    }
}

fn print_one(format: Option<&str>, object: &Value, default: impl FnOnce() -> String) -> Result<()> {
    let format = Format::parse(format)?;
    match format {
        Format::Table | Format::Wide => out(&default()),
        other => out(&printer::print_objects(
            &other,
            std::slice::from_ref(object),
            true,
            true,
        )?),
    }
    Ok(())
}

/// `kubectl foo list`
pub async fn list(conn: &Connection, args: &ListArgs) -> Result<()> {
    let format = Format::parse(args.print.output.as_deref())?;
    let opts = ListOptions {
        label_selector: args.selector.clone(),
        field_selector: args.field_selector.clone(),
        limit: args.chunk_size.max(0),
        include_object: args.sort_by.is_some() || args.print.show_labels,
    };
    let watch = args.watch || args.watch_only;
    let wide = format == Format::Wide;
    let headers = !args.print.no_headers;
    let resource_version;
    if format.needs_objects() {
        let mut list = conn.list(&opts).await?;
        resource_version = list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut items = list["items"]
            .as_array_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(sort) = &args.sort_by {
            printer::sort_objects(&mut items, sort)?;
        }
        if !args.watch_only {
            if items.is_empty() && !matches!(format, Format::Json | Format::Yaml) {
                eprintln!("No resources found");
            } else {
                out(&printer::print_objects(&format, &items, false, headers)?);
            }
        }
        if watch {
            let mut events = Box::pin(conn.watch(&opts, &resource_version, false).await?);
            while let Some(event) = events.next().await {
                let (_, object) = event?;
                out(&printer::print_objects(&format, &[object], true, false)?);
            }
        }
        return Ok(());
    }
    let mut table = conn.list_table(&opts).await?;
    resource_version = table.metadata.resource_version.clone().unwrap_or_default();
    if let Some(sort) = &args.sort_by {
        printer::sort_rows(&mut table, sort)?;
    }
    let mut printed_header = false;
    let mut widths = Vec::new();
    if !args.watch_only {
        if table.rows.is_empty() {
            if !watch {
                eprintln!("No resources found");
            }
        } else {
            let (text, w) =
                printer::render_table_min(&table, wide, headers, args.print.show_labels, &[]);
            out(&text);
            widths = w;
            printed_header = true;
        }
    }
    if watch {
        let columns = table.column_definitions.clone();
        let mut events = Box::pin(conn.watch(&opts, &resource_version, true).await?);
        while let Some(event) = events.next().await {
            let (kind, object) = event?;
            if kind == "BOOKMARK" {
                continue;
            }
            let mut row: Table = serde_json::from_value(object)?;
            if row.column_definitions.is_empty() {
                row.column_definitions = columns.clone();
            }
            let header = headers && !printed_header;
            let (text, w) =
                printer::render_table_min(&row, wide, header, args.print.show_labels, &widths);
            out(&text);
            widths = w;
            printed_header = true;
        }
    }
    Ok(())
}

/// `kubectl foo get NAME…`
pub async fn get(conn: &Connection, args: &GetArgs) -> Result<()> {
    let format = Format::parse(args.print.output.as_deref())?;
    let mut failure = None;
    if format.needs_objects() {
        let mut items = Vec::new();
        for name in &args.names {
            match conn.get(name).await {
                Ok(o) => items.push(o),
                Err(e) => {
                    eprintln!("{}", e.one_line());
                    failure = Some(e);
                }
            }
        }
        if !items.is_empty() {
            let single = args.names.len() == 1;
            out(&printer::print_objects(
                &format,
                &items,
                single,
                !args.print.no_headers,
            )?);
        }
    } else {
        let mut table: Option<Table> = None;
        for name in &args.names {
            match conn.get_table(name, args.print.show_labels).await {
                Ok(t) => match &mut table {
                    None => table = Some(t),
                    Some(all) => all.rows.extend(t.rows),
                },
                Err(e) => {
                    eprintln!("{}", e.one_line());
                    failure = Some(e);
                }
            }
        }
        if let Some(table) = table {
            out(&printer::render_table(
                &table,
                format == Format::Wide,
                !args.print.no_headers,
                args.print.show_labels,
            ));
        }
    }
    match failure {
        // Already printed; exit 1 without printing it twice.
        Some(_) => Err(Error::Reported),
        None => Ok(()),
    }
}

/// `kubectl foo describe NAME`
pub async fn describe(conn: &Connection, args: &NameArg) -> Result<()> {
    let object = conn.get(&args.name).await?;
    out(&crate::describe::describe(&object));
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
    let object = json!({
        "apiVersion": API_VERSION,
        "kind": "Foo",
        "metadata": {"name": args.name},
        "spec": spec,
    });
    let (created, suffix) = match args.dry_run {
        DryRun::Client => (object, " (dry run)"),
        DryRun::Server => (conn.create(&object, true).await?, " (server dry run)"),
        DryRun::None => (conn.create(&object, false).await?, ""),
    };
    if format != Format::Table {
        return print_one(args.output.as_deref(), &created, String::new);
    }
    out(&format!("{} created{suffix}\n", printer::name_of(&created)));
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
            .map_err(|e| Error::msg(format!("error parsing {file}: {e}")))?;
        return Ok(flatten(value));
    }
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| {
        Error::msg(format!(
            "error parsing {file}: {}",
            e.to_string().replace('\n', " ")
        ))
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
pub async fn apply(conn: &Connection, args: &ApplyArgs) -> Result<()> {
    let format = Format::parse(args.output.as_deref())?;
    if args.dry_run == DryRun::Client {
        return Err(Error::usage(
            "apply supports --dry-run=none or --dry-run=server",
        ));
    }
    let dry_run = args.dry_run == DryRun::Server;
    let suffix = if dry_run { " (server dry run)" } else { "" };
    let documents = read_documents(&args.filename)?;
    if documents.is_empty() {
        return Err(Error::msg(format!(
            "no objects passed to apply in {}",
            args.filename
        )));
    }
    let mut results = Vec::new();
    for doc in documents {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        if api_version != API_VERSION || kind != "Foo" {
            return Err(Error::msg(format!(
                "only {API_VERSION} Foo objects can be applied, not {api_version} {kind}"
            )));
        }
        let name = doc["metadata"]["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::msg("an object in the file has no metadata.name"))?
            .to_string();
        let (object, verb) = if args.server_side {
            let o = conn
                .apply(
                    &name,
                    &doc,
                    &args.field_manager,
                    args.force_conflicts,
                    dry_run,
                )
                .await?;
            (o, "serverside-applied")
        } else {
            match conn.get(&name).await {
                Err(e) if e.is_not_found() => (conn.create(&doc, dry_run).await?, "created"),
                Err(e) => return Err(e),
                Ok(current) => {
                    let mut patch = doc.clone();
                    if let Some(map) = patch.as_object_mut() {
                        map.remove("status");
                        map.remove("apiVersion");
                        map.remove("kind");
                    }
                    let patched = conn.merge_patch(&name, &patch, dry_run).await?;
                    let same = patched["metadata"]["resourceVersion"]
                        == current["metadata"]["resourceVersion"];
                    (patched, if same { "unchanged" } else { "configured" })
                }
            }
        };
        if format == Format::Table {
            out(&format!("{} {verb}{suffix}\n", printer::name_of(&object)));
        }
        results.push(object);
    }
    if format != Format::Table {
        out(&printer::print_objects(
            &format,
            &results,
            results.len() == 1,
            true,
        )?);
    }
    Ok(())
}

/// `kubectl foo suspend NAME` / `kubectl foo resume NAME`
pub async fn set_suspend(conn: &Connection, args: &NameArg, suspend: bool) -> Result<()> {
    let object = conn
        .merge_patch(&args.name, &json!({"spec": {"suspend": suspend}}), false)
        .await?;
    let verb = if suspend { "suspended" } else { "resumed" };
    out(&format!("{} {verb}\n", printer::name_of(&object)));
    Ok(())
}

/// `kubectl foo delete NAME…|--all`
pub async fn delete(conn: &Connection, args: &DeleteArgs) -> Result<()> {
    let names = if args.all {
        conn.names().await?
    } else {
        args.names.clone()
    };
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
        let confirmed = dialoguer::Confirm::with_theme(theme.as_ref())
            .with_prompt(prompt)
            .default(false)
            .interact_on(&dialoguer::console::Term::stderr())
            .map_err(|e| Error::msg(format!("cannot ask for confirmation: {e}")))?;
        if !confirmed {
            return Err(Error::msg("deletion cancelled"));
        }
    }
    let suffix = if dry_run { " (server dry run)" } else { "" };
    let mut failure = None;
    for name in &names {
        match conn.delete(name, dry_run).await {
            Ok(_) => out(&format!("{KIND_GROUP} \"{name}\" deleted{suffix}\n")),
            Err(e) => {
                eprintln!("{}", e.one_line());
                failure = Some(e);
            }
        }
    }
    match failure {
        Some(_) => Err(Error::Reported),
        None => Ok(()),
    }
}

/// `kubectl foo bar [NAME]`
pub async fn bar(conn: &Connection, args: &BarArgs) -> Result<()> {
    if args.dry_run == DryRun::Client {
        return Err(Error::usage(
            "bar supports --dry-run=none or --dry-run=server",
        ));
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => {
            if !term::interactive() {
                return Err(Error::usage(
                    "a Foo name is required when not on a terminal: kubectl foo bar NAME",
                ));
            }
            let names = conn.names().await?;
            if names.is_empty() {
                return Err(Error::msg("No resources found: create a Foo first"));
            }
            let theme = term::theme();
            let picked = dialoguer::FuzzySelect::with_theme(theme.as_ref())
                .with_prompt("Foo")
                .items(&names)
                .default(0)
                .interact_on_opt(&dialoguer::console::Term::stderr())
                .map_err(|e| Error::msg(format!("cannot show the picker: {e}")))?;
            match picked {
                Some(i) => names[i].clone(),
                None => return Err(Error::msg("no Foo picked")),
            }
        }
    };
    let answer = conn
        .bar(&name, args.arg1.as_deref(), args.dry_run == DryRun::Server)
        .await?;
    match args.output.as_deref() {
        Some("json") => out(&printer::to_json(&answer)?),
        Some("yaml") => out(&printer::to_yaml(&answer)?),
        _ => out(&format!(
            "{}\n",
            answer["message"].as_str().unwrap_or_default()
        )),
    }
    Ok(())
}

/// `kubectl foo api-resources`
pub async fn api_resources(conn: &Connection, args: &ApiResourcesArgs) -> Result<()> {
    let discovery = conn.discovery().await?;
    let Some(group) = group_in(&discovery) else {
        return Err(Error::msg(format!(
            "the server does not serve the group {GROUP}"
        )));
    };
    let mut rows = Vec::new();
    let mut entries = Vec::new();
    for version in group["versions"].as_array().into_iter().flatten() {
        let gv = format!(
            "{GROUP}/{}",
            version["version"].as_str().unwrap_or_default()
        );
        for resource in version["resources"].as_array().into_iter().flatten() {
            let name = resource["resource"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let short = strings(&resource["shortNames"]);
            let categories = strings(&resource["categories"]);
            let namespaced = resource["scope"] == "Namespaced";
            let kind = resource["responseKind"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let verbs = strings(&resource["verbs"]);
            entries.push(json!({
                "name": name, "shortNames": short, "apiVersion": gv, "namespaced": namespaced,
                "kind": kind, "verbs": verbs, "categories": categories,
            }));
            rows.push((
                name.clone(),
                short.join(","),
                gv.clone(),
                namespaced,
                kind,
                verbs,
                categories,
            ));
            for sub in resource["subresources"].as_array().into_iter().flatten() {
                let sub_name =
                    format!("{name}/{}", sub["subresource"].as_str().unwrap_or_default());
                let sub_kind = sub["responseKind"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let sub_verbs = strings(&sub["verbs"]);
                entries.push(json!({
                    "name": sub_name, "shortNames": [], "apiVersion": gv, "namespaced": namespaced,
                    "kind": sub_kind, "verbs": sub_verbs, "categories": [],
                }));
                rows.push((
                    sub_name,
                    String::new(),
                    gv.clone(),
                    namespaced,
                    sub_kind,
                    sub_verbs,
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
        )?),
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

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `kubectl foo version`
pub async fn version(conn: Option<&Connection>, args: &VersionArgs) -> Result<()> {
    let plugin = env!("CARGO_PKG_VERSION");
    let mut info = json!({"clientVersion": {"plugin": "kubectl-foo", "version": plugin}});
    if let Some(conn) = conn {
        let server = conn.version().await?;
        let discovery = conn.discovery().await?;
        let served = group_in(&discovery).is_some();
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
        info["serverVersion"] = server;
        info["group"] = json!({
            "groupVersion": api_version(),
            "served": served,
            "throughCluster": apiservice.is_some(),
            "apiService": through,
        });
    }
    match args.output.as_deref() {
        Some("json") => out(&printer::to_json(&info)?),
        Some("yaml") => out(&printer::to_yaml(&info)?),
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
    Ok(())
}

/// `kubectl foo completion SHELL`
pub fn completion(args: &CompletionArgs) -> Result<()> {
    let script = crate::generate::completion_script(args.shell);
    out(&script);
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
