//! Text that arrives at once: a bracketed paste, or keystrokes that came together faster than
//! anyone types (a terminal or multiplexer without bracketed paste, a slow SSH link, a busy
//! machine). No keystroke is lost without a word:
//!
//! 1. text holding a SendGrid key is a pasted key: the key is followed ([`super::leak`]);
//! 2. in a text field (the filter, a name, the `:` line) the text is typed into it;
//! 3. a burst that starts with `/` or `:` opens that line, with the rest typed into it;
//! 4. a run of one repeated key (`jjjjjjjjj`) is key repeat: the keys stay keys;
//! 5. anything else is dropped, and a toast says how many characters and why.
//!
//! [`coalesce`] finds the bursts in a batch of keys (the event loop gathers what arrives within a
//! few milliseconds into one batch); [`arrived`] applies the rules. Pasted text goes into a
//! field in one step, cut to [`PASTE_MAX`] characters: linear time, whatever was pasted.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;

use super::effects::toast;
use super::keymap::Layer;
use super::{App, Command, Level, Msg};

/// The shortest run of printable keys taken for a burst (a SendGrid key is 69).
pub const BURST_MIN: usize = 8;
/// Pasted text put into a field is cut to this many characters (a key name is at most 100; a
/// filter rarely more than a few dozen).
pub const PASTE_MAX: usize = 1024;

