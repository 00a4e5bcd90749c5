//! Reading a sign-in: what a provider's refusal really means (`auth.refusal`), and the two
//! OAuth2 SASL mechanisms (XOAUTH2, OAUTHBEARER) with their error continuation in words.
//!
//! # Refusals
//!
//! Big providers refuse a correct normal password by design and say so only in the reply
//! text, so the code alone (535) would read as "wrong password" for a right one.
//! [`Refusal::read`] reads the text; the reply texts below are quoted from real sessions:
//!
//! | provider | reply | refusal |
//! |---|---|---|
//! | Google | `534-5.7.9 Application-specific password required … ?p=InvalidSecondFactor` | app-password-required |
//! | Google | `534-5.7.14 <…> Please log in via your web browser and then try again` | web-login-required |
//! | Google | `535-5.7.8 Username and Password not accepted … ?p=BadCredentials` | bad-credentials (Google also says this to a right normal password: it wants an app password) |
//! | Microsoft | `535 5.7.139 Authentication unsuccessful, basic authentication is disabled.` | basic-auth-disabled |
//! | Microsoft | `535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.` | basic-auth-disabled |
//! | Microsoft | `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant/Mailbox.` | smtp-auth-disabled |
//! | Microsoft | `535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.` | bad-credentials |
//! | Microsoft | `535 5.7.3 Authentication unsuccessful` | other (wrong password, or password sign-in blocked: it does not say which) |
//! | Yahoo/AOL | `535 5.7.0 (#AUTH005) Too many bad auth attempts.` | app-password-required (what a normal password gets; also after many wrong tries) |
//! | Yahoo/AOL | `535 5.7.0 (#MBR1212) Incorrect username or password.` | bad-credentials |
//! | QQ/163 | `535 Login Fail. Please enter your authorization code to login.` | app-password-required |
//!
//! Sources: Google — github.com/PHPMailer/PHPMailer/issues/1708, nodemailer/nodemailer#1116,
//! Der-Henning/tgtg#517, firebase/functions-samples#39, bakercp/ofxSMTP#13; Microsoft —
//! rpremraj/mailR#107, nodemailer/nodemailer#1714 and #1484 (Tenant), lukevella/rallly#3154
//! ("app passwords go through the same basic auth path"), codassassin/email-bomber-v2.0#1,
//! <https://docs.bookyourpto.com/features/smtp-troubleshoot> (security defaults, Mailbox);
//! Yahoo — PHPMailer/PHPMailer#2034 and #1287, nodemailer/nodemailer#1112, nedimf/maildroid#17
//! (fixed with an app password, <https://help.yahoo.com/kb/SLN15241.html>); QQ — YMFE/yapi#2219.
//! iCloud's SMTP reply text could not be sourced; its refusals read by code, and the words
//! for bad credentials say that iCloud, like Yahoo and Gmail, takes only an app password from
//! mail programs (github.com/kellylford/QuickMail/issues/32, d99kris/nmail#187,
//! Foundry376/Mailspring#1544).
//!
//! # OAuth2
//!
//! XOAUTH2 (<https://developers.google.com/gmail/imap/xoauth2-protocol>):
//! `base64("user=" U ^A "auth=Bearer " T ^A ^A)`. OAUTHBEARER (RFC 7628 §3.1): a GS2 header
//! `n,a=U,` then `^A host=H ^A port=P ^A auth=Bearer T ^A ^A`. A refused token gets `334`
//! with base64 JSON (`{"status":"401","schemes":"bearer","scope":"…"}`); the client must
//! answer it, an empty line for XOAUTH2, a single ^A for OAUTHBEARER (RFC 7628 §3.2.3), and
//! the server then sends its final refusal.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use super::reply::Reply;

