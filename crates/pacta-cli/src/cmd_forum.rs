//! `pacta contact …`, `pacta ping …`, `pacta consult …` (here) and `pacta case …`,
//! `pacta precedent …` (`cmd_case.rs`): the forum. The decisions are `pacta-forum`'s; this
//! module parses arguments, passes the clock, and prints what the store recorded.

use crate::cmd_attribute::incident_id;
use crate::output;
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Subcommand;
use pacta_core::{PartyId, ResponseId, Tlp};
use pacta_forum::consult::{AnswerKind, Draft, Template};
use pacta_forum::contact::{Channel, ChannelKind, Contact, ContactRole, reachability};
use pacta_store::Store;
use pacta_store::forum::consult::Reply;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum ForumCommand {
    /// Points of contact: name, list, withdraw (as the party, --as state:XX).
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Communication checks: schedule, acknowledge, and each party's reachability.
    #[command(subcommand)]
    Ping(PingCommand),
    /// Consultation requests between parties, from templates, with deadlines.
    #[command(subcommand)]
    Consult(ConsultCommand),
    /// Dispute cases: file, escalate, appoint, extend, rule, comply.
    #[command(subcommand)]
    Case(crate::cmd_case::CaseCommand),
    /// Search rulings and settlements; similar earlier cases for an incident.
    #[command(subcommand)]
    Precedent(crate::cmd_case::PrecedentCommand),
}

