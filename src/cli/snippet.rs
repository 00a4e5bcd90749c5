//! The snippet part of `relaydoc settings CLIENT`: a guide's ready-to-paste configuration or
//! code, filled with the provider's settings (see `crate::snippet`).

use super::{CliError, CommandResult, Outcome, Phase};
use crate::knowledge::Knowledge;
use crate::knowledge::model::Client;
use crate::present::TargetSettings;
use crate::sanitize::for_terminal;
use crate::snippet::{self, Filled};

/// `settings CLIENT --snippet`: the filled snippet alone, ready to redirect into a file.
pub fn print_only(
    kb: &Knowledge,
    target: &TargetSettings<'_>,
    client: Option<&str>,
) -> CommandResult {
    let Some(client) = client.and_then(|id| kb.client(id)) else {
        return Err(CliError::bad_input(
            Phase::Arguments,
            "--snippet needs a CLIENT (see `relaydoc clients`)",
        ));
    };
    let Some(filled) = snippet::for_client(client, target) else {
        return Err(CliError::bad_input(
            Phase::Arguments,
            format!(
                "{} is set up in its own screens, not with a file: `relaydoc settings {}` shows \
                 the steps",
                for_terminal(&client.name),
                client.id
            ),
        ));
    };
    if filled.guessed {
        eprintln!("{}", guessed_warning());
    }
    out!("{}", filled.text)?;
    Ok(Outcome::Ok)
}

/// After a client's steps: what it cannot do, the version the steps are for, and its
/// snippet with where it goes and how to run it.
pub fn print_with_steps(client: &Client, target: &TargetSettings<'_>) -> Result<(), CliError> {
    if !client.cannot.is_empty() {
        outln!("What {} cannot do:", for_terminal(&client.name))?;
        for limit in &client.cannot {
            outln!("  - {}", for_terminal(limit).replace("**", ""))?;
        }
        outln!()?;
    }
    if let Some(version) = &client.version {
        outln!("These steps are for: {}\n", for_terminal(version))?;
    }
    let Some(filled) = snippet::for_client(client, target) else {
        return Ok(());
    };
    print_block(&filled)
}

fn print_block(filled: &Filled) -> Result<(), CliError> {
    outln!("Ready to paste — {} ({}):", filled.file, filled.language)?;
    if filled.guessed {
        outln!("  ({})", guessed_warning())?;
    }
    outln!()?;
    for line in filled.text.lines() {
        outln!("    {line}")?;
    }
    outln!()?;
    if let Some(run) = &filled.run {
        outln!("Run: {run}")?;
    }
    outln!(
        "The password is never in this text: put it in the environment variable {} or the \
         file {} (readable by its owner only), as the snippet says.",
        snippet::SECRET_ENV,
        snippet::SECRET_FILE
    )
}

fn guessed_warning() -> &'static str {
    "relaydoc does not know this provider: smtp.example.com, 587 and STARTTLS are examples; \
     replace them with your provider's outgoing server settings"
}

/// The headings of `relaydoc clients`, in the order the wizard asks "what is sending".
const KIND_HEADINGS: &[(Option<&str>, &str)] = &[
    (Some("program"), "Mail programs on a computer"),
    (Some("phone"), "Phone and tablet apps"),
    (Some("device"), "Devices: printers, scanners, NAS, cameras"),
    (Some("website"), "Websites, applications and code"),
    (Some("server"), "Servers and scripts"),
    (None, "General"),
];

/// `relaydoc clients`: every guide under the kind of sender it is for.
pub fn print_clients_by_kind(kb: &Knowledge) -> Result<(), CliError> {
    for (kind, heading) in KIND_HEADINGS {
        // A user's own guide may carry a kind this list does not name: it goes under General.
        let known = |k: &str| KIND_HEADINGS.iter().any(|(h, _)| *h == Some(k));
        let group: Vec<&Client> = kb
            .clients
            .iter()
            .filter(|c| match (kind, c.kind.as_deref()) {
                (Some(kind), Some(k)) => *kind == k,
                (None, k) => !k.is_some_and(known),
                (Some(_), None) => false,
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        outln!("{heading}:")?;
        for client in group {
            outln!(
                "  {:<26} {} — {}",
                client.id,
                for_terminal(&client.name),
                for_terminal(&client.platform)
            )?;
        }
        outln!()?;
    }
    Ok(())
}
