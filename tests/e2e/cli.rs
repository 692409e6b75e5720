//! The command line: check-config, manifest, migrate, backup.

use std::process::Command;

use needful::slack_sim::payloads;

use crate::helpers::{event_id, spawn_app};

fn needful() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_needful"));
    // A clean environment: nothing from the developer's .env or shell leaks in.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("needful runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_prints_what_it_understood() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("needful.toml");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/needful.example.toml"),
        &path,
    )
    .unwrap();
    let (ok, out, err) = run(needful().current_dir(dir.path()).arg("check-config"));
    assert!(ok, "{err}");
    assert!(
        out.contains("is valid")
            && out.contains("pod \"support\"")
            && out.contains("Europe/Berlin"),
        "{out}"
    );
}

#[test]
fn check_config_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("needful.toml"),
        "[kudos]\nchanel = \"C0HUMBLEBR\"\n",
    )
    .unwrap();
    let (ok, _, err) = run(needful().current_dir(dir.path()).arg("check-config"));
    assert!(!ok);
    assert!(err.contains("chanel"), "{err}");
    std::fs::write(
        dir.path().join("needful.toml"),
        "[[pods]]\nname = \"support\"\nchannel = \"C0SUPPORT1\"\ntimezone = \"Mars/Olympus\"\n",
    )
    .unwrap();
    let (ok, _, err) = run(needful().current_dir(dir.path()).arg("check-config"));
    assert!(!ok);
    assert!(err.contains("Mars/Olympus"), "{err}");
}

#[test]
fn check_config_without_a_file_uses_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(needful().current_dir(dir.path()).arg("check-config"));
    assert!(ok, "{err}");
    assert!(
        out.contains("does not exist") && out.contains(":trophy:"),
        "{out}"
    );
}

#[test]
fn manifest_fills_in_the_url() {
    let (ok, out, err) = run(needful().args(["manifest", "--url", "https://support.acme.test"]));
    assert!(ok, "{err}");
    // Every slash command's URL, the events URL and the interactivity URL.
    assert_eq!(
        out.matches("https://support.acme.test/slack/").count(),
        needful::registry::commands().count() + 2,
        "{out}"
    );
    let (ok, out, _) = run(needful().args(["manifest", "--socket-mode"]));
    assert!(ok);
    assert!(
        out.contains("socket_mode_enabled: true") && !out.contains("url:"),
        "{out}"
    );
    let (ok, _, err) = run(needful().args(["manifest", "--url", "ftp://nope"]));
    assert!(!ok);
    assert!(err.contains("https://"), "{err}");
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let (ok, out, err) = run(needful()
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .arg("migrate"));
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied"), "{out}");
    assert!(db.exists());
}

#[test]
fn serve_without_a_token_says_which_variable_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(needful()
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .args(["serve"]));
    assert!(!ok);
    assert!(err.contains("SLACK_BOT_TOKEN"), "{err}");
}

#[tokio::test]
async fn backup_copies_the_live_database_and_restores() {
    if crate::helpers::sqlite_only("VACUUM INTO's backup") {
        return;
    }
    let app = spawn_app().await;
    for user in ["U0ALICE001", "U0BOB00001"] {
        assert_eq!(
            app.slack
                .event(&payloads::app_home_opened(&event_id(), user))
                .await
                .status(),
            200
        );
    }
    let live = app.dir.path().join("needful.db");
    let backup = app.dir.path().join("backup.db");
    // While the app runs.
    let (ok, out, err) = run(needful()
        .env("DATABASE_URL", format!("sqlite://{}", live.display()))
        .args(["backup", backup.to_str().unwrap()]));
    assert!(ok, "{err}");
    assert!(out.contains("backed up"), "{out}");
    // A second backup to the same file is refused rather than overwriting it.
    let (ok, _, err) = run(needful()
        .env("DATABASE_URL", format!("sqlite://{}", live.display()))
        .args(["backup", backup.to_str().unwrap()]));
    assert!(!ok && err.contains("already exists"), "{err}");

    let restored = needful::storage::connect(&format!("sqlite://{}", backup.display()))
        .await
        .unwrap();
    let restored = restored.as_sqlite().unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(restored)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM processed_events")
        .fetch_one(restored)
        .await
        .unwrap();
    assert_eq!(events, 2);
}

