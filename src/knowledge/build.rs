//! Turning raw files into validated [`Knowledge`], reporting every problem at once.
//!
//! Order of work: parse every file; merge overlays by id (a higher layer replaces a lower
//! one, equal ids within one layer are an error); resolve references; then prove the tree
//! sound as a graph (reachable, always ends, no loop the person cannot leave, every fact a
//! condition reads is set upstream).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_saphyr::Spanned;

use super::model::*;
use super::raw::*;
use super::source::{SourceFile, parse_yaml};
use crate::diagnostic::{Diagnostic, Diagnostics, Position};

/// A raw item with the file it came from and its overlay layer.
struct Sourced<T> {
    item: T,
    file: String,
    layer: usize,
}

impl<T> Sourced<T> {
    fn new(item: T, file: &SourceFile) -> Self {
        Self {
            item,
            file: file.name.clone(),
            layer: file.layer,
        }
    }
}

fn pos<T>(spanned: &Spanned<T>) -> Option<Position> {
    Position::from_saphyr(&spanned.referenced)
}

/// Builds the knowledge from every file; all problems together, sorted by file and line.
pub fn build(files: &[SourceFile]) -> Result<Knowledge, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut warnings = Diagnostics::default();
    let mut facts = Vec::new();
    let mut causes = Vec::new();
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    let mut providers = Vec::new();

    for (file, parsed) in files.iter().zip(parse_all(files)) {
        match parsed {
            Parsed::Facts(items) => facts.extend(items.into_iter().map(|i| Sourced::new(i, file))),
            Parsed::Causes(items) => {
                causes.extend(items.into_iter().map(|i| Sourced::new(i, file)));
            }
            Parsed::Nodes(items) => nodes.extend(items.into_iter().map(|i| Sourced::new(i, file))),
            Parsed::Client(item) => clients.push(Sourced::new(*item, file)),
            Parsed::Provider(item) => providers.push(Sourced::new(*item, file)),
            Parsed::NotHere => {}
            Parsed::Problem(problem) => problems.push(problem),
        }
    }

    let facts = overlay(facts, |fact| &fact.key, "fact", &mut problems);
    let causes = overlay(causes, |cause| &cause.id, "cause", &mut problems);
    let nodes = overlay(nodes, |node| &node.id, "node", &mut problems);
    let clients = overlay(clients, |client| &client.id, "client", &mut problems);
    let providers = overlay(
        providers,
        |provider| &provider.id,
        "provider",
        &mut problems,
    );

    let clients = build_clients(clients, &mut problems);
    let facts = build_facts(facts, &clients, &mut problems);
    check_client_kinds(&clients, &facts, &mut problems);
    let causes = build_causes(causes, &facts, &mut problems);
    let providers = build_providers(providers, &mut problems);
    super::catalogue::check(&providers, &mut problems);
    let cause_index: HashMap<String, usize> = causes
        .iter()
        .enumerate()
        .map(|(index, cause)| (cause.id.clone(), index))
        .collect();
    let client_index: HashMap<String, usize> = clients
        .iter()
        .enumerate()
        .map(|(index, client)| (client.id.clone(), index))
        .collect();

    let node_index: HashMap<String, NodeId> = nodes
        .iter()
        .enumerate()
        .map(|(index, node)| (node.item.id.value.clone(), index))
        .collect();
    let mut resolver = Resolver {
        node_index: &node_index,
        cause_index: &cause_index,
        facts: &facts,
        clients: &clients,
        problems: &mut problems,
        warnings: &mut warnings,
    };
    let built: Vec<Node> = nodes.into_iter().map(|node| resolver.node(node)).collect();

    let start = match node_index.get(START_NODE) {
        Some(&start) => Some(start),
        None => {
            problems.push(Diagnostic::new(
                "knowledge",
                format!("the tree has no node with id `{START_NODE}`, where every run begins"),
            ));
            None
        }
    };

    // Graph checks only make sense once every reference resolved.
    if let (true, Some(start)) = (problems.is_empty(), start) {
        check_graph(&built, start, &facts, &mut problems);
        check_client_tasks(&built, &clients, &mut problems);
    }

    if !problems.is_empty() {
        return Err(problems.sorted());
    }
    Ok(Knowledge {
        askers: super::model::index_askers(&built),
        nodes: built,
        node_index,
        start: start.unwrap_or_default(),
        causes,
        cause_index,
        clients,
        client_index,
        providers,
        facts,
        warnings: warnings.sorted(),
        signature_files: files
            .iter()
            .filter(|file| file.relative.starts_with("signatures/"))
            .cloned()
            .collect(),
        compiled: std::sync::OnceLock::new(),
    })
}

/// One file, parsed by what its path says it holds.
enum Parsed {
    Facts(Vec<RawFact>),
    Causes(Vec<RawCause>),
    Nodes(Vec<RawNode>),
    Client(Box<RawClient>),
    Provider(Box<RawProvider>),
    /// Read by its own module (error signatures).
    NotHere,
    Problem(Diagnostic),
}

fn parse_one(file: &SourceFile) -> Parsed {
    let relative = file.relative.as_str();
    let top = relative.split('/').next().unwrap_or(relative);
    let result = match top {
        "facts.yaml" | "facts.yml" => parse_yaml::<FactsFile>(file).map(|f| Parsed::Facts(f.facts)),
        "causes.yaml" | "causes.yml" => {
            parse_yaml::<CausesFile>(file).map(|f| Parsed::Causes(f.causes))
        }
        "tree" => parse_yaml::<TreeFile>(file).map(|f| Parsed::Nodes(f.nodes)),
        "clients" => parse_yaml::<RawClient>(file).map(|c| Parsed::Client(Box::new(c))),
        "providers" => parse_yaml::<RawProvider>(file).map(|p| Parsed::Provider(Box::new(p))),
        "signatures" => Ok(Parsed::NotHere),
        _ => Err(Diagnostic::new(
            &file.name,
            "not a knowledge file: expected facts.yaml, causes.yaml, or a file under \
             tree/, clients/, providers/ or signatures/",
        )),
    };
    result.unwrap_or_else(Parsed::Problem)
}

