//! The user's keys: `[keys]` in config.toml (`revoke = "x"`, per dialog in `[keys.log]` and
//! the like), applied to the one table. The result is a [`Keymap`]: the table with those
//! bindings' keys replaced, checked whole (a key that would do two things in one place is
//! refused, naming the config line), then used for dispatch, hints, footers and help alike.

use super::*;
use crate::config::KeySetting;

/// The sections of `[keys]`: where a setting applies. `[keys]` itself is the panes (the key
/// list, the scope detail and the permission matrix), the places most keys are pressed in;
/// a section narrows to one pane or names a dialog. Layers that take typed text (filters, the
/// command line, names, the typed revoke confirmation) have no section: their printable keys
/// are text.
pub const SECTIONS: &[(&str, &[Layer])] = &[
    ("", &[L::List, L::Detail, L::Matrix]),
    ("list", &[L::List]),
    ("detail", &[L::Detail]),
    ("matrix", &[L::Matrix]),
    ("cell", &[L::Cell]),
    ("help", &[L::Help]),
    ("log", &[L::Log]),
    ("describe", &[L::Describe]),
    ("diff", &[L::Diff, L::DiffPreset]),
    ("presets", &[L::Presets]),
    ("journal", &[L::Journal]),
    ("journal_entry", &[L::JournalDetail]),
    ("contexts", &[L::Contexts]),
    ("scopes", &[L::Scopes]),
    ("create", &[L::Create]),
    ("secret", &[L::Secret]),
    ("deployed", &[L::Deployed]),
];

/// Every action by its name in `[keys]`.
pub const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("force_quit", Action::ForceQuit),
    ("up", Action::Up),
    ("down", Action::Down),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("half_page_up", Action::HalfUp),
    ("half_page_down", Action::HalfDown),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("next_pane", Action::NextPane),
    ("prev_pane", Action::PrevPane),
    ("left", Action::Left),
    ("right", Action::Right),
    ("enter", Action::Enter),
    ("back", Action::Back),
    ("filter", Action::Filter),
    ("help", Action::Help),
    ("refresh", Action::Refresh),
    ("new", Action::New),
    ("rename", Action::Rename),
    ("edit_scopes", Action::EditScopes),
    ("revoke", Action::Revoke),
    ("mark", Action::Mark),
    ("mark_all", Action::MarkAll),
    ("copy_id", Action::CopyId),
    ("log", Action::Log),
    ("contexts", Action::Contexts),
    ("sort", Action::Sort),
    ("sort_reverse", Action::SortReverse),
    ("show_all", Action::ShowAll),
    ("toggle", Action::Toggle),
    ("save", Action::Save),
    ("yes", Action::Yes),
    ("no", Action::No),
    ("overwrite", Action::Overwrite),
    ("reload", Action::Reload),
    ("copy", Action::Copy),
    ("next_field", Action::NextField),
    ("prev_field", Action::PrevField),
    ("diff", Action::Diff),
    ("trim", Action::Trim),
    ("command", Action::Command),
    ("complete", Action::Complete),
    ("rotate", Action::Rotate),
    ("journal", Action::Journal),
    ("later", Action::Later),
    ("all_contexts", Action::AllContexts),
    ("finish", Action::Finish),
    ("cancel_rotation", Action::CancelRotation),
    ("recreate", Action::Recreate),
    ("matrix", Action::Matrix),
    ("sort_column", Action::SortColumn),
    ("first_column", Action::FirstColumn),
    ("last_column", Action::LastColumn),
    ("previous_context", Action::PreviousContext),
    ("describe", Action::Describe),
    ("next_match", Action::NextMatch),
    ("prev_match", Action::PrevMatch),
    ("wide", Action::Wide),
];

/// An action's name in `[keys]`.
pub fn action_name(a: Action) -> &'static str {
    ACTION_NAMES
        .iter()
        .find(|(_, x)| *x == a)
        .map_or("?", |(n, _)| n)
}

/// `[keys]` or `[keys.log]`, for messages.
fn section_label(section: &str) -> String {
    if section.is_empty() {
        "[keys]".into()
    } else {
        format!("[keys.{section}]")
    }
}

/// Where a setting is, for messages: `line 12 (revoke = "x")`, or the section when the line
/// is not known.
fn place(s: &KeySetting) -> String {
    let value = if s.keys.len() == 1 {
        format!("{:?}", s.keys[0])
    } else {
        format!("{:?}", s.keys)
    };
    match s.line {
        Some(n) => format!("line {n} ({} = {value})", s.action),
        None => format!("{} {} = {value}", section_label(&s.section), s.action),
    }
}

