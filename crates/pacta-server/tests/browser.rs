//! A person's walk through the real pages, in headless Chromium: a French official signs
//! in, searches, opens an incident, reads its assessment, attributes it through the form
//! and sees the claim on the page, then files a dispute case; signed out, the public reads
//! a published ruling, and the public view hides the AMBER incident from the list and from
//! its direct address. Screenshots of the main pages go to
//! `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (see `browser_support`); skipped loudly
//! without them, and failed under `CI=true`.
//!
//! Run: `CI=true cargo test -p pacta-server --test browser`.

mod browser_support;

use browser_support::{HARBOUR, SECRET, Session, Site, browser, site};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// The public overview and list: the AMBER incident is nowhere.
async fn public_sees_only_clear(b: &Session, s: &Site) {
    b.open(&s.url("/")).await;
    let overview = b.text().await;
    assert!(overview.contains("Incidents by year"), "the overview shows its charts:\n{overview}");
    b.shot("overview").await;
    b.open(&s.url(&format!("/incidents?q={SECRET}"))).await;
    let list = b.text().await;
    assert!(!list.contains(&format!("{SECRET} intrusion")), "the public list hides the AMBER incident:\n{list}");
    b.open(&s.url(&format!("/incidents/{}", s.amber))).await;
    let direct = b.text().await;
    assert!(direct.contains("404") && !direct.contains(&format!("{SECRET} intrusion")), "its address answers 404 to the public:\n{direct}");
}

/// Search from the list page, as typed (htmx swaps the results in).
async fn search_and_open(b: &Session, s: &Site) {
    b.open(&s.url("/incidents")).await;
    assert!(b.text().await.contains("Showing 1–"), "the list starts unfiltered");
    b.fill("#q", "Fos-sur-Mer").await;
    // htmx searches as one types and swaps the results in: one match, ours.
    let results = b.wait_for_text("Showing 1–1 of").await;
    assert!(results.contains(HARBOUR), "{results}");
    b.settle().await;
    assert!(b.path().await.contains("q=Fos-sur-Mer"), "the search is in the address bar: {}", b.path().await);
    b.shot("incident-list").await;
    b.follow(HARBOUR).await;
    assert_eq!(b.text_of("h1").await, HARBOUR);
}

/// The assessment is on the page, with its trace.
async fn read_assessment(b: &Session) -> String {
    let assessment = b.text_of("pre.assessment").await;
    for line in ["State responsibility:", "Threshold:", "Lawful responses:"] {
        assert!(assessment.contains(line), "the assessment states {line:?}:\n{assessment}");
    }
    assessment
}

