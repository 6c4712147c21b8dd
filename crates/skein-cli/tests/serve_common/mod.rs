//! Shared by the `skein serve` tests: a server process on a scratch
//! directory's store, HTTP over loopback, signals, and checks of the flows
//! it drove.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use skein::{Answer, Value};
use skein_runtime::{Filter, FlowInfo, RuntimeStore, State};

use crate::flow_common::Scratch;

/// A flow of `n` handler requests; each answer must echo its payload.
pub const CHAIN: &str = "
(defflow chain
  (lambda (n)
    (let loop ((i 0))
      (if (< i n)
          (let ((answer (request 'step i)))
            (if (equal? answer i) (loop (+ i 1)) (error \"wrong answer\" i answer)))
          'done))))
(defflow nap (lambda (seconds) (flow/sleep seconds) 'awake))";

/// The step handler: records each call's idempotency key, answers the payload.
pub const STEP_HANDLER: &str = "#!/bin/sh
body=$(cat)
sleep 0.02
echo \"$SKEIN_IDEMPOTENCY_KEY\" >> calls.log
echo \"$body\" | sed -e 's/.*\"payload\":\\([0-9]*\\).*/\\1/'
";

pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Server {
    /// `skein serve chain.flow` with the `step` handler command, and `extra`.
    pub fn start(s: &Scratch, extra: &[&str]) -> Server {
        let mut args = vec![
            "serve",
            "chain.flow",
            "--listen",
            "127.0.0.1:0",
            "--handler",
            "step=sh step.sh",
            "--handler-timeout",
            "2",
        ];
        args.extend_from_slice(extra);
        Server::start_with(s, &args)
    }

    /// `skein` with `args` (which start with `serve`), once it listens.
    pub fn start_with(s: &Scratch, args: &[&str]) -> Server {
        let mut child = s
            .command(args)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("skein serve starts");
        // The first log lines name the address it listens on.
        let mut stderr = BufReader::new(child.stderr.take().expect("its stderr"));
        let mut line = String::new();
        let address = loop {
            line.clear();
            let read = stderr.read_line(&mut line).expect("its log");
            assert!(read > 0, "skein serve exited before it listened");
            if let Some(at) = line.find("listening on http://") {
                let rest = &line[at + "listening on http://".len()..];
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stderr.read_to_string(&mut sink);
        });
        Server { child, address }
    }

    /// One HTTP request; the status and body.
    pub fn http(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).expect("the server accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("a response");
        let status = response[9..12].parse().expect("a status code");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let ok = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    pub fn wait(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "skein serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn scratch() -> Scratch {
    let s = Scratch::new();
    s.file("chain.flow", CHAIN);
    s.file("step.sh", STEP_HANDLER);
    s
}

/// Start `count` chains of `n` steps through the API; their ids.
pub fn start_chains(server: &Server, count: usize, n: u32) -> Vec<u64> {
    (0..count)
        .map(|_| {
            let (status, body) = server.http(
                "POST",
                "/flows",
                &format!(r#"{{"flow": "chain", "args": [{n}]}}"#),
            );
            assert_eq!(status, 201, "{body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            json["id"].as_u64().expect("an id")
        })
        .collect()
}

/// The store the servers of a test share: the scratch directory's
/// `skein.db`, or a PostgreSQL URL.
pub fn open_store(s: &Scratch, url: Option<&str>) -> Box<dyn RuntimeStore> {
    match url {
        Some(url) => Box::new(skein_postgres::Store::connect(url).expect("the PostgreSQL store")),
        None => Box::new(skein_sqlite::Store::open(s.path("skein.db")).expect("the SQLite store")),
    }
}

/// Every chain in `ids` is done, with exactly `n` log entries, entry i
/// answering request i with i: each request answered once.
pub fn assert_all_done(store: &mut dyn RuntimeStore, ids: &[u64], n: u32) {
    for &id in ids {
        let info = store.flow(id).unwrap();
        assert_eq!(info.state, State::Done(Value::symbol("done")), "flow {id}");
        let history = store.history(id).unwrap();
        assert_eq!(history.len(), n as usize, "flow {id}: {history:?}");
        for (i, entry) in history.iter().enumerate() {
            assert_eq!(entry.payload, Value::from(i as i64));
            assert_eq!(entry.answer, Answer::Response(Value::from(i as i64)));
        }
    }
}

/// How many flows of the store still wait.
pub fn unfinished(store: &mut dyn RuntimeStore) -> usize {
    let flows: Vec<FlowInfo> = store.flows(&Filter::default()).unwrap();
    flows
        .iter()
        .filter(|f| matches!(f.state, State::Suspended { .. }))
        .count()
}

/// Wait (bounded) until every flow of the store is finished.
pub fn wait_all_finished(store: &mut dyn RuntimeStore) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while unfinished(store) > 0 {
        assert!(Instant::now() < deadline, "flows left unfinished");
        std::thread::sleep(Duration::from_millis(50));
    }
}
