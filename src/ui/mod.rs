//! Rendering: `draw(frame, &App)`. View = f(state): nothing here mutates the model or does IO.

pub mod layout;

// TEMPORARY STUB (helper-2 replaces this with the real renderer).
pub fn draw(_frame: &mut ratatui::Frame, _app: &crate::app::App) {}
