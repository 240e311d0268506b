//! Body readings a client can choose without saying so: compressed bytes
//! without a `Content-Encoding` label ([`sniff`]).
pub mod sniff;
