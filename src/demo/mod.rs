//! `needful demo`: needful running against the built-in Slack simulator,
//! with a sample support team, and a small Slack-like page to use it from
//! a browser. No workspace, no tokens, no environment.
//!
//! The bot is the real one ([`Application`]), talking to the simulator over
//! loopback HTTP exactly as it talks to Slack; the page acts as the people
//! of the team, and this module turns what they do into what Slack would
//! send (signed events, commands and interactions) and what the bot did
//! into what they would see ([`view`]).

mod actions;
mod team;
mod view;
mod web;

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{
    Mode,
    app::Application,
    clock::OffsetClock,
    config::{EnvSettings, Secret, Settings, TeamConfig},
    features::Team,
    slack_sim::{SimConfig, SlackSender, SlackSim},
};

/// What `needful demo` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the page is served.
    pub listen: SocketAddr,
    /// A database to keep; a temporary one otherwise.
    pub db: Option<PathBuf>,
}

/// The running demo, as the page's handlers see it.
pub struct Demo {
    sim: SlackSim,
    sender: SlackSender,
    clock: Arc<OffsetClock>,
    team: Arc<Team>,
    seen: Mutex<Seen>,
    /// Bumped on every change a viewer could see; the page listens.
    changes: watch::Sender<u64>,
}

/// What the people saw that Slack does not keep: reactions, ephemeral
/// messages, open modals, and which trigger was whose.
#[derive(Default)]
struct Seen {
    /// (channel, ts) → (reaction, person), in the order given.
    reactions: HashMap<(String, String), Vec<(String, String)>>,
    ephemerals: Vec<Ephemeral>,
    /// trigger_id → the person whose action it came with.
    triggers: HashMap<String, String>,
    /// Each person's open modals, the top one last: (view id, view).
    modals: HashMap<String, Vec<(String, Value)>>,
    /// How many of the simulator's recorded calls have been read.
    calls_read: usize,
}

#[derive(Debug, Clone)]
struct Ephemeral {
    user: String,
    channel: String,
    ts: String,
    text: String,
    blocks: Option<Value>,
}

