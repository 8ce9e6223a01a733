//! `R`: rotating a key. A replacement with the same scopes and a lineage name (editable), its
//! secret shown once, then "is the new key deployed?": yes revokes the old key and reads it back
//! until the API says it is gone (404); later keeps both, and the journal's pending rotation
//! shows as a badge on the old key until it is finished (here, from `J`, or with
//! `sgkeys rotate --finish`).

use tui_input::Input;

use super::keymap::Action;
use super::*;
use super::{effects::*, list::*, revoke::*};
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail};

/// The name of the replacement, before it is created.
#[derive(Debug, Clone)]
pub struct RotateForm {
    pub old: ApiKeyId,
    pub old_name: String,
    /// The old key's scopes, which the replacement gets.
    pub scopes: Vec<String>,
    pub name: Input,
    pub error: Option<String>,
    /// The create request in flight.
    pub submitting: Option<ReqId>,
    /// Rotating the marked keys: each with its lineage name (the name field is then unused).
    pub many: Vec<RotateTarget>,
}

/// One key of a rotation of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateTarget {
    pub old: ApiKeyId,
    pub old_name: String,
    pub scopes: Vec<String>,
    /// The replacement's name.
    pub name: String,
}

/// A rotation of several keys: replacements answered so far, and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotateBatch {
    /// Answers still to come.
    pub waiting: usize,
    pub made: Vec<Rotated>,
    pub failed: Vec<String>,
}

/// What a rotation made: the old key (still working) and its replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub old: ApiKeyId,
    pub old_name: String,
    pub old_scopes: Option<Vec<String>>,
    pub new_id: ApiKeyId,
    pub new_name: String,
}

/// "Is the new key deployed?" after the replacement's secret. Focus starts on Later: nothing is
/// revoked by accident.
#[derive(Debug, Clone)]
pub struct DeployedAsk {
    pub rotated: Rotated,
    /// Focus on "Revoke old key now" (else on "Later").
    pub focus_revoke: bool,
}

/// Rotations known from the journal, and revokes waiting to be read back.
#[derive(Debug, Clone, Default)]
pub struct Rotations {
    /// Pending rotations in every context (the journal's, as last read).
    pub pending: Vec<crate::journal::Entry>,
    /// Old keys whose revoke is in flight and is to be verified: id → name.
    pub verify: HashMap<ApiKeyId, String>,
    /// Secrets of replacements waiting for the one on screen to be closed.
    pub queue: VecDeque<SecretModal>,
    /// A rotation of several keys in progress.
    pub batch: Option<RotateBatch>,
}

/// `R` on the selection: the name form, prefilled with the lineage name.
pub(crate) fn open_rotate(app: &mut App) {
    if app.rotations.batch.is_some() {
        return toast(
            app,
            Level::Info,
            "a rotation of several keys is still in progress",
        );
    }
    if app.view.marks.len() > 1 {
        return open_rotate_many(app);
    }
    let Some(e) = app.targets().into_iter().next() else {
        return toast(app, Level::Info, "nothing to rotate");
    };
    if e.state.is_revoking() {
        return toast(app, Level::Info, format!("'{}' is being revoked", e.name));
    }
    let Some(info) = e.info() else {
        return toast(
            app,
            Level::Warn,
            format!(
                "the scopes of '{}' are not loaded yet: rotate copies them, try again in a moment",
                e.name
            ),
        );
    };
    let name = crate::ops::lineage_name(&e.name, &app.clock.date(app.now_ms));
    let form = RotateForm {
        old: e.id.clone(),
        old_name: e.name.clone(),
        scopes: crate::scopes::sendable(&info.scope_names()),
        name: Input::new(name),
        error: None,
        submitting: None,
        many: Vec::new(),
    };
    app.modal = Some(Modal::Rotate(Box::new(form)));
}

