//! `d`: revoking one key or many: the confirmation (Cancel focused, typed count for many), the key
//! in use held back until last, and the answers.

use tui_input::Input;

pub use super::confirm::ARM_MS;
use super::confirm::{Answer, Confirm};
use super::keymap::{Action, Layer};
use super::*;
use super::{effects::*, list::*};
use crate::api::{ApiError, ApiKeyId};
use crate::scopes::{self, KeyType};

/// A key about to be revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTarget {
    pub id: ApiKeyId,
    pub name: String,
    pub key_type: Option<KeyType>,
    pub scopes: Option<Vec<String>>,
    /// The key sgkeys itself is using.
    pub own: bool,
}

impl DeleteTarget {
    /// The key `id`, named `name`, with its scopes before the revoke (for the journal and a
    /// recreate), its type as the list knows it, and whether it is the key in use.
    pub(crate) fn of(app: &App, id: &ApiKeyId, name: &str, scopes: Option<Vec<String>>) -> Self {
        DeleteTarget {
            id: id.clone(),
            name: name.to_owned(),
            key_type: app.keys.get(id).and_then(KeyEntry::key_type),
            scopes,
            own: is_own(app, id),
        }
    }
}

/// `d`: confirm revocation of one or more keys: the one confirmation ([`Confirm`]: Cancel
/// focused, armed for [`ARM_MS`]) with the keys listed; more than one key needs the count typed.
#[derive(Debug, Clone)]
pub struct ConfirmDelete {
    pub targets: Vec<DeleteTarget>,
    pub typed: Input,
    pub error: Option<String>,
    pub confirm: Confirm,
}

impl ConfirmDelete {
    /// Cancel focused, nothing typed, opened now.
    pub fn new(targets: Vec<DeleteTarget>, now_ms: u64) -> Self {
        let title = format!(
            "Revoke {}?",
            crate::text::plural(targets.len(), "API key", "API keys")
        );
        ConfirmDelete {
            targets,
            typed: Input::default(),
            error: None,
            confirm: Confirm::new(title, ["Cancel", "Revoke"], 72)
                .danger()
                .armed_from(now_ms, "so d y typed as one gesture revokes nothing"),
        }
    }
    pub fn needs_count(&self) -> bool {
        self.targets.len() > 1
    }
    pub fn count_ok(&self) -> bool {
        !self.needs_count() || self.typed.value().trim() == self.targets.len().to_string()
    }
}

/// A revoke of one or more keys, to report once all are done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteBatch {
    pub total: usize,
    pub ok: usize,
    pub failed: Vec<String>,
    /// Keys someone had revoked already (SendGrid answered 404): gone, but not by this revoke.
    pub already: Vec<String>,
    /// The key sgkeys is using, held back until every other answer of the batch is in.
    pub last: Option<DeleteTarget>,
}

pub(crate) fn open_confirm_delete(app: &mut App) {
    let targets: Vec<DeleteTarget> = app
        .targets()
        .into_iter()
        .filter(|e| !e.state.is_revoking())
        .map(|e| {
            let scopes = e.info().map(|i| scopes::sendable(&i.scope_names()));
            DeleteTarget::of(app, &e.id, &e.name, scopes)
        })
        .collect();
    if targets.is_empty() {
        return toast(app, Level::Info, "nothing to revoke");
    }
    app.modal = Some(Modal::ConfirmDelete(ConfirmDelete::new(
        targets, app.now_ms,
    )));
}

pub(crate) fn confirm_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let now = app.now_ms;
    let Some(Modal::ConfirmDelete(c)) = &mut app.modal else {
        return;
    };
    match c.confirm.answer(Layer::Confirm, a, now) {
        Answer::Yes => {}
        Answer::No => return close_modal(app),
        Answer::Other(_) | Answer::Stay => return,
    }
    if !c.count_ok() {
        c.error = Some(format!(
            "type {} to confirm revoking {} keys",
            c.targets.len(),
            c.targets.len()
        ));
        return;
    }
    let mut targets = std::mem::take(&mut c.targets);
    close_modal(app);
    let batch = app.next_req;
    // The key sgkeys is using goes last, once every other answer is in: after it, nothing works.
    let last = match targets.iter().position(|t| t.own) {
        Some(i) if targets.len() > 1 => Some(targets.remove(i)),
        _ => None,
    };
    let n = targets.len() + usize::from(last.is_some());
    for t in targets.iter().chain(last.as_ref()) {
        if let Some(e) = app.keys.get_mut(&t.id) {
            e.state.start_revoke(None);
        }
        app.view.marks.remove(&t.id);
    }
    app.batches.insert(
        batch,
        DeleteBatch {
            total: n,
            last,
            ..Default::default()
        },
    );
    for t in &targets {
        send_revoke(app, t, batch, out);
    }
    toast(
        app,
        Level::Info,
        format!("revoking {n} key{}…", if n == 1 { "" } else { "s" }),
    );
}

