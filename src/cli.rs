//! Command-line interface.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use triage_model::Class;

use crate::{config::TriageConfig, telemetry::LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "triage",
    version,
    about = "Sorts crisis social-media posts into trustworthy feeds"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Config file (TOML). Environment variables TRIAGE_<SECTION>__<KEY> override it.
    #[arg(
        long,
        global = true,
        default_value = "config/triage.toml",
        env = "TRIAGE_CONFIG"
    )]
    pub config: PathBuf,
    /// Kafka bootstrap servers (host:port,...). Without them, `run` starts the embedded broker.
    #[arg(long, global = true)]
    pub brokers: Option<String>,
    /// Topic prefix of the crisis (`<prefix>.raw`, `<prefix>.offer`, ...).
    #[arg(long, global = true)]
    pub topic_prefix: Option<String>,
    /// Where the embedded broker keeps its data.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Everything in one process: broker (embedded unless --brokers), ingest, classify, gateway.
    Run(RunArgs),
    /// Ingest posts from platforms, files or the webhook into `<prefix>.raw`.
    Ingest(triage_ingest::IngestArgs),
    /// The classify stage: `<prefix>.raw` → class topics, as a consumer-group member.
    Classify(ClassifyArgs),
    /// The gateway: feeds, map, missing-person records and the dashboard over HTTP.
    Serve(ServeArgs),
    /// Create or list the crisis's topics.
    Topics {
        #[command(subcommand)]
        action: TopicsAction,
    },
    /// Only the embedded Kafka-compatible broker (for running stages as separate processes on one machine).
    Broker(BrokerArgs),
    /// Classify posts offline (no Kafka): JSONL posts or one text per line in, classified records out (JSONL).
    Label(LabelArgs),
    /// Train a model.
    Train(triage_train::TrainArgs),
    /// Evaluate a model on labelled data.
    Eval(triage_train::EvalArgs),
    /// Follow a class topic in the terminal.
    Tail(TailArgs),
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Feed this JSONL file of posts (normalized or raw platform JSON) into the pipeline.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// Replay speed: `max`, or a factor of real time (`60` = a night in ten minutes).
    #[arg(long)]
    pub speed: Option<String>,
    /// Address of the gateway (dashboard and API).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Port of the embedded broker (0 = any free port).
    #[arg(long)]
    pub broker_port: Option<u16>,
    /// Do not start the sources configured in the config file (only --replay, if given).
    #[arg(long)]
    pub no_config_sources: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ClassifyArgs {
    /// Consumer group (all copies with the same group share the raw partitions).
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Subcommand, Debug)]
pub enum TopicsAction {
    /// Create the topics that do not exist yet (idempotent).
    Create,
    /// List the cluster's topics with their partition counts.
    List,
}

#[derive(Args, Debug, Clone)]
pub struct BrokerArgs {
    /// Port on 127.0.0.1 (0 = any free port; the chosen one is printed).
    #[arg(long)]
    pub port: Option<u16>,
    /// `sqlite` (persistent, under --data-dir) or `memory`.
    #[arg(long)]
    pub storage: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct LabelArgs {
    /// Input file; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct TailArgs {
    pub class: Class,
    /// Keep waiting for new records instead of stopping at the end of the topic.
    #[arg(long, short)]
    pub follow: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: TailFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TailFormat {
    Json,
    Text,
}

/// Loads the config file (a missing default file is fine: built-in defaults) and applies the global flags.
pub fn load_config(global: &GlobalArgs) -> anyhow::Result<TriageConfig> {
    let mut config = if global.config.exists() {
        TriageConfig::load(&global.config)?
    } else if global.config == Path::new("config/triage.toml") {
        tracing::info!("no config/triage.toml here: using built-in defaults");
        TriageConfig::default()
    } else {
        anyhow::bail!("config file {} does not exist", global.config.display());
    };
    if let Some(brokers) = &global.brokers {
        config.kafka.brokers = brokers.clone();
    }
    if let Some(prefix) = &global.topic_prefix {
        config.kafka.topic_prefix = prefix.clone();
    }
    if let Some(dir) = &global.data_dir {
        config.broker.data_dir = dir.clone();
    }
    Ok(config)
}

pub async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Train(args) => triage_train::train(args),
        Command::Eval(args) => triage_train::eval(args),
        Command::Label(args) => {
            let config = load_config(&global)?;
            crate::label::label(&config, args.file.as_deref())
        }
        Command::Run(args) => crate::run::run(load_config(&global)?, args).await,
        Command::Ingest(args) => crate::run::ingest_only(load_config(&global)?, args).await,
        Command::Classify(args) => crate::run::classify_only(load_config(&global)?, args).await,
        Command::Serve(args) => crate::run::serve_only(load_config(&global)?, args).await,
        Command::Broker(args) => crate::run::broker_only(load_config(&global)?, args).await,
        Command::Tail(args) => crate::run::tail(load_config(&global)?, args).await,
        Command::Topics { action } => {
            let config = load_config(&global)?;
            let bus =
                crate::run::external_bus(&config).context("`triage topics` needs --brokers")?;
            match action {
                TopicsAction::Create => {
                    let created = triage_bus::admin::ensure_topics(&bus, &bus.topics.all()).await?;
                    println!(
                        "{} topics created, {} already there",
                        created.len(),
                        bus.topics.all().len() - created.len()
                    );
                }
                TopicsAction::List => {
                    for t in triage_bus::admin::list_topics(&bus)? {
                        println!("{}\t{}", t.name, t.partitions);
                    }
                }
            }
            Ok(())
        }
    }
}
