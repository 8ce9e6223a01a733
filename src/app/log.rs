//! `@`: the message and API log. `/` filters it, `w` wraps long lines (a fix command in a long
//! message stays readable), a line said again right away shows once with its count, and the
//! periodic refresh's routine reads (a list read that found nothing new) stay out of it: its
//! title counts them instead.

use tui_input::Input;

use super::keymap::{Action, Layer};
use super::*;
use crate::api::CallRecord;

/// The log overlay's state. `scroll` counts entries up from the newest shown.
#[derive(Debug, Clone, Default)]
pub struct LogModal {
    pub scroll: usize,
    pub filter: Input,
    /// Typing into the filter (after `/`).
    pub editing: bool,
    /// Long lines wrapped instead of cut.
    pub wrap: bool,
}

impl LogModal {
    pub fn layer(&self) -> Layer {
        if self.editing {
            Layer::LogFilter
        } else {
            Layer::Log
        }
    }
}

/// The entries shown (indices into `app.log`, oldest first): those the filter matches.
pub fn log_rows(app: &App, l: &LogModal) -> Vec<usize> {
    let needle = l.filter.value().trim().to_lowercase();
    (0..app.log.len())
        .filter(|&i| needle.is_empty() || app.log[i].text.to_lowercase().contains(&needle))
        .collect()
}

/// Keys of the `@` log: scrolling, `/` into the filter, `w` wrap, Esc out of the filter then out.
pub(crate) fn log_action(app: &mut App, layer: Layer, a: Action) {
    let n = match &app.modal {
        Some(Modal::Log(l)) => log_rows(app, l).len(),
        _ => return,
    };
    let Some(Modal::Log(l)) = &mut app.modal else {
        return;
    };
    let top = n.saturating_sub(1);
    match (layer, a) {
        (Layer::Log, Action::Back) => app.modal = None,
        (Layer::LogFilter, Action::Back) => {
            l.filter = Input::default();
            l.editing = false;
            l.scroll = 0;
        }
        (Layer::LogFilter, Action::Enter) => l.editing = false,
        (_, Action::Filter) => l.editing = true,
        (_, Action::Toggle) => l.wrap = !l.wrap,
        (_, Action::Up) => l.scroll = (l.scroll + 1).min(top),
        (_, Action::Down) => l.scroll = l.scroll.saturating_sub(1),
        (_, Action::Top) => l.scroll = top,
        (_, Action::Bottom) => l.scroll = 0,
        (_, Action::PageUp) => l.scroll = (l.scroll + 10).min(top),
        (_, Action::PageDown) => l.scroll = l.scroll.saturating_sub(10),
        _ => {}
    }
}

/// The log's filter changed: back to the newest match.
pub(crate) fn filter_changed(l: &mut LogModal) {
    l.scroll = 0;
}

/// An HTTP exchange happened: one log line; a routine read of the periodic refresh is held back
/// until its answer says whether it found anything ([`routine_read`]).
pub(crate) fn call(app: &mut App, rec: CallRecord) {
    let status = rec
        .status
        .map_or_else(|| "---".to_owned(), |s| s.to_string());
    let ctx = rec
        .on_behalf_of
        .as_deref()
        .map(|o| format!(" [{o}]"))
        .unwrap_or_default();
    let retry = if rec.attempt > 0 {
        format!(" (retry {})", rec.attempt)
    } else {
        String::new()
    };
    let err = rec
        .error
        .as_deref()
        .map(|e| format!(" — {e}"))
        .unwrap_or_default();
    let level = match rec.status {
        Some(s) if s < 400 => Level::Info,
        Some(429) => Level::Warn,
        _ => Level::Error,
    };
    let text = format!(
        "{} {} {status} {}ms{ctx}{retry}{err}",
        rec.method, rec.path, rec.elapsed_ms
    );
    let routine = rec.method == "GET"
        && rec.path == "/v3/api_keys"
        && level == Level::Info
        && rec.attempt == 0
        && super::live::is_auto(app);
    if routine {
        app.live.routine = Some(LogLine {
            at_ms: app.now_ms,
            level,
            text,
            count: 1,
        });
        return;
    }
    super::effects::log(app, level, text);
}
