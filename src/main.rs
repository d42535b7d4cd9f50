//! `triage`: one binary for every stage of the pipeline.
//!
//! `triage run` runs them all in one process (with an embedded Kafka-compatible broker when no brokers are
//! configured); `triage ingest`, `triage classify` and `triage serve` run one stage each so that they can be
//! spread over machines and scaled by running more copies.

use clap::Parser;
use triage::{cli, telemetry};

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    telemetry::init_logs(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::dispatch(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
