//! Modal state machines: rename, the scope matrix (shared by "edit scopes" and "new key"),
//! create, the shown-once secret, revoke confirmation, context picker, help and log.

use std::collections::BTreeSet;

use tui_input::Input;

use super::ReqId;
use super::keymap::Layer;
use crate::api::{ApiKeyId, KeyDetail};
use crate::scopes::{self, Category, KeyType, Level};
use crate::secret::Secret;

/// `?`: bindings of the layer underneath, filterable.
#[derive(Debug, Clone)]
pub struct HelpModal {
    pub filter: Input,
    /// The layer the help describes.
    pub under: Layer,
    pub scroll: usize,
}

/// `r`: rename (PATCH).
#[derive(Debug, Clone)]
pub struct RenameForm {
    pub id: ApiKeyId,
    pub original: String,
    pub input: Input,
    /// Validation or server error, shown in the form.
    pub error: Option<String>,
    /// The PATCH in flight.
    pub saving: Option<ReqId>,
}

/// A row of the scope matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixRow {
    Category(&'static Category),
    Scope(&'static Category, &'static str),
}

/// The No / Read / Full matrix over all categories, with expandable single scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMatrix {
    /// Scopes the key will hold (never auto-assigned ones).
    pub selected: BTreeSet<String>,
    /// What the caller may grant (`GET /v3/scopes`); None while unknown (the server decides).
    pub grantable: Option<BTreeSet<String>>,
    pub cursor: usize,
    pub expanded: BTreeSet<&'static str>,
    /// Billing key: only billing scopes; otherwise billing is off limits.
    pub billing: bool,
    /// Why the last change was refused or trimmed.
    pub message: Option<String>,
}

impl ScopeMatrix {
    pub fn new(
        selected: BTreeSet<String>,
        grantable: Option<BTreeSet<String>>,
        billing: bool,
    ) -> Self {
        ScopeMatrix {
            selected,
            grantable,
            cursor: 0,
            expanded: BTreeSet::new(),
            billing,
            message: None,
        }
    }

    /// Visible rows: every category, and the scopes of expanded ones.
    pub fn rows(&self) -> Vec<MatrixRow> {
        let mut rows = Vec::with_capacity(40);
        for c in scopes::categories() {
            rows.push(MatrixRow::Category(c));
            if self.expanded.contains(c.id) {
                rows.extend(c.scopes.iter().map(|s| MatrixRow::Scope(c, s)));
            }
        }
        rows
    }

    pub fn current(&self) -> Option<MatrixRow> {
        self.rows().get(self.cursor).copied()
    }

    pub fn level(&self, c: &Category) -> Level {
        let held: BTreeSet<&str> = self.selected.iter().map(String::as_str).collect();
        c.level_of(&held)
    }

