//! `J`: the journal in the dashboard. Newest first, this context (endpoint and account) by default (`a` for
//! every context), `/` filters; Enter shows an entry and the actions that apply to it: finish a
//! pending rotation (revoke the old key), recreate a revoked key. Both act only in the context
//! the entry was made in, and only after a confirmation focused on Cancel.

use tui_input::Input;

use super::confirm::{Answer, Confirm, Tone};
use super::effects::*;
use super::keymap::{Action, Layer};
use super::*;
use crate::api::ApiKeyId;
use crate::journal::{Action as JAction, Entry, Outcome};

/// The journal overlay.
#[derive(Debug, Clone, Default)]
pub struct JournalView {
    pub filter: Input,
    /// Typing into the filter.
    pub editing: bool,
    /// Every context (else this endpoint and account only).
    pub all: bool,
    /// Position in [`journal_rows`].
    pub cursor: usize,
    /// Showing the entry under the cursor.
    pub detail: bool,
    /// Why an action does not apply (shown in the detail).
    pub message: Option<String>,
    pub confirm: Option<JournalConfirm>,
}

impl JournalView {
    pub fn layer(&self) -> Layer {
        if self.confirm.is_some() {
            Layer::JournalConfirm
        } else if self.detail {
            Layer::JournalDetail
        } else if self.editing {
            Layer::JournalFilter
        } else {
            Layer::Journal
        }
    }
}

/// What an entry's action will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalFix {
    /// Revoke a pending rotation's old key.
    Finish {
        old: ApiKeyId,
        name: String,
        new_id: String,
    },
    /// Create a key with a revoked key's name and scopes.
    Recreate {
        id: ApiKeyId,
        name: String,
        scopes: Vec<String>,
    },
}

/// Confirming a [`JournalFix`]; Cancel focused.
#[derive(Debug, Clone)]
pub struct JournalConfirm {
    pub fix: JournalFix,
    pub confirm: Confirm,
}

impl JournalConfirm {
    /// The question for `fix`, worded.
    pub fn new(fix: JournalFix) -> Self {
        let confirm = match &fix {
            JournalFix::Finish { old, name, .. } => {
                Confirm::new("Finish the rotation?", ["Cancel", "Revoke"], 56).line(
                    Tone::Warn,
                    format!(
                        "Revoke the old key '{name}' ({old})? Apps still using it stop working. \
                         This cannot be undone."
                    ),
                )
            }
            JournalFix::Recreate { id, name, scopes } => {
                Confirm::new("Recreate the key?", ["Cancel", "Recreate"], 56).line(
                    Tone::Warn,
                    format!(
                        "Create a new key '{name}' with the {} of {id}? Its secret is shown once.",
                        crate::text::plural(scopes.len(), "scope", "scopes")
                    ),
                )
            }
        };
        JournalConfirm {
            fix,
            confirm: confirm.danger(),
        }
    }
}

/// The entries shown, as indices into `app.journal`, newest first.
pub fn journal_rows(app: &App, v: &JournalView) -> Vec<usize> {
    let Some(entries) = app.journal.value() else {
        return Vec::new();
    };
    let needle = v.filter.value().trim().to_lowercase();
    (0..entries.len())
        .rev()
        .filter(|&i| v.all || app.in_context(&entries[i]))
        .filter(|&i| needle.is_empty() || haystack(app, &entries[i]).contains(&needle))
        .collect()
}

fn haystack(app: &App, e: &Entry) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        e.action.label(),
        e.api_key_id,
        e.name.as_deref().unwrap_or_default(),
        outcome_label(e),
        e.replaces.as_deref().unwrap_or_default(),
        e.error.as_deref().unwrap_or_default(),
        if is_pending(app, e) { "pending" } else { "" },
    )
    .to_lowercase()
}

/// `ok`, `failed`, `UNKNOWN` (an intent without outcome, or an unknown outcome).
pub fn outcome_label(e: &Entry) -> &'static str {
    match e.result() {
        Outcome::Unknown => "UNKNOWN",
        o => o.label(),
    }
}

/// A rotation whose old key is not revoked yet.
pub fn is_pending(app: &App, e: &Entry) -> bool {
    e.action == JAction::Rotate && app.rotations.pending.contains(e)
}

/// `acme-eu @ https://api…`, or the endpoint alone for the key's own account.
pub fn context_of(e: &Entry) -> String {
    if !e.in_its_context() {
        return format!("the key's own account (self-revoke) @ {}", e.base_url);
    }
    match &e.on_behalf_of {
        Some(o) => format!("{o} @ {}", e.base_url),
        None => e.base_url.clone(),
    }
}

/// The entry under the cursor.
pub fn current_entry<'a>(app: &'a App, v: &JournalView) -> Option<&'a Entry> {
    let rows = journal_rows(app, v);
    let i = *rows.get(v.cursor.min(rows.len().saturating_sub(1)))?;
    app.journal.value()?.get(i)
}

