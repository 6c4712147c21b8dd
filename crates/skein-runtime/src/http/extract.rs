//! What a request carries, read so that every refusal is an [`ApiError`]:
//! a JSON body, a flow id in the path, the filters of a listing, and the
//! values inside them in the `skein-store` value encoding.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use skein::{FlowStatus, Value};

use super::error::ApiError;
use crate::store::Filter;

/// A JSON body. Its values are kept as text ([`RawValue`]) and decoded by
/// [`value`], so that a value may nest as deep as the store allows
/// (serde_json alone stops at 128 levels). The content type is not
/// checked: a webhook that sends JSON as `text/plain` is still understood.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(status, "body-too-large", e.body_text())
            } else {
                ApiError::new(status, "unreadable-body", e.body_text())
            }
        })?;
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => {
                return Err(ApiError::bad_request(
                    "bad-json",
                    "the request has no body: it takes a JSON object",
                ))
            }
            // serde would read a struct from an array too: `[1]` is no body.
            Some(b'{') => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "bad-json",
                    "the body is not a JSON object: this route takes one, as openapi.json says",
                ))
            }
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let what = if e.is_data() {
                "the body is not what this route takes"
            } else {
                "the body is not JSON"
            };
            ApiError::bad_request("bad-json", format!("{what}: {e}"))
        })
    }
}

/// The `{id}` of a `/flows/{id}` path.
pub(crate) struct FlowId(pub(crate) u64);

impl<S: Send + Sync> FromRequestParts<S> for FlowId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "bad-path", e.body_text()))?;
        match id.parse::<u64>() {
            Ok(id) => Ok(FlowId(id)),
            Err(_) => Err(ApiError::bad_request(
                "bad-flow-id",
                format!("`{id}` is not a flow id: flow ids are whole numbers from 1"),
            )),
        }
    }
}

/// `GET /flows?status=suspended&waiting=payment`.
pub(crate) struct ListQuery(pub(crate) Filter);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("bad-query", e.body_text()))?;
        let mut filter = Filter::default();
        let mut seen = Vec::new();
        for (name, text) in pairs {
            if seen.contains(&name) {
                return Err(ApiError::bad_request(
                    "bad-query",
                    format!("`{name}` is given twice: give each filter once"),
                ));
            }
            match name.as_str() {
                "status" => {
                    filter.status = Some(FlowStatus::parse(&text).ok_or_else(|| {
                        ApiError::bad_request(
                            "bad-query",
                            format!(
                            "`{text}` is not a status: use suspended, done, failed or cancelled"
                        ),
                        )
                    })?)
                }
                "waiting" if text.is_empty() => {
                    return Err(ApiError::bad_request(
                        "bad-query",
                        "`waiting` needs a tag name, as in waiting=payment",
                    ))
                }
                "waiting" => filter.waiting = Some(Value::symbol(text.as_str())),
                _ => {
                    return Err(ApiError::bad_request(
                        "bad-query",
                        format!(
                            "`{name}` is not a filter: flows are listed by `status` and `waiting`"
                        ),
                    ))
                }
            }
            seen.push(name);
        }
        Ok(ListQuery(filter))
    }
}

/// Deserialize a field that may hold any JSON, `null` included, as present:
/// `null` is a value (the unspecified value), not a missing field.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Box<RawValue>>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// The value `raw` encodes; `field` names it in a refusal.
pub(crate) fn value(field: &str, raw: &RawValue) -> Result<Value, ApiError> {
    Value::from_store_json_str(raw.get()).map_err(|e| bad_value(field, e))
}

/// The values of the JSON array `raw`.
pub(crate) fn values(field: &str, raw: &RawValue) -> Result<Vec<Value>, ApiError> {
    Value::vec_from_store_json_str(raw.get()).map_err(|e| bad_value(field, e))
}

fn bad_value(field: &str, e: skein::Error) -> ApiError {
    let why = match e {
        skein::Error::Store(why) => why,
        other => other.to_string(),
    };
    ApiError::bad_request(
        "bad-value",
        format!(
            "`{field}` is not in the store format's value encoding (docs/store-format.md): {why}"
        ),
    )
}
