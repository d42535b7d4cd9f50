//! Test harness (feature `testing`): a gateway on a free port, and a headless Chromium driven over WebDriver
//! (`chromedriver`, started here on a free port) that knows the dashboard's DOM contract.
//!
//! Used by this crate's `tests/browser.rs` and meant for the root's end-to-end test (a post replayed into the
//! whole pipeline must show on the page within 2 s):
//!
//! ```no_run
//! # async fn e2e() -> Result<(), triage_gateway::testing::BrowserError> {
//! use triage_gateway::testing::{Browser, skip_browser_tests};
//! if skip_browser_tests() { return Ok(()); }
//! let browser = Browser::launch().await?;            // fails with "run scripts/install-test-deps.sh" if absent
//! browser.open_dashboard("http://127.0.0.1:8080").await?;
//! // ... replay a post into the pipeline ...
//! browser.wait_for_card(triage_model::Class::Offer, "sample:1", std::time::Duration::from_secs(2)).await?;
//! browser.assert_text_only(triage_model::Class::Offer, "sample:1").await?;
//! browser.close().await
//! # }
//! ```
//!
//! DOM contract of the dashboard (kept stable for these helpers): one `section#col-<class>` per class; each
//! post is an `article.post` with `data-id="<post id>"` inside `#col-<class> .cards`, its text in
//! `.post-text`, its button `.handle-btn`, and the class `handled` once marked; `body[data-ready="1"]` once the
//! page is initialised; `#status` says `live · n/n feeds` when every feed is connected.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::{process::Child, sync::oneshot, task::JoinHandle};
use triage_model::Class;

use crate::{Gateway, GatewayConfig};

/// A gateway serving on `127.0.0.1:<free port>` for a test.
pub struct TestServer {
    pub gateway: Gateway,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts `Gateway::new(config)` on a free local port.
    pub async fn start(config: GatewayConfig) -> std::io::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let gateway = Gateway::new(config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(TestServer {
            gateway,
            addr,
            base_url: format!("http://{addr}"),
            stop: Some(stop),
            task,
        })
    }

    /// Graceful shutdown (open SSE streams are ended).
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(Duration::from_secs(10), &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(std::io::Error::other(join)),
            Err(_) => Err(std::io::Error::other(
                "gateway did not shut down within 10 s",
            )),
        }
    }
}

