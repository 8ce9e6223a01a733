//! `R`: rotating a key, by driving the one rotation plan ([`crate::ops::rotate::Rotation`]) with
//! commands and answers (no IO here). A replacement with the same scopes and a lineage name
//! (editable), its secret shown once (closing the dialog journals its delivery), then "is the
//! new key deployed?": yes revokes the old key and reads it back (404: gone; the answer is
//! journaled, as the CLI does); later keeps both, and the journal's pending rotation shows as a
//! badge on the old key until it is finished (here, from `J`, or with `sgkeys rotate --finish`).

use tui_input::Input;

use super::confirm::{Answer, Confirm, Tone};
use super::keymap::{Action, Layer};
use super::*;
use super::{effects::*, revoke::*};
use crate::api::{ApiKeyId, KeyDetail};
use crate::ops::rotate::{OldKey, ReadBack, Rotation, Stage};

/// The name of the replacement, before it is created.
#[derive(Debug, Clone)]
pub struct RotateForm {
    /// The key rotated (the first of several), its scopes, which the replacement gets.
    pub key: RotateTarget,
    pub name: Input,
    pub error: Option<String>,
    /// The create request in flight.
    pub submitting: Option<ReqId>,
    /// Rotating the marked keys: each with its lineage name (the name field is then unused).
    pub many: Vec<RotateTarget>,
}

impl RotateForm {
    fn new(key: RotateTarget, many: Vec<RotateTarget>) -> Self {
        RotateForm {
            name: Input::new(key.name.clone()),
            key,
            error: None,
            submitting: None,
            many,
        }
    }
}

/// One key to rotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateTarget {
    pub old: ApiKeyId,
    pub old_name: String,
    pub scopes: Vec<String>,
    /// The replacement's name.
    pub name: String,
}

impl RotateTarget {
    /// `e`, once its scopes are known; its replacement named for its lineage as of `today`.
    fn of(e: &KeyEntry, today: &str) -> Option<Self> {
        Some(RotateTarget {
            old: e.id.clone(),
            old_name: e.name.clone(),
            scopes: crate::scopes::sendable(&e.info()?.scope_names()),
            name: crate::ops::lineage_name(&e.name, today),
        })
    }
    /// The plan: its replacement named `name`.
    fn plan(&self, name: String) -> Rotation {
        let old = OldKey {
            id: self.old.clone(),
            name: self.old_name.clone(),
            scopes: self.scopes.clone(),
        };
        Rotation::plan(old, name)
    }
}

/// A rotation of several keys: replacements answered so far, and what is left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RotateBatch {
    /// Answers still to come.
    pub waiting: usize,
    /// Rotations whose secret was delivered (their old keys to revoke in one confirmation).
    pub made: Vec<Rotation>,
    pub failed: Vec<String>,
}

/// "Is the new key deployed?" after the replacement's secret (or `R`/`f` on a pending
/// rotation's row). Focus starts on Later: nothing is revoked by accident.
#[derive(Debug, Clone)]
pub struct DeployedAsk {
    pub rotation: Box<Rotation>,
    pub confirm: Confirm,
}

impl DeployedAsk {
    /// The question for `rotation`, worded (a journal time read with `clock`, in local time).
    pub fn new(rotation: Box<Rotation>, clock: &Clock) -> Self {
        let r = &rotation;
        let new = r.new.as_ref().map_or(r.name.as_str(), |n| n.name.as_str());
        let (old, id) = (&r.old.name, &r.old.id);
        let pending = r.stage == Stage::Pending;
        let mut c = Confirm::new("New key deployed?", ["Later", "Revoke old key now"], 64);
        let mut first = "";
        if pending {
            let created = r.create_entry.as_ref();
            let since = created.map_or_else(String::new, |e| clock.local_stamp(&e.time));
            let said =
                format!("'{old}' is in a pending rotation since {since}: '{new}' replaces it.");
            c = c.line(Tone::Base, said).line(Tone::Base, "");
            first = " (the replacement is read back first)";
        }
        let yes = format!(
            "Yes: revoke '{old}' ({id}) now and check it is gone{first}. Apps still using it stop \
             working."
        );
        let later = format!(
            "Later: keep both. The rotation stays pending (⟳ on the old key, f, J, sgkeys rotate \
             --finish {id})."
        );
        let confirm = c
            .line(
                Tone::Strong,
                format!("Is '{new}' deployed everywhere '{old}' was used?"),
            )
            .line(Tone::Base, "")
            .line(Tone::Warn, yes)
            .line(Tone::Base, later)
            .line(
                Tone::Dim,
                format!("c cancels: revoke '{new}' and keep '{old}'."),
            );
        DeployedAsk { rotation, confirm }
    }
}