/// What can be done with an entry: a fix, or why nothing (None: nothing applies).
pub fn fix_for(app: &App, e: &Entry) -> Option<Result<JournalFix, String>> {
    let fix = if is_pending(app, e) {
        let old = e.replaces.clone().unwrap_or_default();
        let name = app
            .keys
            .get(&ApiKeyId(old.clone()))
            .map(|k| k.name.clone())
            .unwrap_or_else(|| old.clone());
        JournalFix::Finish {
            old: ApiKeyId(old),
            name,
            new_id: e.api_key_id.clone(),
        }
    } else if e.action == JAction::Revoke
        && e.result() == Outcome::Ok
        && let Some(scopes) = &e.scopes_before
    {
        let id = ApiKeyId(e.api_key_id.clone());
        JournalFix::Recreate {
            name: e
                .name
                .clone()
                .unwrap_or_else(|| format!("recreated {}", e.api_key_id)),
            id,
            scopes: scopes.clone(),
        }
    } else {
        return None;
    };
    if app.in_context(e) {
        Some(Ok(fix))
    } else if !e.in_its_context() {
        Some(Err(
            "revoked with its own key in its own account (self-revoke), which the key sgkeys \
             uses does not reach: recreate it there"
                .into(),
        ))
    } else {
        Some(Err(format!(
            "made at {}, not where the dashboard points now: switch there (c) to act on it",
            context_of(e)
        )))
    }
}

/// `J` (or `:journal`): open the view and read the journal afresh.
pub(crate) fn open_journal(app: &mut App, out: &mut Vec<Command>) {
    app.modal = Some(Modal::Journal(Box::default()));
    super::rotate::read_journal(app, out);
}

pub(crate) fn journal_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let n = match &app.modal {
        Some(Modal::Journal(v)) => journal_rows(app, v).len(),
        _ => return,
    };
    let fix = match &app.modal {
        Some(Modal::Journal(v)) => current_entry(app, v).and_then(|e| fix_for(app, e)),
        _ => None,
    };
    let Some(Modal::Journal(v)) = &mut app.modal else {
        return;
    };
    match (layer, a) {
        (Layer::Journal, Action::Back) => close_modal(app),
        (Layer::Journal | Layer::JournalDetail, Action::Down) => {
            v.cursor = (v.cursor + 1).min(n.saturating_sub(1));
            v.message = None;
        }
        (Layer::Journal | Layer::JournalDetail, Action::Up) => {
            v.cursor = v.cursor.min(n.saturating_sub(1)).saturating_sub(1);
            v.message = None;
        }
        (Layer::Journal, Action::Top) => v.cursor = 0,
        (Layer::Journal, Action::Bottom) => v.cursor = n.saturating_sub(1),
        (Layer::Journal, Action::Filter) => v.editing = true,
        (Layer::Journal, Action::AllContexts) => {
            v.all = !v.all;
            v.cursor = 0;
        }
        (Layer::Journal, Action::Enter) if n > 0 => {
            v.detail = true;
            v.message = None;
        }
        (Layer::JournalFilter, Action::Enter) => v.editing = false,
        (Layer::JournalFilter, Action::Back) => {
            v.filter = Input::default();
            v.editing = false;
            v.cursor = 0;
        }
        (Layer::JournalDetail, Action::Back) => {
            v.detail = false;
            v.message = None;
        }
        (Layer::JournalDetail, Action::Finish | Action::Recreate) => {
            let wanted = |f: &JournalFix| {
                matches!(
                    (f, a),
                    (JournalFix::Finish { .. }, Action::Finish)
                        | (JournalFix::Recreate { .. }, Action::Recreate)
                )
            };
            match fix {
                Some(Ok(f)) if wanted(&f) => {
                    v.confirm = Some(JournalConfirm::new(f));
                }
                Some(Err(why)) => v.message = Some(why),
                _ => {
                    v.message = Some(if a == Action::Finish {
                        "not a pending rotation: nothing to finish".into()
                    } else {
                        "only a successful revoke with known scopes can be recreated".into()
                    });
                }
            }
        }
        (Layer::JournalConfirm, _) => confirm(app, a, out),
        _ => {}
    }
}

fn confirm(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let now = app.now_ms;
    let Some(Modal::Journal(v)) = &mut app.modal else {
        return;
    };
    let Some(c) = &mut v.confirm else {
        return;
    };
    let go = match c.confirm.answer(Layer::JournalConfirm, a, now) {
        Answer::Yes => true,
        Answer::No => false,
        Answer::Other(_) | Answer::Stay => return,
    };
    let fix = c.fix.clone();
    if !go {
        v.confirm = None;
        return;
    }
    close_modal(app);
    match fix {
        JournalFix::Finish { old, name, .. } => {
            super::rotate::finish_pending(app, &old, &name, out);
        }
        JournalFix::Recreate { id, name, scopes } => {
            request(
                app,
                Pending::Create { name: name.clone() },
                ApiOp::Mutate(Mutation::Create {
                    name: name.clone(),
                    scopes: Some(scopes),
                    replaces: Some(id),
                }),
                out,
            );
            toast(app, Level::Info, format!("recreating '{name}'…"));
        }
    }
}
