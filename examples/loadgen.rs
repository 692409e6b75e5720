//! Load generator: sends signed Slack requests over loopback to a running
//! `needful serve`, the way Slack does, and reports throughput, ack latency,
//! errors, memory and the time until the outbox has delivered everything.
//! Requests are built and signed before the clock starts, and written as
//! bytes on keep-alive connections: on a two-core machine every microsecond
//! the generator spends is one the server does not get.
//!
//! With `--spawn PATH` it starts the Slack simulator in-process, starts the
//! needful binary at PATH against it with a fresh database, and measures
//! start-up and resident memory too:
//!
//! ```sh
//! cargo build --release --bin needful --example loadgen
//! target/release/examples/loadgen --spawn target/release/needful --rate 0 --count 100000
//! target/release/examples/loadgen --spawn target/release/needful --rate 1000 --duration 20
//! target/release/examples/loadgen --spawn target/release/needful --burst 1000
//! target/release/examples/loadgen --spawn target/release/needful --flood-slow 2000
//! ```
//!
//! On PostgreSQL, with replicas sharing one (empty) database and the load
//! spread over them as a load balancer would, sender task k to replica k % N:
//!
//! ```sh
//! target/release/examples/loadgen --spawn target/release/needful --database-url postgres://… --replicas 2 --rate 1000 --duration 15 --count 15000
//! ```
//!
//! `--flood-slow N` is a flood of slow clients instead of load: N connections
//! each send headers and all but the last byte of a 1 MiB body, and hold.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Parser;
use hdrhistogram::Histogram;
use needful::slack_sim::{SimConfig, SimUser, SlackSim, payloads};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
    sync::Mutex,
};

#[derive(Debug, Parser)]
#[command(about = "Signed Slack load against needful over loopback")]
struct Args {
    /// Start this needful binary against an in-process simulator (fresh database).
    #[arg(long)]
    spawn: Option<PathBuf>,
    /// With --spawn: the DATABASE_URL needful uses instead of a fresh SQLite
    /// file. A PostgreSQL database must be empty: the run's counts assume it.
    #[arg(long, requires = "spawn")]
    database_url: Option<String>,
    /// With --spawn: this many needful processes on the same database.
    #[arg(long, requires = "spawn", default_value_t = 1)]
    replicas: usize,
    /// Base URL of an already running needful (instead of --spawn).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    target: String,
    /// Signing secret of the running needful (with --target).
    #[arg(long, default_value = "test-signing-secret")]
    secret: String,
    /// Offered events per second; 0 sends flat out.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Stop after this many requests.
    #[arg(long, default_value_t = 20_000)]
    count: u64,
    /// Stop after this many seconds, whichever comes first.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Requests in flight at once (flat out) or sender tasks (fixed rate).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Percentage of events sent twice (a Slack retry with X-Slack-Retry-Num).
    #[arg(long, default_value_t = 2)]
    redeliver_pct: u64,
    /// Percentage of requests that are slash commands instead of reactions.
    #[arg(long, default_value_t = 0)]
    command_pct: u64,
    /// Distinct channels the kudos'd messages are in.
    #[arg(long, default_value_t = 10)]
    channels: usize,
    /// Distinct messages per channel.
    #[arg(long, default_value_t = 50)]
    messages: usize,
    /// Instead of a timed run: this many kudos at once, spread over the channels
    /// (one message each), then wait for delivery and count 429s.
    #[arg(long)]
    burst: Option<u64>,
    /// Give up waiting for the outbox after this many seconds.
    #[arg(long, default_value_t = 300)]
    drain_timeout: u64,
    /// Before the measured run: this many kudos flat out, each on a message
    /// of its own, so that as many celebrations wait in the outbox behind
    /// the kudos channel's pacing while the run is measured.
    #[arg(long, default_value_t = 0)]
    backlog: u64,
    /// Seconds to wait after the backlog before the measured run (lets the
    /// burst's log be checkpointed, so the run measures the backlog alone).
    #[arg(long, default_value_t = 0)]
    settle: u64,
    /// Instead of load: open this many connections that each send all but
    /// the last byte of a 1 MiB body and hold; report memory during and after.
    #[arg(long)]
    flood_slow: Option<usize>,
    /// With --flood-slow: send Slack-shaped signature headers (fresh
    /// timestamp, well-formed signature that does not match), so needful
    /// reads the bodies instead of refusing them from the headers.
    #[arg(long)]
    flood_signed: bool,
    /// With --flood-slow: the clients connect and send nothing at all.
    #[arg(long)]
    flood_idle: bool,
    /// With --flood-slow: how long the clients hold their connections (s).
    #[arg(long, default_value_t = 15)]
    flood_hold: u64,
}