/// Rotations known from the journal, and those under way.
#[derive(Debug, Clone, Default)]
pub struct Rotations {
    /// Pending rotations in every context (the journal's, as last read).
    pub pending: Vec<crate::journal::Entry>,
    /// Rotations with a step under way (a create, a revoke, a read-back), or made in a batch
    /// whose old keys wait for their confirmation: by old key id.
    pub active: HashMap<ApiKeyId, Rotation>,
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
    // a pending rotation is a state of its row: finish it or cancel it, not a second one
    if let Some(rot) = pending_of(app, &e.id, &e.name) {
        return ask_deployed_now(app, Box::new(rot));
    }
    let Some(key) = RotateTarget::of(e, &app.clock.date(app.now_ms)) else {
        return toast(
            app,
            Level::Warn,
            format!(
                "the scopes of '{}' are not loaded yet: rotate copies them, try again in a moment",
                e.name
            ),
        );
    };
    app.modal = Some(Modal::Rotate(Box::new(RotateForm::new(key, Vec::new()))));
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
        .filter_map(|e| RotateTarget::of(e, &today))
        .collect();
    let Some(first) = many.first().cloned() else {
        return toast(app, Level::Info, "nothing to rotate");
    };
    app.modal = Some(Modal::Rotate(Box::new(RotateForm::new(first, many))));
}

/// A key typed into the replacement's name (one key only: several have their lineage names).
pub(crate) fn edit_name(app: &mut App, edit: impl FnOnce(&mut Input)) {
    if let Some(Modal::Rotate(f)) = &mut app.modal
        && f.many.is_empty()
    {
        edit(&mut f.name);
        f.error = None;
    }
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
                start(app, t.plan(t.name.clone()), out);
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
            let rot = f.key.plan(name);
            let req = start(app, rot, out);
            if let Some(Modal::Rotate(f)) = &mut app.modal {
                f.submitting = Some(req);
            }
        }
        _ => {}
    }
}

/// Step 1: send a rotation's create; it waits in `active` for its answer.
fn start(app: &mut App, mut rot: Rotation, out: &mut Vec<Command>) -> ReqId {
    let m = rot.create();
    let old = rot.old.id.clone();
    let req = request(
        app,
        Pending::Rotate {
            old: old.clone(),
            name: rot.name.clone(),
        },
        ApiOp::Mutate(m),
        out,
    );
    app.rotations.active.insert(old, rot);
    req
}

/// The replacement's answer: its secret shown once (then the deployed? question), or why not;
/// the journal read again for the pending-rotation badges; in a rotation of several, one
/// answer fewer to wait for.
pub(crate) fn rotated(
    app: &mut App,
    req: ReqId,
    old: &ApiKeyId,
    name: &str,
    done: Done,
    out: &mut Vec<Command>,
) {
    if done.sent {
        read_journal(app, out);
    }
    replacement_answered(app, req, old, name, done);
    batch_answered(app);
}

fn replacement_answered(app: &mut App, req: ReqId, old: &ApiKeyId, name: &str, done: Done) {
    let form_waiting = matches!(&app.modal, Some(Modal::Rotate(f)) if f.submitting == Some(req));
    let mut rot = app.rotations.active.remove(old).unwrap_or_else(|| {
        // (never: every create is sent with its rotation)
        let old_name = app
            .keys
            .get(old)
            .map_or_else(|| old.to_string(), |e| e.name.clone());
        Rotation::plan(old_key(app, old, &old_name), name.to_owned())
    });
    let old_name = rot.old.name.clone();
    let created = rot.created(done);
    // said last, so the success said for the create does not hide them
    let warnings = std::mem::take(&mut rot.warnings);
    match created {
        Some(created) => {
            let what = format!(
                "created '{}' ({}) to replace '{old_name}'",
                created.name, created.api_key_id
            );
            let secret = super::create::joins_list(app, created, Some(Box::new(rot)));
            toast(app, Level::Success, what);
            // one secret at a time: the others wait until it is closed
            if matches!(app.modal, Some(Modal::Secret(_))) {
                app.rotations.queue.push_back(secret);
            } else {
                app.modal = Some(Modal::Secret(secret));
            }
        }
        None => {
            let lost = matches!(rot.stage, Stage::SecretLost { .. });
            if let Some(b) = &mut app.rotations.batch {
                b.failed.push(match (&rot.new, lost) {
                    (Some(n), true) => format!("'{old_name}': answer lost (made as {})", n.id),
                    _ => format!("'{old_name}': not created"),
                });
            }
            if form_waiting && lost {
                close_modal(app);
            } else if form_waiting && let Some(Modal::Rotate(f)) = &mut app.modal {
                f.submitting = None;
                f.error = Some(match &rot.stage {
                    Stage::NotCreated { why, .. } => format!("SendGrid refused: {why}"),
                    _ => rot.describe(),
                });
            }
            let text = if lost {
                format!(
                    "{} — in the list: select it, d to revoke it, then R on '{old_name}' again",
                    rot.describe()
                )
            } else {
                format!(
                    "could not create the replacement for '{old_name}': {}",
                    rot.describe()
                )
            };
            toast(app, Level::Error, text);
        }
    }
    for w in warnings {
        toast(app, Level::Warn, w);
    }
}

