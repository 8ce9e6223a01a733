//! The scope catalog (compiled in from `assets/scopes.json` by `build.rs`) and the classifier
//! that names a key's type and its access level per permission category, as SendGrid's App shows
//! them: No / Read / Full access per category, plus Partial when a key holds a subset that is
//! neither (possible through the API).

mod diff;
mod grant;

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

pub use diff::{CategoryDiff, ScopeDiff, scope_diff};
pub use grant::missing_scope_hint;

/// One permission category (a row of the App's No / Read / Full matrix).
#[derive(Debug, PartialEq, Eq)]
pub struct Category {
    /// Stable id from scopes.json (`mail`, `api_keys`, ...).
    pub id: &'static str,
    /// Short label for the matrix.
    pub label: &'static str,
    /// A column header of at most 4 characters (the account-wide permission matrix).
    pub abbr: &'static str,
    /// The section heading in SendGrid's API-key permissions docs.
    pub docs_name: &'static str,
    /// Billing scopes cannot be combined with any other scope.
    pub billing: bool,
    /// Every scope of the category.
    pub scopes: &'static [&'static str],
    /// The scopes that make up Read Access (the `*.read` scopes).
    pub read: &'static [&'static str],
    /// The scopes that make up Full Access (all of them).
    pub full: &'static [&'static str],
}

impl Category {
    /// Whether the category distinguishes Read from Full (Stats, for instance, is read-only).
    pub fn has_write(&self) -> bool {
        self.full.len() > self.read.len()
    }

    /// The levels a user can pick for this category in an editor.
    pub fn levels(&self) -> &'static [Level] {
        if self.has_write() {
            &[Level::No, Level::Read, Level::Full]
        } else {
            &[Level::No, Level::Read]
        }
    }

    /// The scopes a key holds when the category is set to `level` (Partial has no fixed set).
    pub fn scopes_for(&self, level: Level) -> &'static [&'static str] {
        match level {
            Level::No | Level::Partial => &[],
            Level::Read => self.read,
            Level::Full => self.full,
        }
    }

    /// The level a set of scopes amounts to in this category.
    pub fn level_of(&self, held: &BTreeSet<&str>) -> Level {
        let n = self.scopes.iter().filter(|s| held.contains(**s)).count();
        if n == 0 {
            return Level::No;
        }
        let all = |set: &[&str]| set.iter().all(|s| held.contains(s));
        if n == self.full.len() && all(self.full) {
            if self.has_write() {
                Level::Full
            } else {
                Level::Read
            }
        } else if n == self.read.len() && all(self.read) {
            Level::Read
        } else {
            Level::Partial
        }
    }

    /// Number of this category's scopes in `held`.
    pub fn held_count(&self, held: &BTreeSet<&str>) -> usize {
        self.scopes.iter().filter(|s| held.contains(**s)).count()
    }
}

/// [`Category::level_of`] and [`Category::held_count`] of the `i`th category over a bit set
/// of the held scopes: the same counts, bit tests instead of name lookups (classifying 10 000
/// keys that each hold ~200 scopes asked ~15 000 name lookups a key).
fn level_in(i: usize, c: &Category, held: &ScopeSet) -> (Level, usize) {
    let Some([scopes, full, read]) = TABLE.categories.get(i) else {
        return (Level::No, 0);
    };
    let n = scopes.iter().filter(|&&b| held.has(b)).count();
    if n == 0 {
        return (Level::No, 0);
    }
    let all = |set: &[usize]| set.iter().all(|&b| held.has(b));
    let level = if n == full.len() && all(full) {
        if c.has_write() {
            Level::Full
        } else {
            Level::Read
        }
    } else if n == read.len() && all(read) {
        Level::Read
    } else {
        Level::Partial
    };
    (level, n)
}

include!(concat!(env!("OUT_DIR"), "/scopes_gen.rs"));

/// Access level of a key in one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    No,
    Read,
    Partial,
    Full,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::No => "No Access",
            Level::Read => "Read Access",
            Level::Full => "Full Access",
            Level::Partial => "Partial",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Level::No => "No",
            Level::Read => "Read",
            Level::Full => "Full",
            Level::Partial => "Partial",
        }
    }
}

/// The key types of SendGrid's App.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Full,
    Custom,
    Billing,
}

