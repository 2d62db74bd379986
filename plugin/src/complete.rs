//! Completion through kubectl's plugin-completion protocol: kubectl (1.26 and newer) runs
//! `kubectl_complete-foo` with the words after `kubectl foo`, the last one being the word to
//! complete (possibly empty), and reads cobra's `__complete` format: one candidate a line
//! (`value<TAB>description`), then `:<directive>`.

use clap::Parser;
use clap::{Arg, ArgAction, Command};

use crate::kubeconfig::KubeFlags;

/// cobra's `ShellCompDirectiveDefault`: the shell may complete file names.
pub const DEFAULT: u32 = 0;
/// cobra's `ShellCompDirectiveNoFileComp`.
pub const NO_FILE_COMP: u32 = 4;

/// The commands whose positional arguments are Foo names.
const NAME_COMMANDS: &[&str] = &[
    "get", "describe", "status", "suspend", "resume", "delete", "bar",
];
/// Those taking several names.
const MULTI_NAME_COMMANDS: &[&str] = &["get", "describe", "suspend", "resume", "delete"];

/// Prints the candidates for `words` (kubectl's plugin-completion protocol).
pub fn run(words: &[String]) {
    let (candidates, directive) = complete(words, &|flags| fetch_names(flags));
    let mut text = String::new();
    for c in candidates {
        text.push_str(&c);
        text.push('\n');
    }
    text.push_str(&format!(":{directive}\n"));
    crate::printer::out(&text);
}

fn takes_value(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Set | ArgAction::Append)
        && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(name))
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c))
}

fn describe(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| t.to_string().lines().next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// The candidates and cobra directive for `words`; `names` lists Foos given the global
/// flags found in the words.
pub fn complete(words: &[String], names: &dyn Fn(&KubeFlags) -> Vec<String>) -> (Vec<String>, u32) {
    let mut root = crate::command();
    root.build();
    let (current_word, previous) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    let mut cmd: &Command = &root;
    let mut pending: Option<&Arg> = None;
    let mut positionals = 0usize;
    let mut globals: Vec<String> = vec!["kubectl-foo".into()];
    for word in previous {
        if let Some(arg) = pending.take() {
            if arg.is_global_set() {
                globals.push(format!("--{}", arg.get_long().unwrap_or_default()));
                globals.push(word.clone());
            }
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if let Some(arg) = find_long(cmd, name) {
                if takes_value(arg) && !inline {
                    // Kept with its value, the next word.
                    pending = Some(arg);
                } else if arg.is_global_set() {
                    globals.push(word.clone());
                }
            }
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            if let Some(c) = shorts.chars().last()
                && let Some(arg) = find_short(cmd, c)
                && takes_value(arg)
                && shorts.len() == 1
            {
                pending = Some(arg);
            }
        } else if positionals == 0
            && let Some(sub) = cmd.find_subcommand(word)
        {
            cmd = sub;
        } else {
            positionals += 1;
        }
    }
    let flags = KubeFlags::parse_globals(&globals);

    // The value of a flag.
    if let Some(arg) = pending {
        return complete_value(arg, current_word, &flags);
    }
    if let Some(long) = current_word.strip_prefix("--")
        && let Some((name, value)) = long.split_once('=')
        && let Some(arg) = find_long(cmd, name)
    {
        let (values, directive) = complete_value(arg, value, &flags);
        let prefixed = values
            .into_iter()
            .map(|v| format!("--{name}={v}"))
            .collect();
        return (prefixed, directive);
    }
    // Flags.
    if current_word.starts_with('-') {
        let mut out = Vec::new();
        for arg in cmd.get_arguments() {
            if arg.is_hide_set() {
                continue;
            }
            let help = describe(arg.get_help());
            if let Some(long) = arg.get_long() {
                out.push(format!("--{long}\t{help}"));
            }
            if let Some(short) = arg.get_short() {
                out.push(format!("-{short}\t{help}"));
            }
        }
        return (filter(out, current_word), NO_FILE_COMP);
    }
    // Subcommands.
    if cmd.has_subcommands() && positionals == 0 {
        let mut out = Vec::new();
        for sub in cmd.get_subcommands() {
            if sub.is_hide_set() {
                continue;
            }
            out.push(format!("{}\t{}", sub.get_name(), describe(sub.get_about())));
        }
        return (filter(out, current_word), NO_FILE_COMP);
    }
    let name = cmd.get_name();
    if NAME_COMMANDS.contains(&name) && (positionals == 0 || MULTI_NAME_COMMANDS.contains(&name)) {
        let already: Vec<&String> = previous.iter().collect();
        let out = names(&flags)
            .into_iter()
            .filter(|n| !already.contains(&n))
            .collect();
        return (filter(out, current_word), NO_FILE_COMP);
    }
    if name == "completion" && positionals == 0 {
        let out = ["bash", "zsh", "fish", "powershell"]
            .map(String::from)
            .to_vec();
        return (filter(out, current_word), NO_FILE_COMP);
    }
    (Vec::new(), NO_FILE_COMP)
}

fn complete_value(arg: &Arg, word: &str, flags: &KubeFlags) -> (Vec<String>, u32) {
    let id = arg.get_id().as_str();
    let values: Vec<String> = match id {
        "filenames"
        | "kubeconfig"
        | "certificate_authority"
        | "client_certificate"
        | "client_key"
        | "cache_dir" => return (Vec::new(), DEFAULT),
        "output" => {
            let possible = arg.get_possible_values();
            if possible.is_empty() {
                crate::printer::FORMATS
                    .iter()
                    .map(|f| f.to_string())
                    .collect()
            } else {
                possible.iter().map(|p| p.get_name().to_string()).collect()
            }
        }
        "context" | "cluster" | "user" => kubeconfig_names(flags, id),
        _ => arg
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_string())
            .collect(),
    };
    (filter(values, word), NO_FILE_COMP)
}

