//! kubectl-foo: the kubectl plugin for the `demo.jeremyxu2010.me/v1beta1` Foo API.
//!
//! `main.rs` only calls [`run`]; the command tree is [`Cli`], one function per command lives
//! in [`commands`], every output format goes through [`printer`], and the connection flags
//! (kubectl's global flags) are [`kubeconfig::KubeFlags`].

pub mod api;
pub mod commands;
pub mod complete;
pub mod describe;
pub mod error;
pub mod generate;
pub mod kubeconfig;
pub mod live;
pub mod printer;
pub mod status;
pub mod term;

use std::ffi::OsString;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub use error::{Error, Result};
use kubeconfig::KubeFlags;
use printer::PrintFlags;

/// Work with Foos (demo.jeremyxu2010.me/v1beta1) the way kubectl works with built-in kinds.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-foo",
    bin_name = "kubectl foo",
    display_name = "kubectl foo",
    version,
    propagate_version = true,
    disable_help_subcommand = true,
    arg_required_else_help = true,
    after_help = "Use \"kubectl foo <command> --help\" for more information about a command."
)]
pub struct Cli {
    #[command(flatten)]
    pub kube: KubeFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `kubectl foo`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List Foos as a table printed by the server (as `kubectl get foos`)
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one or more Foos by name
    Get(GetArgs),
    /// Show Foos' spec, status and conditions in detail
    #[command(after_help = examples(&[
        ("One Foo", "kubectl foo describe hello"),
        ("Those labelled team=a", "kubectl foo describe -l team=a"),
    ]))]
    Describe(Selection),
    /// Show a Foo's state at a glance: spec, conditions with their ages, bar history, and
    /// whether the controller has caught up
    Status(StatusArgs),
    /// Create a Foo
    Create(CreateArgs),
    /// Create or update Foos from a file or stdin
    Apply(ApplyArgs),
    /// Suspend Foos: they refuse bar until resumed
    #[command(after_help = examples(&[
        ("Two Foos", "kubectl foo suspend hello world"),
        ("Those labelled team=a", "kubectl foo suspend -l team=a"),
    ]))]
    Suspend(Selection),
    /// Resume suspended Foos
    #[command(after_help = examples(&[
        ("One Foo", "kubectl foo resume hello"),
        ("Every Foo", "kubectl foo resume --all"),
    ]))]
    Resume(Selection),
    /// Delete Foos by name, by label, or all of them (asks for confirmation on a terminal)
    Delete(DeleteArgs),
    /// Invoke a Foo's bar subresource and print its message
    Bar(BarArgs),
    /// List the group's resources and subresources from discovery
    ApiResources(ApiResourcesArgs),
    /// Print the plugin and server versions and how the group is served
    Version(VersionArgs),
    /// Print a shell completion script (bash, zsh, fish or powershell)
    Completion(CompletionArgs),
}

/// `kubectl foo list`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("List every Foo", "kubectl foo list"),
    ("With more columns, those labelled team=a", "kubectl foo ls -o wide -l team=a"),
    ("Their names, sorted by greeting", "kubectl foo list --sort-by .spec.greeting -o name"),
    ("A column for the team label", "kubectl foo list -L team"),
    ("Names and greetings from a Go template", "kubectl foo list -o go-template='{{range .items}}{{.metadata.name}}: {{.spec.greeting}}{{\"\\n\"}}{{end}}'"),
    ("One table kept current (plain lines when piped)", "kubectl foo list --watch"),
]))]
pub struct ListArgs {
    #[command(flatten)]
    pub print: PrintFlags,
    /// Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Selector (field query) to filter on, e.g. metadata.name=foo
    #[arg(long)]
    pub field_selector: Option<String>,
    /// Sort the list by this JSONPath expression (e.g. '.metadata.name' or '{.spec.greeting}')
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,
    /// After listing, watch for changes: on a terminal the table is redrawn in place, else
    /// each change is printed as a line (as kubectl get -w)
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Watch for changes without listing first
    #[arg(long)]
    pub watch_only: bool,
    /// With --watch or --watch-only, print each change as its watch event (an EVENT column,
    /// or the event object); listed Foos are ADDED events
    #[arg(long)]
    pub output_watch_events: bool,
    /// Return large lists in chunks of this size (0 disables chunking)
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub chunk_size: i64,
    /// List across all namespaces: the same Foos, as they are cluster-scoped
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

/// `kubectl foo get`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Show two Foos", "kubectl foo get hello world"),
    ("As YAML", "kubectl foo get hello -o yaml"),
    ("Names from -o name are taken as they are", "kubectl foo get foo.demo.jeremyxu2010.me/hello"),
    ("Print the row again at each change", "kubectl foo get hello -w"),
]))]
pub struct GetArgs {
    #[command(flatten)]
    pub print: PrintFlags,
    /// The Foos to show
    #[arg(required = true, value_name = "NAME", value_parser = foo_name)]
    pub names: Vec<String>,
    /// After showing them, watch them for changes
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// With --watch, print each change as its watch event
    #[arg(long)]
    pub output_watch_events: bool,
    /// Print nothing for a Foo that does not exist, and succeed
    #[arg(long)]
    pub ignore_not_found: bool,
}

