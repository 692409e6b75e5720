//! Faults: a locked database, odd input, and Slack retrying through them.

use std::time::{Duration, Instant};

use needful::slack_sim::payloads;

use crate::helpers::{event_id, spawn_app};

#[tokio::test]
async fn a_locked_database_fails_cleanly_and_recovers() {
    let app = spawn_app().await;
    let locker = app.lock_database().await;

    let event = payloads::app_home_opened(&event_id(), "U0ALICE001");
    let started = Instant::now();
    let resp = app.slack.event(&event).await;
    // A clean, retryable failure, still inside Slack's 3-second deadline.
    assert_eq!(resp.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
    // Health says so at once, without waiting behind the lock: the write is
    // stuck past the ack budget, or has failed with none succeeding since.
    let started = Instant::now();
    let health = app.get("/healthz").await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(health.status(), 503);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["database"], "ok", "reads still work in WAL mode");
    let writes = health["writes"].as_str().unwrap_or_default();
    assert!(
        writes.contains("failing") || writes.contains("stuck"),
        "{health}"
    );

    // A kudos (the reactions' own path) fails the same way.
    let ts = app
        .sim
        .post_as_user("C0SUPPORT1", "U0BOB00001", "Sorted the refund");
    let kudos = payloads::reaction_added(
        &event_id(),
        "U0ALICE001",
        "trophy",
        Some("U0BOB00001"),
        "C0SUPPORT1",
        &ts,
    );
    assert_eq!(app.slack.event(&kudos).await.status(), 503);

    locker.release().await;
    // Slack's retries of the same events now go through, once.
    for (event, retries) in [(&event, 2), (&kudos, 1)] {
        for retry in 1..=retries {
            assert_eq!(
                app.slack
                    .event_retry(event, retry, "http_error")
                    .await
                    .status(),
                200
            );
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
            .await,
        1
    );
    // Health recovers with the next write that goes through. (A scheduled
    // job that waited on the lock may report its failure just after the
    // retry's success; the write after it clears it.)
    crate::helpers::wait_until("healthz to recover", async || {
        app.get("/healthz").await.status() == 200
    })
    .await;
    // A command during a lock gets a kind word, not an error page.
    let locker = app.lock_database().await;
    let text = app
        .command("/kudos", "U0ALICE001", "C0SUPPORT1", "stats")
        .await;
    locker.release().await;
    assert!(text.contains("nothing was changed"), "{text}");
}

// ---------------------------------------------------------------------------
// Faults under load: kill -9, Slack down, a 429 storm, a full disk.
// ---------------------------------------------------------------------------

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
};

use futures::StreamExt as _;
use needful::slack_sim::{FailRule, Failure, SimConfig, SlackSim};
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use serde_json::Value;

use crate::helpers::{TestApp, TestOptions, spawn_app_with};

pub const KUDOS_CHANNEL: &str = "C0HUMBLEBR";
/// Channels people write in and get thanked in (the kudos channel is separate).
const WORK_CHANNELS: [&str; 4] = ["C0SUPPORT1", "C0SALES001", "C0FAULTS01", "C0FAULTS02"];
const AUTHORS: [&str; 3] = ["U0ALICE001", "U0BOB00001", "U0CAROL001"];

/// A fast outbox: short pacing, short backoff, a short call timeout and lease,
/// so a compressed outage or a crash is recovered from in seconds.
const FAULT_CONFIG: &str = r#"
[kudos]
channel = "C0HUMBLEBR"
reactions = ["trophy"]
daily_limit = 5

[outbox]
channel_interval = "50ms"
home_interval = "20ms"
base_backoff = "50ms"
max_backoff = "400ms"
poll_interval = "20ms"
give_up_after = "1h"
call_timeout = "1s"
lease = "3s"
"#;

