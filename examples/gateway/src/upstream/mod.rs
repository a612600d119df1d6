//! The upstream side of the proxy: HTTP/1.1 to backend endpoints, spoken by
//! the gateway itself, over connections kept alive and reused.
//!
//! The exchange runs in the task of the request that needs it: the request
//! head (and body) are written and the response read by the request's own
//! future, and the response body by the downstream connection as it sends
//! the body on. No task per upstream connection, no channels between tasks.
//!
//! - [`h1`]: the I/O-free codec (request head, response head and framing,
//!   chunked coding), public for the fuzz targets;
//! - `connection`: one connection and one exchange on it, over any
//!   transport a connector makes (TCP in the gateway);
//! - `pool`: idle connections per endpoint, and their expiry;
//! - `upload` and `body`: the request body going up, the response body
//!   coming down;
//! - [`Error`]: why an exchange failed, with predicates.
//!
//! ```
//! use ingress_gateway::upstream::h1::{ResponseFraming, parse_response_head};
//!
//! // Both length headers: the body is chunked and the connection not reused.
//! let head = bytes::Bytes::from_static(
//!     b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
//! );
//! let head = parse_response_head(&head, &http::Method::GET).unwrap().unwrap();
//! assert!(matches!(head.framing(), ResponseFraming::Chunked(_)));
//! assert!(!head.keeps_connection());
//! ```

mod body;
mod connection;
mod error;
pub mod h1;
mod pool;
mod upload;

#[cfg(test)]
mod testing;

pub(crate) use body::UpstreamBody;
pub(crate) use connection::{Connection, TcpConnect};
pub use error::Error;
pub(crate) use h1::Forwarded;
pub(crate) use pool::{EXPIRY_INTERVAL, Endpoint, Pool, SendError};
pub(crate) use upload::Outbound;
