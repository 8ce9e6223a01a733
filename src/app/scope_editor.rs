//! `e` and presets: the scope matrix (shared with "new key"), the editor form, the re-read before
//! saving, and SendGrid's answer.

use std::collections::BTreeSet;

use super::keymap::{Action, Layer};
use super::*;
use super::{effects::*, list::*};
use crate::api::{ApiError, ApiKeyId, KeyDetail};
use crate::scopes::{self, Category, KeyType};

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

    pub fn level(&self, c: &Category) -> scopes::Level {
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
    pub fn set_level(&mut self, c: &'static Category, level: scopes::Level) {
        self.message = None;
        if let Some(reason) = self.category_lock(c) {
            self.message = Some(reason.into());
            return;
        }
        let want = c.scopes_for(level);
        let mut skipped: Vec<&str> = Vec::new();
        for s in c.scopes {
            if want.contains(s) {
                if self.may_grant(s) {
                    self.selected.insert((*s).to_owned());
                } else if !self.selected.contains(*s) {
                    skipped.push(s);
                }
            } else {
                self.selected.remove(*s);
            }
        }
        if !skipped.is_empty() {
            let n = skipped.len();
            let named = if n <= 3 {
                skipped.join(", ")
            } else {
                format!("{} and {} more", skipped[..2].join(", "), n - 2)
            };
            self.message = Some(format!(
                "{named} left out: your key does not hold {}, so it cannot grant {}",
                if n == 1 { "it" } else { "them" },
                if n == 1 { "it" } else { "them" }
            ));
        }
    }

    /// Step a category's level down (-1) or up (+1) as a whole: No, Read, Full. A Partial
    /// category goes up to its top level, and down to Read when it has write scopes and the key
    /// already holds some of its read scopes (a real lowering), else to No: `h` never swaps a
    /// held scope for one the key did not have. Single scopes change in the expanded view.
    pub fn step(&mut self, c: &'static Category, dir: i8) {
        let levels = c.levels();
        let top = levels.len() - 1;
        let level = self.level(c);
        let target = match level {
            scopes::Level::Partial if dir > 0 => levels[top],
            scopes::Level::Partial => {
                if c.has_write() && c.read.iter().any(|s| self.selected.contains(*s)) {
                    scopes::Level::Read
                } else {
                    scopes::Level::No
                }
            }
            l => {
                let cur = levels.iter().position(|x| *x == l).unwrap_or(0);
                levels[if dir > 0 {
                    (cur + 1).min(top)
                } else {
                    cur.saturating_sub(1)
                }]
            }
        };
        if target != level {
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
    /// Esc on a dirty form: [`discard_question`].
    ConfirmDiscard(Confirm),
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
            ScopeStage::ConfirmDiscard(_) => Layer::Discard,
            ScopeStage::Checking(_) | ScopeStage::Saving(_) => Layer::Busy,
        }
    }
}

pub(crate) fn open_scope_editor(app: &mut App, out: &mut Vec<Command>) {
    let Some(e) = app.selected() else { return };
    if e.state.is_revoking() {
        return toast(app, Level::Warn, "this key is being revoked");
    }
    match e.key_detail() {
        Some(detail) => {
            let mut form = ScopeForm::new(&detail, app.my_scopes.value().cloned());
            form.own = is_own(app, &form.id);
            app.modal = Some(Modal::EditScopes(Box::new(form)));
        }
        None => {
            let id = e.id.clone();
            if !e.state.is_loading() {
                fetch_detail(app, &id, out);
            }
            let e = super::keymap::user::key_name(Layer::List, Action::EditScopes);
            toast(
                app,
                Level::Info,
                format!("loading this key's scopes: press {e} again in a moment"),
            );
        }
    }
}

