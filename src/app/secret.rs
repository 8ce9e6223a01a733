//! The new key's secret, shown once: copy, and asking before it is closed uncopied.

use super::effects::*;
use super::keymap::Action;
use super::*;
use crate::api::ApiKeyId;
use crate::scopes::KeyType;
use crate::secret::Secret;

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
    /// A rotation's replacement (its plan, delivering): closing journals the delivery and
    /// asks whether it is deployed.
    pub rotated: Option<Box<crate::ops::Rotation>>,
}

pub(crate) fn secret_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Secret(s)) = &mut app.modal else {
        return;
    };
    match a {
        // Copied only once the terminal side says so (Msg::Copied).
        Action::Copy => out.push(Command::Copy {
            text: s.secret.clone(),
            what: Clip::Secret,
        }),
        Action::Back => {
            if s.copied || s.confirm_close {
                match s.rotated.take() {
                    Some(r) => super::rotate::secret_closed(app, r, out),
                    None => close_modal(app),
                }
            } else {
                s.confirm_close = true;
            }
        }
        _ => {}
    }
}

/// What became of the copy: marked copied and said only when it really went out.
pub(crate) fn copied(app: &mut App, r: Result<String, String>) {
    match r {
        Ok(how) => {
            if let Some(Modal::Secret(s)) = &mut app.modal {
                s.copied = true;
                s.confirm_close = false;
            }
            toast_about(app, Level::Success, format!("secret {how}"), "copy");
        }
        // a later copy that works replaces this error
        Err(why) => toast_about(app, Level::Error, why, "copy"),
    }
}
