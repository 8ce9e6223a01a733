//! One account's keys ([`Account`]: the list, one state per key, the background read of their
//! scopes), the rows they are made of ([`KeyEntry`], [`KeyInfo`]), and which account a
//! background read is for ([`Whose`]); the one prefetch pump over them is `list::pump`.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail};
use crate::risk::{self, Finding, Risk};
use crate::scopes::{Classification, KeyType, Levels, ScopeSet};

/// A key's scopes, fetched and kept compactly (a bitset, not a string per scope: with 10 000
/// keys loaded this is the difference between ~15 MB and ~0.5 MB). The full per-category
/// classification is computed on demand, for the one key on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    /// Known scopes, granted and auto-assigned.
    pub scopes: ScopeSet,
    /// Scopes outside the catalog (rare).
    pub other: Vec<String>,
    pub key_type: KeyType,
    /// Granted scopes (auto-assigned ones never count).
    pub counted: usize,
    /// Findings that come from the scopes (name findings are added per list).
    pub scope_findings: Vec<Finding>,
    /// The level in every category (the permission matrix).
    pub levels: Levels,
}

impl KeyInfo {
    pub fn new(detail: &KeyDetail) -> Self {
        Self::of(&detail.scopes)
    }

    /// A key holding `names` (granted and auto-assigned, as the API lists them).
    pub fn of<S: AsRef<str>>(names: &[S]) -> Self {
        let (scopes, other) = ScopeSet::from_names(names);
        let class = crate::scopes::classify_set(scopes, &other);
        KeyInfo {
            scope_findings: crate::risk::scope_findings(names, &class),
            scopes,
            other,
            key_type: class.key_type,
            counted: class.counted,
            levels: Levels::of(&class),
        }
    }

    /// Every scope name (granted and auto-assigned), without allocating.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let known = self.scopes.names().map(|s| -> &str { s });
        known.chain(self.other.iter().map(String::as_str))
    }

    /// Every scope name, owned (for forms, diffs and request bodies).
    pub fn scope_names(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    pub fn holds(&self, scope: &str) -> bool {
        self.scopes.contains(scope) || self.other.iter().any(|s| s == scope)
    }

    /// The full classification (levels per category, auto-assigned, unknown).
    pub fn classify(&self) -> Classification {
        crate::scopes::classify_set(self.scopes, &self.other)
    }
}

/// One row of the key list.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyEntry {
    pub id: ApiKeyId,
    pub name: String,
    /// Lower-cased name and id, for filtering.
    pub haystack: String,
    /// Scopes (loading, known, failed) or a revoke in flight: the one per-key state.
    pub state: KeyState,
    /// Findings: from the name at once, from the scopes once they are known.
    pub risk: Risk,
    /// Shown from the inventory, not read live yet: how long ago (ms) it was last seen when
    /// the inventory answered ([`Account::remembered_at`]); `None`: read live.
    pub remembered: Option<u64>,
}

impl KeyEntry {
    pub fn new(k: ApiKey) -> Self {
        let haystack = format!(
            "{}\u{1f}{}",
            k.name.to_lowercase(),
            k.api_key_id.0.to_lowercase()
        );
        KeyEntry {
            id: k.api_key_id,
            name: k.name,
            haystack,
            state: KeyState::Scopes(Remote::NotAsked),
            risk: Risk::default(),
            remembered: None,
        }
    }
    /// The scopes, when known.
    pub fn info(&self) -> Option<&KeyInfo> {
        self.state.info()
    }
    pub fn key_type(&self) -> Option<KeyType> {
        self.info().map(|i| i.key_type)
    }

    /// The key as the API describes it, when its scopes are known.
    pub fn key_detail(&self) -> Option<KeyDetail> {
        let info = self.info()?;
        Some(KeyDetail {
            api_key_id: self.id.clone(),
            name: self.name.clone(),
            scopes: info.scope_names(),
        })
    }
}

/// One account's keys as the dashboard knows them — one value per account (the key's own
/// account, a subuser, a customer account): its list and the list's load, one [`KeyState`] per
/// key, duplicate names, and the background read of every key's scopes. The list and its panes
/// show the current one ([`App::keys`]); the all-contexts matrix shows many
/// (`Sweep::contexts`). Every account's reads go through the one pump (`list::pump`).
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// In API order.
    pub entries: Vec<KeyEntry>,
    /// id → index in `entries`.
    pub index: HashMap<ApiKeyId, usize>,
    /// The list's load; its value is `now_ms` of the last successful one.
    pub status: Remote<u64>,
    /// Why the last load failed, kept to complete its message when the key's own scopes
    /// arrive (a 403 then names the scope the key lacks).
    pub failure: Option<ApiError>,
    /// `now_ms` when the inventory's answer arrived (the rows it filled age from there).
    pub remembered_at: u64,
    /// How long ago (ms) the context's last complete list read was, when the inventory
    /// answered; `None`: it was never read completely.
    pub remembered_list_age: Option<u64>,
    /// The rows are the inventory's: no live list has arrived since it answered.
    pub from_inventory: bool,
    /// When sgkeys first saw each key, as a `now_ms` (negative: before this run began), from
    /// the inventory; a key a later list shows for the first time is first seen then. Empty
    /// when the inventory holds nothing of this context (wide mode then shows no such column).
    pub first_seen: HashMap<ApiKeyId, i64>,
    /// Key id → how many keys share its name (for the duplicate-name finding).
    pub dups: HashMap<String, usize>,
    /// The background read of every key's scopes.
    pub prefetch: Prefetch,
}