    /// Why a category cannot be changed, if it cannot.
    pub fn category_lock(&self, c: &Category) -> Option<&'static str> {
        if self.billing && !c.billing {
            Some("a Billing key holds billing scopes only")
        } else if !self.billing && c.billing {
            Some("billing scopes cannot be combined with others: create a Billing key")
        } else {
            None
        }
    }

    /// Why a single scope cannot be granted, if it cannot.
    pub fn scope_lock(&self, c: &Category, scope: &str) -> Option<&'static str> {
        if let Some(reason) = self.category_lock(c) {
            return Some(reason);
        }
        match &self.grantable {
            Some(g) if !g.contains(scope) && !self.selected.contains(scope) => {
                Some("your key does not hold this scope, so it cannot grant it")
            }
            _ => None,
        }
    }

    fn may_grant(&self, scope: &str) -> bool {
        self.grantable.as_ref().is_none_or(|g| g.contains(scope))
    }

    /// Set a category to a level. Scopes the caller cannot grant are left out, with a message.
    pub fn set_level(&mut self, c: &'static Category, level: Level) {
        self.message = None;
        if let Some(reason) = self.category_lock(c) {
            self.message = Some(reason.into());
            return;
        }
        let want = c.scopes_for(level);
        let mut skipped = 0;
        for s in c.scopes {
            if want.contains(s) {
                if self.may_grant(s) {
                    self.selected.insert((*s).to_owned());
                } else if !self.selected.contains(*s) {
                    skipped += 1;
                }
            } else {
                self.selected.remove(*s);
            }
        }
        if skipped > 0 {
            self.message = Some(format!(
                "{skipped} scope{} left out: your key does not hold {}",
                if skipped == 1 { "" } else { "s" },
                if skipped == 1 { "it" } else { "them" }
            ));
        }
    }

    /// Step a category's level down (-1) or up (+1) through its levels.
    pub fn step(&mut self, c: &'static Category, dir: i8) {
        let levels = c.levels();
        let cur = match self.level(c) {
            // Partial counts as between Read and Full (or No and Read for read-only categories)
            Level::Partial => {
                if dir > 0 {
                    levels
                        .len()
                        .saturating_sub(1)
                        .saturating_sub(if c.has_write() { 1 } else { 0 })
                } else {
                    levels.len().saturating_sub(1)
                }
            }
            l => levels.iter().position(|x| *x == l).unwrap_or(0),
        };
        let next = if dir > 0 {
            (cur + 1).min(levels.len() - 1)
        } else {
            cur.saturating_sub(1)
        };
        let target = levels[next];
        if target != self.level(c) {
            self.set_level(c, target);
        }
    }

    /// Toggle one scope.
    pub fn toggle(&mut self, c: &'static Category, scope: &'static str) {
        self.message = None;
        if self.selected.remove(scope) {
            return;
        }
        match self.scope_lock(c, scope) {
            Some(reason) => self.message = Some(reason.into()),
            None => {
                self.selected.insert(scope.to_owned());
            }
        }
    }

    pub fn expand_toggle(&mut self, c: &'static Category) {
        if !self.expanded.remove(c.id) {
            self.expanded.insert(c.id);
        }
        // keep the cursor on the category row
        if let Some(i) = self
            .rows()
            .iter()
            .position(|r| *r == MatrixRow::Category(c))
        {
            self.cursor = i;
        }
    }

    pub fn move_cursor(&mut self, delta: isize) {
        let n = self.rows().len();
        if n == 0 {
            return;
        }
        self.cursor = (self.cursor as isize + delta).clamp(0, n as isize - 1) as usize;
    }
}

/// Stages of the scope editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeStage {
    Editing,
    /// Summary of added/removed scopes before the PUT.
    Review,
    /// Re-reading the key to detect changes made elsewhere.
    Checking(ReqId),
    /// The key changed since the form opened.
    Conflict(KeyDetail),
    Saving(ReqId),
    /// Esc on a dirty form.
    ConfirmDiscard,
}

/// `e`: edit a key's scopes (PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeForm {
    pub id: ApiKeyId,
    pub name: String,
    /// The key's scopes when the form opened (without auto-assigned ones).
    pub original: BTreeSet<String>,
    pub matrix: ScopeMatrix,
    pub stage: ScopeStage,
    pub error: Option<String>,
    /// Opened from a preset ("least-privilege trim").
    pub preset: Option<&'static str>,
    /// The key sgkeys itself is using: removing its `api_keys.*` scopes locks sgkeys out.
    pub own: bool,
}

impl ScopeForm {
    /// The PUT body the save will send (for the review preview).
    pub fn put_body(&self) -> String {
        let body = serde_json::json!({
            "name": self.name,
            "scopes": self.matrix.selected.iter().collect::<Vec<_>>(),
        });
        let body = serde_json::to_string_pretty(&body).unwrap_or_default();
        format!("PUT /v3/api_keys/{}\n{body}", self.id)
    }
}

