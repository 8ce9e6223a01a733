//! Accounts, keys and the permission rules of the simulator; the on-disk state format is in
//! `state.rs`.
//!
//! Scopes are held as bit sets over one static table (the catalog, sorted, then the auto-assigned
//! scopes), so a key costs 32 bytes of scopes however many it holds (the bulk seed keeps 10 000
//! keys). Secrets are never stored: each key keeps the SHA-256 of its secret, and authentication
//! looks the hash up.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::{KeyDetail, Region, Subuser};
use crate::scopes;
pub(crate) use crate::scopes::ScopeSet;
use crate::secret::{self, Secret};

mod state;

pub(crate) use state::StateFile;

/// Keys an account may hold before `POST` answers 403.
pub(crate) const MAX_KEYS: usize = 100;
/// Index of the parent account in [`Store::accounts`].
pub(crate) const PARENT: usize = 0;

/// The simulator's scope sets beyond the catalog's: what accounts and new keys hold.
pub(crate) trait SimScopes {
    /// The admin key's scopes: a true Full Access key, every catalog scope except billing.
    /// (SendGrid keys cannot mix billing with anything else; Billing keys come from the App,
    /// as in the demo seed.)
    fn admin() -> ScopeSet;
    /// What a subuser account can hold: the catalog without `billing.*` and `subusers.*`.
    fn subuser_available() -> ScopeSet;
    /// The auto-assigned scopes a new key gets: `2fa_required`, `sender_verification_eligible`.
    fn default_auto() -> ScopeSet;
    /// The auto-assigned scopes of a legacy key: the defaults plus `sender_verification_legacy`.
    fn legacy_auto() -> ScopeSet;
}

struct Masks {
    subuser_available: ScopeSet,
    default_auto: ScopeSet,
    legacy_auto: ScopeSet,
}

static MASKS: LazyLock<Masks> = LazyLock::new(|| {
    let subusers: Vec<&str> = scopes::all_scopes()
        .into_iter()
        .filter(|s| s.starts_with("subusers."))
        .collect();
    let default_auto = ScopeSet::from_names(&["2fa_required", "sender_verification_eligible"]).0;
    Masks {
        subuser_available: ScopeSet::catalog()
            .minus(ScopeSet::billing_mask())
            .minus(ScopeSet::from_names(&subusers).0),
        default_auto,
        legacy_auto: default_auto.union(ScopeSet::from_names(&["sender_verification_legacy"]).0),
    }
});

impl SimScopes for ScopeSet {
    fn admin() -> ScopeSet {
        ScopeSet::catalog().minus(ScopeSet::billing_mask())
    }
    fn subuser_available() -> ScopeSet {
        MASKS.subuser_available
    }
    fn default_auto() -> ScopeSet {
        MASKS.default_auto
    }
    fn legacy_auto() -> ScopeSet {
        MASKS.legacy_auto
    }
}

/// One API key. The secret itself is never kept.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub id: String,
    pub name: String,
    /// Granted and auto-assigned scopes.
    pub scopes: ScopeSet,
    pub hash: [u8; 32],
    /// The simulator's admin (owner) key.
    pub admin: bool,
}

impl Key {
    pub fn detail(&self) -> KeyDetail {
        KeyDetail {
            api_key_id: self.id.as_str().into(),
            name: self.name.clone(),
            scopes: self.scopes.to_strings(),
        }
    }
}

/// The parent account, a subuser, or a customer account (reseller setups), each with its own
/// key store.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub region: Region,
    pub disabled: bool,
    pub parent: bool,
    /// Set for a customer account: the id `on-behalf-of: account-id <id>` names (NOTES: the
    /// spec's example is `abc123def456hij789klm0`). Customer accounts are not subusers: they
    /// are not listed by `GET /v3/subusers` and a username does not reach them.
    pub customer_id: Option<String>,
    pub keys: Vec<Key>,
}

impl Account {
    /// The scopes this account can hold at all.
    pub fn available(&self) -> ScopeSet {
        if self.parent || self.customer_id.is_some() {
            // a customer account is an account of its own (assumed: not documented)
            ScopeSet::catalog()
        } else {
            ScopeSet::subuser_available()
        }
    }

    /// A subuser of the parent (not the parent, not a customer account).
    pub fn is_subuser(&self) -> bool {
        !self.parent && self.customer_id.is_none()
    }

