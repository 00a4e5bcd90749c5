//! `relaydoc kb export --html DIR`: the offline website, from the bundled knowledge and from
//! an overlay folder with hostile text. Every internal link and anchor resolves inside the
//! export, nothing outside is loaded as a resource, hostile knowledge text comes out escaped,
//! and (with `RELAYDOC_REQUIRE_BROWSER=1`) headless Chromium checks search, requests, console,
//! accessibility and printing (`tests/website/browser.js`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// Exports with an isolated HOME (no developer knowledge folder) and `knowledge` laid over.
fn export(knowledge: Option<&Path>) -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().expect("temp dir");
    let site = home.path().join("site");
    let mut command = common::isolated::relaydoc(home.path());
    if let Some(dir) = knowledge {
        command.arg("--knowledge").arg(dir);
    }
    let output = command
        .args(["kb", "export", "--html"])
        .arg(&site)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("index.html"), "{said}");
    (home, site)
}

/// Every file of the export, by path relative to its root.
fn files(site: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![site.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(site)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

/// The ids defined in a page (anchors a `#fragment` may point to).
fn ids(html: &str) -> BTreeSet<String> {
    let id = Regex::new(r#"\sid="([^"]*)""#).expect("regex");
    id.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// Checks every `href`, `src` and `action` of every page; returns the problems found.
fn link_problems(site: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let tag = Regex::new(r"<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>").expect("regex");
    let attribute =
        Regex::new(r#"\b(href|src|action|srcset|poster|data)="([^"]*)""#).expect("regex");
    let scheme = Regex::new(r"^[a-zA-Z][a-zA-Z0-9+.-]*:").expect("regex");
    let anchors: BTreeMap<&str, BTreeSet<String>> = site
        .iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(name, bytes)| (name.as_str(), ids(text(bytes))))
        .collect();
    let mut problems = Vec::new();
    let mut links = 0;
    for (name, bytes) in site.iter().filter(|(name, _)| name.ends_with(".html")) {
        let html = text(bytes);
        for found in tag.captures_iter(html) {
            let element = found[1].to_ascii_lowercase();
            for attr in attribute.captures_iter(&found[2]) {
                links += 1;
                let value = attr[2].replace("&amp;", "&");
                let what = format!("{name}: <{element} {}=\"{value}\">", &attr[1]);
                if scheme.is_match(&value) || value.starts_with("//") {
                    // Outside addresses only as links the reader may follow, never loaded.
                    let web = value.starts_with("https://") || value.starts_with("http://");
                    if !(element == "a" && &attr[1] == "href" && web) {
                        problems.push(format!("{what}: loads or links outside the export"));
                    }
                    continue;
                }
                let (path, fragment) = match value.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (value.as_str(), None),
                };
                let path = path.split('?').next().unwrap_or_default();
                let target = if path.is_empty() {
                    name.clone()
                } else {
                    let base = Path::new(name).parent().unwrap_or(Path::new(""));
                    let joined = base.join(path);
                    let mut parts: Vec<String> = Vec::new();
                    for part in joined.components() {
                        match part {
                            std::path::Component::Normal(part) => {
                                parts.push(part.to_string_lossy().into_owned())
                            }
                            std::path::Component::ParentDir if parts.pop().is_some() => {}
                            _ => {
                                problems.push(format!("{what}: leaves the export"));
                                break;
                            }
                        }
                    }
                    parts.join("/")
                };
                if !site.contains_key(&target) {
                    problems.push(format!("{what}: no file {target}"));
                    continue;
                }
                if let Some(fragment) = fragment
                    && !anchors
                        .get(target.as_str())
                        .is_some_and(|ids| ids.contains(fragment))
                {
                    problems.push(format!("{what}: no id \"{fragment}\" in {target}"));
                }
            }
        }
    }
    assert!(
        links > 500,
        "only {links} links: the scan is not reading the pages"
    );
    problems
}

/// The structure every page must have: language, landmarks, one h1, the skip link, and
/// scripts only from the export's own files.
fn structure_problems(site: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let script = Regex::new(r"<script\b([^>]*)>([^<]*)</script>").expect("regex");
    let mut problems = Vec::new();
    for (name, bytes) in site.iter().filter(|(name, _)| name.ends_with(".html")) {
        let html = text(bytes);
        for needle in [
            "<html lang=\"en\">",
            "<header class=\"site\">",
            "<nav aria-label=\"Main\">",
            "<main id=\"main\"",
            "<footer class=\"site\">",
            "<a class=\"skip\" href=\"#main\">",
            "Content-Security-Policy",
        ] {
            if !html.contains(needle) {
                problems.push(format!("{name}: no {needle}"));
            }
        }
        let h1 = html.matches("<h1>").count();
        if h1 != 1 {
            problems.push(format!("{name}: {h1} h1 elements"));
        }
        let scripts = html.matches("<script").count();
        let own = script
            .captures_iter(html)
            .filter(|c| c[1].trim().starts_with("src=\"assets/") && c[2].trim().is_empty())
            .count();
        if scripts != own {
            problems.push(format!(
                "{name}: {scripts} scripts, {own} of them the site's own"
            ));
        }
    }
    problems
}

#[test]
fn the_bundled_knowledge_exports_a_site_whose_links_all_resolve() {
    let (_home, site) = export(None);
    let files = files(&site);
    for page in [
        "index.html",
        "error.html",
        "helpdesk.html",
        "server.html",
        "tree.html",
        "postfix.html",
        "causes.html",
        "clients.html",
        "providers.html",
        "cause-client-auth-off.html",
        "cause-not-relay.html",
        "client-thunderbird.html",
        "provider-gmail.html",
        "question-start.html",
        "assets/site.css",
        "assets/site.js",
        "assets/search-index.js",
    ] {
        assert!(files.contains_key(page), "no {page}");
    }
    // One page per cause, node, client, provider and error text.
    let kb = relaydoc::knowledge::bundled().expect("bundled");
    let signatures = relaydoc::explain::signatures(&kb)
        .expect("signatures")
        .len();
    let expected =
        kb.causes.len() + kb.nodes.len() + kb.clients.len() + kb.providers.len() + signatures;
    let pages = files
        .keys()
        .filter(|name| {
            [
                "cause-",
                "question-",
                "solution-",
                "client-",
                "provider-",
                "error-",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        })
        .count();
    assert_eq!(pages, expected);

    let problems = link_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let problems = structure_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Nothing in the styles or scripts reaches outside either (no web fonts, no CDN).
    for asset in ["assets/site.css", "assets/site.js"] {
        let content = text(&files[asset]);
        assert!(
            !content.contains("http:") && !content.contains("https:"),
            "{asset}"
        );
        assert!(!content.contains("@import"), "{asset}");
    }

    // Steps are filled per provider by the same code as `relaydoc settings`: Thunderbird's
    // sheet has Gmail's server in a variant marked for Gmail, and the general wording.
    let thunderbird = text(&files["client-thunderbird.html"]);
    assert!(thunderbird.contains("<option value=\"gmail\">"));
    assert!(thunderbird.contains("smtp.gmail.com"));
    assert!(thunderbird.contains("the outgoing server name your provider lists"));
    assert!(thunderbird.contains("id=\"task-enable-smtp-auth\""));

    // The index has the documents the search needs: causes, programs and error codes.
    let index = text(&files["assets/search-index.js"]);
    assert!(index.starts_with("window.RELAYDOC_INDEX = ["));
    for needle in [
        "\"u\":\"cause-pop-before-smtp-expired.html\"",
        "\"u\":\"client-thunderbird.html\"",
        "0x800CCC79",
        "Relay access denied",
    ] {
        assert!(index.contains(needle), "search index lacks {needle}");
    }

    // The Postfix reference has the defaults relaydoc reasons with.
    let postfix = text(&files["postfix.html"]);
    assert!(postfix.contains("id=\"p-smtpd_relay_restrictions\""));
    assert!(
        postfix.contains("permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination")
    );
}

const HOSTILE: &str = "<script>alert(1)</script>";

fn hostile_overlay() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("providers")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("clients")).expect("mkdir");
    std::fs::write(
        dir.path().join("providers/acme.yaml"),
        format!(
            "id: acme-mail\n\
             name: \"ACME {HOSTILE} \\e]0;owned\\a Mail \\e[31mred\"\n\
             domains: [acme.test]\n\
             mx_suffixes: []\n\
             username: full-address\n\
             outgoing:\n  - {{host: smtp.acme.test, port: 587, security: starttls, auth: password}}\n\
             incoming:\n  - {{protocol: imap, host: imap.acme.test, port: 993, security: tls, auth: password}}\n\
             notes: \"Our server <img src=http://evil.test/x onerror=alert(2)> \\e[2J \\\"quoted\\\" & more\"\n\
             sources:\n  - https://acme.test/help?a=1&b=2\n\
             signin:\n  - method: password\n    works: true\n    source: https://acme.test/help\n"
        ),
    )
    .expect("write provider");
    // A new program, made from the bundled generic one so it has every task the tree needs.
    let other = include_str!("../knowledge/clients/other.yaml");
    let client = other
        .replacen("id: other", "id: acme-client", 1)
        .replacen(
            "name: Another mail program",
            &format!("name: \"Acme {HOSTILE} Mailer\\e[1m\""),
            1,
        )
        .replacen(
            "platform: any",
            "platform: \"<iframe src=https://evil.test></iframe>\"",
            1,
        )
        .replacen(
            "Save the settings.",
            "Save the settings. <a href=\\\"javascript:alert(4)\\\">click</a> \\e]8;;https://evil.test\\a",
            1,
        );
    std::fs::write(dir.path().join("clients/acme-client.yaml"), client).expect("write client");
    dir
}

#[test]
fn an_overlay_is_exported_and_its_hostile_text_comes_out_escaped() {
    let overlay = hostile_overlay();
    // The overlay must load: a test of escaping needs the text in the pages.
    relaydoc::knowledge::load(&[overlay.path().to_path_buf()]).expect("overlay is sound");
    let (_home, site) = export(Some(overlay.path()));
    let files = files(&site);
    let provider = text(&files["provider-acme-mail.html"]);
    let client = text(&files["client-acme-client.html"]);

    // The overlay's items are there, filled in like the bundled ones.
    assert!(provider.contains("smtp.acme.test"));
    let thunderbird = text(&files["client-thunderbird.html"]);
    assert!(thunderbird.contains("<option value=\"acme-mail\">"));
    assert!(thunderbird.contains("data-providers=\" acme-mail \""));
    assert!(text(&files["clients.html"]).contains("client-acme-client.html"));
    assert!(text(&files["assets/search-index.js"]).contains("\"u\":\"client-acme-client.html\""));

    // Escaped where it is shown, and never markup anywhere.
    assert!(provider.contains("ACME &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(client.contains("Acme &lt;script&gt;alert(1)&lt;/script&gt; Mailer"));
    assert!(provider.contains("&lt;img src=http://evil.test/x onerror=alert(2)&gt;"));
    assert!(client.contains("&lt;iframe src=https://evil.test&gt;&lt;/iframe&gt;"));
    assert!(client.contains("&lt;a href=&quot;javascript:alert(4)&quot;&gt;click&lt;/a&gt;"));
    assert!(provider.contains("&quot;quoted&quot; &amp; more"));
    // A source that is not a web address never gets this far: `kb validate` refuses it
    // (tests/catalogue.rs, the validator's broken entries).
    assert!(provider.contains("<a href=\"https://acme.test/help?a=1&amp;b=2\""));
    for (name, bytes) in &files {
        let content = text(bytes);
        if name.ends_with(".html") {
            for raw in [HOSTILE, "<img src=http", "<iframe", "href=\"javascript:"] {
                assert!(!content.contains(raw), "{name} has raw {raw}");
            }
        }
        // No terminal control sequence survives, in pages or in the search index.
        assert!(!content.contains('\u{1b}'), "{name} has an ESC");
        assert!(!content.contains("\\u001b"), "{name} has an escaped ESC");
        assert!(!content.contains('\u{7}'), "{name} has a BEL");
    }
    let problems = link_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let problems = structure_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_unwritable_folder_is_an_error_naming_it() {
    let home = tempfile::tempdir().expect("temp dir");
    let blocker = home.path().join("file");
    std::fs::write(&blocker, "not a folder").expect("write");
    let output = common::isolated::relaydoc(home.path())
        .args(["kb", "export", "--html"])
        .arg(blocker.join("site"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("cannot write") && said.contains("file/site"),
        "{said}"
    );
}

/// Where the browser test keeps its screenshots: `RELAYDOC_SCREENSHOTS_DIR` (set it to
/// `docs/screenshots` to refresh the README's), else a folder under `target/`.
fn screenshot_dir() -> PathBuf {
    std::env::var_os("RELAYDOC_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("website-screenshots"))
}

#[test]
fn the_site_works_in_headless_chromium() {
    if std::env::var("RELAYDOC_REQUIRE_BROWSER").as_deref() != Ok("1") {
        eprintln!(
            "note: browser test skipped; set RELAYDOC_REQUIRE_BROWSER=1 after \
             tests/website/install.sh (tests/run.sh does both)"
        );
        return;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/website");
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|out| out.status.success()),
        "RELAYDOC_REQUIRE_BROWSER=1 but node does not run; install Node.js"
    );
    let chromium = std::env::var_os("CHROMIUM").is_some()
        || std::process::Command::new("chromium")
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success());
    assert!(
        chromium,
        "RELAYDOC_REQUIRE_BROWSER=1 but chromium does not run; run tests/website/install.sh"
    );
    assert!(
        here.join("node_modules/puppeteer-core").is_dir()
            && here.join("node_modules/axe-core").is_dir(),
        "RELAYDOC_REQUIRE_BROWSER=1 but tests/website/node_modules is missing; run \
         tests/website/install.sh"
    );
    let (_home, site) = export(None);
    let shots = screenshot_dir();
    let status = std::process::Command::new("node")
        .arg(here.join("browser.js"))
        .arg(&site)
        .arg(&shots)
        .current_dir(&here)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "browser checks failed (see the output above)"
    );
    for shot in ["home.png", "client-sheet.png"] {
        let size = std::fs::metadata(shots.join(shot)).map_or(0, |m| m.len());
        assert!(size > 10_000, "{shot} is missing or empty");
    }
    eprintln!("screenshots in {}", shots.display());
}
