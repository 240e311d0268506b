//! piiguard: personal-data (GDPR) policy enforcement at layer 7.
pub mod audit;
pub mod audit_fields;
pub mod binobj;
pub mod bodies;
pub mod bytecmp;
pub mod config;
pub mod detect;
pub mod encoding;
pub mod engine;
pub mod fields;
pub mod filterexpr;
pub mod flow;
pub mod graphql;
pub mod grpc;
pub mod hostabi;
pub mod http;
pub mod json;
pub mod keyed;
pub mod model;
pub mod multipart;
pub mod normalize;
pub mod policy;
pub mod prose;
pub mod redact;
pub mod registry;
pub mod sorting;
pub mod spelled;
pub mod subject;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod textcode;
pub mod transport;
pub mod urlpath;
pub mod validate;
pub mod xmlfields;

#[cfg(target_arch = "wasm32")]
mod glue;
