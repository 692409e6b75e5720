//! Starts the real app on port 0 with a fresh database, a manual clock and
//! the Slack simulator, and talks to it only the way Slack does. A test that
//! asks for it drives pacing and Retry-After with a manual timer too.
//!
//! The database is a SQLite file, or in the `e2e_postgres` binary (or with
//! `NEEDFUL_TEST_DATABASE=postgres`) a fresh database on the run's
//! throwaway PostgreSQL ([`super::postgres::server`]): the whole suite runs
//! on both engines.
// Each test module uses a different part of this toolkit.
#![allow(dead_code)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeZone, Utc};
use needful::{
    Application, Mode,
    clock::{ManualClock, ManualTimer, SharedTimer, Timer},
    config::{EnvSettings, Secret, Settings, TeamConfig},
    slack_sim::{SimConfig, SlackSender, SlackSim},
    storage::{Db, Writer, sql::numbered},
};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The team config most tests run with: #humblebrag and one pod, fast outbox.
pub const DEFAULT_CONFIG: &str = r#"
[kudos]
channel = "C0HUMBLEBR"
reactions = ["trophy"]
daily_limit = 5

[trophy]
name = "Needful Trophy"

[[pods]]
name = "support"
channel = "C0SUPPORT1"
managers = ["U0MANAGER1"]
members = ["U0ALICE001", "U0BOB00001", "U0CAROL001"]
timezone = "Europe/Berlin"
checkin_at = "09:00"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
help_channels = ["C0SALES001"]

[outbox]
channel_interval = "1s"
home_interval = "20ms"
base_backoff = "50ms"
max_backoff = "200ms"
poll_interval = "20ms"
give_up_after = "1h"
"#;

pub struct TestOptions {
    pub config: String,
    pub mode: Mode,
    pub start: DateTime<Utc>,
    /// Signing secrets accepted besides the simulator's (a rotation in progress).
    pub extra_secrets: Vec<String>,
    /// Environment settings on top of the test defaults, e.g. short timeouts.
    pub env: Vec<(&'static str, String)>,
    /// Pacing, Retry-After and backoff (the bot's and the simulator's) wait
    /// for [`TestApp::advance_timer`] instead of real time.
    pub manual_timer: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            config: DEFAULT_CONFIG.to_string(),
            mode: Mode::Http,
            // A Wednesday morning in Berlin.
            start: Utc
                .with_ymd_and_hms(2026, 11, 25, 8, 30, 0)
                .single()
                .expect("valid date"),
            extra_secrets: Vec::new(),
            env: Vec::new(),
            manual_timer: false,
        }
    }
}

impl TestOptions {
    /// The default config without its pod, for tests that count every message:
    /// the pod's check-in prompt is due at the default start (09:30 in Berlin).
    pub fn without_pods() -> Self {
        let (head, rest) = DEFAULT_CONFIG
            .split_once("[[pods]]")
            .unwrap_or((DEFAULT_CONFIG, ""));
        let tail = rest.find("[outbox]").map_or("", |i| &rest[i..]);
        Self {
            config: format!("{head}{tail}"),
            ..Self::default()
        }
    }
}

/// The rows `sql` reads from `db` with `binds` (texts) bound, on either
/// engine (`?` placeholders).
pub async fn rows_in<T>(db: &Db, sql: &str, binds: &[&str]) -> Vec<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match db {
        Db::Sqlite(pool) => {
            let mut q = sqlx::query_as(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_all(pool).await
        }
        Db::Postgres(pool) => {
            let sql = numbered(sql);
            let mut q = sqlx::query_as(&sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_all(pool).await
        }
    }
    .unwrap_or_else(|e| panic!("{sql} fails: {e}"))
}

/// The one value `sql` reads from `db`, on either engine.
pub async fn scalar_in<T>(db: &Db, sql: &str) -> T
where
    T: Send + Unpin,
    (T,): for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut rows: Vec<(T,)> = rows_in(db, sql, &[]).await;
    assert!(!rows.is_empty(), "{sql} read no row");
    rows.swap_remove(0).0
}

