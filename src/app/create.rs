//! `n`: creating a key: the form (name, type, presets, matrix), the review, and the answer.

use std::collections::BTreeSet;

use tui_input::Input;

use super::keymap::{Action, Layer};
use super::*;
use super::{effects::*, list::*, scope_editor::*};
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail};
use crate::presets::PRESETS;
use crate::scopes::{self, KeyType};

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
    /// Esc on a dirty form: [`discard_question`].
    ConfirmDiscard(Confirm),
}

/// `n`: create a key (POST).
#[derive(Debug, Clone)]
pub struct CreateForm {
    pub name: Input,
    pub key_type: KeyType,
    /// Index into `presets::PRESETS` last applied (None: no preset, the scopes picked by hand).
    pub preset: Option<usize>,
    /// The scopes picked by hand before a preset replaced them: back when the cycle reaches
    /// `none` again.
    pub by_hand: BTreeSet<String>,
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
            by_hand: BTreeSet::new(),
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
            CreateStage::ConfirmDiscard(_) => Layer::Discard,
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
    /// For a caller that does not hold every Full Access scope: how many it holds (a Full Access
    /// key it creates holds those only). None when the caller holds them all, or is unknown.
    pub fn full_held_by_caller(&self) -> Option<usize> {
        let g = self.matrix.grantable.as_ref()?;
        let full = crate::scopes::full_access_scopes();
        let held = full.iter().filter(|s| g.contains(**s)).count();
        (held < full.len()).then_some(held)
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

/// `n`: the form, empty, the scopes the caller may grant marked (when known).
pub(crate) fn open_create(app: &mut App) {
    let grantable = app.my_scopes.value().cloned();
    app.modal = Some(Modal::Create(Box::new(CreateForm::new(grantable))));
}

/// The caller's own scopes arrived: the open form (this one or the scope editor) marks what
/// it may grant.
pub(crate) fn grantable_known(app: &mut App, set: &BTreeSet<String>) {
    match &mut app.modal {
        Some(Modal::Create(f)) => f.matrix.grantable = Some(set.clone()),
        Some(Modal::EditScopes(f)) => f.matrix.grantable = Some(set.clone()),
        _ => {}
    }
}

/// A key typed into the name.
pub(crate) fn edit_name(app: &mut App, edit: impl FnOnce(&mut Input)) {
    if let Some(Modal::Create(f)) = &mut app.modal {
        edit(&mut f.name);
        f.error = None;
    }
}

/// Either form's discard question answered: discard closes the form, keep editing goes back
/// to it.
pub(crate) fn discard_action(app: &mut App, a: Action) {
    let now = app.now_ms;
    let question = match &mut app.modal {
        Some(Modal::EditScopes(f)) => match &mut f.stage {
            ScopeStage::ConfirmDiscard(c) => c,
            _ => return,
        },
        Some(Modal::Create(f)) => match &mut f.stage {
            CreateStage::ConfirmDiscard(c) => c,
            _ => return,
        },
        _ => return,
    };
    match (question.answer(Layer::Discard, a, now), &mut app.modal) {
        (Answer::Yes, _) => close_modal(app),
        (Answer::No, Some(Modal::EditScopes(f))) => f.stage = ScopeStage::Editing,
        (Answer::No, Some(Modal::Create(f))) => f.stage = CreateStage::Editing,
        _ => {}
    }
}

pub(crate) fn create_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Create(f)) = &mut app.modal else {
        return;
    };
    match (layer, a) {
        (Layer::CreateReview, Action::Yes) => {
            let name = f.name.value().trim().to_owned();
            let scopes = f.scopes_to_send();
            let req = request(
                app,
                Pending::Create { name: name.clone() },
                ApiOp::Mutate(Mutation::Create {
                    name,
                    scopes,
                    replaces: None,
                }),
                out,
            );
            if let Some(Modal::Create(f)) = &mut app.modal {
                f.stage = CreateStage::Submitting(req);
            }
        }
        (Layer::CreateReview, Action::No) => f.stage = CreateStage::Editing,
        (_, Action::Back) => {
            if f.dirty() {
                f.stage = CreateStage::ConfirmDiscard(discard_question(app.now_ms));
            } else {
                close_modal(app);
            }
        }
        (_, Action::Save) => match validate_name(f.name.value()) {
            Err(e) => {
                f.error = Some(e);
                f.focus = CreateField::Name;
            }
            Ok(_) if f.key_type == KeyType::Custom && f.matrix.selected.is_empty() => {
                f.error =
                    Some("choose at least one scope, a preset, or the Full Access type".into());
            }
            // a key grants only what it holds: say so before SendGrid answers 403
            Ok(_)
                if f.key_type == KeyType::Billing
                    && f.matrix
                        .grantable
                        .as_ref()
                        .is_some_and(|g| !g.iter().any(|s| scopes::is_billing(s))) =>
            {
                f.error = Some(
                    "your key holds no billing scope, so it cannot create a Billing key: \
                     create Billing keys in SendGrid's App"
                        .into(),
                );
            }
            Ok(_) => {
                f.error = None;
                f.stage = CreateStage::Review;
            }
        },
        (_, Action::NextField | Action::PrevField) => {
            let fields = f.fields();
            let i = fields.iter().position(|x| *x == f.focus).unwrap_or(0);
            let n = fields.len();
            f.focus = fields[if a == Action::NextField {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }];
        }
        (Layer::Create, _) => match f.focus {
            CreateField::Type => match a {
                Action::Left | Action::Right => {
                    let order = [KeyType::Custom, KeyType::Full, KeyType::Billing];
                    let i = order.iter().position(|t| *t == f.key_type).unwrap_or(0);
                    f.key_type = order[if a == Action::Right {
                        (i + 1) % 3
                    } else {
                        (i + 2) % 3
                    }];
                    f.matrix.billing = f.key_type == KeyType::Billing;
                }
                Action::Up => f.focus = CreateField::Name,
                Action::Down if f.key_type == KeyType::Custom => f.focus = CreateField::Preset,
                _ => {}
            },
            CreateField::Preset => match a {
                Action::Left | Action::Right => {
                    // the cycle: none, then each preset, then none again
                    let n = PRESETS.len();
                    let next = match (f.preset, a) {
                        (None, Action::Right) => Some(0),
                        (None, _) => Some(n - 1),
                        (Some(i), Action::Right) => (i + 1 < n).then_some(i + 1),
                        (Some(i), _) => i.checked_sub(1),
                    };
                    if f.preset.is_none() {
                        f.by_hand = f.matrix.selected.clone();
                    }
                    f.preset = next;
                    let Some(next) = next else {
                        f.matrix.selected = std::mem::take(&mut f.by_hand);
                        f.matrix.message = None;
                        return;
                    };
                    let wanted = PRESETS[next].scopes();
                    let grantable = f.matrix.grantable.clone();
                    let (ok, skipped): (Vec<String>, Vec<String>) = wanted
                        .into_iter()
                        .partition(|s| grantable.as_ref().is_none_or(|g| g.contains(s)));
                    f.matrix.selected = ok.into_iter().collect();
                    f.matrix.message = (!skipped.is_empty()).then(|| {
                        format!(
                            "{} preset scopes left out: your key does not hold them",
                            skipped.len()
                        )
                    });
                }
                Action::Up => f.focus = CreateField::Type,
                Action::Down => f.focus = CreateField::Matrix,
                _ => {}
            },
            CreateField::Matrix => {
                if a == Action::Up && f.matrix.cursor == 0 {
                    f.focus = CreateField::Preset;
                } else {
                    matrix_action(&mut f.matrix, a);
                }
            }
            CreateField::Name => {}
        },
        _ => {}
    }
}

