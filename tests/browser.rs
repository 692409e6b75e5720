//! `needful demo` in a real browser: headless Chromium driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`; `.ci/run`
//! installs them). Everything happens through the page alone, as a person
//! would: choosing who they are, reacting, typing commands, pressing the
//! bot's buttons, filling in its modals, jumping the clock.
//!
//! Each step's screenshot is written to a temporary directory, printed at
//! the end (on stderr, so `cargo test` shows it). `NEEDFUL_SCREENSHOTS=DIR` writes them there instead (the README's
//! pictures come from there). Without Chromium the test fails and says what
//! to install; `NEEDFUL_SKIP_BROWSER_TESTS=1` skips it on purpose.

use std::{
    io::Write as _,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use needful::demo::{Options, Running, start};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";
const SALES: &str = "C0SALES001";

/// Kills ChromeDriver (and its Chromium) when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Browser {
    client: Client,
    _driver: Driver,
    shots: PathBuf,
    taken: usize,
    page: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// ChromeDriver on a free loopback port, and a headless Chromium of
    /// 1280×800 through it.
    async fn launch(page: String, width: u32, height: u32) -> Browser {
        let chromedriver = std::env::var("NEEDFUL_CHROMEDRIVER").unwrap_or("chromedriver".into());
        let chromium = std::env::var("NEEDFUL_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {chromedriver} ({e}). The browser test needs Chromium and ChromeDriver: \
                     `apt-get install chromium chromium-driver` on Debian (`.ci/run` does it), or set \
                     NEEDFUL_SKIP_BROWSER_TESTS=1 to skip it"
                )
            });
        let driver = Driver(child);
        let profile = std::env::temp_dir().join(format!("needful-chromium-{port}"));
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + WAIT;
        let client = loop {
            // ChromeDriver is on loopback: plain HTTP, no TLS.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "ChromeDriver did not take a session: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let shots = match std::env::var("NEEDFUL_SCREENSHOTS") {
            Ok(dir) => PathBuf::from(dir),
            Err(_) => std::env::temp_dir().join(format!("needful-browser-{port}")),
        };
        std::fs::create_dir_all(&shots).expect("screenshot directory");
        Browser {
            client,
            _driver: driver,
            shots,
            taken: 0,
            page,
        }
    }

    /// Opens the page as `person`, in `channel`.
    async fn visit(&self, person: &str, channel: &str) {
        self.client
            .goto(&format!("{}/?as={person}&c={channel}", self.page))
            .await
            .expect("the page opens");
        self.find("#composer").await;
    }

    async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => {
                self.failed().await;
                panic!("{css} never showed: {e}")
            }
        }
    }

    /// A screenshot of the page as it is when a step failed.
    async fn failed(&self) {
        if let Ok(png) = self.client.screenshot().await {
            let path = self.shots.join("failed.png");
            let _ = std::fs::write(&path, png);
            eprintln!("the page when it failed: {}", path.display());
        }
    }

    /// Waits until the page's text (or `css`'s) contains `needle`.
    async fn see(&self, css: &str, needle: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                self.failed().await;
                panic!("{needle:?} never showed in {css}; it reads:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css` once it shows. The page redraws as the bot answers, so
    /// an element found a moment ago can be gone: it is found again.
    async fn click(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e)
                    if e.to_string().contains("stale")
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    self.failed().await;
                    panic!("{css}: {e}");
                }
            }
        }
    }

    async fn open_channel(&self, channel: &str) {
        self.click(&format!("[data-channel=\"{channel}\"]")).await;
    }

    /// Types into the composer and sends it.
    async fn say(&self, text: &str) {
        let composer = self.find("#composer").await;
        composer.clear().await.expect("clear");
        composer.send_keys(text).await.expect("type");
        self.click("#send").await;
    }

    async fn be(&self, person: &str) {
        let switcher = self.find("select#as").await;
        switcher
            .select_by_value(person)
            .await
            .unwrap_or_else(|e| panic!("no {person} in the switcher: {e}"));
        self.see("body", "").await;
    }

    async fn shot(&mut self, name: &str) {
        self.taken += 1;
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(&path, png).expect("the screenshot is written");
    }
}

async fn demo() -> Running {
    start(Options {
        listen: "127.0.0.1:0".parse().expect("address"),
        db: None,
    })
    .await
    .expect("the demo starts")
}

