//! Whether a person is at the keyboard, and whether to use colour.

use std::io::IsTerminal;

use dialoguer::console::Term;

use crate::{Error, Result};

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

/// Runs a prompt on stderr and shows the cursor again however it ends: dialoguer hides it
/// and, when Ctrl-C interrupts the prompt, returns without showing it. Ctrl-C ends the
/// command quietly with exit code 130, during the prompt or after it.
pub fn prompt<T>(ask: impl FnOnce(&Term) -> dialoguer::Result<T>) -> Result<T> {
    show_cursor_on_interrupt();
    let term = Term::stderr();
    let answer = ask(&term);
    let _ = term.show_cursor();
    answer.map_err(|dialoguer::Error::IO(error)| {
        if error.kind() == std::io::ErrorKind::Interrupted {
            Error::Interrupted
        } else {
            Error::msg(format!("cannot prompt on the terminal: {error}"))
        }
    })
}

/// From now on, SIGINT shows the cursor and exits 130 (console raises SIGINT for the Ctrl-C
/// it reads in raw mode, which would otherwise kill the process with the cursor hidden).
fn show_cursor_on_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Registered here, before the prompt reads a key; awaited on the runtime's workers.
        let Ok(mut interrupt) = signal(SignalKind::interrupt()) else {
            return;
        };
        tokio::spawn(async move {
            if interrupt.recv().await.is_some() {
                let _ = Term::stderr().show_cursor();
                std::process::exit(130);
            }
        });
    }
}
