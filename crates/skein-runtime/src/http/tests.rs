//! The routes against `openapi.json`, and the extractors' refusals.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tower::ServiceExt;

use super::extract::{FlowId, JsonBody, ListQuery};
use super::{matches, routes, OPENAPI};

fn document() -> serde_json::Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

#[test]
fn the_document_names_exactly_the_routes_the_router_serves() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if method != "parameters" {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<_> = routes()
        .iter()
        .map(|r| (r.verb.name().to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} points nowhere");
    }
}

#[test]
fn every_operation_documents_its_refusals_with_the_error_shape() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success response"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let name = response["$ref"].as_str().unwrap_or_default();
                    let response = doc
                        .pointer(name.trim_start_matches('#'))
                        .unwrap_or(response);
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_path_matches_its_route_template_segment_by_segment() {
    assert!(matches("/flows/{id}", "/flows/3"));
    assert!(matches("/flows/{id}/answer", "/flows/abc/answer"));
    assert!(!matches("/flows/{id}", "/flows/"));
    assert!(!matches("/flows/{id}", "/flows/3/answer"));
    assert!(!matches("/flows", "/export"));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Body1 {
    position: u64,
}

/// A router of stand-ins, to see the extractors refuse.
fn probe() -> Router {
    Router::new()
        .route("/body", post(|JsonBody(_): JsonBody<Body1>| async {}))
        .route(
            "/flows/{id}",
            get(|FlowId(id): FlowId| async move { id.to_string() }),
        )
        .route("/list", get(|ListQuery(_): ListQuery| async {}))
}

async fn refusal(req: Request<Body>) -> (StatusCode, String, String) {
    let response = probe().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON body");
    let error = &body["error"];
    (
        status,
        error["code"].as_str().unwrap().to_string(),
        error["message"].as_str().unwrap().to_string(),
    )
}

fn post_body(body: &str) -> Request<Body> {
    Request::post("/body")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_in_the_error_shape() {
    let (status, code, message) = refusal(post_body("{\"position\": ")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-json")
    );
    assert!(message.starts_with("the body is not JSON"), "{message}");
    let (status, code, message) = refusal(post_body(" [1] ")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-json")
    );
    assert!(
        message.starts_with("the body is not a JSON object"),
        "{message}"
    );
    let (status, code, message) = refusal(post_body("")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-json")
    );
    assert!(message.contains("no body"), "{message}");
}

#[tokio::test]
async fn a_missing_or_unknown_field_is_refused_with_its_name() {
    let (status, code, message) = refusal(post_body("{}")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-json")
    );
    assert!(message.contains("missing field `position`"), "{message}");
    let (_, _, message) = refusal(post_body(r#"{"position": 1, "postion": 1}"#)).await;
    assert!(message.contains("unknown field `postion`"), "{message}");
    let (_, _, message) = refusal(post_body(r#"{"position": -1}"#)).await;
    assert!(message.contains("-1"), "{message}");
}

#[tokio::test]
async fn a_flow_id_that_is_not_a_number_is_refused() {
    let req = Request::get("/flows/abc").body(Body::empty()).unwrap();
    let (status, code, message) = refusal(req).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-flow-id")
    );
    assert_eq!(
        message,
        "`abc` is not a flow id: flow ids are whole numbers from 1"
    );
}

#[tokio::test]
async fn a_listing_takes_a_known_status_and_a_tag_name() {
    for (query, says) in [
        ("status=running", "`running` is not a status"),
        ("waiting=", "`waiting` needs a tag name"),
        ("stauts=done", "`stauts` is not a filter"),
        ("status=done&status=failed", "`status` is given twice"),
    ] {
        let req = Request::get(format!("/list?{query}"))
            .body(Body::empty())
            .unwrap();
        let (status, code, message) = refusal(req).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "bad-query")
        );
        assert!(message.starts_with(says), "{query}: {message}");
    }
}