    pub fn subuser(&self, include_region: bool) -> Subuser {
        Subuser {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            disabled: self.disabled,
            region: include_region.then_some(self.region),
        }
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.id == id)
    }
}

/// Who is calling: the account owning the key and the key's scopes.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub account: usize,
    pub scopes: ScopeSet,
}

/// A refused operation (mapped to 400/403/404 bodies by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpError {
    BadRequest {
        field: Option<&'static str>,
        message: String,
    },
    Forbidden {
        field: Option<&'static str>,
        message: String,
    },
    NotFound(&'static str),
}

/// A key just minted by `POST`.
#[derive(Debug)]
pub(crate) struct Created {
    pub secret: Secret,
    pub detail: KeyDetail,
}

/// Where new secrets come from: a seeded stream (one `StdRng` per key, derived from the seed and
/// a persisted counter, so a restarted simulator does not replay ids) or the OS.
#[derive(Debug, Clone)]
pub(crate) struct KeyGen {
    pub seed: Option<u64>,
    pub generated: u64,
}

impl KeyGen {
    pub fn next(&mut self) -> Secret {
        let secret = match self.seed {
            Some(seed) => Secret::generate(&mut StdRng::seed_from_u64(mix(seed, self.generated))),
            None => Secret::generate(&mut rand::rng()),
        };
        self.generated += 1;
        secret
    }
}

/// SplitMix64-style mixing of a seed and a counter.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Every account and key of the simulator.
#[derive(Debug)]
pub(crate) struct Store {
    pub accounts: Vec<Account>,
    /// Secret hash → key id.
    hashes: HashMap<[u8; 32], String>,
    /// Key id → account index.
    ids: HashMap<String, usize>,
    pub admin: Secret,
    pub keygen: KeyGen,
    /// How long a revoked key keeps authenticating (SendGrid: "after some small propagation
    /// delay"); zero revokes at once.
    pub revoke_delay: std::time::Duration,
    /// Revoked keys still inside their propagation delay: hash → who they were, until when.
    pub(super) lingering: HashMap<[u8; 32], (Caller, std::time::Instant)>,
}

impl Store {
    /// A store with the parent account and the admin key only.
    pub fn new(admin: Secret, parent_name: &str, keygen: KeyGen) -> Self {
        let mut store = Store {
            accounts: vec![Account {
                id: 1000,
                username: parent_name.to_owned(),
                email: format!("owner@{parent_name}.example"),
                region: Region::Global,
                disabled: false,
                parent: true,
                customer_id: None,
                keys: Vec::new(),
            }],
            hashes: HashMap::new(),
            ids: HashMap::new(),
            admin: admin.clone(),
            keygen,
            revoke_delay: std::time::Duration::ZERO,
            lingering: HashMap::new(),
        };
        let scopes = ScopeSet::admin().union(ScopeSet::default_auto());
        store.insert_key(
            PARENT,
            "sgkeys-admin (simulator owner key)",
            scopes,
            &admin,
            true,
        );
        store
    }

    pub fn add_subuser(&mut self, id: u64, username: &str, email: &str, region: Region) -> usize {
        self.accounts.push(Account {
            id,
            username: username.to_owned(),
            email: email.to_owned(),
            region,
            disabled: false,
            parent: false,
            customer_id: None,
            keys: Vec::new(),
        });
        self.accounts.len() - 1
    }

    /// A customer account (reseller setups), reached with `on-behalf-of: account-id <id>`.
    pub fn add_customer(&mut self, customer_id: &str, username: &str, email: &str) -> usize {
        let id = 2000 + self.accounts.len() as u64;
        self.accounts.push(Account {
            id,
            username: username.to_owned(),
            email: email.to_owned(),
            region: Region::Global,
            disabled: false,
            parent: false,
            customer_id: Some(customer_id.to_owned()),
            keys: Vec::new(),
        });
        self.accounts.len() - 1
    }

    /// Insert a key with a known secret. False (and nothing stored) when the secret is not a
    /// well-formed key or its id or hash is already taken.
    pub fn insert_key(
        &mut self,
        account: usize,
        name: &str,
        scopes: ScopeSet,
        secret: &Secret,
        admin: bool,
    ) -> bool {
        let Some(id) = secret.key_id() else {
            return false;
        };
        let hash = sha256(secret.expose());
        if account >= self.accounts.len()
            || self.ids.contains_key(id)
            || self.hashes.contains_key(&hash)
        {
            return false;
        }
        self.ids.insert(id.to_owned(), account);
        self.hashes.insert(hash, id.to_owned());
        self.accounts[account].keys.push(Key {
            id: id.to_owned(),
            name: name.to_owned(),
            scopes,
            hash,
            admin,
        });
        true
    }

