//! The inventory a command records into: opened beside the journal for every API command (a
//! failure to open it is a warning, never a stop: revoke must work without it), and closed at
//! the end of the command.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::CliError;
use crate::inventory::{self, Inventory, Recorder};

/// How long closing waits for the writer (another process holding the file) at the end of a
/// command.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The inventory a command records into.
pub(crate) struct Kept {
    inv: Inventory,
    pub rec: Recorder,
}

impl Kept {
    /// Open the inventory at `path` (none: `--no-inventory`) for a run calling `base_url` with
    /// the key whose id is `caller_key_id`. Any trouble is a warning and no inventory.
    pub(crate) fn open(
        path: Option<&Path>,
        base_url: &str,
        caller_key_id: Option<&str>,
    ) -> Option<Kept> {
        let path = path?;
        let Some(caller) = caller_key_id else {
            // the account cannot be told apart from any other: record nothing
            tracing::info!("inventory: the API key has no id part; nothing is recorded");
            return None;
        };
        let opened =
            Inventory::open(path).and_then(|inv| Ok((inv.scope_for(base_url, caller)?, inv)));
        match opened {
            Ok((scope, inv)) => Some(Kept {
                rec: inv.recorder(scope),
                inv,
            }),
            Err(e) => {
                crate::errln!("sgkeys: warning: {e}; going on without it (nothing is recorded)");
                None
            }
        }
    }

    /// `audit --since TIME`: what changed in the report's contexts, from the inventory (this
    /// audit's answers written first).
    pub(crate) fn changes_since(
        &self,
        report: &crate::audit::Audit,
        t: SystemTime,
    ) -> Result<super::since::SinceAnswer, CliError> {
        if !self.rec.flush(CLOSE_WAIT) {
            crate::errln!(
                "sgkeys: warning: the inventory is busy (another sgkeys process): this audit's \
                 answers may not be in the comparison yet"
            );
        }
        let reader = self
            .inv
            .reader()
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let contexts: Vec<Option<String>> =
            report.contexts.iter().map(|c| c.context.clone()).collect();
        super::since::changes_since(
            &reader,
            self.rec.scope(),
            &contexts,
            super::since::millis(t),
        )
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        self.inv.path()
    }

    /// A reader on its own connection (what this run recorded may not be written yet).
    pub(crate) fn reader(&self) -> Result<inventory::Reader, inventory::InventoryError> {
        self.inv.reader()
    }

    /// Write what was recorded; say what could not be.
    pub(crate) fn close(self) {
        let path = self.inv.path().to_path_buf();
        drop(self.rec);
        if let Some(w) = self.inv.close(CLOSE_WAIT).warning(&path) {
            crate::errln!("sgkeys: warning: {w}");
        }
    }
}
