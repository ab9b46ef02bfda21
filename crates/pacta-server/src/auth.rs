//! Credentials: API tokens, passwords, web sessions and the CSRF check.
//!
//! - **Tokens** are 32 random bytes shown once as `pacta_<base64url>`; only their SHA-256
//!   is stored. They are scoped (read, or read and write) and revocable
//!   (`pacta account token|revoke`).
//! - **Passwords** are hashed with argon2id (the crate's defaults: 19 MiB, 2 passes).
//! - **Sessions**: signing in on `/login` sets `pacta_session` (HttpOnly, SameSite=Strict,
//!   eight hours), 32 random bytes whose SHA-256 is the stored key.
//! - **CSRF**: every form a signed-in user submits carries the session's CSRF token in a
//!   hidden `csrf` field, compared in constant time; SameSite=Strict already keeps other
//!   sites' forms from carrying the cookie, the token is the second lock. The login form
//!   itself has no session yet: it is protected by checking that the `Origin` header, when
//!   the browser sends one, is this server.
//!
//! Nothing here logs a secret: tokens, passwords, session ids and CSRF tokens never reach
//! a log line (the request log records paths and statuses only, and no route carries a
//! secret in its path or query).

use crate::error::AppError;
use crate::viewer::{SESSION_COOKIE, sha256};
use crate::{AppState, Viewer};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

pub const TOKEN_PREFIX: &str = "pacta_";
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    // The operating system's generator; without it no credential can be made safely.
    getrandom::fill(&mut b).expect("the operating system's random number generator");
    b
}

/// A new API token: what to show the user once, and the digest to store.
pub fn new_token() -> (String, [u8; 32]) {
    let bytes = random32();
    (format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)), sha256(&bytes))
}

/// The 32 bytes behind a token (`pacta_…`) or session id; `None` for anything else.
pub fn decode_secret(s: &str) -> Option<[u8; 32]> {
    let s = s.strip_prefix(TOKEN_PREFIX).unwrap_or(s);
    if s.len() != 43 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(s).ok()?.try_into().ok()
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt_bytes: [u8; 16] = random32()[..16].try_into().expect("16 bytes");
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Constant-time equality of two strings' bytes.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a form whose `csrf` field is not the session's token. Token-authenticated
/// API clients have no session and send no cookie, so they have no CSRF to check.
pub fn check_csrf(viewer: &Viewer, submitted: &str) -> Result<(), AppError> {
    match viewer.csrf() {
        Some(expected) if same_secret(expected, submitted) => Ok(()),
        Some(_) => Err(AppError::Forbidden("the form has expired or did not come from this site: reload the page and submit again".into())),
        None => Err(AppError::Unauthorized("sign in first".into())),
    }
}

/// True when the request's `Origin` (if any) is this server: browsers send it on every
/// form POST, and a cross-site login attempt carries the attacker's origin.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).is_some_and(|o| o == host)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    pub name: String,
    pub password: String,
    /// Where to go after signing in (a local path only).
    #[serde(default)]
    pub next: String,
}

/// `POST /login`: checks the password, opens a session, redirects.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, crate::pages::PageError> {
    if !same_origin(&headers) {
        return Err(AppError::Forbidden("sign-in forms are accepted from this site only".into()).into());
    }
    let account = state.store.account(form.name.trim()).await.map_err(AppError::from)?;
    // Hash even for an unknown account, so the answer takes as long either way.
    let phc = account.as_ref().and_then(|a| a.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false);
    let Some(account) = account.filter(|_| ok) else {
        return Err(AppError::Unauthorized("unknown account or wrong password".into()).into());
    };
    let session = random32();
    let csrf = URL_SAFE_NO_PAD.encode(&random32()[..24]);
    let expires = chrono::Utc::now() + chrono::Duration::from_std(SESSION_LIFETIME).unwrap_or_default();
    state.store.create_session(&sha256(&session), &account.id, &csrf, expires).await.map_err(AppError::from)?;
    tracing::info!(account = %account.name, "signed in");
    let next = if is_local_path(&form.next) { form.next } else { "/".to_string() };
    let mut r = Redirect::to(&next).into_response();
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", URL_SAFE_NO_PAD.encode(session), SESSION_LIFETIME.as_secs());
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.to_string()))?);
    Ok(r)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutForm {
    pub csrf: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Result<Response, crate::pages::PageError> {
    check_csrf(&viewer, &form.csrf)?;
    let parts_cookie = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_string())
    });
    if let Some(bytes) = parts_cookie.as_deref().and_then(decode_secret) {
        state.store.end_session(&sha256(&bytes)).await.map_err(AppError::from)?;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("pacta_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    *r.status_mut() = StatusCode::SEE_OTHER;
    Ok(r)
}

/// A valid argon2id hash of a random password, verified against when the account does
/// not exist so that timing does not reveal which names are registered.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&URL_SAFE_NO_PAD.encode(random32())).unwrap_or_default());

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: &'static str,
    signed_in: Option<String>,
    csrf: String,
    next: String,
}

/// Whether `next` is a path on this site, safe to send a browser to after sign-in. Browsers
/// read a backslash as a slash and drop tabs and line breaks, so "/\\evil.example" and
/// "/\t/evil.example" would leave the site just as "//evil.example" does.
fn is_local_path(next: &str) -> bool {
    next.starts_with('/') && !next.chars().any(|c| c == '\\' || c.is_control()) && !next.starts_with("//")
}

/// `GET /login`: the sign-in form, or the signed-in account with a sign-out button.
pub async fn login_page(viewer: Viewer, axum::extract::RawQuery(query): axum::extract::RawQuery) -> Result<Response, crate::pages::PageError> {
    use askama::Template;
    let next = crate::params::pairs(query.as_deref(), &["next"])?.into_iter().find(|(k, _)| *k == "next").map(|(_, v)| v).unwrap_or_default();
    let page = LoginPage {
        nav: "login",
        signed_in: viewer.account_info().map(|a| a.name.clone()),
        csrf: viewer.csrf().unwrap_or("").to_string(),
        next: if is_local_path(&next) { next } else { String::new() },
    };
    Ok(axum::response::Html(page.render().map_err(AppError::from)?).into_response())
}

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/report", get(crate::report::report_page).post(crate::report::report_form))
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn after_sign_in_a_browser_is_sent_only_to_a_path_on_this_site() {
        for ok in ["/", "/incidents?state=UA", "/cases/3"] {
            assert!(is_local_path(ok), "{ok}");
        }
        // Each of these leaves the site in a browser: another host, a backslash read as a
        // slash, a tab or line break dropped from the middle.
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example/x", "/\t/evil.example", "/\n/evil.example", "evil"] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
