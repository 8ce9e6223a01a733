//! `D` and `p`: comparing two keys or a key and a preset, and the preset picker.

use super::keymap::Action;
use super::*;
use super::{effects::*, list::*};
use crate::api::ApiKeyId;
use crate::presets::PRESETS;

/// What the right-hand side of a scope diff is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffRight {
    Key(ApiKeyId),
    /// Index into `presets::PRESETS`.
    Preset(usize),
}

/// `=`: two keys' scopes side by side by category (two marked keys), or a key against a
/// preset (←/→ picks the preset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffModal {
    pub left: ApiKeyId,
    pub right: DiffRight,
    pub scroll: usize,
}

/// `p`: pick a preset to trim a key to (least privilege); the scope editor then previews the PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetPicker {
    pub id: ApiKeyId,
    pub cursor: usize,
}

/// The two scope lists a diff modal compares, with labels; None while a key's scopes are unknown.
pub fn diff_sides(app: &App, d: &DiffModal) -> Option<(DiffSide, DiffSide)> {
    let side = |id: &ApiKeyId| -> Option<DiffSide> {
        let e = app.keys.get(id)?;
        let info = e.info()?;
        Some((format!("{} ({})", e.name, e.id), info.scope_names()))
    };
    let left = side(&d.left)?;
    let right = match &d.right {
        DiffRight::Key(id) => side(id)?,
        DiffRight::Preset(i) => {
            let p = crate::presets::PRESETS.get(*i)?;
            (
                format!("preset '{}'", p.name),
                p.scopes().into_iter().collect(),
            )
        }
    };
    Some((left, right))
}

/// Lines of the diff modal's body (categories, their differing scopes, uncatalogued scopes): the
/// scroll limit.
pub fn diff_line_count(app: &App, d: &DiffModal) -> usize {
    let Some(((ll, l), (rl, r))) = diff_sides(app, d) else {
        return 0;
    };
    let diff = crate::scopes::scope_diff(&ll, &l, &rl, &r);
    let catalogued: usize = diff
        .categories
        .iter()
        .map(|c| 1 + c.only_left.len() + c.only_right.len())
        .sum();
    let other = diff
        .only_left
        .iter()
        .chain(&diff.only_right)
        .filter(|s| !crate::scopes::is_known(s))
        .count();
    catalogued + other + usize::from(other > 0)
}

pub(crate) fn open_diff(app: &mut App, out: &mut Vec<Command>) {
    let marked: Vec<ApiKeyId> = app
        .keys
        .entries
        .iter()
        .filter(|e| app.view.marks.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    let (left, right) = match marked.as_slice() {
        [a, b] => (a.clone(), DiffRight::Key(b.clone())),
        [] | [_] => match app.selected() {
            Some(e) => (e.id.clone(), DiffRight::Preset(0)),
            None => return,
        },
        _ => {
            return toast(
                app,
                Level::Info,
                "mark exactly two keys to compare them (or none: key vs preset)",
            );
        }
    };
    // make sure both sides' scopes are (being) loaded
    for id in std::iter::once(&left).chain(match &right {
        DiffRight::Key(id) => Some(id),
        DiffRight::Preset(_) => None,
    }) {
        if let Some(e) = app.keys.get(id)
            && e.info().is_none()
            && !e.state.is_loading()
        {
            let id = id.clone();
            fetch_detail(app, &id, out);
        }
    }
    app.modal = Some(Modal::Diff(DiffModal {
        left,
        right,
        scroll: 0,
    }));
}

pub(crate) fn diff_action(app: &mut App, a: Action) {
    let max = match &app.modal {
        Some(Modal::Diff(d)) => super::diff_line_count(app, d).saturating_sub(1),
        _ => return,
    };
    let Some(Modal::Diff(d)) = &mut app.modal else {
        return;
    };
    let n = PRESETS.len();
    match a {
        Action::Back => app.modal = None,
        Action::Up => d.scroll = d.scroll.saturating_sub(1),
        Action::Down => d.scroll = (d.scroll + 1).min(max),
        Action::Left | Action::Right => {
            if let DiffRight::Preset(i) = &mut d.right {
                *i = if a == Action::Right {
                    (*i + 1) % n
                } else {
                    (*i + n - 1) % n
                };
                d.scroll = 0;
            }
        }
        _ => {}
    }
}

pub(crate) fn preset_action(app: &mut App, a: Action) {
    let Some(Modal::Presets(p)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Back => app.modal = None,
        Action::Up => p.cursor = p.cursor.saturating_sub(1),
        Action::Down => p.cursor = (p.cursor + 1).min(PRESETS.len() - 1),
        Action::Enter => {
            let (id, preset) = (p.id.clone(), &PRESETS[p.cursor]);
            let Some(detail) = app.keys.get(&id).and_then(KeyEntry::key_detail) else {
                return;
            };
            let mut form = ScopeForm::new(&detail, app.my_scopes.value().cloned());
            form.own = is_own(app, &form.id);
            let wanted = preset.scopes();
            let (ok, skipped): (Vec<String>, Vec<String>) = wanted.into_iter().partition(|s| {
                form.matrix.grantable.as_ref().is_none_or(|g| g.contains(s))
                    || form.original.contains(s)
            });
            form.matrix.selected = ok.into_iter().collect();
            form.matrix.message = (!skipped.is_empty()).then(|| {
                format!(
                    "{} preset scopes left out: your key does not hold them",
                    skipped.len()
                )
            });
            form.preset = Some(preset.name);
            if form.dirty() && !form.matrix.selected.is_empty() {
                form.stage = ScopeStage::Review;
            } else {
                form.error = Some(format!("the key already matches '{}'", preset.name));
            }
            app.modal = Some(Modal::EditScopes(Box::new(form)));
        }
        _ => {}
    }
}
