//! The one yes/no confirmation ([`crate::app::Confirm`]) drawn: its words, its two buttons (the
//! only place a button row is drawn: refuse focused first, accept in the danger style, both
//! greyed while an armed dialog takes no keys yet) and its layer's footer. Revoke adds its key
//! list and typed count above the buttons; "deployed?", the journal's finish/recreate, the quit
//! question and the forms' "discard changes?" are the words alone (and the keys an armed one
//! ignored).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dialog::{
    box_h, box_w, centered, content_w, footer_except, frame_box, para, render_parts,
};
use super::text::clean;
use super::theme::Theme;
use crate::app::keymap::{Action, Layer};
use crate::app::{App, Confirm, Tone};

/// The content width `c` gets on this screen (wrap text to it).
pub(super) fn width(screen: Rect, c: &Confirm) -> usize {
    content_w(screen, c.width)
}

/// The body's paragraphs, wrapped to `cw`.
pub(super) fn body<'a>(c: &Confirm, cw: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for (tone, text) in &c.body {
        if text.is_empty() {
            out.push(Line::default());
        } else {
            out.extend(para(&clean(text), cw, tone_style(*tone, theme)));
        }
    }
    out
}

fn tone_style(tone: Tone, theme: &Theme) -> Style {
    match tone {
        Tone::Base => theme.base,
        Tone::Strong => theme.strong,
        Tone::Warn => theme.warn,
        Tone::Danger => theme.danger,
        Tone::Dim => theme.dim,
    }
}

/// The keys pressed before an armed dialog took keys, said (empty when there were none).
pub(super) fn ignored<'a>(c: &Confirm, now_ms: u64, cw: usize, theme: &Theme) -> Vec<Line<'a>> {
    if c.ignored.is_empty() {
        return Vec::new();
    }
    let keys: Vec<String> = c.ignored.iter().map(|k| clean(k).into_owned()).collect();
    let again = if c.armed(now_ms) { "" } else { " in a moment" };
    let why = if c.arm_why.is_empty() {
        String::new()
    } else {
        format!(" ({})", c.arm_why)
    };
    para(
        &format!(
            "⚠ ignored {}: keys count {:.1} s after this dialog opens{why}: press it again{again}",
            keys.join(", "),
            c.arm_ms as f64 / 1000.0
        ),
        cw,
        theme.warn,
    )
}

/// What a confirmation shows above its buttons.
pub(super) struct Above<'a, 'l> {
    /// The body, or a dialog's own lines.
    pub lines: &'a [Line<'l>],
    /// Room for a blank line before the buttons and for the footer below them (a dialog short
    /// of rows keeps its buttons and drops those).
    pub roomy: bool,
}

/// Draw `c` with `above` over its buttons, and below them the footer of `layer`. Returns the
/// content area.
pub(super) fn draw(
    frame: &mut Frame,
    screen: Rect,
    app: &App,
    c: &Confirm,
    layer: Layer,
    above: Above,
    theme: &Theme,
) -> Rect {
    let Above { lines: top, roomy } = above;
    let cw = width(screen, c);
    let armed = c.armed(app.now_ms);
    let (no, yes) = match c.focus_yes {
        _ if !armed => (theme.dim, theme.dim),
        false => (theme.button_focus, theme.button_danger),
        true => (theme.button, theme.button_danger_focus),
    };
    let [no_label, yes_label] = c.buttons;
    let buttons = Line::from(vec![
        Span::styled(format!("[ {no_label} ]"), no),
        Span::raw("   "),
        Span::styled(format!("[ {yes_label} ]"), yes),
    ]);
    let mut bottom = Vec::new();
    if roomy {
        bottom.push(Line::default());
    }
    bottom.push(centered(buttons, cw));
    if roomy {
        // what waits for the arm delay is not offered yet
        let waiting = [Action::Yes, Action::Enter, Action::NextField];
        let except: &[Action] = if armed { &[] } else { &waiting };
        bottom.push(centered(
            footer_except(layer, app.ctx.read_only, except, cw, theme),
            cw,
        ));
    }
    let border = if c.danger {
        theme.danger
    } else {
        theme.border_focus
    };
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        &c.title,
        border,
        theme,
    );
    if !area.is_empty() {
        render_parts(frame, area, top, &bottom);
    }
    area
}

/// Draw `c` with its own words, and the keys it ignored while arming.
pub(super) fn draw_words(
    frame: &mut Frame,
    screen: Rect,
    app: &App,
    c: &Confirm,
    layer: Layer,
    theme: &Theme,
) {
    let cw = width(screen, c);
    let mut top = body(c, cw, theme);
    let said = ignored(c, app.now_ms, cw, theme);
    if !said.is_empty() {
        top.push(Line::default());
        top.extend(said);
    }
    let above = Above {
        lines: &top,
        roomy: true,
    };
    draw(frame, screen, app, c, layer, above, theme);
}
