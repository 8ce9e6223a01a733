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
}
