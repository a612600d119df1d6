//! The one error of the upstream side: why a request got no (whole) answer
//! from an upstream.
//!
//! An opaque [`Error`] with predicates, so that callers decide on what
//! failed (connecting, the deadline, the upstream's bytes, a safe retry)
//! rather than on how this module happens to tell the cases apart.
//!
//! ```
//! use ingress_gateway::upstream::h1::parse_response_head;
//!
//! let head = bytes::Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
//! let error = parse_response_head(&head, &http::Method::GET).unwrap_err();
//! assert!(error.is_protocol());
//! assert!(!error.is_retryable());
//! assert_eq!(error.to_string(), "upstream answer refused: bad Content-Length");
//! ```

use std::fmt;
use std::io;

/// Why an exchange with an upstream failed: no connection, no answer in
/// time, an answer that is not HTTP/1.1 as the gateway reads it, a
/// connection that failed, or the client's request body that failed.
pub struct Error {
    kind: Kind,
}

enum Kind {
    /// No connection: refused, unreachable, or not made in time.
    Connect(io::Error),
    /// The connection closed or reset before any byte of an answer.
    Closed(io::Error),
    /// The connection failed while sending, or after part of an answer.
    Io(io::Error),
    /// What the upstream sent is not HTTP/1.1 as the gateway reads it.
    Protocol(&'static str),
    /// Reading the client's request body failed (it went away mid-body).
    RequestBody(hyper::Error),
    /// The upstream did not answer within the deadline.
    Timeout,
}

impl Error {
    pub(crate) fn connect(error: io::Error) -> Self {
        Self {
            kind: Kind::Connect(error),
        }
    }

    pub(crate) fn closed(error: io::Error) -> Self {
        Self {
            kind: Kind::Closed(error),
        }
    }

    pub(crate) fn io(error: io::Error) -> Self {
        Self { kind: Kind::Io(error) }
    }

    pub(crate) const fn protocol(what: &'static str) -> Self {
        Self {
            kind: Kind::Protocol(what),
        }
    }

    pub(crate) fn request_body(error: hyper::Error) -> Self {
        Self {
            kind: Kind::RequestBody(error),
        }
    }

    pub(crate) const fn timeout() -> Self {
        Self { kind: Kind::Timeout }
    }

    /// No connection could be made: refused, unreachable, or not made
    /// within the connect timeout (a slow connect is this, not
    /// [`Error::is_timeout`]).
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, Kind::Connect(_))
    }

    /// The upstream did not answer within the deadline for its response
    /// head.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout)
    }

    /// The upstream's bytes are not HTTP/1.1 as the gateway reads them
    /// (a malformed or oversized head, bad chunk framing).
    pub fn is_protocol(&self) -> bool {
        matches!(self.kind, Kind::Protocol(_))
    }

    /// The connection closed or reset before any byte of an answer: the
    /// upstream may never have seen the request, so one that is safe to
    /// repeat (no body, idempotent method) may go again on a new
    /// connection.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, Kind::Closed(_))
    }

    /// Reading the client's request body failed, not the upstream.
    pub fn is_request_body(&self) -> bool {
        matches!(self.kind, Kind::RequestBody(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Connect(error) => write!(f, "cannot connect: {error}"),
            Kind::Closed(error) | Kind::Io(error) => write!(f, "upstream failed: {error}"),
            Kind::Protocol(what) => write!(f, "upstream answer refused: {what}"),
            Kind::RequestBody(error) => write!(f, "request body failed: {error}"),
            Kind::Timeout => f.write_str("the upstream did not answer in time"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, detail): (&str, &dyn fmt::Debug) = match &self.kind {
            Kind::Connect(error) => ("Connect", error),
            Kind::Closed(error) => ("Closed", error),
            Kind::Io(error) => ("Io", error),
            Kind::Protocol(what) => ("Protocol", what),
            Kind::RequestBody(error) => ("RequestBody", error),
            Kind::Timeout => ("Timeout", &()),
        };
        f.debug_tuple("Error")
            .field(&format_args!("{kind}"))
            .field(detail)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Connect(error) | Kind::Closed(error) | Kind::Io(error) => Some(error),
            Kind::RequestBody(error) => Some(error),
            Kind::Protocol(_) | Kind::Timeout => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn each_kind_answers_exactly_its_predicate() {
        let refused = Error::connect(io::ErrorKind::ConnectionRefused.into());
        assert!(refused.is_connect() && !refused.is_timeout() && !refused.is_retryable());
        let closed = Error::closed(io::ErrorKind::UnexpectedEof.into());
        assert!(closed.is_retryable() && !closed.is_connect() && !closed.is_protocol());
        let broken = Error::io(io::ErrorKind::BrokenPipe.into());
        assert!(!broken.is_retryable() && !broken.is_connect() && !broken.is_protocol());
        let refused_head = Error::protocol("malformed response head");
        assert!(refused_head.is_protocol() && !refused_head.is_retryable());
        let late = Error::timeout();
        assert!(late.is_timeout() && !late.is_connect());
    }

    #[test]
    fn io_failures_keep_their_source_and_the_words_of_the_logs() {
        let closed = Error::closed(io::ErrorKind::UnexpectedEof.into());
        assert!(closed.source().is_some());
        assert!(closed.to_string().starts_with("upstream failed: "), "{closed}");
        let refused = Error::connect(io::ErrorKind::ConnectionRefused.into());
        assert!(refused.to_string().starts_with("cannot connect: "), "{refused}");
        assert!(Error::protocol("x").source().is_none());
    }
}
