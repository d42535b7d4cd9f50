//! Ad-hoc sources from the command line: `triage ingest --source ...`.

use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

use crate::config::{
    BlueskyConfig, ConfigError, MastodonConfig, ReplayConfig, SourceConfig, WebhookConfig, XConfig,
};
use crate::replay::Speed;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    Mastodon,
    Bluesky,
    X,
    Replay,
    Webhook,
}

/// `triage ingest` arguments. Without `--source`, the `[[ingest.sources]]` of the configuration run.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct IngestArgs {
    /// Run one source given on the command line instead of the configured ones.
    #[arg(long, value_enum)]
    pub source: Option<SourceKind>,
    /// Mastodon instance, e.g. https://mastodon.social
    #[arg(long, value_name = "URL")]
    pub instance: Option<Url>,
    /// Hashtag to follow (repeatable); brings in its configured variants. Default: every hashtag group.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Environment variable holding the Mastodon access token (enables streaming).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Jetstream (wss://...) or X API (https://api.x.com) endpoint.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<Url>,
    /// Environment variable holding the X bearer token.
    #[arg(long, value_name = "VAR")]
    pub bearer_env: Option<String>,
    /// File to replay (JSONL), or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Replay speed: `max`, or a real-time factor (1 = as posted, 10 = ten times faster).
    #[arg(long, default_value = "max")]
    pub speed: Speed,
    /// Write normalized events to stdout as JSONL instead of producing to the raw topic.
    #[arg(long)]
    pub stdout: bool,
    /// Where cursors are kept with --stdout (there is no broker then).
    #[arg(long, value_name = "PATH")]
    pub cursor_file: Option<PathBuf>,
    /// Address the webhook listens on (`--source webhook`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Environment variable holding the webhook's bearer token (`--source webhook`).
    #[arg(long, value_name = "VAR")]
    pub webhook_token_env: Option<String>,
}

fn need<T: Clone>(v: &Option<T>, source: &str, flag: &str) -> Result<T, ConfigError> {
    v.clone()
        .ok_or_else(|| ConfigError::invalid(source, format!("--source {source} needs {flag}")))
}

/// The sources the arguments describe (empty without `--source`: use the configuration's).
pub fn sources_from_args(args: &IngestArgs) -> Result<Vec<SourceConfig>, ConfigError> {
    let Some(kind) = args.source else {
        return Ok(Vec::new());
    };
    let source = match kind {
        SourceKind::Mastodon => {
            let mut c = MastodonConfig::new(need(&args.instance, "mastodon", "--instance URL")?);
            c.tags = args.tags.clone();
            c.token_env = args.token_env.clone();
            SourceConfig::Mastodon(c)
        }
        SourceKind::Bluesky => {
            let mut c =
                BlueskyConfig::new(need(&args.endpoint, "bluesky", "--endpoint wss://...")?);
            c.tags = args.tags.clone();
            SourceConfig::Bluesky(c)
        }
        SourceKind::X => {
            let mut c = XConfig::new(
                args.endpoint
                    .clone()
                    .unwrap_or_else(|| XConfig::new(default_x()).endpoint),
            );
            c.tags = args.tags.clone();
            c.bearer_env = Some(need(&args.bearer_env, "x", "--bearer-env VAR")?);
            SourceConfig::X(c)
        }
        SourceKind::Replay => {
            let mut c = ReplayConfig::new(need(&args.file, "replay", "a FILE (or - for stdin)")?);
            c.speed = args.speed;
            SourceConfig::Replay(c)
        }
        SourceKind::Webhook => SourceConfig::Webhook(WebhookConfig {
            token_env: args.webhook_token_env.clone(),
            allow_anonymous: args.webhook_token_env.is_none()
                && args.listen.is_some_and(|a| a.ip().is_loopback()),
            listen: args.listen.map(|a| a.to_string()),
            ..WebhookConfig::default()
        }),
    };
    Ok(vec![source])
}

fn default_x() -> Url {
    Url::parse("https://api.x.com").expect("constant URL parses")
}
