//! `config/triage.toml`: one typed section per component, unknown keys refused, errors that name the file,
//! the line and the key. Environment variables override file values: `TRIAGE_<SECTION>__<KEY>=value`
//! (`TRIAGE_KAFKA__BROKERS=kafka-1:9092`, `TRIAGE_GATEWAY__LISTEN=0.0.0.0:8080`); a value is read as TOML when
//! it parses as such (numbers, booleans, arrays) and as a string otherwise.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageConfig {
    #[serde(default)]
    pub kafka: triage_bus::BusConfig,
    #[serde(default)]
    pub broker: BrokerSection,
    #[serde(default)]
    pub ingest: triage_ingest::IngestConfig,
    #[serde(default)]
    pub classify: ClassifySection,
    #[serde(default)]
    pub classifier: triage_classify::ClassifierConfig,
    #[serde(default)]
    pub gateway: triage_gateway::GatewayConfig,
}

/// `[broker]`: the embedded broker, used when `kafka.brokers` is empty.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerSection {
    /// Where topics and offsets persist (SQLite). Relative paths are relative to the working directory.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// 0 picks a free port.
    #[serde(default)]
    pub port: u16,
    /// `sqlite` (persistent) or `memory`.
    #[serde(default = "default_storage")]
    pub storage: String,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("triage-data")
}
fn default_storage() -> String {
    "sqlite".into()
}

impl Default for BrokerSection {
    fn default() -> Self {
        BrokerSection {
            data_dir: default_data_dir(),
            port: 0,
            storage: default_storage(),
        }
    }
}

/// `[classify]`: the classify stage, and where a desk's edited model and resources live. The classifier's own
/// settings (thresholds, near-duplicate window) are the `[classifier]` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifySection {
    /// A model file from `triage train`; the built-in default model when absent.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// A directory of lexicon files replacing the built-in ones (see config/lexicons/).
    #[serde(default)]
    pub lexicons: Option<PathBuf>,
    /// Gazetteer CSV files replacing the built-in Paris one.
    #[serde(default)]
    pub gazetteers: Vec<PathBuf>,
    /// Consumer group of the classify stage (default `<prefix>.classify`).
    #[serde(default)]
    pub group_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl TriageConfig {
    /// Reads `path`, then applies `TRIAGE_*` environment overrides.
    pub fn load(path: &Path) -> Result<TriageConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        // Only `TRIAGE_<SECTION>__<KEY>` names are overrides: other TRIAGE_* variables belong to the CLI
        // (TRIAGE_CONFIG), to credentials (TRIAGE_MASTODON_TOKEN, TRIAGE_X_BEARER, ...) or to the test harness
        // (TRIAGE_SKIP_BROWSER, TRIAGE_CHROMIUM), and must not make the configuration fail to load.
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("TRIAGE_") && k.contains("__"))
            .collect();
        TriageConfig::parse(&text, path, &env)
    }

    /// Parses config text; `env` are the override variables to apply.
    pub fn parse(
        text: &str,
        path: &Path,
        env: &[(String, String)],
    ) -> Result<TriageConfig, ConfigError> {
        // First the file alone, so that a mistake in it is reported with its line.
        let mut table: toml::Table = toml::from_str(text).map_err(|e| located(e, text, path))?;
        let _: TriageConfig = toml::from_str(text).map_err(|e| located(e, text, path))?;
        if env.is_empty() {
            return toml::from_str(text).map_err(|e| located(e, text, path));
        }
        for (var, value) in env {
            apply_override(&mut table, var, value)?;
        }
        let vars: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        TriageConfig::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
            var: vars.join(", "),
            message: e.message().to_owned(),
        })
    }
}

fn apply_override(table: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    let Some(path) = var.strip_prefix("TRIAGE_") else {
        return Ok(());
    };
    let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
    if keys.len() < 2 || keys.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            var: var.to_owned(),
            message: "expected TRIAGE_<SECTION>__<KEY> (two underscores between levels)".into(),
        });
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()));
    let mut node = table;
    for key in &keys[..keys.len() - 1] {
        let entry = node
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            var: var.to_owned(),
            message: format!("`{key}` is not a section"),
        })?;
    }
    node.insert(keys[keys.len() - 1].clone(), parsed);
    Ok(())
}

/// Turns a toml error into file:line: key `a.b`: message.
fn located(error: toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let offset = error.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
    let header = |l: &str| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned();
    let key = if line_text.starts_with('[') {
        // The error is about a table header itself (an unknown section).
        header(line_text)
    } else {
        let section = text
            .lines()
            .take(line - 1)
            .map(str::trim)
            .filter(|l| l.starts_with('['))
            .last()
            .map(header);
        let key = line_text
            .split('=')
            .next()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        match (section, key) {
            (Some(s), Some(k)) => format!("{s}.{k}"),
            (None, Some(k)) => k.to_owned(),
            (Some(s), None) => s,
            (None, None) => "(document)".to_owned(),
        }
    };
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        key,
        message: error.message().trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        TriageConfig::parse(text, Path::new("t.toml"), &[])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = err("[kafka]\ntopic_prefix = \"x\"\npartitons = 3\n");
        assert!(
            e.starts_with("t.toml:3: key `kafka.partitons`: unknown field `partitons`"),
            "{e}"
        );
    }

    #[test]
    fn bad_value_names_file_line_and_key() {
        let e = err("[kafka]\n\npartitions = \"three\"\n");
        assert!(e.starts_with("t.toml:3: key `kafka.partitions`:"), "{e}");
    }

    #[test]
    fn unknown_section_is_an_error() {
        let e = err("[kafak]\nbrokers = \"a:1\"\n");
        assert!(e.starts_with("t.toml:1: key `kafak`"), "{e}");
    }

    #[test]
    fn env_overrides_file_values() {
        let env = vec![
            (
                "TRIAGE_KAFKA__BROKERS".to_owned(),
                "k1:9092,k2:9092".to_owned(),
            ),
            ("TRIAGE_KAFKA__PARTITIONS".to_owned(), "12".to_owned()),
        ];
        let cfg =
            TriageConfig::parse("[kafka]\nbrokers = \"a:1\"\n", Path::new("t.toml"), &env).unwrap();
        assert_eq!(cfg.kafka.brokers, "k1:9092,k2:9092");
        assert_eq!(cfg.kafka.partitions, 12);
    }

    #[test]
    fn bad_env_override_names_the_variable() {
        let env = vec![("TRIAGE_KAFKA__PARTITIONS".to_owned(), "many".to_owned())];
        let e = TriageConfig::parse("", Path::new("t.toml"), &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("TRIAGE_KAFKA__PARTITIONS"), "{e}");
    }

    #[test]
    fn the_documented_default_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/triage.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        TriageConfig::parse(&text, &path, &[]).unwrap();
    }
}