/// Which Foos a command acts on: by name, by label, or all of them.
#[derive(Debug, Args)]
pub struct Selection {
    /// The Foos, by name
    #[arg(
        value_name = "NAME",
        value_parser = foo_name,
        required_unless_present_any = ["selector", "all"],
        conflicts_with_all = ["selector", "all"]
    )]
    pub names: Vec<String>,
    /// Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'
    #[arg(short = 'l', long, conflicts_with = "all")]
    pub selector: Option<String>,
    /// Every Foo
    #[arg(long)]
    pub all: bool,
}

/// `kubectl foo status`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("A Foo's state at a glance", "kubectl foo status hello"),
]))]
pub struct StatusArgs {
    /// The Foo
    #[arg(value_name = "NAME", value_parser = foo_name)]
    pub name: String,
}

/// How a write is dry-run, as kubectl's `--dry-run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Really write
    None,
    /// Send the request with dryRun=All: validated and defaulted, not persisted
    Server,
    /// Only print the object that would be sent
    Client,
}

/// How a write that has nothing to show without the server is dry-run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServerDryRun {
    /// Really write
    None,
    /// Send the request with dryRun=All: validated, not persisted
    Server,
}

/// `kubectl foo create`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Create a Foo", "kubectl foo create hello"),
    ("With its greeting and labels", "kubectl foo create hello --greeting Bonjour --labels team=a,tier=web"),
    ("Print what would be sent, and send nothing", "kubectl foo create hello --dry-run=client -o yaml"),
]))]
pub struct CreateArgs {
    /// The new Foo's name
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The greeting bar answers with (the server's default is "Hello")
    #[arg(long)]
    pub greeting: Option<String>,
    /// Create the Foo suspended
    #[arg(long)]
    pub suspend: bool,
    /// Labels to set, as key=value pairs separated by commas
    #[arg(short = 'l', long, value_name = "KEY=VALUE,…", value_parser = labels, default_value = "")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Must be "none", "server", or "client"
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
    /// Output format: json|yaml|name|jsonpath=…|custom-columns=…
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<String>,
}

/// `kubectl foo apply`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Apply the Foos of a file", "kubectl foo apply -f foos.yaml"),
    ("Of several files, and of every .yaml, .yml and .json file of a directory tree", "kubectl foo apply -f a.yaml -f b.json -f manifests/ -R"),
    ("From stdin, with server-side apply", "kubectl foo list -o yaml | kubectl foo apply -f - --server-side"),
]))]
pub struct ApplyArgs {
    /// A file holding Foos (YAML or JSON; several YAML documents allowed), a directory of
    /// such files, or - for stdin; repeatable
    #[arg(short = 'f', long = "filename", required = true, value_name = "FILE")]
    pub filenames: Vec<String>,
    /// Process the directories given with -f recursively
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Apply on the server (server-side apply) instead of a create-or-merge-patch
    #[arg(long)]
    pub server_side: bool,
    /// With --server-side, take ownership of fields other managers own
    #[arg(long, requires = "server_side")]
    pub force_conflicts: bool,
    /// The field manager for server-side apply
    #[arg(long, default_value = "kubectl")]
    pub field_manager: String,
    /// Must be "none", "server", or "client" (client: print what would be applied, send
    /// nothing)
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
    /// Output format: json|yaml|name|jsonpath=…|custom-columns=…
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<String>,
}

