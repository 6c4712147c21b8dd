//! Handlers: who performs a request the runtime does not answer itself. A
//! command, a loopback HTTP endpoint, or a Rust async function; each gets
//! the request and its identity (flow, position, an idempotency key that
//! stays the same across retries) and answers with a value or an error.

use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use skein::Value;
use tokio::io::AsyncWriteExt;

/// One request as a handler receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct HandlerRequest {
    /// The flow that made the request.
    pub flow: u64,
    /// The request's position in that flow.
    pub position: u64,
    /// The request's tag.
    pub tag: Value,
    /// Its payload.
    pub payload: Value,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
}

impl HandlerRequest {
    /// The same for every attempt at this request, and for no other
    /// request of this store: for a handler to do its work once however
    /// often it is asked.
    pub fn idempotency_key(&self) -> String {
        format!("skein-{}-{}", self.flow, self.position)
    }

    /// The request as JSON: what a command reads on stdin and an HTTP
    /// handler receives as its body. Tag and payload in the `skein-store`
    /// value encoding (docs/store-format.md).
    pub fn to_json(&self) -> serde_json::Value {
        let value = |v: &Value| v.to_store_json().unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "flow": self.flow,
            "position": self.position,
            "tag": value(&self.tag),
            "payload": value(&self.payload),
            "attempt": self.attempt,
            "idempotency_key": self.idempotency_key(),
        })
    }
}

/// What a Rust handler returns: the answer, or why the attempt failed.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;

type RustHandler = Arc<dyn Fn(HandlerRequest) -> HandlerFuture + Send + Sync>;

/// Who performs the requests of one tag.
#[derive(Clone)]
pub enum Handler {
    /// A shell command (`sh -c`): the request as JSON on stdin, its identity
    /// in `SKEIN_FLOW_ID`, `SKEIN_POSITION`, `SKEIN_ATTEMPT` and
    /// `SKEIN_IDEMPOTENCY_KEY`; it answers with a datum on stdout and exit
    /// status 0. Anything else fails the attempt, with its stderr.
    Command(String),
    /// A loopback `http://` URL: the request JSON as a POST, the identity
    /// also in an `Idempotency-Key` header; a 2xx response's body is the
    /// answer, as JSON in the value encoding (`application/json`) or as a datum.
    Http(String),
    /// A Rust async function.
    Rust(RustHandler),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Handler {
    /// `COMMAND` or `URL`, as `--handler TAG=COMMAND|URL` gives it. A URL
    /// must be `http://` on loopback: handlers are local.
    pub fn parse(spec: &str) -> Result<Handler, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("a handler needs a command or an http:// URL".into());
        }
        let Some(rest) = spec.strip_prefix("http://") else {
            if spec.starts_with("https://") {
                return Err(format!(
                    "{spec}: handlers are on loopback, over http:// (no TLS)"
                ));
            }
            return Ok(Handler::Command(spec.to_string()));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(format!(
                "{spec}: a handler URL has no user part: write http://127.0.0.1:PORT/PATH"
            ));
        }
        let host = match authority.rsplit_once(':') {
            Some((host, _port)) if !host.ends_with(']') || authority.starts_with('[') => host,
            _ => authority,
        };
        let loopback = matches!(host, "localhost" | "[::1]")
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!(
                "{spec}: a handler URL must be on loopback (127.0.0.1, localhost or [::1])"
            ));
        }
        Ok(Handler::Http(spec.to_string()))
    }

    /// A Rust async function as a handler.
    ///
    /// ```
    /// use skein::Value;
    /// use skein_runtime::Handler;
    ///
    /// let reserve = Handler::rust(|req| async move { Ok(Value::list([Value::symbol("reserved"), req.payload])) });
    /// assert_eq!(reserve.describe(), "a Rust function");
    /// ```
    pub fn rust<F, Fut>(f: F) -> Handler
    where
        F: Fn(HandlerRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        Handler::Rust(Arc::new(move |req| Box::pin(f(req))))
    }

    /// The handler for people: its command or URL.
    pub fn describe(&self) -> String {
        match self {
            Handler::Command(c) => c.clone(),
            Handler::Http(u) => u.clone(),
            Handler::Rust(_) => "a Rust function".to_string(),
        }
    }

    /// One attempt at `req`, stopped after `timeout`: the answer, or why
    /// the attempt failed.
    pub async fn call(&self, req: HandlerRequest, timeout: Duration) -> Result<Value, String> {
        let attempt = async {
            match self {
                Handler::Command(command) => run_command(command, &req).await,
                Handler::Http(url) => post(url, &req, timeout).await,
                Handler::Rust(f) => f(req.clone()).await,
            }
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "no answer within {} s (the handler timeout)",
                timeout.as_secs_f64()
            )),
        }
    }
}

