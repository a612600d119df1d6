//! Responses: JSON bodies, the API server's `Status` errors, and the body
//! type shared by whole answers and watch streams.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, combinators::UnsyncBoxBody};
use serde_json::{Value, json};

/// A response body: a whole JSON document or a watch stream, whose error
/// breaks the connection mid-stream.
pub(crate) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A `Status` object: `kind: Status`, `status: Failure`, with `code`,
/// `reason` and `message`.
pub(crate) fn status_object(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}

/// A JSON answer with `status`.
pub(crate) fn json(status: u16, value: &Value) -> Response<Body> {
    let body = Full::new(Bytes::from(value.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A `Status` error answer.
pub(crate) fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    json(code, &status_object(code, reason, message))
}

/// The usual `reason` for an HTTP status.
pub(crate) fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}
