//! The embedded Kafka-compatible broker.
//!
//! When no brokers are configured, `triage run` starts a [tansu](https://crates.io/crates/tansu) broker inside the
//! process, listening on 127.0.0.1, persisting topics and offsets in SQLite under the data directory so that a
//! restart keeps them. The rest of triage talks to it through the ordinary Kafka protocol (rdkafka), exactly as it
//! talks to Apache Kafka, Redpanda or MSK: nothing outside this crate knows the broker is embedded.
//!
//! tansu 0.6.0 facts that shape this code (checked on this machine, see ARCHITECTURE.md):
//! - the advertised listener is fixed when the broker is built, so a free port is chosen first;
//! - it listens on IPv4 only, so everything uses 127.0.0.1;
//! - the SQLite storage URL is resolved against the current directory (`sqlite://a/b.db` is `$PWD/a/b.db`), and
//!   an absolute path must be written `sqlite:////abs/b.db`;
//! - `serve()` installs no signal handler and has no stop method: the broker runs on a thread of its own with its
//!   own runtime, and stopping it means dropping that runtime.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use tracing::{info, warn};
use url::Url;
use uuid::Uuid;

/// Where the embedded broker keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// SQLite file `broker.db` under this directory (created if missing). Survives restarts.
    Sqlite(PathBuf),
    /// In memory: fastest, lost on exit. For benchmarks and throwaway runs.
    Memory,
}

#[derive(Clone, Debug)]
pub struct EmbeddedBrokerConfig {
    pub storage: Storage,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long to wait for the broker to accept connections.
    pub start_timeout: Duration,
}

impl Default for EmbeddedBrokerConfig {
    fn default() -> Self {
        EmbeddedBrokerConfig {
            storage: Storage::Sqlite(PathBuf::from("triage-data")),
            port: 0,
            start_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot create the broker's data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find a free port on 127.0.0.1: {0}")]
    Port(std::io::Error),
    #[error("bad broker URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("the embedded broker failed to start: {0}")]
    Start(String),
    #[error("the embedded broker did not accept connections on {addr} within {waited:?}")]
    NotReady { addr: SocketAddr, waited: Duration },
}

/// A running embedded broker. Dropping it (or calling [`EmbeddedBroker::stop`]) stops the broker.
pub struct EmbeddedBroker {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EmbeddedBroker {
    /// Starts the broker on its own thread and waits until it accepts TCP connections.
    pub fn start(config: EmbeddedBrokerConfig) -> Result<EmbeddedBroker, BrokerError> {
        let storage_url = storage_url(&config.storage)?;
        let port = match config.port {
            0 => free_port().map_err(BrokerError::Port)?,
            p => p,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = Url::parse(&format!("tcp://{addr}"))?;

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let thread = thread::Builder::new()
            .name("triage-broker".into())
            .spawn(move || run_broker(listener, storage_url, stop_rx, ready_tx))
            .map_err(|e| BrokerError::Start(e.to_string()))?;

        match ready_rx.recv_timeout(config.start_timeout) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(BrokerError::Start(e)),
            Err(_) => {
                return Err(BrokerError::NotReady {
                    addr,
                    waited: config.start_timeout,
                });
            }
        }
        let broker = EmbeddedBroker {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        wait_until_listening(addr, config.start_timeout)?;
        info!(%addr, storage = ?config.storage, "embedded broker listening");
        Ok(broker)
    }

    /// The bootstrap address to give Kafka clients (`127.0.0.1:PORT`).
    pub fn bootstrap_servers(&self) -> String {
        self.addr.to_string()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the broker and waits for its thread. SQLite commits every write, so nothing acknowledged is lost.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            warn!("the embedded broker thread panicked while stopping");
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn run_broker(
    listener: Url,
    storage: Url,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: mpsc::Sender<Result<(), String>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("triage-broker-rt")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot start the broker's runtime: {e}")));
            return;
        }
    };
    runtime.block_on(async move {
        let built = tansu_broker::broker::Broker::<
            tansu_broker::coordinator::group::administrator::Controller<
                tansu_storage::StorageContainer,
            >,
            tansu_storage::StorageContainer,
        >::builder()
        .node_id(111)
        .cluster_id("triage")
        .incarnation_id(Uuid::new_v4())
        .advertised_listener(listener.clone())
        .storage(storage)
        .listener(listener)
        .silent(true)
        .build()
        .await;
        let mut broker = match built {
            Ok(b) => b,
            Err(e) => {
                let _ = ready.send(Err(format!("{e:?}")));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        tokio::select! {
            served = broker.serve(tokio::time::Instant::now()) => {
                if let Err(e) = served {
                    tracing::error!(error = ?e, "embedded broker stopped with an error");
                }
            }
            _ = stop => {}
        }
    });
    // Dropping the runtime cancels the broker's tasks and closes its sockets.
    runtime.shutdown_timeout(Duration::from_secs(2));
}

/// The tansu storage URL for `storage` (see the crate docs for how tansu resolves SQLite paths).
pub fn storage_url(storage: &Storage) -> Result<Url, BrokerError> {
    match storage {
        Storage::Memory => Ok(Url::parse("memory://triage/")?),
        Storage::Sqlite(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| BrokerError::DataDir {
                path: dir.clone(),
                source,
            })?;
            let dir = std::path::absolute(dir).map_err(|source| BrokerError::DataDir {
                path: dir.clone(),
                source,
            })?;
            Ok(Url::parse(&format!(
                "sqlite:///{}",
                sqlite_path(&dir.join("broker.db"))
            ))?)
        }
    }
}

fn sqlite_path(path: &Path) -> String {
    // `sqlite:///` + `/abs/path` gives the URL path `//abs/path`, which tansu strips to `/abs/path`.
    path.to_string_lossy().into_owned()
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn wait_until_listening(addr: SocketAddr, timeout: Duration) -> Result<(), BrokerError> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(BrokerError::NotReady {
        addr,
        waited: timeout,
    })
}
