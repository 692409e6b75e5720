//! A throwaway PostgreSQL for the tests, started by the tests themselves
//! from Debian's postgresql package: one server per test run (in a
//! temporary directory, run as the `postgres` user when the tests run as
//! root, since initdb refuses root), one database per test. A watchdog
//! stops the server and removes its directory when the test process ends,
//! however it ends. Where no PostgreSQL binaries exist, [`server`] says so
//! and the tests that need one skip.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

/// The password of the tests' superuser.
const PASSWORD: &str = "needful-test";

pub struct Postgres {
    pub port: u16,
    next_db: AtomicU32,
}

fn bin_dir() -> PathBuf {
    std::env::var("NEEDFUL_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `script` with sh, as the `postgres` user when we are root.
fn sh(script: &str) -> Command {
    let mut cmd = if is_root() {
        let mut su = Command::new("su");
        su.args(["postgres", "-s", "/bin/sh", "-c", script]);
        su
    } else {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    };
    cmd.stdin(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The run's server, started on first use; None (said once) where there
/// are no PostgreSQL binaries.
pub fn server() -> Option<&'static Postgres> {
    static SERVER: OnceLock<Option<Postgres>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref()
}

fn start() -> Option<Postgres> {
    let bin = bin_dir();
    if !bin.join("initdb").exists() {
        eprintln!(
            "SKIPPED: the PostgreSQL tests: no PostgreSQL binaries in {} (install Debian's postgresql package, or set NEEDFUL_PG_BIN)",
            bin.display()
        );
        return None;
    }
    let dir = std::env::temp_dir().join(format!("needful-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the server's directory");
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, PASSWORD).expect("the password file");
    if is_root() {
        let owned = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .expect("chown runs");
        assert!(
            owned.success(),
            "could not give {} to postgres",
            dir.display()
        );
    }
    let d = dir.display();
    let b = bin.display();
    let init = sh(&format!(
        "{b}/initdb -D {d}/data -U postgres --auth=scram-sha-256 --pwfile={d}/pw -E UTF8 --locale=C.UTF-8 >{d}/initdb.log 2>&1"
    ))
    .status()
    .expect("initdb runs");
    assert!(init.success(), "initdb failed; see {d}/initdb.log");
    let port = free_port();
    // The watchdog: stops the server and removes its files once this test
    // process is gone. /proc, not kill -0: the postgres user may not signal us.
    let me = std::process::id();
    let serve = format!(
        "{b}/postgres -D {d}/data -p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 >{d}/server.log 2>&1 & pg=$!; \
         while [ -d /proc/{me} ]; do sleep 1; done; kill -INT $pg; wait $pg; rm -rf {d}"
    );
    let watchdog = sh(&serve)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("postgres starts");
    // It outlives this process on purpose (it is what cleans up after it);
    // a thread reaps it should it end first.
    std::thread::spawn(move || {
        let mut watchdog = watchdog;
        let _ = watchdog.wait();
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not start; see {d}/server.log"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Postgres {
        port,
        next_db: AtomicU32::new(0),
    })
}

impl Postgres {
    /// The URL of `database` as the tests' superuser (`password` overrides).
    pub fn url_as(&self, database: &str, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    pub fn url(&self, database: &str) -> String {
        self.url_as(database, PASSWORD)
    }

    /// A new, empty database for one test: its URL.
    pub async fn database(&self) -> String {
        let name = format!(
            "needful_{}_{}",
            std::process::id(),
            self.next_db.fetch_add(1, Ordering::Relaxed)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let admin = loop {
            match sqlx::PgPool::connect(&self.url("postgres")).await {
                Ok(pool) => break pool,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "PostgreSQL takes no connection: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        admin.close().await;
        self.url(&name)
    }
}

/// `needful ARGS` with `DATABASE_URL=url` and nothing else: (success, stdout, stderr).
pub async fn needful(args: &[&str], url: &str) -> (bool, String, String) {
    needful_with(args, url, &[]).await
}

/// [`needful`] with more of the environment set.
pub async fn needful_with(
    args: &[&str],
    url: &str,
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_needful"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .expect("needful runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A row for a migration no needful has written yet.
pub const FROM_THE_FUTURE: &str = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000000, 'from the future', TRUE, '\\x00', 0)";
/// The same, in SQLite's words.
pub const FROM_THE_FUTURE_SQLITE: &str = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000000, 'from the future', 1, X'00', 0)";
