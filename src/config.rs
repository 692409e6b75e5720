//! Typed settings: secrets and endpoints from the environment, team settings from
//! `needful.toml`. Every error names the key or value that is wrong.

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use crate::domain::ids::{ChannelId, UserId};

/// Everything the process needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub env: EnvSettings,
    pub team: TeamConfig,
}

/// Secrets and endpoints. Tokens are wrapped so they never reach a log line.
#[derive(Debug, Clone)]
pub struct EnvSettings {
    pub bot_token: Secret,
    pub app_token: Option<Secret>,
    /// Several secrets may be given, comma-separated, so one can be rotated.
    pub signing_secrets: Vec<Secret>,
    pub database_url: String,
    pub slack_api_url: String,
    pub listen: SocketAddr,
    /// When set, `/metrics` is served here only (an internal address).
    pub metrics_listen: Option<SocketAddr>,
    /// The most connections held open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and then its
    /// body; also how long an idle keep-alive connection is kept.
    pub request_timeout: Duration,
    /// How long a stop answers 503 on /healthz before it stops serving.
    pub drain: Duration,
    /// On PostgreSQL, the most connections this replica's read pool opens
    /// (`NEEDFUL_DATABASE_POOL`); it holds two more (its writer, `/healthz`).
    pub database_pool: u32,
    pub config_path: PathBuf,
    pub clock_start: Option<DateTime<Utc>>,
    pub log_json: bool,
    /// People who may see and manage the whole setup (`NEEDFUL_ADMINS`).
    pub admins: Vec<UserId>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {key}: {message}")]
    Env { key: &'static str, message: String },
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: String,
        key: String,
        message: String,
    },
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://needful.db";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";
pub const DEFAULT_CONFIG_PATH: &str = "needful.toml";
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Read connections per replica on PostgreSQL: with the writer's and
/// `/healthz`'s, 10 a replica, so PostgreSQL's default `max_connections`
/// (100) leaves room for several replicas, migrations and a `psql`.
pub const DEFAULT_DATABASE_POOL: u32 = 8;
/// Slack sends each request whole and at once, so two seconds is plenty. It
/// is also about how long Slack's requests wait in the backlog while a flood
/// fills every connection slot, so it stays well under Slack's 3 s deadline
/// (measured with 2,000 idle clients: 5 s → Slack waited 4.1 s, 2 s → 0.9 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The positive whole number in `key`, or `default` when it is unset.
fn positive<T>(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default + std::fmt::Display,
{
    let Some(raw) = get(key) else {
        return Ok(default);
    };
    match raw.trim().parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(ConfigError::Env {
            key,
            message: format!("{raw:?} is not a positive whole number; e.g. {default}"),
        }),
    }
}

impl EnvSettings {
    /// Reads the process environment (after `.env`, which `main` loads).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bot_token = get("SLACK_BOT_TOKEN").map(Secret::new).unwrap_or_else(|| {
            // Allowed to be missing for `migrate`, `check-config` and `manifest`;
            // `serve` checks it before starting.
            Secret::new("")
        });
        let signing_secrets = get("SLACK_SIGNING_SECRET")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Secret::new)
                    .collect()
            })
            .unwrap_or_default();
        let slack_api_url = get("SLACK_API_URL")
            .unwrap_or_else(|| DEFAULT_SLACK_API_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        url::Url::parse(&slack_api_url).map_err(|e| ConfigError::Env {
            key: "SLACK_API_URL",
            message: format!("{e}; expected something like {DEFAULT_SLACK_API_URL}"),
        })?;
        let listen_raw = get("NEEDFUL_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_raw.parse().map_err(|_| ConfigError::Env {
            key: "NEEDFUL_LISTEN",
            message: format!(
                "{listen_raw:?} is not an address; use host:port, e.g. {DEFAULT_LISTEN}"
            ),
        })?;
        let metrics_listen = match get("NEEDFUL_METRICS_LISTEN") {
            None => None,
            Some(raw) => Some(raw.trim().parse().map_err(|_| ConfigError::Env {
                key: "NEEDFUL_METRICS_LISTEN",
                message: format!(
                    "{raw:?} is not an address; use host:port on an internal interface, e.g. 127.0.0.1:9090"
                ),
            })?),
        };
        let max_connections = positive(&get, "NEEDFUL_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS)?;
        let request_timeout = match get("NEEDFUL_REQUEST_TIMEOUT") {
            None => DEFAULT_REQUEST_TIMEOUT,
            Some(raw) => match humantime::parse_duration(raw.trim()) {
                Ok(d) if !d.is_zero() => d,
                _ => {
                    return Err(ConfigError::Env {
                        key: "NEEDFUL_REQUEST_TIMEOUT",
                        message: format!(
                            "{raw:?} is not a duration longer than zero; e.g. 5s or 500ms"
                        ),
                    });
                }
            },
        };
        let database_pool = positive(&get, "NEEDFUL_DATABASE_POOL", DEFAULT_DATABASE_POOL)?;
        let drain = match get("NEEDFUL_DRAIN") {
            None => Duration::ZERO,
            Some(raw) => humantime::parse_duration(raw.trim()).map_err(|_| ConfigError::Env {
                key: "NEEDFUL_DRAIN",
                message: format!("{raw:?} is not a duration; e.g. 10s, or 0s for none"),
            })?,
        };
        let clock_start = match get("NEEDFUL_CLOCK_START") {
            None => None,
            Some(raw) => Some(
                DateTime::parse_from_rfc3339(raw.trim())
                    .map_err(|e| ConfigError::Env {
                        key: "NEEDFUL_CLOCK_START",
                        message: format!(
                            "{raw:?} is not RFC 3339 ({e}); e.g. 2026-12-07T08:59:00+01:00"
                        ),
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let log_json = match get("NEEDFUL_LOG_FORMAT").as_deref() {
            None | Some("text") | Some("pretty") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError::Env {
                    key: "NEEDFUL_LOG_FORMAT",
                    message: format!("{other:?} is not a log format; use text or json"),
                });
            }
        };
        let admins = match get("NEEDFUL_ADMINS") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|id| {
                    UserId::parse(id).map_err(|_| ConfigError::Env {
                        key: "NEEDFUL_ADMINS",
                        message: format!(
                            "{id:?} is not a Slack user id; list ids like U0123ABCD, comma-separated"
                        ),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            bot_token,
            app_token: get("SLACK_APP_TOKEN").map(Secret::new),
            signing_secrets,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            slack_api_url,
            listen,
            metrics_listen,
            max_connections,
            request_timeout,
            drain,
            database_pool,
            config_path: get("NEEDFUL_CONFIG")
                .unwrap_or_else(|| DEFAULT_CONFIG_PATH.to_string())
                .into(),
            clock_start,
            log_json,
            admins,
        })
    }
}

/// The example values `.env.example` ships with, and what to put instead.
/// A copied file left unedited must stop `serve` with a clear message
/// rather than a stream of `invalid_auth` from Slack.
const PLACEHOLDERS: &[(&str, &str, &str)] = &[
    (
        "SLACK_BOT_TOKEN",
        "xoxb-your-bot-token",
        "the Bot User OAuth Token (api.slack.com/apps → your app → OAuth & Permissions), which starts with xoxb-",
    ),
    (
        "SLACK_SIGNING_SECRET",
        "your-signing-secret",
        "the Signing Secret (api.slack.com/apps → your app → Basic Information → App Credentials)",
    ),
    (
        "SLACK_APP_TOKEN",
        "xapp-your-app-token",
        "an App-Level Token with connections:write (api.slack.com/apps → your app → Basic Information → App-Level Tokens), which starts with xapp-",
    ),
];

impl EnvSettings {
    /// Fails, naming the variable and what to set it to, when a secret is
    /// still `.env.example`'s placeholder.
    pub fn check_no_placeholders(&self) -> Result<(), ConfigError> {
        let given = |key: &str| -> Vec<&str> {
            match key {
                "SLACK_BOT_TOKEN" => vec![self.bot_token.expose()],
                "SLACK_SIGNING_SECRET" => self.signing_secrets.iter().map(Secret::expose).collect(),
                "SLACK_APP_TOKEN" => self.app_token.iter().map(Secret::expose).collect(),
                _ => Vec::new(),
            }
        };
        for (key, placeholder, what) in PLACEHOLDERS {
            if given(key).iter().any(|v| v.trim() == *placeholder) {
                return Err(ConfigError::Env {
                    key,
                    message: format!(
                        "still the example value {placeholder:?} from .env.example; set it to {what}"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Letters (any script), digits, `-` and `_`: what names used in commands
/// may hold (a pod's, a role's).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// One thing wrong with a setup: where (`pods[0].name`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

/// Team settings from `needful.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamConfig {
    pub kudos: KudosConfig,
    pub trophy: TrophyConfig,
    pub pods: Vec<PodConfig>,
    /// How the outbox talks to Slack: tuning for whoever runs needful, read
    /// from the file at start; not part of the team's setup.
    #[serde(skip_serializing)]
    pub outbox: OutboxConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KudosConfig {
    /// Where kudos are celebrated (#humblebrag). Without it, celebrations are skipped.
    pub channel: Option<ChannelId>,
    pub reactions: Vec<String>,
    pub daily_limit: u32,
    pub leaderboard: bool,
}

impl Default for KudosConfig {
    fn default() -> Self {
        Self {
            channel: None,
            reactions: vec!["trophy".to_string()],
            daily_limit: 5,
            leaderboard: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrophyConfig {
    pub name: String,
    pub nudge_after_days: u32,
}

impl Default for TrophyConfig {
    fn default() -> Self {
        Self {
            name: "Needful Trophy".to_string(),
            nudge_after_days: 14,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PodConfig {
    pub name: String,
    pub channel: ChannelId,
    #[serde(default)]
    pub managers: Vec<UserId>,
    #[serde(default)]
    pub members: Vec<UserId>,
    #[serde(default = "default_timezone")]
    pub timezone: Tz,
    #[serde(
        default = "default_checkin_at",
        deserialize_with = "de_clock_time",
        serialize_with = "ser_clock_time"
    )]
    pub checkin_at: NaiveTime,
    #[serde(
        default = "default_checkin_window",
        deserialize_with = "de_duration",
        serialize_with = "ser_duration"
    )]
    pub checkin_window: Duration,
    #[serde(
        default = "default_workdays",
        deserialize_with = "de_weekdays",
        serialize_with = "ser_weekdays"
    )]
    pub workdays: Vec<Weekday>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    #[serde(default)]
    pub help_channels: Vec<ChannelId>,
    #[serde(default)]
    pub overtime_note: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

impl PodConfig {
    /// A new pod in `channel`, with the default check-in (09:00 UTC on
    /// weekdays, open for two hours) and the default roles.
    pub fn new(name: &str, channel: ChannelId) -> Self {
        Self {
            name: name.to_string(),
            channel,
            managers: Vec::new(),
            members: Vec::new(),
            timezone: default_timezone(),
            checkin_at: default_checkin_at(),
            checkin_window: default_checkin_window(),
            workdays: default_workdays(),
            holidays: Vec::new(),
            help_channels: Vec::new(),
            overtime_note: None,
            roles: None,
        }
    }
}

/// How the outbox worker talks to Slack. The defaults follow Slack's published
/// limits; tests shorten them so no test waits for minutes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Minimum gap between chat.postMessage/chat.update calls in one channel.
    #[serde(deserialize_with = "de_duration")]
    pub channel_interval: Duration,
    /// Minimum gap between two App Home publishes, across everyone.
    /// views.publish is Tier 4 (100+/min) and every publish renders a home
    /// from the database, so under a flood of kudos homes refresh at this
    /// pace (a person's waiting refreshes coalesce) instead of competing
    /// with the requests.
    #[serde(deserialize_with = "de_duration")]
    pub home_interval: Duration,
    /// First retry delay after a network error or 5xx; doubles up to `max_backoff`.
    #[serde(deserialize_with = "de_duration")]
    pub base_backoff: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub max_backoff: Duration,
    /// How long a message keeps being retried before it is given up.
    #[serde(deserialize_with = "de_duration")]
    pub give_up_after: Duration,
    /// How often the worker looks for due work when nothing woke it.
    #[serde(deserialize_with = "de_duration")]
    pub poll_interval: Duration,
    /// How many channels are delivered to at once.
    pub concurrency: usize,
    /// The longest one Slack call may take before it counts as failed.
    #[serde(deserialize_with = "de_duration")]
    pub call_timeout: Duration,
    /// How long a claimed message is reserved for one delivery attempt. A
    /// message left mid-delivery by a process that died is sent again once
    /// this runs out. At least three call timeouts (a delivery makes up to three calls).
    #[serde(deserialize_with = "de_duration")]
    pub lease: Duration,
    /// A celebration still waiting this long after its kudos is dropped
    /// unsent (the kudos stays recorded and in the App Home): after a long
    /// Slack outage, hours-old celebrations would only bury today's.
    #[serde(deserialize_with = "de_duration")]
    pub celebrations_expire_after: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            channel_interval: Duration::from_secs(1),
            home_interval: Duration::from_millis(400),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            give_up_after: Duration::from_secs(24 * 3600),
            poll_interval: Duration::from_millis(500),
            concurrency: 8,
            call_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(30),
            celebrations_expire_after: Duration::from_secs(3600),
        }
    }
}

fn default_timezone() -> Tz {
    Tz::UTC
}
fn default_checkin_at() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()
}
fn default_checkin_window() -> Duration {
    Duration::from_secs(2 * 3600)
}
fn default_workdays() -> Vec<Weekday> {
    use Weekday::*;
    vec![Mon, Tue, Wed, Thu, Fri]
}

fn de_clock_time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let raw = String::deserialize(d)?;
    NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| {
        D::Error::custom(format!(
            "{raw:?} is not a time of day; use HH:MM, e.g. \"09:00\""
        ))
    })
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    humantime::parse_duration(raw.trim()).map_err(|_| {
        D::Error::custom(format!(
            "{raw:?} is not a duration; use e.g. \"2h\", \"90m\", \"500ms\""
        ))
    })
}

// Written back as they are read, so an exported setup reads like the file.
fn ser_clock_time<S: Serializer>(at: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.format("%H:%M").to_string())
}

fn ser_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*d).to_string())
}

