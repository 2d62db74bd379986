//! Whether a person is at the keyboard, and whether to use colour.

use std::io::IsTerminal;

/// True when both stdin and stderr are terminals: prompts may be shown.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// True when colour may be used: stderr is a terminal and `NO_COLOR` is unset or empty.
pub fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// clap's colour choice, following [`colour`].
pub fn color_choice() -> clap::ColorChoice {
    if colour() {
        clap::ColorChoice::Auto
    } else {
        clap::ColorChoice::Never
    }
}

/// The theme for dialoguer prompts.
pub fn theme() -> Box<dyn dialoguer::theme::Theme> {
    if colour() {
        Box::new(dialoguer::theme::ColorfulTheme::default())
    } else {
        Box::new(dialoguer::theme::SimpleTheme)
    }
}