/// Why the browser harness failed.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "headless Chromium is not installed ({what} not found at {path}).\n\
         Run `scripts/install-test-deps.sh` (installs the Debian packages chromium and chromium-driver), \
         or set TRIAGE_SKIP_BROWSER=1 to skip the browser tests on purpose."
    )]
    NotInstalled { what: &'static str, path: PathBuf },
    #[error("could not start chromedriver: {0}")]
    Driver(std::io::Error),
    #[error("could not open a WebDriver session with Chromium: {0}")]
    Session(String),
    #[error("WebDriver command failed: {0}")]
    Command(#[from] fantoccini::error::CmdError),
    #[error("timed out after {0:?}: {1}")]
    Timeout(Duration, String),
    #[error("dashboard check failed: {0}")]
    Check(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// True (with a loud notice on stderr) when `TRIAGE_SKIP_BROWSER=1`: the caller returns early. Without it, a
/// missing Chromium is a test failure, never a silent skip.
pub fn skip_browser_tests() -> bool {
    if std::env::var("TRIAGE_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !!! TRIAGE_SKIP_BROWSER=1: the dashboard browser test was SKIPPED, NOT RUN. !!!\n\
             !!! Install Chromium with scripts/install-test-deps.sh and unset it.        !!!\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        return true;
    }
    false
}

fn find_binary(
    env: &str,
    candidates: &[&str],
    what: &'static str,
) -> Result<PathBuf, BrowserError> {
    if let Ok(p) = std::env::var(env) {
        let p = PathBuf::from(p);
        return if p.exists() {
            Ok(p)
        } else {
            Err(BrowserError::NotInstalled { what, path: p })
        };
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| BrowserError::NotInstalled {
            what,
            path: PathBuf::from(candidates[0]),
        })
}

fn free_port() -> std::io::Result<u16> {
    // The port is free now; chromedriver takes it a moment later (a tiny race, retried by `launch`).
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A headless Chromium session.
pub struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session with a fresh profile.
    /// Binaries: `TRIAGE_CHROMEDRIVER` / `TRIAGE_CHROMIUM`, else the Debian paths.
    pub async fn launch() -> Result<Browser, BrowserError> {
        let driver_bin = find_binary(
            "TRIAGE_CHROMEDRIVER",
            &["/usr/bin/chromedriver"],
            "chromedriver",
        )?;
        // The real binary rather than Debian's /usr/bin/chromium wrapper script, when present.
        let chromium = find_binary(
            "TRIAGE_CHROMIUM",
            &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
            "chromium",
        )?;
        let chromium = if chromium == Path::new("/usr/bin/chromium")
            && Path::new("/usr/lib/chromium/chromium").exists()
        {
            PathBuf::from("/usr/lib/chromium/chromium")
        } else {
            chromium
        };
        let profile = tempfile::Builder::new()
            .prefix("triage-chromium-")
            .tempdir()?;

        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port()?;
            let mut driver = tokio::process::Command::new(&driver_bin)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(BrowserError::Driver)?;
            let caps = json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--disable-quic",
                        "--disable-dev-shm-usage",
                        "--window-size=1440,900",
                        format!("--user-data-dir={}", profile.path().display()),
                    ],
                },
            });
            let serde_json::Value::Object(caps) = caps else {
                unreachable!("built as an object")
            };
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector)
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await
                {
                    Ok(client) => {
                        return Ok(Browser {
                            client,
                            driver,
                            _profile: profile,
                        });
                    }
                    Err(e) => {
                        last_error = e.to_string();
                        if let Ok(Some(status)) = driver.try_wait() {
                            last_error = format!("chromedriver exited ({status}): {last_error}");
                            break;
                        }
                        if Instant::now() > deadline {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            let _ = driver.kill().await;
        }
        Err(BrowserError::Session(last_error))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a script in the page (`arguments[i]` are `args`) and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value, BrowserError> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Polls `script` (must return a boolean) every 50 ms until it is true.
    pub async fn wait_until(
        &self,
        what: &str,
        script: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.js(script, args.clone()).await? == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Timeout(timeout, what.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Loads the dashboard and waits until it is initialised and every feed is connected.
    pub async fn open_dashboard(&self, base_url: &str) -> Result<(), BrowserError> {
        self.client
            .goto(&format!("{}/", base_url.trim_end_matches('/')))
            .await?;
        self.wait_until(
            "dashboard ready with all feeds live",
            "return document.body.dataset.ready === '1' && /^live · (\\d+)\\/\\1 feeds$/.test(document.getElementById('status').textContent);",
            vec![],
            Duration::from_secs(15),
        )
        .await
    }

    /// Waits until the post `id` shows in the column of `class`; returns how long it took.
    pub async fn wait_for_card(
        &self,
        class: Class,
        id: &str,
        timeout: Duration,
    ) -> Result<Duration, BrowserError> {
        let started = Instant::now();
        self.wait_until(
            &format!("post `{id}` in the {class} column"),
            "return Array.from(document.querySelectorAll('#col-' + arguments[0] + ' .post')).some(c => c.dataset.id === arguments[1]);",
            vec![json!(class.as_str()), json!(id)],
            timeout,
        )
        .await?;
        Ok(started.elapsed())
    }

    /// The card's `.post-text` as the user sees it (`textContent`).
    pub async fn card_text(&self, class: Class, id: &str) -> Result<String, BrowserError> {
        let v = self
            .js(
                "const c = Array.from(document.querySelectorAll('#col-' + arguments[0] + ' .post')).find(c => c.dataset.id === arguments[1]);\
                 return c ? c.querySelector('.post-text').textContent : null;",
                vec![json!(class.as_str()), json!(id)],
            )
            .await?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| BrowserError::Check(format!("no card for `{id}`")))
    }

    /// Checks that the post's text was rendered as text: no element inside any card other than the
    /// dashboard's own, and the page's XSS canary (`window.__xss`, set by test payloads) untouched.
    pub async fn assert_text_only(&self, class: Class, id: &str) -> Result<(), BrowserError> {
        let v = self
            .js(
                "const c = Array.from(document.querySelectorAll('#col-' + arguments[0] + ' .post')).find(c => c.dataset.id === arguments[1]);\
                 if (!c) return 'no card';\
                 const t = c.querySelector('.post-text');\
                 if (t.children.length) return 'elements inside .post-text: ' + t.innerHTML;\
                 const bad = document.querySelectorAll('#columns img, #columns script, #columns iframe, #columns svg, #columns [onerror], #columns [onload]');\
                 if (bad.length) return bad.length + ' injected element(s) in the columns';\
                 if (typeof window.__xss !== 'undefined') return 'a script from a post ran (window.__xss = ' + window.__xss + ')';\
                 return 'ok';",
                vec![json!(class.as_str()), json!(id)],
            )
            .await?;
        match v.as_str() {
            Some("ok") => Ok(()),
            other => Err(BrowserError::Check(format!(
                "post `{id}` not rendered as text: {other:?}"
            ))),
        }
    }

    /// Clicks the card's "mark as handled" button and waits until the card shows as handled.
    pub async fn mark_handled(
        &self,
        class: Class,
        id: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let clicked = self
            .js(
                "const c = Array.from(document.querySelectorAll('#col-' + arguments[0] + ' .post')).find(c => c.dataset.id === arguments[1]);\
                 return !!c;",
                vec![json!(class.as_str()), json!(id)],
            )
            .await?;
        if clicked != Value::Bool(true) {
            return Err(BrowserError::Check(format!("no card for `{id}`")));
        }
        // A real click through WebDriver (not element.click() in JS), as a user would.
        let cards = self
            .client
            .find_all(fantoccini::Locator::Css(&format!(
                "#col-{} .post",
                class.as_str()
            )))
            .await?;
        let mut button = None;
        for card in cards {
            if card.attr("data-id").await?.as_deref() == Some(id) {
                button = Some(card.find(fantoccini::Locator::Css(".handle-btn")).await?);
                break;
            }
        }
        let button = button.ok_or_else(|| BrowserError::Check(format!("no button for `{id}`")))?;
        button.click().await?;
        self.wait_until(
            &format!("post `{id}` marked handled"),
            "const c = Array.from(document.querySelectorAll('#col-' + arguments[0] + ' .post')).find(c => c.dataset.id === arguments[1]);\
             return !!c && c.classList.contains('handled');",
            vec![json!(class.as_str()), json!(id)],
            timeout,
        )
        .await
    }

    /// Saves a PNG screenshot of the page.
    pub async fn screenshot(&self, path: &Path) -> Result<(), BrowserError> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Ends the session (Chromium exits) and stops chromedriver.
    pub async fn close(mut self) -> Result<(), BrowserError> {
        let closed = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        closed?;
        Ok(())
    }
}
