//! The Slack app manifest, ready to paste into "Create New App → From an app manifest".
//!
//! It is made from the registry ([`crate::registry`]): the slash commands with their usage and
//! help, the bot events the features want and the scopes they need. Two variants are also
//! committed in `manifests/`, for people who read before they install; a test keeps them equal to
//! what [`generate`] makes:
//!
//! - `slack-app.socket.yaml`: Socket Mode. It has no URLs, so it is printed as it is.
//! - `slack-app.http.yaml`: HTTP (Events API) mode. Every URL in it starts with the placeholder
//!   [`PLACEHOLDER_BASE_URL`], which [`render`] replaces with the bot's public base URL.
//!
//! `.ci/validate_manifests.py` checks both files (and anything piped to it with `-`) against
//! Slack's manifest schema.

use thiserror::Error;
use url::{Host, Url};

/// The HTTP-mode manifest, with [`PLACEHOLDER_BASE_URL`] in every URL.
pub const HTTP_MANIFEST: &str = include_str!("../manifests/slack-app.http.yaml");

/// The Socket Mode manifest (no URLs).
pub const SOCKET_MANIFEST: &str = include_str!("../manifests/slack-app.socket.yaml");

/// The base URL that [`HTTP_MANIFEST`] uses and [`render`] replaces.
pub const PLACEHOLDER_BASE_URL: &str = "https://needful.example.com";

/// Why a manifest could not be rendered. The messages name the `--url` flag and show a
/// value that would work, because they are printed straight to whoever ran `needful manifest`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ManifestError {
    /// HTTP mode without a base URL.
    #[error(
        "HTTP mode needs the bot's public base URL: pass --url with an https:// URL such as \
         https://needful.example.org (or use Socket Mode, which needs no URL)"
    )]
    MissingUrl,

    /// Does not parse as an absolute URL.
    #[error(
        "--url {url:?} is not a valid absolute URL ({reason}); \
         --url must be an https:// URL such as {suggestion}"
    )]
    Invalid {
        url: String,
        reason: String,
        suggestion: String,
    },

    /// A scheme other than https (http is allowed for localhost only).
    #[error(
        "--url {url:?} uses {scheme}://; --url must be an https:// URL such as \
         https://needful.example.org (http:// is accepted only for localhost and 127.0.0.1)"
    )]
    NotHttps { url: String, scheme: String },

    /// Parses, but is not a plain base URL (no host, credentials, query or fragment).
    #[error(
        "--url {url:?} {problem}; --url must be a plain https:// base URL such as \
         https://needful.example.org"
    )]
    NotABaseUrl { url: String, problem: &'static str },
}

/// Returns the manifest YAML for the chosen mode.
///
/// - `socket_mode == true`: the Socket Mode manifest, unchanged; `base_url` is ignored.
/// - otherwise: the HTTP manifest with every [`PLACEHOLDER_BASE_URL`] replaced by `base_url`
///   (trailing `/` removed). `base_url` is required and must be an absolute `https://` URL;
///   `http://` is accepted only for `localhost` and `127.0.0.1` (local tunnels and tests). It may
///   carry a path prefix (`https://example.org/needful` gives
///   `https://example.org/needful/slack/events`), but no credentials, query or fragment.
///
/// # Errors
///
/// In HTTP mode: [`ManifestError::MissingUrl`] without a base URL, and the other variants when it
/// is not a plain absolute `https://` URL. Each message says what to pass instead.
pub fn render(base_url: Option<&str>, socket_mode: bool) -> Result<String, ManifestError> {
    if socket_mode {
        return Ok(generate(true));
    }
    let base = normalize_base_url(base_url.ok_or(ManifestError::MissingUrl)?)?;
    Ok(generate(false).replace(PLACEHOLDER_BASE_URL, &base))
}

