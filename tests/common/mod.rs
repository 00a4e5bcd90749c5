//! Helpers shared by the integration tests.

pub mod isolated;
pub mod lab;