impl KeyType {
    pub fn label(self) -> &'static str {
        match self {
            KeyType::Full => "Full Access",
            KeyType::Custom => "Custom Access",
            KeyType::Billing => "Billing Access",
        }
    }
    pub fn badge(self) -> &'static str {
        match self {
            KeyType::Full => "Full",
            KeyType::Custom => "Custom",
            KeyType::Billing => "Billing",
        }
    }
}

/// Every permission category, in the order of the docs.
pub fn categories() -> &'static [Category] {
    CATEGORIES
}

/// A category by id.
pub fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// Scopes SendGrid adds to keys by itself; never counted, never sent back.
pub fn auto_assigned() -> &'static [&'static str] {
    AUTO_ASSIGNED_SCOPES
}

pub fn is_auto_assigned(scope: &str) -> bool {
    AUTO_ASSIGNED_SCOPES.contains(&scope)
}

pub fn is_billing(scope: &str) -> bool {
    BILLING_SCOPES.contains(&scope)
}

/// Whether the scope belongs to a catalog category.
pub fn is_known(scope: &str) -> bool {
    // one hash lookup, not a scan of every category (classifying a Full Access key asked this
    // ~200 times: most of a 10 000-key first frame)
    ScopeSet::catalog().contains(scope)
}

/// Scopes documented only for teammates (may or may not be grantable to keys).
pub fn is_teammate_only(scope: &str) -> bool {
    TEAMMATE_ONLY_SCOPES.contains(&scope)
}

/// Every catalog scope, sorted and de-duplicated (the `clients.*` scopes sit in two categories).
pub fn all_scopes() -> BTreeSet<&'static str> {
    CATEGORIES
        .iter()
        .flat_map(|c| c.scopes.iter().copied())
        .collect()
}

/// What a Full Access key holds: every catalog scope except billing.
pub fn full_access_scopes() -> BTreeSet<&'static str> {
    all_scopes()
        .into_iter()
        .filter(|s| !is_billing(s))
        .collect()
}

/// The scopes of SendGrid's "Admin API Key Permissions" list, minus billing and `subusers.*`: a
/// key holding all of them is a Full Access key even if it misses the few scopes the docs list
/// only in sections. `subusers.*` is left out because a subuser can never hold it, so a
/// subuser's Full Access key would otherwise read as Custom.
fn full_access_core() -> impl Iterator<Item = &'static str> {
    ADMIN_LIST_SCOPES
        .iter()
        .copied()
        .filter(|s| !is_billing(s) && !s.starts_with("subusers."))
}

const WORDS: usize = 4;

/// FNV-1a, for the scope table's index: a name is looked up for every scope of every key read
/// (2 million lookups for 10 000 near-Full-Access keys), and SipHash was most of that. The
/// table is fixed (no name from a server is ever inserted), so a crafted name can only cost
/// one lookup's probe over its ~210 entries.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The scope table: every catalog scope (sorted), then the auto-assigned ones.
struct Table {
    names: Vec<&'static str>,
    index: HashMap<&'static str, usize, std::hash::BuildHasherDefault<Fnv>>,
    catalog: ScopeSet,
    auto: ScopeSet,
    /// The names that are auto-assigned ([`is_auto_assigned`]), wherever they sit.
    auto_named: ScopeSet,
    billing: ScopeSet,
    /// [`full_access_core`] in the table, and the rest of it (none, while the catalog holds
    /// every scope of the admin list).
    core: ScopeSet,
    core_outside: Vec<&'static str>,
    /// Per category (in `CATEGORIES` order): the table indices of its `scopes`, `full` and
    /// `read` lists, in list order (duplicates kept), so a level is counted with bit tests
    /// exactly as [`Category::level_of`] counts it with name lookups.
    categories: Vec<[Vec<usize>; 3]>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = all_scopes().into_iter().collect();
    let catalog_len = names.len();
    for a in auto_assigned() {
        if !names.contains(a) {
            names.push(a);
        }
    }
    // A unit test checks the table fits; never index past the bit set.
    names.truncate(WORDS * 64);
    let index: HashMap<&'static str, usize, _> =
        names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut t = Table {
        names,
        index,
        catalog: ScopeSet::default(),
        auto: ScopeSet::default(),
        auto_named: ScopeSet::default(),
        billing: ScopeSet::default(),
        core: ScopeSet::default(),
        core_outside: Vec::new(),
        categories: Vec::new(),
    };
    let indices = |list: &[&str]| -> Vec<usize> {
        list.iter()
            .map(|n| t.index.get(n).copied().unwrap_or(usize::MAX))
            .collect()
    };
    let categories = CATEGORIES
        .iter()
        .map(|c| [indices(c.scopes), indices(c.full), indices(c.read)])
        .collect();
    t.categories = categories;
    for (i, name) in t.names.iter().copied().enumerate() {
        if i < catalog_len {
            t.catalog.set(i);
            if is_billing(name) {
                t.billing.set(i);
            }
        } else {
            t.auto.set(i);
        }
        if is_auto_assigned(name) {
            t.auto_named.set(i);
        }
    }
    for name in full_access_core() {
        match t.index.get(name) {
            Some(&i) => t.core.set(i),
            None => t.core_outside.push(name),
        }
    }
    t.core_outside.sort_unstable();
    t
});

