//! The HTTP API of `skein serve`, driven through its real router over a
//! real runtime on a SQLite store, with flows from a real `.flow` file.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value as Json};
use skein_runtime::{Config, Program, Runtime};
use tower::ServiceExt;

const FLOWS: &str = r#"
;; Waits for a payment (a failed one is caught and shipped as declined),
;; then for the shipment, whose tag is a list: (ship id).
(defflow order
  (lambda (id)
    (let* ((paid (guard (e ((request-error? e)
                            (list 'declined (error-object-message e) (request-timeout? e))))
                   (request 'payment id)))
           (shipped (request (list 'ship id) paid)))
      (list 'shipped paid shipped))))

(defflow double (lambda (n) (* n 2)))

(defflow approval (lambda (id) (request 'approve id :timeout 3600)))
"#;

/// A runtime on a fresh store in a temporary directory, and its API.
struct Server {
    app: Router,
    // Dropped in this order: the runtime stops before its store's directory goes.
    _runtime: Runtime,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.flow");
    std::fs::write(&file, FLOWS).unwrap();
    let store = skein_sqlite::Store::open_or_create(dir.path().join("skein.db")).unwrap();
    let runtime = Runtime::start(
        store,
        Program::new([&file]),
        Config::default(),
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    Server {
        app: skein_runtime::http::router(runtime.client()),
        _runtime: runtime,
        _dir: dir,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Json {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A refusal: its status and error code (checking the error shape).
    fn refusal(&self) -> (StatusCode, String) {
        let body = self.json();
        let error = body["error"].as_object().expect("an error body");
        assert_eq!(error.len(), 2, "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        (self.status, error["code"].as_str().unwrap().to_string())
    }

    fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Server {
    async fn call(&self, method: &str, uri: &str, body: Option<&str>) -> Reply {
        let req = Request::builder().method(method).uri(uri);
        let req = match body {
            Some(body) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, None).await
    }

    async fn post(&self, uri: &str, body: Json) -> Reply {
        self.call("POST", uri, Some(&body.to_string())).await
    }

    /// Start a flow; its step report.
    async fn start(&self, flow: &str, args: Json) -> Json {
        let reply = self
            .post("/flows", json!({"flow": flow, "args": args}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()
    }

    async fn answer(&self, id: u64, body: Json) -> Reply {
        self.post(&format!("/flows/{id}/answer"), body).await
    }

    async fn show(&self, id: u64) -> Json {
        let reply = self.get(&format!("/flows/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    }

    async fn ids(&self, query: &str) -> Vec<u64> {
        let reply = self.get(&format!("/flows{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()["flows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_u64().unwrap())
            .collect()
    }
}

fn symbol(name: &str) -> Json {
    json!({ "symbol": name })
}

#[tokio::test]
async fn a_flow_started_and_answered_at_its_positions_finishes() {
    let s = server();
    let reply = s
        .post("/flows", json!({"flow": "order", "args": ["o-1"]}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.headers[header::LOCATION], "/flows/1");
    assert_eq!(
        reply.json(),
        json!({"id": 1, "status": "suspended",
               "pending": {"position": 0, "tag": symbol("payment"), "payload": "o-1"}})
    );
    let reply = s.answer(1, json!({"position": 0, "value": 1800})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"id": 1, "status": "suspended",
               "pending": {"position": 1, "tag": [symbol("ship"), "o-1"], "payload": 1800}})
    );
    let reply = s
        .answer(1, json!({"position": 1, "value": symbol("posted")}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"id": 1, "status": "done", "result": [symbol("shipped"), 1800, symbol("posted")]})
    );
}

#[tokio::test]
async fn an_answer_delivered_twice_is_refused_the_second_time_and_changes_nothing() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let answer = json!({"position": 0, "value": 1800});
    assert_eq!(s.answer(1, answer.clone()).await.status, StatusCode::OK);
    let before = s.show(1).await;
    let again = s.answer(1, answer).await;
    assert_eq!(
        again.refusal(),
        (StatusCode::CONFLICT, "wrong-position".to_string())
    );
    insta::assert_snapshot!(again.text);
    assert_eq!(s.show(1).await, before);
    assert_eq!(before["history"].as_array().unwrap().len(), 1);
    assert_eq!(before["pending"]["position"], 1);
}

#[tokio::test]
async fn an_answer_may_be_datum_text_and_is_read_not_evaluated() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let reply = s
        .answer(1, json!({"position": 0, "datum": "(paid 1800)"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json()["pending"]["payload"],
        json!([symbol("paid"), 1800])
    );
    // One quote comes off, as at the REPL.
    let reply = s.answer(1, json!({"datum": "'posted"})).await;
    assert_eq!(reply.json()["result"][2], symbol("posted"));
}

#[tokio::test]
async fn an_answer_needs_exactly_one_of_value_and_datum() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let before = s.show(1).await;
    for (body, code) in [
        (json!({"position": 0}), "missing-answer"),
        (json!({"value": 1, "datum": "1"}), "value-and-datum"),
        (json!({"datum": "(paid"}), "bad-datum"),
        (json!({"datum": "`(paid ,x)"}), "bad-datum"),
    ] {
        let reply = s.answer(1, body.clone()).await;
        assert_eq!(
            reply.refusal(),
            (StatusCode::BAD_REQUEST, code.to_string()),
            "{body}"
        );
    }
    assert_eq!(s.show(1).await, before);
}

#[tokio::test]
async fn a_failed_request_is_raised_in_the_flow_for_its_guard() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let reply = s
        .post(
            "/flows/1/fail",
            json!({"position": 0, "message": "card declined", "timeout": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The guard caught it and the flow went on to ship, as declined.
    assert_eq!(
        reply.json()["pending"]["payload"],
        json!([symbol("declined"), "card declined", false])
    );
    let shown = s.show(1).await;
    assert_eq!(
        shown["history"][0]["failure"],
        json!({"message": "card declined", "timeout": false})
    );
    assert!(shown["history"][0].get("response").is_none());

    s.start("order", json!(["o-2"])).await;
    let reply = s
        .post(
            "/flows/2/fail",
            json!({"message": "no answer in time", "timeout": true}),
        )
        .await;
    assert_eq!(
        reply.json()["pending"]["payload"],
        json!([symbol("declined"), "no answer in time", true])
    );
    let reply = s.post("/flows/2/fail", json!({"message": " "})).await;
    assert_eq!(
        reply.refusal(),
        (StatusCode::BAD_REQUEST, "missing-message".to_string())
    );
}

#[tokio::test]
async fn a_cancelled_flow_takes_nothing_more() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let reply = s.call("POST", "/flows/1/cancel", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"id": 1, "status": "cancelled"}));
    let again = s.call("POST", "/flows/1/cancel", None).await;
    assert_eq!(
        again.refusal(),
        (StatusCode::CONFLICT, "wrong-status".to_string())
    );
    assert_eq!(again.message(), "flow 1 is cancelled, not suspended");
    let answer = s.answer(1, json!({"value": 1})).await;
    assert_eq!(
        answer.refusal(),
        (StatusCode::CONFLICT, "wrong-status".to_string())
    );
    assert_eq!(s.show(1).await["status"], "cancelled");
}

#[tokio::test]
async fn flows_are_listed_by_status_and_by_the_tag_they_wait_on() {
    let s = server();
    s.start("order", json!(["o-1"])).await; // 1: waits on payment
    s.start("order", json!(["o-2"])).await; // 2: waits on (ship "o-2")
    s.answer(2, json!({"value": 1800})).await;
    assert_eq!(s.start("double", json!([21])).await["result"], 42); // 3: done
    let approval = s.start("approval", json!(["o-3"])).await; // 4
    assert_eq!(approval["pending"]["timeout"], 3600);
    assert!(approval["pending"]["deadline"].is_string(), "{approval}");
    s.start("order", json!(["o-4"])).await; // 5: cancelled
    s.call("POST", "/flows/5/cancel", None).await;

    assert_eq!(s.ids("").await, [1, 2, 3, 4, 5]);
    assert_eq!(s.ids("?status=suspended").await, [1, 2, 4]);
    assert_eq!(s.ids("?status=done").await, [3]);
    assert_eq!(s.ids("?status=cancelled").await, [5]);
    assert_eq!(s.ids("?status=failed").await, Vec::<u64>::new());
    assert_eq!(s.ids("?waiting=payment").await, [1]);
    // A list tag matches by its first element.
    assert_eq!(s.ids("?waiting=ship").await, [2]);
    assert_eq!(s.ids("?status=suspended&waiting=approve").await, [4]);
    assert_eq!(
        s.ids("?status=done&waiting=payment").await,
        Vec::<u64>::new()
    );

    let listed = s.get("/flows?status=done").await.json();
    let done = &listed["flows"][0];
    assert_eq!(done["flow"], "double");
    assert_eq!(done["args"], json!([21]));
    assert_eq!(done["result"], 42);
    assert!(done.get("history").is_none(), "{done}");

    let refused = s.get("/flows?status=running").await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::BAD_REQUEST, "bad-query".to_string())
    );
}

#[tokio::test]
async fn a_flow_is_shown_with_its_history() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    s.answer(
        1,
        json!({"position": 0, "value": {"map": [[{"keyword": "amount"}, 1800]]}}),
    )
    .await;
    let shown = s.show(1).await;
    assert_eq!(shown["id"], 1);
    assert_eq!(shown["flow"], "order");
    assert_eq!(shown["args"], json!(["o-1"]));
    assert_eq!(shown["status"], "suspended");
    assert_eq!(shown["pending"]["position"], 1);
    assert_eq!(shown["pending"]["tag"], json!([symbol("ship"), "o-1"]));
    for time in ["created_at", "updated_at"] {
        assert!(shown[time].as_str().unwrap().ends_with('Z'), "{shown}");
    }
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    let entry = &history[0];
    assert_eq!(entry["position"], 0);
    assert_eq!(entry["tag"], symbol("payment"));
    assert_eq!(entry["payload"], "o-1");
    assert_eq!(
        entry["response"],
        json!({"map": [[{"keyword": "amount"}, 1800]]})
    );
    assert!(entry["at"].as_str().unwrap().ends_with('Z'), "{entry}");
}

#[tokio::test]
async fn a_value_may_nest_as_deep_as_the_store_allows() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    // Deeper than serde_json's own limit of 128, within skein's 1,000.
    let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    let body = format!(r#"{{"position": 0, "value": {deep}}}"#);
    let reply = s.call("POST", "/flows/1/answer", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let shown = s.get("/flows/1").await;
    assert!(shown.text.contains(&deep), "the value came back whole");
}

#[tokio::test]
async fn an_unknown_flow_or_flow_name_is_not_found() {
    let s = server();
    for (method, uri, body) in [
        ("GET", "/flows/99", None),
        ("POST", "/flows/99/answer", Some(r#"{"value": 1}"#)),
        ("POST", "/flows/99/fail", Some(r#"{"message": "no"}"#)),
        ("POST", "/flows/99/cancel", None),
    ] {
        let reply = s.call(method, uri, body).await;
        assert_eq!(
            reply.refusal(),
            (StatusCode::NOT_FOUND, "unknown-flow".to_string()),
            "{method} {uri}"
        );
        assert_eq!(reply.message(), "no flow with id 99");
    }
    let reply = s.post("/flows", json!({"flow": "ordr", "args": []})).await;
    assert_eq!(
        reply.refusal(),
        (StatusCode::NOT_FOUND, "undefined-flow".to_string())
    );
}

#[tokio::test]
async fn malformed_requests_are_refused_and_change_nothing() {
    let s = server();
    for (method, uri, body, code) in [
        ("POST", "/flows", r#"{"flow": "#, "bad-json"),
        ("POST", "/flows", r#"{"args": ["o-1"]}"#, "bad-json"),
        (
            "POST",
            "/flows",
            r#"{"flow": "order", "arsg": []}"#,
            "bad-json",
        ),
        (
            "POST",
            "/flows",
            r#"{"flow": "order", "args": "o-1"}"#,
            "bad-value",
        ),
        (
            "POST",
            "/flows",
            r#"{"flow": "order", "args": [{"sybmol": "x"}]}"#,
            "bad-value",
        ),
        (
            "POST",
            "/flows",
            r#"{"flow": "double", "args": [1.5]}"#,
            "bad-value",
        ),
        ("GET", "/flows/abc", "", "bad-flow-id"),
    ] {
        let reply = s.call(method, uri, Some(body)).await;
        assert_eq!(
            reply.refusal(),
            (StatusCode::BAD_REQUEST, code.to_string()),
            "{body}: {}",
            reply.text
        );
    }
    assert_eq!(s.ids("").await, Vec::<u64>::new());

    s.start("order", json!(["o-1"])).await;
    let before = s.show(1).await;
    let reply = s.answer(1, json!({"value": {"sybmol": "paid"}})).await;
    assert_eq!(
        reply.refusal(),
        (StatusCode::BAD_REQUEST, "bad-value".to_string())
    );
    assert!(reply
        .message()
        .starts_with("`value` is not in the store format's value encoding"));
    assert_eq!(s.show(1).await, before);
}

#[tokio::test]
async fn a_start_with_the_wrong_number_of_arguments_uses_no_id() {
    let s = server();
    let reply = s.post("/flows", json!({"flow": "order"})).await;
    assert_eq!(
        reply.refusal(),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong-arg-count".to_string()
        )
    );
    insta::assert_snapshot!(reply.text);
    assert_eq!(s.start("double", json!([1])).await["id"], 1);
}

#[tokio::test]
async fn an_unknown_route_or_method_is_refused_in_the_error_shape() {
    let s = server();
    let reply = s.get("/flow").await;
    assert_eq!(
        reply.refusal(),
        (StatusCode::NOT_FOUND, "no-route".to_string())
    );
    assert_eq!(
        reply.message(),
        "there is no GET /flow: GET /openapi.json lists the routes"
    );
    let reply = s.call("DELETE", "/flows/1", None).await;
    assert_eq!(
        reply.refusal(),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed".to_string()
        )
    );
    assert_eq!(
        reply.message(),
        "/flows/1 does not take DELETE: it takes GET"
    );
    assert_eq!(reply.headers[header::ALLOW], "GET,HEAD");
    let reply = s.call("PUT", "/flows", None).await;
    assert_eq!(
        reply.message(),
        "/flows does not take PUT: it takes POST, GET"
    );
}

#[tokio::test]
async fn the_export_is_a_store_document_an_engine_imports() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    s.answer(1, json!({"value": 1800})).await;
    s.start("double", json!([2])).await;
    let reply = s.get("/export").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/json");
    let doc = reply.json();
    assert_eq!(doc["format"], "skein-store");
    assert_eq!(doc["flows"].as_array().unwrap().len(), 2);
    let mut engine = skein::Engine::new();
    engine.import_json(&reply.text).unwrap();
    assert_eq!(engine.status(2), Some(skein::FlowStatus::Done));
}

#[tokio::test]
async fn metrics_count_the_steps_for_prometheus() {
    let s = server();
    s.start("double", json!([2])).await;
    let reply = s.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    assert!(
        reply.text.lines().any(|l| l == "skein_steps_total 1"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn the_dead_letters_start_empty() {
    let s = server();
    let reply = s.get("/dead-letters").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"dead_letters": []}));
}

/// Fill a documented path's parameters with flow 1.
fn instance(path: &str) -> String {
    path.replace("{id}", "1")
}

#[tokio::test]
async fn every_route_in_the_openapi_document_is_served() {
    let s = server();
    s.start("order", json!(["o-1"])).await;
    let reply = s.get("/openapi.json").await;
    assert_eq!(reply.text, skein_runtime::http::OPENAPI);
    let doc = reply.json();
    let mut probed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method == "parameters" {
                continue;
            }
            let method = method.to_uppercase();
            let reply = s.call(&method, &instance(path), Some("{}")).await;
            assert_ne!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            if reply.status == StatusCode::NOT_FOUND {
                assert_ne!(reply.refusal().1, "no-route", "{method} {path}");
            }
            probed += 1;
        }
    }
    assert_eq!(probed, 10);
}

#[tokio::test]
async fn serve_answers_on_its_listener_until_told_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = skein_sqlite::Store::open_or_create(dir.path().join("skein.db")).unwrap();
    let runtime = Runtime::start(
        store,
        Program::default(),
        Config::default(),
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(skein_runtime::http::serve(
        listener,
        runtime.client(),
        async move {
            let _ = stopped.await;
        },
    ));
    let body = reqwest::get(format!("http://{address}/flows"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, r#"{"flows":[]}"#);
    stop.send(()).unwrap();
    // A bound, so that a server that does not stop fails the test rather than hangs it.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), served).await;
    stopped.expect("the server stops").unwrap().unwrap();
    runtime.shutdown();
}
