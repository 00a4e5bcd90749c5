//! The pages of the offline website, one builder per kind of page.
//!
//! Each builder returns the page's file name and HTML and adds a search document. Every file
//! sits in the site's root (`cause-ID.html`, `client-ID.html`, …) so links never need `../`.

use std::collections::BTreeMap;

use super::html::{Shell, esc, inline, paragraphs, slug, source_link};
use super::search::Doc;
pub use super::site::*;
use crate::engine::Facts;
use crate::explain::Signatures;
use crate::explain::signatures::Signature;
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Cause, Client, Endpoint, NodeBody, NodeId, Provider, Side, Step};
use crate::knowledge::raw::{AuthKind, Protocol, Username};
use crate::present::{
    StepView, TargetSettings, ordered_tasks, pick_client, solution_view, task_view,
};

fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// An error text as a title: the example itself, cut short.
fn signature_title(signature: &Signature) -> String {
    crate::sanitize::excerpt(&signature.example, 90)
}

fn kind_of_signature(signature: &Signature) -> &'static str {
    match signature.relay_denial {
        Some(true)
            if signature
                .causes
                .iter()
                .any(|c| c.cause == "temporary-relay-deferral") =>
        {
            "Temporary relay refusal"
        }
        Some(true) => "Relay denial",
        Some(false) => "Look-alike (not a relay denial)",
        None => "Mail program's message",
    }
}

fn side_words(side: Side) -> String {
    format!("Refused at: {}", side.describe())
}

pub fn build(knowledge: &Knowledge, signatures: &Signatures, today: jiff::civil::Date) -> Site {
    let mut site = Site::default();
    let context = Context {
        knowledge,
        signatures,
        today,
    };
    for cause in &knowledge.causes {
        context.cause_page(&mut site, cause);
    }
    for node in 0..knowledge.nodes.len() {
        if knowledge.node(node).is_terminal() {
            context.solution_page(&mut site, node);
        } else {
            context.question_page(&mut site, node);
        }
    }
    for client in &knowledge.clients {
        context.client_page(&mut site, client);
    }
    for provider in &knowledge.providers {
        context.provider_page(&mut site, provider);
    }
    for signature in signatures.iter() {
        context.signature_page(&mut site, signature);
    }
    context.lists(&mut site);
    super::tree::page(&mut site, knowledge);
    super::reference::page(&mut site, knowledge);
    // The home page last: it lists what the others are.
    home(&mut site);
    site
}

struct Context<'k> {
    knowledge: &'k Knowledge,
    signatures: &'k Signatures,
    today: jiff::civil::Date,
}

