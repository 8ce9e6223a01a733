//! `r`: renaming a key: the form, its transitions and SendGrid's answer.

use tui_input::Input;

use super::keymap::Action;
use super::*;
use super::{effects::*, list::*};
use crate::api::{ApiError, ApiKey, ApiKeyId};

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

/// Validate a key name as the forms do (shared with the CLI).
pub fn validate_name(name: &str) -> Result<String, String> {
    crate::api::models::validate_key_name(name)
}

/// `r` on the selection: the form, the current name in it.
pub(crate) fn open_rename(app: &mut App) {
    let Some(e) = app.selected() else { return };
    if e.state.is_revoking() {
        return toast(app, Level::Warn, "this key is being revoked");
    }
    let form = RenameForm {
        id: e.id.clone(),
        original: e.name.clone(),
        input: Input::new(e.name.clone()),
        error: None,
        saving: None,
    };
    app.modal = Some(Modal::Rename(form));
}

/// A key typed into the new name.
pub(crate) fn edit_name(app: &mut App, edit: impl FnOnce(&mut Input)) {
    if let Some(Modal::Rename(f)) = &mut app.modal {
        edit(&mut f.input);
        f.error = None;
    }
}

pub(crate) fn rename_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Rename(f)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Back => close_modal(app),
        Action::Save => {
            if f.saving.is_some() {
                return;
            }
            match validate_name(f.input.value()) {
                Err(e) => f.error = Some(e),
                Ok(name) if name == f.original => {
                    close_modal(app);
                    toast(app, Level::Info, "name unchanged");
                }
                Ok(name) => {
                    let (id, before) = (f.id.clone(), f.original.clone());
                    let req = request(
                        app,
                        Pending::Rename {
                            id: id.clone(),
                            name: name.clone(),
                        },
                        ApiOp::Mutate(Mutation::Rename {
                            id,
                            name,
                            name_before: before,
                        }),
                        out,
                    );
                    if let Some(Modal::Rename(f)) = &mut app.modal {
                        f.saving = Some(req);
                    }
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn renamed(
    app: &mut App,
    req: ReqId,
    id: &ApiKeyId,
    name: &str,
    r: Result<ApiKey, ApiError>,
) {
    let form_waiting = matches!(&app.modal, Some(Modal::Rename(f)) if f.saving == Some(req));
    match r {
        Ok(k) => {
            if let Some(e) = app.keys.get_mut(id) {
                e.name.clone_from(&k.name);
                e.haystack = format!("{}\u{1f}{}", k.name.to_lowercase(), e.id.0.to_lowercase());
            }
            recompute_risks(app);
            refilter(app);
            if form_waiting {
                close_modal(app);
            }
            toast(app, Level::Success, format!("renamed to '{}'", k.name));
        }
        Err(e) => {
            let msg = super::errors::explain(app, &e, Some("api_keys.update"));
            if form_waiting && let Some(Modal::Rename(f)) = &mut app.modal {
                f.saving = None;
                f.error = Some(format!("SendGrid refused: {msg}"));
            }
            toast(
                app,
                Level::Error,
                format!("could not rename to '{name}': {msg}"),
            );
        }
    }
}
