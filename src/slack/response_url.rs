//! Where needful may post a `response_url`. The URL comes inside a signed
//! payload, so it is Slack's; checking its host as well means that a leaked
//! signing secret still cannot turn needful into a client for any URL.

use url::Url;

/// The hosts Slack issues response URLs on: Slack's own, and GovSlack's.
const SLACK_HOOK_HOSTS: &[&str] = &["hooks.slack.com", "hooks.slack-gov.com"];

#[derive(Debug, Clone)]
pub struct ResponseUrls {
    /// SLACK_API_URL's scheme, host and port when it points somewhere other
    /// than Slack (the simulator): its response URLs live there.
    stand_in: Option<(String, String, Option<u16>)>,
}

impl ResponseUrls {
    /// `api_url` is SLACK_API_URL (or Slack's default).
    pub fn new(api_url: &str) -> Self {
        let stand_in = Url::parse(api_url)
            .ok()
            .filter(|u| {
                u.host_str()
                    .is_some_and(|h| h != "slack.com" && !h.ends_with(".slack.com"))
            })
            .and_then(|u| {
                Some((
                    u.scheme().to_string(),
                    u.host_str()?.to_string(),
                    u.port_or_known_default(),
                ))
            });
        Self { stand_in }
    }

    /// True for `https://hooks.slack.com/…` (or GovSlack's), or an URL on
    /// SLACK_API_URL's own scheme, host and port when that is a stand-in.
    pub fn allows(&self, raw: &str) -> bool {
        let Ok(url) = Url::parse(raw) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        // Credentials in the URL would be sent along; Slack never uses them.
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let slack = url.scheme() == "https"
            && url.port_or_known_default() == Some(443)
            && SLACK_HOOK_HOSTS.contains(&host);
        let stand_in = self.stand_in.as_ref().is_some_and(|(scheme, h, port)| {
            url.scheme() == scheme && host == h && url.port_or_known_default() == *port
        });
        slack || stand_in
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slacks_hook_hosts_with_slacks_api() {
        let urls = ResponseUrls::new("https://slack.com/api");
        assert!(urls.allows("https://hooks.slack.com/commands/T0TEAM0001/1/abc"));
        assert!(urls.allows("https://hooks.slack.com:443/actions/T0TEAM0001/1/abc"));
        assert!(urls.allows("https://hooks.slack-gov.com/actions/T1/1/abc"));
        for foreign in [
            "http://hooks.slack.com/commands/T1/1/abc",
            "https://hooks.slack.com:8443/commands/T1/1/abc",
            "https://hooks.slack.com.evil.example/commands/T1/1/abc",
            "https://evil.example/hooks.slack.com/",
            "https://user:pw@hooks.slack.com/commands/T1/1/abc",
            "https://slack.com/api/chat.postMessage",
            "http://127.0.0.1:8080/response_url/1",
            "http://169.254.169.254/latest/meta-data/",
            "file:///etc/passwd",
            "not a url",
            "",
        ] {
            assert!(!urls.allows(foreign), "{foreign}");
        }
    }

    #[test]
    fn a_stand_in_api_allows_its_own_origin_only() {
        let urls = ResponseUrls::new("http://127.0.0.1:4567/api");
        assert!(urls.allows("http://127.0.0.1:4567/response_url/1"));
        assert!(urls.allows("https://hooks.slack.com/commands/T1/1/abc"));
        assert!(!urls.allows("http://127.0.0.1:4568/response_url/1"));
        assert!(!urls.allows("https://127.0.0.1:4567/response_url/1"));
        assert!(!urls.allows("http://localhost:4567/response_url/1"));
    }
}