fn skipped() -> bool {
    if std::env::var("NEEDFUL_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: the browser test (NEEDFUL_SKIP_BROWSER_TESTS=1)");
        return true;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_day_in_the_demo_through_the_page_alone() {
    if skipped() {
        return;
    }
    let demo = demo().await;
    let mut b = Browser::launch(format!("http://{}", demo.address), 1280, 800).await;

    // As Alice: a trophy on Bob's message, celebrated in #humblebrag.
    b.visit("U0ALICE001", SUPPORT).await;
    b.see("#messages", "Acme's CSV import").await;
    let bobs = b
        .client
        .execute(
            "return [...document.querySelectorAll('.message')].find(m => m.textContent.includes(\"Acme's CSV import\")).dataset.ts",
            vec![],
        )
        .await
        .expect("Bob's message");
    let ts = bobs.as_str().expect("a ts").to_string();
    b.click(&format!(".message[data-ts=\"{ts}\"] .add-reaction"))
        .await;
    b.click(".emoji-choice[data-emoji=\"trophy\"]").await;
    b.find(&format!(
        ".message[data-ts=\"{ts}\"] .reaction[data-emoji=\"trophy\"]"
    ))
    .await;
    b.open_channel(HUMBLEBRAG).await;
    b.see("#messages", "thanked").await;
    b.shot("celebration").await;

    // As Maria: the trophy chain starts; Bob, the holder, passes it on.
    b.be("U0MARIA001").await;
    b.open_channel(SUPPORT).await;
    b.say("/trophy pass @bob rebuilt the Acme import by hand")
        .await;
    b.open_channel(HUMBLEBRAG).await;
    b.see("#messages", "first holder").await;
    b.be("U0BOB00001").await;
    b.open_channel(SUPPORT).await;
    b.say("/trophy pass @alice stayed late for Globex").await;
    b.open_channel(HUMBLEBRAG).await;
    b.see("#messages", "stayed late for Globex").await;
    b.shot("trophy-passed").await;

    // The morning prompt: Alice checks in by its button and modal.
    b.be("U0ALICE001").await;
    b.open_channel(SUPPORT).await;
    b.click("button[data-jump=\"checkin\"]").await;
    b.click("button.bk-button[data-action-id=\"checkin_open\"]")
        .await;
    let note = b
        .find(".modal [data-block-id=\"note\"] textarea, .modal [data-block-id=\"note\"] input")
        .await;
    note.send_keys("Globex escalations first")
        .await
        .expect("type");
    b.shot("checkin-modal").await;
    b.click("button.modal-submit").await;
    b.see("#messages", "Globex escalations first").await;
    b.shot("checked-in").await;

    // Understaffed: the help request in #sales, and Sam can help.
    b.be("U0MARIA001").await;
    b.open_channel(SUPPORT).await;
    b.say("/understaffed on two agents out sick").await;
    b.see("#messages", "two agents out sick").await;
    b.be("U0SAM00001").await;
    b.open_channel(SALES).await;
    b.click("button.bk-button[data-action-id=\"staffing_help\"]")
        .await;
    b.see("#messages", "Sam").await;
    b.shot("help-from-sales").await;

    // Monday: the new roster.
    b.be("U0ALICE001").await;
    b.open_channel(SUPPORT).await;
    let rosters = "return document.querySelectorAll('#messages .message').length";
    let before = b.client.execute(rosters, vec![]).await.expect("count");
    b.click("button[data-jump=\"monday\"]").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = b.find("#messages").await.text().await.unwrap_or_default();
        let now = b.client.execute(rosters, vec![]).await.expect("count");
        if now.as_u64() > before.as_u64() && text.matches("New week, new roles").count() >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new roster:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.shot("monday-roster").await;

    // The App Home: opening it publishes it (a manager's has Manage).
    b.click("#open-home").await;
    b.see("#home", "Kudos").await;
    b.shot("app-home").await;
    b.be("U0MARIA001").await;
    b.see("#home", "Manage").await;

    // Maria's setup forms, with their pickers.
    b.be("U0MARIA001").await;
    b.open_channel(SUPPORT).await;
    b.say("/needful setup").await;
    b.click(".modal button.bk-button[data-value=\"checkin:support\"]")
        .await;
    b.find(
        ".modal[data-callback-id=\"setup_checkin:support\"] [data-block-id=\"checkin_at\"] input",
    )
    .await;
    b.shot("setup").await;
    // Saturday becomes a workday: saved, and the menu under it shows it.
    b.click(".modal [data-block-id=\"workdays\"] input[value=\"Sat\"]")
        .await;
    b.click("button.modal-submit").await;
    b.see(".modal", "Saved: changed the check-in of support")
        .await;
    b.shot("setup-saved").await;
    b.click("button.modal-close").await;
    b.see(".modal", "Sat").await;
    // The pickers: the pod's people and channels, saved as they were picked.
    b.click(".modal button.bk-button[data-value=\"pod:support\"]")
        .await;
    let channel = b
        .find(".modal[data-callback-id=\"setup_pod:support\"] [data-block-id=\"channel\"] select")
        .await;
    channel
        .select_by_value(SUPPORT)
        .await
        .expect("#support is offered");
    b.find(".modal [data-block-id=\"members\"] select").await;
    b.click("button.modal-submit").await;
    b.see(
        ".modal",
        "Saved: changed the people and channels of support",
    )
    .await;
    // Nobody was dropped on the way: the members picked before are still in.
    b.click("button.modal-close").await;
    b.click("button.modal-close").await;
    b.say("/needful pods").await;
    b.see("#messages", "Emma Evans").await;
    b.see("#messages", "Dev Patel").await;

    // Straight to stderr: cargo test shows it even when the test passes.
    let _ = writeln!(
        std::io::stderr(),
        "browser test screenshots: {}",
        b.shots.display()
    );
    b.client.close().await.expect("the browser closes");
    demo.stop().await.expect("the demo stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_fits_a_phone() {
    if skipped() {
        return;
    }
    let demo = demo().await;
    let mut b = Browser::launch(format!("http://{}", demo.address), 390, 844).await;
    b.visit("U0ALICE001", SUPPORT).await;
    b.see("#messages", "Acme's CSV import").await;
    // Nothing is wider than the screen, and the message box is on it.
    let fits = b
        .client
        .execute(
            "const c = document.querySelector('#composer').getBoundingClientRect();
             return document.documentElement.scrollWidth <= window.innerWidth
                 && c.width > 0 && c.bottom <= window.innerHeight;",
            vec![],
        )
        .await
        .expect("measured");
    assert_eq!(fits, serde_json::Value::Bool(true));
    b.say("/kudos @bob rebuilt the Acme import by hand").await;
    // On a phone the channels are a menu at the top.
    b.find("select#channel-select")
        .await
        .select_by_value(HUMBLEBRAG)
        .await
        .expect("#humblebrag is in the menu");
    b.see("#messages", "rebuilt the Acme import").await;
    b.shot("phone").await;
    b.client.close().await.expect("the browser closes");
    demo.stop().await.expect("the demo stops");
}