/// One replacement of a rotation of several answered: when every answer is in and no secret
/// is left to show, ask once (typed count, the key in use last) to revoke the old keys.
fn batch_answered(app: &mut App) {
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
    if b.made.len() == 1 {
        // one replacement made: the same question as for one key
        if let Some(r) = b.made.into_iter().next() {
            ask_deployed_now(app, Box::new(r));
        }
        return;
    }
    // the revoke room sends what the plan's revoke would (name, scopes before); each answer
    // comes back to its rotation, waiting in `active`
    let targets: Vec<DeleteTarget> = b
        .made
        .iter()
        .map(|r| DeleteTarget::of(app, &r.old.id, &r.old.name, Some(r.old.scopes.clone())))
        .collect();
    let n = targets.len();
    for r in b.made {
        app.rotations.active.insert(r.old.id.clone(), r);
    }
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

/// Step 2: the secret dialog of a rotation's replacement closed (the secret was shown, and
/// copied or its loss accepted): journal the delivery, then the next secret, or (one key)
/// whether it is deployed, or (several) the revoke of the old keys once all are shown.
pub(crate) fn secret_closed(app: &mut App, mut rot: Box<Rotation>, out: &mut Vec<Command>) {
    if let Some((entry, delivered)) = rot.delivered(Ok(())) {
        request(
            app,
            Pending::Delivery {
                old: rot.old.id.clone(),
            },
            ApiOp::RecordDelivery { entry, delivered },
            out,
        );
    }
    if let Some(b) = &mut app.rotations.batch {
        b.made.push(*rot);
        match app.rotations.queue.pop_front() {
            Some(next) => app.modal = Some(Modal::Secret(next)),
            None => {
                close_modal(app);
                batch_next(app);
            }
        }
        return;
    }
    if let Some(next) = app.rotations.queue.pop_front() {
        app.modal = Some(Modal::Secret(next));
        // (a rotation outside a batch never queues; keep its question for later all the same)
        app.rotations.active.insert(rot.old.id.clone(), *rot);
        return;
    }
    ask_deployed_now(app, rot);
}

fn ask_deployed_now(app: &mut App, rotation: Box<Rotation>) {
    app.modal = Some(Modal::Deployed(DeployedAsk::new(rotation, &app.clock)));
}

/// Step 3, the deployed? gate (for a rotation just made, or a pending one: `R` or `f` on its
/// row): now revokes the old key (a pending one reads its replacement back first); later
/// keeps both; cancel revokes the replacement and keeps the old key.
pub(crate) fn deployed_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Deployed(d)) = &mut app.modal else {
        return;
    };
    let now = match d.confirm.answer(Layer::Deployed, a, app.now_ms) {
        Answer::Yes => true,
        Answer::No | Answer::Other(Action::Later) => false,
        Answer::Other(Action::CancelRotation) => {
            let rot = d.rotation.clone();
            close_modal(app);
            return cancel(app, &rot);
        }
        Answer::Other(_) | Answer::Stay => return,
    };
    let mut rot = d.rotation.clone();
    close_modal(app);
    if now && rot.stage == Stage::Pending {
        return check_replacement(app, *rot, out);
    }
    match rot.deployed(now) {
        Some(m) => revoke_old(app, *rot, m, out),
        None => {
            toast(
                app,
                Level::Info,
                format!(
                    "kept both: '{}' stays until you finish the rotation (f on its row, J, or sgkeys rotate --finish {})",
                    rot.old.name, rot.old.id
                ),
            );
            read_journal(app, out);
        }
    }
}

