//! The list and detail panes' own keys: moving, marking, sorting, filtering, and opening every
//! dialog.

use super::keymap::{Action, Layer};
use super::*;
use super::{contexts::*, diff::*, effects::*, list::*, revoke::*, scope_editor::*};
use crate::api::ApiKeyId;
use crate::scopes::KeyType;

pub(crate) fn browse(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let half = (capacity(app) / 2).max(1) as isize;
    let page = capacity(app) as isize;
    if layer == Layer::Detail {
        let n = super::detail_rows(app).len();
        let cur = app.detail.cursor as isize;
        let to = |d: isize| (cur + d).clamp(0, n.saturating_sub(1) as isize) as usize;
        match a {
            Action::Up => return app.detail.cursor = to(-1),
            Action::Down => return app.detail.cursor = to(1),
            Action::Top => return app.detail.cursor = 0,
            Action::Bottom => return app.detail.cursor = n.saturating_sub(1),
            Action::HalfUp => return app.detail.cursor = to(-half),
            Action::HalfDown => return app.detail.cursor = to(half),
            Action::PageUp => return app.detail.cursor = to(-page),
            Action::PageDown => return app.detail.cursor = to(page),
            Action::Toggle => {
                let cat = match super::detail_rows(app).get(app.detail.cursor) {
                    Some(
                        DetailRow::Category { category, .. } | DetailRow::Scope { category, .. },
                    ) => Some(category.id),
                    None => None,
                };
                if let Some(cat) = cat {
                    if !app.detail.expanded.remove(cat) {
                        app.detail.expanded.insert(cat);
                    }
                    // keep the cursor on the category row
                    if let Some(i) = super::detail_rows(app).iter().position(
                        |r| matches!(r, DetailRow::Category { category, .. } if category.id == cat),
                    ) {
                        app.detail.cursor = i;
                    }
                }
                return;
            }
            Action::ShowAll => {
                app.detail.show_all = !app.detail.show_all;
                app.detail.cursor = 0;
                return;
            }
            _ => {}
        }
    }
    match a {
        Action::Quit => quit(app, false, out),
        Action::Up => move_by(app, -1),
        Action::Down => move_by(app, 1),
        Action::Top => select(app, 0),
        Action::Bottom => select(app, app.view.rows.len().saturating_sub(1)),
        Action::HalfUp => move_by(app, -half),
        Action::HalfDown => move_by(app, half),
        Action::PageUp => move_by(app, -page),
        Action::PageDown => move_by(app, page),
        Action::NextPane | Action::PrevPane => {
            app.focus = if app.focus == Pane::List {
                Pane::Detail
            } else {
                Pane::List
            };
        }
        Action::Right | Action::Enter if app.selected().is_some() => app.focus = Pane::Detail,
        Action::Left => app.focus = Pane::List,
        Action::Filter => app.filter.editing = true,
        Action::Back => {
            if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) {
                app.toast = None;
            } else if !app.view.marks.is_empty() {
                app.view.marks.clear();
            } else if app.filter.active() || !app.filter.input.value().is_empty() {
                app.filter = FilterState::default();
                refilter(app);
            } else if app.focus == Pane::Detail {
                app.focus = Pane::List;
            }
        }
        Action::Help => super::overlays::open_help(app, layer),
        Action::Log => app.modal = Some(Modal::Log(LogModal::default())),
        Action::Refresh => refresh(app, out),
        Action::Mark => {
            if let Some(id) = app.selected().map(|e| e.id.clone()) {
                if !app.view.marks.remove(&id) {
                    app.view.marks.insert(id);
                }
                move_by(app, 1);
            }
        }
        Action::MarkAll => {
            let shown: Vec<ApiKeyId> = app
                .view
                .rows
                .iter()
                .map(|i| app.keys.entries[*i].id.clone())
                .collect();
            if shown.iter().all(|id| app.view.marks.contains(id)) {
                for id in &shown {
                    app.view.marks.remove(id);
                }
            } else {
                app.view.marks.extend(shown);
            }
        }
        Action::Sort => {
            app.view.sort = app.view.sort.next();
            refilter(app);
            let extra = if app.view.sort.needs_scopes() && app.keys.prefetch.active() {
                " (scopes still loading)"
            } else {
                ""
            };
            toast(
                app,
                Level::Info,
                format!("sorted by {}{extra}", app.view.sort.label()),
            );
        }
        Action::SortReverse => {
            app.view.reverse = !app.view.reverse;
            refilter(app);
        }
        Action::Wide => {
            let on = !app.wide();
            app.view.wide = Some(on);
            let list_w = layout::areas(app.size.0, app.size.1).list.width;
            let what = if !on {
                "wide off: name, id and type only".to_owned()
            } else if layout::list_wide_fits(list_w) {
                "wide: the Scopes and Risk columns are shown".to_owned()
            } else {
                format!(
                    "wide on: Scopes and Risk show from {} columns",
                    layout::wide_fits_from(app.size.1)
                )
            };
            toast(app, Level::Info, what);
        }
        Action::CopyId => {
            // said when the terminal side has done it (Msg::Copied)
            if let Some(e) = app.selected() {
                out.push(Command::Copy {
                    text: crate::secret::Secret::from_server(e.id.0.clone()),
                    what: Clip::Id(e.id.clone()),
                });
            }
        }
        Action::Contexts => open_contexts(app, out),
        Action::PreviousContext => previous_context(app, out),
        Action::Describe => super::describe::open(app, out),
        Action::New => super::create::open_create(app),
        Action::Rename => super::rename::open_rename(app),
        Action::EditScopes => open_scope_editor(app, out),
        Action::Diff => open_diff(app, out),
        Action::Trim => {
            let Some(e) = app.selected() else { return };
            if e.info().is_none() {
                let p = super::keymap::user::key_name(Layer::List, Action::Trim);
                return toast(
                    app,
                    Level::Info,
                    format!("this key's scopes are still loading: press {p} again in a moment"),
                );
            }
            if e.key_type() == Some(KeyType::Billing) {
                return toast(
                    app,
                    Level::Info,
                    "a Billing key holds billing scopes only: there is nothing to trim to",
                );
            }
            app.modal = Some(Modal::Presets(PresetPicker {
                id: e.id.clone(),
                cursor: 0,
            }));
        }
        Action::Revoke => open_confirm_delete(app),
        Action::Rotate => super::rotate::open_rotate(app),
        Action::Finish => super::rotate::finish_row(app, out),
        Action::Journal => super::journal::open_journal(app, out),
        Action::Command => super::command::open(app, out),
        Action::Matrix => super::matrix::toggle(app),
        _ => {}
    }
}
