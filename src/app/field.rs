//! A text field changed (a key typed, text pasted), and what follows from it in the room that
//! owns the field: the filter re-applied, an error cleared, a cursor reset.

use super::keymap::Layer;
use super::list::filter_changed;
use super::*;

/// Change the text field of `layer` (a key typed, text pasted), then what follows from it: the
/// filter re-applied, an error cleared, a cursor reset.
pub(crate) fn edit_field(app: &mut App, layer: Layer, edit: impl FnOnce(&mut tui_input::Input)) {
    match layer {
        Layer::Filter => {
            edit(&mut app.filter.input);
            filter_changed(app);
        }
        Layer::HelpFilter => {
            if let Some(Modal::Help(h)) = &mut app.modal {
                edit(&mut h.filter);
                h.scroll = 0;
            }
        }
        Layer::Command => {
            if let Some(Modal::Command(c)) = &mut app.modal {
                edit(&mut c.input);
            }
        }
        Layer::Rename => super::rename::edit_name(app, edit),
        Layer::CreateName => super::create::edit_name(app, edit),
        Layer::RotateName => super::rotate::edit_name(app, edit),
        Layer::LogFilter => {
            if let Some(Modal::Log(l)) = &mut app.modal {
                edit(&mut l.filter);
                super::log::filter_changed(l);
            }
        }
        Layer::DescribeFilter => {
            if let Some(Modal::Describe(v)) = &mut app.modal {
                edit(&mut v.search);
            }
            super::describe::search_changed(app);
        }
        Layer::JournalFilter => {
            if let Some(Modal::Journal(v)) = &mut app.modal {
                edit(&mut v.filter);
                v.cursor = 0;
            }
        }
        Layer::Confirm => super::revoke::edit_count(app, edit),
        Layer::ContextsFilter => {
            if let Some(Modal::Contexts(p)) = &mut app.modal {
                edit(&mut p.filter);
                p.cursor = 0;
                p.moved = true;
            }
        }
        _ => {}
    }
}