/// Attribute the incident through the form; the claim and its status appear on the page.
async fn attribute(b: &Session, s: &Site) {
    b.follow("Attribute this incident").await;
    assert!(b.path().await.ends_with("/attribute"));
    b.shot("form-attribute").await;
    // First a refusal: the likelihood is required, and the form says which field.
    b.fill("input[name=state]", "RU").await;
    b.fill("input[name=actor_name]", "Harbour Bear").await;
    b.click("form.stack button[type=submit]").await;
    let refused = b.text_of("#refusal").await;
    assert!(refused.contains("Field confidence") && refused.contains("ICD 203"), "the refusal names the field and the rule: {refused}");
    assert_eq!(b.client.find(fantoccini::Locator::Css("input[name=actor_name]")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Harbour Bear"), "what was typed is kept");
    b.shot("form-attribute-refused").await;
    b.select("select[name=confidence]", "very_likely").await;
    b.select("select[name=basis]", "technical_report").await;
    b.click("form.stack button[type=submit]").await;
    let page = b.path().await;
    assert!(page.starts_with(&format!("/incidents/{}", s.clear)) || page.starts_with("/incidents/"), "back on the incident page: {page}");
    let workflow = b.text_of("#workflow").await;
    assert!(workflow.contains("Harbour Bear") && workflow.contains("made in the registry, version 1"), "the claim is shown:\n{workflow}");
    assert!(workflow.contains("Single source"), "its status is computed:\n{workflow}");
}

/// The other forms render for a party (screenshots to look at).
async fn other_forms(b: &Session, s: &Site) {
    let base = s.url(&format!("/incidents/{}", s.clear));
    b.open(&format!("{base}/evidence")).await;
    assert!(b.text().await.contains("Custody signing key"));
    b.shot("form-evidence").await;
    b.open(&format!("{base}/respond")).await;
    let plan = b.text().await;
    assert!(plan.contains("Available (") && plan.contains("Not available ("), "the plan lists both:\n{plan}");
    b.shot("form-respond").await;
    b.open(&s.url("/report")).await;
    assert!(b.text().await.contains("Report an incident"));
    b.shot("form-report").await;
}

/// France files a dispute about the harbour incident through the form, and lands on the
/// case page at its first stage.
async fn file_a_case(b: &Session, s: &Site) {
    b.open(&s.url("/cases")).await;
    b.click("#file-case-link").await;
    assert!(b.path().await.starts_with("/cases/new"));
    b.fill("#respondent", "state:RU").await;
    b.fill("#title", "France v. Russia (second harbour outage)").await;
    b.fill("#incidents", &s.clear.to_string()).await;
    b.fill("#claim", "Russia's services wiped the vessel-traffic systems of Fos-sur-Mer; France asks for cessation and compensation.").await;
    b.shot("form-file-case").await;
    b.click("#file-case-submit").await;
    let page = b.path().await;
    assert!(page.starts_with("/cases/") && !page.starts_with("/cases/new"), "on the new case's page: {page}");
    assert_eq!(b.text_of("#case-stage").await, "consultation", "a case starts with consultations");
    assert!(b.text().await.contains("France v. Russia (second harbour outage)"));
    b.shot("case-filed").await;
}

/// Anyone reads a published ruling: its summary, its findings on the rules, its remedies.
async fn read_ruling(b: &Session, s: &Site) {
    b.open(&s.url(&format!("/cases/{}", s.ruled_case))).await;
    let summary = b.text_of("#ruling-summary").await;
    assert!(summary.contains("violated French sovereignty"), "{summary}");
    let findings = b.text_of("#ruling-findings").await;
    assert!(findings.contains("tallinn.r4.sovereignty"), "the finding names the rule: {findings}");
    let remedies = b.text_of("#ruling-remedies").await;
    assert!(remedies.contains("compensation") && remedies.contains("1500000"), "{remedies}");
    let page = b.text().await;
    assert!(!page.contains("Confidential pleading"), "the public reads the ruling, not the pleadings");
    b.shot("case-ruling").await;
}

/// The reading pages a forum publishes: state practice with its chart, the norms with their
/// rules in place, the ledger with what is needed to verify it.
async fn reading_pages(b: &Session, s: &Site) {
    b.open(&s.url("/practice")).await;
    assert!(b.text_of("h1").await.contains("State practice"));
    b.shot("practice").await;
    b.open(&s.url("/norms/tallinn-2#tallinn.r4.sovereignty")).await;
    assert!(b.text().await.contains("tallinn.r4.sovereignty"));
    b.shot("norms-tallinn").await;
    b.open(&s.url("/ledger")).await;
    assert!(b.text().await.contains("How to verify offline"));
    b.shot("ledger").await;
}

async fn story(b: &Session, s: &Site) {
    public_sees_only_clear(b, s).await;

    b.open(&s.url("/login")).await;
    b.shot("login").await;
    b.login(s, "fr-officer").await;
    b.open(&s.url(&format!("/incidents?q={SECRET}"))).await;
    assert!(b.text().await.contains(&format!("{SECRET} intrusion")), "France sees the AMBER incident shared with it");

    search_and_open(b, s).await;
    let before = read_assessment(b).await;
    b.shot("incident").await;
    attribute(b, s).await;
    let after = read_assessment(b).await;
    assert_ne!(before, after, "the assessment reads the new claim");
    b.shot("incident-attributed").await;
    other_forms(b, s).await;
    file_a_case(b, s).await;

    b.logout(s).await;
    read_ruling(b, s).await;
    reading_pages(b, s).await;
    public_sees_only_clear(b, s).await;
    b.open(&s.url(&format!("/incidents/{}", s.clear))).await;
    assert!(b.text_of("#workflow").await.contains("Harbour Bear"), "the public claim is public");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_walks_through_the_registry_in_a_real_browser() {
    let Some(b) = browser().await else { return };
    let s = site().await;
    // The browser is closed whatever happens, so no chromium outlives a failed step.
    let outcome = AssertUnwindSafe(story(&b, &s)).catch_unwind().await;
    b.close().await;
    s.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    eprintln!("screenshots in {}", browser_support::screenshot_dir().display());
}