/// `needful` (to be given `serve`) wired to `sim`, with its database in `dir`.
fn serve_against(sim: &needful::slack_sim::SlackSim, dir: &std::path::Path) -> Command {
    let mut cmd = needful();
    cmd.current_dir(dir)
        .env("SLACK_BOT_TOKEN", &sim.config().bot_token)
        .env("SLACK_SIGNING_SECRET", &sim.config().signing_secret)
        .env("SLACK_API_URL", sim.api_url())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("n.db").display()),
        )
        .env("NEEDFUL_LISTEN", "127.0.0.1:0");
    cmd
}

/// How `child` exited, if it did within `within`; otherwise it is killed.
async fn exit_within(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return Some(exit);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Runs `needful serve` against `sim` with `key` set to `value`, expects it
/// to refuse to start, and returns what it said.
async fn serve_refuses(sim: &needful::slack_sim::SlackSim, key: &str, value: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_against(sim, dir.path())
        .env(key, value)
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("needful starts");
    let exit = exit_within(&mut child, std::time::Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("needful served with {key}={value}"));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!exit.success());
    err
}

#[tokio::test]
async fn serve_refuses_an_in_memory_database() {
    let sim = needful::slack_sim::SlackSim::start(needful::slack_sim::SimConfig::default()).await;
    let err = serve_refuses(&sim, "DATABASE_URL", "sqlite::memory:").await;
    assert!(
        err.contains("in-memory database") && err.contains("sqlite://needful.db"),
        "{err}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_bot_cleanly() {
    use std::io::{BufRead, BufReader};
    let sim = needful::slack_sim::SlackSim::start(needful::slack_sim::SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_against(&sim, dir.path())
        .env("RUST_LOG", "info")
        .args(["serve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("needful starts");
    let stdout = child.stdout.take().unwrap();
    // Wait (bounded) for the "listening" line.
    let ready = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(200)
            .map_while(Result::ok)
            .any(|line| line.contains("needful is listening"))
    });
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), ready).await;
    assert!(
        matches!(ready, Ok(Ok(true))),
        "needful did not report listening"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = exit_within(&mut child, std::time::Duration::from_secs(20))
        .await
        .expect("needful did not stop within 20 s of SIGTERM");
    assert!(exit.success(), "exit status {exit:?}");
    // The last checkpoint leaves everything (the migrations, at least) in the
    // database file itself, so copying that file alone is a full backup.
    let wal = std::fs::metadata(dir.path().join("n.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the write-ahead log still holds {wal} bytes");
}

#[tokio::test]
async fn a_rehearsal_clock_starts_business_time_where_asked() {
    use std::io::Read as _;
    let sim = needful::slack_sim::SlackSim::start(needful::slack_sim::SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = crate::helpers::DEFAULT_CONFIG;
    std::fs::write(dir.path().join("needful.toml"), config).unwrap();
    let mut child = serve_against(&sim, dir.path())
        .env("RUST_LOG", "warn")
        // Monday 7 December, half a minute after the pod's 09:00 check-in.
        .env("NEEDFUL_CLOCK_START", "2026-12-07T09:00:30+01:00")
        .args(["serve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("needful starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let prompt = loop {
        let found = sim.calls_to("chat.postMessage").into_iter().find(|c| {
            c.ok && c.params["blocks"]
                .to_string()
                .contains("support:2026-12-07")
        });
        if let Some(call) = found {
            break call;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no check-in prompt for the rehearsal day: {}",
            sim.describe_calls()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(prompt.channel.as_deref(), Some("C0SUPPORT1"));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        logs.contains("NEEDFUL_CLOCK_START"),
        "the rehearsal clock is logged as a warning: {logs}"
    );
}

#[tokio::test]
async fn serve_refuses_env_examples_placeholder_token() {
    let sim = needful::slack_sim::SlackSim::start(needful::slack_sim::SimConfig::default()).await;
    let err = serve_refuses(&sim, "SLACK_BOT_TOKEN", "xoxb-your-bot-token").await;
    assert!(
        err.contains("SLACK_BOT_TOKEN")
            && err.contains(".env.example")
            && err.contains("Bot User OAuth Token"),
        "{err}"
    );
    // It stopped before asking Slack anything.
    assert!(sim.calls().is_empty(), "{}", sim.describe_calls());
}
