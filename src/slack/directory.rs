//! Who people are and which channels needful is in, as Slack says
//! (`users.info`, `conversations.info`), kept for the features to read
//! ([`crate::domain::workspace::Workspace`]).
//!
//! People are kept for [`PERSON_FRESH`]: names and admin flags change
//! rarely, and a command should not wait on Slack each time. Channels are
//! asked about every time a form names them, because what changes them is
//! someone inviting needful, just before they try again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use slack_morphism::prelude::*;

use super::client::SlackApi;
use super::web_api::{self, Outcome};
use crate::domain::{
    ids::{ChannelId, UserId},
    workspace::{ChannelAccess, Person, Workspace},
};

/// How long what Slack said about a person is trusted.
const PERSON_FRESH: Duration = Duration::from_secs(10 * 60);
/// The most a request waits for lookups: Slack wants its answer in 3 s.
const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1_500);

/// needful's view of the workspace: its installation, and the people and
/// channels it has asked Slack about.
pub struct Directory {
    api: SlackApi,
    people: Mutex<HashMap<UserId, (Instant, Person)>>,
    channels: Mutex<HashMap<ChannelId, ChannelAccess>>,
}

impl Directory {
    pub fn new(api: SlackApi) -> Self {
        Self {
            api,
            people: Mutex::default(),
            channels: Mutex::default(),
        }
    }

    fn stale(&self, user: &UserId) -> bool {
        let people = self.people.lock().unwrap_or_else(|e| e.into_inner());
        people
            .get(user)
            .is_none_or(|(at, _)| at.elapsed() > PERSON_FRESH)
    }

    async fn fetch_person(&self, user: &UserId) {
        match web_api::user_info(&self.api, user.as_str(), LOOKUP_TIMEOUT).await {
            Ok(found) => {
                let person = person(&found);
                let mut people = self.people.lock().unwrap_or_else(|e| e.into_inner());
                people.insert(user.clone(), (Instant::now(), person));
            }
            Err(e) => tracing::warn!(%user, error = ?e, "could not look up a person"),
        }
    }

    async fn fetch_channel(&self, channel: &ChannelId) {
        let access = match web_api::channel_info(&self.api, channel.as_str(), LOOKUP_TIMEOUT).await
        {
            Ok(info) => {
                let name = info.name.clone().unwrap_or_else(|| channel.to_string());
                if info.flags.is_archived == Some(true) {
                    ChannelAccess::Archived(name)
                } else if info.flags.is_member == Some(true) {
                    ChannelAccess::Member
                } else {
                    ChannelAccess::NotMember(name)
                }
            }
            Err(Outcome::Permanent(code)) if code == "channel_not_found" => ChannelAccess::NotFound,
            Err(e) => {
                tracing::warn!(%channel, error = ?e, "could not look up a channel");
                // Unknown, not refused: a slow Slack must not block a change.
                self.channels
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(channel);
                return;
            }
        };
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.insert(channel.clone(), access);
    }
}

/// How many `users.info` calls an export makes at once, and how long each
/// may take: well inside Slack's limits for the method (Tier 4).
const EXPORT_CALLS_AT_ONCE: usize = 4;
const EXPORT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Names for the exports, from `users.info`.
pub struct ExportNames(pub SlackApi);

impl crate::domain::workspace::NameSource for ExportNames {
    fn names<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, HashMap<String, String>> {
        use futures::StreamExt;
        Box::pin(async move {
            let api = &self.0;
            let found: Vec<Option<(String, String)>> = futures::stream::iter(ids.iter().cloned())
                .map(|id| async move {
                    match web_api::user_info(api, &id, EXPORT_CALL_TIMEOUT).await {
                        Ok(user) => Some((id, person(&user).name)),
                        Err(e) => {
                            tracing::warn!(user = %id, error = ?e, "could not look up a name");
                            None
                        }
                    }
                })
                .buffer_unordered(EXPORT_CALLS_AT_ONCE)
                .collect()
                .await;
            found.into_iter().flatten().collect()
        })
    }
}

fn person(user: &SlackUser) -> Person {
    let profile = user.profile.as_ref();
    let name = [
        profile.and_then(|p| p.display_name.clone()),
        user.real_name.clone(),
        profile.and_then(|p| p.real_name.clone()),
        user.name.clone(),
    ]
    .into_iter()
    .flatten()
    .find(|n| !n.trim().is_empty())
    .unwrap_or_else(|| user.id.to_string());
    Person {
        name,
        admin: user.flags.is_admin == Some(true)
            || user.flags.is_owner == Some(true)
            || user.flags.is_primary_owner == Some(true),
        deleted: user.deleted == Some(true),
        bot: user.flags.is_bot == Some(true),
    }
}

impl Workspace for Directory {
    fn bot_user(&self) -> Option<UserId> {
        self.api
            .access()
            .installation()
            .map(|i| i.bot_user_id.clone())
    }

    fn message_link(&self, channel: &str, ts: &str) -> Option<String> {
        let url = self.api.access().installation()?.workspace_url.clone()?;
        Some(super::access::message_link(&url, channel, ts))
    }

    fn look_up<'a>(&'a self, people: &'a [UserId], channels: &'a [ChannelId]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let people = people
                .iter()
                .filter(|u| self.stale(u))
                .map(|u| self.fetch_person(u));
            let channels = channels.iter().map(|c| self.fetch_channel(c));
            let _ = tokio::time::timeout(
                LOOKUP_TIMEOUT + Duration::from_millis(100),
                futures::future::join(
                    futures::future::join_all(people),
                    futures::future::join_all(channels),
                ),
            )
            .await;
        })
    }

    fn person(&self, user: &UserId) -> Option<Person> {
        let people = self.people.lock().unwrap_or_else(|e| e.into_inner());
        people.get(user).map(|(_, p)| p.clone())
    }

    fn channel(&self, channel: &ChannelId) -> Option<ChannelAccess> {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.get(channel).cloned()
    }
}
