//! Which database needful runs on, and what it says when one cannot be
//! used: a schema newer than the binary (both engines), and, on
//! PostgreSQL, an unreachable server, refused credentials and a missing
//! database; migrations applied once when replicas start together.

use crate::postgres::{FROM_THE_FUTURE, FROM_THE_FUTURE_SQLITE, needful, needful_with, server};

/// Enough of the environment for `needful serve` to get as far as the database.
const SERVE_ENV: &[(&str, &str)] = &[
    ("SLACK_BOT_TOKEN", "xoxb-1-2-abc"),
    ("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5"),
    ("NEEDFUL_LISTEN", "127.0.0.1:0"),
    ("SLACK_API_URL", "http://127.0.0.1:9"),
];

#[tokio::test]
async fn a_sqlite_database_newer_than_the_binary_is_refused_with_why() {
    if crate::helpers::first_binary_only() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("needful.db").display());
    let (ok, out, err) = needful(&["migrate"], &url).await;
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied"), "{out}");
    let db = sqlx::SqlitePool::connect(&url).await.expect("open");
    sqlx::query(FROM_THE_FUTURE_SQLITE)
        .execute(&db)
        .await
        .expect("a migration from the future");
    db.close().await;
    for command in [["migrate"], ["serve"]] {
        let (ok, _, err) = needful_with(&command, &url, SERVE_ENV).await;
        assert!(!ok, "{command:?} must refuse");
        assert!(
            err.contains("schema is newer than this needful") && err.contains("29991231000000"),
            "{command:?}: {err}"
        );
    }
}

#[tokio::test]
async fn an_unknown_database_url_says_what_to_write() {
    if crate::helpers::first_binary_only() {
        return;
    }
    let (ok, _, err) = needful(&["migrate"], "mysql://root:hunter2@localhost/needful").await;
    assert!(!ok);
    assert!(
        err.contains("sqlite://needful.db")
            && err.contains("postgres://")
            && !err.contains("hunter2"),
        "{err}"
    );
}

#[tokio::test]
async fn needful_migrate_prepares_postgres_once_when_replicas_start_together() {
    if crate::helpers::first_binary_only() {
        return;
    }
    let Some(pg) = server() else { return };
    let url = pg.database().await;
    // Three at once: sqlx's migration lock lets one apply, the others wait.
    let runs = futures::future::join_all((0..3).map(|_| needful(&["migrate"], &url))).await;
    for (ok, out, err) in &runs {
        assert!(ok, "{err}");
        assert!(
            out.contains("migrations applied") && !out.contains("needful-test"),
            "{out}"
        );
    }
    let db = sqlx::PgPool::connect(&url).await.expect("connect");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&db)
        .await
        .expect("count");
    let known = needful::storage::engine::POSTGRES_MIGRATOR.iter().count() as i64;
    assert_eq!(applied, known, "each migration once");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN \
         ('processed_events', 'outbox', 'kudos_log', 'trophy_passes', 'setup', 'setup_changes', 'people_names')",
    )
    .fetch_one(&db)
    .await
    .expect("tables");
    assert_eq!(tables, 7);

    // A schema newer than the binary is refused, and says why.
    sqlx::query(FROM_THE_FUTURE)
        .execute(&db)
        .await
        .expect("from the future");
    db.close().await;
    let (ok, _, err) = needful(&["migrate"], &url).await;
    assert!(!ok);
    assert!(err.contains("schema is newer than this needful"), "{err}");
    // And so is a replica started on it.
    let (ok, _, err) = needful_with(&["serve"], &url, SERVE_ENV).await;
    assert!(!ok);
    assert!(
        err.contains("schema is newer than this needful"),
        "serve: {err}"
    );
}

#[tokio::test]
async fn postgres_that_cannot_be_used_is_named_with_what_to_do() {
    if crate::helpers::first_binary_only() {
        return;
    }
    let Some(pg) = server() else { return };
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a port");
    let cases = [
        (
            format!("postgres://postgres:x@127.0.0.1:{nobody}/needful"),
            "could not reach PostgreSQL at 127.0.0.1:",
        ),
        (
            pg.url_as("postgres", "wrong-password"),
            "refused the user \"postgres\" or its password",
        ),
        (
            pg.url("no_such_database"),
            "has no database \"no_such_database\"",
        ),
    ];
    for (bad, says) in cases {
        // Ahead of time, and when a replica starts.
        let (ok, _, err) = needful(&["migrate"], &bad).await;
        assert!(!ok, "{bad}");
        assert!(err.contains(says), "{bad}: {err}");
        assert!(
            !err.contains("wrong-password"),
            "no password in messages: {err}"
        );
        let (ok, _, err) = needful_with(&["serve"], &bad, SERVE_ENV).await;
        assert!(!ok, "{bad}");
        assert!(err.contains(says), "serve on {bad}: {err}");
    }
}

