//! Snippet templates: the ready-to-paste configuration and code some sender guides carry
//! (`snippet:` in `knowledge/clients/*.yaml`).
//!
//! A placeholder is `{name}`: lower-case ASCII letters and `_` between braces. Anything else
//! in braces (`{ }`, `{"a": 1}`, `${VAR}` is `$` + `{VAR}` in upper case) is literal text, so
//! code keeps its own braces. Every placeholder must be one of [`PLACEHOLDERS`]; validation
//! reports an unknown one with its line. Filling happens in `crate::snippet`, which knows
//! the provider's settings; this module only reads templates.

/// The placeholders a snippet may use, and what each becomes.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("host", "the provider's outgoing server name"),
    ("port", "its port, a number"),
    (
        "security",
        "`starttls`, `tls` (implicit TLS, port 465) or `none`",
    ),
    (
        "starttls",
        "`true` when the port uses STARTTLS, else `false`",
    ),
    (
        "implicit_tls",
        "`true` when the port uses implicit TLS, else `false`",
    ),
    ("starttls_py", "the same as `starttls`, as Python writes it"),
    (
        "implicit_tls_py",
        "the same as `implicit_tls`, as Python writes it",
    ),
    (
        "starttls_onoff",
        "`on` when the port uses STARTTLS, else `off` (msmtp)",
    ),
    (
        "tls_onoff",
        "`on` unless the port has no encryption at all, else `off` (msmtp)",
    ),
    (
        "implicit_tls_yesno",
        "`yes` when the port uses implicit TLS, else `no` (Postfix)",
    ),
    (
        "scheme",
        "`smtps` for implicit TLS, else `smtp` (URL-style settings)",
    ),
    ("username", "the user name, in the form the provider wants"),
    ("from", "the sender's email address"),
    (
        "secret_env",
        "the environment variable the password comes from",
    ),
    (
        "secret_file",
        "the file the password comes from, readable by its owner only",
    ),
];

/// Every placeholder in `text`: its byte offset (of the `{`) and its name.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'{' {
            let start = index + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'_') {
                end += 1;
            }
            if end > start && end < bytes.len() && bytes[end] == b'}' {
                found.push((index, &text[start..end]));
                index = end + 1;
                continue;
            }
        }
        index += 1;
    }
    found
}

/// Whether `name` is a known placeholder.
pub fn is_known(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(known, _)| *known == name)
}

/// `text` with each placeholder replaced by `value(name)`; a name without a value stays.
pub fn fill(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (offset, name) in placeholders(text) {
        out.push_str(&text[last..offset]);
        match value(name) {
            Some(filled) => out.push_str(&filled),
            None => out.push_str(&text[offset..offset + name.len() + 2]),
        }
        last = offset + name.len() + 2;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lower_case_names_in_braces_are_placeholders() {
        let text = "a {host}:{port} { x } {\"k\": 1} ${SMTP_PASSWORD} {Host} {} {from}";
        let names: Vec<&str> = placeholders(text).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["host", "port", "from"]);
    }

    #[test]
    fn fill_replaces_known_values_and_keeps_the_rest() {
        let filled = fill("{host}:{port} {nope} {", |name| match name {
            "host" => Some("smtp.example.com".into()),
            "port" => Some("587".into()),
            _ => None,
        });
        assert_eq!(filled, "smtp.example.com:587 {nope} {");
    }

    #[test]
    fn every_placeholder_is_known_by_name() {
        assert!(is_known("secret_env"));
        assert!(!is_known("password"));
    }
}