#[derive(Subcommand)]
pub enum ContactCommand {
    /// Name a contact of the acting party.
    Add {
        /// diplomatic or technical.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// KIND:ADDRESS with KIND email, phone, secure_portal, fax or other (repeat).
        #[arg(long = "channel", required = true)]
        channels: Vec<String>,
        #[arg(long, default_value = "24/7")]
        hours: String,
    },
    /// The directory (active contacts), of one party or all.
    List {
        #[arg(long)]
        party: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw one of the acting party's contacts.
    Withdraw { contact: String },
}

#[derive(Subcommand)]
pub enum PingCommand {
    /// Schedule a check of every active contact (of --party only, when given), sent now.
    Schedule {
        #[arg(long = "party")]
        parties: Vec<String>,
        /// Time to acknowledge: 30m, 2h, 1d.
        #[arg(long, default_value = "2h")]
        within: String,
    },
    /// Acknowledge a check for one of the acting party's contacts.
    Ack {
        ping: String,
        #[arg(long)]
        contact: String,
    },
    /// Each party's reachability over every check so far.
    Report {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConsultCommand {
    /// The templates, what each means in law, and their default deadlines.
    Templates,
    /// Send a request, as the acting party.
    Send {
        /// request_for_information, request_for_assistance, request_to_stop, response_notification or red_flag.
        template: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        subject: String,
        #[arg(long, default_value = "")]
        body: String,
        #[arg(long)]
        incident: Option<String>,
        /// The recipient's contact it is addressed to (pacta contact list).
        #[arg(long)]
        contact: Option<String>,
        /// For a notification: the measure notified.
        #[arg(long)]
        measure: Option<String>,
        /// For a notification: offer to negotiate (ILC art. 52(1)(b)).
        #[arg(long)]
        offer_to_negotiate: bool,
        #[arg(long, default_value = "AMBER")]
        tlp: String,
        /// Override the template's time to acknowledge (30m, 2h, 1d).
        #[arg(long)]
        acknowledge_within: Option<String>,
        /// Override the template's time to answer.
        #[arg(long)]
        answer_within: Option<String>,
    },
    /// Acknowledge receipt of a request, as its recipient.
    Ack { request: String },
    /// Answer a request, as its recipient.
    Answer {
        request: String,
        /// granted, partly or refused.
        #[arg(long)]
        answer: String,
        #[arg(long)]
        text: String,
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Record every reminder and lapse now due (the secretariat runs it, e.g. hourly).
    Sweep,
    /// The requests the acting party may see (about one incident, when given).
    List {
        #[arg(long)]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One request with its steps.
    Show {
        request: String,
        #[arg(long)]
        json: bool,
    },
}

/// `30m`, `2h`, `3d`.
pub fn duration(field: &str, s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| pacta_core::Invalid::new(field, s, "expected a duration such as 30m, 2h or 3d"))?;
    Ok(match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(pacta_core::Invalid::new(field, s, "expected a duration such as 30m, 2h or 3d").into()),
    })
}

/// RFC 3339, or a date (midnight UTC).
pub fn time(field: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| pacta_core::Invalid::new(field, s, "expected an RFC 3339 time or a date YYYY-MM-DD"))?;
    Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

pub fn uuid(field: &str, s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s.trim()).map_err(|_| pacta_core::Invalid::new(field, s, "expected a UUID"))?)
}

pub async fn run(db: &str, actor: &PartyId, cmd: ForumCommand) -> anyhow::Result<()> {
    if let ForumCommand::Consult(ConsultCommand::Templates) = cmd {
        return templates();
    }
    let store = Store::open(db).await?;
    let result = match cmd {
        ForumCommand::Contact(c) => contact(&store, actor, c).await,
        ForumCommand::Ping(c) => ping(&store, actor, c).await,
        ForumCommand::Consult(c) => consult(&store, actor, c).await,
        ForumCommand::Case(c) => crate::cmd_case::case(&store, actor, c).await,
        ForumCommand::Precedent(c) => crate::cmd_case::precedent(&store, c).await,
    };
    store.close().await;
    result
}

fn templates() -> anyhow::Result<()> {
    let mut s = String::new();
    for t in Template::ALL {
        let (ack, answer) = t.default_deadlines();
        s.push_str(&format!("{} — {}\n  acknowledge within {} h, answer within {} h\n  {}\n\n", t.label(), t.title(), ack.num_hours(), answer.num_hours(), t.meaning()));
    }
    output::print(&s)
}

async fn contact(store: &Store, actor: &PartyId, cmd: ContactCommand) -> anyhow::Result<()> {
    match cmd {
        ContactCommand::Add { role, name, channels, hours } => {
            let channels = channels
                .iter()
                .map(|c| {
                    let (kind, address) = c.split_once(':').ok_or_else(|| pacta_core::Invalid::new("--channel", c, "expected KIND:ADDRESS, e.g. email:cert@example.org"))?;
                    Ok(Channel { kind: ChannelKind::parse("--channel", kind)?, address: address.trim().to_string() })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let c = Contact { id: Uuid::now_v7(), party: actor.clone(), role: ContactRole::parse("--role", &role)?, name, channels, hours };
            let stored = store.name_contact(actor, c).await?;
            println!("Contact {} named for {}; log entry {}.", stored.contact.id, actor, stored.log_index);
        }
        ContactCommand::List { party, json } => {
            let party = party.map(|p| PartyId::parse("--party", &p)).transpose()?;
            let list = store.contacts(party.as_ref(), false).await?;
            if json {
                return output::print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let c = &s.contact;
                    vec![c.party.to_string(), c.role.to_string(), c.name.clone(), c.channels.iter().map(|ch| format!("{}:{}", ch.kind, ch.address)).collect::<Vec<_>>().join(" "), c.hours.clone(), c.id.to_string()]
                })
                .collect();
            output::print(&output::table(&["PARTY", "ROLE", "NAME", "CHANNELS", "HOURS", "ID"], &rows, 60))?;
        }
        ContactCommand::Withdraw { contact } => {
            let index = store.withdraw_contact(actor, uuid("CONTACT", &contact)?).await?;
            println!("Contact {contact} withdrawn; log entry {index}.");
        }
    }
    Ok(())
}

async fn ping(store: &Store, actor: &PartyId, cmd: PingCommand) -> anyhow::Result<()> {
    match cmd {
        PingCommand::Schedule { parties, within } => {
            let parties = parties.iter().map(|p| PartyId::parse("--party", p)).collect::<Result<Vec<_>, _>>()?;
            let stored = store.schedule_ping(actor, &parties, Utc::now(), duration("--within", &within)?).await?;
            let mut text = format!("Check {} sent to {} contact(s), due {}; log entry {}.\n", stored.test.id, stored.test.targets.len(), pacta_forum::fmt_time(stored.test.due), stored.log_index);
            for t in &stored.test.targets {
                text.push_str(&format!("  {} contact {}\n", t.party, t.contact));
            }
            output::print(&text)?;
        }
        PingCommand::Ack { ping, contact } => {
            let stored = store.acknowledge_ping(actor, uuid("PING", &ping)?, uuid("--contact", &contact)?, Utc::now()).await?;
            let late = if stored.test.late(uuid("--contact", &contact)?) == Some(true) { " (late)" } else { "" };
            println!("Acknowledged{late}; log entry {}.", stored.log_index);
        }
        PingCommand::Report { json } => {
            let tests: Vec<_> = store.ping_tests().await?.into_iter().map(|p| p.test).collect();
            let r = reachability(&tests, Utc::now());
            if json {
                return output::print_json(&r);
            }
            let rows: Vec<Vec<String>> = r
                .iter()
                .map(|x| {
                    vec![
                        x.party.clone(),
                        x.checks.to_string(),
                        x.on_time.to_string(),
                        x.late.to_string(),
                        x.missed.to_string(),
                        x.percent_on_time().map(|p| format!("{p}%")).unwrap_or_else(|| "-".into()),
                        x.median_seconds.map(|s| format!("{}m", s / 60)).unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            output::print(&output::table(&["PARTY", "CHECKS", "ON TIME", "LATE", "MISSED", "REACHABLE", "MEDIAN ACK"], &rows, 40))?;
        }
    }
    Ok(())
}

fn show_consultation(c: &pacta_forum::Consultation) -> String {
    let r = &c.request;
    let mut s = format!(
        "{} — {} ({})\n  from {} to {}{}\n  sent {}; acknowledge by {}; answer by {}\n  status now: {}\n",
        r.id,
        r.subject,
        r.template.title(),
        r.from,
        r.to,
        r.incident.map(|i| format!(", about incident {i}")).unwrap_or_default(),
        pacta_forum::fmt_time(r.sent_at),
        pacta_forum::fmt_time(r.acknowledge_by),
        pacta_forum::fmt_time(r.answer_by),
        c.status(Utc::now()).label(),
    );
    for step in &c.steps {
        s.push_str(&format!("  {} {}\n", pacta_forum::fmt_time(step.at()), step.kind()));
    }
    for (fact, v) in c.facts() {
        s.push_str(&format!("  fact for the norms engine: {fact} = {}\n", if v { "yes" } else { "no" }));
    }
    s
}

async fn consult(store: &Store, actor: &PartyId, cmd: ConsultCommand) -> anyhow::Result<()> {
    match cmd {
        ConsultCommand::Templates => unreachable!("handled before the database is opened"),
        ConsultCommand::Send { template, to, subject, body, incident, contact, measure, offer_to_negotiate, tlp, acknowledge_within, answer_within } => {
            let mut d = Draft::new(Template::parse("TEMPLATE", &template)?, actor.clone(), PartyId::parse("--to", &to)?, &subject);
            d.body = body;
            d.incident = match incident {
                Some(i) => Some(incident_id(store, &i).await?),
                None => None,
            };
            d.contact = contact.map(|c| uuid("--contact", &c)).transpose()?;
            d.measure = measure.map(|m| ResponseId::parse(&m)).transpose()?;
            d.offer_to_negotiate = offer_to_negotiate;
            d.tlp = Tlp::parse("--tlp", &tlp)?;
            d.acknowledge_within = acknowledge_within.map(|w| duration("--acknowledge-within", &w)).transpose()?;
            d.answer_within = answer_within.map(|w| duration("--answer-within", &w)).transpose()?;
            let stored = store.send_consultation(actor, d, Utc::now()).await?;
            println!("Sent; log entry {}.", stored.log_index);
            output::print(&show_consultation(&stored.consultation))?;
        }
        ConsultCommand::Ack { request } => {
            let stored = store.reply_consultation(actor, uuid("REQUEST", &request)?, Reply::Acknowledge, Utc::now()).await?;
            println!("Acknowledged; log entry {}.", stored.log_index);
        }
        ConsultCommand::Answer { request, answer, text, evidence } => {
            let evidence = evidence.iter().map(|e| uuid("--evidence", e)).collect::<anyhow::Result<Vec<_>>>()?;
            let reply = Reply::Answer { answer: AnswerKind::parse("--answer", &answer)?, text, evidence };
            let stored = store.reply_consultation(actor, uuid("REQUEST", &request)?, reply, Utc::now()).await?;
            println!("Answered; log entry {}.", stored.log_index);
            output::print(&show_consultation(&stored.consultation))?;
        }
        ConsultCommand::Sweep => {
            let recorded = store.sweep_consultations(actor, Utc::now()).await?;
            println!("{} reminder(s) and lapse(s) recorded.", recorded.len());
            for s in &recorded {
                let step = s.consultation.steps.last().expect("a recorded step");
                println!("  {} {} ({} → {}); log entry {}", step.kind(), s.consultation.request.id, s.consultation.request.from, s.consultation.request.to, s.log_index);
            }
        }
        ConsultCommand::List { incident, json } => {
            let incident = match incident {
                Some(i) => Some(incident_id(store, &i).await?),
                None => None,
            };
            let list = store.consultations(incident, Some(actor)).await?;
            if json {
                return output::print_json(&list);
            }
            let now = Utc::now();
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let r = &s.consultation.request;
                    vec![r.id.to_string(), r.template.to_string(), r.from.to_string(), r.to.to_string(), s.consultation.status(now).label(), pacta_forum::fmt_time(r.answer_by), r.subject.clone()]
                })
                .collect();
            output::print(&output::table(&["ID", "TEMPLATE", "FROM", "TO", "STATUS", "ANSWER BY", "SUBJECT"], &rows, 50))?;
        }
        ConsultCommand::Show { request, json } => {
            let found = store.get_consultation(uuid("REQUEST", &request)?, Some(actor)).await?.with_context(|| format!("unknown request {request}"))?;
            if json {
                return output::print_json(&found);
            }
            output::print(&show_consultation(&found.consultation))?;
        }
    }
    Ok(())
}