/// Either form's "discard changes?" (this one's and the scope editor's), opened at `now_ms`:
/// Keep editing focused, and armed (what is thrown away cannot be had back, so `Esc` `y`
/// typed as one gesture discards nothing).
pub(crate) fn discard_question(now_ms: u64) -> Confirm {
    Confirm::new("Discard changes?", ["Keep editing", "Discard"], 56)
        .line(
            Tone::Warn,
            "Close the form and lose the changes you made in it?",
        )
        .armed_from(now_ms, "so Esc y typed as one gesture discards nothing")
}

/// Matrix keys shared by the scope editor and the create form.
pub(crate) fn matrix_action(m: &mut ScopeMatrix, a: Action) {
    let Some(row) = m.current() else { return };
    match (a, row) {
        (Action::Up, _) => m.move_cursor(-1),
        (Action::Down, _) => m.move_cursor(1),
        (Action::Left, MatrixRow::Category(c)) => m.step(c, -1),
        (Action::Right, MatrixRow::Category(c)) => m.step(c, 1),
        (Action::Toggle, MatrixRow::Category(c)) => m.expand_toggle(c),
        (Action::Toggle, MatrixRow::Scope(c, s)) => m.toggle(c, s),
        (Action::Left, MatrixRow::Scope(c, s)) if m.selected.contains(s) => m.toggle(c, s),
        (Action::Right, MatrixRow::Scope(c, s)) if !m.selected.contains(s) => m.toggle(c, s),
        _ => {}
    }
}

pub(crate) fn scope_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        return;
    };
    match (layer, a) {
        (Layer::Scopes, Action::Back) => {
            if f.dirty() {
                f.stage = ScopeStage::ConfirmDiscard(discard_question(app.now_ms));
            } else {
                close_modal(app);
            }
        }
        (Layer::Scopes, Action::Save) => {
            if !f.dirty() {
                f.error = Some("no changes to save".into());
            } else if f.matrix.selected.is_empty() {
                f.error = Some("a key needs at least one scope: revoke it instead (d)".into());
            } else {
                f.error = None;
                f.stage = ScopeStage::Review;
            }
        }
        (Layer::Scopes, _) => {
            f.error = None;
            matrix_action(&mut f.matrix, a);
        }
        (Layer::ScopesReview, Action::Yes) => {
            // Re-read first: if the key changed elsewhere, say so instead of overwriting.
            let id = f.id.clone();
            let req = request(app, Pending::PreSave(id.clone()), ApiOp::GetKey(id), out);
            if let Some(Modal::EditScopes(f)) = &mut app.modal {
                f.stage = ScopeStage::Checking(req);
            }
        }
        (Layer::ScopesReview, Action::No) => f.stage = ScopeStage::Editing,
        (Layer::ScopesConflict, Action::Overwrite) => {
            if let ScopeStage::Conflict(server) = &f.stage {
                let server_scopes = scopes::sendable(&server.scopes);
                let op = ApiOp::Mutate(Mutation::SetScopes {
                    id: f.id.clone(),
                    name: server.name.clone(),
                    scopes: f.matrix.selected.iter().cloned().collect(),
                    scopes_before: server_scopes,
                });
                let id = f.id.clone();
                let req = request(app, Pending::Update { id }, op, out);
                if let Some(Modal::EditScopes(f)) = &mut app.modal {
                    f.stage = ScopeStage::Saving(req);
                }
            }
        }
        (Layer::ScopesConflict, Action::Reload) => {
            if let ScopeStage::Conflict(server) = f.stage.clone() {
                let grantable = f.matrix.grantable.clone();
                let mut fresh = ScopeForm::new(&server, grantable);
                fresh.own = f.own;
                fresh.error =
                    Some("reloaded the key as it is now; your changes were dropped".into());
                **f = fresh;
                set_info(app, server);
            }
        }
        (Layer::ScopesConflict, Action::Back) => f.stage = ScopeStage::Editing,
        _ => {}
    }
}