/// Seconds a compressed outage lasts (`NEEDFUL_OUTAGE_SECS`, default 3);
/// scripts/faults.sh runs the same tests with minutes.
fn outage() -> Duration {
    let secs = std::env::var("NEEDFUL_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(3);
    Duration::from_secs(secs.max(1))
}

/// A message someone wrote in a work channel, and the reaction_added thanking
/// them for it (one giver per message, so each makes its own celebration).
pub struct Kudos {
    pub event_id: String,
    pub channel: String,
    pub ts: String,
    pub event: Value,
}

impl Kudos {
    /// The part of the permalink that names the thanked message.
    pub fn link(&self) -> String {
        format!("/archives/{}/p{}", self.channel, self.ts.replace('.', ""))
    }
}

pub fn make_kudos(sim: &SlackSim, prefix: &str, n: usize) -> Vec<Kudos> {
    (0..n)
        .map(|i| {
            let channel = WORK_CHANNELS[i % WORK_CHANNELS.len()];
            let author = AUTHORS[i % AUTHORS.len()];
            let ts = sim.post_as_user(channel, author, &format!("Closed ticket {prefix}-{i}"));
            let event_id = format!("Ev{prefix}{i:06}");
            let giver = format!("U0FAN{i:05}");
            let event =
                payloads::reaction_added(&event_id, &giver, "trophy", Some(author), channel, &ts);
            Kudos {
                event_id,
                channel: channel.to_string(),
                ts,
                event,
            }
        })
        .collect()
}

pub async fn fault_sim() -> SlackSim {
    let sim = SlackSim::start(SimConfig::default()).await;
    sim.set_natural_rate_limit(false);
    sim.add_channel("C0FAULTS01", "faults-one", true);
    sim.add_channel("C0FAULTS02", "faults-two", true);
    sim
}

/// After a run under kill -9 (on the database at `url`, either engine):
/// every acknowledged event applied, each kudos recorded once, every outbox
/// message delivered and every kudos celebrated. Returns the celebration
/// posts `posted` counts, by thanked message.
pub async fn assert_nothing_lost(
    url: &str,
    sim: &SlackSim,
    kudos: &[Kudos],
    acked: &HashSet<String>,
    posted: impl Fn(&needful::slack_sim::Call) -> bool,
) -> HashMap<String, usize> {
    use crate::helpers::{rows_in, scalar_in};
    let db = needful::storage::connect(url)
        .await
        .expect("the database opens");
    let applied: Vec<(String,)> = rows_in(&db, "SELECT event_id FROM processed_events", &[]).await;
    let applied: HashSet<String> = applied.into_iter().map(|(id,)| id).collect();
    for id in acked {
        assert!(applied.contains(id), "{id} got its 200 but is not applied");
    }
    let given: i64 = scalar_in(&db, "SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'").await;
    assert_eq!(given as usize, kudos.len(), "each kudos recorded once");
    let waiting: i64 = scalar_in(
        &db,
        "SELECT COUNT(*) FROM outbox WHERE status NOT IN ('sent', 'superseded')",
    )
    .await;
    assert_eq!(waiting, 0, "every outbox message delivered");
    db.close().await;
    let counts = posts_by_link(sim, kudos, posted);
    let missing: Vec<_> = counts.iter().filter(|(_, n)| **n == 0).collect();
    assert!(missing.is_empty(), "never celebrated: {missing:?}");
    counts
}

/// Successful celebration posts in the kudos channel, by thanked message.
pub fn celebrations_by_link(sim: &SlackSim, kudos: &[Kudos]) -> HashMap<String, usize> {
    posts_by_link(sim, kudos, |call| call.ok)
}

/// Celebration posts in the kudos channel that `counts`, by thanked message.
pub fn posts_by_link(
    sim: &SlackSim,
    kudos: &[Kudos],
    counts: impl Fn(&needful::slack_sim::Call) -> bool,
) -> HashMap<String, usize> {
    let mut by_link: HashMap<String, usize> = kudos.iter().map(|k| (k.link(), 0)).collect();
    for call in sim.calls_to("chat.postMessage") {
        if !counts(&call) || call.channel.as_deref() != Some(KUDOS_CHANNEL) {
            continue;
        }
        let params = call.params.to_string();
        for (link, n) in by_link.iter_mut() {
            if params.contains(link.as_str()) {
                *n += 1;
            }
        }
    }
    by_link
}

/// The thanked messages in the order their celebrations were posted (a
/// roundup celebrates several, in its own order).
fn celebration_order(sim: &SlackSim, kudos: &[Kudos]) -> Vec<String> {
    sim.calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(KUDOS_CHANNEL))
        .flat_map(|c| {
            let params = c.params.to_string();
            let mut found: Vec<(usize, String)> = kudos
                .iter()
                .filter_map(|k| Some((params.find(&k.link())?, k.event_id.clone())))
                .collect();
            found.sort();
            found.into_iter().map(|(_, id)| id)
        })
        .collect()
}

