//! Real needful processes as replicas on one PostgreSQL, behind a small
//! load balancer that sends each event to the next replica whose
//! `/healthz` answered 200 and, as Slack does, retries an event it heard no
//! answer for on another. A rolling restart under steady load gives no
//! errors and loses nothing; kill -9 of a replica under load loses no
//! acknowledged event, and the others deliver its leased messages.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt as _;
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use needful::slack_sim::{FailRule, Failure};

use crate::faults::{
    Bot, Kudos, assert_nothing_lost, deliver_event, fault_sim, make_kudos, start_bot_on,
    write_config,
};

/// How long a stopping replica keeps serving while `/healthz` says 503.
const DRAIN: &str = "1s";

/// The replicas a load balancer knows, and which answered `/healthz` with
/// 200 at its last look (every 50 ms).
#[derive(Clone, Default)]
struct Balancer {
    replicas: Arc<Mutex<Vec<(String, bool)>>>,
    next: Arc<std::sync::atomic::AtomicUsize>,
}

impl Balancer {
    fn add(&self, base: &str) {
        self.replicas
            .lock()
            .unwrap()
            .push((base.to_string(), false));
    }

    fn remove(&self, base: &str) {
        self.replicas.lock().unwrap().retain(|(b, _)| b != base);
    }

    /// The next healthy replica, round robin.
    fn pick(&self) -> Option<String> {
        let replicas = self.replicas.lock().unwrap();
        let healthy: Vec<&String> = replicas
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(b, _)| b)
            .collect();
        if healthy.is_empty() {
            return None;
        }
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(healthy[n % healthy.len()].clone())
    }

    /// Looks at every replica's `/healthz` every 50 ms until `stop`.
    fn check(&self, http: reqwest::Client, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                let bases: Vec<String> = this
                    .replicas
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(b, _)| b.clone())
                    .collect();
                for base in bases {
                    let ok = http
                        .get(format!("{base}/healthz"))
                        .timeout(Duration::from_millis(300))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200);
                    for replica in this.replicas.lock().unwrap().iter_mut() {
                        if replica.0 == base {
                            replica.1 = ok;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    }

    /// Waits (bounded) until `base` is taken as healthy.
    async fn healthy(&self, base: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self
            .replicas
            .lock()
            .unwrap()
            .iter()
            .any(|(b, ok)| b == base && *ok)
        {
            assert!(Instant::now() < deadline, "{base} never became healthy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// What the load saw: events acknowledged, and answers other than 200
/// (a 503, or no answer at all) before a retry got through.
#[derive(Default)]
struct Seen {
    acked: HashSet<String>,
    errors: Vec<String>,
}

/// Sends `kudos` at `per_second` through `lb`; an event without a 200 is
/// retried on the next healthy replica, as Slack retries, up to 5 times.
async fn load(
    lb: Balancer,
    http: reqwest::Client,
    secret: String,
    kudos: Arc<Vec<Kudos>>,
    range: std::ops::Range<usize>,
    per_second: u64,
) -> Seen {
    let gap = Duration::from_micros(1_000_000 / per_second);
    let started = tokio::time::Instant::now();
    let results: Vec<(String, Vec<String>, bool)> = futures::stream::iter(range)
        .map(|i| {
            let (lb, http, secret, kudos) =
                (lb.clone(), http.clone(), secret.clone(), kudos.clone());
            async move {
                tokio::time::sleep_until(started + gap * (i as u32 % 1_000_000)).await;
                let mut errors = Vec::new();
                for retry in 0..6 {
                    let Some(base) = lb.pick() else {
                        errors.push("no healthy replica".to_string());
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    match deliver_event(&http, &base, &secret, &kudos[i].event, retry).await {
                        Some(200) => return (kudos[i].event_id.clone(), errors, true),
                        other => {
                            errors.push(format!("{} from {base}: {other:?}", kudos[i].event_id))
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (kudos[i].event_id.clone(), errors, false)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut seen = Seen::default();
    for (id, errors, acked) in results {
        if acked {
            seen.acked.insert(id);
        }
        seen.errors.extend(errors);
    }
    seen
}

struct Cluster {
    sim: needful::slack_sim::SlackSim,
    dir: tempfile::TempDir,
    url: String,
    http: reqwest::Client,
    lb: Balancer,
    stop_checks: CancellationToken,
}

impl Cluster {
    async fn new() -> Option<Self> {
        if crate::helpers::first_binary_only() {
            return None;
        }
        let pg = crate::postgres::server()?;
        let url = pg.database().await;
        let sim = fault_sim().await;
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let lb = Balancer::default();
        let stop_checks = CancellationToken::new();
        lb.check(http.clone(), stop_checks.clone());
        Some(Self {
            sim,
            dir,
            url,
            http,
            lb,
            stop_checks,
        })
    }

    /// A new replica, once the balancer sees it healthy.
    async fn start(&self) -> Bot {
        let bot = start_bot_on(
            &self.sim,
            self.dir.path(),
            &self.url,
            None,
            &[("NEEDFUL_DRAIN", DRAIN)],
        )
        .await;
        self.lb.add(&bot.base);
        self.lb.healthy(&bot.base).await;
        bot
    }

    async fn db(&self) -> PgPool {
        PgPool::connect(&self.url)
            .await
            .expect("the database opens")
    }

    /// Every acknowledged event applied once, every kudos celebrated, and
    /// how many messages were posted twice.
    async fn check(&self, kudos: &[Kudos], acked: &HashSet<String>) -> usize {
        // A post Slack took but had not answered (the injected slow
        // answers) is in the channel all the same: it counts.
        let taken = |call: &needful::slack_sim::Call| call.ok || call.status == 0;
        assert_nothing_lost(&self.url, &self.sim, kudos, acked, taken).await;
        // Messages posted twice: a post celebrating a kudos an earlier post
        // already did (one message may celebrate several: a roundup).
        let mut seen = HashSet::new();
        self.sim
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|call| taken(call))
            .filter(|call| {
                let params = call.params.to_string();
                let links: Vec<String> = kudos
                    .iter()
                    .map(|k| k.link())
                    .filter(|link| params.contains(link.as_str()))
                    .collect();
                let again = links.iter().any(|link| seen.contains(link));
                seen.extend(links);
                again
            })
            .count()
    }
}

/// Two replicas under a steady 100 events a second; each is stopped with
/// SIGTERM and started again in turn. The balancer sees `/healthz` turn
/// 503 and sends nothing more to the stopping one, which finishes what it
/// has: no event gets anything but a 200, nothing is lost, nothing is sent
/// twice.
#[tokio::test]
async fn a_rolling_restart_under_steady_load_has_no_errors_and_loses_nothing() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    const EVENTS: usize = 500;
    let kudos = Arc::new(make_kudos(&cluster.sim, "ROLL", EVENTS));
    let secret = cluster.sim.config().signing_secret.clone();
    let a = cluster.start().await;
    let b = cluster.start().await;
    let started = Instant::now();
    let load = tokio::spawn(load(
        cluster.lb.clone(),
        cluster.http.clone(),
        secret,
        kudos.clone(),
        0..EVENTS,
        100,
    ));
    // One replica at a time: SIGTERM (it drains, then exits), then a fresh one.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let old = a.base.clone();
    a.stop().await;
    cluster.lb.remove(&old);
    let a = cluster.start().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let old = b.base.clone();
    b.stop().await;
    cluster.lb.remove(&old);
    let b = cluster.start().await;
    let seen = load.await.unwrap();
    let took = started.elapsed();
    assert!(
        seen.errors.is_empty(),
        "errors during the rollout: {:?}",
        seen.errors
    );
    assert_eq!(seen.acked.len(), EVENTS, "every event was acknowledged");
    a.drained(&cluster.http, Duration::from_secs(40)).await;
    let twice = cluster.check(&kudos, &seen.acked).await;
    assert_eq!(twice, 0, "a graceful stop sends nothing twice");
    println!("rolling restart: {EVENTS} events at 100/s, 0 errors, 0 posted twice, {took:?}");
    a.stop().await;
    b.stop().await;
    cluster.stop_checks.cancel();
}

/// Two replicas under load; one is killed with SIGKILL while a post of its
/// own is on its way to Slack (Slack took it but had not answered), twice.
/// Events it never answered are retried on the other, as Slack retries; the
/// other delivers the killed one's leased messages once the lease (3 s here)
/// runs out. Every acknowledged event is applied, every kudos celebrated,
/// and only the post in flight at each kill is sent twice.
#[tokio::test]
async fn kill_9_of_a_replica_under_load_loses_nothing_acked() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    let seed = std::env::var("NEEDFUL_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261205u64);
    let mut rng = StdRng::seed_from_u64(seed);
    const KILLS: usize = 2;
    const PER_ROUND: usize = 150;
    let kudos = Arc::new(make_kudos(&cluster.sim, "RKILL", PER_ROUND * KILLS));
    let secret = cluster.sim.config().signing_secret.clone();
    let in_flight = || {
        cluster
            .sim
            .calls_to("chat.postMessage")
            .iter()
            .any(|c| c.status == 0)
    };
    let mut acked = HashSet::new();
    let mut victim = cluster.start().await;
    let started = Instant::now();
    for round in 0..KILLS {
        // The next post is taken by Slack but not answered: while only the
        // victim runs, that post is the victim's.
        cluster.sim.fail(FailRule::once(
            "chat.postMessage",
            Failure::Slow(Duration::from_secs(60)),
        ));
        let load = tokio::spawn(load(
            cluster.lb.clone(),
            cluster.http.clone(),
            secret.clone(),
            kudos.clone(),
            round * PER_ROUND..(round + 1) * PER_ROUND,
            100,
        ));
        crate::helpers::wait_until("the victim's post on its way", async || in_flight()).await;
        let survivor = cluster.start().await;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..800))).await;
        let base = victim.base.clone();
        victim.kill9();
        cluster.lb.remove(&base);
        let seen = load.await.unwrap();
        acked.extend(seen.acked);
        // The survivor delivers everything, the killed one's leased row too.
        survivor
            .drained(&cluster.http, Duration::from_secs(40))
            .await;
        victim = survivor;
    }
    let took = started.elapsed();
    assert_eq!(
        acked.len(),
        kudos.len(),
        "every event was acknowledged, retries included"
    );
    let twice = cluster.check(&kudos, &acked).await;
    assert!(
        twice <= KILLS,
        "{twice} messages posted twice, but only {KILLS} kills (one in flight each)"
    );
    let db = cluster.db().await;
    let taken_over: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE attempts > 1")
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    assert!(
        taken_over >= KILLS as i64,
        "each killed replica's leased post was claimed again ({taken_over})"
    );
    println!(
        "kill -9 of a replica x{KILLS} (seed {seed}): {} events, {twice} posted twice, {taken_over} leases taken over, {took:?}",
        kudos.len()
    );
    victim.stop().await;
    cluster.stop_checks.cancel();
}