fn kubeconfig_names(flags: &KubeFlags, what: &str) -> Vec<String> {
    let without = KubeFlags {
        context: None,
        cluster: None,
        user: None,
        ..flags.clone()
    };
    let Ok((kc, _)) = without.kubeconfig() else {
        return Vec::new();
    };
    let names: Vec<String> = match what {
        "context" => kc.contexts.into_iter().map(|c| c.name).collect(),
        "cluster" => kc.clusters.into_iter().map(|c| c.name).collect(),
        _ => kc.auth_infos.into_iter().map(|u| u.name).collect(),
    };
    names
        .into_iter()
        .filter(|n| !n.starts_with("kubectl-foo-"))
        .collect()
}

fn filter(candidates: Vec<String>, prefix: &str) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|c| c.starts_with(prefix))
        .collect()
}

fn fetch_names(flags: &KubeFlags) -> Vec<String> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let mut flags = flags.clone();
    if flags.request_timeout.is_none() {
        flags.request_timeout = Some("5s".into());
    }
    runtime.block_on(async move {
        match flags.connect().await {
            Ok(conn) => conn.names().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    })
}

/// Only kubectl's global flags, to parse them out of a partial command line.
#[derive(Parser)]
#[command(no_binary_name = false)]
struct GlobalsOnly {
    #[command(flatten)]
    kube: KubeFlags,
}

impl KubeFlags {
    /// Parses global flags gathered from a partial command line, ignoring what is wrong.
    pub fn parse_globals(args: &[String]) -> KubeFlags {
        GlobalsOnly::try_parse_from(args)
            .map(|g| g.kube)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut w: Vec<String> = text.split(' ').map(String::from).collect();
        if text.ends_with(' ') {
            w.pop();
            w.push(String::new());
        }
        w
    }

    fn none(_: &KubeFlags) -> Vec<String> {
        vec!["alpha".into(), "beta".into()]
    }

    #[test]
    fn subcommands_flags_and_names() {
        let (c, d) = complete(&words("li"), &none);
        assert_eq!(d, NO_FILE_COMP);
        assert!(c.iter().any(|c| c.starts_with("list\t")), "{c:?}");
        let (c, _) = complete(&words("list --sel"), &none);
        assert!(c.iter().any(|c| c.starts_with("--selector")), "{c:?}");
        let (c, _) = complete(&words("get "), &none);
        assert_eq!(c, vec!["alpha", "beta"]);
        let (c, _) = complete(&words("delete alpha "), &none);
        assert_eq!(c, vec!["beta"]);
        let (c, _) = complete(&words("list -o "), &none);
        assert!(c.contains(&"yaml".to_string()));
        let (_, d) = complete(&words("apply -f "), &none);
        assert_eq!(d, DEFAULT);
        let (c, _) = complete(&words("suspend alpha "), &none);
        assert_eq!(c, vec!["beta"]);
        let (c, _) = complete(&words("status alpha "), &none);
        assert!(c.is_empty());
    }

    #[test]
    fn names_come_from_the_cluster_the_line_names() {
        let seen = std::cell::RefCell::new(None);
        let names = |flags: &KubeFlags| {
            *seen.borrow_mut() = Some(flags.clone());
            Vec::new()
        };
        let line = "--kubeconfig /k --context=c delete -s https://s:1 --insecure-skip-tls-verify ";
        complete(&words(line), &names);
        let flags = seen.borrow_mut().take().expect("names were asked for");
        assert_eq!(
            flags.kubeconfig.as_deref(),
            Some(std::path::Path::new("/k"))
        );
        assert_eq!(flags.context.as_deref(), Some("c"));
        assert_eq!(flags.server.as_deref(), Some("https://s:1"));
        assert_eq!(flags.insecure_skip_tls_verify, Some(true));
    }
}
