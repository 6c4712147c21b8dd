//! Every refusal of the HTTP API: a 4xx (or 5xx) status and the body
//! `{"error": {"code": "<kebab-case>", "message": "<a sentence>"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use skein::FlowError;

use crate::runtime::RuntimeError;
use crate::store::StoreFailure;

/// Why a request was refused (nothing changed), or could not be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    /// Stable, for programs to match: `unknown-flow`, `wrong-position`, ...
    pub(crate) code: &'static str,
    /// For people.
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The request itself is malformed: 400.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code, "message": self.message}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> ApiError {
        let (status, code) = match &e {
            RuntimeError::Engine(engine) => engine_status(engine),
            RuntimeError::Store(StoreFailure::UnknownFlow(_)) => {
                (StatusCode::NOT_FOUND, "unknown-flow")
            }
            RuntimeError::Store(StoreFailure::Other(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "store-failure")
            }
            RuntimeError::Diverged { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "diverged"),
            RuntimeError::Conflict(_) | RuntimeError::Store(StoreFailure::IdTaken(_)) => {
                (StatusCode::CONFLICT, "conflict")
            }
            // Refused when the runtime starts, so never seen by a request.
            RuntimeError::Config(_) => (StatusCode::INTERNAL_SERVER_ERROR, "config"),
            RuntimeError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "shutting-down"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// The status and code of an engine refusal. Matched in full, so that a
/// new refusal is given a status on purpose rather than by default.
fn engine_status(e: &skein::Error) -> (StatusCode, &'static str) {
    const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
    match e {
        skein::Error::Flow(flow) => match flow {
            FlowError::UnknownFlow { .. } => (StatusCode::NOT_FOUND, "unknown-flow"),
            FlowError::UndefinedFlow { .. } => (StatusCode::NOT_FOUND, "undefined-flow"),
            FlowError::WrongStatus { .. } => (StatusCode::CONFLICT, "wrong-status"),
            FlowError::WrongPosition { .. } => (StatusCode::CONFLICT, "wrong-position"),
            FlowError::AlreadyAnswered { .. } => (StatusCode::CONFLICT, "already-answered"),
            FlowError::NotAFlow { .. } => (UNPROCESSABLE, "not-a-flow"),
            FlowError::WrongArgCount { .. } => (UNPROCESSABLE, "wrong-arg-count"),
            FlowError::NotRebuildable { .. } => (UNPROCESSABLE, "not-rebuildable"),
            FlowError::NotPlainData { .. } => (UNPROCESSABLE, "not-plain-data"),
            FlowError::TooDeep { .. } => (UNPROCESSABLE, "too-deep"),
            FlowError::NoIdsLeft { .. } => (UNPROCESSABLE, "no-ids-left"),
            FlowError::Diverged { .. } => (UNPROCESSABLE, "diverged"),
            FlowError::ReplayFailed { .. } => (UNPROCESSABLE, "replay-failed"),
            FlowError::Failed { .. } => (UNPROCESSABLE, "flow-failed"),
        },
        skein::Error::Limit(_) => (UNPROCESSABLE, "limit-exceeded"),
        skein::Error::Syntax(_)
        | skein::Error::Eval(_)
        | skein::Error::Interrupted
        | skein::Error::Exit(_)
        | skein::Error::Store(_)
        | skein::Error::Host(_)
        | skein::Error::Convert(_) => (UNPROCESSABLE, "refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skein::FlowStatus;

    fn mapped(e: RuntimeError) -> (u16, &'static str) {
        let e = ApiError::from(e);
        (e.status.as_u16(), e.code)
    }

    fn flow(e: FlowError) -> RuntimeError {
        RuntimeError::Engine(skein::Error::Flow(e))
    }

    #[test]
    fn an_unknown_flow_is_not_found_whoever_notices() {
        assert_eq!(
            mapped(RuntimeError::Store(StoreFailure::UnknownFlow(7))),
            (404, "unknown-flow")
        );
        assert_eq!(
            mapped(flow(FlowError::UnknownFlow { id: 7 })),
            (404, "unknown-flow")
        );
        let undefined = flow(FlowError::UndefinedFlow {
            name: "ordr".into(),
        });
        assert_eq!(mapped(undefined), (404, "undefined-flow"));
    }

    #[test]
    fn an_answer_the_flow_cannot_take_now_is_a_conflict() {
        let status = flow(FlowError::WrongStatus {
            id: 1,
            status: FlowStatus::Done,
            expected: FlowStatus::Suspended,
        });
        assert_eq!(mapped(status), (409, "wrong-status"));
        let position = flow(FlowError::WrongPosition {
            id: 1,
            position: 0,
            pending: 1,
        });
        assert_eq!(mapped(position), (409, "wrong-position"));
        assert_eq!(mapped(RuntimeError::Conflict(1)), (409, "conflict"));
    }

    #[test]
    fn other_engine_refusals_are_unprocessable() {
        let count = flow(FlowError::WrongArgCount {
            name: "order".into(),
            takes: "1 argument (id)".into(),
            got: 0,
        });
        assert_eq!(mapped(count), (422, "wrong-arg-count"));
        let diverged = RuntimeError::Diverged {
            id: 1,
            message: "the log has tag payment".into(),
        };
        assert_eq!(mapped(diverged), (422, "diverged"));
        let limit = skein::Error::Limit(skein::LimitError::new(skein::LimitKind::Steps, Some(1)));
        assert_eq!(mapped(RuntimeError::Engine(limit)), (422, "limit-exceeded"));
    }

    #[test]
    fn a_runtime_that_cannot_serve_says_so_with_a_5xx() {
        assert_eq!(mapped(RuntimeError::ShuttingDown), (503, "shutting-down"));
        let store = RuntimeError::Store(StoreFailure::Other("disk I/O error".into()));
        let e = ApiError::from(store);
        assert_eq!((e.status.as_u16(), e.code), (500, "store-failure"));
        assert_eq!(e.message, "disk I/O error");
    }

    #[test]
    fn the_body_holds_the_code_and_the_message() {
        let e = ApiError::bad_request("bad-json", "the body is not JSON");
        assert_eq!(
            e.body(),
            serde_json::json!({"error": {"code": "bad-json", "message": "the body is not JSON"}})
        );
    }
}
