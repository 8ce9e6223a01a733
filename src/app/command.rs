//! `:`: the command line, k9s-style. `:ctx NAME` switches context (a subuser; `:ctx account-id
//! ID` a customer account; `:ctx own` the key's own account; `:ctx -` the previous context),
//! `:keys` goes back to the key list, `:refresh` re-reads it, `:log` and `:help` open those,
//! `:q` quits. Tab completes command names and contexts; an unknown command says so. Enter runs
//! what is typed, never a suggestion: suggestions are drawn apart from the typed text.

use tui_input::Input;

use super::effects::*;
use super::keymap::Action;
use super::*;
use super::{contexts::*, list::*};
use crate::api::OnBehalfOf;

/// The command line's state.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub input: Input,
}

/// The commands, with what they do (shown while typing and in `?`).
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "ctx",
        "switch context: :ctx NAME (subuser), :ctx account-id ID, :ctx own, :ctx - (previous)",
    ),
    ("keys", "the key list"),
    ("refresh", "re-read the key list"),
    ("log", "message and API log"),
    ("journal", "journal of changes (pending rotations)"),
    (
        "matrix",
        "permission matrix: every key × every category (:matrix all: every context)",
    ),
    ("help", "help"),
    ("q", "quit"),
];

/// What the own account is called in `:ctx` (its account name works too).
const OWN: &str = "own";
/// What the previous context is called in `:ctx`.
const PREVIOUS: &str = "-";

pub(crate) fn open(app: &mut App, out: &mut Vec<Command>) {
    // `:ctx` completes subuser names: read them once, now, if never read
    if matches!(app.subusers, Remote::NotAsked) {
        let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
        app.subusers.start(req);
    }
    app.modal = Some(Modal::Command(CommandLine::default()));
}

/// Whole-line completions of what is typed, best first.
pub fn completions(app: &App, typed: &str) -> Vec<String> {
    let typed = typed.trim_start();
    match typed.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|(c, _)| c.starts_with(typed))
            .map(|(c, _)| (*c).to_owned())
            .collect(),
        Some(("ctx", arg)) => {
            let arg = arg.trim_start().to_lowercase();
            let mut out: Vec<String> = Vec::new();
            for word in [PREVIOUS, OWN] {
                if word.starts_with(&arg) && (word != PREVIOUS || app.previous_ctx.is_some()) {
                    out.push(format!("ctx {word}"));
                }
            }
            for row in super::contexts::context_rows(app, "") {
                if let Some(o) = row.target() {
                    let name = o.header_value();
                    if name.to_lowercase().starts_with(&arg) {
                        out.push(format!("ctx {name}"));
                    }
                }
            }
            out
        }
        Some(("matrix", arg)) if "all".starts_with(arg.trim()) => vec!["matrix all".to_owned()],
        Some(_) => Vec::new(),
    }
}

