//! Screen geometry, shared by the renderer and by `update` (scrolling, mouse hit-testing), so
//! both always agree. Computed from the terminal size alone.

use ratatui::layout::Rect;

/// The dashboard's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// The key list, border included.
    pub list: Rect,
    /// The detail pane, border included.
    pub detail: Rect,
    /// Status line (filter, counts, toasts, spinner).
    pub status: Rect,
    /// Key hints.
    pub hints: Rect,
}

/// Split the screen: header (1 row), body (list | detail), status (1), hints (1).
pub fn areas(width: u16, height: u16) -> Areas {
    let full = Rect::new(0, 0, width, height);
    let header = Rect {
        height: height.min(1),
        ..full
    };
    let body_h = height.saturating_sub(3);
    let body = Rect::new(0, 1.min(height), width, body_h);
    let list_w = if width >= 140 {
        width * 55 / 100
    } else if width >= 100 {
        width * 58 / 100
    } else {
        width * 56 / 100
    };
    let list = Rect {
        width: list_w,
        ..body
    };
    let detail = Rect {
        x: list_w,
        width: width.saturating_sub(list_w),
        ..body
    };
    let status = Rect::new(
        0,
        height.saturating_sub(2),
        width,
        height.min(2).saturating_sub(1).min(1),
    );
    let hints = Rect::new(0, height.saturating_sub(1), width, height.min(1));
    Areas {
        header,
        list,
        detail,
        status,
        hints,
    }
}

/// Rows of keys visible in the list (inside the border, below the column header).
pub fn list_capacity(width: u16, height: u16) -> usize {
    areas(width, height).list.height.saturating_sub(3) as usize
}

/// The visible list row (0-based from the first visible row) at a screen position.
pub fn list_row_at(width: u16, height: u16, x: u16, y: u16) -> Option<usize> {
    let list = areas(width, height).list;
    let first = list.y + 2; // border + column header
    let inside_x = x > list.x && x + 1 < list.x + list.width;
    let inside_y = y >= first && y + 1 < list.y + list.height;
    (inside_x && inside_y).then(|| (y - first) as usize)
}

/// Whether a screen position is inside the detail pane.
pub fn in_detail(width: u16, height: u16, x: u16, y: u16) -> bool {
    let d = areas(width, height).detail;
    x >= d.x && x < d.x + d.width && y >= d.y && y < d.y + d.height
}

/// Width of one category column of the permission matrix: a 4-character header and a gap.
pub const MATRIX_COL_W: usize = 5;
/// The matrix's type column (`Billing`).
pub const MATRIX_TYPE_W: usize = 7;
/// Header rows of the matrix (labels, Full counts, Read counts) and its legend row.
pub const MATRIX_HEAD_ROWS: u16 = 3;
pub const MATRIX_FOOT_ROWS: u16 = 1;

/// How the permission matrix divides its width: the fixed columns (mark, risk, name, [context],
/// type) and how many category columns fit beside them. Used by the renderer and by `update`
/// (horizontal scrolling), so both agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixGeom {
    pub name_w: usize,
    /// The context column (all-contexts mode), 0 when hidden.
    pub ctx_w: usize,
    /// Columns before the first category column, inside the border.
    pub fixed: usize,
    /// Category columns that fit.
    pub cols: usize,
}

pub fn matrix_geom(width: u16, all_contexts: bool) -> MatrixGeom {
    let inner = width.saturating_sub(2) as usize;
    let (name_w, ctx_w) = if all_contexts {
        ((inner / 6).clamp(10, 26), (inner / 8).clamp(8, 18))
    } else {
        ((inner / 4).clamp(12, 30), 0)
    };
    // mark, risk, space | name, space | [context, space] | type, space
    let fixed = 3 + name_w + 1 + if ctx_w > 0 { ctx_w + 1 } else { 0 } + MATRIX_TYPE_W + 1;
    let cols = (inner.saturating_sub(fixed) / MATRIX_COL_W).max(1);
    MatrixGeom {
        name_w,
        ctx_w,
        fixed,
        cols,
    }
}

/// Rows of keys visible in the matrix (the list and detail panes' area, one bordered box).
pub fn matrix_capacity(width: u16, height: u16) -> usize {
    let body = areas(width, height).list.height;
    body.saturating_sub(2 + MATRIX_HEAD_ROWS + MATRIX_FOOT_ROWS) as usize
}

/// The matrix's box: the list and detail panes together.
pub fn matrix_area(width: u16, height: u16) -> Rect {
    let a = areas(width, height);
    Rect {
        width: a.list.width + a.detail.width,
        ..a.list
    }
}

/// The visible matrix row and category column (0-based from the first visible ones) at a
/// screen position; the column is None over the fixed columns.
pub fn matrix_cell_at(
    width: u16,
    height: u16,
    all_contexts: bool,
    x: u16,
    y: u16,
) -> Option<(usize, Option<usize>)> {
    let m = matrix_area(width, height);
    let first = m.y + 1 + MATRIX_HEAD_ROWS;
    let last = m.y + m.height.saturating_sub(1 + MATRIX_FOOT_ROWS);
    if !(x > m.x && x + 1 < m.x + m.width && y >= first && y < last) {
        return None;
    }
    let g = matrix_geom(width, all_contexts);
    let rel = (x - m.x - 1) as usize;
    let col = rel
        .checked_sub(g.fixed)
        .map(|c| c / MATRIX_COL_W)
        .filter(|c| *c < g.cols);
    Some(((y - first) as usize, col))
}