pub(crate) fn presave_checked(
    app: &mut App,
    req: ReqId,
    result: Result<KeyDetail, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        return;
    };
    if f.stage != ScopeStage::Checking(req) {
        return;
    }
    match result {
        Ok(server) => {
            let now: BTreeSet<String> = scopes::sendable(&server.scopes).into_iter().collect();
            if now == f.original && server.name == f.name {
                let op = ApiOp::Mutate(Mutation::SetScopes {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    scopes: f.matrix.selected.iter().cloned().collect(),
                    scopes_before: f.original.iter().cloned().collect(),
                });
                let id = f.id.clone();
                let req = request(app, Pending::Update { id }, op, out);
                if let Some(Modal::EditScopes(f)) = &mut app.modal {
                    f.stage = ScopeStage::Saving(req);
                }
            } else {
                f.stage = ScopeStage::Conflict(server.clone());
                set_info(app, server);
                toast(
                    app,
                    Level::Warn,
                    "this key changed since you opened it: review before saving",
                );
            }
        }
        Err(e) => {
            f.stage = ScopeStage::Editing;
            f.error = Some(match &e {
                gone if gone.gone_by_sendgrid() => {
                    "the key no longer exists (revoked elsewhere)".to_owned()
                }
                other => format!(
                    "could not re-read the key: {}",
                    super::errors::describe(other)
                ),
            });
        }
    }
}

