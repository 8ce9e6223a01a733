//! The `?` help overlay.

use tui_input::Input;

use super::keymap::{Action, Layer};
use super::{App, Modal};

/// `?`: bindings of the layer underneath. `j/k/g/G/PgUp/PgDn` scroll; `/` filters.
#[derive(Debug)]
pub struct HelpModal {
    pub filter: Input,
    /// Typing into the filter (after `/`).
    pub editing: bool,
    /// The layer the help describes.
    pub under: Layer,
    /// First line shown (kept within [`help_max_scroll`]).
    pub scroll: usize,
    /// The dialog the help was opened from: back on top when the help closes.
    pub behind: Option<Box<super::Modal>>,
}

impl HelpModal {
    /// Help for `under`, over the dialog `behind` (if any).
    pub fn new(under: Layer, behind: Option<Box<super::Modal>>) -> Self {
        HelpModal {
            filter: Input::default(),
            editing: false,
            under,
            scroll: 0,
            behind,
        }
    }
}

/// `?` in any layer: the help for it, over it (the dialog comes back when the help closes).
pub(crate) fn open_help(app: &mut App, under: Layer) {
    let behind = app.modal.take().map(Box::new);
    app.modal = Some(Modal::Help(HelpModal::new(under, behind)));
}

/// The filter syntax, as (example, meaning); in the help of the panes.
pub const FILTER_SYNTAX: &[(&str, &str)] = &[
    ("text", "name or id contains the text"),
    (
        "scope:glob",
        "holds a matching scope (scope:mail.*, scope:api_keys.create)",
    ),
    ("type:full|custom|billing", "key type"),
    ("risk:high|medium|low", "at least that severity"),
    ("!term", "invert a term (!ci, !type:full)"),
    (
        "SG.xxxx.yyyy",
        "paste a whole SendGrid key to jump to its row",
    ),
];

/// What the help shows: the bindings of the layer underneath and (for the panes) the filter
/// syntax, both narrowed by the help's filter.
pub fn help_entries(
    h: &HelpModal,
    read_only: bool,
) -> (
    Vec<&'static super::keymap::Binding>,
    Vec<&'static (&'static str, &'static str)>,
) {
    let filter = h.filter.value().to_lowercase();
    let hit = |a: &str, b: &str| {
        filter.is_empty()
            || a.to_lowercase().contains(&filter)
            || b.to_lowercase().contains(&filter)
    };
    let bindings = super::keymap::bindings_for(h.under, read_only)
        .filter(|b| hit(&super::keymap::keys_label(b), b.desc))
        .collect();
    let syntax = if matches!(h.under, Layer::List | Layer::Detail | Layer::Filter) {
        FILTER_SYNTAX.iter().filter(|(a, b)| hit(a, b)).collect()
    } else {
        Vec::new()
    };
    (bindings, syntax)
}

/// Lines of the help's body: bindings, then a blank line, a heading and the syntax (or one
/// "nothing matches" line).
pub fn help_line_count(h: &HelpModal, read_only: bool) -> usize {
    let (b, s) = help_entries(h, read_only);
    let syntax = if s.is_empty() {
        0
    } else {
        s.len() + 1 + usize::from(!b.is_empty())
    };
    (b.len() + syntax).max(1)
}

/// Body rows of the help box on a screen `screen_h` high (the geometry `ui::help` draws with:
/// the box fits its lines + filter row + gap + borders into the screen minus header, status
/// line and hints).
pub fn help_body_rows(h: &HelpModal, read_only: bool, screen_h: u16) -> usize {
    let lines = help_line_count(h, read_only);
    let region = usize::from(screen_h).saturating_sub(3);
    (lines + 4).min(region).saturating_sub(4).max(1)
}

/// The largest useful scroll: the last line at the bottom of the box.
pub fn help_max_scroll(h: &HelpModal, read_only: bool, screen_h: u16) -> usize {
    help_line_count(h, read_only).saturating_sub(help_body_rows(h, read_only, screen_h))
}

/// Keys of the `?` overlay: scrolling, `/` into the filter, Esc out of the filter then out.
pub(crate) fn help_action(app: &mut App, layer: Layer, a: Action) {
    let (ro, screen_h) = (app.ctx.read_only, app.size.1);
    let Some(Modal::Help(h)) = &mut app.modal else {
        return;
    };
    let max = help_max_scroll(h, ro, screen_h);
    let page = help_body_rows(h, ro, screen_h).max(2) - 1;
    let scroll = h.scroll.min(max);
    match (layer, a) {
        (Layer::Help, Action::Back) => app.modal = h.behind.take().map(|b| *b),
        (Layer::HelpFilter, Action::Back) => {
            h.filter = Input::default();
            h.editing = false;
            h.scroll = 0;
        }
        (Layer::HelpFilter, Action::Enter) => h.editing = false,
        (_, Action::Filter) => h.editing = true,
        (_, Action::Down) => h.scroll = (scroll + 1).min(max),
        (_, Action::Up) => h.scroll = scroll.saturating_sub(1),
        (_, Action::Top) => h.scroll = 0,
        (_, Action::Bottom) => h.scroll = max,
        (_, Action::PageDown) => h.scroll = (scroll + page).min(max),
        (_, Action::PageUp) => h.scroll = scroll.saturating_sub(page),
        _ => {}
    }
}
