//! Stand-in for the `triage train` / `triage eval` subcommands until the root binary wires them:
//! `cargo run --release -p triage-train --example triage -- train --data ... --out ...`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train a model.
    Train(triage_train::TrainArgs),
    /// Evaluate a model.
    Eval(triage_train::EvalArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Train(a) => triage_train::train(a),
        Cmd::Eval(a) => triage_train::eval(a),
    }
}
