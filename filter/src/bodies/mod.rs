//! Body readings a client can choose without saying so: compressed bytes
//! without a `Content-Encoding` label ([`sniff`]), base64 or hex cut into
//! short chunks ([`joined`]), archives ([`archive`]).
pub mod archive;
pub mod fixed;
pub mod joined;
pub mod sniff;