impl Demo {
    fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// Reads what the bot did since last time (modals opened, pushed and
    /// updated; ephemeral messages) into what people see.
    fn catch_up(&self) -> std::sync::MutexGuard<'_, Seen> {
        let mut seen = self.seen();
        let calls = self.sim.calls_from(seen.calls_read);
        seen.calls_read += calls.len();
        for call in calls.iter().filter(|c| c.ok) {
            let view = || {
                let mut view = call.params["view"].clone();
                view["id"] = call.response["view"]["id"].clone();
                view
            };
            let id = call.response["view"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match call.method.as_str() {
                "views.open" | "views.push" => {
                    let trigger = call.params["trigger_id"].as_str().unwrap_or_default();
                    if let Some(user) = seen.triggers.get(trigger).cloned() {
                        let stack = seen.modals.entry(user).or_default();
                        if call.method == "views.open" {
                            stack.clear();
                        }
                        stack.push((id, view()));
                    }
                }
                "views.update" => {
                    let target = call.params["view_id"].as_str().unwrap_or_default();
                    for stack in seen.modals.values_mut() {
                        for (open, shown) in stack.iter_mut() {
                            if open == target {
                                *shown = view();
                                shown["id"] = Value::String(open.clone());
                            }
                        }
                    }
                }
                "chat.postEphemeral" => {
                    let p = &call.params;
                    seen.ephemerals.push(Ephemeral {
                        user: p["user"].as_str().unwrap_or_default().to_string(),
                        channel: call.channel.clone().unwrap_or_default(),
                        ts: call.response["message_ts"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        text: p["text"].as_str().unwrap_or_default().to_string(),
                        blocks: p.get("blocks").cloned().filter(|b| !b.is_null()),
                    });
                }
                _ => {}
            }
        }
        seen
    }

    /// What people saw, as it is (without reading the bot's new calls).
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers that `trigger` came with `person`'s action, so the modal
    /// it opens is theirs.
    fn trigger_of(&self, trigger: &str, person: &str) {
        self.seen()
            .triggers
            .insert(trigger.to_string(), person.to_string());
    }

    /// Moves the business clock ahead to `jump`'s moment.
    fn jump(&self, jump: &str) -> Option<DateTime<Utc>> {
        let now = self.clock_now();
        let setup = self.team.setup();
        let pod = setup.pods.first();
        let tz = pod.map_or(chrono_tz::UTC, |p| p.timezone);
        let at = pod.map_or(NaiveTime::from_hms_opt(9, 0, 0)?, |p| p.checkin_at);
        let workdays = pod.map_or(vec![Weekday::Mon], |p| p.workdays.clone());
        let window = pod.map_or(Duration::hours(2), |p| {
            Duration::from_std(p.checkin_window).unwrap_or(Duration::hours(2))
        });
        // Just past the moment, so the scheduler sees it due.
        let past = Duration::seconds(5);
        let next_at = |from: DateTime<Utc>, days: &[Weekday]| {
            let local = from.with_timezone(&tz);
            (0..15).find_map(|d| {
                let day = local.date_naive() + Duration::days(d);
                let when = tz.from_local_datetime(&day.and_time(at)).earliest()?;
                (days.contains(&day.weekday()) && when > from).then_some(when.with_timezone(&Utc))
            })
        };
        let target = match jump {
            "checkin" => next_at(now, &workdays)? + past,
            "window" => {
                // The close of the window that is open now, else of the next one.
                let open = next_at(now - window, &workdays)?;
                open + window + past
            }
            "monday" => next_at(now, &[Weekday::Mon])? + past,
            "hour" => now + Duration::hours(1),
            "day" => now + Duration::days(1),
            _ => return None,
        };
        self.clock.jump(target - now);
        self.changed();
        Some(self.clock_now())
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use crate::clock::Clock as _;
        self.clock.now()
    }
}

/// Where the demo's business clock starts: 08:50 in the pod's time zone
/// on the next workday (today if it is one), so the morning check-in is
/// ten minutes away.
fn start_time() -> DateTime<Utc> {
    let tz = chrono_tz::Europe::Berlin;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let day = (0..7)
        .map(|d| today + Duration::days(d))
        .find(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .unwrap_or(today);
    let at = NaiveTime::from_hms_opt(8, 50, 0).unwrap_or_default();
    tz.from_local_datetime(&day.and_time(at))
        .earliest()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// A demo that is running: where its page is, and how to stop it.
pub struct Running {
    pub address: SocketAddr,
    shutdown: CancellationToken,
    bot: tokio::task::JoinHandle<anyhow::Result<()>>,
    page: tokio::task::JoinHandle<std::io::Result<()>>,
    _temp: TempDir,
}

impl Running {
    /// Stops the page and the bot (which flushes what it has to send) and
    /// removes the temporary database.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.bot.await??;
        self.page.await??;
        Ok(())
    }
}

/// Starts the simulator with the sample team, the bot against it, and the
/// page.
pub async fn start(options: Options) -> anyhow::Result<Running> {
    // The page's address first: nothing else starts if it is taken.
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| {
            format!(
                "could not listen on {}; if another program uses it, pick another address, e.g. --listen 127.0.0.1:8080 (or 127.0.0.1:0 for any free port)",
                options.listen
            )
        })?;
    let sim = SlackSim::start(SimConfig::default()).await;
    let temp = tempfile_dir()?;
    let db_path = match &options.db {
        Some(path) => path.clone(),
        None => temp.join("needful-demo.db"),
    };
    let clock = Arc::new(OffsetClock::starting_at(start_time()));
    {
        let clock = clock.clone();
        sim.set_ts_clock(Arc::new(move || {
            use crate::clock::Clock as _;
            u64::try_from(clock.now().timestamp_micros()).unwrap_or_default()
        }));
    }
    team::seed(&sim);
    // The sample setup as a needful.toml, imported at first start like any.
    let config_path = temp.join("needful.toml");
    std::fs::write(&config_path, team::SETUP)
        .with_context(|| format!("could not write {}", config_path.display()))?;
    let settings = settings(&sim, &db_path, &config_path)?;
    let app = Application::build(settings, Some(clock.clone()), None, Mode::Http)
        .await
        .context("the bot did not start")?;
    let bot_address = format!("http://127.0.0.1:{}", app.port());
    let team = app.state().team.clone();
    let shutdown = app.shutdown_token();
    let bot = tokio::spawn(app.run_until_stopped());

    let demo = Arc::new(Demo {
        sender: sim.sender(&bot_address),
        sim: sim.clone(),
        clock,
        team,
        seen: Mutex::default(),
        changes: watch::channel(0).0,
    });
    tokio::spawn(forward_changes(demo.clone(), shutdown.clone()));

    let address = listener.local_addr()?;
    let stopping = shutdown.clone();
    let server = axum::serve(listener, web::router(demo))
        .with_graceful_shutdown(async move { stopping.cancelled().await });
    let page = tokio::spawn(async move { server.await });
    Ok(Running {
        address,
        shutdown,
        bot,
        page,
        _temp: temp,
    })
}

/// Runs the demo until `stop` (Ctrl-C): says where the page is, and shuts
/// everything down cleanly at the end.
pub async fn run(
    options: Options,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let kept = options.db.clone();
    let running = start(options).await?;
    println!(
        "needful demo: open http://{}/ in a browser. Ctrl-C stops it.",
        running.address
    );
    if !running.address.ip().is_loopback() {
        println!(
            "Note: the demo has no sign-in; anyone who can reach {} can act as anyone in it.",
            running.address
        );
    }
    if let Some(path) = kept {
        println!("The demo's data is kept in {}.", path.display());
    }
    stop.await;
    println!("needful demo: stopping.");
    running.stop().await
}

/// A temporary directory for the demo's database, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> anyhow::Result<TempDir> {
    let dir = std::env::temp_dir().join(format!(
        "needful-demo-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    Ok(TempDir(dir))
}

/// The bot's settings: the simulator as Slack, its tokens, the sample setup.
fn settings(
    sim: &SlackSim,
    db: &std::path::Path,
    config_path: &std::path::Path,
) -> anyhow::Result<Settings> {
    let api_url = sim.api_url();
    let db_url = format!("sqlite://{}", db.display());
    let config = config_path.display().to_string();
    let mut env = EnvSettings::from_lookup(|key| match key {
        "SLACK_API_URL" => Some(api_url.clone()),
        "DATABASE_URL" => Some(db_url.clone()),
        "NEEDFUL_LISTEN" => Some("127.0.0.1:0".to_string()),
        "NEEDFUL_CONFIG" => Some(config.clone()),
        _ => None,
    })?;
    let config = sim.config();
    env.bot_token = Secret::new(config.bot_token.clone());
    env.signing_secrets = vec![Secret::new(config.signing_secret.clone())];
    let team = TeamConfig::parse(team::SETUP, "the demo's setup")?;
    Ok(Settings { env, team })
}

/// Passes the simulator's changes on to the page.
async fn forward_changes(demo: Arc<Demo>, shutdown: CancellationToken) {
    let mut changes = demo.sim.changes();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                demo.changed();
            }
        }
    }
}
