//! Remote data as a type: [`Remote`] for anything loaded, [`KeyState`] for one key.

use super::{KeyInfo, ReqId};

/// Anything loaded from SendGrid: not asked yet, under way, here, or failed. What was known
/// before stays with a refresh (`last`), so data stays on screen while it reloads or after a
/// reload failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Remote<T> {
    #[default]
    NotAsked,
    Loading {
        req: ReqId,
        last: Option<T>,
    },
    Ready(T),
    Failed {
        error: String,
        last: Option<T>,
    },
}

impl<T> Remote<T> {
    /// What is known: the value, or the last one while reloading or after a failed reload.
    pub fn value(&self) -> Option<&T> {
        match self {
            Remote::Ready(v) => Some(v),
            Remote::Loading { last, .. } | Remote::Failed { last, .. } => last.as_ref(),
            Remote::NotAsked => None,
        }
    }
    pub fn is_loading(&self) -> bool {
        matches!(self, Remote::Loading { .. })
    }
    /// The request under way, if any.
    pub fn req(&self) -> Option<ReqId> {
        match self {
            Remote::Loading { req, .. } => Some(*req),
            _ => None,
        }
    }
    /// Why the last load failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Remote::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
    pub(crate) fn take(&mut self) -> Option<T> {
        match std::mem::take(self) {
            Remote::Ready(v) => Some(v),
            Remote::Loading { last, .. } | Remote::Failed { last, .. } => last,
            Remote::NotAsked => None,
        }
    }
    /// A request went out (what was known is kept).
    pub fn start(&mut self, req: ReqId) {
        let last = self.take();
        *self = Remote::Loading { req, last };
    }
    pub fn ready(&mut self, v: T) {
        *self = Remote::Ready(v);
    }
    /// The request failed (what was known is kept).
    pub fn fail(&mut self, error: String) {
        let last = self.take();
        *self = Remote::Failed { error, last };
    }
    /// The request was dropped (stale): back to what was known.
    pub fn abandon(&mut self) {
        *self = match self.take() {
            Some(v) => Remote::Ready(v),
            None => Remote::NotAsked,
        };
    }
    /// Forget everything (context switch).
    pub fn reset(&mut self) {
        *self = Remote::NotAsked;
    }
}

/// One key's state: its scopes as loaded (a [`Remote`]), or a revoke under way. One record:
/// nothing else says a key is loading or being revoked.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyState {
    /// Listed, with its scopes' load: not asked, loading, known or failed.
    Scopes(Remote<KeyInfo>),
    /// A revoke is in flight (`req`), or queued behind the others of its batch (`None`: the
    /// key sgkeys is using goes last); `info` is what was known of its scopes.
    Revoking {
        req: Option<ReqId>,
        info: Option<KeyInfo>,
    },
}

impl Default for KeyState {
    fn default() -> Self {
        KeyState::Scopes(Remote::NotAsked)
    }
}

impl KeyState {
    pub fn info(&self) -> Option<&KeyInfo> {
        match self {
            KeyState::Scopes(r) => r.value(),
            KeyState::Revoking { info, .. } => info.as_ref(),
        }
    }
    /// The scopes are being loaded.
    pub fn is_loading(&self) -> bool {
        matches!(self, KeyState::Scopes(r) if r.is_loading())
    }
    pub fn is_revoking(&self) -> bool {
        matches!(self, KeyState::Revoking { .. })
    }
    /// Why loading the scopes failed (the last attempt).
    pub fn error(&self) -> Option<&str> {
        self.scopes().and_then(Remote::error)
    }
    /// The scopes' load, when no revoke is in flight.
    pub fn scopes(&self) -> Option<&Remote<KeyInfo>> {
        match self {
            KeyState::Scopes(r) => Some(r),
            _ => None,
        }
    }
    /// The scopes' load, to change it (None while a revoke is in flight).
    pub fn scopes_mut(&mut self) -> Option<&mut Remote<KeyInfo>> {
        match self {
            KeyState::Scopes(r) => Some(r),
            _ => None,
        }
    }
    /// The scopes are known now (also while a revoke is in flight).
    pub fn known(&mut self, info: KeyInfo) {
        match self {
            KeyState::Scopes(r) => r.ready(info),
            KeyState::Revoking { info: i, .. } => *i = Some(info),
        }
    }
    /// A load of the scopes went out (not while a revoke is in flight).
    pub fn start_load(&mut self, req: ReqId) {
        if let KeyState::Scopes(r) = self {
            r.start(req);
        }
    }
    /// The load `req` was dropped (stale) or failed (`error`); a newer load is left alone.
    pub fn load_ended(&mut self, req: ReqId, error: Option<String>) {
        if let KeyState::Scopes(r) = self
            && r.req() == Some(req)
        {
            match error {
                Some(e) => r.fail(e),
                None => r.abandon(),
            }
        }
    }
    /// A revoke went out (`Some`), or is queued (`None`).
    pub fn start_revoke(&mut self, req: Option<ReqId>) {
        let info = match std::mem::take(self) {
            KeyState::Scopes(mut r) => r.take(),
            KeyState::Revoking { info, .. } => info,
        };
        *self = KeyState::Revoking { req, info };
    }
    /// The revoke did not happen: back to the scopes as known.
    pub fn revoke_failed(&mut self) {
        if let KeyState::Revoking { info, .. } = self {
            *self = KeyState::Scopes(match info.take() {
                Some(i) => Remote::Ready(i),
                None => Remote::NotAsked,
            });
        }
    }
}
