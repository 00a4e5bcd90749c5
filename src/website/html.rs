//! The HTML building blocks of the offline website: the one escaping function, inline
//! emphasis, safe links, file names for ids, and the page shell every page shares.
//!
//! Knowledge text is untrusted (an overlay folder may hold anything): every piece of it goes
//! through [`esc`] (or [`inline`], which calls it) before it is put into a page, and an
//! address becomes a link only when it is `http(s)://`.

use crate::sanitize::for_terminal;

/// Makes untrusted text safe inside HTML text and quoted attribute values: terminal control
/// sequences are stripped first (the same cleaning the terminal output gets), then the five
/// characters HTML gives meaning to are escaped.
pub fn esc(text: &str) -> String {
    let clean = for_terminal(text);
    let mut out = String::with_capacity(clean.len() + clean.len() / 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`esc`], with the knowledge's `**bold**` (menu items and buttons in client steps) as
/// `<strong>`. A lone `**` stays as written, so the tags always pair up.
pub fn inline(text: &str) -> String {
    let escaped = esc(text);
    let parts: Vec<&str> = escaped.split("**").collect();
    // An even number of parts means an odd number of markers: the last one is literal.
    let pairs = (parts.len() - 1) / 2;
    let mut out = String::with_capacity(escaped.len() + 16);
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            if index <= pairs * 2 {
                out.push_str(if index % 2 == 1 {
                    "<strong>"
                } else {
                    "</strong>"
                });
            } else {
                out.push_str("**");
            }
        }
        out.push_str(part);
    }
    out
}

/// Paragraphs (split at blank lines) of [`inline`] text.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| format!("<p>{}</p>\n", inline(&paragraph.replace('\n', " "))))
        .collect()
}

/// A link to an outside source, or the address as plain text when it is not `http(s)://`
/// (a `javascript:` or `file:` address from an overlay never becomes a link). Sources are
/// only ever followed by the reader; nothing is loaded from them.
pub fn source_link(address: &str) -> String {
    let trimmed = address.trim();
    let web = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    if web && !trimmed.chars().any(char::is_whitespace) {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            esc(trimmed),
            esc(trimmed)
        )
    } else {
        esc(trimmed)
    }
}

/// A file-name part for an id: the id itself when it is a plain lower-case name, otherwise a
/// cleaned form with a hash of the id, so hostile or odd ids (`../x`, `A` beside `a` on a
/// case-blind disk) never escape the folder nor collide.
pub fn slug(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 80
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with('-');
    if plain {
        return id.to_string();
    }
    let cleaned: String = id
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .take(40)
        .collect();
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{}x{hash:016x}",
        if cleaned.is_empty() {
            "id-".into()
        } else {
            cleaned + "-"
        }
    )
}

/// The navigation every page carries: the three ways in, then the reference pages.
const NAV: &[(&str, &str)] = &[
    ("error.html", "I get this error"),
    ("helpdesk.html", "I help a caller"),
    ("server.html", "I run the server"),
    ("tree.html", "Decision tree"),
    ("clients.html", "Mail programs"),
    ("causes.html", "Causes"),
];

/// What a page needs besides its body.
#[derive(Debug, Default)]
pub struct Shell<'a> {
    /// Without " · relaydoc"; plain text, escaped here.
    pub title: &'a str,
    /// The home page has its own large search box, so no second one in the header.
    pub home: bool,
    /// Load the search index (pages with a search box that searches in place).
    pub search_index: bool,
}

/// A whole page: `body` is HTML already built (with its one `<h1>`), placed in `<main>`.
pub fn page(shell: &Shell<'_>, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may load from elsewhere, and no script but the site's own files may run, even
    // if hostile knowledge text got past the escaping.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
         base-uri 'none'\">\n",
    );
    out.push_str(&format!("<title>{} · relaydoc</title>\n", esc(shell.title)));
    out.push_str("<link rel=\"stylesheet\" href=\"assets/site.css\">\n</head>\n<body>\n");
    out.push_str("<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    out.push_str("<header class=\"site\">\n<a class=\"brand\" href=\"index.html\">relaydoc</a>\n");
    out.push_str("<nav aria-label=\"Main\"><ul>");
    for (href, label) in NAV {
        out.push_str(&format!("<li><a href=\"{href}\">{label}</a></li>"));
    }
    out.push_str("</ul></nav>\n");
    if !shell.home {
        out.push_str(
            "<form class=\"quick\" role=\"search\" action=\"index.html\" method=\"get\">\
             <label for=\"quick-q\">Search</label>\
             <input id=\"quick-q\" name=\"q\" type=\"search\" autocomplete=\"off\">\
             <button type=\"submit\">Go</button></form>\n",
        );
    }
    out.push_str("</header>\n<main id=\"main\" tabindex=\"-1\">\n");
    out.push_str(body);
    out.push_str("</main>\n<footer class=\"site\"><p>");
    out.push_str(&format!(
        "relaydoc {} · offline guide to “554 5.7.1 Relay access denied”. \
         Everything here works without a network.",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str("</p></footer>\n");
    if shell.search_index {
        out.push_str("<script src=\"assets/search-index.js\"></script>\n");
    }
    out.push_str("<script src=\"assets/site.js\"></script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_terminal_sequences() {
        assert_eq!(
            esc("<script>alert('x\"')</script> & \u{1b}[31mred\u{1b}[0m"),
            "&lt;script&gt;alert(&#39;x&quot;&#39;)&lt;/script&gt; &amp; red"
        );
    }

    #[test]
    fn bold_markers_pair_up_and_a_lone_one_stays_literal() {
        assert_eq!(inline("click **OK** now"), "click <strong>OK</strong> now");
        assert_eq!(inline("**a** and **b"), "<strong>a</strong> and **b");
        assert_eq!(
            inline("<b>**x**</b>"),
            "&lt;b&gt;<strong>x</strong>&lt;/b&gt;"
        );
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert!(
            source_link("https://example.org/a?b=1&c")
                .starts_with("<a href=\"https://example.org/a?b=1&amp;c\"")
        );
        assert_eq!(source_link("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(source_link("RFC 5321"), "RFC 5321");
    }

    #[test]
    fn slugs_stay_in_the_folder_and_apart() {
        assert_eq!(slug("client-auth-off"), "client-auth-off");
        let odd = slug("../../etc/passwd");
        assert!(odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_ne!(slug("A"), slug("a"));
        assert_ne!(slug("a b"), slug("a_b"));
        assert!(!slug("").is_empty());
    }
}