/// A set of known scopes (the catalog and the auto-assigned ones) as bits over one static
/// table: 32 bytes however many scopes a key holds. Names outside the table are kept apart by
/// whoever builds the set (see [`ScopeSet::from_names`]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet([u64; WORDS]);

impl std::fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl ScopeSet {
    pub(crate) fn set(&mut self, i: usize) {
        if i < WORDS * 64 {
            self.0[i / 64] |= 1 << (i % 64);
        }
    }

    pub(crate) fn has(&self, i: usize) -> bool {
        i < WORDS * 64 && self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Every catalog scope (billing included, auto-assigned excluded): the parent's scopes.
    pub fn catalog() -> Self {
        TABLE.catalog
    }

    /// Every auto-assigned scope.
    pub fn auto_mask() -> Self {
        TABLE.auto
    }

    pub fn billing_mask() -> Self {
        TABLE.billing
    }

    /// A set from names; unknown names are returned apart.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> (Self, Vec<String>) {
        let mut set = ScopeSet::default();
        let mut unknown = Vec::new();
        for n in names {
            if !set.insert(n.as_ref()) {
                unknown.push(n.as_ref().to_owned());
            }
        }
        (set, unknown)
    }

    /// Add a scope by name; false when it is not in the table.
    pub fn insert(&mut self, name: &str) -> bool {
        match TABLE.index.get(name) {
            Some(&i) => {
                self.set(i);
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        TABLE.index.get(name).is_some_and(|&i| self.has(i))
    }

    pub fn union(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    pub fn intersect(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        out
    }

    pub fn minus(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        out
    }

    /// The scopes that were granted (everything but the auto-assigned ones).
    pub fn granted(self) -> Self {
        self.minus(TABLE.auto)
    }

    /// The auto-assigned scopes only.
    pub fn auto(self) -> Self {
        self.intersect(TABLE.auto)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Names in table order: granted scopes sorted, then the auto-assigned ones.
    /// Visits only the set bits (a `scope:` filter walks every key's set on each keystroke).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().enumerate().flat_map(|(word, &bits)| {
            std::iter::successors((bits != 0).then_some(bits), |b| {
                let rest = b & (b - 1);
                (rest != 0).then_some(rest)
            })
            .filter_map(move |b| {
                TABLE
                    .names
                    .get(word * 64 + b.trailing_zeros() as usize)
                    .copied()
            })
        })
    }

    pub fn to_strings(self) -> Vec<String> {
        self.names().map(str::to_owned).collect()
    }
}

/// A key's scopes, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub key_type: KeyType,
    /// One entry per category, in catalog order.
    pub levels: Vec<CategoryLevel>,
    /// Auto-assigned scopes the key carries (shown apart, never counted).
    pub auto_assigned: Vec<String>,
    /// Scopes outside the catalog (shown under "Other").
    pub unknown: Vec<String>,
    /// Number of counted scopes (without auto-assigned ones).
    pub counted: usize,
    /// The key holds billing scopes together with others (SendGrid forbids that).
    pub mixed_billing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryLevel {
    pub category: &'static Category,
    pub level: Level,
    pub held: usize,
}

impl Classification {
    pub fn level(&self, category_id: &str) -> Level {
        self.levels
            .iter()
            .find(|l| l.category.id == category_id)
            .map_or(Level::No, |l| l.level)
    }
}

/// A key's level in every category, 2 bits each in catalog order: one `u64` per key, so the
/// account-wide matrix of 10 000 keys counts and sorts without classifying anything again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Levels(u64);

impl Levels {
    /// Categories a `Levels` can hold (the catalog has 25; a test keeps it within this).
    pub const MAX: usize = 32;

