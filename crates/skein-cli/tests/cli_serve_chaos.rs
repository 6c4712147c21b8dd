//! The load-and-fault harness of many machines, bounded in count and time
//! and on loopback only: three `skein serve` processes on one PostgreSQL
//! database (a private cluster), two thousand flows that sleep on durable
//! timers and call a handler, and servers killed with SIGKILL at seeded
//! random moments and restarted. Every flow must finish, and every log must
//! hold each request's answer exactly once.

mod flow_common;
mod serve_common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flow_common::{Rng, Scratch};
use serve_common::*;
use skein::{Answer, Value};
use skein_runtime::{Filter, State};

/// `n` rounds of: a short durable sleep every other round, then a handler
/// request whose answer must be its payload.
const JOB: &str = "
(defflow job
  (lambda (n)
    (let loop ((i 0))
      (if (< i n)
          (begin
            (if (even? i) (flow/sleep 1))
            (let ((answer (request 'step i)))
              (if (equal? answer i) (loop (+ i 1)) (error \"wrong answer\" i answer))))
          'done))))";

const FLOWS: usize = 2000;
const ROUNDS: i64 = 6;
const SERVERS: usize = 3;
const KILLS: usize = 4;
const SEED: u64 = 0x5eed_0017;

/// A loopback HTTP handler answering each request with its payload,
/// counting the calls per idempotency key. Its URL.
fn handler(calls: Arc<Mutex<HashMap<String, u32>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}/step", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let calls = calls.clone();
            std::thread::spawn(move || answer(stream, &calls));
        }
    });
    url
}

fn answer(stream: std::net::TcpStream, calls: &Mutex<HashMap<String, u32>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // One request per connection: what reqwest sends may be kept alive, so
    // read requests until the connection closes.
    loop {
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let json: serde_json::Value = serde_json::from_slice(&body).expect("the request JSON");
        let key = json["idempotency_key"].as_str().unwrap().to_string();
        *calls.lock().unwrap().entry(key).or_default() += 1;
        let payload = json["payload"].to_string();
        let mut out = &stream;
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
            payload.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn servers_killed_at_random_finish_every_flow_with_exact_logs() {
    let s = Scratch::new();
    s.file("job.flow", JOB);
    let url = skein_postgres::testing::shared().create_database();
    let calls = Arc::new(Mutex::new(HashMap::new()));
    let handler = format!("step={}", handler(calls.clone()));
    let args = [
        "serve",
        "job.flow",
        "--listen",
        "127.0.0.1:0",
        "--store",
        &url,
        "--handler",
        &handler,
        "--handler-timeout",
        "1",
    ];
    let mut servers: Vec<Server> = (0..SERVERS)
        .map(|_| Server::start_with(&s, &args))
        .collect();
    let mut store = skein_postgres::Store::connect(&url).unwrap();
    let mut rng = Rng::new(SEED);
    let mut ids = Vec::new();
    // The kills come while flows are being started, so each lands in the
    // middle of the work whatever the machine's speed.
    let kill_every = FLOWS / (KILLS + 1);
    for i in 0..FLOWS {
        let body = format!(r#"{{"flow": "job", "args": [{ROUNDS}]}}"#);
        let (status, reply) = servers[i % SERVERS].http("POST", "/flows", &body);
        assert_eq!(status, 201, "{reply}");
        let json: serde_json::Value = serde_json::from_str(&reply).unwrap();
        ids.push(json["id"].as_u64().unwrap());
        if (i + 1) % kill_every == 0 && (i + 1) / kill_every <= KILLS {
            std::thread::sleep(Duration::from_millis(rng.below(300)));
            let victim = rng.below(SERVERS as u64) as usize;
            let dead = servers.swap_remove(victim);
            dead.signal("-KILL");
            dead.wait();
            let left = unfinished(&mut store);
            eprintln!(
                "after {} starts: server {victim} killed, {left} flows unfinished",
                i + 1
            );
            assert!(left > 0, "a kill came after the work was over");
            servers.push(Server::start_with(&s, &args));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while unfinished(&mut store) > 0 {
        assert!(Instant::now() < deadline, "flows left unfinished");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(servers);

    let done = Filter {
        status: Some(skein::FlowStatus::Done),
        waiting: None,
    };
    assert_eq!(store.flows(&done).unwrap().len(), FLOWS);
    let calls = calls.lock().unwrap();
    for &id in &ids {
        let info = store.flow(id).unwrap();
        assert_eq!(info.state, State::Done(Value::symbol("done")), "flow {id}");
        let history = store.history(id).unwrap();
        // Each round's request once, and a sleep before every other one.
        let steps: Vec<_> = history
            .iter()
            .filter(|e| e.tag == Value::symbol("step"))
            .collect();
        let sleeps = history
            .iter()
            .filter(|e| e.tag == Value::symbol("sleep"))
            .count();
        assert_eq!(
            (steps.len(), sleeps),
            (ROUNDS as usize, ROUNDS as usize / 2),
            "flow {id}"
        );
        for (i, entry) in steps.iter().enumerate() {
            assert_eq!(entry.payload, Value::from(i as i64), "flow {id}");
            assert_eq!(
                entry.answer,
                Answer::Response(Value::from(i as i64)),
                "flow {id}"
            );
        }
        // Every request reached the handler, at least once.
        for (position, entry) in history.iter().enumerate() {
            if entry.tag == Value::symbol("step") {
                let key = format!("skein-{id}-{position}");
                assert!(
                    calls.get(&key).is_some_and(|n| *n >= 1),
                    "{key} never handled"
                );
            }
        }
    }
}