#[tokio::test]
async fn needful_copy_moves_a_teams_whole_history_to_postgres_once() {
    use needful::slack_sim::payloads;
    if crate::helpers::sqlite_only("the copy's source") {
        return;
    }
    let Some(pg) = server() else { return };
    // A team's day on SQLite: kudos both ways, the trophy, understaffed mode,
    // the morning prompt, the setup and the outbox.
    let app = crate::helpers::spawn_app().await;
    let ts = app
        .sim
        .post_as_user("C0SUPPORT1", "U0BOB00001", "Fixed the Acme import");
    let reaction = payloads::reaction_added(
        &crate::helpers::event_id(),
        "U0ALICE001",
        "trophy",
        Some("U0BOB00001"),
        "C0SUPPORT1",
        &ts,
    );
    assert_eq!(app.slack.event(&reaction).await.status(), 200);
    app.command(
        "/kudos",
        "U0CAROL001",
        "C0SUPPORT1",
        "<@U0ALICE001|alice> took the 2am call",
    )
    .await;
    app.command(
        "/trophy",
        "U0MANAGER1",
        "C0SUPPORT1",
        "pass <@U0BOB00001> for Acme",
    )
    .await;
    app.command(
        "/understaffed",
        "U0MANAGER1",
        "C0SUPPORT1",
        "on two out sick",
    )
    .await;
    app.outbox_drained(std::time::Duration::from_secs(15)).await;
    let (_sim, dir, _, _, _) = app.stop().await;
    let from = format!("sqlite://{}", dir.path().join("needful.db").display());
    let sqlite = sqlx::SqlitePool::connect(&from).await.expect("open");
    let mut want = Vec::new();
    for table in needful::storage::copy::TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&sqlite)
            .await
            .expect("count");
        want.push((*table, n));
    }
    let max_kudos: i64 = sqlx::query_scalar("SELECT MAX(id) FROM kudos_log")
        .fetch_one(&sqlite)
        .await
        .expect("max id");
    sqlite.close().await;
    for table in [
        "kudos_log",
        "trophy_passes",
        "staffing_switches",
        "checkin_prompts",
        "setup_changes",
        "outbox",
    ] {
        let n = want.iter().find(|(t, _)| *t == table).map(|(_, n)| *n);
        assert!(n.is_some_and(|n| n > 0), "the day left rows in {table}");
    }

    // A copy that fails part-way (here: a time that does not read, in one
    // of the last tables) leaves the target empty, and runs again cleanly.
    let to = pg.database().await;
    let sqlite = sqlx::SqlitePool::connect(&from).await.expect("open");
    let kept: String = sqlx::query_scalar("SELECT changed_at FROM setup_changes WHERE version = 1")
        .fetch_one(&sqlite)
        .await
        .expect("a time");
    sqlx::query("UPDATE setup_changes SET changed_at = 'not a time' WHERE version = 1")
        .execute(&sqlite)
        .await
        .expect("spoil it");
    let (ok, _, err) = needful(&["copy", "--from", &from, "--to", &to], &from).await;
    assert!(!ok);
    assert!(err.contains("setup_changes.changed_at"), "{err}");
    let target = sqlx::PgPool::connect(&to).await.expect("connect");
    let copied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kudos_log")
        .fetch_one(&target)
        .await
        .expect("count");
    assert_eq!(copied, 0, "nothing stays from a failed copy");
    target.close().await;
    sqlx::query("UPDATE setup_changes SET changed_at = ? WHERE version = 1")
        .bind(&kept)
        .execute(&sqlite)
        .await
        .expect("mend it");
    sqlite.close().await;

    let (ok, out, err) = needful(&["copy", "--from", &from, "--to", &to], &from).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("verified table by table") && !out.contains("needful-test"),
        "{out}"
    );
    let target = sqlx::PgPool::connect(&to).await.expect("connect");
    for (table, n) in &want {
        let there: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&target)
            .await
            .expect("count");
        assert_eq!(there, *n, "{table}");
        assert!(out.contains(&format!("{table:<18} {n}")), "{table}: {out}");
    }
    // Times keep their instant; new ids continue after the copied ones.
    let first: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT changed_at FROM setup_changes ORDER BY version LIMIT 1")
            .fetch_one(&target)
            .await
            .expect("a time");
    assert_eq!(first.to_rfc3339(), "2026-11-25T08:30:00+00:00");
    let next: i64 = sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('kudos_log', 'id'))")
        .fetch_one(&target)
        .await
        .expect("nextval");
    assert!(next > max_kudos, "{next} after {max_kudos}");
    target.close().await;

    // A target that holds data is refused, and left as it is.
    let (ok, _, err) = needful(&["copy", "--from", &from, "--to", &to], &from).await;
    assert!(!ok);
    assert!(err.contains("already holds data"), "{err}");
}

#[tokio::test]
async fn needful_backup_on_postgres_writes_a_pg_dump_archive() {
    if crate::helpers::first_binary_only() {
        return;
    }
    let Some(pg) = server() else { return };
    let url = pg.database().await;
    let (ok, _, err) = needful(&["migrate"], &url).await;
    assert!(ok, "{err}");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("needful.dump");
    let file_arg = file.display().to_string();
    let (ok, out, err) = needful(&["backup", &file_arg], &url).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("pg_restore") && !out.contains("needful-test"),
        "{out}"
    );
    let archive = std::fs::read(&file).expect("the dump");
    assert!(archive.starts_with(b"PGDMP"), "a pg_dump custom archive");
}
