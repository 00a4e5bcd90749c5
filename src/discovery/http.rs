//! One bounded HTTP GET: a deadline for the whole exchange, a cap on the body, a cap on
//! redirects, and an answer in words.
//!
//! The client is `ureq` (blocking, small, on the rustls + ring the rest of relaydoc uses);
//! each fetch runs on tokio's blocking pool so several run side by side without holding up the
//! runtime's two threads. A huge body is cut off at the cap (never read into memory whole), a
//! slow or trickling server at the deadline, a redirect loop at the redirect cap.

use std::time::Duration;

use super::Options;

/// What a fetch came to.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 2xx, with the body (at most `Options::max_bytes`).
    Body(Vec<u8>),
    /// The server answered that there is nothing there (404, 410): proof of absence.
    Missing(u16),
    /// Another answer: a redirect not followed, an error status. The status and, for a
    /// redirect, where it pointed.
    Other(u16, Option<String>),
}

/// Fetches `url`, following at most `redirects` redirects, within `options`' deadline and
/// size cap. `Err` holds plain words for why no answer came (could not check).
pub(crate) async fn get(
    url: String,
    accept: &'static str,
    redirects: u32,
    options: &Options,
) -> Result<Fetched, String> {
    let options = options.clone();
    let deadline = options.timeout;
    let task = tokio::task::spawn_blocking(move || blocking_get(&url, accept, redirects, &options));
    // ureq's own global timeout ends the request; this outer one only guards against a
    // blocking-pool stall, so it allows a little more.
    match tokio::time::timeout(deadline + Duration::from_secs(2), task).await {
        Ok(Ok(result)) => result,
        Ok(Err(error)) => Err(format!("the request stopped unexpectedly ({error})")),
        Err(_) => Err(format!(
            "no complete answer within {:.0} s",
            deadline.as_secs_f64()
        )),
    }
}

fn blocking_get(
    url: &str,
    accept: &'static str,
    redirects: u32,
    options: &Options,
) -> Result<Fetched, String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| format!("{url} is not a web address"))?;
    // A proxy from the environment is for the internet; loopback (tests, local servers)
    // is reached directly, as every browser does.
    let proxy = if uri.host().is_some_and(is_loopback_host) {
        None
    } else {
        ureq::Proxy::try_from_env()
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .max_redirects(redirects)
        .max_redirects_will_error(true)
        .https_only(!options.allow_http)
        // Statuses are read here: a 404 is an answer, not a failure.
        .http_status_as_error(false)
        .user_agent(format!("relaydoc/{}", env!("CARGO_PKG_VERSION")))
        .accept(accept)
        .proxy(proxy)
        .max_response_header_size(32 * 1024)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|error| words(error, options))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => response
            .body_mut()
            .with_config()
            .limit(options.max_bytes)
            .read_to_vec()
            .map(Fetched::Body)
            .map_err(|error| words(error, options)),
        404 | 410 => Ok(Fetched::Missing(status)),
        _ => {
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(|value| crate::sanitize::excerpt(value, 200));
            Ok(Fetched::Other(status, location))
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why no answer came, in words a person can act on.
fn words(error: ureq::Error, options: &Options) -> String {
    match error {
        ureq::Error::Timeout(_) => format!(
            "no complete answer within {:.0} s",
            options.timeout.as_secs_f64()
        ),
        ureq::Error::HostNotFound => {
            "the server's name could not be found (no such host, or DNS is not working)".into()
        }
        ureq::Error::ConnectionFailed => "could not connect to the server".into(),
        ureq::Error::BodyExceedsLimit(limit) => format!(
            "the answer is larger than {} KiB, far more than a settings file; it was not read",
            limit / 1024
        ),
        ureq::Error::TooManyRedirects => format!(
            "the server redirected more than {} times (a redirect loop?)",
            options.max_redirects
        ),
        ureq::Error::RequireHttpsOnly(_) => {
            "the server redirected to an unencrypted (http) address, which is not followed".into()
        }
        ureq::Error::LargeResponseHeader(..) => "the server's answer headers are too large".into(),
        ureq::Error::Tls(why) => format!("the encrypted connection failed ({why})"),
        ureq::Error::Rustls(why) => format!("the encrypted connection failed ({why})"),
        ureq::Error::Io(why) => format!("the connection failed ({why})"),
        other => format!("the request failed ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(is_loopback_host("LOCALHOST"));
        assert!(!is_loopback_host("autoconfig.example.com"));
        assert!(!is_loopback_host("192.0.2.1"));
    }
}