pub(crate) fn updated(app: &mut App, req: ReqId, id: &ApiKeyId, r: Result<KeyDetail, ApiError>) {
    let form_waiting =
        matches!(&app.modal, Some(Modal::EditScopes(f)) if f.stage == ScopeStage::Saving(req));
    match r {
        Ok(detail) => {
            let (added, removed) = match &app.modal {
                Some(Modal::EditScopes(f)) if form_waiting => (f.added().len(), f.removed().len()),
                _ => (0, 0),
            };
            let name = detail.name.clone();
            set_info(app, detail);
            if app.filter.query.needs_scopes() || app.view.sort.needs_scopes() {
                refilter(app);
            }
            if form_waiting {
                close_modal(app);
            }
            toast(
                app,
                Level::Success,
                format!("saved scopes of '{name}' (+{added} −{removed})"),
            );
        }
        Err(e) => {
            let msg = super::errors::explain(app, &e, Some("api_keys.update"));
            if form_waiting && let Some(Modal::EditScopes(f)) = &mut app.modal {
                f.stage = ScopeStage::Editing;
                f.error = Some(format!("SendGrid refused: {msg}"));
            }
            toast(
                app,
                Level::Error,
                format!("could not save scopes of {id}: {msg}"),
            );
        }
    }
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
        assert_eq!(m.level(alerts), scopes::Level::Read);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), scopes::Level::Full);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), scopes::Level::Full);
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), scopes::Level::Read);
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), scopes::Level::No);

        let grantable: BTreeSet<String> = ["alerts.read".to_owned()].into();
        let mut m = ScopeMatrix::new(BTreeSet::new(), Some(grantable), false);
        m.set_level(alerts, scopes::Level::Full);
        assert_eq!(m.selected, ["alerts.read".to_owned()].into());
        assert!(m.message.as_deref().unwrap_or_default().contains(
            "alerts.create, alerts.delete, alerts.update left out: your key does not hold them"
        ));
        assert!(m.scope_lock(alerts, "alerts.create").is_some());
        m.toggle(alerts, "alerts.create");
        assert!(!m.selected.contains("alerts.create"));
    }

    #[test]
    fn billing_is_exclusive() {
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        m.set_level(cat("billing"), scopes::Level::Full);
        assert!(m.selected.is_empty());
        assert!(m.message.is_some());
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, true);
        m.set_level(cat("mail"), scopes::Level::Full);
        assert!(m.selected.is_empty());
        m.set_level(cat("billing"), scopes::Level::Read);
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
        assert_eq!(m.level(alerts), scopes::Level::Partial);
        m.step(alerts, 1);
        assert_eq!(m.level(alerts), scopes::Level::Full);
        let mut m = ScopeMatrix::new(
            ["alerts.read".to_owned(), "alerts.create".to_owned()].into(),
            None,
            false,
        );
        m.step(alerts, -1);
        assert_eq!(m.level(alerts), scopes::Level::Read);
    }

    fn set(scopes: &[&str]) -> BTreeSet<String> {
        scopes.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn partial_mail_send_only_goes_down_to_no_and_up_to_full() {
        // Mail Send holding only mail.send: `h` must not swap it for mail.batch.read
        let mail = cat("mail");
        let mut m = ScopeMatrix::new(set(&["mail.send"]), None, false);
        assert_eq!(m.level(mail), scopes::Level::Partial);
        m.step(mail, -1);
        assert_eq!(m.level(mail), scopes::Level::No);
        assert!(m.selected.is_empty());
        let mut m = ScopeMatrix::new(set(&["mail.send"]), None, false);
        m.step(mail, 1);
        assert_eq!(m.level(mail), scopes::Level::Full);
    }

    #[test]
    fn partial_with_read_scopes_goes_down_to_read() {
        let templates = cat("templates");
        let mut m = ScopeMatrix::new(set(&["templates.read", "templates.create"]), None, false);
        assert_eq!(m.level(templates), scopes::Level::Partial);
        m.step(templates, -1);
        assert_eq!(m.level(templates), scopes::Level::Read);
        assert!(!m.selected.contains("templates.create"));
        m.step(templates, -1);
        assert_eq!(m.level(templates), scopes::Level::No);
    }

    #[test]
    fn read_only_categories_move_between_no_and_read() {
        let stats = cat("stats");
        assert!(!stats.has_write());
        let mut m = ScopeMatrix::new(set(&["stats.read"]), None, false);
        assert_eq!(m.level(stats), scopes::Level::Partial);
        m.step(stats, 1);
        assert_eq!(m.level(stats), scopes::Level::Read);
        m.step(stats, 1);
        assert_eq!(m.level(stats), scopes::Level::Read, "Read is the top");
        let mut m = ScopeMatrix::new(set(&["stats.read"]), None, false);
        m.step(stats, -1);
        assert_eq!(
            m.level(stats),
            scopes::Level::No,
            "a partial read-only category: No"
        );
        let email_marketing = cat("email_marketing");
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        m.step(email_marketing, 1);
        assert_eq!(m.level(email_marketing), scopes::Level::Read);
        m.step(email_marketing, -1);
        assert_eq!(m.level(email_marketing), scopes::Level::No);
    }

    #[test]
    fn billing_levels_on_a_billing_key_and_locked_on_others() {
        let billing = cat("billing");
        let mut m = ScopeMatrix::new(set(&["billing.read", "billing.update"]), None, true);
        assert_eq!(m.level(billing), scopes::Level::Partial);
        m.step(billing, -1);
        assert_eq!(m.level(billing), scopes::Level::Read);
        m.step(billing, 1);
        assert_eq!(m.level(billing), scopes::Level::Full);
        let mut m = ScopeMatrix::new(set(&["billing.update"]), None, true);
        m.step(billing, -1);
        assert_eq!(m.level(billing), scopes::Level::No);
        // not a billing key: billing stays locked, with the reason
        let mut m = ScopeMatrix::new(BTreeSet::new(), None, false);
        m.step(billing, 1);
        assert!(m.selected.is_empty() && m.message.is_some());
    }

    #[test]
    fn every_category_steps_through_its_levels_as_a_whole() {
        for c in scopes::categories() {
            let mut m = ScopeMatrix::new(BTreeSet::new(), None, c.billing);
            for want in c.levels().iter().skip(1) {
                m.step(c, 1);
                assert_eq!(m.level(c), *want, "{} up", c.id);
            }
            for want in c.levels().iter().rev().skip(1) {
                m.step(c, -1);
                assert_eq!(m.level(c), *want, "{} down", c.id);
            }
        }
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
