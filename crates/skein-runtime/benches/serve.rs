//! Steps per second through the runtime, on disk with full durability
//! (SQLite, `synchronous = FULL`), with no-op Rust handlers; and the cost
//! of one step as the flows' history grows. Run:
//!
//! ```sh
//! cargo bench -p skein-runtime --bench serve            # in a directory on disk
//! SKEIN_BENCH_DIR=/dev/shm cargo bench -p skein-runtime --bench serve  # tmpfs
//! ```
//!
//! A plain binary, not criterion: each figure is one run of thousands of
//! steps, printed as steps per second and microseconds per step.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skein::{Answer, FlowRecord, FlowStatus, LogEntry, PendingRequest, StoreDocument, Value};
use skein_runtime::{Config, Filter, Handler, Program, Runtime};
use skein_sqlite::Store;

const FLOW: &str = "
(defflow worker
  (lambda (n)
    (let loop ((i 0))
      (if (< i n)
          (begin (request 'work i) (loop (+ i 1)))
          'done))))
";

fn main() {
    // On disk by default (the target directory): tmpfs would hide the syncs.
    let base = std::env::var_os("SKEIN_BENCH_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
        Into::into,
    );
    let dir = tempfile::tempdir_in(base).expect("a scratch directory");
    let flow = dir.path().join("worker.flow");
    std::fs::write(&flow, FLOW).expect("the flow file");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");

    println!("store in {}", dir.path().display());
    // Throughput: many flows at once, each step a handler call.
    let (flows, steps) = (200, 200);
    let rate = run(
        &tokio,
        dir.path(),
        &flow,
        "throughput",
        flows,
        0,
        steps,
        None,
    );
    println!("{flows} flows x {steps} steps, Rust no-op handler: {rate:.0} durable steps/s");
    // The same with a no-op handler over loopback HTTP.
    let url = tokio.block_on(noop_http_handler());
    let rate = run(&tokio, dir.path(), &flow, "http", flows, 0, 50, Some(&url));
    println!("{flows} flows x 50 steps, loopback HTTP no-op handler: {rate:.0} durable steps/s");

    // For comparison, in the same run: a step as `skein flow resume` takes
    // it (skein-sqlite's Store::resume), which rebuilds the flow by replay.
    for history in [10u64, 10_000] {
        let us = replaying_step(dir.path(), &flow, history);
        println!("Store::resume (replays), history {history:>6}: {us:.1} us per step");
    }

    // Step cost against history: flows that already answered `history`
    // requests. Three rounds, interleaved, so that a slow moment of the
    // disk does not land on one history only; the median is printed.
    let histories = [10u64, 1_000, 10_000];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); histories.len()];
    for round in 0..3 {
        for (i, &history) in histories.iter().enumerate() {
            let label = format!("history-r{round}");
            rates[i].push(run(
                &tokio,
                dir.path(),
                &flow,
                &label,
                50,
                history,
                400,
                None,
            ));
        }
    }
    for (history, mut rate) in histories.into_iter().zip(rates) {
        rate.sort_by(f64::total_cmp);
        let median = rate[1];
        println!(
            "history {history:>6}: {median:.0} steps/s, {:.1} us per step (median of {:.0} {:.0} {:.0})",
            1e6 / median,
            rate[0],
            rate[1],
            rate[2]
        );
    }
}

/// Microseconds per `Store::resume` of one flow that has answered
/// `history` requests: each step reads, replays and writes it.
fn replaying_step(dir: &std::path::Path, flow: &std::path::Path, history: u64) -> f64 {
    let db = dir.join(format!("replay-{history}.db"));
    let steps = 20;
    let document = StoreDocument {
        next_id: 2,
        flows: vec![worker(1, history, history + steps + 1)],
    };
    let json = serde_json::to_string(&document).expect("a document");
    Store::import_json_at(&db, &json, Some(flow)).expect("the import");
    let mut store = Store::open(&db).expect("the store");
    let start = Instant::now();
    for i in 0..steps {
        store
            .resume(1, Value::from((history + i) as i64), None)
            .expect("a step");
    }
    start.elapsed().as_secs_f64() * 1e6 / steps as f64
}

/// A loopback HTTP endpoint that answers every request with `#t`: its URL.
async fn noop_http_handler() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!(
        "http://{}/noop",
        listener.local_addr().expect("its address")
    );
    let app = axum::Router::new().route("/noop", axum::routing::post(|| async { "#t" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Steps per second for `flows` flows that each have answered `history`
/// requests and take `steps` more, after one warm-up step each; their
/// handler is a Rust no-op, or the HTTP endpoint `url`.
#[allow(clippy::too_many_arguments)]
fn run(
    tokio: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    flow: &std::path::Path,
    label: &str,
    flows: u64,
    history: u64,
    steps: u64,
    url: Option<&str>,
) -> f64 {
    let db = dir.join(format!("{label}-{history}.db"));
    let requests = history + steps + 1;
    let document = StoreDocument {
        next_id: flows + 1,
        flows: (1..=flows)
            .map(|id| worker(id, history, requests))
            .collect(),
    };
    let json = serde_json::to_string(&document).expect("a document");
    Store::import_json_at(&db, &json, Some(flow)).expect("the import");

    // Handler calls, in all and per flow.
    let answered = Arc::new(AtomicU64::new(0));
    let per_flow: Arc<Vec<AtomicU64>> = Arc::new((0..=flows).map(|_| AtomicU64::new(0)).collect());
    let (counter, calls) = (answered.clone(), per_flow.clone());
    let url = url.map(str::to_string);
    let noop = Handler::rust(move |req| {
        counter.fetch_add(1, Ordering::Relaxed);
        calls[req.flow as usize].fetch_add(1, Ordering::Relaxed);
        let url = url.clone();
        async move {
            match url {
                // The HTTP call itself is the handler's work.
                Some(url) => Handler::Http(url).call(req, Duration::from_secs(30)).await,
                None => Ok(req.payload),
            }
        }
    });
    let config = Config {
        handlers: vec![("work".to_string(), noop)],
        poll_interval: Duration::from_millis(20),
        ..Config::default()
    };
    let store = Store::open(&db).expect("the store");
    let runtime =
        Runtime::start(store, Program::new([flow]), config, tokio.handle().clone()).expect("start");
    let client = runtime.client();
    // The warm-up: every flow is claimed (it is due), its handler called,
    // and the answer's step rebuilds it by replay; the second call comes
    // after that step, from a warm flow.
    wait_until(|| per_flow[1..].iter().all(|c| c.load(Ordering::Relaxed) >= 2));
    let start = Instant::now();
    let before = answered.load(Ordering::Relaxed);
    let total = flows * (steps + 1);
    // Every answer given (the last ones commit within one more batch).
    wait_until(|| answered.load(Ordering::Relaxed) >= total);
    let done = Filter {
        status: Some(FlowStatus::Done),
        waiting: None,
    };
    wait_until(|| {
        let finished = tokio
            .block_on(client.flows(done.clone()))
            .expect("a listing");
        finished.len() as u64 == flows
    });
    let elapsed = start.elapsed().as_secs_f64();
    runtime.shutdown();
    (total - before) as f64 / elapsed
}

fn wait_until(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !ready() {
        assert!(Instant::now() < deadline, "the benchmark stalled");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A `worker` flow of `total` requests that has answered `history` of them.
fn worker(id: u64, history: u64, total: u64) -> FlowRecord {
    let work = Value::symbol("work");
    FlowRecord {
        args: vec![Value::from(total as i64)],
        error: None,
        flow: Some("worker".to_string()),
        id,
        log: (0..history)
            .map(|i| LogEntry {
                answer: Answer::Response(Value::from(i as i64)),
                at: None,
                payload: Value::from(i as i64),
                tag: work.clone(),
            })
            .collect(),
        pending: Some(PendingRequest {
            deadline: None,
            payload: Value::from(history as i64),
            position: history,
            tag: work,
            timeout: None,
        }),
        result: None,
        status: FlowStatus::Suspended,
    }
}
