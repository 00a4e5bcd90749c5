//! Lookup tables relaydoc can read itself, for access checks and domain lists.
//!
//! `texthash:FILE` and `inline:{…}` are read as Postfix reads them. For `hash:`, `btree:`,
//! `lmdb:` and `dbm:` the source text FILE (the one `postmap` compiles) is read instead of the
//! binary database, which is close enough unless someone forgot to run `postmap` — said in
//! the note. `cidr:` tables match addresses. Everything else (`mysql:`, `pcre:`, `ldap:`, …)
//! is opaque: lookups answer "unknown" and the caller reports the approximation.

use std::net::IpAddr;
use std::path::Path;

use crate::postfix::net::Net;

#[derive(Debug, Clone)]
pub enum Table {
    /// Key → value, keys lower-cased (Postfix folds case for these table types).
    Pairs {
        spec: String,
        pairs: Vec<(String, String)>,
        note: Option<String>,
    },
    Cidr {
        spec: String,
        rules: Vec<(Net, String)>,
    },
    Opaque {
        spec: String,
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    NotFound,
    Unknown(String),
}

impl Table {
    /// Opens `type:name` as Postfix would name it in main.cf.
    pub fn open(spec: &str) -> Self {
        let opaque = |why: &str| Self::Opaque {
            spec: spec.to_owned(),
            why: why.to_owned(),
        };
        let inner = spec.strip_prefix("proxy:").unwrap_or(spec);
        let Some((kind, name)) = inner.split_once(':') else {
            return opaque("not a type:table name");
        };
        match kind {
            "inline" => {
                let body = name.trim();
                let Some(body) = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
                    return opaque("inline: needs { key=value, … }");
                };
                Self::Pairs {
                    spec: spec.to_owned(),
                    pairs: inline_pairs(body),
                    note: None,
                }
            }
            "texthash" | "hash" | "btree" | "lmdb" | "dbm" | "cdb" | "sdbm" => {
                if !name.starts_with('/') {
                    return opaque("not an absolute path; relaydoc does not guess the directory");
                }
                match crate::postfix::read_named_file(Path::new(name)) {
                    Ok(text) => Self::Pairs {
                        spec: spec.to_owned(),
                        pairs: source_pairs(&text),
                        note: (kind != "texthash").then(|| {
                            format!(
                                "read from the source file {name}; Postfix reads {name}.db \
                                 (run `postmap {spec}` if the two differ)"
                            )
                        }),
                    },
                    Err(why) => opaque(&format!("{name}: {}", why.reason())),
                }
            }
            "cidr" => match crate::postfix::read_named_file(Path::new(name)) {
                Ok(text) => Self::Cidr {
                    spec: spec.to_owned(),
                    rules: text
                        .lines()
                        .filter_map(|line| {
                            let line = line.trim();
                            if line.starts_with('#') {
                                return None;
                            }
                            let (net, value) = line.split_once(char::is_whitespace)?;
                            Some((Net::parse(net)?, value.trim().to_owned()))
                        })
                        .collect(),
                },
                Err(why) => opaque(&format!("{name}: {}", why.reason())),
            },
            other => opaque(&format!("{other}: tables are not read by relaydoc")),
        }
    }

    pub fn spec(&self) -> &str {
        match self {
            Self::Pairs { spec, .. } | Self::Cidr { spec, .. } | Self::Opaque { spec, .. } => spec,
        }
    }

    pub fn note(&self) -> Option<String> {
        match self {
            Self::Pairs { note, .. } => note.clone(),
            Self::Opaque { spec, why } => Some(format!("{spec}: {why}")),
            Self::Cidr { .. } => None,
        }
    }

    /// One exact key.
    pub fn get(&self, key: &str) -> Lookup {
        match self {
            Self::Pairs { pairs, .. } => {
                let key = key.to_ascii_lowercase();
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == key)
                    .map_or(Lookup::NotFound, |(_, v)| Lookup::Found(v.clone()))
            }
            // A CIDR table matches addresses only.
            Self::Cidr { rules, .. } => match key.parse::<IpAddr>() {
                Ok(ip) => rules
                    .iter()
                    .find(|(net, _)| net.contains(ip))
                    .map_or(Lookup::NotFound, |(_, v)| Lookup::Found(v.clone())),
                Err(_) => Lookup::NotFound,
            },
            Self::Opaque { spec, why } => Lookup::Unknown(format!("{spec}: {why}")),
        }
    }
}

/// `key value` lines; a line that starts with whitespace continues the value.
fn source_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = pairs.last_mut() {
                value.push(' ');
                value.push_str(trimmed);
            }
            continue;
        }
        let (key, value) = trimmed
            .split_once(char::is_whitespace)
            .unwrap_or((trimmed, ""));
        pairs.push((key.to_ascii_lowercase(), value.trim().to_owned()));
    }
    pairs
}

/// `key=value, { key = value with spaces }`.
fn inline_pairs(body: &str) -> Vec<(String, String)> {
    crate::postfix::config::split_list(body)
        .into_iter()
        .filter_map(|item| {
            let item = item
                .strip_prefix('{')
                .and_then(|i| i.strip_suffix('}'))
                .unwrap_or(&item)
                .to_owned();
            let (key, value) = item.split_once('=')?;
            Some((key.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tables() {
        let table =
            Table::open("inline:{ example.net=OK, { example.org = REJECT no relay here } }");
        assert_eq!(table.get("EXAMPLE.NET"), Lookup::Found("OK".into()));
        assert_eq!(
            table.get("example.org"),
            Lookup::Found("REJECT no relay here".into())
        );
        assert_eq!(table.get("other"), Lookup::NotFound);
    }

    #[test]
    fn texthash_and_hash_sources() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("access");
        std::fs::write(
            &path,
            "# comment\n127.0.0.3 OK\nexample.org   REJECT  go\n   away\n",
        )
        .expect("write");
        let spec = format!("texthash:{}", path.display());
        let table = Table::open(&spec);
        assert_eq!(table.get("127.0.0.3"), Lookup::Found("OK".into()));
        assert_eq!(
            table.get("example.org"),
            Lookup::Found("REJECT  go away".into())
        );
        assert!(table.note().is_none());
        let hash = Table::open(&format!("hash:{}", path.display()));
        assert!(hash.note().is_some_and(|n| n.contains("postmap")));
        assert!(matches!(
            Table::open("mysql:/etc/x.cf").get("a"),
            Lookup::Unknown(_)
        ));
        assert!(matches!(
            Table::open("hash:/nonexistent/x").get("a"),
            Lookup::Unknown(_)
        ));
    }
}
