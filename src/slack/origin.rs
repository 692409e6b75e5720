//! Whom a request from Slack is for: the workspace, org and app it names,
//! read from the payload as it arrived, and whether that is this
//! installation.
//!
//! A correct signature only proves the request came through Slack for an
//! app with this signing secret; the ids say which installation it is for,
//! and needful serves exactly one.

use serde::Deserialize;
use serde_json::Value;
use slack_morphism::prelude::*;

use super::access::Installation;

/// Which app the request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppClaim {
    Named(String),
    /// An HTTP request without `api_app_id`: Slack always sends one.
    Missing,
    /// Socket Mode: the connection was opened with this app's app-level
    /// token, so Slack only sends this app's requests down it.
    Connection,
}

/// One entry of an event's `authorizations[]`: an installation Slack
/// delivers the event for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorization {
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub app: AppClaim,
    pub authorizations: Vec<Authorization>,
}

/// Why a request is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OtherApp,
    MissingApp,
    OtherWorkspace,
}

impl Refusal {
    pub fn label(self) -> &'static str {
        match self {
            Refusal::OtherApp => "other_app",
            Refusal::MissingApp => "no_app_id",
            Refusal::OtherWorkspace => "other_workspace",
        }
    }
}

impl Origin {
    /// Served when it names this app, and this workspace (or this org, for
    /// an org-wide install) in its own ids or in `authorizations[]`: Slack
    /// Connect events carry the other workspace's team but list ours there.
    /// A workspace install inside an org serves that workspace only, not
    /// its siblings.
    pub fn check(&self, installation: &Installation) -> Result<(), Refusal> {
        match &self.app {
            AppClaim::Named(app) if *app == installation.app_id => {}
            AppClaim::Named(_) => return Err(Refusal::OtherApp),
            AppClaim::Missing => return Err(Refusal::MissingApp),
            AppClaim::Connection => {}
        }
        let names_us = |team: &Option<String>, enterprise: &Option<String>| {
            (!installation.team_id.is_empty()
                && team.as_deref() == Some(installation.team_id.as_str()))
                || (installation.is_enterprise_install
                    && enterprise.is_some()
                    && *enterprise == installation.enterprise_id)
        };
        let ours = names_us(&self.team_id, &self.enterprise_id)
            || self
                .authorizations
                .iter()
                .any(|a| names_us(&a.team_id, &a.enterprise_id));
        if ours {
            Ok(())
        } else {
            Err(Refusal::OtherWorkspace)
        }
    }

    /// An Events API body (JSON), as received.
    pub fn of_event_body(body: &[u8]) -> Origin {
        serde_json::from_slice::<RawEnvelope>(body)
            .map(RawEnvelope::into_origin)
            .unwrap_or_else(|_| Origin::unknown())
    }

    /// A slash command body (a form), as received.
    pub fn of_command_body(body: &[u8]) -> Origin {
        let mut origin = Origin::unknown();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = Some(value.into_owned()).filter(|v| !v.is_empty());
            match key.as_ref() {
                "team_id" => origin.team_id = value,
                "enterprise_id" => origin.enterprise_id = value,
                "api_app_id" => origin.app = value.map_or(AppClaim::Missing, AppClaim::Named),
                _ => {}
            }
        }
        origin
    }

    /// An interaction body (a form whose `payload` is JSON), as received.
    pub fn of_interaction_body(body: &[u8]) -> Origin {
        super::decode::form_field(body, "payload")
            .and_then(|payload| serde_json::from_str::<RawEnvelope>(&payload).ok())
            .map(RawEnvelope::into_origin)
            .unwrap_or_else(Origin::unknown)
    }

    /// An event as slack-morphism decoded it (it keeps no org ids, so an
    /// org-wide install reads the body instead).
    pub fn of_push(event: &SlackPushEventCallback) -> Origin {
        Origin {
            team_id: Some(event.team_id.to_string()),
            enterprise_id: None,
            app: AppClaim::Named(event.api_app_id.to_string()),
            authorizations: event
                .authorizations
                .iter()
                .flatten()
                .map(|a| Authorization {
                    team_id: Some(a.team_id.to_string()),
                    enterprise_id: None,
                })
                .collect(),
        }
    }

    /// A Socket Mode slash command (slack-morphism keeps no app id).
    pub fn of_command(command: &SlackCommandEvent) -> Origin {
        Origin {
            team_id: Some(command.team_id.to_string()),
            enterprise_id: None,
            app: AppClaim::Connection,
            authorizations: Vec::new(),
        }
    }

    /// A Socket Mode interaction.
    pub fn of_interaction(event: &SlackInteractionEvent) -> Origin {
        let (team, app) = match event {
            SlackInteractionEvent::BlockActions(e) => (&e.team, Some(&e.api_app_id)),
            SlackInteractionEvent::BlockSuggestion(e) => (&e.team, Some(&e.api_app_id)),
            SlackInteractionEvent::DialogSubmission(e) => (&e.team, None),
            SlackInteractionEvent::MessageAction(e) => (&e.team, None),
            SlackInteractionEvent::Shortcut(e) => (&e.team, None),
            SlackInteractionEvent::ViewSubmission(e) => (&e.team, None),
            SlackInteractionEvent::ViewClosed(e) => (&e.team, None),
        };
        Origin {
            team_id: Some(team.id.to_string()),
            enterprise_id: None,
            app: app.map_or(AppClaim::Connection, |a| AppClaim::Named(a.to_string())),
            authorizations: Vec::new(),
        }
    }

    /// Names nothing, so it is refused.
    fn unknown() -> Origin {
        Origin {
            team_id: None,
            enterprise_id: None,
            app: AppClaim::Missing,
            authorizations: Vec::new(),
        }
    }

    /// For the log line of a refusal.
    pub fn app_id(&self) -> &str {
        match &self.app {
            AppClaim::Named(a) => a,
            AppClaim::Missing => "-",
            AppClaim::Connection => "(socket)",
        }
    }
}