const USERS: usize = 200;

fn user(i: usize) -> String {
    format!("U{:09}", i % USERS)
}

fn channel(i: usize) -> String {
    format!("C0LOAD{:04}", i)
}

/// Signatures older than this are made again when sent: needful, like
/// Slack's own check, refuses a request signed more than five minutes ago.
const RESIGN_AFTER_SECS: i64 = 240;

/// One request, built and signed before the clock starts, so the run
/// measures needful and not the generator's JSON and HMAC work (on two
/// cores, the generator's CPU is taken from the server's).
struct Prepared {
    path: &'static str,
    content_type: &'static str,
    signed_at: i64,
    /// The whole request as it goes on the wire (without retry headers).
    wire: Vec<u8>,
    /// Where the body starts in `wire` (it is signed again from there).
    body_at: usize,
}

impl Prepared {
    fn body(&self) -> &[u8] {
        &self.wire[self.body_at..]
    }
}

/// Where requests go, and how they are signed.
struct Target {
    /// host:port of each replica's HTTP listener.
    addresses: Vec<String>,
    secret: String,
}

/// One keep-alive connection, owned by one sender task. The request is
/// written as prepared bytes and the answer read with `httparse`: with
/// hyper's pooled client each request also crossed to a connection task and
/// back, and the generator took CPU the server would otherwise have had.
#[derive(Default)]
struct Connection {
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
    /// Which of the target's addresses it connects to.
    address: usize,
}

impl Target {
    fn new(bases: &[String], secret: String) -> anyhow::Result<Self> {
        let addresses = bases
            .iter()
            .map(|base| {
                Ok(base
                    .strip_prefix("http://")
                    .context("the target must be an http:// URL")?
                    .trim_end_matches('/')
                    .to_string())
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { addresses, secret })
    }

    /// The connection of sender task `k`: like a load balancer spreading
    /// connections, task k talks to replica k % N, and its retries stay there.
    fn connection(&self, k: usize) -> Connection {
        Connection {
            address: k % self.addresses.len(),
            ..Connection::default()
        }
    }

    fn prepare(
        &self,
        (path, body, content_type): (&'static str, Vec<u8>, &'static str),
    ) -> Prepared {
        let signed_at = chrono::Utc::now().timestamp();
        let wire = self.wire(path, content_type, &body, signed_at, false);
        Prepared {
            path,
            content_type,
            signed_at,
            body_at: wire.len() - body.len(),
            wire,
        }
    }

    /// A signed HTTP/1.1 request, headers and body.
    fn wire(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
        signed_at: i64,
        retry: bool,
    ) -> Vec<u8> {
        let signature = needful::slack_sim::sign(&self.secret, signed_at, body);
        let retry = if retry {
            "x-slack-retry-num: 1\r\nx-slack-retry-reason: http_timeout\r\n"
        } else {
            ""
        };
        // Requests are prepared once for all replicas: the host header names
        // the first, which needful does not look at.
        let mut wire = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: {content_type}\r\n\
             content-length: {}\r\nx-slack-request-timestamp: {signed_at}\r\n\
             x-slack-signature: {signature}\r\n{retry}\r\n",
            self.addresses[0],
            body.len()
        )
        .into_bytes();
        wire.extend_from_slice(body);
        wire
    }

    /// Sends `req` on `conn` (connecting first if need be) and returns the
    /// status of the answer. After an error the connection is dropped.
    async fn send(
        &self,
        conn: &mut Connection,
        req: &Prepared,
        retry: bool,
    ) -> Result<u16, String> {
        let now = chrono::Utc::now().timestamp();
        let fresh;
        let wire = if retry || now - req.signed_at > RESIGN_AFTER_SECS {
            fresh = self.wire(req.path, req.content_type, req.body(), now, retry);
            &fresh
        } else {
            &req.wire
        };
        let answer = self.exchange(conn, wire).await;
        if answer.is_err() {
            conn.stream = None;
        }
        answer
    }