/// `kubectl foo delete`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Delete a Foo (asks first on a terminal)", "kubectl foo delete hello"),
    ("Those labelled team=a, without asking", "kubectl foo delete -l team=a --yes"),
    ("Whatever -o name printed", "kubectl foo list -o name | xargs kubectl foo delete --yes"),
    ("Succeed if it is already gone, and do not wait for finalizers", "kubectl foo delete hello --ignore-not-found --wait=false --yes"),
]))]
pub struct DeleteArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Treat a Foo that does not exist as deleted
    #[arg(long)]
    pub ignore_not_found: bool,
    /// Wait until each Foo is gone (its finalizers done) before returning
    #[arg(long, num_args = 0..=1, require_equals = true, default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    pub wait: bool,
    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Must be "none", "server", or "client" (client: print what would be deleted, and
    /// delete nothing)
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
}

/// `kubectl foo bar`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Invoke bar", "kubectl foo bar hello --arg1 you"),
    ("Pick the Foo from a list (on a terminal)", "kubectl foo bar"),
    ("Validate without counting it", "kubectl foo bar hello --dry-run=server -o yaml"),
]))]
pub struct BarArgs {
    /// The Foo to invoke; on a terminal, omit it to pick one
    #[arg(value_name = "NAME", value_parser = foo_name)]
    pub name: Option<String>,
    /// The argument bar greets (the server's default is "world")
    #[arg(long, value_name = "VALUE")]
    pub arg1: Option<String>,
    /// Must be "none" or "server"
    #[arg(long, value_enum, default_value_t = ServerDryRun::None)]
    pub dry_run: ServerDryRun,
    /// Output format: json|yaml (default: the message alone)
    #[arg(short = 'o', long, value_name = "FORMAT", value_parser = ["json", "yaml"])]
    pub output: Option<String>,
}

/// `kubectl foo api-resources`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("The group's resources, as kubectl api-resources", "kubectl foo api-resources -o wide"),
]))]
pub struct ApiResourcesArgs {
    /// Output format: wide|json|yaml|name
    #[arg(short = 'o', long, value_name = "FORMAT", value_parser = ["wide", "json", "yaml", "name"])]
    pub output: Option<String>,
    /// Don't print headers
    #[arg(long)]
    pub no_headers: bool,
}

/// `kubectl foo version`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("The plugin's and the server's versions", "kubectl foo version"),
    ("The plugin's alone, without a server", "kubectl foo version --client -o json"),
]))]
pub struct VersionArgs {
    /// Only print the plugin's version
    #[arg(long)]
    pub client: bool,
    /// Output format: json|yaml
    #[arg(short = 'o', long, value_name = "FORMAT", value_parser = ["json", "yaml"])]
    pub output: Option<String>,
}

/// The shells `completion` writes scripts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash
    Bash,
    /// Zsh
    Zsh,
    /// Fish
    Fish,
    /// PowerShell
    Powershell,
}

/// `kubectl foo completion`
#[derive(Debug, Args)]
#[command(after_help = examples(&[
    ("Bash, in this shell", "source <(kubectl-foo completion bash)"),
    ("Zsh, for every shell", "kubectl-foo completion zsh > \"${fpath[1]}/_kubectl-foo\""),
    ("For kubectl foo <TAB>: kubectl 1.26 and newer run kubectl_complete-foo from PATH", "install completions/kubectl_complete-foo /usr/local/bin/"),
]))]
pub struct CompletionArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// An "Examples:" section in kubectl's layout: each example's comment, then its command.
fn examples(examples: &[(&str, &str)]) -> String {
    let mut text = String::from("Examples:");
    for (comment, command) in examples {
        text.push_str(&format!("\n  # {comment}\n  {command}\n"));
    }
    text.trim_end().to_owned()
}

/// `key=value,key=value` as labels (empty for none).
///
/// ```
/// let labels = kubectl_foo::labels("team=a,tier=web").unwrap();
/// assert_eq!(labels["tier"], "web");
/// assert!(kubectl_foo::labels("team").is_err());
/// ```
pub fn labels(
    arg: &str,
) -> std::result::Result<std::collections::BTreeMap<String, String>, String> {
    arg.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(format!("{pair:?} is not key=value")),
        })
        .collect()
}