/// The id fields of an event envelope or an interaction payload. Values
/// are read loosely (a field of an odd type counts as absent) so that an
/// odd payload is refused, never a parse error.
#[derive(Deserialize)]
struct RawEnvelope {
    team_id: Option<Value>,
    enterprise_id: Option<Value>,
    context_enterprise_id: Option<Value>,
    api_app_id: Option<Value>,
    /// Interactions: `{id, domain}`.
    team: Option<Value>,
    /// Interactions: `{id, name}` or null.
    enterprise: Option<Value>,
    authorizations: Option<Vec<Value>>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl RawEnvelope {
    fn into_origin(self) -> Origin {
        let id_of = |v: &Option<Value>| text(v.as_ref().and_then(|v| v.get("id")));
        Origin {
            team_id: text(self.team_id.as_ref()).or_else(|| id_of(&self.team)),
            enterprise_id: text(self.enterprise_id.as_ref())
                .or_else(|| text(self.context_enterprise_id.as_ref()))
                .or_else(|| id_of(&self.enterprise)),
            app: text(self.api_app_id.as_ref()).map_or(AppClaim::Missing, AppClaim::Named),
            authorizations: self
                .authorizations
                .unwrap_or_default()
                .iter()
                .map(|a| Authorization {
                    team_id: text(a.get("team_id")),
                    enterprise_id: text(a.get("enterprise_id")),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn installation(enterprise: Option<&str>, org_wide: bool) -> Installation {
        Installation {
            team_id: "T0TEAM0001".into(),
            enterprise_id: enterprise.map(str::to_string),
            is_enterprise_install: org_wide,
            app_id: "A0NEEDFUL1".into(),
            bot_id: "B0NEEDFUL1".into(),
            bot_user_id: UserId::parse("U0NEEDFUL1").unwrap(),
            workspace_url: None,
        }
    }

    #[test]
    fn slacks_own_shapes_are_served() {
        let ours = installation(None, false);
        let event = br#"{"type":"event_callback","team_id":"T0TEAM0001","api_app_id":"A0NEEDFUL1","event":{"type":"reaction_added"},"authorizations":[{"enterprise_id":null,"team_id":"T0TEAM0001","user_id":"U0NEEDFUL1","is_bot":true,"is_enterprise_install":false}]}"#;
        assert_eq!(Origin::of_event_body(event).check(&ours), Ok(()));
        // The reference pack's command_understaffed_on.txt.
        let command = b"token=Nf7kQ2xLm9RtVb4WcZp8YdHs&team_id=T0TEAM0001&team_domain=needful-support&channel_id=C0SUPPORT1&channel_name=support&user_id=U0MANAGER1&user_name=manager&command=%2Funderstaffed&text=on+two+agents+out+sick&api_app_id=A0NEEDFUL1&is_enterprise_install=false&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0TEAM0001%2F8071234567911%2FHj2KsLq9WxEr5TyUi7OpAzCv&trigger_id=8071234567912.1234567890123.3c4d5e6f708192a3b4c5d6e7f8091a2b";
        assert_eq!(Origin::of_command_body(command).check(&ours), Ok(()));
    }

    #[test]
    fn another_workspace_or_app_is_refused() {
        let ours = installation(None, false);
        let command = |team: &str, app: &str| {
            format!("team_id={team}&channel_id=C1&user_id=U1&command=%2Ftrophy&api_app_id={app}")
        };
        let check = |body: String| Origin::of_command_body(body.as_bytes()).check(&ours);
        assert_eq!(check(command("T0TEAM0001", "A0NEEDFUL1")), Ok(()));
        assert_eq!(
            check(command("T0OTHER001", "A0NEEDFUL1")),
            Err(Refusal::OtherWorkspace)
        );
        assert_eq!(
            check(command("T0TEAM0001", "A0OTHERAPP")),
            Err(Refusal::OtherApp)
        );
        assert_eq!(
            check("team_id=T0TEAM0001&command=%2Ftrophy".into()),
            Err(Refusal::MissingApp)
        );
        assert_eq!(
            Origin::of_event_body(b"not json").check(&ours),
            Err(Refusal::MissingApp)
        );
    }

    #[test]
    fn slack_connect_is_served_through_authorizations() {
        let ours = installation(None, false);
        let event = br#"{"team_id":"T0PARTNER1","api_app_id":"A0NEEDFUL1","authorizations":[{"team_id":"T0TEAM0001","enterprise_id":null}]}"#;
        assert_eq!(Origin::of_event_body(event).check(&ours), Ok(()));
        let foreign = br#"{"team_id":"T0PARTNER1","api_app_id":"A0NEEDFUL1","authorizations":[{"team_id":"T0PARTNER1"}]}"#;
        assert_eq!(
            Origin::of_event_body(foreign).check(&ours),
            Err(Refusal::OtherWorkspace)
        );
    }

    #[test]
    fn an_org_is_served_only_by_an_org_wide_install() {
        let sibling = |body: &str| {
            Origin::of_interaction_body(
                format!(
                    "payload={}",
                    url::form_urlencoded::byte_serialize(body.as_bytes()).collect::<String>()
                )
                .as_bytes(),
            )
        };
        let press = r#"{"type":"block_actions","team":{"id":"T0SIBLING1"},"enterprise":{"id":"E0ORG00001"},"api_app_id":"A0NEEDFUL1"}"#;
        assert_eq!(
            sibling(press).check(&installation(Some("E0ORG00001"), false)),
            Err(Refusal::OtherWorkspace)
        );
        assert_eq!(
            sibling(press).check(&installation(Some("E0ORG00001"), true)),
            Ok(())
        );
        assert_eq!(
            sibling(press).check(&installation(Some("E0OTHERORG"), true)),
            Err(Refusal::OtherWorkspace)
        );
        // An org-wide install that auth.test gave no team id matches no
        // empty team id.
        let mut org = installation(Some("E0ORG00001"), true);
        org.team_id = String::new();
        let blank = Origin {
            team_id: Some(String::new()),
            enterprise_id: Some("E0OTHERORG".into()),
            app: AppClaim::Named("A0NEEDFUL1".into()),
            authorizations: Vec::new(),
        };
        assert_eq!(blank.check(&org), Err(Refusal::OtherWorkspace));
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::fuzzing::config())]

        #[test]
        fn fuzz_origin_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let ours = installation(Some("E0ORG00001"), true);
            // Random bytes never name both our app and our workspace.
            prop_assert!(Origin::of_event_body(&body).check(&ours).is_err());
            prop_assert!(Origin::of_command_body(&body).check(&ours).is_err());
            prop_assert!(Origin::of_interaction_body(&body).check(&ours).is_err());
        }

        /// Served exactly when both the app and the workspace are ours,
        /// however the ids are spelled.
        #[test]
        fn fuzz_origin_serves_only_ours(
            team in prop_oneof![Just("T0TEAM0001".to_string()), "[A-Za-z0-9 ]{0,12}"],
            app in prop_oneof![Just("A0NEEDFUL1".to_string()), "[A-Za-z0-9 ]{0,12}"],
        ) {
            let ours = installation(None, false);
            let event = serde_json::json!({"team_id": team, "api_app_id": app, "authorizations": [{"team_id": team}]});
            let served = Origin::of_event_body(event.to_string().as_bytes()).check(&ours).is_ok();
            prop_assert_eq!(served, team == "T0TEAM0001" && app == "A0NEEDFUL1");
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("team_id", &team)
                .append_pair("api_app_id", &app)
                .finish();
            let served = Origin::of_command_body(form.as_bytes()).check(&ours).is_ok();
            prop_assert_eq!(served, team == "T0TEAM0001" && app == "A0NEEDFUL1");
        }
    }

    #[test]
    fn odd_field_types_are_refused_not_errors() {
        let ours = installation(None, false);
        let odd = br#"{"team_id":42,"api_app_id":["A0NEEDFUL1"],"authorizations":"x"}"#;
        assert!(Origin::of_event_body(odd).check(&ours).is_err());
    }
}