pub(crate) fn created(
    app: &mut App,
    req: ReqId,
    name: &str,
    r: Result<crate::api::CreatedKey, ApiError>,
) {
    let form_waiting =
        matches!(&app.modal, Some(Modal::Create(f)) if f.stage == CreateStage::Submitting(req));
    match r {
        Ok(created) => {
            let id = created.api_key_id.clone();
            let secret = joins_list(app, created, None);
            select_key(app, &id);
            toast(
                app,
                Level::Success,
                format!("created '{}' ({id})", secret.name),
            );
            // The secret is shown once, whatever modal was up.
            app.modal = Some(Modal::Secret(secret));
        }
        Err(ApiError::CreatedSecretLost { id, cause }) => {
            // The key exists but its secret is gone: show it, select it, say what to do.
            let id = ApiKeyId(id);
            if app.keys.get(&id).is_none() {
                let entry = KeyEntry::new(ApiKey {
                    api_key_id: id.clone(),
                    name: name.to_owned(),
                });
                joins(app, entry);
            }
            select_key(app, &id);
            if form_waiting {
                close_modal(app);
            }
            toast(
                app,
                Level::Error,
                format!(
                    "'{name}' was created as {id} but the answer was lost ({cause}): its secret cannot be recovered — revoke it (d) and create a new one"
                ),
            );
        }
        Err(e) => {
            let msg = super::errors::explain(app, &e, Some("api_keys.create"));
            if form_waiting && let Some(Modal::Create(f)) = &mut app.modal {
                f.stage = CreateStage::Editing;
                f.error = Some(format!("SendGrid refused: {msg}"));
            }
            toast(
                app,
                Level::Error,
                format!("could not create '{name}': {msg}"),
            );
        }
    }
}

/// A created key joins the list with its scopes (a refresh may already have listed it); its
/// secret, to show once (for a rotation's replacement, with the rotation).
pub(crate) fn joins_list(
    app: &mut App,
    created: crate::api::CreatedKey,
    rotated: Option<Box<crate::ops::Rotation>>,
) -> SecretModal {
    let info = KeyInfo::new(&KeyDetail {
        api_key_id: created.api_key_id.clone(),
        name: created.name.clone(),
        scopes: created.scopes.clone(),
    });
    let secret = SecretModal {
        id: created.api_key_id.clone(),
        name: created.name.clone(),
        key_type: info.key_type,
        scope_count: info.counted,
        secret: created.api_key,
        copied: false,
        confirm_close: false,
        rotated,
    };
    let mut entry = KeyEntry::new(ApiKey {
        api_key_id: created.api_key_id,
        name: created.name,
    });
    entry.state = KeyState::Scopes(Remote::Ready(info));
    joins(app, entry);
    secret
}

/// `entry` in the list, in place of the row with its id if there is one.
fn joins(app: &mut App, entry: KeyEntry) {
    match app.keys.index.get(&entry.id).copied() {
        Some(i) => app.keys.entries[i] = entry,
        None => app.keys.entries.push(entry),
    }
    app.keys.reindex();
    recompute_risks(app);
    refilter(app);
}

/// Select the key `id` if the filter shows it.
fn select_key(app: &mut App, id: &ApiKeyId) {
    if let Some(pos) = app
        .keys
        .index
        .get(id)
        .and_then(|i| app.view.rows.iter().position(|r| r == i))
    {
        select(app, pos);
    }
}