/// Parses every file, on every core: YAML parsing is most of the load time, and files are
/// independent. Results come back in the files' order, so merging stays deterministic.
fn parse_all(files: &[SourceFile]) -> Vec<Parsed> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if workers < 2 || files.len() < 4 {
        return files.iter().map(parse_one).collect();
    }
    // Interleaved, so large files (the tree, causes) do not all land on one worker.
    let mut slots: Vec<Option<Parsed>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                scope.spawn(move || {
                    (worker..files.len())
                        .step_by(workers)
                        .map(|index| (index, parse_one(&files[index])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            // A panicking parser is a bug in a dependency; re-raise it rather than hide it.
            match handle.join() {
                Ok(results) => {
                    for (index, parsed) in results {
                        slots[index] = Some(parsed);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots
        .into_iter()
        .zip(files)
        .map(|(slot, file)| slot.unwrap_or_else(|| parse_one(file)))
        .collect()
}

/// Merges items by id: the highest layer wins; equal ids in one layer are reported.
fn overlay<T>(
    items: Vec<Sourced<T>>,
    id_of: impl Fn(&T) -> &Spanned<String>,
    what: &str,
    problems: &mut Diagnostics,
) -> Vec<Sourced<T>> {
    let mut kept: Vec<Sourced<T>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let id = id_of(&item.item);
        match index.get(&id.value) {
            Some(&at) if kept[at].layer == item.layer => {
                let first = &kept[at];
                let first_position = pos(id_of(&first.item))
                    .map(|p| format!(":{}:{}", p.line, p.column))
                    .unwrap_or_default();
                problems.push(
                    Diagnostic::new(
                        &item.file,
                        format!(
                            "duplicate {what} id `{}` (first defined at {}{first_position})",
                            id.value, first.file
                        ),
                    )
                    .at(pos(id))
                    .item(&id.value),
                );
            }
            Some(&at) if kept[at].layer < item.layer => kept[at] = item,
            Some(_) => {}
            None => {
                index.insert(id.value.clone(), kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

fn origin<T>(file: &str, spanned: &Spanned<T>) -> Origin {
    Origin {
        file: file.to_string(),
        position: pos(spanned),
    }
}

fn build_clients(clients: Vec<Sourced<RawClient>>, problems: &mut Diagnostics) -> Vec<Client> {
    clients
        .into_iter()
        .map(|Sourced { item, file, .. }| {
            if let Some(snippet) = &item.snippet {
                check_snippet(&file, &item.id.value, &snippet.text, problems);
            }
            for (name, task) in &item.tasks {
                if task.steps.is_empty() {
                    problems.push(
                        Diagnostic::new(&file, format!("task `{name}` has no steps"))
                            .at(pos(&item.id))
                            .item(&item.id.value),
                    );
                }
            }
            Client {
                origin: origin(&file, &item.id),
                id: item.id.value,
                name: item.name,
                platform: item.platform,
                aliases: item.aliases,
                sources: item.sources,
                auth_words: item.auth_words.map(|words| AuthWords {
                    password: words.password,
                    oauth2: words.oauth2,
                }),
                signin_question: item.signin_question,
                kind_position: item.kind.as_ref().and_then(pos),
                kind: item.kind.map(|kind| kind.value),
                version: item.version,
                cannot: item.cannot,
                snippet: item.snippet.map(|snippet| Snippet {
                    language: snippet.language,
                    file: snippet.file,
                    text: snippet.text.value,
                    run: snippet.run,
                }),
                tasks: item
                    .tasks
                    .into_iter()
                    .map(|(name, task)| {
                        (
                            name,
                            Task {
                                title: task.title,
                                steps: task.steps,
                                note: task.note,
                                oauth2_steps: task.oauth2_steps,
                                oauth2_note: task.oauth2_note,
                            },
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A guide's `kind` is a value of fact `sender.kind`, so the wizard's "what is sending"
/// answer finds it.
fn check_client_kinds(clients: &[Client], facts: &FactCatalogue, problems: &mut Diagnostics) {
    for client in clients {
        let Some(kind) = &client.kind else { continue };
        if let Err(why) = facts.check(SENDER_KIND, kind) {
            problems.push(
                Diagnostic::new(&client.origin.file, format!("kind: {why}"))
                    .at(client.kind_position)
                    .item(&client.id),
            );
        }
    }
}

/// Every `{name}` in a snippet must be a placeholder relaydoc fills: a misspelt one would
/// reach the person's code unfilled. Reported at its own line.
fn check_snippet(file: &str, id: &str, text: &Spanned<String>, problems: &mut Diagnostics) {
    let start = pos(text);
    // A block scalar (`text: |`) starts on the line after its indicator.
    let first_line = start.map_or(0, |p| p.line);
    for (offset, name) in super::snippet::placeholders(&text.value) {
        if super::snippet::is_known(name) {
            continue;
        }
        let before = &text.value[..offset];
        let line_in_text = before.matches('\n').count() as u64;
        let column = (offset - before.rfind('\n').map_or(0, |nl| nl + 1)) as u64 + 1;
        let known: Vec<&str> = super::snippet::PLACEHOLDERS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        let hint = closest(name, known.iter().copied())
            .map(|close| format!(" (did you mean `{{{close}}}`?)"))
            .unwrap_or_default();
        problems.push(
            Diagnostic::new(
                file,
                format!(
                    "snippet: unknown placeholder `{{{name}}}`{hint}; known: {}",
                    known.join(", ")
                ),
            )
            // Every line of a block scalar is indented like its first one.
            .at(start.map(|p| Position::new(first_line + line_in_text, p.column + column - 1)))
            .item(id),
        );
    }
}

fn build_facts(
    facts: Vec<Sourced<RawFact>>,
    clients: &[Client],
    problems: &mut Diagnostics,
) -> FactCatalogue {
    let mut catalogue = FactCatalogue::default();
    for Sourced { item, file, .. } in facts {
        let mut values = item.values;
        let set_by_program = match &item.set_by {
            None => false,
            Some(by) if by.value == "program" => true,
            Some(by) => {
                problems.push(
                    Diagnostic::new(
                        &file,
                        format!(
                            "set_by `{}` is not known; the only value is `program` (leave it \
                             out for facts the tree asks or checks)",
                            by.value
                        ),
                    )
                    .at(pos(by))
                    .item(&item.key.value),
                );
                false
            }
        };
        if let Some(source) = &item.values_from {
            if source.value == "clients" {
                values = Some(clients.iter().map(|client| client.id.clone()).collect());
            } else {
                problems.push(
                    Diagnostic::new(
                        &file,
                        format!(
                            "values_from `{}` is not known; the only source is `clients`",
                            source.value
                        ),
                    )
                    .at(pos(source))
                    .item(&item.key.value),
                );
            }
        }
        if let Some(values) = &mut values
            && !values.iter().any(|value| value == UNKNOWN)
        {
            values.push(UNKNOWN.to_string());
        }
        catalogue.facts.insert(
            item.key.value.clone(),
            FactSpec {
                key: item.key.value,
                values,
                about: item.about,
                set_by_program,
            },
        );
    }
    catalogue
}

fn build_causes(
    causes: Vec<Sourced<RawCause>>,
    facts: &FactCatalogue,
    problems: &mut Diagnostics,
) -> Vec<Cause> {
    causes
        .into_iter()
        .map(|Sourced { item, file, .. }| {
            let id = item.id.value.clone();
            let mut report = |at: Option<Position>, message: String| {
                problems.push(Diagnostic::new(&file, message).at(at).item(&id));
            };
            let side = Side::parse(&item.side.value).unwrap_or_else(|| {
                report(
                    pos(&item.side),
                    format!(
                        "side `{}` is not one of client, sender-mx, recipient-mx, none",
                        item.side.value
                    ),
                );
                Side::None
            });
            let prior = match &item.prior {
                None => 0.0,
                Some(name) => prior_score(&name.value).unwrap_or_else(|| {
                    report(
                        pos(name),
                        format!("prior `{}` is not one of {PRIOR_NAMES}", name.value),
                    );
                    0.0
                }),
            };
            let mut evidence = Vec::new();
            for raw in item.evidence {
                let when = read_conditions(facts, &raw.when, true, &mut report);
                if when.is_empty() {
                    report(
                        pos(&raw.when),
                        "evidence needs at least one condition in `when`".into(),
                    );
                }
                let weight = Weight::parse(&raw.weight.value).unwrap_or_else(|| {
                    report(
                        pos(&raw.weight),
                        format!(
                            "weight `{}` is not one of {}",
                            raw.weight.value,
                            Weight::NAMES
                        ),
                    );
                    Weight::Weak
                });
                if raw.why.trim().is_empty() {
                    report(
                        pos(&raw.when),
                        "evidence needs a `why`: one sentence in plain words".into(),
                    );
                }
                evidence.push(Evidence {
                    when,
                    weight,
                    why: raw.why,
                });
            }
            Cause {
                origin: origin(&file, &item.id),
                id: item.id.value,
                side,
                title: item.title,
                summary: item.summary,
                explanation: item.explanation,
                signs: item.signs,
                sources: item.sources,
                prior,
                evidence,
                tell_apart: item.tell_apart,
            }
        })
        .collect()
}

fn build_providers(
    providers: Vec<Sourced<RawProvider>>,
    problems: &mut Diagnostics,
) -> Vec<Provider> {
    providers
        .into_iter()
        .map(|Sourced { item, file, .. }| {
            let endpoint = |raw: RawEndpoint| Endpoint {
                protocol: raw.protocol,
                host: raw.host,
                port: raw.port,
                security: raw.security,
                auth: raw.auth,
            };
            let id = item.id.value.clone();
            let signin = item
                .signin
                .into_iter()
                .filter_map(|rule| signin_rule(rule, &file, &id, problems))
                .collect();
            Provider {
                origin: origin(&file, &item.id),
                id: item.id.value,
                name: item.name,
                kind: item.kind,
                region: item.region.map(|region| region.value),
                domains: item.domains,
                mx_suffixes: item.mx_suffixes,
                username: item.username,
                outgoing: item.outgoing.into_iter().map(endpoint).collect(),
                incoming: item.incoming.into_iter().map(endpoint).collect(),
                notes: item.notes,
                sources: item.sources,
                signin,
            }
        })
        .collect()
}

/// Reads `fact: value` (or `fact: [values]`) conditions, every key and value checked against
/// the fact catalogue. With `forbid_unknown`, `unknown` is refused: "I don't know" is no
/// evidence, so nothing may count it as some.
fn read_conditions(
    facts: &FactCatalogue,
    when: &Spanned<BTreeMap<String, OneOrMany>>,
    forbid_unknown: bool,
    report: &mut dyn FnMut(Option<Position>, String),
) -> Vec<Condition> {
    let mut conditions = Vec::new();
    for (fact, values) in &when.value {
        let mut values = values.clone().into_vec();
        // `any-known`: every value the fact can have but `unknown` (e.g. any client id), so
        // a condition can say "already known" without listing a growing set by hand.
        if values.iter().any(|value| value == ANY_KNOWN)
            && let Some(allowed) = facts.get(fact).and_then(|spec| spec.values.as_ref())
        {
            values.retain(|value| value != ANY_KNOWN);
            values.extend(allowed.iter().filter(|v| *v != UNKNOWN).cloned());
        }
        match facts.get(fact) {
            None => {
                let hint = closest(fact, facts.facts.keys().map(String::as_str))
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                report(
                    pos(when),
                    format!("condition reads unknown fact `{fact}`{hint}"),
                )
            }
            Some(spec) => {
                for value in &values {
                    if forbid_unknown && value == UNKNOWN {
                        report(
                            pos(when),
                            format!(
                                "evidence may not count `{fact}: unknown`: \"I don't know\" \
                                 carries no evidence"
                            ),
                        );
                    } else if let Some(allowed) = &spec.values
                        && !allowed.contains(value)
                    {
                        report(
                            pos(when),
                            format!(
                                "condition compares `{fact}` with `{value}`, which it can never \
                                 be; allowed: {}",
                                allowed.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        conditions.push(Condition {
            fact: fact.clone(),
            any_of: values,
        });
    }
    conditions
}

/// Checks one sign-in rule: a known method, real dates in order, a source page, web
/// addresses that are web addresses. Every problem is reported at its line and column.
fn signin_rule(
    raw: RawSigninRule,
    file: &str,
    provider: &str,
    problems: &mut Diagnostics,
) -> Option<SigninRule> {
    let mut report = |at: Option<Position>, message: String| {
        problems.push(Diagnostic::new(file, message).at(at).item(provider));
    };
    let method = SigninMethod::parse(&raw.method.value);
    if method.is_none() {
        let known: Vec<&str> = SigninMethod::ALL.iter().map(|m| m.as_str()).collect();
        let hint = closest(&raw.method.value, known.iter().copied())
            .map(|close| format!(" (did you mean `{close}`?)"))
            .unwrap_or_default();
        report(
            pos(&raw.method),
            format!(
                "sign-in method `{}` is not known{hint}; known methods: {}",
                raw.method.value,
                known.join(", ")
            ),
        );
    }
    let mut date = |field: &str, value: &Option<Spanned<String>>| {
        let value = value.as_ref()?;
        match value.value.trim().parse::<jiff::civil::Date>() {
            // jiff also reads forms such as "2024-09-16T00:00"; a rule is a calendar day.
            Ok(day) if value.value.trim().len() == 10 => Some(day),
            _ => {
                report(
                    pos(value),
                    format!(
                        "`{field}: {}` is not a date; write it as YYYY-MM-DD (e.g. 2024-09-16)",
                        value.value
                    ),
                );
                None
            }
        }
    };
    let since = date("since", &raw.since);
    let until = date("until", &raw.until);
    if let (Some(since), Some(until), Some(at)) = (since, until, &raw.until)
        && until <= since
    {
        report(
            pos(at),
            format!("`until: {until}` is not after `since: {since}`: the rule would never hold"),
        );
    }
    let web = |text: &str| text.starts_with("https://") || text.starts_with("http://");
    let source = match &raw.source {
        Some(source) if web(source.value.trim()) => Some(source.value.trim().to_string()),
        Some(source) => {
            report(
                pos(source),
                format!(
                    "`source: {}` is not a web address (https://…) of the provider's page",
                    source.value
                ),
            );
            None
        }
        None => {
            report(
                pos(&raw.method),
                format!(
                    "the `{}` rule has no `source`: every sign-in rule names the provider's \
                     page it comes from",
                    raw.method.value
                ),
            );
            None
        }
    };
    if let Some(url) = &raw.url
        && !web(url.value.trim())
    {
        report(
            pos(url),
            format!("`url: {}` is not a web address (https://…)", url.value),
        );
    }
    Some(SigninRule {
        method: method?,
        works: raw.works,
        since,
        until,
        when: raw.when,
        reply: raw.reply,
        url: raw.url.map(|url| url.value.trim().to_string()),
        source: source?,
    })
}

/// Resolves one raw node's references and checks the fields its kind needs.
struct Resolver<'a> {
    node_index: &'a HashMap<String, NodeId>,
    cause_index: &'a HashMap<String, usize>,
    facts: &'a FactCatalogue,
    clients: &'a [Client],
    problems: &'a mut Diagnostics,
    warnings: &'a mut Diagnostics,
}

impl Resolver<'_> {
    fn report(&mut self, file: &str, at: Option<Position>, node: &str, message: String) {
        self.problems
            .push(Diagnostic::new(file, message).at(at).item(node));
    }

    fn target(&mut self, file: &str, node: &str, reference: &Spanned<String>) -> NodeId {
        match self.node_index.get(&reference.value) {
            Some(&id) => id,
            None => {
                let hint = closest(&reference.value, self.node_index.keys().map(String::as_str))
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                self.report(
                    file,
                    pos(reference),
                    node,
                    format!(
                        "refers to node `{}`, which does not exist{hint}",
                        reference.value
                    ),
                );
                NodeId::MAX
            }
        }
    }

    /// Text for the helpdesk (`say`, `agent_note`): when present, not blank and not longer
    /// than [`MAX_SPOKEN_CHARS`], since a blank one would show the agent an empty box.
    fn spoken_text(
        &mut self,
        file: &str,
        node: &str,
        field: &str,
        value: &Option<Spanned<String>>,
    ) -> Option<String> {
        let text = value.as_ref()?;
        let length = text.value.chars().count();
        if text.value.trim().is_empty() {
            self.report(
                file,
                pos(text),
                node,
                format!("`{field}` is empty: write the words, or leave the field out"),
            );
        } else if length > MAX_SPOKEN_CHARS {
            self.report(
                file,
                pos(text),
                node,
                format!(
                    "`{field}` is {length} characters; at most {MAX_SPOKEN_CHARS} (a few \
                     sentences) fit beside a question"
                ),
            );
        }
        Some(text.value.trim_end().to_string())
    }

    /// A fact relaydoc sets itself cannot be asked: the person's answer would contradict it.
    fn not_set_by_program(&mut self, file: &str, node: &str, fact: &Spanned<String>) {
        if self
            .facts
            .get(&fact.value)
            .is_some_and(|spec| spec.set_by_program)
        {
            self.report(
                file,
                pos(fact),
                node,
                format!(
                    "fact `{}` is set by relaydoc itself (set_by: program); no node may ask \
                     for it or set it",
                    fact.value
                ),
            );
        }
    }

    /// A required field: reports its absence and yields `None`.
    fn required<'v, T>(
        &mut self,
        file: &str,
        raw: &RawNode,
        field: &str,
        value: &'v Option<T>,
    ) -> Option<&'v T> {
        if value.is_none() {
            self.report(
                file,
                pos(&raw.id),
                &raw.id.value,
                format!("a {} node needs `{field}`", kind_name(raw.kind.value)),
            );
        }
        value.as_ref()
    }

    fn forbid(&mut self, file: &str, raw: &RawNode, fields: &[(&str, bool)]) {
        for (field, present) in fields {
            if *present {
                self.report(
                    file,
                    pos(&raw.id),
                    &raw.id.value,
                    format!(
                        "`{field}` has no meaning on a {} node",
                        kind_name(raw.kind.value)
                    ),
                );
            }
        }
    }

    fn fact_key(&mut self, file: &str, node: &str, key: &Spanned<String>) -> Option<&FactSpec> {
        let spec = self.facts.get(&key.value);
        if spec.is_none() {
            let hint = closest(&key.value, self.facts.facts.keys().map(String::as_str))
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            self.report(
                file,
                pos(key),
                node,
                format!(
                    "unknown fact `{}`{hint}; facts are declared in facts.yaml",
                    key.value
                ),
            );
        }
        spec
    }

    fn cause(&mut self, file: &str, node: &str, cause: &Spanned<String>) -> usize {
        match self.cause_index.get(&cause.value) {
            Some(&index) => index,
            None => {
                let hint = closest(&cause.value, self.cause_index.keys().map(String::as_str))
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                self.report(
                    file,
                    pos(cause),
                    node,
                    format!("unknown cause `{}`{hint}", cause.value),
                );
                usize::MAX
            }
        }
    }

    fn branches(&mut self, file: &str, node: &str, raw: &[RawBranch]) -> Vec<Branch> {
        raw.iter()
            .map(|branch| {
                let when = read_conditions(self.facts, &branch.when, false, &mut |at, message| {
                    self.problems
                        .push(Diagnostic::new(file, message).at(at).item(node))
                });
                if when.is_empty() {
                    self.report(
                        file,
                        pos(&branch.when),
                        node,
                        "a branch needs at least one condition in `when`".into(),
                    );
                }
                Branch {
                    when,
                    next: self.target(file, node, &branch.next),
                }
            })
            .collect()
    }

    /// `ask_if` / `ask_unless` / `fits`: fact conditions, each set non-empty.
    fn condition_sets(
        &mut self,
        file: &str,
        node: &str,
        field: &str,
        raw: &Option<Vec<Spanned<BTreeMap<String, OneOrMany>>>>,
    ) -> Vec<Vec<Condition>> {
        let mut sets = Vec::new();
        for set in raw.iter().flatten() {
            let conditions = read_conditions(self.facts, set, false, &mut |at, message| {
                self.problems
                    .push(Diagnostic::new(file, message).at(at).item(node))
            });
            if conditions.is_empty() {
                self.report(
                    file,
                    pos(set),
                    node,
                    format!("each entry of `{field}` needs at least one condition"),
                );
            }
            sets.push(conditions);
        }
        sets
    }

    fn steps(&mut self, file: &str, node: &str, raw: &Option<Vec<RawStep>>) -> Vec<Step> {
        let mut steps = Vec::new();
        for step in raw.iter().flatten() {
            match (&step.say, &step.client_task) {
                (Some(text), None) => steps.push(Step::Say(text.clone())),
                (None, Some(task)) => steps.push(Step::ClientTask(task.value.clone())),
                _ => self.report(
                    file,
                    None,
                    node,
                    "each step has exactly one of `say` or `client_task`".into(),
                ),
            }
        }
        steps
    }

    fn node(&mut self, sourced: Sourced<RawNode>) -> Node {
        let Sourced {
            item: raw, file, ..
        } = sourced;
        let id = raw.id.value.clone();
        let text = raw.text.clone().unwrap_or_default();
        if raw.text.is_none() {
            self.report(
                &file,
                pos(&raw.id),
                &id,
                format!("a {} node needs `text`", kind_name(raw.kind.value)),
            );
        }
        let say = self.spoken_text(&file, &id, "say", &raw.say);
        let agent_note = self.spoken_text(&file, &id, "agent_note", &raw.agent_note);
        if say.is_none() && matches!(raw.kind.value, RawKind::Question | RawKind::Input) {
            // Not an error: agent mode falls back to `text`, which is written for the person
            // at the keyboard, not for reading out on the phone.
            self.warnings.push(
                Diagnostic::new(
                    &file,
                    format!(
                        "this {} has no `say`; agent mode will show the end-user text \
                         instead of words to read out to the caller",
                        kind_name(raw.kind.value)
                    ),
                )
                .at(pos(&raw.id))
                .item(&id),
            );
        }
        if raw.format.is_some() && raw.kind.value != RawKind::Input {
            self.report(
                &file,
                pos(&raw.id),
                &id,
                format!(
                    "`format` has no meaning on a {} node",
                    kind_name(raw.kind.value)
                ),
            );
        }
        let body = match raw.kind.value {
            RawKind::Question => self.question(&file, &raw),
            RawKind::Input => self.input(&file, &raw),
            RawKind::Decide => {
                self.forbid(
                    &file,
                    &raw,
                    &[
                        ("fact", raw.fact.is_some()),
                        ("choices", raw.choices.is_some()),
                        ("check", raw.check.is_some()),
                        ("cause", raw.cause.is_some()),
                    ],
                );
                let branches = self.required(&file, &raw, "branches", &raw.branches);
                let branches = branches
                    .map(|b| self.branches(&file, &id, b))
                    .unwrap_or_default();
                let otherwise = match self.required(&file, &raw, "otherwise", &raw.otherwise) {
                    Some(next) => self.target(&file, &id, next),
                    None => NodeId::MAX,
                };
                NodeBody::Decide {
                    branches,
                    otherwise,
                }
            }
            RawKind::Check => self.check(&file, &raw),
            RawKind::Solution => {
                self.forbid(
                    &file,
                    &raw,
                    &[
                        ("choices", raw.choices.is_some()),
                        ("branches", raw.branches.is_some()),
                        ("next", raw.next.is_some()),
                        ("tell", raw.tell.is_some()),
                    ],
                );
                let cause = match self.required(&file, &raw, "cause", &raw.cause) {
                    Some(cause) => self.cause(&file, &id, cause),
                    None => usize::MAX,
                };
                let fits = match &raw.fits {
                    Some(fits) => read_conditions(self.facts, fits, false, &mut |at, message| {
                        self.problems
                            .push(Diagnostic::new(&file, message).at(at).item(&id))
                    }),
                    None => Vec::new(),
                };
                NodeBody::Solution {
                    cause,
                    steps: self.steps(&file, &id, &raw.steps),
                    server_fix: raw.server_fix.clone(),
                    fits,
                }
            }
            RawKind::Handoff => {
                self.forbid(
                    &file,
                    &raw,
                    &[
                        ("choices", raw.choices.is_some()),
                        ("branches", raw.branches.is_some()),
                        ("next", raw.next.is_some()),
                    ],
                );
                let cause = raw
                    .cause
                    .as_ref()
                    .map(|cause| self.cause(&file, &id, cause));
                let contact = self
                    .required(&file, &raw, "contact", &raw.contact)
                    .cloned()
                    .unwrap_or_default();
                let tell = self
                    .required(&file, &raw, "tell", &raw.tell)
                    .cloned()
                    .unwrap_or_default();
                NodeBody::Handoff {
                    cause,
                    contact,
                    tell,
                    steps: self.steps(&file, &id, &raw.steps),
                }
            }
        };
        let askable = matches!(
            raw.kind.value,
            RawKind::Question | RawKind::Input | RawKind::Check
        );
        if !askable && (raw.ask_if.is_some() || raw.ask_unless.is_some()) {
            self.report(
                &file,
                pos(&raw.id),
                &id,
                format!(
                    "`ask_if`/`ask_unless` have no meaning on a {} node",
                    kind_name(raw.kind.value)
                ),
            );
        }
        if raw.fits.is_some() && raw.kind.value != RawKind::Solution {
            self.report(
                &file,
                pos(&raw.id),
                &id,
                "`fits` belongs on solution nodes only".into(),
            );
        }
        let ask_if = self.condition_sets(&file, &id, "ask_if", &raw.ask_if);
        let ask_unless = self.condition_sets(&file, &id, "ask_unless", &raw.ask_unless);
        // Words that differ per program: kept as written, and the general words filled in
        // for every place that knows no program (the `other` guide's, where it has them).
        let per_client = [Some(&text), say.as_ref()]
            .into_iter()
            .flatten()
            .any(|written| written.contains(SIGNIN_QUESTION))
            .then(|| PerClientText {
                text: text.clone(),
                say: say.clone(),
            });
        let (text, say) = match &per_client {
            Some(_) => {
                let general = self
                    .clients
                    .iter()
                    .find(|client| client.id == "other")
                    .and_then(|client| client.signin_question.as_deref())
                    .unwrap_or(GENERAL_SIGNIN_QUESTION);
                (
                    fill_signin_question(&text, general),
                    say.map(|say| fill_signin_question(&say, general)),
                )
            }
            None => (text, say),
        };
        Node {
            per_client,
            origin: origin(&file, &raw.id),
            ask_if,
            ask_unless,
            id,
            title: raw.title,
            text,
            help: raw.help,
            say,
            agent_note,
            client_task: raw.client_task.map(|task| task.value),
            body,
        }
    }

    fn question(&mut self, file: &str, raw: &RawNode) -> NodeBody {
        let id = raw.id.value.as_str();
        self.forbid(
            file,
            raw,
            &[
                ("branches", raw.branches.is_some()),
                ("cause", raw.cause.is_some()),
                ("check", raw.check.is_some()),
            ],
        );
        let Some(fact) = self.required(file, raw, "fact", &raw.fact) else {
            return NodeBody::Question {
                fact: String::new(),
                choices: Vec::new(),
                unknown: NodeId::MAX,
                unknown_label: String::new(),
            };
        };
        let spec = self.fact_key(file, id, fact).cloned();
        self.not_set_by_program(file, id, fact);
        let mut choices = Vec::new();
        match (&raw.choices, &raw.choices_from) {
            (Some(_), Some(from)) => self.report(
                file,
                pos(from),
                id,
                "use either `choices` or `choices_from`, not both".into(),
            ),
            (Some(raw_choices), None) => {
                let mut seen = BTreeSet::new();
                for choice in raw_choices {
                    if !seen.insert(choice.value.value.clone()) {
                        self.report(
                            file,
                            pos(&choice.value),
                            id,
                            format!("choice value `{}` appears twice", choice.value.value),
                        );
                    }
                    if choice.value.value == UNKNOWN {
                        self.report(
                            file,
                            pos(&choice.value),
                            id,
                            "`unknown` is the \"I don't know\" choice: use the node's `unknown` \
                             field for it"
                                .into(),
                        );
                    }
                    if let Some(FactSpec {
                        values: Some(allowed),
                        ..
                    }) = &spec
                        && !allowed.contains(&choice.value.value)
                    {
                        self.report(
                            file,
                            pos(&choice.value),
                            id,
                            format!(
                                "`{}` is not a value of fact `{}`; allowed: {}",
                                choice.value.value,
                                fact.value,
                                allowed.join(", ")
                            ),
                        );
                    }
                    choices.push(Choice {
                        value: choice.value.value.clone(),
                        label: choice.label.clone(),
                        help: choice.help.clone(),
                        next: self.target(file, id, &choice.next),
                    });
                }
                if raw_choices.is_empty() {
                    self.report(file, pos(&raw.id), id, "a question needs choices".into());
                }
            }
            // `clients` offers every guide; `clients:KIND` those of one kind of sender.
            (None, Some(from))
                if from.value == "clients"
                    || from.value.strip_prefix("clients:").is_some_and(|kind| {
                        self.facts.check(SENDER_KIND, kind).is_ok() && kind != UNKNOWN
                    }) =>
            {
                let kind = from.value.strip_prefix("clients:");
                if let Some(next) = self.required(file, raw, "next", &raw.next) {
                    let next = self.target(file, id, next);
                    choices = self
                        .clients
                        .iter()
                        .filter(|client| kind.is_none() || client.kind.as_deref() == kind)
                        .map(|client| Choice {
                            value: client.id.clone(),
                            // "Mail on Mac (Apple Mail) (macOS)" reads badly: a name that
                            // ends in brackets gets its platform after a dash.
                            label: if client.name.ends_with(')') {
                                format!("{} – {}", client.name, client.platform)
                            } else {
                                format!("{} ({})", client.name, client.platform)
                            },
                            help: None,
                            next,
                        })
                        .collect();
                    if choices.is_empty() {
                        self.report(
                            file,
                            pos(from),
                            id,
                            format!("no client guide is of kind `{}`", kind.unwrap_or("any")),
                        );
                    }
                }
            }
            (None, Some(from)) => self.report(
                file,
                pos(from),
                id,
                format!(
                    "choices_from `{}` is not known; the sources are `clients` and \
                     `clients:KIND` (KIND a value of `sender.kind`)",
                    from.value
                ),
            ),
            (None, None) => self.report(
                file,
                pos(&raw.id),
                id,
                "a question needs `choices` (or `choices_from: clients`)".into(),
            ),
        }
        if matches!(&spec, Some(FactSpec { values: None, .. })) {
            self.report(
                file,
                pos(fact),
                id,
                format!(
                    "fact `{}` is free text: ask for it with an input node, not a question",
                    fact.value
                ),
            );
        }
        let unknown = match self.required(file, raw, "unknown", &raw.unknown) {
            Some(next) => self.target(file, id, next),
            None => NodeId::MAX,
        };
        NodeBody::Question {
            fact: fact.value.clone(),
            choices,
            unknown,
            unknown_label: raw
                .unknown_label
                .clone()
                .unwrap_or_else(|| "I don't know".to_string()),
        }
    }

    fn input(&mut self, file: &str, raw: &RawNode) -> NodeBody {
        let id = raw.id.value.as_str();
        self.forbid(
            file,
            raw,
            &[
                ("choices", raw.choices.is_some()),
                ("branches", raw.branches.is_some()),
                ("cause", raw.cause.is_some()),
            ],
        );
        let fact = self.required(file, raw, "fact", &raw.fact).cloned();
        if let Some(fact) = &fact {
            self.not_set_by_program(file, id, fact);
        }
        if let Some(fact) = &fact
            && let Some(FactSpec {
                values: Some(_), ..
            }) = self.fact_key(file, id, fact)
        {
            self.report(
                file,
                pos(fact),
                id,
                format!(
                    "fact `{}` has fixed values: ask for it with a question node",
                    fact.value
                ),
            );
        }
        let next = match self.required(file, raw, "next", &raw.next) {
            Some(next) => self.target(file, id, next),
            None => NodeId::MAX,
        };
        let unknown = match self.required(file, raw, "unknown", &raw.unknown) {
            Some(next) => self.target(file, id, next),
            None => NodeId::MAX,
        };
        NodeBody::Input {
            fact: fact.map(|fact| fact.value).unwrap_or_default(),
            secret: raw.secret.unwrap_or(false),
            multiline: raw.multiline.unwrap_or(false),
            placeholder: raw.placeholder.clone(),
            format: raw.format,
            next,
            unknown,
        }
    }

    fn check(&mut self, file: &str, raw: &RawNode) -> NodeBody {
        let id = raw.id.value.as_str();
        self.forbid(
            file,
            raw,
            &[
                ("choices", raw.choices.is_some()),
                ("fact", raw.fact.is_some()),
                ("cause", raw.cause.is_some()),
            ],
        );
        let check = self.required(file, raw, "check", &raw.check).cloned();
        let spec = check.as_ref().and_then(|check| {
            let spec = super::checks::spec(&check.value);
            if spec.is_none() {
                let known: Vec<&str> = super::checks::SPECS.iter().map(|s| s.name).collect();
                self.report(
                    file,
                    pos(check),
                    id,
                    format!(
                        "unknown check `{}`; known checks: {}",
                        check.value,
                        known.join(", ")
                    ),
                );
            }
            spec
        });
        let mut params = Vec::new();
        for (param, fact) in raw.with.iter().flatten() {
            self.fact_key(file, id, fact);
            if let Some(spec) = spec
                && !spec.params.contains(&param.as_str())
                && !spec.optional.contains(&param.as_str())
            {
                self.report(
                    file,
                    pos(fact),
                    id,
                    format!(
                        "check `{}` takes no parameter `{param}`; it takes: {}",
                        spec.name,
                        if spec.params.is_empty() {
                            "none".to_string()
                        } else {
                            spec.params.join(", ")
                        }
                    ),
                );
            }
            params.push((param.clone(), fact.value.clone()));
        }
        if let Some(spec) = spec {
            for needed in spec.params {
                if !params.iter().any(|(param, _)| param == needed) {
                    self.report(
                        file,
                        pos(&raw.id),
                        id,
                        format!("check `{}` needs parameter `{needed}` in `with`", spec.name),
                    );
                }
            }
        }
        let mut sets = Vec::new();
        for fact in self
            .required(file, raw, "sets", &raw.sets)
            .into_iter()
            .flatten()
        {
            self.fact_key(file, id, fact);
            self.not_set_by_program(file, id, fact);
            if let Some(spec) = spec
                && !spec.sets.contains(&fact.value.as_str())
            {
                self.report(
                    file,
                    pos(fact),
                    id,
                    format!(
                        "check `{}` never sets `{}`; it sets: {}",
                        spec.name,
                        fact.value,
                        spec.sets.join(", ")
                    ),
                );
            }
            sets.push(fact.value.clone());
        }
        let branches = raw
            .branches
            .as_deref()
            .map(|branches| self.branches(file, id, branches))
            .unwrap_or_default();
        let otherwise = match self.required(file, raw, "otherwise", &raw.otherwise) {
            Some(next) => self.target(file, id, next),
            None => NodeId::MAX,
        };
        NodeBody::Check {
            check: check.map(|check| check.value).unwrap_or_default(),
            params,
            sets,
            branches,
            otherwise,
        }
    }
}

fn kind_name(kind: RawKind) -> &'static str {
    match kind {
        RawKind::Question => "question",
        RawKind::Input => "input",
        RawKind::Decide => "decide",
        RawKind::Check => "check",
        RawKind::Solution => "solution",
        RawKind::Handoff => "handoff",
    }
}

fn node_problem(node: &Node, message: String) -> Diagnostic {
    Diagnostic::new(&node.origin.file, message)
        .at(node.origin.position)
        .item(&node.id)
}

/// Reachability, termination, loops and the facts conditions read.
fn check_graph(nodes: &[Node], start: NodeId, facts: &FactCatalogue, problems: &mut Diagnostics) {
    let successors: Vec<Vec<NodeId>> = nodes.iter().map(Node::successors).collect();

    // Reachable from the start. The diagnosis may conclude a cause at any of its solutions,
    // so reaching one solution of a cause reaches them all.
    let cause_of = |node: &Node| match &node.body {
        NodeBody::Solution { cause, .. } => Some(*cause),
        _ => None,
    };
    let mut reachable = vec![false; nodes.len()];
    let mut stack = vec![start];
    reachable[start] = true;
    while let Some(node) = stack.pop() {
        let siblings = cause_of(&nodes[node]).into_iter().flat_map(|cause| {
            (0..nodes.len()).filter(move |&other| cause_of(&nodes[other]) == Some(cause))
        });
        for next in successors[node].iter().copied().chain(siblings) {
            if !reachable[next] {
                reachable[next] = true;
                stack.push(next);
            }
        }
    }
    for (index, node) in nodes.iter().enumerate() {
        if !reachable[index] {
            problems.push(node_problem(
                node,
                format!("unreachable: no path from `{START_NODE}` leads to this node"),
            ));
        }
    }

    // Can reach an end (solution or hand-off).
    let mut predecessors = vec![Vec::new(); nodes.len()];
    for (node, nexts) in successors.iter().enumerate() {
        for &next in nexts {
            predecessors[next].push(node);
        }
    }
    let mut ends = vec![false; nodes.len()];
    let mut stack: Vec<NodeId> = (0..nodes.len())
        .filter(|&n| nodes[n].is_terminal())
        .collect();
    for &node in &stack {
        ends[node] = true;
    }
    while let Some(node) = stack.pop() {
        for &previous in &predecessors[node] {
            if !ends[previous] {
                ends[previous] = true;
                stack.push(previous);
            }
        }
    }
    for (index, node) in nodes.iter().enumerate() {
        if reachable[index] && !ends[index] {
            problems.push(node_problem(
                node,
                "no path from this node ends in a solution or hand-off (a dead end, or a loop \
                 without a way out)"
                    .into(),
            ));
        }
    }

    find_automatic_loops(nodes, &successors, problems);
    find_dont_know_loops(nodes, problems);
    check_facts_set_upstream(nodes, start, facts, &successors, &reachable, problems);
}

/// Decide and check nodes run without the person: a loop made only of them would spin for
/// ever, because nothing in it can change the facts it reads.
fn find_automatic_loops(nodes: &[Node], successors: &[Vec<NodeId>], problems: &mut Diagnostics) {
    let automatic = |n: NodeId| {
        matches!(
            nodes[n].body,
            NodeBody::Decide { .. } | NodeBody::Check { .. }
        )
    };
    // Iterative DFS with colours: 0 new, 1 on the stack, 2 done.
    let mut colour = vec![0u8; nodes.len()];
    let mut reported = BTreeSet::new();
    for root in (0..nodes.len()).filter(|&n| automatic(n)) {
        if colour[root] != 0 {
            continue;
        }
        let mut stack: Vec<(NodeId, usize)> = vec![(root, 0)];
        colour[root] = 1;
        while let Some(&mut (node, ref mut next_index)) = stack.last_mut() {
            let autos: Vec<NodeId> = successors[node]
                .iter()
                .copied()
                .filter(|&n| automatic(n))
                .collect();
            if *next_index < autos.len() {
                let next = autos[*next_index];
                *next_index += 1;
                match colour[next] {
                    0 => {
                        colour[next] = 1;
                        stack.push((next, 0));
                    }
                    1 => {
                        let cycle_start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let cycle: Vec<&str> = stack[cycle_start..]
                            .iter()
                            .map(|(n, _)| nodes[*n].id.as_str())
                            .chain([nodes[next].id.as_str()])
                            .collect();
                        if reported.insert(next) {
                            problems.push(node_problem(
                                &nodes[next],
                                format!(
                                    "loop without a way out: {} (no question in between, so \
                                     nothing can change the facts it decides on)",
                                    cycle.join(" → ")
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            } else {
                colour[node] = 2;
                stack.pop();
            }
        }
    }
}

/// A person may answer "I don't know" from any question on. The engine asks each fact once
/// and afterwards follows the answer it has, so a cycle through questions and inputs by their
/// `unknown` edge (and decide and check nodes by any branch) would run for ever without
/// asking anything new: the wizard would stop with no reason. Every node is a possible entry
/// (unreachable ones are reported on their own). Cycles of decide and check nodes alone are
/// [`find_automatic_loops`]'s.
fn find_dont_know_loops(nodes: &[Node], problems: &mut Diagnostics) {
    let asks = |n: NodeId| {
        matches!(
            nodes[n].body,
            NodeBody::Question { .. } | NodeBody::Input { .. }
        )
    };
    let dont_know_successors = |n: NodeId| -> Vec<NodeId> {
        match &nodes[n].body {
            NodeBody::Question { unknown, .. } | NodeBody::Input { unknown, .. } => {
                vec![*unknown]
            }
            _ => nodes[n].successors(),
        }
    };
    // Iterative DFS with colours: 0 new, 1 on the stack, 2 done.
    let mut colour = vec![0u8; nodes.len()];
    let mut reported = BTreeSet::new();
    for root in 0..nodes.len() {
        if colour[root] != 0 {
            continue;
        }
        colour[root] = 1;
        let mut stack: Vec<(NodeId, Vec<NodeId>)> = vec![(root, dont_know_successors(root))];
        walk_dont_know(
            nodes,
            &mut stack,
            &mut colour,
            &mut reported,
            &asks,
            &dont_know_successors,
            problems,
        );
    }
}

fn walk_dont_know(
    nodes: &[Node],
    stack: &mut Vec<(NodeId, Vec<NodeId>)>,
    colour: &mut [u8],
    reported: &mut BTreeSet<NodeId>,
    asks: &dyn Fn(NodeId) -> bool,
    dont_know_successors: &dyn Fn(NodeId) -> Vec<NodeId>,
    problems: &mut Diagnostics,
) {
    while let Some((node, pending)) = stack.last_mut() {
        let node = *node;
        let Some(next) = pending.pop() else {
            colour[node] = 2;
            stack.pop();
            continue;
        };
        match colour[next] {
            0 => {
                colour[next] = 1;
                stack.push((next, dont_know_successors(next)));
            }
            1 => {
                let cycle_start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                let members: Vec<NodeId> = stack[cycle_start..].iter().map(|(n, _)| *n).collect();
                if members.iter().any(|&n| asks(n)) && reported.insert(next) {
                    let mut names: Vec<&str> = members
                        .iter()
                        .take(12)
                        .map(|&n| nodes[n].id.as_str())
                        .collect();
                    if members.len() > 12 {
                        names.push("…");
                    }
                    names.push(nodes[next].id.as_str());
                    problems.push(node_problem(
                        &nodes[next],
                        format!(
                            "\"I don't know\" can loop: {} (answering \"I don't know\" at \
                             each question comes back here without a way out; send one \
                             `unknown:` to a node that ends, or branch on the unknown value)",
                            names.join(" → ")
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// A condition may only read a fact some node on a path to it can set.
fn check_facts_set_upstream(
    nodes: &[Node],
    start: NodeId,
    facts: &FactCatalogue,
    successors: &[Vec<NodeId>],
    reachable: &[bool],
    problems: &mut Diagnostics,
) {
    let mut fact_bits: HashMap<&str, usize> = HashMap::new();
    for node in nodes {
        for fact in node.sets() {
            let next_bit = fact_bits.len();
            fact_bits.entry(fact).or_insert(next_bit);
        }
    }
    let words = fact_bits.len().div_ceil(64).max(1);
    // may_be_set[n]: facts some path from the start may have set on arrival at n.
    let mut may_be_set = vec![vec![0u64; words]; nodes.len()];
    let mut queued = vec![false; nodes.len()];
    let mut work = vec![start];
    queued[start] = true;
    while let Some(node) = work.pop() {
        queued[node] = false;
        let mut leaving = may_be_set[node].clone();
        for fact in nodes[node].sets() {
            let bit = fact_bits[fact];
            leaving[bit / 64] |= 1 << (bit % 64);
        }
        for &next in &successors[node] {
            let mut changed = false;
            for (word, add) in may_be_set[next].iter_mut().zip(&leaving) {
                let merged = *word | add;
                changed |= merged != *word;
                *word = merged;
            }
            if changed && !queued[next] {
                queued[next] = true;
                work.push(next);
            }
        }
    }
    for (index, node) in nodes.iter().enumerate() {
        if !reachable[index] {
            continue;
        }
        let branches = match &node.body {
            NodeBody::Decide { branches, .. } | NodeBody::Check { branches, .. } => branches,
            _ => continue,
        };
        let mut read = BTreeSet::new();
        for branch in branches {
            for condition in &branch.when {
                read.insert(condition.fact.as_str());
            }
        }
        if let NodeBody::Check { sets, .. } = &node.body {
            for fact in sets {
                read.remove(fact.as_str());
            }
        }
        for fact in read {
            // relaydoc sets these before the walk starts (e.g. `session.mode`).
            if facts.get(fact).is_some_and(|spec| spec.set_by_program) {
                continue;
            }
            let set_upstream = fact_bits
                .get(fact)
                .is_some_and(|&bit| may_be_set[index][bit / 64] & (1 << (bit % 64)) != 0);
            if !set_upstream {
                problems.push(node_problem(
                    node,
                    format!(
                        "reads fact `{fact}`, but no question, input or check on any path to \
                         this node sets it"
                    ),
                ));
            }
        }
    }
}

/// Every client must have every task the tree asks for, or its users would get no steps.
fn check_client_tasks(nodes: &[Node], clients: &[Client], problems: &mut Diagnostics) {
    let mut used: BTreeMap<&str, &Node> = BTreeMap::new();
    for node in nodes {
        if let Some(task) = &node.client_task {
            used.entry(task.as_str()).or_insert(node);
        }
        let steps = match &node.body {
            NodeBody::Solution { steps, .. } | NodeBody::Handoff { steps, .. } => steps,
            _ => continue,
        };
        for step in steps {
            if let Step::ClientTask(task) = step {
                used.entry(task.as_str()).or_insert(node);
            }
        }
    }
    for client in clients {
        for (task, node) in &used {
            if !client.tasks.contains_key(*task) {
                problems.push(
                    Diagnostic::new(
                        &client.origin.file,
                        format!(
                            "has no task `{task}`, which node `{}` asks for; every client \
                             needs every task the tree uses",
                            node.id
                        ),
                    )
                    .at(client.origin.position)
                    .item(&client.id),
                );
            }
        }
    }
}
