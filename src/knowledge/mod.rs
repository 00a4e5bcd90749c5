//! The knowledge base: loading, overlaying and validating the YAML under `knowledge/`.

pub mod source;
