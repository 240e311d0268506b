//! piiguard: personal-data (GDPR) policy enforcement at layer 7.
pub mod config;
pub mod detect;
pub mod engine;
pub mod fields;
pub mod json;
pub mod normalize;
pub mod policy;
pub mod redact;
pub mod validate;