/// What a refused sign-in means: the `auth.refusal` fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// The user name or password (or token) is wrong.
    BadCredentials,
    /// The provider refuses the normal password from mail programs: an app password (or
    /// OAuth2) is needed. The password may well be right.
    AppPasswordRequired,
    /// Microsoft: sign-in with a password (basic authentication) is off; an app password
    /// does not help, OAuth2 does.
    BasicAuthDisabled,
    /// Microsoft: SMTP AUTH is off for the organisation or the mailbox.
    SmtpAuthDisabled,
    /// Google: sign in once in a web browser to confirm it is you.
    WebLoginRequired,
    /// The account is locked or disabled.
    AccountLocked,
    /// A refusal relaydoc cannot read further.
    Other,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad-credentials",
            Self::AppPasswordRequired => "app-password-required",
            Self::BasicAuthDisabled => "basic-auth-disabled",
            Self::SmtpAuthDisabled => "smtp-auth-disabled",
            Self::WebLoginRequired => "web-login-required",
            Self::AccountLocked => "account-locked",
            Self::Other => "other",
        }
    }

    /// Reads a refused AUTH's final reply (not for 235).
    pub fn read(reply: &Reply) -> Refusal {
        let text = reply.lines.join(" ").to_ascii_lowercase();
        let has = |needle: &str| text.contains(needle);
        if has("application-specific password required")
            || has("invalidsecondfactor")
            || has("authorization code")
            || has("#auth005")
        {
            Self::AppPasswordRequired
        } else if has("log in via your web browser")
            || has("log in with your web browser")
            || has("webloginrequired")
        {
            Self::WebLoginRequired
        } else if has("smtpclientauthentication is disabled") {
            Self::SmtpAuthDisabled
        } else if has("basic authentication is disabled") || has("security defaults policy") {
            Self::BasicAuthDisabled
        } else if has("account is locked")
            || has("account has been locked")
            || has("account is disabled")
            || has("account has been disabled")
        {
            Self::AccountLocked
        } else if has("user credentials were incorrect")
            || has("incorrect username or password")
            || has("username and password not accepted")
        {
            Self::BadCredentials
        } else if reply.code == 535 && !is_microsoft_ambiguous(reply, &text) {
            // RFC 4954 §6: 535 5.7.8 "Authentication credentials invalid".
            Self::BadCredentials
        } else {
            Self::Other
        }
    }

    /// Whether the refusal proves the credentials wrong (`server.auth_works=no` and the
    /// words "wrong password" are allowed only then).
    pub fn proves_bad_credentials(self) -> bool {
        self == Self::BadCredentials
    }

    /// The `auth.result` value, a cause from DESIGN.md's list, and the meaning in words
    /// with the exact next step. `None` for `Other`: the reply code decides.
    pub fn reading(self, reply: &Reply) -> Option<(&'static str, Option<&'static str>, String)> {
        let google = reply.lines.iter().any(|l| l.contains("google.com"));
        Some(match self {
            Self::BadCredentials if google => (
                "failed",
                Some("wrong-credentials"),
                "Google did not accept this user name and password (535 5.7.8). Google no \
                 longer accepts the normal Google password from mail programs: use an app \
                 password (create one at https://myaccount.google.com/apppasswords, with \
                 2-Step Verification on) or \"Sign in with Google\" (OAuth2); if you already \
                 use an app password, check it and the user name (the full address)"
                    .to_owned(),
            ),
            Self::BadCredentials => (
                "failed",
                Some("wrong-credentials"),
                format!(
                    "the server rejected the user name or password ({}): check both, and \
                     whether the user name must be the full e-mail address; some providers \
                     (iCloud, Yahoo, Gmail) take only an app password from mail programs",
                    reply.code
                ),
            ),
            Self::AppPasswordRequired => (
                "mechanism-rejected",
                Some("auth-method-changed"),
                "the provider does not accept the normal password from mail programs (the \
                 password itself may be right): create an app password in the account's \
                 security settings and type it instead (Google: \
                 https://myaccount.google.com/apppasswords; Yahoo/AOL: \
                 https://help.yahoo.com/kb/SLN15241.html), or use the mail program's \
                 \"Sign in with …\" (OAuth2)"
                    .to_owned(),
            ),
            Self::WebLoginRequired => (
                "mechanism-rejected",
                Some("auth-method-changed"),
                "Google wants this sign-in confirmed in a web browser first (the password may \
                 be right): sign in at https://mail.google.com on the same computer, then try \
                 again; better, use an app password or \"Sign in with Google\" (OAuth2) \
                 (https://support.google.com/mail/answer/78754)"
                    .to_owned(),
            ),
            Self::BasicAuthDisabled => (
                "mechanism-rejected",
                Some("auth-method-changed"),
                "Microsoft has turned off signing in with a password (basic authentication) \
                 for this account (the password may be right, and an app password does not \
                 help): set the mail program to sign in with Microsoft (OAuth2, \"Modern \
                 authentication\"); for a work account an administrator decides this"
                    .to_owned(),
            ),
            Self::SmtpAuthDisabled => (
                "not-enabled",
                Some("auth-method-changed"),
                "SMTP AUTH is turned off for this mailbox or the whole organisation (tenant) \
                 (the password may be right): an administrator turns on \"Authenticated \
                 SMTP\" for the mailbox in the Microsoft 365 admin centre (Users > Active \
                 users > the user > Mail > Manage email apps), and for the organisation in \
                 the Exchange admin centre (Settings > Mail flow); see \
                 https://aka.ms/smtp_auth_disabled"
                    .to_owned(),
            ),
            Self::AccountLocked => (
                "other",
                None,
                "the account is locked or disabled (the password itself may be right): unlock it \
                 on the provider's web page or ask its support"
                    .to_owned(),
            ),
            Self::Other => return None,
        })
    }
}