    async fn exchange(&self, conn: &mut Connection, wire: &[u8]) -> Result<u16, String> {
        if conn.stream.is_none() {
            let stream = TcpStream::connect(&self.addresses[conn.address])
                .await
                .map_err(|e| e.to_string())?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            conn.stream = Some(stream);
        }
        let Connection { stream, buffer, .. } = conn;
        let stream = stream.as_mut().ok_or("not connected")?;
        stream.write_all(wire).await.map_err(|e| e.to_string())?;
        buffer.clear();
        loop {
            if stream.read_buf(buffer).await.map_err(|e| e.to_string())? == 0 {
                return Err("the server closed the connection".into());
            }
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) =
                response.parse(buffer).map_err(|e| e.to_string())?
            else {
                continue;
            };
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .ok_or("an answer without content-length")?;
            let status = response.code.ok_or("an answer without a status")?;
            // Read the body to its end, so the next answer starts clean.
            while buffer.len() < head + length {
                if stream.read_buf(buffer).await.map_err(|e| e.to_string())? == 0 {
                    return Err("the server closed the connection".into());
                }
            }
            return Ok(status);
        }
    }
}

/// The messages kudos are given for, `channels × messages` of them: message
/// `m` is in channel `m % channels`, written by [`author`]`(m)`.
fn message_count(args: &Args) -> usize {
    args.channels * args.messages
}

fn author(m: usize) -> String {
    user(m * 7 + 3)
}

/// The ts of message `m` when there is no simulator to post it in (with
/// `--target`, the running needful's Slack is someone else's).
fn synthetic_ts(m: usize, channels: usize) -> String {
    format!("1732600000.{:06}", m / channels + 1)
}

/// The i-th kudos of the backlog: a message of its own in a channel of its own.
fn backlog_request(i: u64) -> (&'static str, Vec<u8>, &'static str) {
    let n = i as usize;
    let event: Value = payloads::reaction_added(
        &format!("EvB{i:012}"),
        &user(n),
        "trophy",
        Some(&user(n + 1)),
        "C0BACKLOG1",
        &format!("{}.{:06}", 1_700_000_000 + n / 1_000_000, n % 1_000_000),
    );
    (
        "/slack/events",
        serde_json::to_vec(&event).unwrap_or_default(),
        "application/json",
    )
}