// ---- the real binary as a child process ----

pub struct Bot {
    child: Child,
    pub base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

/// Starts `needful serve` on `db`, optionally under `sh -c 'ulimit -f BLOCKS'`
/// with SIGXFSZ ignored (so a write past the limit fails with EFBIG instead of
/// killing the process). Waits (bounded) for its "listening" line.
async fn start_bot(sim: &SlackSim, dir: &Path, fsize_blocks: Option<u64>) -> Bot {
    let url = format!("sqlite://{}", dir.join("needful.db").display());
    start_bot_on(sim, dir, &url, fsize_blocks, &[]).await
}

/// [`start_bot`] on the database at `url`, with `env` on top.
pub async fn start_bot_on(
    sim: &SlackSim,
    dir: &Path,
    url: &str,
    fsize_blocks: Option<u64>,
    env: &[(&str, &str)],
) -> Bot {
    let bin = env!("CARGO_BIN_EXE_needful");
    let mut cmd = match fsize_blocks {
        None => {
            let mut c = Command::new(bin);
            c.arg("serve");
            c
        }
        Some(blocks) => {
            let mut c = Command::new("sh");
            c.args([
                "-c",
                &format!("trap '' XFSZ; ulimit -f {blocks} || exit 97; exec \"$0\" serve"),
                bin,
            ]);
            c
        }
    };
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info,sqlx=warn,slack_morphism=warn,hyper=warn")
        .env("NEEDFUL_LOG_FORMAT", "json")
        .env("NEEDFUL_CONFIG", dir.join("needful.toml"))
        .env("SLACK_BOT_TOKEN", &sim.config().bot_token)
        .env("SLACK_SIGNING_SECRET", &sim.config().signing_secret)
        .env("SLACK_API_URL", sim.api_url())
        .env("DATABASE_URL", url)
        .envs(env.iter().copied())
        .env("NEEDFUL_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("needful starts");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let logs = logs.clone();
        let tx = tx.clone();
        // Always drained, so a chatty bot never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains("needful is listening") {
                    let _ = tx.send(line.clone());
                }
                logs.lock().unwrap().push(line);
            }
        });
    }
    let line = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap();
    let line = match line {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            panic!(
                "needful did not report listening:\n{}",
                logs.lock().unwrap().join("\n")
            );
        }
    };
    let parsed: Value = serde_json::from_str(&line).expect("a JSON log line");
    let address = parsed["fields"]["address"]
        .as_str()
        .expect("the listening line names the address");
    Bot {
        child,
        base: format!("http://{address}"),
        logs,
    }
}