impl Context<'_> {
    fn signatures_for<'s>(&'s self, cause: &'s str) -> impl Iterator<Item = &'s Signature> {
        self.signatures
            .iter()
            .filter(move |signature| signature.causes.iter().any(|c| c.cause == cause))
    }

    fn cause_page(&self, site: &mut Site, cause: &Cause) {
        let kb = self.knowledge;
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\"><span class=\"badge side-{}\">{}</span> \
             <span class=\"id\">cause id <code>{}</code></span></p>\n",
            esc(&cause.title),
            cause.side.as_str(),
            esc(&side_words(cause.side)),
            esc(&cause.id)
        );
        body.push_str(&format!(
            "<p class=\"lead\">{}</p>\n",
            inline(&cause.summary)
        ));
        body.push_str(&paragraphs(&cause.explanation));
        if !cause.signs.is_empty() {
            body.push_str("<h2>Signs</h2>\n<ul>\n");
            for sign in &cause.signs {
                body.push_str(&format!("<li>{}</li>\n", inline(sign)));
            }
            body.push_str("</ul>\n");
        }
        if let Some(tell) = &cause.tell_apart {
            body.push_str(&format!("<h2>How to tell</h2>\n<p>{}</p>\n", inline(tell)));
        }
        let solutions: Vec<NodeId> = kb
            .cause_index(&cause.id)
            .map(|index| kb.solutions_of(index).collect())
            .unwrap_or_default();
        if !solutions.is_empty() {
            body.push_str("<h2>What fixes it</h2>\n<ul>\n");
            for node in solutions {
                body.push_str(&format!(
                    "<li>{}</li>\n",
                    link(&node_href(kb, node), kb.node(node).label())
                ));
            }
            body.push_str("</ul>\n");
        }
        let texts: Vec<&Signature> = self.signatures_for(&cause.id).collect();
        if !texts.is_empty() {
            body.push_str("<h2>Error texts that point here</h2>\n<ul>\n");
            for signature in texts {
                body.push_str(&format!(
                    "<li>{}</li>\n",
                    link(&signature_href(&signature.id), &signature_title(signature))
                ));
            }
            body.push_str("</ul>\n");
        }
        sources(&mut body, &cause.sources);
        let name = cause_href(&cause.id);
        site.docs.push(Doc::new(
            name.clone(),
            "Cause",
            &cause.id,
            &cause.title,
            &cause.summary,
            &format!(
                "{} {} {}",
                cause.explanation,
                cause.signs.join(" "),
                cause.side.describe()
            ),
        ));
        site.add(
            name,
            &Shell {
                title: &cause.title,
                ..Shell::default()
            },
            &body,
        );
    }

    fn solution_page(&self, site: &mut Site, node_id: NodeId) {
        let kb = self.knowledge;
        let node = kb.node(node_id);
        let facts = Facts::new();
        let Some(client) = pick_client(kb, &facts, None) else {
            return;
        };
        let view = solution_view(kb, node_id, &facts, client);
        let heading = if matches!(node.body, NodeBody::Handoff { .. }) {
            "Hand-off"
        } else {
            "Solution"
        };
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\"><span class=\"badge\">{heading}</span> \
             <span class=\"id\">node <code>{}</code></span></p>\n",
            esc(&view.title),
            esc(&node.id)
        );
        if let Some(cause) = view.cause {
            body.push_str(&format!(
                "<p>Cause: {} — {}</p>\n",
                link(&cause_href(&cause.id), &cause.title),
                inline(&cause.summary)
            ));
        }
        body.push_str(&paragraphs(&view.text));
        // The tasks behind the client-task steps, in order, as the generic client has them.
        let mut tasks = node_steps(node)
            .iter()
            .filter_map(|step| match step {
                Step::ClientTask(task) if client.tasks.contains_key(task) => Some(task.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .into_iter();
        if !view.steps.is_empty() {
            body.push_str("<h2>Steps</h2>\n<ol class=\"steps\">\n");
            for step in &view.steps {
                match step {
                    StepView::Say(text) => body.push_str(&format!("<li>{}</li>\n", inline(text))),
                    StepView::ClientTask {
                        title, steps, note, ..
                    } => {
                        body.push_str(&format!("<li><strong>{}</strong>", inline(title)));
                        body.push_str(&steps_html(steps, note.as_deref(), "alpha"));
                        if let Some(task) = tasks.next() {
                            body.push_str(&self.task_elsewhere(task));
                        }
                        body.push_str("</li>\n");
                    }
                }
            }
            body.push_str("</ol>\n");
        }
        if let Some(fix) = &view.server_fix {
            body.push_str(&format!(
                "<h2>Server configuration</h2>\n<pre><code>{}</code></pre>\n",
                esc(fix)
            ));
        }
        if let Some(contact) = &view.contact {
            body.push_str(&format!(
                "<h2>Who to contact</h2>\n<p>{}</p>\n",
                inline(contact)
            ));
        }
        if let Some(tell) = &view.tell {
            body.push_str(&format!(
                "<h2>What to tell them</h2>\n<blockquote>{}</blockquote>\n",
                paragraphs(tell)
            ));
        }
        agent_notes(&mut body, node);
        let name = node_href(kb, node_id);
        let mut text = view.text.clone();
        if let Some(fix) = &view.server_fix {
            text.push(' ');
            text.push_str(fix);
        }
        site.docs.push(Doc::new(
            name.clone(),
            heading,
            &node.id,
            &view.title,
            &view.text,
            &text,
        ));
        site.add(
            name,
            &Shell {
                title: &view.title,
                ..Shell::default()
            },
            &body,
        );
    }

    /// Links to the same task in each mail program's own words.
    fn task_elsewhere(&self, task: &str) -> String {
        let links: Vec<String> = self
            .knowledge
            .clients
            .iter()
            .filter(|client| client.tasks.contains_key(task))
            .map(|client| {
                format!(
                    "<a href=\"{}#{}\">{}</a>",
                    esc(&client_href(&client.id)),
                    esc(&task_anchor(task)),
                    esc(&client.name)
                )
            })
            .collect();
        if links.is_empty() {
            return String::new();
        }
        format!(
            "<p class=\"elsewhere\">In your program: {}</p>\n",
            links.join(" · ")
        )
    }

    fn question_page(&self, site: &mut Site, node_id: NodeId) {
        let kb = self.knowledge;
        let node = kb.node(node_id);
        let kind = match node.body {
            NodeBody::Question { .. } => "Question",
            NodeBody::Input { .. } => "Question (typed answer)",
            NodeBody::Check { .. } => "Live check",
            _ => "Decision",
        };
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\"><span class=\"badge\">{kind}</span> \
             <span class=\"id\">node <code>{}</code></span></p>\n",
            esc(node.label()),
            esc(&node.id)
        );
        if node.title.is_some() {
            body.push_str(&paragraphs(&node.text));
        }
        if let Some(help) = &node.help {
            body.push_str(&format!("<div class=\"help\">{}</div>\n", paragraphs(help)));
        }
        let sets = node.sets();
        if !sets.is_empty() {
            body.push_str(&format!(
                "<p class=\"meta\">Sets: {}</p>\n",
                sets.iter()
                    .map(|fact| format!("<code>{}</code>", esc(fact)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let next = |target: NodeId| link(&node_href(kb, target), kb.node(target).label());
        match &node.body {
            NodeBody::Input {
                placeholder: Some(placeholder),
                ..
            } => body.push_str(&format!(
                "<p>For example: <code>{}</code></p>\n",
                esc(placeholder)
            )),
            NodeBody::Check { check, .. } => body.push_str(&format!(
                "<p>relaydoc runs the check <code>{}</code> here.</p>\n",
                esc(check)
            )),
            _ => {}
        }
        let helps: Vec<Option<&String>> = match &node.body {
            NodeBody::Question { choices, .. } => {
                choices.iter().map(|choice| choice.help.as_ref()).collect()
            }
            _ => Vec::new(),
        };
        let heading = if helps.is_empty() { "Next" } else { "Answers" };
        body.push_str(&format!("<h2>{heading}</h2>\n<ul class=\"answers\">\n"));
        for (index, (label, target)) in super::tree::edges(kb, node_id).into_iter().enumerate() {
            body.push_str(&format!(
                "<li><strong>{}</strong> → {}",
                inline(&label),
                next(target)
            ));
            if let Some(help) = helps.get(index).copied().flatten() {
                body.push_str(&format!("<br><span class=\"hint\">{}</span>", inline(help)));
            }
            body.push_str("</li>\n");
        }
        body.push_str("</ul>\n");
        agent_notes(&mut body, node);
        let from: Vec<NodeId> = (0..kb.nodes.len())
            .filter(|&other| kb.node(other).successors().contains(&node_id))
            .collect();
        if !from.is_empty() {
            body.push_str("<h2>Reached from</h2>\n<ul>\n");
            for other in from {
                body.push_str(&format!("<li>{}</li>\n", next(other)));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&format!(
            "<p><a href=\"tree.html#{}\">Show in the decision tree</a></p>\n",
            esc(&super::tree::anchor(&node.id))
        ));
        let name = node_href(kb, node_id);
        let mut text = format!("{} {}", node.text, node.help.as_deref().unwrap_or(""));
        if let NodeBody::Question { choices, .. } = &node.body {
            for choice in choices {
                text.push(' ');
                text.push_str(&choice.label);
            }
        }
        site.docs.push(Doc::new(
            name.clone(),
            "Question",
            &node.id,
            node.label(),
            &node.text,
            &text,
        ));
        site.add(
            name,
            &Shell {
                title: node.label(),
                ..Shell::default()
            },
            &body,
        );
    }

    /// A mail program's sheet: every task, with the steps filled for the provider the reader
    /// picks (each variant rendered here by [`task_view`]; the page's script shows one).
    fn client_page(&self, site: &mut Site, client: &Client) {
        let kb = self.knowledge;
        let mut targets: Vec<(String, TargetSettings<'_>)> = vec![(
            String::new(),
            TargetSettings {
                provider: None,
                email: None,
                server: None,
                today: self.today,
            },
        )];
        for provider in &kb.providers {
            targets.push((slug(&provider.id), self.target_for(provider)));
        }
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\">{} <span class=\"id\">program id <code>{}</code></span></p>\n",
            esc(&client.name),
            esc(&client.platform),
            esc(&client.id)
        );
        body.push_str(
            "<div class=\"picker\" hidden>\n<label for=\"provider\">Your email provider</label>\n\
             <select id=\"provider\">\n<option value=\"\">Not in the list, or not sure</option>\n",
        );
        for provider in &kb.providers {
            body.push_str(&format!(
                "<option value=\"{}\">{}</option>\n",
                esc(&slug(&provider.id)),
                esc(&provider.name)
            ));
        }
        body.push_str(
            "</select>\n<p class=\"hint\">The steps below fill in the server, port, encryption \
             and sign-in for the provider you pick.</p>\n</div>\n\
             <p id=\"filled-for\" class=\"print-only\"></p>\n",
        );
        let tasks = ordered_tasks(client);
        if tasks.len() > 1 {
            body.push_str("<nav aria-label=\"Tasks\" class=\"toc\"><ol>\n");
            for task in &tasks {
                if let Some(found) = client.tasks.get(*task) {
                    body.push_str(&format!(
                        "<li><a href=\"#{}\">{}</a></li>\n",
                        esc(&task_anchor(task)),
                        inline(&found.title)
                    ));
                }
            }
            body.push_str("</ol></nav>\n");
        }
        let mut text = format!("{} {}", client.platform, client.aliases.join(" "));
        for task in &tasks {
            // Variants with the same steps are written once, for all their providers.
            let mut variants: Vec<(String, Vec<&str>)> = Vec::new();
            let mut title = String::new();
            for (key, target) in &targets {
                let Some(StepView::ClientTask {
                    title: task_title,
                    steps,
                    note,
                    ..
                }) = task_view(client, task, target)
                else {
                    continue;
                };
                title = task_title;
                let html = steps_html(&steps, note.as_deref(), "decimal")
                    .replace(ADDRESS_MARK, "<var>your-name</var>");
                match variants.iter_mut().find(|(existing, _)| *existing == html) {
                    Some((_, keys)) => keys.push(key),
                    None => variants.push((html, vec![key])),
                }
            }
            body.push_str(&format!(
                "<section id=\"{}\" class=\"task\">\n<h2>{}</h2>\n",
                esc(&task_anchor(task)),
                inline(&title)
            ));
            text.push(' ');
            text.push_str(&title);
            for (html, keys) in &variants {
                // The generic variant shows until the script picks another.
                let generic = keys.iter().any(|key| key.is_empty());
                body.push_str(&format!(
                    "<div class=\"variant\" data-providers=\" {} \"{}>\n{html}</div>\n",
                    keys.iter()
                        .map(|key| if key.is_empty() { "-" } else { key })
                        .collect::<Vec<_>>()
                        .join(" "),
                    if generic { "" } else { " hidden" }
                ));
            }
            body.push_str("</section>\n");
        }
        sources(&mut body, &client.sources);
        let name = client_href(&client.id);
        site.docs.push(Doc::new(
            name.clone(),
            "Mail program",
            &client.id,
            &client.name,
            &format!(
                "Step by step settings for {} ({})",
                client.name, client.platform
            ),
            &text,
        ));
        site.add(
            name,
            &Shell {
                title: &client.name,
                ..Shell::default()
            },
            &body,
        );
    }

    /// The settings a provider's steps are filled with. The address is a stand-in whose user
    /// part becomes "your-name" on the page, so a user name comes out as the provider wants it
    /// (the whole address, or the part before the @).
    fn target_for<'k>(&self, provider: &'k Provider) -> TargetSettings<'k> {
        TargetSettings {
            provider: Some(provider),
            email: provider
                .domains
                .first()
                .map(|domain| format!("{ADDRESS_MARK}@{domain}")),
            server: None,
            today: self.today,
        }
    }

    fn provider_page(&self, site: &mut Site, provider: &Provider) {
        let kb = self.knowledge;
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\"><span class=\"id\">provider id <code>{}</code></span></p>\n",
            esc(&provider.name),
            esc(&provider.id)
        );
        if !provider.domains.is_empty() {
            body.push_str(&format!(
                "<p>Addresses ending in: {}</p>\n",
                provider
                    .domains
                    .iter()
                    .map(|domain| format!("<code>@{}</code>", esc(domain)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        body.push_str(&format!(
            "<p>User name: {}</p>\n",
            match provider.username {
                Username::FullAddress => "the whole email address",
                Username::LocalPart => "the part of the address before the @",
                Username::Other => "what the provider gave you (not the address)",
            }
        ));
        let target = TargetSettings {
            provider: Some(provider),
            email: None,
            server: None,
            today: self.today,
        };
        let login = target.password_login();
        let methods = provider.working_methods_text(self.today);
        body.push_str(&format!(
            "<p>Signing in from a mail program today: <strong>{}</strong>{}</p>\n",
            login.as_str(),
            methods
                .map(|methods| format!(" ({})", esc(&methods)))
                .unwrap_or_default()
        ));
        for (title, endpoints) in [
            ("Outgoing mail (SMTP)", &provider.outgoing),
            ("Incoming mail", &provider.incoming),
        ] {
            if endpoints.is_empty() {
                continue;
            }
            body.push_str(&format!(
                "<h2>{title}</h2>\n<table>\n<thead><tr><th scope=\"col\">Server</th>\
                 <th scope=\"col\">Port</th><th scope=\"col\">Encryption</th>\
                 <th scope=\"col\">Sign-in</th></tr></thead>\n<tbody>\n"
            ));
            for endpoint in endpoints {
                body.push_str(&endpoint_row(endpoint));
            }
            body.push_str("</tbody>\n</table>\n");
        }
        if !provider.signin.is_empty() {
            body.push_str(
                "<h2>Sign-in rules</h2>\n<table>\n<thead><tr><th scope=\"col\">Method</th>\
                 <th scope=\"col\">Works</th><th scope=\"col\">From</th><th scope=\"col\">Until</th>\
                 <th scope=\"col\">Details</th></tr></thead>\n<tbody>\n",
            );
            for rule in &provider.signin {
                let mut details = Vec::new();
                if let Some(when) = &rule.when {
                    details.push(format!("When: {}", esc(when)));
                }
                if let Some(reply) = &rule.reply {
                    details.push(format!("Server says: <code>{}</code>", esc(reply)));
                }
                if let Some(url) = &rule.url {
                    details.push(format!("Where: {}", source_link(url)));
                }
                details.push(format!("Source: {}", source_link(&rule.source)));
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    esc(rule.method.label()),
                    if rule.works { "yes" } else { "no" },
                    rule.since
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "—".into()),
                    rule.until
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "—".into()),
                    details.join("<br>")
                ));
            }
            body.push_str("</tbody>\n</table>\n");
        }
        if let Some(notes) = &provider.notes {
            body.push_str(&format!("<h2>Notes</h2>\n{}", paragraphs(notes)));
        }
        body.push_str("<h2>Steps for your mail program with this provider</h2>\n<ul>\n");
        for client in &kb.clients {
            body.push_str(&format!(
                "<li><a href=\"{}?provider={}\">{}</a></li>\n",
                esc(&client_href(&client.id)),
                esc(&slug(&provider.id)),
                esc(&client.name)
            ));
        }
        body.push_str("</ul>\n");
        sources(&mut body, &provider.sources);
        let name = provider_href(&provider.id);
        let mut text = provider.domains.join(" ");
        for endpoint in provider.outgoing.iter().chain(&provider.incoming) {
            text.push_str(&format!(" {} {}", endpoint.host, endpoint.port));
        }
        site.docs.push(Doc::new(
            name.clone(),
            "Provider",
            &provider.id,
            &provider.name,
            &format!("Settings for {}", provider.domains.join(", ")),
            &text,
        ));
        site.add(
            name,
            &Shell {
                title: &provider.name,
                ..Shell::default()
            },
            &body,
        );
    }

    fn signature_page(&self, site: &mut Site, signature: &Signature) {
        let kb = self.knowledge;
        let title = signature_title(signature);
        let kind = kind_of_signature(signature);
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"meta\"><span class=\"badge\">{kind}</span> \
             <span class=\"id\">error text id <code>{}</code></span></p>\n",
            esc(&title),
            esc(&signature.id)
        );
        if let Some(meaning) = &signature.meaning {
            body.push_str(&format!("<p class=\"lead\">{}</p>\n", inline(meaning)));
        }
        body.push_str(&format!(
            "<h2>As it appears</h2>\n<pre class=\"sample\"><code>{}</code></pre>\n",
            esc(&signature.example)
        ));
        if let Some(side) = signature.side {
            body.push_str(&format!(
                "<p>Refused by: <strong>{}</strong></p>\n",
                match side {
                    crate::explain::vocabulary::Side::Client => "the mail program's own server",
                    crate::explain::vocabulary::Side::SenderMx => "the sender's outgoing server",
                    crate::explain::vocabulary::Side::RecipientMx => "the recipient's mail server",
                }
            ));
        }
        if !signature.causes.is_empty() {
            body.push_str("<h2>Likely causes</h2>\n<ol>\n");
            for prior in &signature.causes {
                let title = kb
                    .cause(&prior.cause)
                    .map_or(prior.cause.as_str(), |cause| cause.title.as_str());
                body.push_str(&format!(
                    "<li>{} — {}</li>\n",
                    link(&cause_href(&prior.cause), title),
                    inline(&prior.why)
                ));
            }
            body.push_str("</ol>\n");
        }
        body.push_str(&format!(
            "<p class=\"hint\">Paste the whole text into <code>relaydoc explain</code> to have it \
             read with everything around it.</p>\n<h2>Source</h2>\n<p>{}</p>\n",
            source_link(&signature.source)
        ));
        let name = signature_href(&signature.id);
        site.docs.push(Doc::new(
            name.clone(),
            "Error text",
            &signature.id,
            &title,
            signature.meaning.as_deref().unwrap_or(kind),
            &format!(
                "{} {} {}",
                signature.example,
                signature.meaning.as_deref().unwrap_or(""),
                signature.regex.as_str()
            ),
        ));
        site.add(
            name,
            &Shell {
                title: &title,
                ..Shell::default()
            },
            &body,
        );
    }

    /// The list pages and the three ways in.
    fn lists(&self, site: &mut Site) {
        let kb = self.knowledge;
        let cause_list = |side: Side| -> String {
            let mut out = String::from("<ul class=\"cards\">\n");
            for cause in kb.causes.iter().filter(|cause| cause.side == side) {
                out.push_str(&format!(
                    "<li>{}<br><span class=\"hint\">{}</span></li>\n",
                    link(&cause_href(&cause.id), &cause.title),
                    inline(&cause.summary)
                ));
            }
            out.push_str("</ul>\n");
            out
        };
        let client_list = || -> String {
            let mut out = String::from("<ul class=\"columns\">\n");
            for client in &kb.clients {
                out.push_str(&format!(
                    "<li>{} <span class=\"hint\">{}</span></li>\n",
                    link(&client_href(&client.id), &client.name),
                    esc(&client.platform)
                ));
            }
            out.push_str("</ul>\n");
            out
        };
        let sides = [
            (Side::Client, "Your mail program or device"),
            (Side::SenderMx, "Your outgoing mail server"),
            (Side::RecipientMx, "The recipient's mail server"),
            (Side::None, "Not a relay problem"),
        ];

        let mut body = String::from(
            "<h1>Causes</h1>\n<p>Every reason relaydoc knows for “Relay access denied”, by \
             where the mail was refused.</p>\n",
        );
        for (side, heading) in sides {
            body.push_str(&format!("<h2>{heading}</h2>\n{}", cause_list(side)));
        }
        site.add(
            "causes.html".into(),
            &Shell {
                title: "Causes",
                ..Shell::default()
            },
            &body,
        );

        let body = format!(
            "<h1>Mail programs</h1>\n<p>Step-by-step sheets, with the settings of your \
             provider filled in.</p>\n{}",
            client_list()
        );
        site.add(
            "clients.html".into(),
            &Shell {
                title: "Mail programs",
                ..Shell::default()
            },
            &body,
        );

        let mut body = String::from(
            "<h1>Providers</h1>\n<p>The published settings relaydoc knows.</p>\n<ul class=\"columns\">\n",
        );
        for provider in &kb.providers {
            body.push_str(&format!(
                "<li>{}</li>\n",
                link(&provider_href(&provider.id), &provider.name)
            ));
        }
        body.push_str("</ul>\n");
        site.add(
            "providers.html".into(),
            &Shell {
                title: "Providers",
                ..Shell::default()
            },
            &body,
        );

        // I get this error: the texts, grouped; the causes on the user's side; the sheets.
        let mut body = String::from(
            "<h1>I get this error</h1>\n<p>Find the text you see below (or search for a few \
             words of it from the home page), then follow it to the cause and the fix. Most \
             relay denials come from the mail program's own settings.</p>\n",
        );
        let mut groups: BTreeMap<&str, Vec<&Signature>> = BTreeMap::new();
        for signature in self.signatures.iter() {
            groups
                .entry(kind_of_signature(signature))
                .or_default()
                .push(signature);
        }
        for kind in [
            "Relay denial",
            "Temporary relay refusal",
            "Mail program's message",
            "Look-alike (not a relay denial)",
        ] {
            let Some(list) = groups.get(kind) else {
                continue;
            };
            body.push_str(&format!("<h2>{kind}</h2>\n<ul class=\"cards\">\n"));
            for signature in list {
                body.push_str(&format!(
                    "<li>{}{}</li>\n",
                    link(&signature_href(&signature.id), &signature_title(signature)),
                    signature
                        .meaning
                        .as_deref()
                        .map(|m| format!("<br><span class=\"hint\">{}</span>", inline(m)))
                        .unwrap_or_default()
                ));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&format!(
            "<h2>Causes on your side</h2>\n{}<h2>Steps for your mail program</h2>\n{}",
            cause_list(Side::Client),
            client_list()
        ));
        site.add(
            "error.html".into(),
            &Shell {
                title: "I get this error",
                ..Shell::default()
            },
            &body,
        );

        // I help a caller: the questions in the order the wizard asks them.
        let mut body = String::from(
            "<h1>I help a caller</h1>\n<p>The questions the wizard asks, in order, with the \
             words to read out. Follow the answers through the \
             <a href=\"tree.html\">decision tree</a>; each solution has the caller's steps, \
             and each mail program's sheet can be printed or sent.</p>\n\
             <h2>The questions</h2>\n<ol class=\"cards\">\n",
        );
        for node in super::tree::order(kb) {
            let found = kb.node(node);
            if !matches!(
                found.body,
                NodeBody::Question { .. } | NodeBody::Input { .. }
            ) {
                continue;
            }
            body.push_str(&format!(
                "<li>{}<br><span class=\"say\">Say: “{}”</span></li>\n",
                link(&node_href(kb, node), found.label()),
                inline(found.caller_words())
            ));
        }
        body.push_str("</ol>\n");
        body.push_str(&format!(
            "<h2>Mail programs</h2>\n{}<p><a href=\"providers.html\">Providers' settings</a></p>\n",
            client_list()
        ));
        site.add(
            "helpdesk.html".into(),
            &Shell {
                title: "I help a caller",
                ..Shell::default()
            },
            &body,
        );

        // I run the server: the server-side causes and fixes, and the Postfix reference.
        let mut body = String::from(
            "<h1>I run the server</h1>\n<p>Causes on the servers, the configuration that fixes \
             them, and what relaydoc knows of Postfix. On the server itself, \
             <code>postconf -n | relaydoc postfix lint</code> reads your settings and \
             <code>relaydoc logs</code> groups every rejection in the mail log.</p>\n\
             <p><a href=\"postfix.html\">Postfix reference</a></p>\n",
        );
        body.push_str(&format!(
            "<h2>Your outgoing server</h2>\n{}<h2>The recipient's server</h2>\n{}",
            cause_list(Side::SenderMx),
            cause_list(Side::RecipientMx)
        ));
        body.push_str("<h2>Fixes with server configuration</h2>\n<ul>\n");
        for (index, node) in kb.nodes.iter().enumerate() {
            if let NodeBody::Solution {
                server_fix: Some(_),
                ..
            } = node.body
            {
                body.push_str(&format!(
                    "<li>{}</li>\n",
                    link(&node_href(kb, index), node.label())
                ));
            }
        }
        body.push_str("</ul>\n");
        site.add(
            "server.html".into(),
            &Shell {
                title: "I run the server",
                ..Shell::default()
            },
            &body,
        );
    }
}

/// A stand-in for the user part of an example address, replaced on the page (a private-use
/// character: no knowledge text has it, and the terminal cleaning keeps it).
const ADDRESS_MARK: &str = "\u{e000}";

fn node_steps(node: &crate::knowledge::model::Node) -> &[Step] {
    match &node.body {
        NodeBody::Solution { steps, .. } | NodeBody::Handoff { steps, .. } => steps,
        _ => &[],
    }
}

/// A client task's steps as an ordered list, with its note.
fn steps_html(steps: &[String], note: Option<&str>, style: &str) -> String {
    let mut out = format!("<ol class=\"{style}\">\n");
    for step in steps {
        out.push_str(&format!("<li>{}</li>\n", inline(step)));
    }
    out.push_str("</ol>\n");
    if let Some(note) = note {
        out.push_str(&format!("<p class=\"note\">Note: {}</p>\n", inline(note)));
    }
    out
}

fn endpoint_row(endpoint: &Endpoint) -> String {
    let protocol = match endpoint.protocol {
        Some(Protocol::Imap) => " (IMAP)",
        Some(Protocol::Pop3) => " (POP3)",
        Some(Protocol::Smtp) | None => "",
    };
    let auth = match endpoint.auth {
        AuthKind::Password => "password",
        AuthKind::Oauth2 => "OAuth2",
        AuthKind::PopBeforeSmtp => "POP-before-SMTP",
        AuthKind::None => "none",
    };
    format!(
        "<tr><td><code>{}</code>{protocol}</td><td>{}</td><td>{}</td><td>{auth}</td></tr>\n",
        esc(&endpoint.host),
        endpoint.port,
        endpoint.security.label()
    )
}

fn sources(body: &mut String, sources: &[String]) {
    if sources.is_empty() {
        return;
    }
    body.push_str("<h2>Sources</h2>\n<ul class=\"sources\">\n");
    for source in sources {
        body.push_str(&format!("<li>{}</li>\n", source_link(source)));
    }
    body.push_str("</ul>\n");
}

/// What a helpdesk agent reads out, and their own notes, labelled as such.
fn agent_notes(body: &mut String, node: &crate::knowledge::model::Node) {
    if node.say.is_none() && node.agent_note.is_none() {
        return;
    }
    body.push_str("<aside class=\"agent\" aria-label=\"For helpdesk agents\">\n<h2>For helpdesk agents</h2>\n");
    if let Some(say) = &node.say {
        body.push_str(&format!(
            "<p><strong>Say to the caller:</strong></p>\n{}",
            paragraphs(say)
        ));
    }
    if let Some(note) = &node.agent_note {
        body.push_str(&format!(
            "<p><strong>For the agent:</strong></p>\n{}",
            paragraphs(note)
        ));
    }
    body.push_str("</aside>\n");
}

fn home(site: &mut Site) {
    let body = "<h1>Relay access denied — the offline guide</h1>\n\
<p class=\"lead\">Why a mail server answers “554 5.7.1 Relay access denied”, and exactly what \
to change: for the person sending, the helpdesk on the phone, and the server's owner.</p>\n\
<form class=\"search\" role=\"search\" action=\"index.html\" method=\"get\">\n\
<label for=\"q\">Search causes, mail programs, providers and error texts</label>\n\
<div class=\"searchrow\"><input id=\"q\" name=\"q\" type=\"search\" autocomplete=\"off\" \
aria-describedby=\"search-help\" aria-controls=\"results\">\
<button type=\"submit\">Search</button></div>\n\
<p id=\"search-help\" class=\"hint\">For example: Relay access denied, thunderbird, 0x800CCC79, \
pop before smtp. Results appear as you type; arrow keys move through them.</p>\n\
</form>\n\
<p id=\"search-status\" role=\"status\" aria-live=\"polite\"></p>\n\
<ul id=\"results\" class=\"results\"></ul>\n\
<h2>Three ways in</h2>\n<ul class=\"ways\">\n\
<li><a href=\"error.html\"><strong>I get this error</strong><span>Find your error text, its \
cause, and the steps for your mail program.</span></a></li>\n\
<li><a href=\"helpdesk.html\"><strong>I help a caller</strong><span>The questions to ask, the \
words to read out, and a sheet per program.</span></a></li>\n\
<li><a href=\"server.html\"><strong>I run the server</strong><span>Server-side causes, the \
configuration that fixes them, and the Postfix reference.</span></a></li>\n</ul>\n\
<h2>Browse</h2>\n<ul class=\"columns\">\n\
<li><a href=\"causes.html\">All causes</a></li>\n\
<li><a href=\"clients.html\">Mail programs</a></li>\n\
<li><a href=\"providers.html\">Providers</a></li>\n\
<li><a href=\"tree.html\">The decision tree</a></li>\n\
<li><a href=\"postfix.html\">Postfix reference</a></li>\n</ul>\n";
    site.add(
        "index.html".into(),
        &Shell {
            title: "Relay access denied",
            home: true,
            search_index: true,
        },
        body,
    );
}