/// A key as written in the config: a character (`x`, `X`, `?`), `Ctrl-x`, `Alt-x`, or a name
/// (`Enter`, `Esc`, `Tab`, `Shift-Tab`, `Space`, `Backspace`, `Del`, `Up`, `Down`, `Left`,
/// `Right`, `Home`, `End`, `PgUp`, `PgDn`, `F1`…`F12`).
pub fn parse_key(text: &str) -> Result<Chord, String> {
    let bad = || {
        format!(
            "{text:?} is not a key: write a character (x, X, ?), Ctrl-x, Alt-x, or one of Enter, \
             Esc, Tab, Shift-Tab, Space, Backspace, Del, Up, Down, Left, Right, Home, End, \
             PgUp, PgDn, F1-F12"
        )
    };
    let single = |s: &str| {
        let mut cs = s.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    };
    if let Some(c) = single(text) {
        if c.is_control() {
            return Err(bad());
        }
        return Ok(k(c));
    }
    let lower = text.to_ascii_lowercase();
    for (prefixes, mods) in [
        (&["ctrl-", "ctrl+", "c-"][..], KeyModifiers::CONTROL),
        (&["alt-", "alt+", "m-", "meta-"][..], KeyModifiers::ALT),
    ] {
        for p in prefixes {
            if lower.starts_with(p) && text.len() > p.len() {
                let rest = &text[p.len()..];
                let code = match single(rest) {
                    // terminals send Ctrl-x and Ctrl-X alike
                    Some(c) if c.is_ascii_alphabetic() => KeyCode::Char(c.to_ascii_lowercase()),
                    Some(c) if !c.is_control() && c != ' ' => KeyCode::Char(c),
                    _ => named(&rest.to_ascii_lowercase()).ok_or_else(bad)?,
                };
                return Ok(Chord { code, mods });
            }
        }
    }
    if matches!(lower.as_str(), "shift-tab" | "shift+tab" | "s-tab") {
        return Ok(code(KeyCode::BackTab));
    }
    named(&lower).map(code).ok_or_else(bad)
}

fn named(lower: &str) -> Option<KeyCode> {
    Some(match lower {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "backspace" | "bs" => KeyCode::Backspace,
        "del" | "delete" => KeyCode::Delete,
        "ins" | "insert" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        f if f.starts_with('f') => {
            let n: u8 = f[1..].parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
        _ => return None,
    })
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// The standard table with the user's keys in place; refused with a message naming the line
/// when a section, an action or a key is unknown, or when a key would do two things in one
/// place. Built once at start (its slices live as long as the program).
pub fn build(settings: &[KeySetting]) -> Result<&'static Keymap, String> {
    if settings.is_empty() {
        return Ok(standard());
    }
    let mut bindings: Vec<Binding> = standard().bindings.clone();
    // which setting each binding's keys came from
    let mut origin: Vec<Option<usize>> = vec![None; bindings.len()];
    // [keys] first, then the sections: the narrower place wins
    let mut order: Vec<usize> = (0..settings.len()).collect();
    order.sort_by_key(|&i| !settings[i].section.is_empty());
    for i in order {
        let s = &settings[i];
        let Some((_, target)) = SECTIONS.iter().find(|(name, _)| *name == s.section) else {
            let known: Vec<String> = SECTIONS
                .iter()
                .filter(|(n, _)| !n.is_empty())
                .map(|(n, _)| (*n).to_owned())
                .collect();
            return Err(format!(
                "{}: there is no section {} (sections: {})",
                place(s),
                section_label(&s.section),
                known.join(", ")
            ));
        };
        let action = ACTION_NAMES
            .iter()
            .find(|(n, _)| *n == s.action)
            .map(|(_, a)| *a);
        let here =
            |a: Action, b: &Binding| b.action == a && b.layers.iter().any(|l| target.contains(l));
        let Some(action) = action.filter(|a| bindings.iter().any(|b| here(*a, b))) else {
            let mut known: Vec<&str> = Vec::new();
            for b in bindings
                .iter()
                .filter(|b| b.layers.iter().any(|l| target.contains(l)))
            {
                let n = action_name(b.action);
                if !known.contains(&n) {
                    known.push(n);
                }
            }
            let what = if action.is_some() {
                "does nothing there"
            } else {
                "is not an action"
            };
            return Err(format!(
                "{}: {:?} {what}; in {} the actions are: {}",
                place(s),
                s.action,
                section_label(&s.section),
                known.join(", ")
            ));
        };
        let chords = s
            .keys
            .iter()
            .map(|t| parse_key(t).map_err(|e| format!("{}: {e}", place(s))))
            .collect::<Result<Vec<Chord>, String>>()?;
        let chords = leak(chords);
        let mut j = 0;
        while j < bindings.len() {
            if here(action, &bindings[j]) {
                let b = bindings[j];
                let (inside, outside): (Vec<Layer>, Vec<Layer>) =
                    b.layers.iter().partition(|l| target.contains(l));
                bindings[j] = Binding {
                    layers: leak(inside),
                    keys: chords,
                    ..b
                };
                origin[j] = Some(i);
                if !outside.is_empty() {
                    // the rest of the layers keep the binding as it was
                    bindings.insert(
                        j + 1,
                        Binding {
                            layers: leak(outside),
                            ..b
                        },
                    );
                    origin.insert(j + 1, origin[j].filter(|_| false));
                    j += 1;
                }
            }
            j += 1;
        }
    }
    check(&bindings, &origin, settings)?;
    Ok(Box::leak(Box::new(Keymap { bindings })))
}

/// No key does two things in one layer; a clash names the setting(s) that made it.
fn check(
    bindings: &[Binding],
    origin: &[Option<usize>],
    settings: &[KeySetting],
) -> Result<(), String> {
    for layer in Layer::ALL.iter().copied() {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, b) in bindings.iter().enumerate() {
            if !b.layers.contains(&layer) {
                continue;
            }
            let mut labels: Vec<String> = b.keys.iter().map(chord_label).collect();
            labels.dedup();
            for label in labels {
                if let Some((_, j)) = seen.iter().find(|(l, j)| *l == label && *j != i) {
                    let (a, b2) = (&bindings[*j], b);
                    if a.action == b2.action {
                        continue;
                    }
                    // name the user's setting first: it is what to change
                    let (mine, other, mine_i) = match (origin[i], origin[*j]) {
                        (Some(s), _) => (b2, a, s),
                        (None, Some(s)) => (a, b2, s),
                        (None, None) => continue,
                    };
                    return Err(format!(
                        "{}: {label} already does '{}' ({}) in the {}: pick another key for \
                         {}, or give {} another key first",
                        place(&settings[mine_i]),
                        other.short_desc(),
                        action_name(other.action),
                        layer.title(),
                        action_name(mine.action),
                        action_name(other.action),
                    ));
                }
                seen.push((label, i));
            }
        }
    }
    Ok(())
}

