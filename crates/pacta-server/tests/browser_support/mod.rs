//! The browser test's harness: a real server on a loopback port over a seeded SQLite
//! registry, Debian's chromium driven headless through chromedriver (WebDriver), and a few
//! steps a person takes (open a page, sign in, fill a form, take a screenshot).
//!
//! Adding a step to the story: write an `async fn` taking `&Session` (and the `Site` for
//! ids), using [`Session::open`], [`Session::fill`], [`Session::click`], [`Session::text`],
//! [`Session::shot`]; call it from the story in `tests/browser.rs`.
//!
//! Where the browser comes from: `PACTA_CHROMIUM` and `PACTA_CHROMEDRIVER` override
//! `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`). Without them the test fails under `CI=true` and is skipped loudly
//! elsewhere. Nothing is downloaded.

#![allow(dead_code)] // each step is used by some story, not necessarily by every one

use fantoccini::{Client, ClientBuilder, Locator};
use pacta_core::*;
use pacta_store::testing::TestDb;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A password every seeded account shares (the registry is thrown away after the test).
pub const PASSWORD: &str = "correct horse battery staple";
/// A word only the AMBER incident carries.
pub const SECRET: &str = "Quillwort";
/// The CLEAR incident the story attributes.
pub const HARBOUR: &str = "Harbour control outage at Fos-sur-Mer";

/// The running registry: its address, the seeded ids, and what to stop at the end.
pub struct Site {
    pub base: String,
    pub clear: IncidentId,
    pub amber: IncidentId,
    /// A dispute about the CLEAR incident that went through mediation to a published
    /// arbitral ruling (seeded through the store: the hearings took months).
    pub ruled_case: String,
    db: Option<TestDb>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    vault: PathBuf,
}

fn state(c: &str) -> StateCode {
    StateCode::parse("state", c).unwrap()
}

/// Seeds a SQLite registry (the bundled EuRepoC sample, one CLEAR and one AMBER incident of
/// our own, accounts with passwords) and serves it on 127.0.0.1:0.
pub async fn site() -> Site {
    let db = TestDb::sqlite().await.expect("a SQLite test database");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    let records = pacta_import::eurepoc::read_dir(&dir).expect("the bundled sample").records;
    let importer = PartyId::parse("as", "org:test-importer").unwrap();
    db.store.import_records(records, &importer, |_| {}).await.expect("import the sample");

    let secretariat = PartyId::parse("as", "org:secretariat").unwrap();
    let mut clear = Incident::new(HARBOUR, Tlp::Clear);
    clear.description = "The port authority's vessel-traffic systems were wiped; ships waited at anchor for two days.".into();
    clear.start_date = Some(incident::parse_date("d", "2024-03-04").unwrap());
    clear.operation_types = vec![OperationType::Disruption];
    clear.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Energy, entity: Some("Port authority".into()) });
    clear.alleged_actors.push(Actor { name: None, state: Some(state("RU")), category: ActorCategory::Unknown });
    let mut record = IncidentRecord::new(clear);
    for c in ["FR", "DE", "RU"] {
        record.parties.push(Party::state(state(c)));
    }
    let (clear, _) = db.store.report_incident(record, &secretariat).await.expect("report the CLEAR incident");

    let mut amber = Incident::new(format!("{SECRET} intrusion into a grid operator"), Tlp::Amber);
    amber.description = format!("Restricted to France: {SECRET}.");
    amber.start_date = Some(incident::parse_date("d", "2024-02-01").unwrap());
    amber.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Energy, entity: None });
    let (amber, _) = db.store.report_incident(IncidentRecord::new(amber), &secretariat).await.expect("report the AMBER incident");
    db.store.share_incident(amber, &["state:FR".to_string()], &secretariat).await.unwrap();

    let hash = pacta_server::auth::hash_password(PASSWORD).unwrap();
    for (name, role, party, org) in [
        ("fr-officer", "party", Some("state:FR"), Some("org:fr-anssi")),
        ("de-officer", "party", Some("state:DE"), None),
        ("lab", "verifier", None, Some("verifier:lab")),
    ] {
        let p = party.map(|p| PartyId::parse("p", p).unwrap());
        let o = org.map(|o| PartyId::parse("o", o).unwrap());
        db.store.create_account(&pacta_core::PartyId::for_organisation("secretariat"), name, role, p.as_ref(), o.as_ref(), Some(&hash)).await.unwrap();
    }

    let ruled_case = seed_ruled_case(&db.store, clear).await;

    let vault = std::env::temp_dir().join(format!("pacta_browser_vault_{}", std::process::id()));
    let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
    let state = pacta_server::AppState::new(store).with_vault(pacta_vault::Vault::open(&vault).unwrap());
    let server = pacta_server::Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = server
            .run(pacta_server::app(state), async {
                let _ = stopped.await;
            })
            .await;
    });
    Site { base, clear, amber, ruled_case, db: Some(db), stop: Some(stop), server: Some(handle), vault }
}

