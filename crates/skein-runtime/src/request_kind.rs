//! What a pending request asks of the runtime: one of the built-in
//! requests it answers itself, a handler's work, or the outside world's.

use skein::{PendingRequest, Timestamp, Value};

use crate::handler::Handler;

/// How the runtime serves one pending request.
pub(crate) enum RequestKind<'h> {
    /// `(flow/now)`: answered at once with the time.
    Now,
    /// `(flow/random n)`: answered at once with `0 <= k < n`; `None` when
    /// the payload is not a positive integer (the request is failed).
    Random(Option<u64>),
    /// `(flow/sleep s)`: answered `#t` `s` seconds after it was made;
    /// `None` when the payload is not a number of seconds (it is failed).
    Sleep(Option<f64>),
    /// Performed by this handler, with retries.
    Handler(&'h Handler),
    /// Waits for an answer from outside (the HTTP API, `skein flow`).
    Outside,
}

impl RequestKind<'_> {
    /// The built-ins answered at once, in the step that made them.
    pub(crate) fn is_immediate(&self) -> bool {
        matches!(self, RequestKind::Now | RequestKind::Random(_))
            || matches!(self, RequestKind::Sleep(s) if s.is_none_or(|s| s <= 0.0))
    }
}

/// Which kind `request` is, given the handlers by tag.
pub(crate) fn classify<'h>(
    request: &PendingRequest,
    handlers: &'h [(String, Handler)],
) -> RequestKind<'h> {
    if let Value::Symbol(name) = &request.tag {
        match name.as_str() {
            "now" => return RequestKind::Now,
            "random" => return RequestKind::Random(random_bound(&request.payload)),
            "sleep" => return RequestKind::Sleep(seconds(&request.payload)),
            _ => {}
        }
    }
    let Some(name) = tag_name(&request.tag) else {
        return RequestKind::Outside;
    };
    match handlers.iter().find(|(tag, _)| tag == name) {
        Some((_, handler)) => RequestKind::Handler(handler),
        None => RequestKind::Outside,
    }
}

/// The name a handler is chosen by: a symbol tag, or a list tag's first
/// element (`(deliver id n)` is served by the `deliver` handler).
pub(crate) fn tag_name(tag: &Value) -> Option<&str> {
    match tag {
        Value::Symbol(s) => Some(s),
        Value::List(items) => match items.first() {
            Some(Value::Symbol(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn random_bound(payload: &Value) -> Option<u64> {
    match payload {
        Value::Int(n) if *n > 0 => Some(*n as u64),
        _ => None,
    }
}

fn seconds(payload: &Value) -> Option<f64> {
    match payload {
        Value::Int(n) => Some(*n as f64),
        Value::Real(x) if x.is_finite() => Some(*x),
        Value::Rational(r) => r
            .split_once('/')
            .and_then(|(n, d)| Some(n.parse::<f64>().ok()? / d.parse::<f64>().ok()?)),
        _ => None,
    }
}

/// The time as `(flow/now)` answers it: seconds since the Unix epoch.
pub(crate) fn now_value(now: Timestamp) -> Value {
    Value::Real(now.millis() as f64 / 1000.0)
}