/// The key to name in a sentence ("press n to create one"): the action's first key in the
/// layer, or its `[keys]` name when the user left it without one.
pub fn key_name(layer: Layer, action: Action) -> String {
    key_for(layer, action).unwrap_or_else(|| format!("the {} key (unbound)", action_name(action)))
}

/// The first key of an action in a layer, as shown (`d`, `Ctrl-r`), for sentences that name a
/// key ("press n to create one"); `None` when the action has no key there.
pub fn key_for(layer: Layer, action: Action) -> Option<String> {
    active()
        .bindings()
        .find(|b| b.action == action && b.layers.contains(&layer))
        .and_then(|b| b.keys.first())
        .map(chord_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(section: &str, action: &str, keys: &[&str], line: usize) -> KeySetting {
        KeySetting {
            section: section.into(),
            action: action.into(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            line: Some(line),
        }
    }

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn resolve_in(km: &'static Keymap, layer: Layer, key: &KeyEvent) -> Option<Action> {
        let _k = using(km);
        resolve(layer, key).map(|b| b.action)
    }

    #[test]
    fn a_remapped_key_acts_and_shows_everywhere_the_table_is_read() {
        let km = build(&[set("", "revoke", &["x"], 3)]).unwrap();
        assert_eq!(resolve_in(km, L::List, &press('x')), Some(Action::Revoke));
        assert_eq!(resolve_in(km, L::Matrix, &press('x')), Some(Action::Revoke));
        // d no longer revokes; Delete neither (the setting replaces the binding's keys)
        assert_eq!(resolve_in(km, L::List, &press('d')), None);
        let _k = using(km);
        let hint = hints(L::List, false)
            .into_iter()
            .find(|b| b.action == Action::Revoke)
            .unwrap();
        assert_eq!(keys_label(hint), "x");
        assert_eq!(key_for(L::Detail, Action::Revoke).as_deref(), Some("x"));
        // the standard keymap elsewhere (another thread, or after the guard) is untouched
        drop(_k);
        assert_eq!(
            resolve(L::List, &press('d')).map(|b| b.action),
            Some(Action::Revoke)
        );
    }

    #[test]
    fn a_section_narrows_and_dialog_keys_follow() {
        let km = build(&[
            set("matrix", "revoke", &["X"], 2),
            set("log", "filter", &["f"], 5),
            set("", "down", &["Ctrl-n", "Down"], 7),
        ])
        .unwrap();
        assert_eq!(resolve_in(km, L::Matrix, &press('X')), Some(Action::Revoke));
        assert_eq!(resolve_in(km, L::List, &press('d')), Some(Action::Revoke));
        assert_eq!(resolve_in(km, L::List, &press('X')), None);
        assert_eq!(resolve_in(km, L::Log, &press('f')), Some(Action::Filter));
        assert_eq!(resolve_in(km, L::List, &press('j')), None, "j freed");
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(resolve_in(km, L::Detail, &ctrl_n), Some(Action::Down));
        // the help's own j is not the panes'
        assert_eq!(resolve_in(km, L::Help, &press('j')), Some(Action::Down));
    }

    #[test]
    fn a_clash_is_refused_naming_the_line_and_what_the_key_does() {
        let e = build(&[set("", "revoke", &["j"], 12)]).unwrap_err();
        assert!(e.starts_with("line 12 (revoke = \"j\")"), "{e}");
        assert!(e.contains("move down") && e.contains("down"), "{e}");
        // freeing the key first is fine
        let km = build(&[
            set("", "revoke", &["j"], 12),
            set("", "down", &["Down"], 13),
        ])
        .unwrap();
        assert_eq!(resolve_in(km, L::List, &press('j')), Some(Action::Revoke));
        // Ctrl-c quits everywhere: taking it is a clash too
        let e = build(&[set("", "refresh", &["Ctrl-c"], 4)]).unwrap_err();
        assert!(e.contains("line 4") && e.contains("force_quit"), "{e}");
    }

    #[test]
    fn unknown_actions_sections_and_keys_are_refused_by_line() {
        let e = build(&[set("", "revok", &["x"], 9)]).unwrap_err();
        assert!(e.starts_with("line 9 (revok = \"x\")"), "{e}");
        assert!(
            e.contains("is not an action") && e.contains("revoke"),
            "{e}"
        );
        let e = build(&[set("log", "revoke", &["x"], 2)]).unwrap_err();
        assert!(
            e.contains("does nothing there") && e.contains("[keys.log]"),
            "{e}"
        );
        let e = build(&[set("lgo", "filter", &["x"], 2)]).unwrap_err();
        assert!(
            e.contains("no section [keys.lgo]") && e.contains("log"),
            "{e}"
        );
        let e = build(&[set("", "revoke", &["Ctrll-x"], 6)]).unwrap_err();
        assert!(e.starts_with("line 6") && e.contains("is not a key"), "{e}");
    }

    #[test]
    fn keys_are_read_as_written() {
        assert_eq!(parse_key("x").unwrap(), k('x'));
        assert_eq!(parse_key("X").unwrap(), k('X'));
        assert_eq!(parse_key("-").unwrap(), k('-'));
        assert_eq!(parse_key("Ctrl-R").unwrap(), ctrl('r'));
        assert_eq!(parse_key("C-x").unwrap(), ctrl('x'));
        assert_eq!(parse_key("space").unwrap(), k(' '));
        assert_eq!(parse_key("Shift-Tab").unwrap(), code(KeyCode::BackTab));
        assert_eq!(parse_key("F5").unwrap(), code(KeyCode::F(5)));
        assert_eq!(parse_key("PgDn").unwrap(), code(KeyCode::PageDown));
        let alt = parse_key("Alt-d").unwrap();
        assert_eq!(alt.mods, KeyModifiers::ALT);
        assert_eq!(chord_label(&alt), "Alt-d");
        for bad in ["", "F13", "Ctrl-", "xy", "Hyper-x"] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    /// The README's `[keys]` example, as a config file.
    fn readme_example() -> String {
        let readme = include_str!("../../../README.md");
        let block = readme
            .split("<!-- keys:begin -->")
            .nth(1)
            .and_then(|r| r.split("<!-- keys:end -->").next())
            .unwrap();
        block.replace("```toml", "").replace("```", "")
    }

    #[test]
    fn the_readme_example_is_taken_as_written() {
        let file =
            crate::config::ConfigFile::parse(&readme_example(), std::path::Path::new("c.toml"))
                .unwrap();
        let km = build(&file.key_settings().unwrap()).unwrap();
        assert_eq!(resolve_in(km, L::List, &press('x')), Some(Action::Revoke));
        assert_eq!(resolve_in(km, L::List, &press('F')), Some(Action::Filter));
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(resolve_in(km, L::List, &ctrl('d')), Some(Action::Describe));
        assert_eq!(
            resolve_in(km, L::Matrix, &ctrl('n')),
            Some(Action::HalfDown)
        );
        assert_eq!(resolve_in(km, L::Help, &press('h')), Some(Action::Back));
    }

    #[test]
    fn every_action_has_a_name() {
        for b in standard().bindings() {
            assert_ne!(action_name(b.action), "?", "{:?}", b.action);
        }
    }
}