/// A second connection holding the database's write lock.
pub enum Locker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Locker {
    /// Gives the lock back.
    pub async fn release(self) {
        match self {
            Locker::Sqlite(mut c) => drop(sqlx::query("ROLLBACK").execute(&mut c).await),
            Locker::Postgres(mut c) => drop(sqlx::query("ROLLBACK").execute(&mut c).await),
        }
    }
}

pub struct TestApp {
    pub address: String,
    /// `http://…` of the internal `/metrics` listener, when one was asked for.
    pub metrics_address: Option<String>,
    pub sim: SlackSim,
    pub slack: SlackSender,
    pub clock: Arc<ManualClock>,
    /// Set when the test asked for a manual timer.
    pub timer: Option<Arc<ManualTimer>>,
    /// The app's read-only pool: a test writes through `writer`.
    pub db: Db,
    /// The app's writer, which every write goes through.
    pub writer: Writer,
    /// How the app's writes are going (what `/healthz` reads).
    pub writes: Arc<needful::storage::health::WriteHealth>,
    pub dir: Arc<TempDir>,
    ticks: tokio::sync::watch::Sender<DateTime<Utc>>,
    outbox_idle: tokio::sync::watch::Receiver<Instant>,
    pub options_config: String,
    pub mode: Mode,
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

/// An app on PostgreSQL whichever binary runs it (for tests of several
/// replicas on one database); None, said once, without PostgreSQL's
/// binaries.
pub async fn spawn_on_postgres(options: TestOptions) -> Option<TestApp> {
    let pg = super::postgres::server()?;
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    std::fs::write(dir.path().join("postgres-url"), pg.database().await)
        .expect("the database's URL is kept");
    Some(spawn_app_in(options, dir).await)
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    spawn_app_in(options, Arc::new(tempfile::tempdir().expect("temp dir"))).await
}

async fn spawn_app_in(options: TestOptions, dir: Arc<TempDir>) -> TestApp {
    let timer = options.manual_timer.then(ManualTimer::new);
    let sim = match &timer {
        Some(timer) => SlackSim::start_timed(SimConfig::default(), timer.clone()).await,
        None => SlackSim::start(SimConfig::default()).await,
    };
    let clock = ManualClock::new(options.start);
    start_with_secrets(
        sim,
        dir,
        clock,
        timer,
        options.config,
        options.mode,
        &options.extra_secrets,
        &options.env,
    )
    .await
}

/// True when this binary's apps use PostgreSQL: the `e2e_postgres` test
/// binary, or any with `NEEDFUL_TEST_DATABASE=postgres`.
pub fn on_postgres() -> bool {
    crate::POSTGRES || std::env::var("NEEDFUL_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// Says why a test that is about SQLite itself (its file, its locks, its
/// write-ahead log) does not run on PostgreSQL, and returns true then.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("SKIPPED on PostgreSQL: {what} is SQLite's");
    }
    on_postgres()
}

/// True (and says so) in the PostgreSQL binary, for a test that does not
/// depend on the app's engine (it picks its databases itself): it runs
/// once, in the first binary.
pub fn first_binary_only() -> bool {
    if crate::POSTGRES {
        eprintln!("SKIPPED here: it picks its own databases and runs in the e2e binary");
    }
    crate::POSTGRES
}

/// The database of the app kept in `dir`: its SQLite file, or on PostgreSQL
/// a fresh database, created the first time and kept for restarts.
pub async fn database_url(dir: &TempDir) -> String {
    let kept = dir.path().join("postgres-url");
    if let Ok(url) = std::fs::read_to_string(&kept) {
        return url;
    }
    if !on_postgres() {
        return format!("sqlite://{}", dir.path().join("needful.db").display());
    }
    let pg = super::postgres::server().expect(
        "NEEDFUL_TEST_DATABASE=postgres needs PostgreSQL's binaries (see tests/e2e/postgres.rs)",
    );
    let url = pg.database().await;
    std::fs::write(&kept, &url).expect("the database's URL is kept");
    url
}

/// The database of the app already started in `dir` ([`database_url`]).
pub fn app_database_url(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.path().join("postgres-url"))
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("needful.db").display()))
}