/// Tab: the common prefix of the completions when it is longer than what is typed, else the
/// first completion (a command that takes an argument gets its space).
fn complete(app: &mut App) {
    let Some(Modal::Command(c)) = &app.modal else {
        return;
    };
    let typed = c.input.value().to_owned();
    let all = completions(app, &typed);
    let Some(first) = all.first() else { return };
    let common = all.iter().skip(1).fold(first.clone(), |acc, s| {
        acc.chars()
            .zip(s.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    let mut next = if common.len() > typed.trim_start().len() {
        common
    } else {
        first.clone()
    };
    if all.len() == 1 && next == "ctx" {
        next.push(' ');
    }
    if let Some(Modal::Command(c)) = &mut app.modal {
        c.input = Input::new(next);
    }
}

pub(crate) fn command_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    match a {
        Action::Back => close_modal(app),
        Action::Complete => complete(app),
        Action::Enter => {
            let line = match &app.modal {
                Some(Modal::Command(c)) => c.input.value().trim().to_owned(),
                _ => return,
            };
            close_modal(app);
            run(app, &line, out);
        }
        _ => {}
    }
}

/// Run one command line.
pub(crate) fn run(app: &mut App, line: &str, out: &mut Vec<Command>) {
    let line = line.trim().trim_start_matches(':').trim();
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    match cmd {
        "" => {}
        "ctx" | "context" => ctx(app, arg, out),
        "keys" | "key" => {
            app.matrix = None;
            app.focus = Pane::List;
            app.filter.editing = false;
            keep_selection_visible(app);
        }
        "refresh" | "r" => refresh(app, out),
        "log" => app.modal = Some(Modal::Log(LogModal::default())),
        "journal" | "j" => super::journal::open_journal(app, out),
        "matrix" | "m" => {
            if !app.matrix_on() {
                super::matrix::toggle(app);
            }
            match arg.trim() {
                "all" if app.sweep().is_none() => super::matrix::start_sweep(app, out, false),
                "" | "all" => {}
                other => toast(
                    app,
                    Level::Warn,
                    format!(
                        "unknown argument '{}': :matrix or :matrix all",
                        crate::text::clean(other)
                    ),
                ),
            }
        }
        "help" | "h" => {
            let under = if app.matrix_on() {
                keymap::Layer::Matrix
            } else if app.focus == Pane::Detail {
                keymap::Layer::Detail
            } else {
                keymap::Layer::List
            };
            app.modal = Some(Modal::Help(HelpModal::new(under, None)));
        }
        "q" | "quit" => quit(app, false, out),
        "q!" | "quit!" => quit(app, true, out),
        other => {
            let names: Vec<String> = COMMANDS.iter().map(|(c, _)| format!(":{c}")).collect();
            toast(
                app,
                Level::Warn,
                format!(
                    "unknown command ':{}' — try {}",
                    crate::text::clean(other),
                    names.join(", ")
                ),
            );
        }
    }
}

/// `:ctx NAME`: to a subuser (checked against the subusers once they are known), `:ctx
/// account-id ID` to a customer account, `:ctx own` (or the account's own name) to the key's own
/// account, `:ctx -` back to the previous context.
fn ctx(app: &mut App, arg: &str, out: &mut Vec<Command>) {
    if arg.is_empty() {
        return open_contexts(app, out);
    }
    if arg == PREVIOUS {
        return previous_context(app, out);
    }
    if arg == OWN || arg == app.ctx.account {
        return switch_context(app, None, out);
    }
    if arg.starts_with("account-id") {
        return match OnBehalfOf::parse(arg) {
            Ok(o) => switch_context(app, Some(o), out),
            Err(e) => toast(app, Level::Warn, format!(":ctx {e}")),
        };
    }
    match &app.subusers {
        Remote::Ready(subs) => {
            let found = subs
                .iter()
                .find(|s| s.username == arg)
                .or_else(|| subs.iter().find(|s| s.username.eq_ignore_ascii_case(arg)))
                .map(|s| s.username.clone());
            match found {
                Some(name) => switch_context(app, Some(OnBehalfOf::Subuser(name)), out),
                None => toast(
                    app,
                    Level::Warn,
                    format!(
                        "no subuser '{}' — :ctx <Tab> lists them",
                        crate::text::clean(arg)
                    ),
                ),
            }
        }
        // not known yet: switch once they are
        Remote::Loading { .. } | Remote::NotAsked => {
            if matches!(app.subusers, Remote::NotAsked) {
                let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
                app.subusers.start(req);
            }
            app.want_ctx = Some(arg.to_owned());
            toast(app, Level::Info, "looking up the subusers…");
        }
        // cannot be listed (the key may lack subusers.read): trust the name
        Remote::Failed { .. } => {
            switch_context(app, Some(OnBehalfOf::Subuser(arg.to_owned())), out)
        }
    }
}

/// The subusers arrived (or could not be read): finish a `:ctx NAME` that waited for them.
pub(crate) fn subusers_arrived(app: &mut App, out: &mut Vec<Command>) {
    if let Some(name) = app.want_ctx.take() {
        ctx(app, &name, out);
    }
}

/// A key that does nothing in this layer: say so instead of silence.
pub(crate) fn no_action(app: &mut App, k: &ratatui::crossterm::event::KeyEvent) {
    use ratatui::crossterm::event::KeyCode;
    if matches!(
        k.code,
        KeyCode::Modifier(_)
            | KeyCode::Null
            | KeyCode::CapsLock
            | KeyCode::NumLock
            | KeyCode::ScrollLock
            | KeyCode::Media(_)
    ) {
        return;
    }
    let label = keymap::chord_label(&keymap::Chord {
        code: k.code,
        mods: k.modifiers & ratatui::crossterm::event::KeyModifiers::CONTROL,
    });
    // said in the status bar, not logged: a stray key is no event; while an error holds the
    // status bar it stays there, and the key is said on the hint line instead
    let said = Some(Toast {
        level: Level::Info,
        text: format!(
            "no action for {} — {} for help",
            crate::text::clean(&label),
            super::keymap::user::key_for(app.layer(), super::keymap::Action::Help).unwrap_or_else(
                || super::keymap::user::key_name(Layer::List, super::keymap::Action::Help)
            )
        ),
        at_ms: app.now_ms,
        about: None,
    });
    if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) {
        app.aside = said;
    } else {
        app.toast = said;
    }
}