/// A key typed into the count (`edit` applies it): counted only once the dialog is armed; the
/// right count moves the focus to Revoke.
pub(crate) fn edit_count(app: &mut App, edit: impl FnOnce(&mut Input)) {
    let now = app.now_ms;
    let Some(Modal::ConfirmDelete(c)) = &mut app.modal else {
        return;
    };
    if !c.confirm.armed(now) {
        return c.confirm.too_soon("typing".into());
    }
    edit(&mut c.typed);
    c.error = None;
    if c.count_ok() && c.needs_count() {
        c.confirm.focus_yes = true;
    }
}

pub(crate) fn send_revoke(app: &mut App, t: &DeleteTarget, batch: u64, out: &mut Vec<Command>) {
    let req = request(
        app,
        Pending::Delete {
            id: t.id.clone(),
            batch,
        },
        ApiOp::Mutate(Mutation::Revoke {
            id: t.id.clone(),
            name: t.name.clone(),
            scopes_before: t.scopes.clone(),
        }),
        out,
    );
    if let Some(e) = app.keys.get_mut(&t.id) {
        e.state.start_revoke(Some(req));
    }
}

pub(crate) fn deleted(
    app: &mut App,
    id: &ApiKeyId,
    batch: u64,
    r: Result<bool, ApiError>,
    unknown: bool,
    out: &mut Vec<Command>,
) {
    let name = app.keys.get(id).map(|e| e.name.clone()).unwrap_or_default();
    let ok = r.is_ok();
    match r {
        Ok(already) => {
            if already {
                log(
                    app,
                    Level::Warn,
                    format!("'{name}' ({id}) was already revoked: SendGrid answered 404"),
                );
                if let Some(b) = app.batches.get_mut(&batch) {
                    b.already.push(format!("'{name}'"));
                }
            }
            // (a mark set while its revoke was in flight goes with the key)
            remove_keys(app, std::slice::from_ref(id));
        }
        Err(e) => {
            if let Some(entry) = app.keys.get_mut(id) {
                entry.state.revoke_failed();
            }
            let why = super::errors::explain(app, &e, Some("api_keys.delete"));
            let (what, short) = if unknown {
                (
                    format!(
                        "revoking '{name}' ({id}): OUTCOME UNKNOWN ({why}); the key could not be read back — check it before trusting it is gone"
                    ),
                    format!("'{name}': outcome unknown ({why})"),
                )
            } else {
                (
                    format!("revoking '{name}' ({id}) failed: {why}"),
                    format!("'{name}': {why}"),
                )
            };
            log(app, Level::Error, what);
            if let Some(b) = app.batches.get_mut(&batch) {
                b.failed.push(short);
            }
        }
    }
    let done = match app.batches.get_mut(&batch) {
        Some(b) => {
            if ok {
                b.ok += 1;
            }
            let answered = b.ok + b.failed.len();
            if b.last.is_some() && answered + 1 == b.total {
                // every other key is answered: now the key sgkeys is using
                if let Some(t) = b.last.take() {
                    send_revoke(app, &t, batch, out);
                }
                None
            } else {
                (answered == b.total).then(|| b.clone())
            }
        }
        None => None,
    };
    if let Some(b) = done {
        app.batches.remove(&batch);
        let gone = b.already.len();
        if b.failed.is_empty() && gone == b.total && b.total == 1 {
            toast(
                app,
                Level::Warn,
                format!(
                    "'{name}' was already revoked (by someone else: SendGrid answered 404); \
                     nothing was revoked now"
                ),
            );
        } else if b.failed.is_empty() && gone > 0 {
            let names = b.already.join(", ");
            toast(
                app,
                Level::Warn,
                format!(
                    "revoked {} of {} keys; {gone} {} already revoked ({names})",
                    b.ok - gone,
                    b.total,
                    if gone == 1 { "was" } else { "were" }
                ),
            );
        } else if b.failed.is_empty() {
            let what = if b.total == 1 {
                format!("revoked '{name}'")
            } else {
                format!("revoked {}", crate::text::plural(b.ok, "key", "keys"))
            };
            toast(app, Level::Success, what);
        } else {
            toast(
                app,
                Level::Error,
                format!(
                    "{} of {} revokes failed: {}",
                    b.failed.len(),
                    b.total,
                    b.failed.join("; ")
                ),
            );
        }
    }
}