    pub fn of(class: &Classification) -> Self {
        let mut bits = 0u64;
        for (i, l) in class.levels.iter().enumerate().take(Self::MAX) {
            let v: u64 = match l.level {
                Level::No => 0,
                Level::Read => 1,
                Level::Partial => 2,
                Level::Full => 3,
            };
            bits |= v << (2 * i);
        }
        Levels(bits)
    }

    /// The level in the category at `i` (catalog order); No beyond the catalog.
    pub fn get(self, i: usize) -> Level {
        if i >= Self::MAX {
            return Level::No;
        }
        match (self.0 >> (2 * i)) & 3 {
            0 => Level::No,
            1 => Level::Read,
            2 => Level::Partial,
            _ => Level::Full,
        }
    }
}

/// Classify a key's scopes: its type and per-category levels. Auto-assigned scopes never count.
pub fn classify<S: AsRef<str>>(scopes: &[S]) -> Classification {
    let (set, other) = ScopeSet::from_names(scopes);
    classify_set(set, &other)
}

/// [`classify`] of a key holding `set` and the names outside the table, `other` (what
/// [`ScopeSet::from_names`] returns): bit tests, no name looked up again (the inventory's
/// first frame classifies each distinct scope set of up to 10 000 keys).
pub fn classify_set<S: AsRef<str>>(set: ScopeSet, other: &[S]) -> Classification {
    let (auto_other, mut unknown): (Vec<&str>, Vec<&str>) = other
        .iter()
        .map(AsRef::as_ref)
        .partition(|s| is_auto_assigned(s));
    unknown.sort_unstable();
    unknown.dedup();
    let bits = set.minus(TABLE.auto_named);
    let mut auto = set.intersect(TABLE.auto_named).to_strings();
    auto.extend(auto_other.into_iter().map(str::to_owned));
    auto.sort();
    auto.dedup();
    // held: the known granted scopes (`bits`) and the unknown ones, apart (no name is both)
    let held = bits.len() + unknown.len();
    let billing =
        bits.intersect(TABLE.billing).len() + unknown.iter().filter(|s| is_billing(s)).count();
    let others = held - billing;
    let key_type = if billing > 0 && others == 0 {
        KeyType::Billing
    } else if billing == 0
        && held > 0
        && bits.intersect(TABLE.core) == TABLE.core
        && TABLE
            .core_outside
            .iter()
            .all(|s| unknown.binary_search(s).is_ok())
    {
        KeyType::Full
    } else {
        KeyType::Custom
    };
    let levels = CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (level, held) = level_in(i, c, &bits);
            CategoryLevel {
                category: c,
                level,
                held,
            }
        })
        .collect();
    Classification {
        key_type,
        levels,
        auto_assigned: auto,
        unknown: unknown.into_iter().map(str::to_owned).collect(),
        counted: held,
        mixed_billing: billing > 0 && others > 0,
    }
}

/// Glob match for scope filters: `*` any run of characters, `?` one character. Allocation-free
/// for ASCII pattern and text (every catalog scope is ASCII): a `scope:` filter runs this for
/// every scope of every key on each keystroke.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        glob_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        glob_units(&p, &t, '*', '?')
    }
}

/// The one glob algorithm (linear backtracking to the last `*`), over bytes or chars.
fn glob_units<T: PartialEq + Copy>(p: &[T], t: &[T], any: T, one: T) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == any {
        pi += 1;
    }
    pi == p.len()
}

/// Reasons a requested scope list cannot be sent as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeSpecError {
    #[error("unknown scope or category '{0}' (see `sgkeys scopes` for the catalog)")]
    Unknown(String),
    #[error("'{0}' is not a level: use no, read or full")]
    BadLevel(String),
    #[error("category '{category}' has no {level} level (it is read-only)")]
    NoSuchLevel { category: String, level: String },
    #[error("billing scopes cannot be combined with other scopes (SendGrid refuses such keys)")]
    MixedBilling,
    #[error("a key needs at least one scope")]
    Empty,
}