/// Cancel a rotation: revoke its replacement through the revoke room; the old key stays (and
/// the journal then holds no pending rotation of it).
fn cancel(app: &mut App, rot: &Rotation) {
    let Some(new) = &rot.new else {
        return;
    };
    let t = DeleteTarget::of(app, &new.id, &new.name, Some(new.scopes.clone()));
    app.rotations.active.remove(&rot.old.id);
    app.modal = Some(Modal::ConfirmDelete(ConfirmDelete::new(
        vec![t],
        app.now_ms,
    )));
    toast(
        app,
        Level::Info,
        format!(
            "cancelling the rotation: revoke the replacement '{}'? '{}' stays",
            new.name, rot.old.name
        ),
    );
}

/// The pending rotation of the key `id` (named `name`) in this context, as a plan to finish.
fn pending_of(app: &App, id: &ApiKeyId, name: &str) -> Option<Rotation> {
    let entry = app.pending_rotation(id)?;
    Some(Rotation::pending(old_key(app, id, name), entry))
}

/// The key `id` (named `name`) as the list knows it, to be replaced: its scopes, when known.
fn old_key(app: &App, id: &ApiKeyId, name: &str) -> OldKey {
    let scopes = app.keys.get(id).and_then(KeyEntry::info);
    OldKey {
        id: id.clone(),
        name: name.to_owned(),
        scopes: scopes.map_or_else(Vec::new, |i| crate::scopes::sendable(&i.scope_names())),
    }
}

/// `f` on a row: finish its pending rotation (the replacement read back first).
pub(crate) fn finish_row(app: &mut App, out: &mut Vec<Command>) {
    let Some(e) = app.selected() else {
        return toast(app, Level::Info, "nothing to finish");
    };
    let (id, name) = (e.id.clone(), e.name.clone());
    if app.rotations.active.contains_key(&id) {
        return toast(app, Level::Info, format!("'{name}' is being rotated"));
    }
    match pending_of(app, &id, &name) {
        Some(rot) => check_replacement(app, rot, out),
        None => toast(
            app,
            Level::Info,
            format!("'{name}' has no pending rotation here (R rotates it)"),
        ),
    }
}

/// A line for the detail pane when the key is in a pending rotation (either key of it).
pub fn pending_line(app: &App, id: &ApiKeyId) -> Option<String> {
    if let Some(e) = app.pending_rotation(id) {
        return Some(format!(
            "⟳ pending rotation: replaced by {} '{}'; f finishes (revokes this key), R finishes or cancels",
            e.api_key_id,
            e.name.as_deref().unwrap_or("")
        ));
    }
    let e = app
        .rotations
        .pending
        .iter()
        .find(|e| e.api_key_id == id.as_str() && app.in_context(e))?;
    Some(format!(
        "⟳ the replacement in a pending rotation of {}: finish it there (f)",
        e.replaces.as_deref().unwrap_or("?")
    ))
}

/// A revoke of `id` answered (before the revoke room and [`old_revoked`] take the answer): when
/// it was sent and touches a rotation, the journal is read again for the badges.
pub(crate) fn revoke_answered(app: &mut App, id: &ApiKeyId, sent: bool, out: &mut Vec<Command>) {
    if sent && touches_rotation(app, id) {
        read_journal(app, out);
    }
}

/// Whether a revoke of `id` touches a rotation (its old key, its replacement, one under way).
fn touches_rotation(app: &App, id: &ApiKeyId) -> bool {
    app.pending_rotation(id).is_some()
        || app.rotations.active.contains_key(id)
        || app
            .rotations
            .pending
            .iter()
            .any(|e| e.api_key_id == id.as_str())
}

/// Step 4: send the plan's revoke of the old key through the revoke room; the rotation waits
/// in `active` for the answer ([`old_revoked`]).
pub(crate) fn revoke_old(app: &mut App, rot: Rotation, m: Mutation, out: &mut Vec<Command>) {
    let Mutation::Revoke {
        id,
        name,
        scopes_before,
    } = m
    else {
        return;
    };
    let t = DeleteTarget::of(app, &id, &name, scopes_before);
    let batch = app.next_req;
    app.batches.insert(
        batch,
        DeleteBatch {
            total: 1,
            ..Default::default()
        },
    );
    app.rotations.active.insert(id.clone(), rot);
    app.view.marks.remove(&id);
    if let Some(e) = app.keys.get_mut(&id) {
        e.state.start_revoke(None);
    }
    send_revoke(app, &t, batch, out);
    toast(app, Level::Info, format!("revoking the old key '{name}'…"));
}