impl ScopeForm {
    pub fn new(detail: &KeyDetail, grantable: Option<BTreeSet<String>>) -> Self {
        let original: BTreeSet<String> = scopes::sendable(&detail.scopes).into_iter().collect();
        let billing = scopes::classify(&detail.scopes).key_type == KeyType::Billing;
        ScopeForm {
            id: detail.api_key_id.clone(),
            name: detail.name.clone(),
            matrix: ScopeMatrix::new(original.clone(), grantable, billing),
            original,
            stage: ScopeStage::Editing,
            error: None,
            preset: None,
            own: false,
        }
    }
    pub fn dirty(&self) -> bool {
        self.matrix.selected != self.original
    }
    pub fn added(&self) -> Vec<&String> {
        self.matrix.selected.difference(&self.original).collect()
    }
    pub fn removed(&self) -> Vec<&String> {
        self.original.difference(&self.matrix.selected).collect()
    }
    /// The `api_keys.*` scopes this change takes from the key sgkeys is using (empty for any
    /// other key): after saving, sgkeys can no longer do what they allowed.
    pub fn lockout(&self) -> Vec<&String> {
        if !self.own {
            return Vec::new();
        }
        self.removed()
            .into_iter()
            .filter(|s| s.starts_with("api_keys."))
            .collect()
    }
    pub fn layer(&self) -> Layer {
        match self.stage {
            ScopeStage::Editing => Layer::Scopes,
            ScopeStage::Review => Layer::ScopesReview,
            ScopeStage::Conflict(_) => Layer::ScopesConflict,
            ScopeStage::ConfirmDiscard => Layer::Discard,
            ScopeStage::Checking(_) | ScopeStage::Saving(_) => Layer::Busy,
        }
    }
}

/// Fields of the create form, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    Name,
    Type,
    Preset,
    Matrix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateStage {
    Editing,
    Review,
    Submitting(ReqId),
    ConfirmDiscard,
}

/// `n`: create a key (POST).
#[derive(Debug, Clone)]
pub struct CreateForm {
    pub name: Input,
    pub key_type: KeyType,
    /// Index into `presets::PRESETS` last applied.
    pub preset: Option<usize>,
    pub matrix: ScopeMatrix,
    pub focus: CreateField,
    pub stage: CreateStage,
    pub error: Option<String>,
}

impl CreateForm {
    pub fn new(grantable: Option<BTreeSet<String>>) -> Self {
        CreateForm {
            name: Input::default(),
            key_type: KeyType::Custom,
            preset: None,
            matrix: ScopeMatrix::new(BTreeSet::new(), grantable, false),
            focus: CreateField::Name,
            stage: CreateStage::Editing,
            error: None,
        }
    }
    pub fn layer(&self) -> Layer {
        match self.stage {
            CreateStage::Review => Layer::CreateReview,
            CreateStage::Submitting(_) => Layer::Busy,
            CreateStage::ConfirmDiscard => Layer::Discard,
            CreateStage::Editing if self.focus == CreateField::Name => Layer::CreateName,
            CreateStage::Editing => Layer::Create,
        }
    }
    pub fn dirty(&self) -> bool {
        !self.name.value().trim().is_empty()
            || !self.matrix.selected.is_empty()
            || self.key_type != KeyType::Custom
    }
    /// Fields in Tab order for the chosen type.
    pub fn fields(&self) -> &'static [CreateField] {
        match self.key_type {
            KeyType::Custom => &[
                CreateField::Name,
                CreateField::Type,
                CreateField::Preset,
                CreateField::Matrix,
            ],
            _ => &[CreateField::Name, CreateField::Type],
        }
    }
    /// The scopes the POST will carry: None for Full Access (SendGrid's default).
    pub fn scopes_to_send(&self) -> Option<Vec<String>> {
        match self.key_type {
            KeyType::Full => None,
            KeyType::Billing => Some(
                scopes::category("billing")
                    .map(|c| c.full.iter().map(|s| (*s).to_owned()).collect())
                    .unwrap_or_default(),
            ),
            KeyType::Custom => Some(self.matrix.selected.iter().cloned().collect()),
        }
    }
}