/// `R` with several keys marked: each gets a replacement with its lineage name.
fn open_rotate_many(app: &mut App) {
    let today = app.clock.date(app.now_ms);
    let targets = app.targets();
    let unknown: Vec<String> = targets
        .iter()
        .filter(|e| e.info().is_none())
        .map(|e| e.name.clone())
        .collect();
    if !unknown.is_empty() {
        return toast(
            app,
            Level::Warn,
            format!(
                "the scopes of {} are not loaded yet: rotate copies them, try again in a moment",
                unknown.join(", ")
            ),
        );
    }
    let many: Vec<RotateTarget> = targets
        .iter()
        .filter(|e| !e.state.is_revoking())
        .filter_map(|e| {
            Some(RotateTarget {
                old: e.id.clone(),
                old_name: e.name.clone(),
                scopes: crate::scopes::sendable(&e.info()?.scope_names()),
                name: crate::ops::lineage_name(&e.name, &today),
            })
        })
        .collect();
    let Some(first) = many.first().cloned() else {
        return toast(app, Level::Info, "nothing to rotate");
    };
    app.modal = Some(Modal::Rotate(Box::new(RotateForm {
        old: first.old,
        old_name: first.old_name,
        scopes: first.scopes,
        name: Input::new(first.name),
        error: None,
        submitting: None,
        many,
    })));
}

pub(crate) fn rotate_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Rotate(f)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Back => close_modal(app),
        Action::Save if !f.many.is_empty() => {
            let many = std::mem::take(&mut f.many);
            close_modal(app);
            app.rotations.batch = Some(RotateBatch {
                waiting: many.len(),
                ..Default::default()
            });
            for t in &many {
                app.view.marks.remove(&t.old);
                request(
                    app,
                    Pending::Rotate {
                        old: t.old.clone(),
                        name: t.name.clone(),
                    },
                    ApiOp::Mutate(Mutation::Rotate {
                        old: t.old.clone(),
                        name: t.name.clone(),
                        scopes: t.scopes.clone(),
                    }),
                    out,
                );
            }
            toast(
                app,
                Level::Info,
                format!("creating {} replacements…", many.len()),
            );
        }
        Action::Save => {
            let name = match validate_name(f.name.value()) {
                Ok(n) => n,
                Err(e) => {
                    f.error = Some(e);
                    return;
                }
            };
            let (old, scopes) = (f.old.clone(), f.scopes.clone());
            let req = request(
                app,
                Pending::Rotate {
                    old: old.clone(),
                    name: name.clone(),
                },
                ApiOp::Mutate(Mutation::Rotate { old, name, scopes }),
                out,
            );
            if let Some(Modal::Rotate(f)) = &mut app.modal {
                f.submitting = Some(req);
            }
        }
        _ => {}
    }
}

/// The replacement's answer: its secret shown once (then the deployed? question), or why not.
pub(crate) fn rotated(
    app: &mut App,
    req: ReqId,
    old: &ApiKeyId,
    name: &str,
    r: Result<crate::api::CreatedKey, ApiError>,
) {
    let form_waiting = matches!(&app.modal, Some(Modal::Rotate(f)) if f.submitting == Some(req));
    let (old_name, old_scopes) = match app.keys.get(old) {
        Some(e) => (
            e.name.clone(),
            e.info().map(|i| crate::scopes::sendable(&i.scope_names())),
        ),
        None => (old.to_string(), None),
    };
    match r {
        Ok(created) => {
            let info = KeyInfo::new(&KeyDetail {
                api_key_id: created.api_key_id.clone(),
                name: created.name.clone(),
                scopes: created.scopes.clone(),
            });
            let (key_type, counted) = (info.key_type, info.counted);
            let mut entry = KeyEntry::new(ApiKey {
                api_key_id: created.api_key_id.clone(),
                name: created.name.clone(),
            });
            entry.state = KeyState::Scopes(Remote::Ready(info));
            match app.keys.index.get(&created.api_key_id).copied() {
                Some(i) => app.keys.entries[i] = entry,
                None => app.keys.entries.push(entry),
            }
            app.keys.reindex();
            recompute_risks(app);
            refilter(app);
            let secret = SecretModal {
                id: created.api_key_id.clone(),
                name: created.name.clone(),
                key_type,
                scope_count: counted,
                secret: created.api_key,
                copied: false,
                confirm_close: false,
                rotated: Some(Rotated {
                    old: old.clone(),
                    old_name: old_name.clone(),
                    old_scopes,
                    new_id: created.api_key_id.clone(),
                    new_name: created.name.clone(),
                }),
            };
            if let Some(b) = &mut app.rotations.batch
                && let Some(r) = &secret.rotated
            {
                b.made.push(r.clone());
            }
            // one secret at a time: the others wait until it is closed
            if matches!(app.modal, Some(Modal::Secret(_))) {
                app.rotations.queue.push_back(secret);
            } else {
                app.modal = Some(Modal::Secret(secret));
            }
            toast(
                app,
                Level::Success,
                format!(
                    "created '{}' ({}) to replace '{old_name}'",
                    created.name, created.api_key_id
                ),
            );
        }
        Err(ApiError::CreatedSecretLost { id, cause }) => {
            if form_waiting {
                close_modal(app);
            }
            if let Some(b) = &mut app.rotations.batch {
                b.failed
                    .push(format!("'{old_name}': answer lost (made as {id})"));
            }
            toast(
                app,
                Level::Error,
                format!(
                    "the replacement '{name}' was created as {id} but the answer was lost ({cause}): its secret cannot be recovered — revoke it (d) and rotate again; '{old_name}' is untouched"
                ),
            );
        }
        Err(e) => {
            if let Some(b) = &mut app.rotations.batch {
                b.failed.push(format!("'{old_name}': {}", e.short()));
            }
            if form_waiting && let Some(Modal::Rotate(f)) = &mut app.modal {
                f.submitting = None;
                f.error = Some(format!("SendGrid refused: {}", e.short()));
            }
            toast(
                app,
                Level::Error,
                format!("could not create the replacement for '{old_name}': {e}"),
            );
        }
    }
}