    /// Mint a fresh secret (unique id) and store a key for it.
    pub fn mint(&mut self, account: usize, name: &str, scopes: ScopeSet) -> Secret {
        loop {
            let secret = self.keygen.next();
            if self.insert_key(account, name, scopes, &secret, false) {
                return secret;
            }
        }
    }

    /// The account a subuser name or `account-id <id>` names (subusers only).
    pub fn find_on_behalf_of(&self, value: &str) -> Option<usize> {
        let value = value.trim();
        // `account-id <id>` names a customer account (NOTES: reseller setups), never a subuser;
        // a bare name is a subuser's username, never a customer account's.
        if let Some(rest) = value.strip_prefix("account-id")
            && rest.starts_with(char::is_whitespace)
        {
            let id = rest.trim();
            return self
                .accounts
                .iter()
                .position(|a| a.customer_id.as_deref() == Some(id));
        }
        self.accounts
            .iter()
            .position(|a| a.is_subuser() && a.username == value)
    }

    pub fn find_account(&self, username: Option<&str>) -> Option<usize> {
        match username {
            None => Some(PARENT),
            Some(u) => self.accounts.iter().position(|a| a.username == u),
        }
    }

    /// The caller a bearer token stands for, if any key has it.
    pub fn authenticate(&self, token: &str) -> Option<Caller> {
        let hash = sha256(token);
        let Some(id) = self.hashes.get(&hash) else {
            // a revoked key still propagating keeps authenticating, with what it held
            return self
                .lingering
                .get(&hash)
                .filter(|(_, until)| std::time::Instant::now() < *until)
                .map(|(c, _)| c.clone());
        };
        let account = *self.ids.get(id)?;
        let key = self
            .accounts
            .get(account)?
            .keys
            .iter()
            .find(|k| &k.id == id)?;
        Some(Caller {
            account,
            scopes: key.scopes,
        })
    }

    /// The caller's scopes when acting in `target` (on-behalf-of narrows them to what the target
    /// account can hold; auto-assigned scopes stay).
    pub fn effective(&self, caller: &Caller, target: usize) -> ScopeSet {
        let available = self
            .accounts
            .get(target)
            .map_or(ScopeSet::default(), Account::available);
        caller
            .scopes
            .intersect(available.union(ScopeSet::auto_mask()))
    }

    pub fn key(&self, account: usize, id: &str) -> Option<&Key> {
        self.accounts.get(account)?.keys.iter().find(|k| k.id == id)
    }

    /// The key a `PATCH` or `PUT` changes, or SendGrid's 404 for it.
    fn key_to_update(&mut self, account: usize, id: &str) -> Result<&mut Key, OpError> {
        self.accounts
            .get_mut(account)
            .and_then(|a| a.keys.iter_mut().find(|k| k.id == id))
            .ok_or(OpError::NotFound("unable to find API Key to update"))
    }

    /// `POST /v3/api_keys` after the body was parsed: billing, escalation and limit checks, then
    /// mint. `requested: None` asks for Full Access.
    pub fn create(
        &mut self,
        account: usize,
        effective: ScopeSet,
        name: &str,
        requested: Option<&[String]>,
    ) -> Result<Created, OpError> {
        let granted = match requested {
            Some(list) => check_grant(list, effective)?,
            None => effective.granted().minus(ScopeSet::billing_mask()),
        };
        let held = self.accounts.get(account).map_or(0, |a| a.keys.len());
        if held >= MAX_KEYS {
            return Err(OpError::Forbidden {
                field: None,
                message: format!("Cannot create more than {MAX_KEYS} API Keys"),
            });
        }
        let scopes = granted.union(ScopeSet::default_auto());
        let secret = self.mint(account, name, scopes);
        let detail = KeyDetail {
            api_key_id: secret.key_id().unwrap_or_default().into(),
            name: name.to_owned(),
            scopes: scopes.to_strings(),
        };
        Ok(Created { secret, detail })
    }

    /// `PATCH`: rename.
    pub fn rename(&mut self, account: usize, id: &str, name: &str) -> Result<KeyDetail, OpError> {
        let key = self.key_to_update(account, id)?;
        key.name = name.to_owned();
        Ok(key.detail())
    }

