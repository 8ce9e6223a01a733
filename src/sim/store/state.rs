//! The on-disk state format: [`StateFile`] and its conversion to and from a [`Store`].

use super::*;

/// Version of the state-file format.
const STATE_VERSION: u32 = 1;

impl Store {
    pub fn to_state(&self) -> StateFile {
        StateFile {
            version: STATE_VERSION,
            note: "sgkeys simulator state: secret hashes, and the simulator's own admin key in \
                   clear. Keep private (mode 0600)."
                .into(),
            admin_key: self.admin.expose().to_owned(),
            generated: self.keygen.generated,
            accounts: self
                .accounts
                .iter()
                .map(|a| AccountState {
                    id: a.id,
                    username: a.username.clone(),
                    email: a.email.clone(),
                    region: a.region,
                    disabled: a.disabled,
                    parent: a.parent,
                    customer_id: a.customer_id.clone(),
                    keys: a
                        .keys
                        .iter()
                        .map(|k| KeyState {
                            api_key_id: k.id.clone(),
                            name: k.name.clone(),
                            scopes: k.scopes.to_strings(),
                            sha256: hex(&k.hash),
                            admin: k.admin,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Rebuild a store from a state file. Errors say what is wrong (never echo a secret).
    pub fn from_state(state: StateFile, rng_seed: Option<u64>) -> Result<Store, String> {
        if state.version != STATE_VERSION {
            return Err(format!(
                "unsupported version {} (this sgkeys writes version {STATE_VERSION})",
                state.version
            ));
        }
        let admin = Secret::parse(&state.admin_key)
            .map_err(|e| format!("'admin_key' is not a valid API key: {e}"))?;
        let parents = state.accounts.iter().filter(|a| a.parent).count();
        if parents != 1 || !state.accounts.first().is_some_and(|a| a.parent) {
            return Err("expected exactly one parent account, listed first".into());
        }
        let mut store = Store {
            accounts: Vec::with_capacity(state.accounts.len()),
            hashes: HashMap::new(),
            ids: HashMap::new(),
            admin,
            keygen: KeyGen {
                seed: rng_seed,
                generated: state.generated,
            },
            revoke_delay: std::time::Duration::ZERO,
            lingering: HashMap::new(),
        };
        let mut usernames = HashSet::new();
        for (ai, a) in state.accounts.into_iter().enumerate() {
            if !usernames.insert(a.username.clone()) {
                return Err(format!("account '{}' appears twice", a.username));
            }
            let mut keys = Vec::with_capacity(a.keys.len());
            for k in a.keys {
                let where_ = format!("key {} of account '{}'", k.api_key_id, a.username);
                if k.api_key_id.len() != secret::ID_LEN
                    || !k
                        .api_key_id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(format!(
                        "{where_}: 'api_key_id' must be 22 characters of [A-Za-z0-9_-]"
                    ));
                }
                let hash = unhex(&k.sha256).ok_or_else(|| {
                    format!("{where_}: 'sha256' must be 64 hexadecimal characters")
                })?;
                let (scopes, unknown) = ScopeSet::from_names(&k.scopes);
                if !unknown.is_empty() {
                    return Err(format!("{where_}: unknown scopes {}", unknown.join(", ")));
                }
                if store.ids.insert(k.api_key_id.clone(), ai).is_some() {
                    return Err(format!("{where_}: the id appears twice"));
                }
                if store.hashes.insert(hash, k.api_key_id.clone()).is_some() {
                    return Err(format!("{where_}: the secret hash appears twice"));
                }
                keys.push(Key {
                    id: k.api_key_id,
                    name: k.name,
                    scopes,
                    hash,
                    admin: k.admin,
                });
            }
            store.accounts.push(Account {
                id: a.id,
                username: a.username,
                email: a.email,
                region: a.region,
                disabled: a.disabled,
                parent: a.parent,
                customer_id: a.customer_id,
                keys,
            });
        }
        Ok(store)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// The state file: accounts and keys (secret hashes only) plus the admin key.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StateFile {
    pub version: u32,
    #[serde(default)]
    pub note: String,
    pub admin_key: String,
    /// Keys minted so far from the seeded stream (so a restart does not replay ids).
    #[serde(default)]
    pub generated: u64,
    pub accounts: Vec<AccountState>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AccountState {
    pub id: u64,
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub region: Region,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub parent: bool,
    /// Set for a customer account (reached with `on-behalf-of: account-id <id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub keys: Vec<KeyState>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct KeyState {
    pub api_key_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}
