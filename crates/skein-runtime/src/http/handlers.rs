//! One function per route: read the request, ask the runtime, answer with
//! JSON. Refusals are [`ApiError`]s.

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use skein::RequestFailure;

use super::error::ApiError;
use super::extract::{present, value, values, FlowId, JsonBody, ListQuery};
use super::shapes::{DeadLetterJson, FlowJson, StepJson};
use crate::runtime::{Client, StepReport};

/// The body of `POST /flows`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    flow: String,
    #[serde(default, deserialize_with = "present")]
    args: Option<Box<RawValue>>,
}

/// The body of `POST /flows/{id}/answer`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    #[serde(default)]
    position: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    datum: Option<String>,
}

/// The body of `POST /flows/{id}/fail`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailBody {
    #[serde(default)]
    position: Option<u64>,
    message: String,
    #[serde(default)]
    timeout: bool,
}

fn step(status: StatusCode, report: &StepReport) -> Result<Response, ApiError> {
    Ok((status, Json(StepJson::new(report)?)).into_response())
}

pub(crate) async fn start(
    State(client): State<Client>,
    JsonBody(body): JsonBody<StartBody>,
) -> Result<Response, ApiError> {
    let args = match &body.args {
        Some(raw) => values("args", raw)?,
        None => Vec::new(),
    };
    let report = client.start(&body.flow, args).await?;
    let mut response = step(StatusCode::CREATED, &report)?;
    if let Ok(location) = HeaderValue::from_str(&format!("/flows/{}", report.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub(crate) async fn list(
    State(client): State<Client>,
    ListQuery(filter): ListQuery,
) -> Result<Response, ApiError> {
    let flows = client.flows(filter).await?;
    let flows = flows
        .iter()
        .map(FlowJson::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(serde_json::json!({ "flows": flows })).into_response())
}

pub(crate) async fn show(
    State(client): State<Client>,
    FlowId(id): FlowId,
) -> Result<Response, ApiError> {
    let (info, log) = client.flow(id).await?;
    Ok(Json(FlowJson::with_history(&info, &log)?).into_response())
}

pub(crate) async fn answer(
    State(client): State<Client>,
    FlowId(id): FlowId,
    JsonBody(body): JsonBody<AnswerBody>,
) -> Result<Response, ApiError> {
    let answer = match (&body.value, &body.datum) {
        (Some(raw), None) => value("value", raw)?,
        (None, Some(text)) => crate::datum::read(text).map_err(|e| {
            ApiError::bad_request("bad-datum", format!("`datum` cannot be read: {e}"))
        })?,
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "value-and-datum",
                "give the answer once: as `value` (JSON) or as `datum` (text), not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "missing-answer",
                "the body has no answer: give `value` (JSON) or `datum` (text)",
            ))
        }
    };
    let report = client.answer(id, body.position, answer).await?;
    step(StatusCode::OK, &report)
}

pub(crate) async fn fail(
    State(client): State<Client>,
    FlowId(id): FlowId,
    JsonBody(body): JsonBody<FailBody>,
) -> Result<Response, ApiError> {
    if body.message.trim().is_empty() {
        return Err(ApiError::bad_request(
            "missing-message",
            "a failure needs a `message`: the flow's guard reads it",
        ));
    }
    let failure = RequestFailure {
        message: body.message,
        timeout: body.timeout,
    };
    let report = client.fail(id, body.position, failure).await?;
    step(StatusCode::OK, &report)
}

pub(crate) async fn cancel(
    State(client): State<Client>,
    FlowId(id): FlowId,
) -> Result<Response, ApiError> {
    let report = client.cancel(id).await?;
    step(StatusCode::OK, &report)
}

pub(crate) async fn dead_letters(State(client): State<Client>) -> Result<Response, ApiError> {
    let letters = client.dead_letters().await?;
    let letters = letters
        .iter()
        .map(DeadLetterJson::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(serde_json::json!({ "dead_letters": letters })).into_response())
}

pub(crate) async fn export(State(client): State<Client>) -> Result<Response, ApiError> {
    let document = client.export_json().await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], document).into_response())
}

pub(crate) async fn metrics(State(client): State<Client>) -> Response {
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], client.metrics()).into_response()
}

pub(crate) async fn openapi() -> Response {
    let content_type = "application/json";
    ([(header::CONTENT_TYPE, content_type)], super::OPENAPI).into_response()
}

/// No route has this path.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-route",
        format!(
            "there is no {method} {}: GET /openapi.json lists the routes",
            uri.path()
        ),
    )
}

/// A route has this path, but not this method.
pub(crate) async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    let allowed: Vec<&str> = super::routes()
        .iter()
        .filter(|r| super::matches(r.path, path))
        .map(|r| r.verb.name())
        .collect();
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "{path} does not take {method}: it takes {}",
            allowed.join(", ")
        ),
    )
}
