//! The one yes/no confirmation every dialog that asks before it acts is built on (revoke,
//! rotation's "deployed?", the journal's finish and recreate, quitting while a change is being
//! sent, a form's "discard changes?"): a value with its words (title, body), its two buttons
//! (refuse, focused first; accept, drawn as danger), the focus, and an optional arm delay,
//! during which only the refusing keys (Esc, `n`) count (`d` `y` typed as one gesture revokes
//! nothing). gitui's `ConfirmPopup` is the model: the dialog words the action and hands back
//! an [`Answer`]; the room that opened it acts on it. `ui/confirm.rs` draws it.

use super::keymap::{self, Action, Layer};

/// How long an armed confirmation takes no key but Esc and `n` after it opens (its buttons are greyed
/// meanwhile), as browsers do for security dialogs.
pub const ARM_MS: u64 = 400;

/// How a body line reads (the theme gives it its style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Base,
    Strong,
    Warn,
    Danger,
    Dim,
}

/// A yes/no question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    /// Paragraphs, wrapped to the dialog's width; an empty one is a blank line.
    pub body: Vec<(Tone, String)>,
    /// The refusing button (focused when the dialog opens), then the accepting one.
    pub buttons: [&'static str; 2],
    /// The accepting button has the focus.
    pub focus_yes: bool,
    /// The content width the dialog asks for.
    pub width: usize,
    /// The border in the danger style (the action cannot be undone).
    pub danger: bool,
    /// When it opened (`now_ms`).
    pub opened_ms: u64,
    /// Keys count from `opened_ms + arm_ms` (0: at once).
    pub arm_ms: u64,
    /// What the delay protects from, said with the keys it ignored ("so d y typed as one
    /// gesture revokes nothing").
    pub arm_why: &'static str,
    /// Keys pressed before then, said in the dialog (labels only: never a secret).
    pub ignored: Vec<String>,
}

/// What a key did to a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The accepting button (`y`, or Enter on it).
    Yes,
    /// The refusing one (Esc, `n`, or Enter on it).
    No,
    /// Another of the layer's actions, for the room to handle (`c` in "deployed?").
    Other(Action),
    /// Nothing to do yet (the focus moved, or a key came too soon).
    Stay,
}

impl Confirm {
    /// Focus on the refusing button, taking keys at once, `width` columns of content.
    pub fn new(title: impl Into<String>, buttons: [&'static str; 2], width: usize) -> Self {
        Confirm {
            title: title.into(),
            body: Vec::new(),
            buttons,
            focus_yes: false,
            width,
            danger: false,
            opened_ms: 0,
            arm_ms: 0,
            arm_why: "",
            ignored: Vec::new(),
        }
    }
    /// A paragraph more.
    pub fn line(mut self, tone: Tone, text: impl Into<String>) -> Self {
        self.body.push((tone, text.into()));
        self
    }
    /// The border in the danger style.
    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }
    /// Taking no key but the refusing ones for [`ARM_MS`] from `now_ms`; `why` says what
    /// that protects from ("so d y typed as one gesture revokes nothing").
    pub fn armed_from(mut self, now_ms: u64, why: &'static str) -> Self {
        self.opened_ms = now_ms;
        self.arm_ms = ARM_MS;
        self.arm_why = why;
        self
    }
    /// Whether keys count yet.
    pub fn armed(&self, now_ms: u64) -> bool {
        now_ms >= self.opened_ms + self.arm_ms
    }
    /// When keys start to count, while they do not yet.
    pub fn arming_until(&self, now_ms: u64) -> Option<u64> {
        (!self.armed(now_ms)).then_some(self.opened_ms + self.arm_ms)
    }
    /// A key pressed too soon: remembered (and said), never acted on.
    pub fn too_soon(&mut self, label: String) {
        if self.ignored.len() < 8 {
            self.ignored.push(label);
        }
    }
    /// Apply a key of `layer` (the dialog's) at `now_ms`.
    pub fn answer(&mut self, layer: Layer, a: Action, now_ms: u64) -> Answer {
        if !a.refuses() && !self.armed(now_ms) {
            let label = keymap::bindings()
                .find(|b| b.action == a && b.layers.contains(&layer))
                .map_or_else(|| format!("{a:?}"), keymap::keys_label);
            self.too_soon(label);
            return Answer::Stay;
        }
        match a {
            Action::NextField | Action::PrevField => {
                self.focus_yes = !self.focus_yes;
                Answer::Stay
            }
            Action::Yes => Answer::Yes,
            Action::Enter if self.focus_yes => Answer::Yes,
            Action::Enter | Action::Back | Action::No => Answer::No,
            other => Answer::Other(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_starts_on_refuse_and_enter_presses_the_focused_button() {
        let mut c = Confirm::new("Go?", ["Cancel", "Go"], 40);
        assert_eq!(c.answer(Layer::Confirm, Action::Enter, 0), Answer::No);
        assert_eq!(c.answer(Layer::Confirm, Action::NextField, 0), Answer::Stay);
        assert_eq!(c.answer(Layer::Confirm, Action::Enter, 0), Answer::Yes);
        assert_eq!(c.answer(Layer::Confirm, Action::Back, 0), Answer::No);
        assert_eq!(
            c.answer(Layer::Deployed, Action::Later, 0),
            Answer::Other(Action::Later)
        );
    }

    #[test]
    fn an_armed_confirmation_takes_only_esc_and_n_until_it_is_armed() {
        let mut c = Confirm::new("Go?", ["Cancel", "Go"], 40).armed_from(1_000, "");
        assert_eq!(c.arming_until(1_000), Some(1_000 + ARM_MS));
        assert_eq!(c.answer(Layer::Confirm, Action::Yes, 1_000), Answer::Stay);
        assert_eq!(c.ignored, ["y"]);
        assert_eq!(c.answer(Layer::Confirm, Action::Back, 1_000), Answer::No);
        assert_eq!(c.answer(Layer::Discard, Action::No, 1_000), Answer::No);
        assert_eq!(
            c.answer(Layer::Discard, Action::NextField, 1_000),
            Answer::Stay
        );
        assert!(
            !c.focus_yes,
            "the focus does not move before the dialog is armed"
        );
        assert_eq!(c.ignored.len(), 2);
        assert_eq!(
            c.answer(Layer::Confirm, Action::Yes, 1_000 + ARM_MS),
            Answer::Yes
        );
        assert_eq!(c.arming_until(1_000 + ARM_MS), None);
    }
}