/// The created key's secret, shown once.
#[derive(Debug, Clone)]
pub struct SecretModal {
    pub id: ApiKeyId,
    pub name: String,
    pub key_type: KeyType,
    pub scope_count: usize,
    pub secret: Secret,
    pub copied: bool,
    /// Closing without having copied asks first.
    pub confirm_close: bool,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmFocus {
    Cancel,
    Revoke,
}

/// `d`: confirm revocation of one or more keys. Focus starts on Cancel; more than one key needs
/// the count typed.
#[derive(Debug, Clone)]
pub struct ConfirmDelete {
    pub targets: Vec<DeleteTarget>,
    pub focus: ConfirmFocus,
    pub typed: Input,
    pub error: Option<String>,
}

impl ConfirmDelete {
    pub fn needs_count(&self) -> bool {
        self.targets.len() > 1
    }
    pub fn count_ok(&self) -> bool {
        !self.needs_count() || self.typed.value().trim() == self.targets.len().to_string()
    }
}

/// `c`: switch between the key's own account and its subusers.
#[derive(Debug, Clone)]
pub struct ContextPicker {
    pub filter: Input,
    pub cursor: usize,
}

/// What the right-hand side of a scope diff is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffRight {
    Key(ApiKeyId),
    /// Index into `presets::PRESETS`.
    Preset(usize),
}

/// `=`: two keys' scopes side by side by category (two marked keys), or a key against a
/// preset (←/→ picks the preset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffModal {
    pub left: ApiKeyId,
    pub right: DiffRight,
    pub scroll: usize,
}

/// `p`: pick a preset to trim a key to (least privilege); the scope editor then previews the PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetPicker {
    pub id: ApiKeyId,
    pub cursor: usize,
}

/// `@`: the message and API log. `scroll` counts lines up from the newest.
#[derive(Debug, Clone, Default)]
pub struct LogModal {
    pub scroll: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: &str) -> &'static Category {
        scopes::category(id).unwrap()
    }

    #[test]
    fn matrix_levels_step_and_respect_grantable() {
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        let alerts = cat("alerts");
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), Level::Read);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), Level::Full);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), Level::Full);
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), Level::Read);
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), Level::No);

        let grantable: BTreeSet<String> = ["alerts.read".to_owned()].into();
        let mut m = ScopeMatrix::new(BTreeSet::new(), Some(grantable), false);
        m.set_level(alerts, Level::Full);
        assert_eq!(m.selected, ["alerts.read".to_owned()].into());
        assert!(
            m.message
                .as_deref()
                .unwrap_or_default()
                .contains("3 scopes left out")
        );
        assert!(m.scope_lock(alerts, "alerts.create").is_some());
        m.toggle(alerts, "alerts.create");
        assert!(!m.selected.contains("alerts.create"));
    }

    #[test]
    fn billing_is_exclusive() {
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        m.set_level(cat("billing"), Level::Full);
        assert!(m.selected.is_empty());
        assert!(m.message.is_some());
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, true);
        m.set_level(cat("mail"), Level::Full);
        assert!(m.selected.is_empty());
        m.set_level(cat("billing"), Level::Read);
        assert_eq!(m.selected.len(), 1);
    }

    #[test]
    fn partial_steps_to_the_nearest_level() {
        let mut m = ScopeMatrix::new(
            ["alerts.read".to_owned(), "alerts.create".to_owned()].into(),
            None,
            false,
        );
        let alerts = cat("alerts");
        assert_eq!(m.level(alerts), Level::Partial);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), Level::Full);
        let mut m = ScopeMatrix::new(
            ["alerts.read".to_owned(), "alerts.create".to_owned()].into(),
            None,
            false,
        );
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), Level::Read);
    }

    #[test]
    fn expanding_shows_scope_rows() {
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        let n = m.rows().len();
        assert_eq!(n, scopes::categories().len());
        m.expand_toggle(cat("mail"));
        assert_eq!(m.rows().len(), n + 5);
        assert_eq!(m.current(), Some(MatrixRow::Category(cat("mail"))));
    }
}