async fn run_command(command: &str, req: &HandlerRequest) -> Result<Value, String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("SKEIN_FLOW_ID", req.flow.to_string())
        .env("SKEIN_POSITION", req.position.to_string())
        .env("SKEIN_ATTEMPT", req.attempt.to_string())
        .env("SKEIN_IDEMPOTENCY_KEY", req.idempotency_key())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A timed-out attempt is dropped: its process must not live on.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let body = req.to_json().to_string();
        // A command that does not read its stdin is not an error.
        let _ = stdin.write_all(body.as_bytes()).await;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("`{command}`: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let status = match out.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        return Err(with_detail(status, stderr.trim()));
    }
    answer(&String::from_utf8_lossy(&out.stdout), false)
}

async fn post(url: &str, req: &HandlerRequest, timeout: Duration) -> Result<Value, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", req.idempotency_key())
        .body(req.to_json().to_string())
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let json = response
        .headers()
        .get("content-type")
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let body = response
        .text()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if !status.is_success() {
        return Err(with_detail(format!("HTTP {status}"), body.trim()));
    }
    answer(&body, json)
}

/// A handler's answer: a datum (a quote taken at its word), or JSON in the
/// value encoding.
fn answer(text: &str, json: bool) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("it answered nothing (a datum was expected)".into());
    }
    let read = if json {
        Value::from_store_json_str(text)
    } else {
        crate::datum::read(text.trim())
    };
    read.map_err(|e| format!("its answer is not a datum: {e}"))
}

/// `what`, with the last lines of a handler's error output.
fn with_detail(what: String, detail: &str) -> String {
    const KEEP: usize = 1000;
    if detail.is_empty() {
        return what;
    }
    let start = detail.char_indices().rev().nth(KEEP).map_or(0, |(i, _)| i);
    format!("{what}: {}", &detail[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_handlers() {
        assert!(matches!(
            Handler::parse("http://127.0.0.1:8080/x"),
            Ok(Handler::Http(_))
        ));
        assert!(matches!(
            Handler::parse("http://localhost/x"),
            Ok(Handler::Http(_))
        ));
        assert!(matches!(
            Handler::parse("http://[::1]:9/x"),
            Ok(Handler::Http(_))
        ));
        let far = Handler::parse("http://example.com/hook").unwrap_err();
        assert!(far.contains("must be on loopback"), "{far}");
        assert!(Handler::parse("https://127.0.0.1/").is_err());
        assert!(Handler::parse("http://127.0.0.1:80@example.com/").is_err());
        assert!(matches!(
            Handler::parse("./reserve.sh --fast"),
            Ok(Handler::Command(_))
        ));
        assert!(Handler::parse("  ").is_err());
    }

    #[test]
    fn the_idempotency_key_names_the_request_not_the_attempt() {
        let req = |attempt| HandlerRequest {
            flow: 7,
            position: 2,
            tag: Value::symbol("charge"),
            payload: Value::from(10),
            attempt,
        };
        assert_eq!(req(1).idempotency_key(), req(3).idempotency_key());
        let json = req(2).to_json();
        assert_eq!(json["idempotency_key"], "skein-7-2");
        assert_eq!(json["attempt"], 2);
    }
}
