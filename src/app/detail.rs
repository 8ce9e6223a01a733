//! The detail pane's rows: the selected key's categories (and the scopes of expanded ones).

use super::*;
use crate::scopes::Category;

/// A row of the detail pane's scope list (below the key's summary and findings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DetailRow {
    /// A category with the key's level and how many of its scopes it holds.
    Category {
        category: &'static Category,
        level: crate::scopes::Level,
        held: usize,
    },
    /// A scope of an expanded category.
    Scope {
        category: &'static Category,
        scope: &'static str,
        held: bool,
    },
}

/// The detail pane's rows for the selected key: categories with access (all of them with
/// `show_all`), each followed by its scopes when expanded. Empty until the scopes are known.
pub fn detail_rows(app: &App) -> Vec<DetailRow> {
    let Some(class) = selected_class(app) else {
        return Vec::new();
    };
    let Some(info) = app.selected().and_then(|e| e.info()) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for cl in &class.levels {
        if cl.level == crate::scopes::Level::No && !app.detail.show_all {
            continue;
        }
        rows.push(DetailRow::Category {
            category: cl.category,
            level: cl.level,
            held: cl.held,
        });
        if app.detail.expanded.contains(cl.category.id) {
            for s in cl.category.scopes {
                rows.push(DetailRow::Scope {
                    category: cl.category,
                    scope: s,
                    held: info.holds(s),
                });
            }
        }
    }
    rows
}

/// The selected key's classification: the cached one (see [`DetailView::class`]), or computed
/// when the cache is behind (a model built without `update`).
pub fn selected_class(app: &App) -> Option<std::sync::Arc<Classification>> {
    let e = app.selected()?;
    let info = e.info()?;
    Some(
        app.detail
            .class_of(&e.id, info)
            .unwrap_or_else(|| std::sync::Arc::new(info.classify())),
    )
}