/// The manifest for Socket Mode or, with [`PLACEHOLDER_BASE_URL`] in every URL, for HTTP mode.
pub fn generate(socket_mode: bool) -> String {
    let url = |path: &str| match socket_mode {
        true => String::new(),
        false => format!("{PLACEHOLDER_BASE_URL}{path}"),
    };
    let mut out = String::from(if socket_mode {
        SOCKET_HEADER
    } else {
        HTTP_HEADER
    });
    out.push_str(
        "\n_metadata:\n  major_version: 1\n  minor_version: 1\n\ndisplay_information:\n  name: needful\n",
    );
    out.push_str(&format!("  description: {}\n", quoted(DESCRIPTION)));
    out.push_str("  long_description: |-\n    needful is a small, friendly bot for customer-support teams.\n\n");
    for feature in crate::registry::FEATURES {
        out.push_str(&format!("    • {}\n", feature.about));
    }
    out.push_str(concat!(
        "  background_color: \"#2e6b5e\"\n\n",
        "features:\n",
        "  app_home:\n",
        "    home_tab_enabled: true\n",
        "    messages_tab_enabled: true\n",
        "    # DMs from needful are notices; replies are not read.\n",
        "    messages_tab_read_only_enabled: true\n",
        "  bot_user:\n",
        "    display_name: needful\n",
        "    always_online: true\n",
        "  slash_commands:\n",
    ));
    for command in crate::registry::commands() {
        out.push_str(&format!("    - command: {}\n", command.name));
        if !socket_mode {
            out.push_str(&format!("      url: {}\n", url("/slack/commands")));
        }
        out.push_str(&format!("      description: {}\n", quoted(command.help)));
        out.push_str(&format!("      usage_hint: {}\n", quoted(command.usage)));
        out.push_str("      should_escape: true\n");
    }
    out.push_str("\noauth_config:\n  scopes:\n    bot:\n");
    for scope in crate::registry::scopes() {
        out.push_str(&format!("      - {scope}\n"));
    }
    out.push_str("\nsettings:\n  event_subscriptions:\n");
    if !socket_mode {
        out.push_str(&format!("    request_url: {}\n", url("/slack/events")));
    }
    out.push_str("    bot_events:\n");
    for event in crate::registry::bot_events() {
        out.push_str(&format!("      - {event}\n"));
    }
    out.push_str("  interactivity:\n    is_enabled: true\n");
    if !socket_mode {
        out.push_str(&format!(
            "    request_url: {}\n",
            url("/slack/interactions")
        ));
    }
    out.push_str(&format!(
        "  org_deploy_enabled: false\n  socket_mode_enabled: {socket_mode}\n  token_rotation_enabled: false\n"
    ));
    out
}

/// What the app directory's one line says.
const DESCRIPTION: &str = "Celebrates the people who do the needful, keeps your support team checked in, and makes a short-staffed day a little lighter.";

const HTTP_HEADER: &str = "\
# needful: Slack app manifest, HTTP (Events API) mode.
#
# Create the app at https://api.slack.com/apps -> \"Create New App\" -> \"From an app manifest\".
# Slack must be able to reach the bot over public HTTPS. Print this manifest with your own
# host filled in, rather than editing the placeholder host by hand:
#
#   needful manifest --url https://needful.example.org
#
# For Socket Mode (no public URL needed) use slack-app.socket.yaml instead.
# Made from needful's registry; `cargo test` fails when the two differ, and says how to
# make this file again.
";

const SOCKET_HEADER: &str = "\
# needful: Slack app manifest, Socket Mode.
#
# Create the app at https://api.slack.com/apps -> \"Create New App\" -> \"From an app manifest\",
# then create an app-level token with the connections:write scope (the xapp-… token).
# No public URL is needed, so there are no url / request_url keys here, and nothing to fill
# in: paste the file as it is.
#
# For HTTP (Events API) mode use slack-app.http.yaml instead.
# Made from needful's registry; `cargo test` fails when the two differ, and says how to
# make this file again.
";

/// `text` as a double-quoted YAML scalar: a plain one would end at " #" (a comment) or
/// misread ": ".
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Validates a base URL and returns it in canonical form without a trailing `/`.
fn normalize_base_url(raw: &str) -> Result<String, ManifestError> {
    let input = raw.trim();
    if input.is_empty() {
        return Err(ManifestError::MissingUrl);
    }
    let url = Url::parse(input).map_err(|e| ManifestError::Invalid {
        url: raw.to_owned(),
        reason: e.to_string(),
        suggestion: suggest(input),
    })?;
    let not_base = |problem| ManifestError::NotABaseUrl {
        url: raw.to_owned(),
        problem,
    };

    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        scheme => {
            return Err(ManifestError::NotHttps {
                url: raw.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
    }
    match url.host_str() {
        None | Some("") => return Err(not_base("has no host")),
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_base("must not contain user:password@ credentials"));
    }
    if url.query().is_some() {
        return Err(not_base("must not have a ?query"));
    }
    if url.fragment().is_some() {
        return Err(not_base("must not have a #fragment"));
    }

    // `Url` serializes canonically: lower-case host, default port dropped, unsafe characters
    // percent-encoded, so the result is safe inside a plain YAML scalar.
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        _ => false,
    }
}