/// Finish a pending rotation from the journal (`J`, `f`): the replacement read back first
/// ([`replacement_read`]), then the old key revoked and read back.
pub(crate) fn finish_pending(
    app: &mut App,
    old: &ApiKeyId,
    old_name: &str,
    out: &mut Vec<Command>,
) {
    match pending_of(app, old, old_name) {
        Some(rot) => check_replacement(app, rot, out),
        None => toast(
            app,
            Level::Info,
            "not a pending rotation: nothing to finish",
        ),
    }
}

/// Finishing: read the replacement back before anything is revoked.
fn check_replacement(app: &mut App, mut rot: Rotation, out: &mut Vec<Command>) {
    let Some(new) = rot.finish() else {
        return;
    };
    let old = rot.old.id.clone();
    let name = rot.old.name.clone();
    app.rotations.active.insert(old.clone(), rot);
    request(app, Pending::Replacement { old }, ApiOp::GetKey(new), out);
    toast(
        app,
        Level::Info,
        format!("reading the replacement back before revoking '{name}'…"),
    );
}

/// The replacement of a rotation being finished, read back: there, the old key is revoked;
/// gone or unreadable, the old key is kept and that is said.
pub(crate) fn replacement_read(
    app: &mut App,
    old: &ApiKeyId,
    r: Result<KeyDetail, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(mut rot) = app.rotations.active.remove(old) else {
        return;
    };
    match rot.replacement_read(r) {
        Some(m) => revoke_old(app, rot, m, out),
        None => toast(app, Level::Error, rot.describe()),
    }
}

/// A revoke answered: for a rotation's old key, read it back (journaled) or say plainly what
/// is left.
pub(crate) fn old_revoked(
    app: &mut App,
    id: &ApiKeyId,
    r: Result<(), String>,
    unknown: bool,
    entry: Option<Box<crate::journal::Entry>>,
    out: &mut Vec<Command>,
) {
    let Some(mut rot) = app.rotations.active.remove(id) else {
        return;
    };
    let own = is_own(app, id);
    let name = rot.old.name.clone();
    match rot.revoked(r, unknown, entry, own) {
        Some(step) => {
            app.rotations.active.insert(id.clone(), rot);
            request(
                app,
                Pending::ReadBack { id: id.clone() },
                ApiOp::ReadBack(step),
                out,
            );
        }
        None => match &rot.stage {
            Stage::Finished { .. } => toast(
                app,
                Level::Success,
                format!("'{name}' revoked (it was the key sgkeys used: restart with the new one)"),
            ),
            Stage::RevokeFailed { why, .. } => toast(
                app,
                Level::Error,
                format!(
                    "the new key is kept, but revoking the old key '{name}' failed: {why} — it still works; finish from J or with sgkeys rotate --finish"
                ),
            ),
            _ => {}
        },
    }
}

/// Step 5: the read-back of a revoked old key (404 is "verified gone"), journaled by the worker.
pub(crate) fn read_back(app: &mut App, id: &ApiKeyId, r: ReadBack) {
    let Some(mut rot) = app.rotations.active.remove(id) else {
        return;
    };
    rot.read_back(&r);
    let name = rot.old.name.clone();
    for w in std::mem::take(&mut rot.warnings) {
        log(app, Level::Warn, w);
    }
    match r.gone {
        Some(true) => toast(
            app,
            Level::Success,
            format!("'{name}' ({id}) revoked, verified gone"),
        ),
        Some(false) => toast(
            app,
            Level::Error,
            format!("'{name}' ({id}) was revoked but still reads back: check it (Ctrl-r)"),
        ),
        None => toast(
            app,
            Level::Warn,
            format!(
                "'{name}' ({id}) revoked; reading it back failed: {}",
                r.error.unwrap_or_default()
            ),
        ),
    }
}

/// A journal line the worker wrote for a rotation (its delivery): said only when it failed.
pub(crate) fn recorded(app: &mut App, r: Result<(), String>) {
    if let Err(why) = r {
        toast(
            app,
            Level::Warn,
            format!("the journal did not record the secret's delivery: {why}"),
        );
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
