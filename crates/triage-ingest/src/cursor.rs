//! Durable cursors: where each source resumes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::future::BoxFuture;

#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    #[error("cursor file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cursor file {path} is not a JSON object of strings ({source}); fix or delete it to start over"
    )]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cursor store unavailable: {0}")]
    Unavailable(String),
}

impl CursorError {
    /// A [`CursorError::Unavailable`] with this message.
    pub fn new(message: impl Into<String>) -> Self {
        CursorError::Unavailable(message.into())
    }
}

/// Durable cursors (in production over a compacted `<prefix>.cursors` topic). Sources save a cursor only after
/// the events before it were acknowledged by the sink. Implement it with `async fn load` / `async fn save`.
pub trait CursorStore: Send + Sync {
    fn load(&self, key: &str) -> impl Future<Output = Result<Option<String>, CursorError>> + Send;
    fn save(&self, key: &str, value: &str) -> impl Future<Output = Result<(), CursorError>> + Send;
}

/// The object-safe form of [`CursorStore`], implemented for every `CursorStore` (see [`crate::DynRawSink`]).
pub trait DynCursorStore: Send + Sync {
    fn load_boxed<'a>(&'a self, key: &'a str)
    -> BoxFuture<'a, Result<Option<String>, CursorError>>;
    fn save_boxed<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorError>>;
}

impl<T: CursorStore> DynCursorStore for T {
    fn load_boxed<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CursorError>> {
        Box::pin(self.load(key))
    }

    fn save_boxed<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), CursorError>> {
        Box::pin(self.save(key, value))
    }
}

/// Cursors in memory; share one between two runs to simulate a restart.
#[derive(Default)]
pub struct MemoryCursorStore {
    map: Mutex<HashMap<String, String>>,
}

impl MemoryCursorStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl CursorStore for MemoryCursorStore {
    async fn load(&self, key: &str) -> Result<Option<String>, CursorError> {
        Ok(self.get(key))
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CursorError> {
        self.lock().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

/// Cursors in one JSON file (`{"key": "value", ...}`), for `triage ingest --stdout` where there is no broker.
/// Every save rewrites the file through a temporary file and a rename, so a crash never leaves half a file.
pub struct FileCursorStore {
    path: PathBuf,
    map: tokio::sync::Mutex<BTreeMap<String, String>>,
}

impl FileCursorStore {
    /// Opens the file, or starts empty if it does not exist yet.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CursorError> {
        let path = path.as_ref().to_path_buf();
        let map = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| CursorError::Corrupt {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(CursorError::Io { path, source }),
        };
        Ok(FileCursorStore {
            path,
            map: tokio::sync::Mutex::new(map),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CursorStore for FileCursorStore {
    async fn load(&self, key: &str) -> Result<Option<String>, CursorError> {
        Ok(self.map.lock().await.get(key).cloned())
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CursorError> {
        let mut map = self.map.lock().await;
        map.insert(key.to_owned(), value.to_owned());
        let bytes = serde_json::to_vec_pretty(&*map)
            .map_err(|e| CursorError::Unavailable(e.to_string()))?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let io = |source| CursorError::Io {
            path: self.path.clone(),
            source,
        };
        tokio::fs::write(&tmp, &bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &self.path).await.map_err(io)?;
        Ok(())
    }
}
