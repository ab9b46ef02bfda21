//! `pacta account add|token|tokens|revoke`: accounts and API tokens, for the secretariat.
//! Secrets are shown once and stored only as hashes (argon2id for passwords, SHA-256 for
//! tokens); see `pacta_server::auth`.

use anyhow::Context;
use clap::Subcommand;
use pacta_core::PartyId;
use pacta_store::Store;
use pacta_store::accounts::TokenScope;

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Register an account.
    Add {
        /// Account name (a-z, 0-9, '.', '_', '-').
        name: String,
        /// administrator, party, verifier, arbitrator or mediator.
        #[arg(long)]
        role: String,
        /// The party the account acts for (state:FR). Required for a party account.
        #[arg(long)]
        party: Option<String>,
        /// The account's organisation (org:fr-cert), named by AMBER+STRICT markings.
        #[arg(long)]
        organisation: Option<String>,
        /// Read the web sign-in password from this environment variable (never from the
        /// command line, where other users could see it).
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Issue an API token for an account (shown once).
    Token {
        name: String,
        /// read, or write (read and write).
        #[arg(long, default_value = "read")]
        scope: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List an account's tokens (ids and scopes, never values).
    Tokens { name: String },
    /// Revoke a token by id.
    Revoke { id: String },
}

pub async fn run(db: &str, actor: &PartyId, cmd: AccountCommand) -> anyhow::Result<()> {
    let store = Store::open(db).await?;
    match cmd {
        AccountCommand::Add { name, role, party, organisation, password_env } => {
            let party = party.map(|p| PartyId::parse("--party", &p)).transpose()?;
            let organisation = organisation.map(|p| PartyId::parse("--organisation", &p)).transpose()?;
            let hash = match password_env {
                Some(var) => Some(pacta_server::auth::hash_password(&std::env::var(&var).with_context(|| format!("environment variable {var} is not set"))?)?),
                None => None,
            };
            let a = store.create_account(actor, &name, &role, party.as_ref(), organisation.as_ref(), hash.as_deref()).await?;
            println!("added account {} ({}{})", a.name, a.role, a.party.map(|p| format!(", acting for {p}")).unwrap_or_default());
        }
        AccountCommand::Token { name, scope, label } => {
            let scope = TokenScope::parse(&scope)?;
            let token = issue_token(&store, &name, scope, &label).await?;
            println!("{token}");
            eprintln!("This token is shown once; it is stored only as a hash. Send it as `Authorization: Bearer <token>`.");
        }
        AccountCommand::Tokens { name } => {
            for t in store.tokens(&name).await? {
                println!("{}  {}  {}  {}{}", t.id, t.scope.label(), t.created_at, t.label, t.revoked_at.map(|r| format!("  (revoked {r})")).unwrap_or_default());
            }
        }
        AccountCommand::Revoke { id } => {
            if !store.revoke_token(&id).await? {
                anyhow::bail!("no live token {id:?}");
            }
            println!("revoked {id}");
        }
    }
    store.close().await;
    Ok(())
}

/// Issues a token and returns its value (the store keeps only its SHA-256).
pub async fn issue_token(store: &Store, account: &str, scope: TokenScope, label: &str) -> anyhow::Result<String> {
    let (token, digest) = pacta_server::auth::new_token();
    store.add_token(account, &digest, scope, label).await?;
    Ok(token)
}