/// France v. Russia over `incident`, filed 200 days ago: consultation, mediation (impasse),
/// arbitration before a neutral, and a published ruling with compensation.
async fn seed_ruled_case(store: &pacta_store::Store, incident: IncidentId) -> String {
    use chrono::{Duration, Utc};
    use pacta_forum::case::{Action, Stage};
    use pacta_forum::panel::{Arbitrator, PanelRole};
    let party = |p: &str| PartyId::parse("p", p).unwrap();
    let t0 = Utc::now() - Duration::days(200);
    let new = pacta_store::forum::cases::NewCase {
        claimant: party("state:FR"),
        respondent: party("state:RU"),
        title: "France v. Russia (harbour control outage)".into(),
        incidents: vec![incident],
        claim: "Confidential pleading.".into(),
        evidence: vec![],
        tlp: Tlp::Amber,
    };
    // The secretariat acts in the case (it lists neutrals and appoints them): it must be a
    // registered party, as every actor in the log is.
    let secretariat_key = pacta_ledger::note::NoteSigner::generate("org:secretariat").unwrap();
    store.register_party_key(&party("org:secretariat"), &party("org:secretariat"), &secretariat_key.verifier().to_vkey()).await.expect("register the secretariat");
    let case = store.file_case(&party("state:FR"), new, t0).await.expect("file the seeded case").case.id;
    for (who, nationality, role) in [("org:arb-okafor", "NG", PanelRole::Mediator), ("org:arb-lindqvist", "SE", PanelRole::Arbitrator)] {
        let neutral = Arbitrator { party: party(who), name: who.trim_start_matches("org:arb-").to_string(), nationalities: vec![state(nationality)], affiliations: vec![], roles: vec![role] };
        store.list_neutral(&party("org:secretariat"), neutral).await.expect("list a neutral");
    }
    let ruling: pacta_forum::Ruling = serde_json::from_value(serde_json::json!({
        "issued_by": "org:arb-lindqvist", "at": (t0 + Duration::days(90)).to_rfc3339(),
        "summary": "Wiping the port authority's systems violated French sovereignty.",
        "findings": [{ "incident": incident.to_string(), "instrument": "tallinn-2", "rule": "tallinn.r4.sovereignty", "breached": true, "text": "Vessel-traffic systems were destroyed and had to be rebuilt." }],
        "remedies": [{ "kind": "compensation", "description": "The cost of rebuilding the systems.", "amount": { "value": 1500000, "currency": "EUR" }, "due": (Utc::now() + Duration::days(60)).to_rfc3339() }],
        "published": true
    }))
    .expect("a ruling");
    for (who, action, day) in [
        ("state:FR", Action::Escalate { to: Stage::Mediation, reason: "No agreement in consultations.".into() }, 61),
        ("org:secretariat", Action::Appoint { party: party("org:arb-okafor"), role: PanelRole::Mediator }, 62),
        ("org:arb-okafor", Action::DeclareImpasse { reason: "No common ground.".into() }, 70),
        ("state:FR", Action::Escalate { to: Stage::Arbitration, reason: "Mediation failed.".into() }, 71),
        ("org:secretariat", Action::Appoint { party: party("org:arb-lindqvist"), role: PanelRole::Arbitrator }, 72),
        ("org:arb-lindqvist", Action::Rule { ruling }, 90),
    ] {
        store.act_on_case(&party(who), case, action, t0 + Duration::days(day)).await.expect("a step of the seeded case");
    }
    case.to_string()
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        if let Some(db) = self.db.take() {
            db.drop_db().await;
        }
        let _ = std::fs::remove_dir_all(&self.vault);
    }
}

/// Where the browser binaries are, or why the test cannot run.
fn binaries() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("PACTA_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into());
    let driver = std::env::var_os("PACTA_CHROMEDRIVER").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromedriver".into());
    for (what, path, package) in [("chromium", &chromium, "chromium"), ("chromedriver", &driver, "chromium-driver")] {
        if !path.exists() {
            return Err(format!("{what} is not at {} (install Debian's `{package}` package: apt-get install -y chromium chromium-driver)", path.display()));
        }
    }
    Ok((chromium, driver))
}

/// A browser session: chromedriver (our child process) and one headless chromium.
pub struct Session {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    shots: PathBuf,
}

