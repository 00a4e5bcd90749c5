//! Helpers shared by the integration tests.

pub mod hostile_dns;
pub mod isolated;
pub mod lab;
pub mod stories;