/// One replacement of a rotation of several answered: when every answer is in and no secret
/// is left to show, ask once (typed count, the key in use last) to revoke the old keys.
pub(crate) fn batch_answered(app: &mut App) {
    if let Some(b) = &mut app.rotations.batch {
        b.waiting = b.waiting.saturating_sub(1);
    }
    batch_next(app);
}

fn batch_next(app: &mut App) {
    let done = app.rotations.batch.as_ref().is_some_and(|b| b.waiting == 0);
    if !done || app.modal.is_some() || !app.rotations.queue.is_empty() {
        return;
    }
    let Some(b) = app.rotations.batch.take() else {
        return;
    };
    if !b.failed.is_empty() {
        toast(
            app,
            Level::Error,
            format!(
                "{} of {} replacements failed ({}): their old keys are untouched",
                b.failed.len(),
                b.failed.len() + b.made.len(),
                b.failed.join("; ")
            ),
        );
    }
    if b.made.is_empty() {
        return;
    }
    let targets: Vec<DeleteTarget> = b
        .made
        .iter()
        .map(|r| DeleteTarget {
            id: r.old.clone(),
            name: r.old_name.clone(),
            key_type: app.keys.get(&r.old).and_then(KeyEntry::key_type),
            scopes: r.old_scopes.clone(),
            own: is_own(app, &r.old),
        })
        .collect();
    for r in &b.made {
        app.rotations
            .verify
            .insert(r.old.clone(), r.old_name.clone());
    }
    if targets.len() == 1 {
        // one replacement made: the same question as for one key
        if let Some(r) = b.made.into_iter().next() {
            ask_deployed_now(app, r);
        }
        return;
    }
    let n = targets.len();
    app.modal = Some(Modal::ConfirmDelete(ConfirmDelete::new(
        targets, app.now_ms,
    )));
    toast(
        app,
        Level::Info,
        format!(
            "{n} replacements made: revoke the old keys now, or Esc to keep them (the rotations stay pending)"
        ),
    );
}

/// The secret modal closed on a rotation's replacement: the next secret, or (one key) whether it
/// is deployed, or (several) the revoke of the old keys once all are shown.
pub(crate) fn ask_deployed(app: &mut App, rotated: Rotated) {
    if let Some(next) = app.rotations.queue.pop_front() {
        app.modal = Some(Modal::Secret(next));
        return;
    }
    if app.rotations.batch.is_some() {
        close_modal(app);
        return batch_next(app);
    }
    ask_deployed_now(app, rotated);
}

fn ask_deployed_now(app: &mut App, rotated: Rotated) {
    app.rotations.verify.remove(&rotated.old);
    app.modal = Some(Modal::Deployed(DeployedAsk {
        rotated,
        focus_revoke: false,
    }));
}

pub(crate) fn deployed_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Deployed(d)) = &mut app.modal else {
        return;
    };
    let now = match a {
        Action::NextField => {
            d.focus_revoke = !d.focus_revoke;
            return;
        }
        Action::Yes => true,
        Action::Enter => d.focus_revoke,
        Action::Later | Action::Back => false,
        _ => return,
    };
    let r = d.rotated.clone();
    close_modal(app);
    if now {
        revoke_old(app, &r.old, &r.old_name, r.old_scopes.clone(), out);
    } else {
        toast(
            app,
            Level::Info,
            format!(
                "kept both: '{}' stays until you finish the rotation (J, or sgkeys rotate --finish {})",
                r.old_name, r.old
            ),
        );
        read_journal(app, out);
    }
}

