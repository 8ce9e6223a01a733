use super::*;
use std::collections::HashSet;

fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(c, m)
}

#[test]
fn layer_list_is_complete_and_ctrl_c_quits_everywhere() {
    for (i, l) in Layer::ALL.iter().enumerate() {
        assert_eq!(l.index(), i, "{l:?} out of place in Layer::ALL");
        let b = resolve(*l, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
        assert_eq!(b.action, Action::ForceQuit, "{l:?}");
    }
}

#[test]
fn every_binding_has_a_description_and_keys() {
    for b in bindings() {
        assert!(
            !b.desc.is_empty() && !b.keys.is_empty() && !b.layers.is_empty(),
            "{b:?}"
        );
    }
}

#[test]
fn no_chord_is_bound_twice_in_a_layer() {
    let layers = Layer::ALL.iter().copied();
    for layer in layers {
        let mut seen = HashSet::new();
        for b in bindings().filter(|b| b.layers.contains(&layer)) {
            // one binding may list variants of a key (`G` with and without SHIFT)
            let labels: HashSet<String> = b.keys.iter().map(chord_label).collect();
            for label in labels {
                assert!(
                    seen.insert(label.clone()),
                    "{label} bound twice in {layer:?}"
                );
            }
        }
    }
}

#[test]
fn destructive_keys_differ_from_their_confirmation() {
    // `d` opens the confirm dialog, `y` confirms: never the same key.
    let open = resolve(L::List, &key(KeyCode::Char('d'), KeyModifiers::NONE)).unwrap();
    assert_eq!(open.action, Action::Revoke);
    assert!(resolve(L::Confirm, &key(KeyCode::Char('d'), KeyModifiers::NONE)).is_none());
    assert_eq!(
        resolve(L::Confirm, &key(KeyCode::Char('y'), KeyModifiers::NONE))
            .unwrap()
            .action,
        Action::Yes
    );
}

#[test]
fn write_bindings_vanish_in_read_only_mode() {
    let ro: Vec<Action> = bindings_for(L::List, true).map(|b| b.action).collect();
    for a in [
        Action::New,
        Action::Rename,
        Action::EditScopes,
        Action::Revoke,
    ] {
        assert!(!ro.contains(&a), "{a:?} visible in read-only");
    }
    assert!(bindings_for(L::List, false).any(|b| b.action == Action::Revoke));
}

#[test]
fn resolves_with_modifiers_and_shifted_letters() {
    assert_eq!(
        resolve(L::List, &key(KeyCode::Char('r'), KeyModifiers::CONTROL))
            .unwrap()
            .action,
        Action::Refresh
    );
    assert_eq!(
        resolve(L::List, &key(KeyCode::Char('G'), KeyModifiers::SHIFT))
            .unwrap()
            .action,
        Action::Bottom
    );
    assert_eq!(
        resolve(L::List, &key(KeyCode::Char('G'), KeyModifiers::NONE))
            .unwrap()
            .action,
        Action::Bottom
    );
    assert_eq!(
        resolve(L::Filter, &key(KeyCode::Char('c'), KeyModifiers::CONTROL))
            .unwrap()
            .action,
        Action::ForceQuit
    );
    // text layers leave letters to the input
    assert!(resolve(L::Filter, &key(KeyCode::Char('q'), KeyModifiers::NONE)).is_none());
    assert!(resolve(L::Rename, &key(KeyCode::Char('j'), KeyModifiers::NONE)).is_none());
}

#[test]
fn footers_list_only_what_the_layer_binds() {
    for layer in Layer::ALL.iter().copied() {
        for ro in [false, true] {
            let bound: Vec<String> = bindings_for(layer, ro).flat_map(key_labels).collect();
            for item in footer(layer, ro) {
                assert_ne!(item.foot, Foot::Hide, "{layer:?}: {item:?}");
                assert!(!item.keys.is_empty(), "{layer:?}: {item:?}");
                for k in &item.keys {
                    assert!(bound.contains(k), "{layer:?}: {k} not bound ({item:?})");
                }
            }
        }
    }
    // Ctrl-c works everywhere and is in `?`, but no footer spends room on it
    assert!(
        footer(L::Secret, false)
            .iter()
            .all(|i| i.action != Action::ForceQuit)
    );
    // the same thing under other keys is one entry: Tab and ↓ both go to the next field
    let name = footer(L::CreateName, false);
    let next = name.iter().find(|i| i.action == Action::NextField).unwrap();
    assert_eq!(next.keys, ["Tab", "↓"]);
}

#[test]
fn every_dialog_has_a_way_out_in_its_footer() {
    for layer in Layer::ALL.iter().copied() {
        if matches!(layer, L::List | L::Detail | L::Filter | L::Matrix) {
            continue;
        }
        assert!(
            footer(layer, false)
                .iter()
                .any(|i| i.foot == Foot::Always && matches!(i.action, Action::Back | Action::No)),
            "{layer:?}"
        );
    }
}

#[test]
fn labels() {
    let b = resolve(L::List, &key(KeyCode::Char('j'), KeyModifiers::NONE)).unwrap();
    assert_eq!(keys_label(b), "j/↓");
    assert_eq!(chord_label(&ctrl('r')), "Ctrl-r");
    let b = resolve(L::List, &key(KeyCode::End, KeyModifiers::NONE)).unwrap();
    assert_eq!(keys_label(b), "G/End");
}

#[test]
fn the_matrix_offers_its_own_keys_first_then_revoke() {
    let h: Vec<Action> = hints(L::Matrix, false).iter().map(|b| b.action).collect();
    assert_eq!(
        h[..5],
        [
            Action::SortColumn,
            Action::Revoke,
            Action::Enter,
            Action::AllContexts,
            Action::Matrix
        ]
    );
    // read-only: no revoke, the rest in the same order
    let ro: Vec<Action> = hints(L::Matrix, true).iter().map(|b| b.action).collect();
    assert_eq!(ro[..2], [Action::SortColumn, Action::Enter]);
    // the list is unchanged: revoke first
    assert_eq!(hints(L::List, false)[0].action, Action::Revoke);
}

#[test]
fn question_mark_is_help_in_every_layer_that_does_not_type_it() {
    for layer in Layer::ALL.iter().copied() {
        if layer.is_text() {
            continue;
        }
        let b = resolve(layer, &key(KeyCode::Char('?'), KeyModifiers::NONE));
        let want = if layer == L::Help {
            Action::Back // `?` again closes the help
        } else {
            Action::Help
        };
        assert_eq!(b.map(|b| b.action), Some(want), "{layer:?}");
    }
}