/// Starts chromedriver and a headless chromium, or `None` (after a loud banner) when they
/// are not installed outside CI. Under `CI=true` a missing browser is a failure.
pub async fn browser() -> Option<Session> {
    let (chromium, driver_bin) = match binaries() {
        Ok(b) => b,
        Err(why) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and the browser test cannot run: {why}");
            }
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! BROWSER TEST SKIPPED: {why}\n!!! Under CI=true this is a failure.\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            return None;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || driver.try_wait().ok().flatten().is_some() {
            let _ = driver.kill();
            panic!("chromedriver did not start listening on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = std::env::temp_dir().join(format!("pacta_chromium_profile_{}_{port}", std::process::id()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium.to_string_lossy(),
            // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--metrics-recording-only", "--hide-scrollbars", "--lang=en-GB",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = match ClientBuilder::new(connector).capabilities(caps).connect(&format!("http://127.0.0.1:{port}")).await {
        Ok(c) => c,
        Err(e) => {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("chromedriver could not start chromium: {e}");
        }
    };
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    Some(Session { client, driver, profile, shots })
}

/// `target/screenshots/` of this workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

impl Session {
    /// Ends the browser session and stops chromedriver. Call it even when a step failed
    /// (see `tests/browser.rs`), so no chromium is left behind.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(20), self.client.clone().close()).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}")).text().await.unwrap()
    }

    /// Types `value` into the field matching `css` (after clearing it).
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no select {css}: {e}"));
        e.select_by_value(value).await.unwrap_or_else(|e| panic!("no option {value} in {css}: {e}"));
    }

    /// Clicks the element matching `css` (a submit button, a link) and waits for the page
    /// it leads to.
    pub async fn click(&self, css: &str) {
        let e = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("nothing to click at {css}: {e}"));
        self.navigating(|| async { e.click().await.unwrap_or_else(|e| panic!("click {css}: {e}")) }).await;
    }

    /// Clicks the link whose text is `text` and waits for the page it leads to.
    pub async fn follow(&self, text: &str) {
        let e = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::LinkText(text)).await.unwrap_or_else(|e| panic!("no link {text:?}: {e}"));
        self.navigating(|| async { e.click().await.unwrap_or_else(|e| panic!("follow {text:?}: {e}")) }).await;
    }

    /// Runs `act`, which starts a navigation, and waits until the new document has loaded
    /// (a marker left on the old document's `window` is gone).
    async fn navigating<F: std::future::Future<Output = ()>>(&self, act: impl FnOnce() -> F) {
        self.client.execute("window.__pactaOldPage = true", vec![]).await.unwrap();
        act().await;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let old = self.client.execute("return window.__pactaOldPage === true", vec![]).await.ok().and_then(|v| v.as_bool()).unwrap_or(true);
            if !old {
                break;
            }
            if Instant::now() > deadline {
                panic!("the click did not lead to a new page (still on {})", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.settle().await;
    }

    /// Waits until the document has loaded and htmx has no request in flight.
    pub async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = self
                .client
                .execute("return document.readyState === 'complete' && document.querySelectorAll('.htmx-request').length === 0", vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if ready || Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's text contains `needle` (htmx swaps arrive after the input).
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let t = self.text().await;
            if t.contains(needle) {
                return t;
            }
            if Instant::now() > deadline {
                panic!("{needle:?} never appeared on {}; the page says:\n{t}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs in through the login form.
    pub async fn login(&self, site: &Site, name: &str) {
        self.open(&site.url("/login")).await;
        self.fill("input[name=name]", name).await;
        self.fill("input[name=password]", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]").await;
        self.open(&site.url("/login")).await;
        assert_eq!(self.text_of("#account-name").await, name, "signed in as {name}");
    }

    /// Signs out with the button on the account page.
    pub async fn logout(&self, site: &Site) {
        self.open(&site.url("/login")).await;
        self.click("form[action='/logout'] button[type=submit]").await;
        self.open(&site.url("/login")).await;
        assert!(self.text().await.contains("Sign in"), "signed out");
    }

    /// Saves a screenshot of the whole page as `target/screenshots/NAME.png`.
    pub async fn shot(&self, name: &str) -> PathBuf {
        // From the top (a redirect to `#workflow` scrolls), with the viewport grown to the
        // page's height (capped) so the image shows all of it.
        let _ = self.client.execute("window.scrollTo(0, 0)", vec![]).await;
        let height = self.client.execute("return document.documentElement.scrollHeight", vec![]).await.ok().and_then(|v| v.as_u64()).unwrap_or(900).clamp(600, 6000) as u32;
        let _ = self.client.set_window_size(1280, height).await;
        let png = self.client.screenshot().await.unwrap();
        let _ = self.client.set_window_size(1280, 900).await;
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}