/// Revoke a rotation's old key, then read it back (see [`verify_gone`]).
pub(crate) fn revoke_old(
    app: &mut App,
    old: &ApiKeyId,
    name: &str,
    scopes: Option<Vec<String>>,
    out: &mut Vec<Command>,
) {
    let own =
        app.ctx.on_behalf_of.is_none() && app.ctx.caller_key_id.as_deref() == Some(old.as_str());
    let t = DeleteTarget {
        id: old.clone(),
        name: name.to_owned(),
        key_type: app.keys.get(old).and_then(KeyEntry::key_type),
        scopes,
        own,
    };
    let batch = app.next_req;
    app.batches.insert(
        batch,
        DeleteBatch {
            total: 1,
            ..Default::default()
        },
    );
    app.rotations.verify.insert(old.clone(), name.to_owned());
    app.view.marks.remove(old);
    if let Some(e) = app.keys.get_mut(old) {
        e.state.start_revoke(None);
    }
    send_revoke(app, &t, batch, out);
    toast(app, Level::Info, format!("revoking the old key '{name}'…"));
}

/// A revoke answered: for a rotation's old key, read it back (ok) or say plainly what is left.
pub(crate) fn old_revoked(
    app: &mut App,
    id: &ApiKeyId,
    r: Result<(), String>,
    out: &mut Vec<Command>,
) {
    let Some(name) = app.rotations.verify.remove(id) else {
        return;
    };
    match r {
        Ok(())
            if app.ctx.caller_key_id.as_deref() == Some(id.as_str())
                && app.ctx.on_behalf_of.is_none() =>
        {
            // the key sgkeys was using: nothing can read it back any more
            toast(
                app,
                Level::Success,
                format!("'{name}' revoked (it was the key sgkeys used: restart with the new one)"),
            );
        }
        Ok(()) => {
            app.rotations.verify.insert(id.clone(), name.clone());
            request(
                app,
                Pending::VerifyGone {
                    id: id.clone(),
                    name,
                },
                ApiOp::GetKey(id.clone()),
                out,
            );
        }
        Err(why) => {
            app.rotations.verify.remove(id);
            toast(
                app,
                Level::Error,
                format!(
                    "the new key is kept, but revoking the old key '{name}' failed: {why} — it still works; finish from J or with sgkeys rotate --finish"
                ),
            );
        }
    }
}

/// The read-back of a revoked old key: 404 is "verified gone".
pub(crate) fn verify_gone(
    app: &mut App,
    id: &ApiKeyId,
    name: &str,
    r: Result<KeyDetail, ApiError>,
) {
    app.rotations.verify.remove(id);
    match r {
        Err(ApiError::NotFound(_)) => toast(
            app,
            Level::Success,
            format!("'{name}' ({id}) revoked, verified gone"),
        ),
        Ok(_) => toast(
            app,
            Level::Error,
            format!("'{name}' ({id}) was revoked but still reads back: check it (Ctrl-r)"),
        ),
        Err(e) => toast(
            app,
            Level::Warn,
            format!(
                "'{name}' ({id}) revoked; reading it back failed: {}",
                e.short()
            ),
        ),
    }
}

/// Ask the worker for the journal (pending rotations, the `J` view).
pub(crate) fn read_journal(app: &mut App, out: &mut Vec<Command>) {
    if app.pending.values().any(|p| *p == Pending::Journal) {
        return;
    }
    let req = request(app, Pending::Journal, ApiOp::ReadJournal, out);
    if app.journal.value().is_none() {
        app.journal.start(req);
    }
}

/// The journal's entries arrived.
pub(crate) fn journal_read(app: &mut App, r: Result<Vec<crate::journal::Entry>, String>) {
    match r {
        Ok(entries) => {
            app.rotations.pending = crate::journal::Journal::pending_rotations(&entries)
                .into_iter()
                .cloned()
                .collect();
            app.journal.ready(entries);
        }
        Err(why) => {
            log(
                app,
                Level::Warn,
                format!("could not read the journal: {why}"),
            );
            app.journal.fail(why);
        }
    }
}