/// Sends every request in `prepared` flat out on `concurrency` connections
/// and returns how many were answered 2xx.
async fn send_all(target: Arc<Target>, prepared: Vec<Prepared>, concurrency: usize) -> u64 {
    let prepared = Arc::new(prepared);
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let senders: Vec<_> = (0..concurrency)
        .map(|k| {
            let (target, prepared, next, ok) =
                (target.clone(), prepared.clone(), next.clone(), ok.clone());
            tokio::spawn(async move {
                let mut conn = target.connection(k);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(req) = usize::try_from(i).ok().and_then(|i| prepared.get(i)) else {
                        break;
                    };
                    if let Ok(200..=299) = target.send(&mut conn, req, false).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        let _ = sender.await;
    }
    ok.load(Ordering::Relaxed)
}

/// The i-th request of the run: a kudos reaction or a slash command.
/// `message_ts[m]` is the ts of message `m`.
fn request(args: &Args, message_ts: &[String], i: u64) -> (&'static str, Vec<u8>, &'static str) {
    let n = i as usize;
    if args.command_pct > 0 && i % 100 < args.command_pct {
        let fields =
            payloads::command_fields("/kudos", &user(n), &channel(n % args.channels), "stats");
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        return (
            "/slack/commands",
            body.into_bytes(),
            "application/x-www-form-urlencoded",
        );
    }
    // Round-robin over every message; each round has other givers, so for
    // the first USERS × channels × messages events every event is a new
    // kudos (the expensive case), not a repeat that changes nothing.
    let messages = message_count(args);
    let (round, m) = (n / messages, n % messages);
    let giver = user(round + m);
    let event: Value = payloads::reaction_added(
        &format!("EvL{i:012}"),
        &giver,
        "trophy",
        Some(&author(m)),
        &channel(m % args.channels),
        &message_ts[m],
    );
    (
        "/slack/events",
        serde_json::to_vec(&event).unwrap_or_default(),
        "application/json",
    )
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    failed: AtomicU64,
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resident memory in MB: the sum, and with several processes each one.
fn rss_mb(kib: &[u64]) -> String {
    let mb = |kib: u64| format!("{:.1}", kib as f64 / 1024.0);
    let sum = mb(kib.iter().sum());
    match kib {
        [] | [_] => format!("{sum} MB"),
        each => {
            let each: Vec<String> = each.iter().map(|&k| mb(k)).collect();
            format!("{sum} MB ({})", each.join(" + "))
        }
    }
}

fn rss_each(pids: &[u32]) -> Vec<u64> {
    pids.iter()
        .map(|&pid| rss_kib(pid, "VmRSS:").unwrap_or(0))
        .collect()
}

/// Which database the spawned needful uses, for the report: the engine and
/// host only, so that a password in the URL is never printed.
fn database_engine(url: Option<&str>) -> anyhow::Result<String> {
    let Some(url) = url else {
        return Ok("sqlite (a fresh file in a temp dir)".into());
    };
    Ok(match needful::storage::engine::Engine::of(url)? {
        needful::storage::engine::Engine::Sqlite => "sqlite".into(),
        needful::storage::engine::Engine::Postgres => {
            let parsed = url::Url::parse(url).ok();
            let host = parsed.as_ref().and_then(|u| u.host_str()).unwrap_or("?");
            match parsed.as_ref().and_then(|u| u.port()) {
                Some(port) => format!("postgres at {host}:{port}"),
                None => format!("postgres at {host}"),
            }
        }
    })
}

struct Spawned {
    /// One needful process per replica, all on the same database.
    children: Vec<Child>,
    _dir: tempfile::TempDir,
    sim: SlackSim,
    /// The ts of each message kudos are given for, posted in the simulator.
    message_ts: Vec<String>,
}

/// Stops every child with SIGTERM, as a deploy would, and waits for them.
fn stop(children: &mut [Child]) {
    for child in children.iter() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    for child in children {
        let _ = child.wait();
    }
}

/// Starts the simulator and `--replicas` needful processes, one after
/// another (so only the first migrates), and returns each one's base URL
/// and the first one's time to ready.
async fn spawn(
    args: &Args,
    binary: &PathBuf,
) -> anyhow::Result<(Spawned, Vec<String>, String, Duration)> {
    let sim = SlackSim::start(SimConfig::default()).await;
    for c in 0..args.channels {
        sim.add_channel(&channel(c), &format!("load-{c}"), true);
    }
    // The people and messages exist, as in Slack: celebrations quote and
    // link the messages, App Homes and notes reach the people.
    for u in 0..USERS {
        let id = user(u);
        sim.add_user(SimUser::human(
            &id,
            &format!("agent{u}"),
            &format!("Agent {u}"),
        ));
    }
    let message_ts = (0..message_count(args))
        .map(|m| {
            sim.post_as_user(
                &channel(m % args.channels),
                &author(m),
                &format!("Closed ticket #{m} with a customer who was very happy"),
            )
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("needful.toml");
    std::fs::write(
        &config,
        "[kudos]\nchannel = \"C0HUMBLEBR\"\nreactions = [\"trophy\"]\ndaily_limit = 1000000\n",
    )?;
    let database_url = match &args.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", dir.path().join("needful.db").display()),
    };
    let (mut children, mut bases, mut ready_after) = (Vec::new(), Vec::new(), None);
    for _ in 0..args.replicas {
        let started = start_replica(binary, &sim, &config, &database_url, &mut children).await;
        match started {
            Ok((base, ready)) => {
                bases.push(base);
                ready_after.get_or_insert(ready);
            }
            // Those already up would outlive the generator.
            Err(e) => {
                stop(&mut children);
                return Err(e);
            }
        }
    }
    let secret = sim.config().signing_secret.clone();
    Ok((
        Spawned {
            children,
            _dir: dir,
            sim,
            message_ts,
        },
        bases,
        secret,
        ready_after.unwrap_or_default(),
    ))
}

/// Starts one needful on a free loopback port, adds it to `children` as
/// soon as it runs (so a failure still stops it), and waits for its
/// /healthz to answer 200. Returns its base URL and time to ready.
async fn start_replica(
    binary: &PathBuf,
    sim: &SlackSim,
    config: &std::path::Path,
    database_url: &str,
    children: &mut Vec<Child>,
) -> anyhow::Result<(String, Duration)> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let started = Instant::now();
    let child = Command::new(binary)
        .arg("serve")
        .env("SLACK_BOT_TOKEN", &sim.config().bot_token)
        .env("SLACK_SIGNING_SECRET", &sim.config().signing_secret)
        .env("SLACK_API_URL", sim.api_url())
        .env("DATABASE_URL", database_url)
        .env("NEEDFUL_CONFIG", config)
        .env("NEEDFUL_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    children.push(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    loop {
        if let Ok(resp) = client.get(format!("{base}/healthz")).send().await
            && resp.status().is_success()
        {
            return Ok((base, started.elapsed()));
        }
        if started.elapsed() > Duration::from_secs(10) {
            anyhow::bail!("needful did not answer /healthz within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn outbox_pending(client: &reqwest::Client, base: &str) -> Option<u64> {
    let health: Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    health["outbox_pending"].as_u64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.replicas > 0, "--replicas must be at least 1");
    // Before anything starts: a URL needful cannot use fails here.
    let database = database_engine(args.database_url.as_deref())?;
    let (spawned, bases, secret, ready_after) = match &args.spawn {
        Some(binary) => {
            let (s, bases, secret, ready) = spawn(&args, binary).await?;
            (Some(s), bases, secret, Some(ready))
        }
        None => (None, vec![args.target.clone()], args.secret.clone(), None),
    };
    // The replicas share the database, and so its outbox: any can answer.
    let base = bases[0].clone();
    let pids: Vec<u32> = spawned
        .iter()
        .flat_map(|s| s.children.iter().map(Child::id))
        .collect();
    let message_ts: Vec<String> = match &spawned {
        Some(s) => s.message_ts.clone(),
        None => (0..message_count(&args))
            .map(|m| synthetic_ts(m, args.channels))
            .collect(),
    };
    if spawned.is_some() {
        println!("replicas           {} on {database}", args.replicas);
    }
    if let Some(ready) = ready_after {
        println!(
            "ready after        {:.1} ms (spawn to first 200 from /healthz, migrations included)",
            ready.as_secs_f64() * 1000.0
        );
    }
    // Let the process settle before reading idle memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    if !pids.is_empty() {
        println!("idle RSS           {}", rss_mb(&rss_each(&pids)));
    }

    if let Some(n) = args.flood_slow {
        // The flood is aimed at one process: the first replica.
        let host = base.trim_start_matches("http://").to_string();
        flood_slow(&args, &host, n, pids.first().copied()).await;
        if let Some(mut s) = spawned {
            stop(&mut s.children);
        }
        return Ok(());
    }

    let target = Arc::new(Target::new(&bases, secret)?);
    if args.backlog > 0 {
        let prepared = (0..args.backlog)
            .map(|i| target.prepare(backlog_request(i)))
            .collect();
        let started = Instant::now();
        let ok = send_all(target.clone(), prepared, args.concurrency).await;
        let client = reqwest::Client::new();
        println!(
            "backlog            {ok} of {} kudos in {:.1} s; {} messages waiting; RSS {}",
            args.backlog,
            started.elapsed().as_secs_f64(),
            outbox_pending(&client, &base).await.unwrap_or(0),
            rss_mb(&rss_each(&pids))
        );
        tokio::time::sleep(Duration::from_secs(args.settle)).await;
    }
    let tally = Arc::new(Tally::default());
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let args = Arc::new(args);
    let (count, rate) = match args.burst {
        Some(n) => (n, 0),
        None => (args.count, args.rate),
    };
    // At a fixed rate the duration bounds the count too.
    let count = match rate {
        0 => count,
        rate => count.min(rate.saturating_mul(args.duration)),
    };
    let prepared: Arc<Vec<Prepared>> = Arc::new(
        (0..count)
            .map(|i| target.prepare(request(&args, &message_ts, i)))
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    // Each process's own peak: their sum bounds what they held at once.
    let peaks: Arc<Vec<AtomicU64>> = Arc::new(pids.iter().map(|_| AtomicU64::new(0)).collect());
    let sampler = (!pids.is_empty()).then(|| {
        let (pids, peaks) = (pids.clone(), peaks.clone());
        tokio::spawn(async move {
            loop {
                for (pid, peak) in pids.iter().zip(peaks.iter()) {
                    if let Some(rss) = rss_kib(*pid, "VmRSS:") {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });

    // At a fixed rate a thread hands out request numbers at their due
    // times: tokio's timer rounds sleeps up to whole milliseconds, which
    // would add our own lateness to every latency measured from the due time.
    let pacer = (rate > 0).then(|| {
        let (due, paced) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
        std::thread::spawn(move || {
            for i in 0..count {
                let at = started + Duration::from_nanos(i * 1_000_000_000 / rate);
                if at > deadline {
                    break;
                }
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                if due.send((i, at)).is_err() {
                    break;
                }
            }
        });
        Arc::new(Mutex::new(paced))
    });
    let mut workers = Vec::new();
    for k in 0..args.concurrency {
        let (target, tally, hist, args, next, pacer, prepared) = (
            target.clone(),
            tally.clone(),
            hist.clone(),
            args.clone(),
            next.clone(),
            pacer.clone(),
            prepared.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut local =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut conn = target.connection(k);
            loop {
                // At a fixed rate, latency counts from when the request was due,
                // so time spent queueing behind a slow server is not hidden.
                let (i, due) = match &pacer {
                    Some(paced) => match paced.lock().await.recv().await {
                        Some(job) => job,
                        None => break,
                    },
                    None => {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        (i, Instant::now())
                    }
                };
                if Instant::now() > deadline {
                    break;
                }
                let Some(req) = usize::try_from(i).ok().and_then(|i| prepared.get(i)) else {
                    break;
                };
                let redeliver = args.burst.is_none() && i % 100 < args.redeliver_pct;
                let first = target.send(&mut conn, req, false).await;
                let _ = local.record(due.elapsed().as_micros().max(1) as u64);
                match first {
                    Ok(s) if (200..300).contains(&s) => tally.ok.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => tally.non_2xx.fetch_add(1, Ordering::Relaxed),
                    Err(_) => tally.failed.fetch_add(1, Ordering::Relaxed),
                };
                if redeliver {
                    match target.send(&mut conn, req, true).await {
                        Ok(s) if (200..300).contains(&s) => {
                            tally.ok.fetch_add(1, Ordering::Relaxed)
                        }
                        Ok(_) => tally.non_2xx.fetch_add(1, Ordering::Relaxed),
                        Err(_) => tally.failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
            let _ = hist.lock().await.add(&local);
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed();
    let hist = hist.lock().await;
    let ok = tally.ok.load(Ordering::Relaxed);
    let total = ok + tally.non_2xx.load(Ordering::Relaxed) + tally.failed.load(Ordering::Relaxed);
    println!(
        "requests           {total} in {:.2} s ({} offered)",
        elapsed.as_secs_f64(),
        if rate == 0 {
            "flat out".to_string()
        } else {
            format!("{rate}/s")
        }
    );
    println!(
        "throughput         {:.0} requests/s",
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "2xx / non-2xx / failed   {ok} / {} / {}",
        tally.non_2xx.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed)
    );
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "ack latency ms     p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
        ms(0.50),
        ms(0.90),
        ms(0.99),
        hist.max() as f64 / 1000.0
    );
    if !pids.is_empty() {
        let hwm: Vec<u64> = pids
            .iter()
            .zip(peaks.iter())
            .map(|(&pid, peak)| {
                rss_kib(pid, "VmHWM:")
                    .unwrap_or(0)
                    .max(peak.load(Ordering::Relaxed))
            })
            .collect();
        println!("peak RSS           {}", rss_mb(&hwm));
    }
    if let Some(s) = sampler {
        s.abort();
    }

    // Wait for the outbox to deliver everything.
    let client = reqwest::Client::new();
    let drain_start = Instant::now();
    loop {
        match outbox_pending(&client, &base).await {
            Some(0) => {
                println!(
                    "outbox drained     {:.2} s after the last request",
                    drain_start.elapsed().as_secs_f64()
                );
                break;
            }
            Some(n) if drain_start.elapsed() > Duration::from_secs(args.drain_timeout) => {
                println!(
                    "outbox NOT drained: {n} still pending after {} s",
                    args.drain_timeout
                );
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    if let Some(mut s) = spawned {
        let calls = s.sim.calls();
        let delivered = calls.iter().filter(|c| c.ok).count();
        println!(
            "slack calls        {} ok, {} rate-limited (429)",
            delivered,
            s.sim.rate_limited_count()
        );
        if let (Some(first), Some(last)) = (
            calls.iter().find(|c| c.method == "chat.postMessage"),
            calls.iter().rev().find(|c| c.ok),
        ) {
            println!(
                "delivery span      {:.2} s (first post to last delivery)",
                (last.at - first.at).as_secs_f64()
            );
        }
        stop(&mut s.children);
    }
    Ok(())
}

/// N slow clients: each connects, sends headers declaring a 1 MiB body and
/// then all of it but the last byte, and holds the connection for
/// `--flood-hold` seconds (or until needful closes it). Prints needful's
/// resident memory while they hold and in the ten seconds after they leave.
async fn flood_slow(args: &Args, host: &str, n: usize, pid: Option<u32>) {
    const BODY: usize = 1024 * 1024;
    let rss =
        |pid: Option<u32>| pid.and_then(|p| rss_kib(p, "VmRSS:")).unwrap_or(0) as f64 / 1024.0;
    let hold = Duration::from_secs(args.flood_hold);
    let signature = if args.flood_signed {
        let ts = chrono::Utc::now().timestamp();
        format!(
            "X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: v0={}\r\n",
            "0".repeat(64)
        )
    } else {
        String::new()
    };
    let head = Arc::new(format!(
        "POST /slack/events HTTP/1.1\r\nHost: needful\r\nContent-Type: application/json\r\n\
         Content-Length: {BODY}\r\n{signature}\r\n"
    ));
    let chunk = Arc::new(vec![b'a'; 64 * 1024]);
    let connected = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let release = started + hold;
    let clients: Vec<_> = (0..n)
        .map(|_| {
            let (host, head, chunk) = (host.to_string(), head.clone(), chunk.clone());
            let idle = args.flood_idle;
            let (connected, answered) = (connected.clone(), answered.clone());
            tokio::spawn(async move {
                let Ok(Ok(mut stream)) =
                    tokio::time::timeout_at(release.into(), TcpStream::connect(&host)).await
                else {
                    return;
                };
                connected.fetch_add(1, Ordering::Relaxed);
                let client = async {
                    if !idle {
                        stream.write_all(head.as_bytes()).await?;
                    }
                    let mut left = if idle { 0 } else { BODY - 1 };
                    while left > 0 {
                        let n = left.min(chunk.len());
                        stream.write_all(&chunk[..n]).await?;
                        left -= n;
                    }
                    // Hold until needful answers or closes.
                    let mut buf = [0u8; 512];
                    stream.read(&mut buf).await.map(|_| ())
                };
                // Over before the hold ended: needful answered, closed or
                // reset the connection (a write error) while it was written.
                if tokio::time::timeout_at(release.into(), client)
                    .await
                    .is_ok()
                {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // What Slack would see: a /healthz on a new connection twice a second.
    let probe_host = host.to_string();
    let probes = tokio::spawn(async move {
        let mut waits = Vec::new();
        tokio::time::sleep(Duration::from_secs(1)).await;
        while Instant::now() + Duration::from_secs(1) < release {
            let sent = Instant::now();
            let answered = tokio::time::timeout(Duration::from_secs(10), async {
                let mut stream = TcpStream::connect(&probe_host).await.ok()?;
                stream
                    .write_all(
                        b"GET /healthz HTTP/1.1\r\nHost: needful\r\nConnection: close\r\n\r\n",
                    )
                    .await
                    .ok()?;
                let mut buf = [0u8; 64];
                let n = stream.read(&mut buf).await.ok()?;
                buf[..n].starts_with(b"HTTP/1.1 200").then_some(())
            })
            .await;
            waits.push(matches!(answered, Ok(Some(()))).then(|| sent.elapsed()));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        waits
    });
    let mut peak = 0f64;
    while Instant::now() < release {
        peak = peak.max(rss(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let waits = probes.await.unwrap_or_default();
    for c in clients {
        let _ = c.await;
    }
    println!(
        "flood              {n} slow clients ({}), held {} s: {} connected, {} answered or closed by needful",
        if args.flood_idle {
            "idle"
        } else if args.flood_signed {
            "well-formed forged signatures"
        } else {
            "unsigned"
        },
        args.flood_hold,
        connected.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
    );
    let mut answered_in: Vec<Duration> = waits.iter().flatten().copied().collect();
    answered_in.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "/healthz probes    {} of {} answered 200 during the flood; median {:.0} ms, max {:.0} ms",
        answered_in.len(),
        waits.len(),
        ms(answered_in.get(answered_in.len() / 2)),
        ms(answered_in.last()),
    );
    println!("peak RSS (flood)   {peak:.1} MB");
    println!("RSS at release     {:.1} MB", rss(pid));
    let gone = Instant::now();
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(gone.elapsed())).await;
    println!("RSS 10 s after     {:.1} MB", rss(pid));
}
