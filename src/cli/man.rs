//! `sgkeys man`: roff man pages from the clap definitions (clap_mangen), so they never drift
//! from `--help`.

use std::path::Path;

use clap::CommandFactory;

use super::commands::Run;
use super::{Cli, CliError, CompletionsArgs, Global, ManArgs};

impl Run for ManArgs {
    async fn run(self, _: &Global) -> Result<u8, CliError> {
        write(self.out.as_deref())?;
        Ok(0)
    }
}

/// `sgkeys completions SHELL`.
impl Run for CompletionsArgs {
    async fn run(self, _: &Global) -> Result<u8, CliError> {
        // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut Cli::command(), "sgkeys", &mut script);
        crate::output::out_bytes(&script)
            .map_err(|e| CliError::Io(format!("cannot write the completions: {e}")))?;
        Ok(0)
    }
}

/// The top-level page on stdout, or one page per command (`sgkeys.1`, `sgkeys-list.1`, …) in
/// `dir`.
pub(crate) fn write(dir: Option<&Path>) -> Result<(), CliError> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(|e| CliError::Io(format!("cannot render the man page: {e}")))?;
            crate::output::out_bytes(&page)
                .map_err(|e| CliError::Io(format!("cannot write the man page: {e}")))
        }
        Some(dir) => {
            // a fresh machine has no ~/.local/share/man/man1 yet: made, parents too (mkdir -p)
            if dir.exists() && !dir.is_dir() {
                return Err(CliError::Usage(format!(
                    "{} exists and is not a directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Io(format!("cannot create {}: {e}", dir.display())))?;
            let cmd = cmd.version(env!("CARGO_PKG_VERSION"));
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                CliError::Io(format!("cannot write man pages to {}: {e}", dir.display()))
            })?;
            let n = std::fs::read_dir(dir)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| {
                            let name = e.file_name();
                            let name = name.to_string_lossy();
                            name.starts_with("sgkeys") && name.ends_with(".1")
                        })
                        .count()
                })
                .unwrap_or(0);
            crate::errln!("Wrote {n} man pages to {}", dir.display());
            Ok(())
        }
    }
}