fn ser_weekdays<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(days.iter().map(|day| day.to_string()))
}

fn de_weekdays<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|day| {
            Weekday::from_str(day.trim()).map_err(|_| {
                D::Error::custom(format!(
                    "{day:?} is not a weekday; use Mon, Tue, Wed, Thu, Fri, Sat or Sun"
                ))
            })
        })
        .collect()
}

impl TeamConfig {
    /// Loads `path`; a missing file means built-in defaults.
    pub fn load(path: &std::path::Path) -> Result<(Self, bool), ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::parse(&text, &path.display().to_string())?, true)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Self::default(), false)),
            Err(source) => Err(ConfigError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The team's setup as needful.toml would hold it (without `[outbox]`,
    /// which stays in the file).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# could not write the setup: {e}\n"))
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, ConfigError> {
        let config: TeamConfig = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            Some(Problem { key, message }) => Err(ConfigError::Invalid {
                path: path.to_string(),
                key,
                message,
            }),
            None => Ok(()),
        }
    }

    /// Everything wrong with this setup, in file order: what
    /// `check-config` reports (the first) and what a form in Slack shows
    /// beside its fields (all).
    pub fn problems(&self) -> Vec<Problem> {
        let mut found = Vec::new();
        let mut problem = |key: String, message: String| found.push(Problem { key, message });
        if self.kudos.reactions.is_empty() {
            problem(
                "kudos.reactions".into(),
                "needs at least one emoji name, e.g. [\"trophy\"]".into(),
            );
        }
        for r in &self.kudos.reactions {
            let emoji_char =
                |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+-'".contains(c);
            if r.is_empty() || !r.chars().all(emoji_char) {
                problem(
                    "kudos.reactions".into(),
                    format!("{r:?} is not an emoji name; write it without colons, e.g. \"trophy\""),
                );
            }
        }
        if self.kudos.daily_limit == 0 {
            problem("kudos.daily_limit".into(), "must be at least 1".into());
        }
        if self.trophy.name.trim().is_empty() {
            problem("trophy.name".into(), "must not be empty".into());
        }
        let named = |name: &str| {
            self.pods
                .iter()
                .filter(|p| p.name.to_lowercase() == name.to_lowercase())
                .count()
        };
        for (i, pod) in self.pods.iter().enumerate() {
            let key = |field: &str| format!("pods[{i}].{field}");
            if pod.name.trim().is_empty() || !pod.name.chars().all(word_char) {
                problem(
                    key("name"),
                    format!(
                        "{:?} must be one word of letters, digits, - or _, e.g. \"support\"",
                        pod.name
                    ),
                );
            } else if named(&pod.name) > 1 {
                problem(
                    key("name"),
                    format!("{:?} is used by two pods; pod names must differ", pod.name),
                );
            }
            if pod.workdays.is_empty() {
                problem(key("workdays"), "needs at least one day".into());
            }
            if pod.checkin_window.is_zero() {
                problem(key("checkin_window"), "must be longer than 0".into());
            }
            if let Some(roles) = &pod.roles {
                if roles.is_empty() {
                    problem(
                        key("roles"),
                        "leave it out for the default roles, or list at least one".into(),
                    );
                }
                if let Some(odd) = roles
                    .iter()
                    .find(|r| r.is_empty() || !r.chars().all(word_char))
                {
                    problem(
                        key("roles"),
                        format!(
                            "{odd:?} must be one word of letters, digits, - or _, e.g. \"ticket-tank\""
                        ),
                    );
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(twice) = roles.iter().find(|r| !seen.insert(r.to_lowercase())) {
                    problem(key("roles"), format!("{twice:?} is listed twice"));
                }
            }
        }
        if self.outbox.concurrency == 0 {
            problem("outbox.concurrency".into(), "must be at least 1".into());
        }
        if self.outbox.call_timeout.is_zero() {
            problem(
                "outbox.call_timeout".into(),
                "must be longer than zero".into(),
            );
        }
        if self.outbox.lease < self.outbox.call_timeout * 3 {
            problem(
                "outbox.lease".into(),
                format!(
                    "must be at least three call timeouts ({}), so a message still being delivered is never handed out twice",
                    humantime::format_duration(self.outbox.call_timeout * 3)
                ),
            );
        }
        found
    }

    /// A human summary of what was understood, for `needful check-config`.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "kudos: channel {}, reactions {}, daily limit {}, leaderboard {}",
            self.kudos
                .channel
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "(none: celebrations are not posted)".into()),
            self.kudos
                .reactions
                .iter()
                .map(|r| format!(":{r}:"))
                .collect::<Vec<_>>()
                .join(" "),
            self.kudos.daily_limit,
            if self.kudos.leaderboard { "on" } else { "off" },
        );
        let _ = writeln!(
            out,
            "trophy: {:?}, nudge the holder after {} days",
            self.trophy.name, self.trophy.nudge_after_days
        );
        if self.pods.is_empty() {
            let _ = writeln!(out, "pods: none (check-ins, staffing and roles stay off)");
        }
        for pod in &self.pods {
            let _ = writeln!(
                out,
                "pod {:?}: channel {}, {} manager(s), {} member(s), check-in {} {} on {}, window {}, {} holiday(s), help channels [{}]",
                pod.name,
                pod.channel,
                pod.managers.len(),
                pod.members.len(),
                pod.checkin_at.format("%H:%M"),
                pod.timezone,
                pod.workdays
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                humantime::format_duration(pod.checkin_window),
                pod.holidays.len(),
                pod.help_channels
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[kudos]
channel = "C0HUMBLEBRAG"
reactions = ["trophy"]
daily_limit = 5

[trophy]
name = "Needful Trophy"

[[pods]]
name = "support"
channel = "C0SUPPORT"
managers = ["U0MANAGER"]
members = ["U0ALICE", "U0BOB", "U0CAROL"]
timezone = "Europe/Berlin"
checkin_at = "09:00"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
help_channels = ["C0SALES"]
"#;

    #[test]
    fn accepts_the_documented_shape() {
        let c = TeamConfig::parse(EXAMPLE, "needful.toml").expect("parses");
        assert_eq!(c.pods[0].timezone, chrono_tz::Europe::Berlin);
        assert_eq!(c.pods[0].workdays.len(), 5);
        assert_eq!(c.kudos.daily_limit, 5);
        assert_eq!(c.pods[0].checkin_window, Duration::from_secs(7200));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = TeamConfig::parse("[kudos]\nchanel = \"C1\"\n", "needful.toml").unwrap_err();
        assert!(err.to_string().contains("chanel"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let bad_tz = EXAMPLE.replace("Europe/Berlin", "Europe/Atlantis");
        let err = TeamConfig::parse(&bad_tz, "needful.toml").unwrap_err();
        assert!(err.to_string().contains("Atlantis"), "{err}");
        let bad_time = EXAMPLE.replace("\"09:00\"", "\"9 o'clock\"");
        let err = TeamConfig::parse(&bad_time, "needful.toml").unwrap_err();
        assert!(err.to_string().contains("HH:MM"), "{err}");
        let bad_day = EXAMPLE.replace("\"Fri\"", "\"Friyay\"");
        let err = TeamConfig::parse(&bad_day, "needful.toml").unwrap_err();
        assert!(err.to_string().contains("Friyay"), "{err}");
        let bad_channel = EXAMPLE.replace("C0SUPPORT\"", "support\"");
        let err = TeamConfig::parse(&bad_channel, "needful.toml").unwrap_err();
        assert!(err.to_string().contains("support"), "{err}");
    }

    #[test]
    fn empty_file_means_defaults() {
        let c = TeamConfig::parse("", "needful.toml").expect("parses");
        assert_eq!(c.kudos.reactions, vec!["trophy"]);
        assert!(c.pods.is_empty());
    }

    #[test]
    fn env_example_placeholders_are_named_with_what_to_set() {
        let example = include_str!("../.env.example");
        let vars: std::collections::HashMap<&str, &str> = example
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .collect();
        // Every secret placeholder the example file ships with is known here.
        for key in ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"] {
            let value = vars.get(key).copied().unwrap_or_default();
            assert!(
                PLACEHOLDERS
                    .iter()
                    .any(|(k, p, _)| *k == key && *p == value),
                "{key}={value} is not a known placeholder"
            );
        }
        let env = EnvSettings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        let err = env.check_no_placeholders().unwrap_err().to_string();
        assert!(
            err.contains("SLACK_BOT_TOKEN") && err.contains("OAuth & Permissions"),
            "{err}"
        );
        let mut env = env;
        env.bot_token = Secret::new("xoxb-1234-real");
        let err = env.check_no_placeholders().unwrap_err().to_string();
        assert!(
            err.contains("SLACK_SIGNING_SECRET") && err.contains("Signing Secret"),
            "{err}"
        );
        env.signing_secrets = vec![Secret::new("0d5e1f2a3b4c")];
        assert!(env.check_no_placeholders().is_ok());
        env.app_token = Some(Secret::new("xapp-your-app-token"));
        let err = env.check_no_placeholders().unwrap_err().to_string();
        assert!(err.contains("SLACK_APP_TOKEN"), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("xoxb-very-secret");
        assert!(!format!("{s:?}").contains("very-secret"));
    }

    #[test]
    fn env_reads_several_signing_secrets() {
        let env = EnvSettings::from_lookup(|k| match k {
            "SLACK_SIGNING_SECRET" => Some("old, new".into()),
            "SLACK_API_URL" => Some("http://127.0.0.1:9/api/".into()),
            _ => None,
        })
        .expect("parses");
        assert_eq!(env.signing_secrets.len(), 2);
        assert_eq!(env.slack_api_url, "http://127.0.0.1:9/api");
        let err = EnvSettings::from_lookup(|k| (k == "NEEDFUL_LISTEN").then(|| "nope".into()))
            .unwrap_err();
        assert!(err.to_string().contains("NEEDFUL_LISTEN"));
    }

    #[test]
    fn env_reads_listener_limits() {
        let env = EnvSettings::from_lookup(|_| None).expect("defaults parse");
        assert_eq!(env.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(env.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(env.metrics_listen, None);
        let env = EnvSettings::from_lookup(|k| match k {
            "NEEDFUL_MAX_CONNECTIONS" => Some("64".into()),
            "NEEDFUL_REQUEST_TIMEOUT" => Some("750ms".into()),
            "NEEDFUL_METRICS_LISTEN" => Some("127.0.0.1:9090".into()),
            _ => None,
        })
        .expect("parses");
        assert_eq!(env.max_connections, 64);
        assert_eq!(env.request_timeout, Duration::from_millis(750));
        assert_eq!(env.metrics_listen, "127.0.0.1:9090".parse().ok());
        for (key, bad) in [
            ("NEEDFUL_MAX_CONNECTIONS", "0"),
            ("NEEDFUL_MAX_CONNECTIONS", "lots"),
            ("NEEDFUL_DATABASE_POOL", "0"),
            ("NEEDFUL_DATABASE_POOL", "many"),
            ("NEEDFUL_REQUEST_TIMEOUT", "0s"),
            ("NEEDFUL_REQUEST_TIMEOUT", "soon"),
            ("NEEDFUL_METRICS_LISTEN", "internal"),
        ] {
            let err = EnvSettings::from_lookup(|k| (k == key).then(|| bad.into())).unwrap_err();
            assert!(err.to_string().contains(key), "{key}={bad}: {err}");
        }
    }
}

#[cfg(test)]
mod example_file {
    #[test]
    fn the_committed_example_parses() {
        let text = include_str!("../needful.example.toml");
        let config =
            super::TeamConfig::parse(text, "needful.example.toml").expect("example parses");
        assert_eq!(config.pods.len(), 1);
        assert_eq!(config.pods[0].holidays.len(), 3);
    }

    #[test]
    fn a_setup_written_out_reads_back_the_same() {
        let text = include_str!("../needful.example.toml");
        let config = super::TeamConfig::parse(text, "needful.example.toml").unwrap();
        let written = config.to_toml();
        let again = super::TeamConfig::parse(&written, "written.toml")
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(again, config, "{written}");
        assert!(written.contains("checkin_at = \"09:00\""), "{written}");
        assert!(!written.contains("[outbox]"), "{written}");
    }
}