/// Expand user-written scope specs into a scope set. Each spec is an exact scope (`mail.send`),
/// a glob over catalog scopes (`mail.*`), or `category=level` (`stats=read`, `mail=full`).
/// Auto-assigned scopes are dropped; billing exclusivity is checked.
pub fn expand_specs<S: AsRef<str>>(specs: &[S]) -> Result<BTreeSet<String>, ScopeSpecError> {
    expand_specs_noted(specs).map(|(set, _)| set)
}

/// [`expand_specs`], with a note per glob saying what it selected (`'*' selected 196 scopes in
/// 25 categories`). Billing scopes a glob matched among others are left out, with a note
/// (billing cannot be combined with other scopes); billing scopes named outright still make
/// the mix an error.
pub fn expand_specs_noted<S: AsRef<str>>(
    specs: &[S],
) -> Result<(BTreeSet<String>, Vec<String>), ScopeSpecError> {
    let mut out = BTreeSet::new();
    let mut named = BTreeSet::new();
    let mut notes = Vec::new();
    let all = all_scopes();
    for spec in specs {
        let spec = spec.as_ref().trim();
        if spec.is_empty() {
            continue;
        }
        if let Some((cat, level)) = spec.split_once('=').or_else(|| spec.split_once(':')) {
            let c = category(cat).ok_or_else(|| ScopeSpecError::Unknown(cat.to_owned()))?;
            let level = match level.to_ascii_lowercase().as_str() {
                "no" | "none" => Level::No,
                "read" | "r" => Level::Read,
                "full" | "f" => Level::Full,
                other => return Err(ScopeSpecError::BadLevel(other.to_owned())),
            };
            if level == Level::Full && !c.has_write() {
                return Err(ScopeSpecError::NoSuchLevel {
                    category: c.id.to_owned(),
                    level: "full".into(),
                });
            }
            let these = c.scopes_for(level).iter().map(|s| (*s).to_owned());
            named.extend(these.clone());
            out.extend(these);
        } else if spec.contains(['*', '?']) {
            let matched: Vec<&str> = all
                .iter()
                .copied()
                .filter(|s| glob_match(spec, s))
                .collect();
            if matched.is_empty() {
                return Err(ScopeSpecError::Unknown(spec.to_owned()));
            }
            let cats: BTreeSet<&str> = matched
                .iter()
                .filter_map(|s| {
                    categories()
                        .iter()
                        .find(|c| c.scopes.contains(s))
                        .map(|c| c.id)
                })
                .collect();
            notes.push(format!(
                "'{spec}' selected {} scope{} in {} categor{}",
                matched.len(),
                if matched.len() == 1 { "" } else { "s" },
                cats.len(),
                if cats.len() == 1 { "y" } else { "ies" },
            ));
            out.extend(matched.iter().map(|s| (*s).to_owned()));
        } else if is_auto_assigned(spec) {
            // assigned by SendGrid itself; never sent
        } else if is_known(spec) || is_teammate_only(spec) {
            named.insert(spec.to_owned());
            out.insert(spec.to_owned());
        } else {
            return Err(ScopeSpecError::Unknown(spec.to_owned()));
        }
    }
    let billing: Vec<String> = out.iter().filter(|s| is_billing(s)).cloned().collect();
    if !billing.is_empty()
        && billing.len() < out.len()
        && !billing.iter().any(|s| named.contains(s))
        && out.iter().any(|s| !is_billing(s))
    {
        for s in &billing {
            out.remove(s);
        }
        notes.push(format!(
            "left out {} billing scope{} ({}): billing cannot be combined with other scopes \
             (a Billing key takes --billing)",
            billing.len(),
            if billing.len() == 1 { "" } else { "s" },
            billing.join(", ")
        ));
    }
    if out.is_empty() {
        return Err(ScopeSpecError::Empty);
    }
    let billing = out.iter().filter(|s| is_billing(s)).count();
    if billing > 0 && billing < out.len() {
        return Err(ScopeSpecError::MixedBilling);
    }
    if !notes.is_empty() {
        notes.push(format!("{} in all", plural_scopes(out.len())));
    }
    Ok((out, notes))
}

fn plural_scopes(n: usize) -> String {
    format!("{n} scope{}", if n == 1 { "" } else { "s" })
}

/// Scopes to send in a PUT/POST body: without auto-assigned scopes, sorted, unique.
pub fn sendable<S: AsRef<str>>(scopes: &[S]) -> Vec<String> {
    let set: BTreeSet<&str> = scopes
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !is_auto_assigned(s))
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests;
