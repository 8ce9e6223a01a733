//! The `?` help and `@` log overlays.

use tui_input::Input;

use super::keymap::Layer;

/// `?`: bindings of the layer underneath, filterable.
#[derive(Debug, Clone)]
pub struct HelpModal {
    pub filter: Input,
    /// The layer the help describes.
    pub under: Layer,
    pub scroll: usize,
}

/// `@`: the message and API log. `scroll` counts lines up from the newest.
#[derive(Debug, Clone, Default)]
pub struct LogModal {
    pub scroll: usize,
}