/// A value to suggest for an input that failed to parse, e.g. a bare host name.
fn suggest(input: &str) -> String {
    let looks_like_host = !input.contains("://")
        && !input.starts_with('/')
        && !input.chars().any(char::is_whitespace)
        && input.contains('.');
    if looks_like_host {
        format!("https://{}", input.trim_end_matches('/'))
    } else {
        "https://needful.example.org".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDS: [&str; 6] = [
        "/kudos",
        "/trophy",
        "/checkin",
        "/understaffed",
        "/roles",
        "/needful",
    ];
    const BOT_EVENTS: [&str; 5] = [
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
        "message.channels",
        "user_change",
    ];
    const SCOPES: [&str; 7] = [
        "commands",
        "chat:write",
        "reactions:read",
        "reactions:write",
        "channels:history",
        "users:read",
        "im:write",
    ];

    /// The YAML key of a line (`- url: x` → `url`), ignoring comments and blank lines.
    fn key_of(line: &str) -> Option<&str> {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            return None;
        }
        let t = t.strip_prefix("- ").unwrap_or(t);
        t.split_once(':').map(|(k, _)| k.trim())
    }

    fn url_keys(yaml: &str) -> Vec<&str> {
        yaml.lines()
            .filter(|l| matches!(key_of(l), Some(k) if k == "url" || k.ends_with("_url")))
            .collect()
    }

    fn must_be_https_hint(e: &ManifestError) {
        let msg = e.to_string();
        assert!(
            msg.contains("https://needful.example.org"),
            "error should show a working value: {msg}"
        );
    }

    #[test]
    fn committed_manifests_are_the_ones_the_registry_makes() {
        assert_eq!(
            generate(true),
            SOCKET_MANIFEST,
            "manifests/slack-app.socket.yaml is out of date: run `needful manifest --socket-mode > manifests/slack-app.socket.yaml`"
        );
        assert_eq!(
            generate(false),
            HTTP_MANIFEST,
            "manifests/slack-app.http.yaml is out of date: run `needful manifest --url {PLACEHOLDER_BASE_URL} > manifests/slack-app.http.yaml`"
        );
    }

    #[test]
    fn every_registered_command_event_and_scope_is_in_the_manifest() {
        let yaml = generate(true);
        for command in crate::registry::commands() {
            assert!(yaml.contains(&format!("    - command: {}\n", command.name)));
        }
        for event in [
            "reaction_added",
            "reaction_removed",
            "app_home_opened",
            "message.channels",
        ] {
            assert!(yaml.contains(&format!("      - {event}\n")), "{event}");
        }
        for scope in crate::registry::scopes() {
            assert!(yaml.contains(&format!("      - {scope}\n")), "{scope}");
        }
    }

    #[test]
    fn socket_variant_has_no_url_keys() {
        let yaml = render(None, true).unwrap();
        assert_eq!(yaml, SOCKET_MANIFEST);
        assert!(url_keys(&yaml).is_empty(), "{:?}", url_keys(&yaml));
        assert!(!yaml.contains(PLACEHOLDER_BASE_URL));
        assert!(yaml.contains("  socket_mode_enabled: true\n"));
        // A base URL, if given anyway, changes nothing.
        assert_eq!(render(Some("https://x.example.org"), true).unwrap(), yaml);
    }

    /// One URL per slash command, one for events, one for interactivity.
    fn url_places() -> usize {
        crate::registry::commands().count() + 2
    }

    #[test]
    fn http_variant_fills_in_the_host_in_every_place() {
        let places = url_places();
        assert_eq!(HTTP_MANIFEST.matches(PLACEHOLDER_BASE_URL).count(), places);
        let yaml = render(Some("https://support.acme.test/"), false).unwrap();
        assert!(!yaml.contains("needful.example.com"));
        assert_eq!(
            yaml.matches("https://support.acme.test/slack/").count(),
            places
        );
        assert_eq!(
            yaml.matches("url: https://support.acme.test/slack/commands\n")
                .count(),
            places - 2
        );
        assert!(yaml.contains("request_url: https://support.acme.test/slack/events\n"));
        assert!(yaml.contains("request_url: https://support.acme.test/slack/interactions\n"));
        assert_eq!(url_keys(&yaml).len(), places);
        assert!(!yaml.contains("test//slack"));
        assert!(yaml.contains("  socket_mode_enabled: false\n"));
    }

    #[test]
    fn http_variant_keeps_a_path_prefix_and_normalizes() {
        let yaml = render(Some("  https://Support.Acme.TEST:443/needful/ "), false).unwrap();
        assert_eq!(
            yaml.matches("https://support.acme.test/needful/slack/")
                .count(),
            url_places()
        );
        let yaml = render(Some("https://acme.test:8443"), false).unwrap();
        assert_eq!(
            yaml.matches("https://acme.test:8443/slack/").count(),
            url_places()
        );
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:8080/",
            "http://LOCALHOST",
        ] {
            let yaml = render(Some(ok), false).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(!yaml.contains(PLACEHOLDER_BASE_URL));
        }
        for bad in [
            "http://needful.example.org",
            "http://localhost.evil.example",
            "http://[::1]:3000",
            "http://10.0.0.5",
        ] {
            let err = render(Some(bad), false).unwrap_err();
            assert!(
                matches!(err, ManifestError::NotHttps { .. }),
                "{bad}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains("--url must be an https:// URL such as")
            );
        }
    }

    #[test]
    fn bad_urls_are_rejected_with_a_hint() {
        assert_eq!(render(None, false), Err(ManifestError::MissingUrl));
        assert_eq!(render(Some("  "), false), Err(ManifestError::MissingUrl));
        must_be_https_hint(&ManifestError::MissingUrl);

        let err = render(Some("needful.example.org"), false).unwrap_err();
        assert!(matches!(err, ManifestError::Invalid { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("--url must be an https:// URL such as https://needful.example.org"),
            "{err}"
        );

        let err = render(Some("/slack"), false).unwrap_err();
        assert!(matches!(err, ManifestError::Invalid { .. }), "{err:?}");
        must_be_https_hint(&err);

        for (bad, want) in [
            ("ftp://needful.example.org", "ftp://"),
            ("wss://needful.example.org", "wss://"),
            ("mailto:ops@example.org", "mailto://"),
        ] {
            let err = render(Some(bad), false).unwrap_err();
            assert!(
                matches!(err, ManifestError::NotHttps { .. }),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains(want), "{err}");
            must_be_https_hint(&err);
        }

        for bad in [
            "https://user:secret@needful.example.org",
            "https://needful.example.org/?team=1",
            "https://needful.example.org/#top",
            "https://",
        ] {
            let err = render(Some(bad), false).unwrap_err();
            assert!(
                matches!(
                    err,
                    ManifestError::NotABaseUrl { .. } | ManifestError::Invalid { .. }
                ),
                "{bad}: {err:?}"
            );
            must_be_https_hint(&err);
        }
    }

    #[test]
    fn both_manifests_declare_the_same_commands_events_and_scopes() {
        for yaml in [HTTP_MANIFEST, SOCKET_MANIFEST] {
            for command in COMMANDS {
                assert!(
                    yaml.contains(&format!("  - command: {command}\n")),
                    "{command}"
                );
            }
            assert_eq!(yaml.matches("  - command: ").count(), COMMANDS.len());
            assert_eq!(
                yaml.matches("should_escape: true\n").count(),
                COMMANDS.len()
            );
            assert!(!yaml.contains("should_escape: false"));
            for item in BOT_EVENTS.iter().chain(SCOPES.iter()) {
                assert_eq!(
                    yaml.matches(&format!("      - {item}\n")).count(),
                    1,
                    "{item}"
                );
            }
        }
    }

    #[test]
    fn socket_manifest_is_the_http_one_without_urls() {
        // Every line but comments and blank lines.
        let content = |yaml: &str| -> Vec<String> {
            yaml.lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        let from_http: Vec<String> = content(HTTP_MANIFEST)
            .into_iter()
            .filter(|l| !matches!(key_of(l), Some("url" | "request_url")))
            .map(|l| l.replace("socket_mode_enabled: false", "socket_mode_enabled: true"))
            .collect();
        assert_eq!(
            from_http,
            content(SOCKET_MANIFEST),
            "manifests/slack-app.{{http,socket}}.yaml have drifted apart"
        );
    }
}
