//! `relaydoc settings CLIENT --snippet`: every guide's ready-to-paste code or configuration,
//! filled with a provider's settings, is proven to work by RUNNING it against the lab's
//! Postfix (submission with STARTTLS on 2587, implicit TLS on 2465, signing in as bob) and
//! finding the message in bob's Maildir. The password reaches each program only through the
//! environment variable (or the secret file) the snippet names — never a command line.
//!
//! Runtimes come from Debian packages (`tests/snippets/install.sh`, called by tests/run.sh):
//! python3, php-cli + libphp-phpmailer, node + node-nodemailer, msmtp, golang-go, a headless
//! JDK with libjakarta-mail-java; ruby only parses (Rails is not installed). Without them a
//! test says SKIPPED, unless RELAYDOC_REQUIRE_LAB=1 makes a missing one fail. What the
//! machine cannot run (.NET is not in Debian's archive; Laravel's .env, Symfony Mailer) is
//! checked for leftover placeholders only; the Postfix snippet by relaydoc's own `postfix lint`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::isolated::relaydoc;
use common::lab::{Lab, mail_lab};

const BOB: &str = "bob@example.test";
const BOB_PASSWORD: &str = "secret";
/// The subject every snippet sends; a test swaps in a token to find its own message.
const SUBJECT: &str = "relaydoc test message";

/// A HOME whose own knowledge names the lab as example.test's provider.
fn home_for(port: u16, security: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("temp home");
    let providers = home.path().join(".config/relaydoc/knowledge/providers");
    std::fs::create_dir_all(&providers).expect("knowledge dir");
    std::fs::write(
        providers.join("lab.yaml"),
        format!(
            "id: lab-test\nname: The test lab\ndomains: [example.test]\nusername: full-address\n\
             outgoing:\n  - {{host: 127.0.0.1, port: {port}, security: {security}, auth: password}}\n\
             sources: [https://example.test/]\n"
        ),
    )
    .expect("provider");
    home
}

fn render(home: &Path, client: &str) -> String {
    let output = relaydoc(home)
        .args(["settings", client, "--email", BOB, "--snippet"])
        .output()
        .expect("relaydoc runs");
    assert!(output.status.success(), "{client}: {output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        !text.contains(BOB_PASSWORD),
        "{client}: a password in the snippet"
    );
    let left: Vec<_> = relaydoc::knowledge::snippet::placeholders(&text);
    assert!(
        left.is_empty(),
        "{client}: placeholders left: {left:?}\n{text}"
    );
    text
}

fn token(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("snippet-{name}-{}-{nanos}", std::process::id())
}

/// The rendered snippet with its subject made unique.
fn with_token(text: &str, token: &str) -> String {
    assert!(
        text.contains(SUBJECT),
        "the snippet sends `{SUBJECT}`:\n{text}"
    );
    text.replace(SUBJECT, token)
}

