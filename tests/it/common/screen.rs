//! Drawing the dashboard into a test terminal and reading the screen back; the snapshot sizes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use sgkeys::app::App;
use sgkeys::ui;

/// Snapshot the screen `build(w, h)` makes at 80×24 and 120×40, named `NAME_WxH` (in the
/// calling test module, so each file keeps its own snapshot names).
macro_rules! snapshot_sizes {
    ($name:expr, $build:expr) => {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let app = $build(w, h);
            let terminal = $crate::common::screen::render(&app, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", $name), terminal.backend());
        }
    };
}
pub(crate) use snapshot_sizes;

pub fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, app)).unwrap();
    terminal
}

pub fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

pub fn screen_text(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| row_text(buf, y))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Position (x, y) of the first occurrence of `needle` on screen.
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    find_in(buf, buf.area, needle)
}

/// Position (x, y) of the first occurrence of `needle` inside `area`.
pub fn find_in(buf: &Buffer, area: ratatui::layout::Rect, needle: &str) -> Option<(u16, u16)> {
    let n: Vec<String> = needle.chars().map(|c| c.to_string()).collect();
    for y in area.top()..area.bottom() {
        let cells: Vec<&str> = (area.left()..area.right())
            .map(|x| buf[(x, y)].symbol())
            .collect();
        if n.len() > cells.len() {
            return None;
        }
        for x in 0..=(cells.len() - n.len()) {
            if cells[x..x + n.len()].iter().zip(&n).all(|(a, b)| *a == b) {
                return Some((area.x + x as u16, y));
            }
        }
    }
    None
}
