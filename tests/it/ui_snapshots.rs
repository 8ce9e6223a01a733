//! Render snapshots of every screen (80×24 and 120×40, plus the too-small screen and the
//! matrix in each theme). The screens are reached through the real `init`/`update`
//! (`scenarios.rs`); style assertions that text snapshots cannot see are `styles.rs`; the
//! no-panic sweep over sizes, the 10 000-key frame and the diff, preset and hostile-text checks
//! are `checks.rs`. The snapshots are taken here, so their names stay `ui_snapshots__…`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checks;
mod scenarios;
mod styles;

use crate::common;

use common::screen::*;
use common::*;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use scenarios::*;
use sgkeys::app::{self, App, Msg};
use sgkeys::ui::{self, Theme};

// ---------------------------------------------------------------- helpers

fn snapshot(name: &str, build: fn(u16, u16) -> App) {
    snapshot_sizes!(name, build);
}

macro_rules! snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot(stringify!($name), super::$name);
            }
        )*
    };
}

mod snap {
    use super::snapshot;
    snapshots!(
        loading,
        empty,
        load_failed,
        loaded,
        filtered,
        filter_editing,
        no_match,
        detail_expanded,
        help,
        help_filtered,
        rename,
        rename_error,
        scopes_editing,
        scopes_review,
        trim_review,
        scopes_conflict,
        scopes_discard,
        create_custom_preset,
        create_review,
        create_billing_refused,
        command_line,
        new_key_badge,
        confirm_delete_single,
        confirm_delete_multi,
        confirm_delete_arming,
        confirm_quit,
        contexts,
        log,
        diff_keys,
        diff_preset,
        preset_picker,
        error_toast,
        refreshing,
        revoking,
        read_only,
        monochrome,
        hostile_names,
        rotate_name,
        rotate_deployed,
        rotate_many,
        rotate_pending_badge,
        journal,
        journal_all,
        journal_detail,
        journal_confirm,
        matrix,
        matrix_sorted,
        matrix_filtered_marked,
        matrix_cell,
        matrix_all_contexts,
    );
}

// ---------------------------------------------------------------- special snapshots

#[test]
fn secret_is_shown_in_full_but_redacted_in_the_snapshot() {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = secret(w, h);
        let terminal = render(&app, w, h);
        let raw = screen_text(terminal.backend().buffer());
        assert!(
            raw.contains(NEW_SECRET),
            "the secret modal must show the whole secret:\n{raw}"
        );
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", "[SECRET]");
        settings.bind(|| {
            insta::assert_snapshot!(format!("secret_{w}x{h}"), terminal.backend());
        });
    }
}

#[test]
fn secret_unconfirmed_close_warns() {
    let app = secret_confirm_close(80, 24);
    let raw = screen_text(render(&app, 80, 24).backend().buffer());
    assert!(raw.contains("You have not copied it."), "{raw}");
}

#[test]
fn too_small() {
    let mut app = loaded_app(80, 24);
    app::update(&mut app, Msg::Resize(50, 12));
    let terminal = render(&app, 50, 12);
    insta::assert_snapshot!("too_small_50x12", terminal.backend());
}

#[test]
fn the_quit_question_is_asked_in_words_on_a_too_small_screen() {
    let mut app = scenarios::confirm_quit(80, 24);
    app::update(&mut app, Msg::Resize(50, 12));
    let raw = screen_text(render(&app, 50, 12).backend().buffer());
    assert!(raw.contains("Quit? A change is still being sent"), "{raw}");
    assert!(
        raw.contains("y quits · Esc stays") && !raw.contains("q quits"),
        "{raw}"
    );
}

// ---------------------------------------------------------------- the matrix's colours

/// The screen with its styles: each row's text, then the runs of cells whose style is not the
/// default (`x0-x1 fg bg modifiers`), so a theme's snapshot shows what colour every cell gets.
fn styled_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        out.push_str(&row_text(buf, y));
        out.push('\n');
        let mut x = 0;
        while x < buf.area.width {
            let style = buf[(x, y)].style();
            let start = x;
            while x < buf.area.width && buf[(x, y)].style() == style {
                x += 1;
            }
            if style != ratatui::style::Style::default()
                && (style.fg.is_some_and(|c| c != Color::Reset)
                    || style.bg.is_some_and(|c| c != Color::Reset)
                    || !style.add_modifier.is_empty())
            {
                out.push_str(&format!(
                    "  {start}-{}: fg={:?} bg={:?} {:?}\n",
                    x - 1,
                    style.fg.unwrap_or(Color::Reset),
                    style.bg.unwrap_or(Color::Reset),
                    style.add_modifier
                ));
            }
        }
    }
    out
}

#[test]
fn matrix_in_each_theme() {
    use sgkeys::config::ThemeName;
    for (theme, name) in [
        ("dark", ThemeName::Dark),
        ("light", ThemeName::Light),
        ("mono", ThemeName::Mono),
    ] {
        for (w, h) in [(80, 24), (120, 40)] {
            let mut app = matrix(w, h);
            app.theme = name;
            let terminal = render(&app, w, h);
            insta::assert_snapshot!(
                format!("matrix_theme_{theme}_{w}x{h}"),
                styled_text(terminal.backend().buffer())
            );
        }
    }
}

/// Every level keeps a distinct glyph and a distinct style in every theme (the monochrome one
/// included), so a cell never depends on colour alone.
#[test]
fn matrix_cells_differ_by_glyph_and_style_in_every_theme() {
    use sgkeys::scopes::Level;
    let levels = [Level::No, Level::Read, Level::Full, Level::Partial];
    let glyphs: std::collections::BTreeSet<&str> =
        levels.iter().map(|l| ui::matrix::glyph(*l)).collect();
    assert_eq!(glyphs.len(), 4);
    for theme in [Theme::dark(), Theme::light(), Theme::mono()] {
        let styles: Vec<_> = levels.iter().map(|l| theme.level(*l)).collect();
        for i in 0..styles.len() {
            for j in i + 1..styles.len() {
                assert_ne!(styles[i], styles[j], "{:?} and {:?}", levels[i], levels[j]);
            }
        }
    }
}