/// Microsoft's `535 5.7.3 Authentication unsuccessful` comes both for a wrong password and
/// for a mailbox that may not sign in with a password: it proves neither.
fn is_microsoft_ambiguous(reply: &Reply, text: &str) -> bool {
    reply.enhanced.map(|e| e.to_string()).as_deref() == Some("5.7.3")
        && text.contains("authentication unsuccessful")
}

/// The SASL XOAUTH2 initial response (before base64).
pub fn xoauth2_payload(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// The RFC 7628 OAUTHBEARER initial response (before base64).
pub fn oauthbearer_payload(user: &str, host: &str, port: u16, token: &str) -> String {
    format!(
        "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01",
        saslname(user)
    )
}

/// RFC 5801 §4: `,` and `=` in the authorization identity are written `=2C` and `=3D`.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// What the server's JSON error continuation (`334 <base64 JSON>`) said about a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    /// `401`, `400`, `invalid_token`, … as the server sent it (made safe to show).
    pub status: Option<String>,
    pub scope: Option<String>,
    pub schemes: Option<String>,
    pub explanation: String,
}

impl OAuthError {
    /// Reads a 334 continuation's text; anything that is not base64 JSON still gets words.
    pub fn from_challenge(text: &str) -> OAuthError {
        let json: Option<serde_json::Value> = BASE64
            .decode(text.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let field = |name: &str| {
            json.as_ref()
                .and_then(|value| value.get(name))
                .and_then(|value| match value {
                    serde_json::Value::String(text) => Some(text.clone()),
                    serde_json::Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
                .map(|text| {
                    crate::sanitize::single_line(&text)
                        .chars()
                        .take(200)
                        .collect()
                })
        };
        let status = field("status");
        let scope = field("scope");
        let schemes = field("schemes");
        let mut explanation = match status.as_deref() {
            Some("401" | "invalid_token") => String::from(
                "the server refused the access token: it has expired (they last about an \
                 hour), was revoked, or belongs to another account than the user name",
            ),
            Some("400" | "invalid_request") => String::from(
                "the server could not use the sign-in request: the user name may not match \
                 the token's account",
            ),
            Some("403" | "insufficient_scope") => {
                String::from("the access token does not carry the permission to send mail")
            }
            Some(other) => format!("the server refused the access token (status {other})"),
            None => String::from("the server refused the access token without saying why"),
        };
        if let Some(scope) = &scope {
            explanation.push_str(&format!("; a token for this needs the scope {scope}"));
        }
        explanation.push_str(": get a new access token from the provider and try again");
        OAuthError {
            status,
            scope,
            schemes,
            explanation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::smtp::reply::parse_reply;

    fn refusal(text: &str) -> Refusal {
        Refusal::read(&parse_reply(text).expect("a reply"))
    }

    #[test]
    fn provider_refusals_are_read_into_their_meaning() {
        let cases = [
            (
                "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor o13sm2119833lfg.90 - gsmtp",
                Refusal::AppPasswordRequired,
            ),
            (
                "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in via your web browser and\r\n534-5.7.14 then try again.\r\n534 5.7.14  https://support.google.com/mail/answer/78754 - gsmtp",
                Refusal::WebLoginRequired,
            ),
            (
                "535-5.7.8 Username and Password not accepted. Learn more at\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp",
                Refusal::BadCredentials,
            ),
            (
                "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM]",
                Refusal::BasicAuthDisabled,
            ),
            (
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
                Refusal::SmtpAuthDisabled,
            ),
            (
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
                Refusal::SmtpAuthDisabled,
            ),
            (
                "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.",
                Refusal::BasicAuthDisabled,
            ),
            (
                "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
                Refusal::BadCredentials,
            ),
            ("535 5.7.3 Authentication unsuccessful", Refusal::Other),
            (
                "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
                Refusal::AppPasswordRequired,
            ),
            (
                "535 5.7.0 (#MBR1212) Incorrect username or password.",
                Refusal::BadCredentials,
            ),
            (
                "535 Login Fail. Please enter your authorization code to login.",
                Refusal::AppPasswordRequired,
            ),
            (
                "535 5.7.8 Error: authentication failed: authentication failure",
                Refusal::BadCredentials,
            ),
            ("454 4.7.0 Temporary authentication failure", Refusal::Other),
        ];
        for (text, expected) in cases {
            assert_eq!(refusal(text), expected, "{text}");
        }
    }

    #[test]
    fn only_bad_credentials_may_say_wrong_password() {
        for refusal in [
            Refusal::AppPasswordRequired,
            Refusal::BasicAuthDisabled,
            Refusal::SmtpAuthDisabled,
            Refusal::WebLoginRequired,
            Refusal::AccountLocked,
        ] {
            let reply = parse_reply("535 5.7.139 x").expect("reply");
            let (result, _, words) = refusal.reading(&reply).expect("read");
            assert_ne!(result, "failed", "{refusal:?}");
            assert!(!words.contains("wrong password"), "{words}");
            assert!(!refusal.proves_bad_credentials());
        }
        assert!(Refusal::BadCredentials.proves_bad_credentials());
    }

    #[test]
    fn oauth_payloads_follow_the_specifications() {
        assert_eq!(
            xoauth2_payload(
                "someuser@example.com",
                "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
            ),
            "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
        // RFC 7628 §4.1's example, with a user name that needs escaping.
        assert_eq!(
            oauthbearer_payload(
                "a,b=c@example.com",
                "server.example.com",
                143,
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
            ),
            "n,a=a=2Cb=3Dc@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
    }

    #[test]
    fn the_json_error_continuation_is_explained() {
        let challenge = BASE64
            .encode(r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#);
        let error = OAuthError::from_challenge(&challenge);
        assert_eq!(error.status.as_deref(), Some("401"));
        assert!(
            error.explanation.contains("expired"),
            "{}",
            error.explanation
        );
        assert!(error.explanation.contains("https://mail.google.com/"));
        let rfc = BASE64.encode(r#"{"status":"invalid_token","scope":"example_scope"}"#);
        assert!(
            OAuthError::from_challenge(&rfc)
                .explanation
                .contains("expired")
        );
        let garbage = OAuthError::from_challenge("not base64 at all");
        assert_eq!(garbage.status, None);
        assert!(garbage.explanation.contains("without saying why"));
    }
}
