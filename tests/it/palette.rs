//! The themes' palettes: every colour pair of the dark and light themes reaches WCAG AA (4.5:1)
//! on every background the theme is designed for, and mono sets no colour at all.

use ratatui::style::{Color, Modifier, Style};
use sgkeys::config::ThemeName;
use sgkeys::ui::Theme;
use sgkeys::ui::theme::{contrast_ratio, rgb};

const AA: f64 = 4.5;

/// One checked pair: (ratio, role, foreground, background it was measured on).
type Pair = (f64, &'static str, String, String);

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Every (role, fg, bg) pair of a colour theme, measured. Panics on a colour whose RGB is not
/// defined (an ANSI colour), a background without a foreground (the terminal's text colour on
/// our background cannot be measured), or a modifier whose colours are the terminal's guess.
fn pairs(theme: &Theme) -> Vec<Pair> {
    let mut out = Vec::new();
    for (role, style) in theme.roles() {
        let Style {
            fg,
            bg,
            add_modifier,
            ..
        } = style;
        assert!(
            !add_modifier.intersects(Modifier::DIM | Modifier::REVERSED),
            "{:?}.{role}: DIM / REVERSED carry no measurable colour",
            theme.name
        );
        let fg = match fg {
            None | Some(Color::Reset) => {
                assert!(
                    matches!(bg, None | Some(Color::Reset)),
                    "{:?}.{role}: a background without a foreground",
                    theme.name
                );
                // the terminal's own text on its own background: not ours to measure
                continue;
            }
            Some(c) => rgb(c).unwrap_or_else(|| {
                panic!(
                    "{:?}.{role}: {c:?} has no defined RGB (use 16-255 or Rgb)",
                    theme.name
                )
            }),
        };
        let backgrounds: Vec<(String, (u8, u8, u8))> = match bg {
            None | Some(Color::Reset) => theme
                .backgrounds
                .iter()
                .map(|(name, c)| ((*name).to_owned(), rgb(*c).expect("declared bg is RGB")))
                .collect(),
            Some(c) => {
                let b = rgb(c).unwrap_or_else(|| {
                    panic!(
                        "{:?}.{role}: background {c:?} has no defined RGB",
                        theme.name
                    )
                });
                vec![(format!("own bg {}", hex(b)), b)]
            }
        };
        for (bg_name, b) in backgrounds {
            out.push((contrast_ratio(fg, b), role, hex(fg), bg_name));
        }
    }
    out
}

#[test]
fn every_colour_pair_of_every_colour_theme_reaches_wcag_aa() {
    for theme in [Theme::dark(), Theme::light()] {
        assert!(
            !theme.backgrounds.is_empty(),
            "{:?} declares no background",
            theme.name
        );
        let all = pairs(&theme);
        let coloured = theme
            .roles()
            .iter()
            .filter(|(_, s)| s.fg.is_some_and(|c| c != Color::Reset))
            .count();
        assert!(
            coloured >= 20,
            "{:?}: only {coloured} roles coloured",
            theme.name
        );
        let worst = all
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("pairs");
        println!(
            "{:?}: {} pairs over {} backgrounds; worst {:.2}:1 = {} {} on {}",
            theme.name,
            all.len(),
            theme.backgrounds.len(),
            worst.0,
            worst.1,
            worst.2,
            worst.3
        );
        let failing: Vec<String> = all
            .iter()
            .filter(|p| p.0 < AA)
            .map(|(r, role, f, b)| format!("{role} {f} on {b}: {r:.2}:1"))
            .collect();
        assert!(
            failing.is_empty(),
            "{:?} below {AA}:1:\n{}",
            theme.name,
            failing.join("\n")
        );
    }
}

#[test]
fn the_contrast_maths_matches_wcag_reference_values() {
    let white = (255, 255, 255);
    let black = (0, 0, 0);
    assert!((contrast_ratio(white, black) - 21.0).abs() < 1e-9);
    assert!((contrast_ratio(white, white) - 1.0).abs() < 1e-9);
    // #767676 on white is the well-known lightest grey that passes AA: 4.54:1
    let r = contrast_ratio((0x76, 0x76, 0x76), white);
    assert!((r - 4.54).abs() < 0.01, "{r}");
    // the xterm cube and grey ramp
    assert_eq!(rgb(Color::Indexed(16)), Some((0, 0, 0)));
    assert_eq!(rgb(Color::Indexed(94)), Some((0x87, 0x5f, 0x00)));
    assert_eq!(rgb(Color::Indexed(231)), Some((255, 255, 255)));
    assert_eq!(rgb(Color::Indexed(232)), Some((8, 8, 8)));
    assert_eq!(rgb(Color::Indexed(255)), Some((0xee, 0xee, 0xee)));
    assert_eq!(rgb(Color::Yellow), None, "ANSI colours have no defined RGB");
    assert_eq!(rgb(Color::Indexed(11)), None);
}

#[test]
fn warnings_and_full_are_dark_amber_on_light_backgrounds() {
    // the motivating bug: yellow "Full" and ▲ on a white terminal
    let light = Theme::light();
    for (role, style) in [
        ("warn", light.warn),
        ("marked", light.marked),
        (
            "level_full",
            light
                .level_full
                .bg
                .map_or(light.level_full, |b| Style::new().fg(b)),
        ),
    ] {
        let (r, g, b) = rgb(style.fg.expect("coloured")).expect("rgb");
        assert!(
            r > g && g >= b && r <= 0xb0,
            "{role}: {} is not a dark amber/orange",
            hex((r, g, b))
        );
    }
}

#[test]
fn mono_sets_no_colour_at_all() {
    let mono = Theme::mono();
    assert!(mono.backgrounds.is_empty());
    for (role, style) in mono.roles() {
        assert!(
            matches!(style.fg, None | Some(Color::Reset))
                && matches!(style.bg, None | Some(Color::Reset))
                && matches!(style.underline_color, None | Some(Color::Reset)),
            "mono.{role} has a colour: {style:?}"
        );
    }
    // and every role still says something: the ones that matter differ from plain text
    for role in ["selected", "danger", "warn", "button_focus", "level_full"] {
        let (_, s) = mono
            .roles()
            .into_iter()
            .find(|(r, _)| *r == role)
            .expect("role");
        assert_ne!(s, Style::new(), "mono.{role} looks like plain text");
    }
}

#[test]
fn named_themes_and_roles_are_complete() {
    for (name, theme) in [
        (ThemeName::Dark, Theme::dark()),
        (ThemeName::Light, Theme::light()),
        (ThemeName::Mono, Theme::mono()),
    ] {
        assert_eq!(Theme::named(name), theme);
        assert_eq!(theme.name, name);
        let names: Vec<&str> = theme.roles().iter().map(|(n, _)| *n).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a role listed twice");
        assert_eq!(names.len(), 35);
    }
}

/// Every cell the dashboard draws in the colour themes — the list with its risk markers and
/// badges, the detail's access levels, the revoke dialog over its backdrop, the help, the
/// permission matrix (its cells, counts and legend), a matrix cell's scopes — has
/// text that reaches AA on its own background or on each background the theme is designed for.
#[test]
fn every_drawn_cell_of_the_colour_themes_reaches_wcag_aa() {
    use crate::common::{loaded_app, press_answer};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    for name in [ThemeName::Dark, ThemeName::Light] {
        let theme = Theme::named(name);
        let mut worst: Option<(f64, String)> = None;
        for keys in ["", "d", "?", "mll", "ml<Enter>", "mlls"] {
            let mut app = loaded_app(120, 40);
            app.theme = name;
            if !keys.is_empty() {
                press_answer(&mut app, keys);
            }
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
            let buf = terminal.backend().buffer();
            let mut coloured = 0;
            for y in 0..buf.area.height {
                for x in 0..buf.area.width {
                    let c = &buf[(x, y)];
                    if c.fg == Color::Reset {
                        assert_eq!(
                            c.bg,
                            Color::Reset,
                            "{name:?} {keys:?} {x},{y}: bg without fg"
                        );
                        continue;
                    }
                    coloured += 1;
                    let fg = rgb(c.fg).expect("defined fg");
                    let bgs: Vec<(u8, u8, u8)> = if c.bg == Color::Reset {
                        theme
                            .backgrounds
                            .iter()
                            .filter_map(|(_, b)| rgb(*b))
                            .collect()
                    } else {
                        vec![rgb(c.bg).expect("defined bg")]
                    };
                    for b in bgs {
                        let r = contrast_ratio(fg, b);
                        assert!(
                            r >= AA,
                            "{name:?} {keys:?} cell {x},{y} {:?}: {} on {} = {r:.2}:1",
                            c.symbol(),
                            hex(fg),
                            hex(b)
                        );
                        if worst.as_ref().is_none_or(|(w, _)| r < *w) {
                            worst = Some((r, format!("{:?} at {x},{y} ({keys:?})", c.symbol())));
                        }
                    }
                }
            }
            assert!(
                coloured > 100,
                "{name:?} {keys:?}: only {coloured} coloured cells"
            );
        }
        // the motivating bug: the ▲ marker takes the theme's warn colour
        let mut app = loaded_app(120, 40);
        app.theme = name;
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        let buf = terminal.backend().buffer();
        let marker = (0..buf.area.height)
            .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
            .find(|&p| buf[p].symbol() == "▲")
            .expect("a medium-risk marker on screen");
        assert_eq!(buf[marker].fg, theme.warn.fg.unwrap_or(Color::Reset));
        println!("{name:?}: worst drawn cell {worst:?}");
    }
}