fn settings(
    sim: &SlackSim,
    db_url: String,
    config: &str,
    extra_env: &[(&'static str, String)],
) -> Settings {
    let sim_config = sim.config().clone();
    let api_url = sim.api_url();
    let mut env = EnvSettings::from_lookup(|key| match key {
        "SLACK_API_URL" => Some(api_url.clone()),
        "DATABASE_URL" => Some(db_url.clone()),
        "NEEDFUL_LISTEN" => Some("127.0.0.1:0".to_string()),
        _ => extra_env
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()),
    })
    .expect("test env parses");
    env.bot_token = Secret::new(sim_config.bot_token.clone());
    env.app_token = Some(Secret::new(sim_config.app_token.clone()));
    env.signing_secrets = vec![Secret::new(sim_config.signing_secret.clone())];
    let team = TeamConfig::parse(config, "test.toml").expect("test config parses");
    Settings { env, team }
}

async fn start(
    sim: SlackSim,
    dir: Arc<TempDir>,
    clock: Arc<ManualClock>,
    timer: Option<Arc<ManualTimer>>,
    config: String,
    mode: Mode,
) -> TestApp {
    start_with_secrets(sim, dir, clock, timer, config, mode, &[], &[]).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "a test helper with one caller each way"
)]
async fn start_with_secrets(
    sim: SlackSim,
    dir: Arc<TempDir>,
    clock: Arc<ManualClock>,
    timer: Option<Arc<ManualTimer>>,
    config: String,
    mode: Mode,
    extra_secrets: &[String],
    extra_env: &[(&'static str, String)],
) -> TestApp {
    let mut settings = settings(&sim, database_url(&dir).await, &config, extra_env);
    settings
        .env
        .signing_secrets
        .extend(extra_secrets.iter().map(Secret::new));
    let app_timer = timer.clone().map(|t| t as SharedTimer);
    let app = Application::build(settings, Some(clock.clone()), app_timer, mode)
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
    let db = app.state().team.db.clone();
    let writer = app.state().team.writer.clone();
    let writes = app.state().team.writes.clone();
    let ticks = app.state().ticks.clone();
    let outbox_idle = app.state().outbox.idle();
    let shutdown = app.shutdown_token();
    let handle = tokio::spawn(app.run_until_stopped());
    let slack = sim.sender(&address);
    if mode == Mode::SocketMode {
        sim.wait_socket_connected(1, Duration::from_secs(10)).await;
    }
    TestApp {
        address,
        metrics_address,
        sim,
        slack,
        clock,
        timer,
        db,
        writer,
        writes,
        dir,
        ticks,
        outbox_idle,
        options_config: config,
        mode,
        shutdown,
        handle,
    }
}

impl TestApp {
    /// Asks the app to stop (as SIGTERM does) without waiting for it.
    pub fn begin_stop(&self) {
        self.shutdown.cancel();
    }

    /// Whether the app has finished stopping.
    pub fn stopped(&self) -> bool {
        self.handle.is_finished()
    }

    /// Stops the app gracefully and waits for it to finish.
    pub async fn stop(self) -> (SlackSim, Arc<TempDir>, Arc<ManualClock>, String, Mode) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .expect("app stops within 15 s")
            .expect("app task joins")
            .expect("app exits cleanly");
        (
            self.sim,
            self.dir,
            self.clock,
            self.options_config,
            self.mode,
        )
    }

    /// Another replica of this app: the same database, simulator, clock,
    /// timer and setup file, its own port, writer and outbox worker.
    pub async fn replica(&self) -> TestApp {
        start(
            self.sim.clone(),
            self.dir.clone(),
            self.clock.clone(),
            self.timer.clone(),
            self.options_config.clone(),
            self.mode,
        )
        .await
    }

    /// Stops the app and starts a new one on the same database, simulator
    /// and timer.
    pub async fn restart(self) -> TestApp {
        let timer = self.timer.clone();
        let (sim, dir, clock, config, mode) = self.stop().await;
        start(sim, dir, clock, timer, config, mode).await
    }

    /// Moves the manual timer on by `by` and waits (bounded) until the outbox
    /// has tried every message due by then. Tests never sleep waiting for
    /// pacing or a Retry-After.
    pub async fn advance_timer(&self, by: Duration) {
        let timer = self
            .timer
            .as_ref()
            .expect("the test asked for a manual timer");
        timer.advance(by);
        let to = timer.now();
        let mut idle = self.outbox_idle.clone();
        tokio::time::timeout(Duration::from_secs(10), idle.wait_for(|at| *at >= to))
            .await
            .expect("the outbox caught up with the timer within 10 s")
            .expect("the app is running");
    }

    /// Advances the manual timer `step` at a time until nothing waits in the
    /// outbox, at most `most` of timer time; returns the timer time it took.
    pub async fn drain_by_timer(&self, step: Duration, most: Duration) -> Duration {
        let mut took = Duration::ZERO;
        loop {
            let left = self
                .count("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
                .await;
            if left == 0 {
                return took;
            }
            assert!(
                took < most,
                "outbox still has {left} undelivered rows after {took:?} of timer time"
            );
            self.advance_timer(step).await;
            took += step;
        }
    }

    /// Moves the clock to `to` and waits (bounded) until the scheduler has run
    /// its jobs at that time. Tests never sleep waiting for a schedule.
    pub async fn advance_to(&self, to: DateTime<Utc>) {
        self.clock.set(to);
        let mut ticks = self.ticks.subscribe();
        tokio::time::timeout(Duration::from_secs(10), ticks.wait_for(|t| *t >= to))
            .await
            .expect("the scheduler ran within 10 s")
            .expect("the app is running");
    }

    /// Takes the database's write lock from a second connection, as another
    /// process (or a stuck backup, or another replica) would: SQLite's, or
    /// on PostgreSQL the lock every write takes first. Dropping the returned
    /// connection (or `ROLLBACK` on it) frees it.
    pub async fn lock_database(&self) -> Locker {
        use sqlx::Connection as _;
        let url = database_url(&self.dir).await;
        if url.starts_with("postgres") {
            let mut locker = sqlx::PgConnection::connect(&url)
                .await
                .expect("a second connection opens");
            sqlx::query("BEGIN")
                .execute(&mut locker)
                .await
                .expect("BEGIN");
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(needful::storage::writer::WRITE_LOCK)
                .execute(&mut locker)
                .await
                .expect("the write lock is taken");
            return Locker::Postgres(locker);
        }
        let mut locker = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("a second connection opens");
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut locker)
            .await
            .expect("the write lock is taken");
        Locker::Sqlite(locker)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request reaches the app")
    }

    /// Runs a command as `user` in `channel` and returns the immediate reply text.
    pub async fn command(&self, command: &str, user: &str, channel: &str, text: &str) -> String {
        let resp = self.slack.command(command, user, channel, text).await;
        assert_eq!(
            resp.status(),
            200,
            "{command} {text} answered {}",
            resp.status()
        );
        let body: serde_json::Value = resp.json().await.expect("command reply is JSON");
        body["text"].as_str().unwrap_or_default().to_string()
    }

    /// Runs `sql` with one bound text on a connection of its own, as an
    /// outside process would (for data an old release may have left).
    pub async fn execute(&self, sql: &str, bind: &str) {
        let db = needful::storage::connect(&database_url(&self.dir).await)
            .await
            .expect("the database opens");
        match &db {
            Db::Sqlite(pool) => sqlx::query(sql).bind(bind).execute(pool).await.map(drop),
            Db::Postgres(pool) => sqlx::query(&numbered(sql))
                .bind(bind)
                .execute(pool)
                .await
                .map(drop),
        }
        .expect("the statement runs");
        db.close().await;
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.scalar(sql).await
    }

    /// The one value `sql` reads (on either engine; `?` placeholders).
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        scalar_in(&self.db, sql).await
    }

    /// The rows `sql` reads with `binds` (texts) bound, on either engine.
    pub async fn rows<T>(&self, sql: &str, binds: &[&str]) -> Vec<T>
    where
        T: Send + Unpin,
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        rows_in(&self.db, sql, binds).await
    }

    /// Waits (bounded) until the app has recorded that one of its posts
    /// landed at `ts`. The simulator sees a post before the app stores the
    /// answer, and a thread reply sent in between would not find its parent.
    pub async fn post_recorded(&self, ts: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let recorded = || async {
            self.rows::<(i64,)>("SELECT COUNT(*) FROM slack_messages WHERE ts = ?", &[ts])
                .await[0]
                .0
        };
        while recorded().await == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the post at {ts} was not recorded within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits (bounded) until Slack has answered `n` calls to `method`,
    /// whatever it answered, and the app has recorded the answers (no
    /// message is left being sent). A test that moves the timer next must
    /// not do it before the app has read the time to wait from.
    pub async fn calls_answered(&self, method: &str, n: usize) {
        let answered = async {
            while self
                .sim
                .calls_to(method)
                .iter()
                .filter(|c| c.status != 0)
                .count()
                < n
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            while self
                .count("SELECT COUNT(*) FROM outbox WHERE status = 'sending'")
                .await
                > 0
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), answered)
            .await
            .unwrap_or_else(|_| panic!("{n} calls to {method} were not answered within 10 s"));
    }

    /// Waits (bounded) until nothing is waiting in the outbox.
    pub async fn outbox_drained(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = self
                .count("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
                .await;
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "outbox still has {left} undelivered rows after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A fresh event id, as Slack would assign.
pub fn event_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("Ev{:010}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Starts a fresh app (default clock and mode, given config) on an existing
/// simulator and data directory.
pub async fn restart_on(sim: SlackSim, dir: Arc<TempDir>, config: String) -> TestApp {
    let options = TestOptions::default();
    start(
        sim,
        dir,
        ManualClock::new(options.start),
        None,
        config,
        options.mode,
    )
    .await
}

/// The texts of the ephemeral messages Slack showed `user`.
pub fn ephemerals_to(sim: &SlackSim, user: &str) -> Vec<String> {
    sim.calls_to("chat.postEphemeral")
        .into_iter()
        .filter(|c| c.ok && c.params["user"] == user)
        .map(|c| c.params["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// needful's successful posts (or DMs) in `channel`: (text, blocks).
pub fn posts_in(app: &TestApp, channel: &str) -> Vec<(String, serde_json::Value)> {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .map(|c| {
            (
                c.params["text"].as_str().unwrap_or_default().to_string(),
                c.params["blocks"].clone(),
            )
        })
        .collect()
}

/// Runs the `needful` command line on the app's database, the way whoever
/// runs needful would: with the simulator as Slack and the bot's token
/// (`token`: empty for none). Asynchronous, so the simulator in this
/// process keeps answering while it runs. Its standard output.
pub async fn needful_cli(app: &TestApp, args: &[&str], token: &str) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_needful"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app_database_url(&app.dir))
        .env("SLACK_API_URL", app.sim.api_url())
        .env("SLACK_BOT_TOKEN", token)
        .env("NEEDFUL_LOG_FORMAT", "text")
        .env("RUST_LOG", "error")
        .current_dir(app.dir.path())
        .output()
        .await
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "needful {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Waits (at most 15 s) until `done`; fails naming `what` if it never is.
pub async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited too long for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