fn delivered_to_bob(lab: &Lab, token: &str) {
    let maildir = lab.dir.join("mail/example.test/bob/Maildir");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(maildir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
            {
                if std::fs::read_to_string(entry.path()).is_ok_and(|text| text.contains(token)) {
                    return;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no message with {token} in {} after 30 s",
            maildir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `program` runs here; under RELAYDOC_REQUIRE_LAB=1 it must, since
/// tests/snippets/install.sh provides every runtime these tests ask for.
fn runtime(test: &str, program: &str, args: &[&str]) -> bool {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        let required = std::env::var("RELAYDOC_REQUIRE_LAB").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{test}: `{program}` is missing but tests/snippets/install.sh installs it"
        );
        eprintln!("{test}: SKIPPED: `{program}` is not installed (tests/snippets/install.sh)");
    }
    found
}

/// Runs the program with the password in the environment only, and the lab's CA trusted.
fn run_sending(lab: &Lab, dir: &Path, mut command: Command) {
    let ca = lab.ca_file();
    command
        .current_dir(dir)
        .env("SMTP_PASSWORD", BOB_PASSWORD)
        .env("SSL_CERT_FILE", &ca)
        .env("NODE_EXTRA_CA_CERTS", &ca)
        .env("NODE_PATH", "/usr/share/nodejs")
        .stdin(Stdio::null());
    let output = command.output().expect("the runtime starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the snippet");
    path
}

#[test]
fn python_smtplib_sends_with_starttls_and_with_implicit_tls() {
    let Some(lab) = mail_lab("python_smtplib") else {
        return;
    };
    if !runtime("python_smtplib", "python3", &["--version"]) {
        return;
    }
    for (port, security) in [(2587, "starttls"), (2465, "tls")] {
        let home = home_for(port, security);
        let token = token(&format!("python-{security}"));
        let text = with_token(&render(home.path(), "python-smtplib"), &token);
        let script = write(home.path(), "send_test.py", &text);
        let mut command = Command::new("python3");
        command.arg(script);
        run_sending(&lab, home.path(), command);
        delivered_to_bob(&lab, &token);
    }
}

#[test]
fn phpmailer_sends() {
    let Some(lab) = mail_lab("phpmailer") else {
        return;
    };
    if !runtime("phpmailer", "php", &["--version"]) {
        return;
    }
    let autoload = Path::new("/usr/share/php/libphp-phpmailer/autoload.php");
    assert!(autoload.exists(), "libphp-phpmailer is not installed");
    let home = home_for(2587, "starttls");
    let token = token("phpmailer");
    let text = with_token(&render(home.path(), "phpmailer"), &token);
    // Composer's autoloader, standing in with Debian's copy of PHPMailer.
    std::fs::create_dir_all(home.path().join("vendor")).expect("vendor");
    write(
        &home.path().join("vendor"),
        "autoload.php",
        &format!("<?php require '{}';\n", autoload.display()),
    );
    let script = write(home.path(), "send_test.php", &text);
    let mut command = Command::new("php");
    command.arg(script);
    run_sending(&lab, home.path(), command);
    delivered_to_bob(&lab, &token);
}

#[test]
fn nodemailer_sends() {
    let Some(lab) = mail_lab("nodemailer") else {
        return;
    };
    if !runtime("nodemailer", "node", &["--version"]) {
        return;
    }
    let home = home_for(2587, "starttls");
    let token = token("nodemailer");
    let text = with_token(&render(home.path(), "nodemailer"), &token);
    let script = write(home.path(), "send_test.js", &text);
    let mut command = Command::new("node");
    command.arg(script);
    run_sending(&lab, home.path(), command);
    delivered_to_bob(&lab, &token);
}

#[test]
fn javamail_sends() {
    let Some(lab) = mail_lab("javamail") else {
        return;
    };
    // `java File.java` compiles in memory: a JDK (javac), not a JRE alone.
    if ["java", "javac"]
        .iter()
        .any(|program| !runtime("javamail", program, &["-version"]))
        || !runtime("javamail", "keytool", &["-help"])
    {
        return;
    }
    let jars = [
        "/usr/share/java/jakarta-mail.jar",
        "/usr/share/java/jakarta-activation.jar",
    ];
    let home = home_for(2587, "starttls");
    let token = token("javamail");
    let text = with_token(&render(home.path(), "javamail"), &token);
    let source = write(home.path(), "SendTest.java", &text);
    let store = home.path().join("trust.p12");
    let status = Command::new("keytool")
        .args([
            "-importcert",
            "-noprompt",
            "-alias",
            "lab",
            "-storetype",
            "PKCS12",
        ])
        .args(["-storepass", "changeit", "-file"])
        .arg(lab.ca_file())
        .arg("-keystore")
        .arg(&store)
        .stdout(Stdio::null())
        .status()
        .expect("keytool");
    assert!(status.success(), "keytool could not import the lab CA");
    let mut command = Command::new("java");
    command
        .arg(format!("-Djavax.net.ssl.trustStore={}", store.display()))
        .arg("-Djavax.net.ssl.trustStorePassword=changeit")
        .args(["-cp", &jars.join(":")])
        .arg(source);
    run_sending(&lab, home.path(), command);
    delivered_to_bob(&lab, &token);
}

#[test]
fn go_net_smtp_sends_with_starttls_and_with_implicit_tls() {
    let Some(lab) = mail_lab("go_net_smtp") else {
        return;
    };
    if !runtime("go_net_smtp", "go", &["version"]) {
        return;
    }
    // Go's caches and module path inside the test's own directory; GOPROXY=off because the
    // snippet uses the standard library only and a test never leaves loopback.
    let cache = tempfile::tempdir().expect("go cache");
    for (port, security) in [(2587, "starttls"), (2465, "tls")] {
        let home = home_for(port, security);
        let token = token(&format!("go-{security}"));
        let text = with_token(&render(home.path(), "go-net-smtp"), &token);
        let source = write(home.path(), "sendtest.go", &text);
        // What a person pastes is already in gofmt's layout, whatever the port.
        let output = Command::new("gofmt")
            .arg("-l")
            .arg(&source)
            .output()
            .expect("gofmt");
        assert!(
            output.status.success() && output.stdout.is_empty(),
            "{security}: gofmt would change the snippet: {output:?}\n{text}"
        );
        let mut command = Command::new("go");
        command
            .arg("run")
            .arg(&source)
            .env("HOME", home.path())
            .env("GOCACHE", cache.path().join("build"))
            .env("GOPATH", cache.path().join("path"))
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "");
        run_sending(&lab, home.path(), command);
        delivered_to_bob(&lab, &token);
    }
}

#[test]
fn msmtp_sends_with_the_password_from_its_secret_file() {
    let Some(lab) = mail_lab("msmtp") else { return };
    if !runtime("msmtp", "msmtp", &["--version"]) {
        return;
    }
    let home = home_for(2587, "starttls");
    let text = render(home.path(), "msmtp");
    assert!(text.contains("passwordeval cat ~/.smtp-password"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    // The lab's CA is not the system's: trusted for this account only.
    let config = write(
        home.path(),
        ".msmtprc",
        &format!("{text}tls_trust_file {}\n", lab.ca_file().display()),
    );
    let secret = write(home.path(), ".smtp-password", BOB_PASSWORD);
    for path in [&config, &secret] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let token = token("msmtp");
    let message = write(
        home.path(),
        "message.txt",
        &format!("From: {BOB}\nTo: {BOB}\nSubject: {token}\n\n{token}\n"),
    );
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("msmtp -C \"$HOME/.msmtprc\" -t < \"$1\"")
        .arg("msmtp")
        .arg(&message)
        .env("HOME", home.path())
        .env_remove("SMTP_PASSWORD");
    run_sending(&lab, home.path(), command);
    delivered_to_bob(&lab, &token);
}

/// Snippets this machine cannot run: parsed by their own tool where it is installed.
#[test]
fn the_other_snippets_parse() {
    let home = home_for(2587, "starttls");
    let dir = home.path();
    // Django's settings: Python syntax.
    if runtime("django", "python3", &["--version"]) {
        let path = write(dir, "settings.py", &render(dir, "django"));
        let status = Command::new("python3")
            .args(["-m", "py_compile"])
            .arg(path)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "settings.py does not compile"
        );
    }
    // Rails: Ruby syntax (Action Mailer itself is not installed).
    if runtime("rails", "ruby", &["--version"]) {
        let path = write(dir, "production.rb", &render(dir, "rails"));
        let output = Command::new("ruby")
            .arg("-c")
            .arg(path)
            .output()
            .expect("ruby");
        assert!(output.status.success(), "{output:?}");
    }
    // .NET is not in Debian's archive; Laravel's .env has no checker: rendered cleanly is all.
    for client in ["mailkit", "system-net-mail", "laravel", "symfony-mailer"] {
        render(dir, client);
    }
}

#[test]
fn the_postfix_snippet_passes_relaydocs_own_lint() {
    let home = home_for(2587, "starttls");
    let text = render(home.path(), "postfix-relayhost");
    assert!(text.contains("relayhost = [127.0.0.1]:2587"), "{text}");
    let path = write(home.path(), "main.cf", &text);
    let output = relaydoc(home.path())
        .args(["postfix", "lint", "--json"])
        .arg(&path)
        .output()
        .expect("lint runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let errors: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        // The snippet is lines to add to a main.cf, not a whole one: findings about the
        // server's own relay rules (which it does not touch) are not about it.
        .filter(|f| f["severity"] == "error")
        .filter(|f| {
            f["parameter"]
                .as_str()
                .is_some_and(|p| p == "relayhost" || p.starts_with("smtp_"))
        })
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_guide_without_a_snippet_says_so_and_an_unknown_provider_is_flagged() {
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["settings", "thunderbird", "--snippet"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let output = relaydoc(home.path())
        .args([
            "settings",
            "python-smtplib",
            "--email",
            "ops@unknown-provider.example",
            "--snippet",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not know this provider"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("smtp.example.com"));
}