/// A Foo's name as given on the command line: `NAME`, or `TYPE/NAME` with any TYPE kubectl
/// takes for foos (`foo`, `foos`, `fo`, `Foo`, `foos.demo.jeremyxu2010.me`,
/// `foos.v1beta1.demo.jeremyxu2010.me`), so that the output of `-o name` can be fed back.
///
/// ```
/// assert_eq!(kubectl_foo::foo_name("foo.demo.jeremyxu2010.me/a").unwrap(), "a");
/// assert_eq!(kubectl_foo::foo_name("b").unwrap(), "b");
/// assert!(kubectl_foo::foo_name("pods/c").is_err());
/// ```
pub fn foo_name(arg: &str) -> std::result::Result<String, String> {
    let Some((kind, name)) = arg.split_once('/') else {
        return Ok(arg.to_owned());
    };
    let (resource, group) = kind.split_once('.').unwrap_or((kind, ""));
    let resource = resource.to_ascii_lowercase();
    let resource_ok =
        [foo_sdk::SINGULAR, foo_sdk::PLURAL, foo_sdk::SHORT_NAME].contains(&resource.as_str());
    let versioned = format!("{}.{}", foo_sdk::VERSION, foo_sdk::GROUP);
    let group_ok = group.is_empty() || group == foo_sdk::GROUP || group == versioned;
    if !(resource_ok && group_ok) {
        return Err(format!(
            "\"{kind}\" is not foos: give NAME or foos/NAME (kubectl foo works on {}/{} only)",
            foo_sdk::PLURAL,
            foo_sdk::GROUP
        ));
    }
    if name.is_empty() || name.contains('/') {
        return Err(format!("\"{arg}\" is not TYPE/NAME"));
    }
    Ok(name.to_owned())
}

/// The clap command tree (for completion scripts and man pages).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses `args` and runs the command; returns the process exit code: 0 on success, 1 on
/// failure, 2 on a usage error. Errors are printed on stderr as one line.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `kubectl-foo __complete WORDS…` (cobra's hidden command, which the completion scripts
    // and kubectl_complete-foo call): the words are the line being typed, flags included,
    // so they are not parsed as this invocation's own flags.
    if args.get(1).is_some_and(|arg| arg == "__complete") {
        let words: Vec<String> = args[2..]
            .iter()
            .map(|word| word.to_string_lossy().into_owned())
            .collect();
        complete::run(&words);
        return 0;
    }
    let color = term::color_choice();
    let cli = match Cli::command().color(color).try_get_matches_from(&args) {
        Ok(matches) => {
            use clap::FromArgMatches;
            match Cli::from_arg_matches(&matches) {
                Ok(cli) => cli,
                Err(err) => return print_clap_error(err, &args),
            }
        }
        Err(err) => return print_clap_error(err, &args),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return 1;
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(()) => 0,
        Err(err) => {
            let code = err.exit_code();
            let line = err.one_line();
            if !line.is_empty() {
                eprintln!("{line}");
            }
            code
        }
    }
}

fn print_clap_error(err: clap::Error, args: &[OsString]) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            0
        }
        // As kubectl with no command: the help on stdout, and success.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let _ = Cli::command().color(term::color_choice()).print_help();
            0
        }
        ErrorKind::InvalidSubcommand => {
            // cobra's words, suggestions included.
            let context = |kind| match err.get(kind) {
                Some(ContextValue::String(s)) => vec![s.clone()],
                Some(ContextValue::Strings(s)) => s.clone(),
                _ => Vec::new(),
            };
            let command = context(ContextKind::InvalidSubcommand).join(" ");
            let mut message = format!("error: unknown command \"{command}\" for \"kubectl foo\"\n");
            // clap suggests aliases too; cobra names each command once.
            let cli = Cli::command();
            let mut suggested: Vec<String> = Vec::new();
            for suggestion in context(ContextKind::SuggestedSubcommand) {
                let name = cli
                    .find_subcommand(&suggestion)
                    .map_or(suggestion, |command| command.get_name().to_string());
                if !suggested.contains(&name) {
                    suggested.push(name);
                }
            }
            if !suggested.is_empty() {
                message.push_str("\nDid you mean this?\n");
                for suggestion in suggested {
                    message.push_str(&format!("\t{suggestion}\n"));
                }
            }
            eprintln!("{message}\nRun 'kubectl foo --help' for usage.");
            2
        }
        _ => {
            // The whole message on one line (without clap's pointer to --help), then where
            // to read the command's usage.
            let rendered = err.render().to_string();
            let message = rendered
                .lines()
                .take_while(|line| !line.starts_with("Usage:"))
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("For more information, try"))
                .collect::<Vec<_>>()
                .join(" ");
            let cli = Cli::command();
            let command = args
                .iter()
                .skip(1)
                .find_map(|arg| cli.find_subcommand(arg))
                .map_or_else(
                    || "kubectl foo".to_owned(),
                    |sub| format!("kubectl foo {}", sub.get_name()),
                );
            eprintln!("{message}\nSee '{command} --help' for usage.");
            2
        }
    }
}