impl Bot {
    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the killed bot is reaped");
    }

    /// SIGTERM and wait (bounded) for a clean exit.
    pub async fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                assert!(exit.success(), "exit {exit:?}\n{}", self.log_text());
                return;
            }
            assert!(Instant::now() < deadline, "no exit 20 s after SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    pub async fn health(&self, http: &reqwest::Client) -> Option<(u16, Value)> {
        let resp = http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.json().await.ok()?))
    }

    /// Waits (bounded) until `/healthz` reports an empty outbox.
    pub async fn drained(&self, http: &reqwest::Client, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let pending = self
                .health(http)
                .await
                .and_then(|(_, body)| body["outbox_pending"].as_i64());
            if pending == Some(0) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "outbox_pending still {pending:?} after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Posts one signed event the way Slack does. `None`: no answer at all (the
/// bot died mid-request); Slack would retry that.
pub async fn deliver_event(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    body: &Value,
    retry: u32,
) -> Option<u16> {
    let bytes = body.to_string().into_bytes();
    let ts = chrono::Utc::now().timestamp();
    let mut req = http
        .post(format!("{base}/slack/events"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", ts.to_string())
        .header(
            "x-slack-signature",
            needful::slack_sim::sign(secret, ts, &bytes),
        );
    if retry > 0 {
        req = req
            .header("x-slack-retry-num", retry.to_string())
            .header("x-slack-retry-reason", "http_error");
    }
    let resp = req.body(bytes).send().await.ok()?;
    Some(resp.status().as_u16())
}

async fn open_db(path: &Path) -> sqlx::SqlitePool {
    needful::storage::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("the database opens")
        .as_sqlite()
        .expect("a SQLite database")
        .clone()
}

async fn integrity(db: &sqlx::SqlitePool) -> String {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db)
        .await
        .unwrap()
}

pub fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("needful.toml");
    std::fs::write(&path, FAULT_CONFIG).unwrap();
    path
}

/// kill -9 at random moments under a load of kudos, several times, then a
/// final run until the outbox drains: every acknowledged event is applied,
/// every celebration is posted, and only a message in flight at a kill may be
/// posted twice. Seed with NEEDFUL_FAULTS_SEED to replay a run.
#[tokio::test]
async fn kill_9_under_load_loses_nothing() {
    if crate::helpers::sqlite_only("this kill -9 test's database file") {
        return;
    }
    let seed = std::env::var("NEEDFUL_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261127u64);
    let mut rng = StdRng::seed_from_u64(seed);
    const KILLS: usize = 4;
    const PER_CYCLE: usize = 30;
    let sim = fault_sim().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let secret = sim.config().signing_secret.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let kudos = Arc::new(make_kudos(&sim, "KILL", PER_CYCLE * (KILLS + 1)));
    // Indexes of events not yet acknowledged with a 200 (Slack would retry them).
    let mut unacked: Vec<usize> = Vec::new();
    let mut acked: HashSet<String> = HashSet::new();
    let mut attempts: HashMap<usize, u32> = HashMap::new();
    let started = Instant::now();

    for cycle in 0..=KILLS {
        let bot = start_bot(&sim, dir.path(), None).await;
        let mut todo: Vec<usize> = std::mem::take(&mut unacked);
        todo.extend(cycle * PER_CYCLE..(cycle + 1) * PER_CYCLE);
        let plan: Vec<(usize, u32, u64)> = todo
            .into_iter()
            .map(|i| {
                let n = attempts.entry(i).or_insert(0);
                let retry = *n;
                *n += 1;
                (i, retry, rng.gen_range(0..40))
            })
            .collect();
        let load = {
            let (http, base, secret, kudos) = (
                http.clone(),
                bot.base.clone(),
                secret.clone(),
                kudos.clone(),
            );
            tokio::spawn(async move {
                futures::stream::iter(plan)
                    .map(|(i, retry, pause_ms)| {
                        let (http, base, secret, kudos) =
                            (http.clone(), base.clone(), secret.clone(), kudos.clone());
                        async move {
                            tokio::time::sleep(Duration::from_millis(pause_ms)).await;
                            let status =
                                deliver_event(&http, &base, &secret, &kudos[i].event, retry).await;
                            (i, status)
                        }
                    })
                    .buffer_unordered(6)
                    .collect::<Vec<_>>()
                    .await
            })
        };
        if cycle < KILLS {
            // A random moment: while events arrive, or while the outbox sends.
            let at = Duration::from_millis(rng.gen_range(50..900));
            tokio::time::sleep(at).await;
            bot.kill9();
            for (i, status) in load.await.unwrap() {
                match status {
                    Some(200) => {
                        acked.insert(kudos[i].event_id.clone());
                    }
                    Some(other) => panic!("event {i} answered {other}, not 200"),
                    None => unacked.push(i),
                }
            }
        } else {
            for (i, status) in load.await.unwrap() {
                assert_eq!(status, Some(200), "event {i} in the final run");
                acked.insert(kudos[i].event_id.clone());
            }
            bot.drained(&http, Duration::from_secs(40)).await;
            bot.stop().await;
        }
    }
    let took = started.elapsed();

    let db = open_db(&dir.path().join("needful.db")).await;
    assert_eq!(integrity(&db).await, "ok");
    assert_eq!(acked.len(), kudos.len(), "every event was acknowledged");
    let url = format!("sqlite://{}", dir.path().join("needful.db").display());
    let counts = assert_nothing_lost(&url, &sim, &kudos, &acked, |call| call.ok).await;
    let extra: usize = counts.values().map(|n| n - 1).sum();
    assert!(
        extra <= KILLS,
        "{extra} celebrations posted twice, but only {KILLS} kills (one in flight each)"
    );
    println!(
        "kill -9 x{KILLS} (seed {seed}): {} events, {} celebrations, {extra} posted twice, {:?}",
        kudos.len(),
        counts.len(),
        took
    );
}

async fn fault_app() -> TestApp {
    fault_app_with(false).await
}

/// [`fault_app`], with pacing and Retry-After on a manual timer when asked.
async fn fault_app_with(manual_timer: bool) -> TestApp {
    let app = spawn_app_with(TestOptions {
        config: FAULT_CONFIG.to_string(),
        manual_timer,
        ..TestOptions::default()
    })
    .await;
    app.sim.set_natural_rate_limit(false);
    app.sim.add_channel("C0FAULTS01", "faults-one", true);
    app.sim.add_channel("C0FAULTS02", "faults-two", true);
    app
}

async fn outbox_pending(app: &TestApp) -> i64 {
    let body: Value = app.get("/healthz").await.json().await.unwrap();
    body["outbox_pending"].as_i64().expect("outbox_pending")
}

/// The value of one sample line of `/metrics`, if present.
async fn metric(app: &TestApp, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .reduce(f64::max)
}

/// Slack answers every call with `failure` for the outage while kudos keep
/// coming: every event is acknowledged, the outbox grows and says so, and once
/// Slack is back everything is posted once, in order.
async fn slack_down(failure: Failure, outcome: &str) {
    let app = fault_app().await;
    let kudos = make_kudos(&app.sim, "DOWN", 40);
    app.sim.fail(FailRule {
        method: None,
        times: None,
        failure,
    });
    let outage = outage();
    let started = Instant::now();
    let spacing = outage / kudos.len() as u32;
    let mut depths = Vec::new();
    for (i, k) in kudos.iter().enumerate() {
        let sent = Instant::now();
        let resp = app.slack.event(&k.event).await;
        assert_eq!(resp.status(), 200, "event {i} during the outage");
        assert!(sent.elapsed() < Duration::from_secs(3), "acked late");
        if i % 10 == 9 {
            depths.push(outbox_pending(&app).await);
        }
        tokio::time::sleep(spacing.saturating_sub(sent.elapsed())).await;
    }
    let remaining = outage.saturating_sub(started.elapsed());
    tokio::time::sleep(remaining).await;
    let depth = outbox_pending(&app).await;
    depths.push(depth);
    assert!(
        // Waiting App Home publishes coalesce, and celebrations waiting
        // behind one being retried merge into its roundup, so it may dip.
        depth > depths[0],
        "the outbox grows while Slack is down: {depths:?}"
    );
    assert!(
        metric(&app, "needful_outbox_depth", &[]).await >= Some(depths[0] as f64),
        "/metrics shows the depth"
    );
    assert!(
        metric(
            &app,
            "needful_slack_api_calls_total",
            &[("outcome", outcome)]
        )
        .await
            >= Some(1.0),
        "/metrics counts outcome={outcome}"
    );
    assert!(
        celebration_order(&app.sim, &kudos).is_empty(),
        "nothing got through"
    );

    app.sim.clear_faults();
    let recovered = Instant::now();
    app.outbox_drained(Duration::from_secs(30)).await;
    let recovery = recovered.elapsed();
    assert_eq!(outbox_pending(&app).await, 0);
    // /metrics refreshes its outbox gauges at most once a second.
    let gauge_drained = async {
        while metric(&app, "needful_outbox_depth", &[]).await != Some(0.0) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(3), gauge_drained)
        .await
        .expect("/metrics shows the outbox drained");
    let counts = celebrations_by_link(&app.sim, &kudos);
    assert!(
        counts.values().all(|n| *n == 1),
        "each celebration exactly once: {counts:?}"
    );
    let order = celebration_order(&app.sim, &kudos);
    let sent: Vec<String> = kudos.iter().map(|k| k.event_id.clone()).collect();
    assert_eq!(order, sent, "posted in the order the kudos came");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .await,
        0
    );
    println!(
        "Slack down ({outcome}) for {outage:?}: 40 events acked, outbox peaked at {depth}, drained {recovery:?} after recovery"
    );
}

#[tokio::test]
async fn slack_answering_500_for_a_while_loses_nothing() {
    slack_down(Failure::Status(500), "transient_error").await;
}

#[tokio::test]
async fn slack_not_answering_for_a_while_loses_nothing() {
    // Hung calls count as outcome="timeout" once the call timeout runs out.
    slack_down(Failure::Hang, "timeout").await;
}

/// Every method answers 429 with Retry-After for a while: after each 429 no
/// call to that method comes before the Retry-After is over, and the number of
/// calls stays small; afterwards everything is delivered once. The storm runs
/// on the manual timer: only calls made together with the 429 (at the same
/// instant of the timer) may follow it.
#[tokio::test]
async fn a_429_storm_is_honoured_per_method() {
    const RETRY_AFTER: Duration = Duration::from_secs(1);
    let app = fault_app_with(true).await;
    let kudos = make_kudos(&app.sim, "STORM", 48);
    app.sim.fail(FailRule {
        method: None,
        times: None,
        failure: Failure::RateLimited {
            retry_after_secs: RETRY_AFTER.as_secs(),
        },
    });
    let storm = outage();
    let step = storm / kudos.len() as u32 / 2;
    for k in &kudos {
        assert_eq!(app.slack.event(&k.event).await.status(), 200);
        app.advance_timer(step).await;
    }
    app.advance_timer(storm.saturating_sub(step * kudos.len() as u32))
        .await;
    app.sim.clear_faults();
    app.drain_by_timer(Duration::from_millis(20), Duration::from_secs(30))
        .await;

    let mut by_method: BTreeMap<String, Vec<needful::slack_sim::Call>> = BTreeMap::new();
    for call in app.sim.calls() {
        by_method.entry(call.method.clone()).or_default().push(call);
    }
    let mut limited_total = 0;
    for (method, calls) in &by_method {
        let limited: Vec<_> = calls.iter().filter(|c| c.status == 429).collect();
        limited_total += limited.len();
        for l in &limited {
            let early: Vec<_> = calls
                .iter()
                .filter(|c| c.at > l.at && c.at < l.at + RETRY_AFTER)
                .map(|c| c.at - l.at)
                .collect();
            assert!(
                early.is_empty(),
                "{method}: calls {early:?} after a 429 asking for {RETRY_AFTER:?}"
            );
        }
        // One wave per Retry-After at most, each no wider than the worker's concurrency.
        let waves = (storm.as_secs_f64() / RETRY_AFTER.as_secs_f64()).ceil() as usize + 2;
        assert!(
            limited.len() <= waves * 8,
            "{method}: {} calls answered 429 in a {storm:?} storm",
            limited.len()
        );
    }
    assert!(limited_total > 0, "the storm happened");
    assert_eq!(app.sim.rate_limited_count(), limited_total);
    let counts = celebrations_by_link(&app.sim, &kudos);
    assert!(
        counts.values().all(|n| *n == 1),
        "each celebration once: {counts:?}"
    );
    let total = app.sim.calls().len();
    let ok = app.sim.calls().iter().filter(|c| c.ok).count();
    assert_eq!(total, ok + limited_total, "no other failures");
    println!(
        "429 storm for {storm:?}: {limited_total} calls answered 429, {total} calls in all for {} celebrations",
        kudos.len()
    );
}

/// A full disk: the bot runs with RLIMIT_FSIZE just above the database's size
/// (SIGXFSZ ignored, so writes fail with EFBIG). Events then get a clean 503
/// (Slack retries them), the process stays up, and after a restart without the
/// limit the retried events are applied once.
#[tokio::test]
async fn a_full_disk_fails_cleanly_and_recovers() {
    if crate::helpers::sqlite_only("a full disk under the database file") {
        return;
    }
    let sim = fault_sim().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let secret = sim.config().signing_secret.clone();
    // Create and migrate the database, then stop cleanly (the WAL is checkpointed away).
    start_bot(&sim, dir.path(), None).await.stop().await;
    let db_path = dir.path().join("needful.db");
    {
        let db = open_db(&db_path).await;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&db)
            .await
            .unwrap();
        db.close().await;
    }
    let size = std::fs::metadata(&db_path).unwrap().len();
    // `ulimit -f` counts 512-byte blocks in POSIX sh (dash); bash counts 1 KiB.
    // Either way: room for a few commits in the WAL, then EFBIG.
    let blocks = size / 512 + 64;
    let mut bot = start_bot(&sim, dir.path(), Some(blocks)).await;
    if let Ok(limits) = std::fs::read_to_string(format!("/proc/{}/limits", bot.child.id())) {
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max file size"))
            .unwrap_or_default()
            .to_string();
        println!("database {size} bytes; {line}");
    }
    let kudos = make_kudos(&sim, "FULL", 60);
    let mut refused = Vec::new();
    for (i, k) in kudos.iter().enumerate() {
        let started = Instant::now();
        let status = deliver_event(&http, &bot.base, &secret, &k.event, 0).await;
        assert!(started.elapsed() < Duration::from_secs(3), "answered late");
        match status {
            Some(200) => {}
            Some(503) => refused.push(i),
            other => panic!("event {i}: {other:?}, not 200 or 503\n{}", bot.log_text()),
        }
    }
    assert!(
        !refused.is_empty(),
        "the file size limit never bit\n{}",
        bot.log_text()
    );
    assert!(bot.alive(), "still running on a full disk");
    let health = bot.health(&http).await;
    assert!(health.is_some(), "still answering /healthz");
    let logs = bot.log_text();
    assert!(!logs.contains("panicked"), "{logs}");
    assert!(
        logs.contains("full") || logs.contains("disk I/O") || logs.contains("I/O"),
        "the log says why: {logs}"
    );
    let first_refused = refused[0];
    println!(
        "full disk: events 0..{first_refused} applied, {} of {} answered 503; /healthz {:?}",
        refused.len(),
        kudos.len(),
        health.map(|(s, b)| (s, b["outbox_pending"].clone()))
    );
    bot.kill9();

    // The cause goes away; Slack retries what got a 503.
    let bot = start_bot(&sim, dir.path(), None).await;
    for &i in &refused {
        assert_eq!(
            deliver_event(&http, &bot.base, &secret, &kudos[i].event, 1).await,
            Some(200),
            "retry of event {i}"
        );
    }
    // And a second retry of everything changes nothing.
    for k in &kudos {
        assert_eq!(
            deliver_event(&http, &bot.base, &secret, &k.event, 2).await,
            Some(200)
        );
    }
    bot.drained(&http, Duration::from_secs(30)).await;
    bot.stop().await;
    let db = open_db(&db_path).await;
    assert_eq!(integrity(&db).await, "ok");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM processed_events")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(applied as usize, kudos.len());
    let given: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(given as usize, kudos.len(), "each kudos applied once");
    let counts = celebrations_by_link(&sim, &kudos);
    assert!(
        counts.values().all(|n| *n >= 1),
        "all celebrated: {counts:?}"
    );
}