/// The key list's columns (the renderer draws them; `update` asks whether wide mode's fit).
/// The list pane shows the id column from this width on (border included).
pub const ID_MIN_WIDTH: u16 = 62;
pub const ID_W: usize = 22;
/// The type column: `Billing`, or `revoking…` while a visible key is being revoked.
pub const TYPE_W: usize = 7;
pub const TYPE_W_REVOKING: usize = 9;
/// Wide mode's columns: the scope count (`Scopes`) and the highest finding (`medium`).
pub const SCOPES_W: usize = 6;
pub const RISK_W: usize = 7;
/// Wide mode's "First seen" column (`just now`, `12d ago`), shown when the inventory holds the
/// context and the name keeps [`FIRST_SEEN_NAME_MIN`] beside it.
pub const FIRST_SEEN_W: usize = 10;
pub const FIRST_SEEN_NAME_MIN: usize = 24;
/// Wide columns only while the name keeps this much room.
const WIDE_NAME_MIN: usize = 16;

/// Whether a key list pane `list_w` wide (border included) has room for wide mode's columns
/// beside the name, the id (when shown) and the widest type badge.
pub fn list_wide_fits(list_w: u16) -> bool {
    let inner = usize::from(list_w.saturating_sub(2));
    let id = if list_w >= ID_MIN_WIDTH { ID_W + 1 } else { 0 };
    inner >= 3 + WIDE_NAME_MIN + 1 + id + TYPE_W_REVOKING + 1 + SCOPES_W + 1 + RISK_W
}

/// The narrowest terminal whose key list shows wide mode's columns.
pub fn wide_fits_from(height: u16) -> u16 {
    (MIN_LIST_SEARCH..=400)
        .find(|w| list_wide_fits(areas(*w, height).list.width))
        .unwrap_or(400)
}
const MIN_LIST_SEARCH: u16 = 40;

/// From this terminal width on the key list is wide by itself (k9s' wide mode): the room goes to
/// the scope count and risk columns rather than to padding the name.
pub const WIDE_FROM: u16 = 160;

/// The first visible row (or column): `offset`, moved as little as shows `selected` among `cap`
/// places of `n`. `update` scrolls with it; the renderer corrects with it when the frame is
/// smaller than the size `update` scrolled for.
pub fn visible_offset(offset: usize, selected: usize, cap: usize, n: usize) -> usize {
    let mut off = offset;
    if selected < off {
        off = selected;
    } else if selected >= off + cap {
        off = selected + 1 - cap;
    }
    off.min(n.saturating_sub(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_tile_the_screen() {
        for (w, h) in [(80, 24), (120, 40), (60, 16), (250, 80)] {
            let a = areas(w, h);
            assert_eq!(a.header.y, 0);
            assert_eq!(a.list.y, 1);
            assert_eq!(a.list.height + 3, h);
            assert_eq!(a.list.width + a.detail.width, w);
            assert_eq!(a.status.y, h - 2);
            assert_eq!(a.hints.y, h - 1);
        }
        assert_eq!(list_capacity(80, 24), 21 - 3);
    }

    #[test]
    fn tiny_sizes_do_not_underflow() {
        for (w, h) in [(0, 0), (1, 1), (2, 2), (1, 3)] {
            let _ = areas(w, h);
            assert_eq!(list_row_at(w, h, 0, 0), None);
        }
    }

    #[test]
    fn hit_testing() {
        assert_eq!(list_row_at(80, 24, 5, 3), Some(0));
        assert_eq!(list_row_at(80, 24, 5, 2), None); // column header
        assert_eq!(list_row_at(80, 24, 0, 3), None); // border
        assert!(in_detail(80, 24, 70, 5));
    }

    #[test]
    fn matrix_geometry() {
        let g = matrix_geom(80, false);
        assert!(g.fixed + g.cols * MATRIX_COL_W <= 78);
        assert!(g.cols >= 8, "{g:?}");
        let wide = matrix_geom(200, false);
        assert!(wide.cols >= 25, "{wide:?}");
        let all = matrix_geom(80, true);
        assert!(all.ctx_w > 0 && all.cols >= 5, "{all:?}");
        assert_eq!(matrix_capacity(80, 24), 21 - 6);
        // first key row, first category column
        let x = 1 + g.fixed as u16;
        assert_eq!(matrix_cell_at(80, 24, false, x, 5), Some((0, Some(0))));
        assert_eq!(matrix_cell_at(80, 24, false, 3, 5), Some((0, None)));
        assert_eq!(matrix_cell_at(80, 24, false, x, 4), None); // header
        for (w, h) in [(0, 0), (1, 1), (5, 3)] {
            let _ = matrix_geom(w, true);
            let _ = matrix_capacity(w, h);
            assert_eq!(matrix_cell_at(w, h, false, 0, 0), None);
        }
    }
}
