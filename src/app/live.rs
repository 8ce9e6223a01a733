//! Live data: the periodic re-read of the key list (`--refresh SECS`), the short-lived badges of
//! keys that appeared since the last look, and when the event loop must wake up for them (so it
//! can sleep between refreshes instead of ticking).
//!
//! A periodic refresh spends one request for the list, and one per key that appeared (its
//! scopes, so it is scored and in the matrix like the rest); it waits while a dialog is open or
//! the list is loading, and never moves the cursor.

use std::collections::HashMap;

use super::effects::*;
use super::*;
use crate::api::ApiKeyId;

/// How long a key that appeared since the last look keeps its badge.
pub const BADGE_MS: u64 = 30_000;

/// The periodic refresh and what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// Re-read the list every this many ms; 0: never by itself.
    pub every_ms: u64,
    /// When the next periodic refresh is due (set when a list load ends).
    pub due_at: Option<u64>,
    /// The list request a periodic refresh sent, while it is under way.
    pub auto_req: Option<ReqId>,
    /// Keys that appeared since the last look → when they were seen.
    pub added: HashMap<ApiKeyId, u64>,
    /// Requests the periodic refresh has sent (one per interval at most).
    pub sent: u64,
    /// The periodic refresh's list read, held back from the `@` log until its answer says
    /// whether it changed anything.
    pub routine: Option<LogLine>,
    /// Periodic list reads that changed nothing (not in the log; its title counts them).
    pub quiet: u64,
}

impl Live {
    /// Whether `id` carries the "new" badge.
    pub fn is_new(&self, id: &ApiKeyId) -> bool {
        self.added.contains_key(id)
    }
}

/// A list load ended (ok or not): the next periodic refresh is one interval away.
pub(crate) fn list_ended(app: &mut App) {
    app.live.auto_req = None;
    app.live.due_at = (app.live.every_ms > 0).then(|| app.now_ms + app.live.every_ms);
}

/// Whether the list load under way is a periodic one.
pub(crate) fn is_auto(app: &App) -> bool {
    app.live.auto_req.is_some() && app.live.auto_req == app.keys.status.req()
}

/// The periodic refresh waits while a dialog is open (the user is busy with something) and
/// while the list is loading.
fn paused(app: &App) -> bool {
    app.modal.is_some() || app.keys.status.is_loading() || !app.keys.ever_loaded() || app.offline
}

/// When the next periodic refresh is due: one interval after the last list load ended (or, for
/// a model whose interval was set after its first load, after that load).
fn due(app: &App) -> Option<u64> {
    if app.live.every_ms == 0 {
        return None;
    }
    app.live
        .due_at
        .or_else(|| app.keys.loaded_at().map(|t| t + app.live.every_ms))
}

/// Time passed: send the periodic refresh when due, let badges expire.
pub(crate) fn tick(app: &mut App, out: &mut Vec<Command>) {
    let now = app.now_ms;
    app.live.added.retain(|_, at| now < *at + BADGE_MS);
    if app.live.every_ms == 0 || paused(app) {
        return;
    }
    if due(app).is_some_and(|due| now >= due) {
        app.live.due_at = None;
        let req = request(app, Pending::List { by_user: false }, ApiOp::ListKeys, out);
        app.keys.status.start(req);
        app.live.auto_req = Some(req);
        app.live.sent += 1;
    }
}

/// Compare the old list with the new one: badge the keys that appeared, say which ones went
/// away (not the ones this dashboard is revoking). Nothing is said on the first load. A
/// periodic refresh's read goes into the `@` log only when it changed something.
pub(crate) fn compare(app: &mut App, old: &[(ApiKeyId, String, bool)]) {
    if !app.keys.ever_loaded() {
        return;
    }
    let renamed = old
        .iter()
        .any(|(id, name, _)| app.keys.get(id).is_some_and(|e| &e.name != name));
    let now = app.now_ms;
    let was: std::collections::HashSet<&ApiKeyId> = old.iter().map(|(id, _, _)| id).collect();
    let added: Vec<ApiKeyId> = app
        .keys
        .entries
        .iter()
        .filter(|e| !was.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    for id in &added {
        app.live.added.insert(id.clone(), now);
    }
    let gone: Vec<&str> = old
        .iter()
        .filter(|(id, _, revoking)| !revoking && !app.keys.index.contains_key(id))
        .map(|(_, name, _)| name.as_str())
        .collect();
    let changed = renamed || !added.is_empty() || !gone.is_empty();
    routine_read(app, changed);
    let mut said = Vec::new();
    if !added.is_empty() {
        said.push(format!("{} new", added.len()));
    }
    if !gone.is_empty() {
        let names: Vec<String> = gone.iter().take(3).map(|n| format!("'{n}'")).collect();
        let more = if gone.len() > 3 {
            format!(" and {} more", gone.len() - 3)
        } else {
            String::new()
        };
        said.push(format!("{} gone ({}{more})", gone.len(), names.join(", ")));
    }
    if !said.is_empty() {
        toast(
            app,
            Level::Info,
            format!("since the last look: {}", said.join(", ")),
        );
    }
}

/// When the loop must wake up (in `now_ms` time) for something time-driven, when it is not
/// ticking anyway ([`App::wants_tick`]): the next periodic refresh, a badge's expiry, or the
/// next change of a lingering toast's "… ago", a revoke confirmation's buttons coming alive.
/// `None`: sleep until an event.
pub fn next_wakeup(app: &App) -> Option<u64> {
    let refresh = if paused(app) { None } else { due(app) };
    let badge = app.live.added.values().map(|at| at + BADGE_MS).min();
    let toast = app.toast.as_ref().map(|t| {
        let age = app.now_ms.saturating_sub(t.at_ms);
        // "… ago" changes every second for a minute, then every minute
        let step = if age < 60_000 { 1_000 } else { 60_000 };
        t.at_ms + (age / step + 1) * step
    });
    [refresh, badge, toast, app.arming_until()]
        .into_iter()
        .flatten()
        .min()
}

/// The periodic refresh's list answer came: its read is logged when it changed something, else
/// only counted.
pub(crate) fn routine_read(app: &mut App, changed: bool) {
    let Some(line) = app.live.routine.take() else {
        return;
    };
    if changed {
        push_log(app, line);
    } else {
        app.live.quiet += 1;
    }
}
