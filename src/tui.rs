//! Terminal lifecycle and the entry points that open the dashboard.

use crate::cli::{CliError, DemoArgs, Global, SimArgs};

pub async fn run_configured(_global: &Global) -> Result<u8, CliError> {
    Err(CliError::Failed("the dashboard is not built yet".into()))
}

pub async fn run_demo(_global: &Global, _args: DemoArgs) -> Result<u8, CliError> {
    Err(CliError::Failed("the dashboard is not built yet".into()))
}

pub async fn run_sim(_args: SimArgs) -> Result<u8, CliError> {
    Err(CliError::Failed("the simulator is not built yet".into()))
}
