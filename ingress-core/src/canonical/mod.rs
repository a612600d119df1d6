//! Request canonicalisation (section 3 of the contract): the host, the
//! path, and the request as a whole.
//!
//! The router decides on exactly the bytes the backend will see. Every
//! adapter (the Tower layer, the `route` command, the gateway) goes through
//! these functions, so they all answer alike.
//!
//! ```
//! use ingress_core::canonical::{PathOptions, RequestHost, canonicalize_host, canonicalize_path};
//!
//! assert_eq!(canonicalize_host(b"API.example.com:443").unwrap(), RequestHost::Name("api.example.com".into()));
//! assert_eq!(canonicalize_path("/v1//users/%41/./", &PathOptions::default()).unwrap().as_str(), "/v1/users/A/");
//! ```

mod error;
mod host;
mod path;
mod request;

pub use error::{Refusal, RequestError};
pub(crate) use host::already_canonical;
pub use host::{RequestHost, canonicalize_host};
pub use path::{CanonicalPath, DEFAULT_MAX_PATH_LENGTH, EncodedSlashes, PathOptions, PathProfile, canonicalize_path};
pub(crate) use path::{config_path_refusal, normalize_config_path};
pub use request::{
    CanonicalRequest, HostHeader, HostSources, HttpVersion, RequestHead, RequestTarget, canonicalize_parts,
    canonicalize_request, parse_target, select_host,
};
pub(crate) use request::{HostRef, canonicalize_parts_ref};