fn printable(m: &Msg) -> Option<char> {
    match m {
        Msg::Key(k)
            if k.kind != KeyEventKind::Release
                && (k.modifiers - KeyModifiers::SHIFT).is_empty() =>
        {
            match k.code {
                KeyCode::Char(c) if !c.is_control() => Some(c),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_enter(m: &Msg) -> bool {
    matches!(m, Msg::Key(k) if k.code == KeyCode::Enter && k.modifiers.is_empty())
}

/// The batch with every burst of printable keys replaced by one [`Msg::Burst`] (an Enter right
/// after it goes with it); a run of one repeated key stays keys (key repeat).
pub fn coalesce(batch: Vec<Msg>) -> Vec<Msg> {
    let mut out = Vec::with_capacity(batch.len());
    let mut run: Vec<Msg> = Vec::new();
    let mut text = String::new();
    // a burst (not one key repeated) becomes one message; `enter`: an Enter follows it
    let flush = |run: &mut Vec<Msg>, text: &mut String, out: &mut Vec<Msg>, enter: bool| {
        let mut cs = text.chars();
        let first = cs.next();
        let repeat = cs.all(|c| Some(c) == first);
        if run.len() >= BURST_MIN && !repeat {
            run.clear();
            out.push(Msg::Burst {
                text: std::mem::take(text),
                enter,
            });
            true
        } else {
            out.append(run);
            text.clear();
            false
        }
    };
    for m in batch {
        if let Some(c) = printable(&m) {
            text.push(c);
            run.push(m);
            continue;
        }
        let enter = is_enter(&m);
        if flush(&mut run, &mut text, &mut out, enter) && enter {
            continue; // the Enter that ended the burst goes with it
        }
        out.push(m);
    }
    flush(&mut run, &mut text, &mut out, false);
    out
}

/// How text arrived at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A bracketed paste (the terminal said so).
    Paste,
    /// Keystrokes that came together ([`coalesce`]).
    Burst,
}

/// The dispatcher a key pressed on the text's behalf goes through (`update`'s own, so a `/`
/// or an Enter in a burst does exactly what the key does).
pub(crate) type Press = fn(&mut App, KeyEvent, &mut Vec<Command>);

/// Apply the rules above to text that arrived at once; `enter`: an Enter came right after it.
pub(crate) fn arrived(
    app: &mut App,
    text: &str,
    enter: bool,
    how: Arrival,
    key: Press,
    out: &mut Vec<Command>,
) {
    let press = |app: &mut App, code: KeyCode, out: &mut Vec<Command>| {
        key(app, KeyEvent::new(code, KeyModifiers::NONE), out)
    };
    // 1. a key: follow it, never type it anywhere
    let keys = crate::leak::keys_in(text);
    if let Some(secret) = keys.first().cloned() {
        if matches!(
            app.layer(),
            Layer::List | Layer::Detail | Layer::Filter | Layer::Matrix
        ) {
            app.filter.editing = false;
            if keys.len() > 1 {
                toast(
                    app,
                    Level::Warn,
                    format!(
                        "the pasted text holds {} keys: following the first; \
                         `sgkeys revoke --from-report FILE` takes them all",
                        keys.len()
                    ),
                );
            }
            super::leak::hunt(app, secret, out);
            return;
        }
        // Never put a secret into a form field.
        toast(
            app,
            Level::Warn,
            "that is an API key secret: paste it into the key list to find the key",
        );
        return;
    }
    // 2. a text field: typed into it
    let layer = app.layer();
    if layer.is_text() {
        type_text(app, layer, text);
        if enter {
            press(app, KeyCode::Enter, out);
        }
        return;
    }
    // 3. the filter's or the command line's key first (`/`, `:`, or the user's): that line
    // opens and takes the rest
    let mut chars = text.chars();
    let opens_a_line = |c: char| {
        super::keymap::resolve(layer, &KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .is_some_and(|b| {
                matches!(
                    b.action,
                    super::keymap::Action::Filter | super::keymap::Action::Command
                )
            })
    };
    if let Some(first) = chars.next().filter(|c| opens_a_line(*c)) {
        press(app, KeyCode::Char(first), out);
        let layer = app.layer();
        if layer.is_text() {
            type_text(app, layer, chars.as_str());
            if enter {
                press(app, KeyCode::Enter, out);
            }
            return;
        }
        return ignored(app, chars.as_str(), enter, how);
    }
    // 5. nothing takes it: say so
    ignored(app, text, enter, how);
}

/// Text nothing took: a toast says how much and where text can go. The text itself is not
/// repeated (it may be part of a secret).
fn ignored(app: &mut App, text: &str, enter: bool, how: Arrival) {
    let n = text.chars().count() + usize::from(enter);
    if n == 0 {
        return;
    }
    let what = match how {
        Arrival::Burst => format!(
            "ignored {n} characters that arrived at once (a paste?)",
            n = n
        ),
        Arrival::Paste => format!("ignored a paste of {n} characters"),
    };
    let where_ = if matches!(app.layer(), Layer::List | Layer::Detail | Layer::Matrix) {
        "only a whole API key can be pasted here; / filters, : runs a command"
    } else {
        "paste keys into the key list"
    };
    toast(app, Level::Warn, format!("{what}: {where_}"));
}

/// Type pasted text into the field of `layer`: its first line, without control characters, cut
/// to [`PASTE_MAX`], inserted in one step at the cursor (linear in the text, never per
/// character: a megabyte pasted into the filter costs one filter pass, not a million).
pub(crate) fn type_text(app: &mut App, layer: Layer, text: &str) {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines.next().unwrap_or_default();
    let more_lines = lines.next().is_some();
    let mut chars = line.chars().filter(|c| !c.is_control());
    let clean: String = chars.by_ref().take(PASTE_MAX).collect();
    let cut = chars.next().is_some();
    super::field::edit_field(app, layer, |input| insert_str(input, &clean));
    let mut said = Vec::new();
    if more_lines {
        said.push("its first line only".to_owned());
    }
    if cut {
        said.push(format!("cut to {PASTE_MAX} characters"));
    }
    if !said.is_empty() {
        toast(
            app,
            Level::Warn,
            format!("pasted text: {} (a field holds one line)", said.join(", ")),
        );
    }
}

/// Insert `s` at the cursor in one step.
pub(crate) fn insert_str(input: &mut Input, s: &str) {
    if s.is_empty() {
        return;
    }
    let cur = input.cursor();
    let value = input.value();
    let at = value
        .char_indices()
        .nth(cur)
        .map_or(value.len(), |(b, _)| b);
    let mut next = String::with_capacity(value.len() + s.len());
    next.push_str(&value[..at]);
    next.push_str(s);
    next.push_str(&value[at..]);
    *input = Input::new(next).with_cursor(cur + s.chars().count());
}