    /// `PUT`: replace name and scopes (auto-assigned scopes stay).
    pub fn update(
        &mut self,
        account: usize,
        effective: ScopeSet,
        id: &str,
        name: &str,
        requested: &[String],
    ) -> Result<KeyDetail, OpError> {
        if self.key(account, id).is_none() {
            return Err(OpError::NotFound("unable to find API Key to update"));
        }
        let granted = check_grant(requested, effective)?;
        let key = self.key_to_update(account, id)?;
        key.name = name.to_owned();
        key.scopes = granted.union(key.scopes.auto());
        Ok(key.detail())
    }

    /// `DELETE`: the key stops authenticating at once.
    pub fn delete(&mut self, account: usize, id: &str) -> Result<(), OpError> {
        let not_found = OpError::NotFound("unable to find API Key for deletion");
        let acct = self.accounts.get_mut(account).ok_or(not_found.clone())?;
        let pos = acct.position(id).ok_or(not_found)?;
        let key = acct.keys.remove(pos);
        self.hashes.remove(&key.hash);
        self.ids.remove(&key.id);
        let now = std::time::Instant::now();
        self.lingering.retain(|_, (_, until)| *until > now);
        if !self.revoke_delay.is_zero() {
            let caller = Caller {
                account,
                scopes: key.scopes,
            };
            self.lingering
                .insert(key.hash, (caller, now + self.revoke_delay));
        }
        Ok(())
    }

    /// Make `admin` the admin key: replace the stored admin entry (same place, name and scopes),
    /// or add one first in the parent's list when there is none.
    pub fn replace_admin(&mut self, admin: Secret) {
        if admin == self.admin {
            return;
        }
        let Some(id) = admin.key_id().map(str::to_owned) else {
            return;
        };
        let hash = sha256(admin.expose());
        let existing = self.accounts[PARENT].keys.iter().position(|k| k.admin);
        if let Some(pos) = existing {
            let old = self.accounts[PARENT].keys[pos].clone();
            self.hashes.remove(&old.hash);
            self.ids.remove(&old.id);
        }
        // A clash with an ordinary key: that key becomes the admin key.
        if let Some(other) = self.ids.get(&id).copied() {
            if let Some(k) = self.accounts[other].keys.iter_mut().find(|k| k.id == id) {
                k.admin = true;
            }
            if let Some(pos) = existing {
                self.accounts[PARENT].keys.remove(pos);
            }
        } else {
            self.ids.insert(id.clone(), PARENT);
            self.hashes.insert(hash, id.clone());
            let key = Key {
                id,
                name: "sgkeys-admin (simulator owner key)".into(),
                scopes: ScopeSet::admin().union(ScopeSet::default_auto()),
                hash,
                admin: true,
            };
            match existing {
                Some(pos) => {
                    let scopes = self.accounts[PARENT].keys[pos].scopes;
                    let name = self.accounts[PARENT].keys[pos].name.clone();
                    self.accounts[PARENT].keys[pos] = Key {
                        name,
                        scopes,
                        ..key
                    };
                }
                None => self.accounts[PARENT].keys.insert(0, key),
            }
        }
        self.admin = admin;
    }
}

/// Check a requested scope list for `POST`/`PUT`: auto-assigned scopes are dropped, billing
/// may not be mixed with anything else (400), and every scope must be held by the caller (403).
pub(crate) fn check_grant(requested: &[String], effective: ScopeSet) -> Result<ScopeSet, OpError> {
    let mut seen = BTreeSet::new();
    let wanted: Vec<&str> = requested
        .iter()
        .map(String::as_str)
        .filter(|s| !scopes::is_auto_assigned(s))
        .filter(|s| seen.insert(*s))
        .collect();
    let billing = wanted.iter().filter(|s| scopes::is_billing(s)).count();
    if billing > 0 && billing < wanted.len() {
        return Err(OpError::BadRequest {
            field: Some("scopes"),
            message: "billing scopes cannot be combined with other scopes".into(),
        });
    }
    let held = effective.granted();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|s| !held.contains(s))
        .collect();
    if !missing.is_empty() {
        return Err(OpError::Forbidden {
            field: Some("scopes"),
            message: format!(
                "access forbidden: cannot grant scopes the calling key does not have: {}",
                missing.join(", ")
            ),
        });
    }
    Ok(ScopeSet::from_names(&wanted).0)
}

#[cfg(test)]
mod tests;