impl Account {
    /// A load has succeeded at least once (tells "empty" from "not loaded").
    pub fn ever_loaded(&self) -> bool {
        self.status.value().is_some()
    }
    /// `now_ms` of the last successful load.
    pub fn loaded_at(&self) -> Option<u64> {
        self.status.value().copied()
    }
    pub fn get(&self, id: &ApiKeyId) -> Option<&KeyEntry> {
        self.index.get(id).and_then(|i| self.entries.get(*i))
    }
    pub fn get_mut(&mut self, id: &ApiKeyId) -> Option<&mut KeyEntry> {
        let i = *self.index.get(id)?;
        self.entries.get_mut(i)
    }
    pub(crate) fn reindex(&mut self) {
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
    }

    /// A live list's keys, as they are (no scopes known yet), each scored by its name.
    pub(crate) fn listed(&mut self, keys: Vec<ApiKey>) {
        self.entries = keys.into_iter().map(KeyEntry::new).collect();
        self.reindex();
        self.recompute_risks();
    }

    /// Recompute name-based findings and duplicate names for the whole list (list changes only).
    pub(crate) fn recompute_risks(&mut self) {
        self.dups = risk::duplicate_names(
            self.entries
                .iter()
                .map(|e| (e.id.as_str(), e.name.as_str())),
        );
        // scope findings were computed once per key when its scopes arrived: only recombine
        for e in &mut self.entries {
            let scope = e.info().map_or(&[][..], |i| &i.scope_findings[..]);
            e.risk = risk::combine(scope, &e.name, self.dups.get(e.id.as_str()).copied());
        }
    }

    /// A key's scopes are known: kept with the findings they make (and its name as read).
    pub(crate) fn set_info(&mut self, detail: KeyDetail) {
        let dup = self.dups.get(detail.api_key_id.as_str()).copied();
        if let Some(e) = self.get_mut(&detail.api_key_id) {
            let info = KeyInfo::new(&detail);
            e.risk = risk::combine(&info.scope_findings, &detail.name, dup);
            e.name.clone_from(&detail.name);
            e.state.known(info);
            e.remembered = None;
        }
    }

    /// Queue every key of `order` for the background read, counted from zero.
    pub(crate) fn prefetch_all(&mut self, queue: VecDeque<ApiKeyId>) {
        self.prefetch = Prefetch {
            total: queue.len(),
            queue,
            in_flight: self.prefetch.in_flight,
            done: 0,
            failed: 0,
        };
    }

    /// A background read answered: counted (`ok`: the scopes came).
    pub(crate) fn prefetched(&mut self, ok: bool) {
        let p = &mut self.prefetch;
        p.in_flight = p.in_flight.saturating_sub(1);
        if ok {
            p.done += 1;
        } else {
            p.failed += 1;
        }
    }
}

/// The answer to "read key `id`" when it is about that key; an answer about another key is no
/// answer about this one (the client already refuses such answers; this keeps the model safe
/// alone).
pub(crate) fn answer_for(
    id: &ApiKeyId,
    r: Result<KeyDetail, ApiError>,
) -> Result<KeyDetail, ApiError> {
    r.and_then(|d| {
        if &d.api_key_id == id {
            Ok(d)
        } else {
            Err(ApiError::NotTheAnswer {
                status: 200,
                what: format!("reading key {id}"),
                detail: "it describes another key".into(),
            })
        }
    })
}

/// The background read of every key's scopes of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefetch {
    /// Ids still to request.
    pub queue: VecDeque<ApiKeyId>,
    pub in_flight: usize,
    pub total: usize,
    pub done: usize,
    pub failed: usize,
}

impl Prefetch {
    pub fn active(&self) -> bool {
        self.in_flight > 0 || !self.queue.is_empty()
    }
}

/// Whose key a background read is for: the current account's, or one of the all-contexts
/// matrix's (by the sweep's id, so that a sweep that was left drops its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Here,
    Sweep { sweep: u64, ctx: usize },
}

impl App {
    /// The account a background read is for, while it is still on screen.
    pub(crate) fn account_mut(&mut self, whose: Whose) -> Option<&mut Account> {
        match whose {
            Whose::Here => Some(&mut self.keys),
            Whose::Sweep { sweep, ctx } => self
                .matrix
                .as_mut()
                .and_then(|m| m.sweep.as_mut())
                .filter(|s| s.id == sweep)
                .and_then(|s| s.contexts.get_mut(ctx))
                .map(|c| &mut c.keys),
        }
    }
}
