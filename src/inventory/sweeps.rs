//! What a sweep that resumes reads back: the last sweep of a command over an account, and the
//! contexts it covered (each recorded when the sweep started, before any answer).

use rusqlite::{OptionalExtension, params};

use super::query::{CONTEXT_COLUMNS, context_row, sweep_row};
use super::{ContextRow, InventoryError, Reader, Scope, SweepRow};

impl Reader {
    /// The newest sweep of `kind` over contexts of `scope` (a run that died while running reads
    /// as `interrupted`).
    pub fn last_sweep(
        &self,
        kind: &str,
        scope: &Scope,
    ) -> Result<Option<SweepRow>, InventoryError> {
        self.conn
            .query_row(
                "SELECT s.id, s.kind, s.started_at, s.finished_at, s.state, s.pid FROM sweeps s
                 WHERE s.kind = ?1 AND EXISTS (
                     SELECT 1 FROM sweep_contexts sc JOIN contexts c ON c.id = sc.context_id
                     WHERE sc.sweep_id = s.id AND c.base_url = ?2 AND c.account = ?3)
                 ORDER BY s.started_at DESC LIMIT 1",
                params![kind, scope.base_url, scope.account],
                sweep_row,
            )
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// The contexts sweep `id` covers, the account itself first, then by on-behalf-of value.
    pub fn sweep_contexts(&self, id: i64) -> Result<Vec<ContextRow>, InventoryError> {
        let cols = CONTEXT_COLUMNS
            .split(", ")
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM sweep_contexts sc JOIN contexts c ON c.id = sc.context_id
             WHERE sc.sweep_id = ?1 ORDER BY c.on_behalf_of"
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&e))?;
        st.query_map([id], context_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(&e))
    }
}
