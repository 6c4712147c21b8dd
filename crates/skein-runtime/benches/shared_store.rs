//! Throughput of 1, 2 and 4 runtimes sharing one PostgreSQL database (a
//! private cluster with fsync on, on disk), beside one runtime on a SQLite
//! file: the same workload, no-op Rust handlers, every commit durable.
//!
//! ```sh
//! cargo bench -p skein-runtime --bench shared_store
//! ```
//!
//! The runtimes run in this process, each with its own connection and
//! worker thread, as separate servers would; on a 2-core machine they
//! share the cores with the database server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skein::{FlowRecord, FlowStatus, PendingRequest, StoreDocument, Value};
use skein_runtime::{Config, Filter, Handler, Program, Runtime, RuntimeStore};

const FLOW: &str = "
(defflow worker
  (lambda (n)
    (let loop ((i 0))
      (if (< i n)
          (begin (request 'work i) (loop (+ i 1)))
          'done))))
";

const FLOWS: u64 = 200;
const STEPS: u64 = 50;

fn main() {
    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tempfile::tempdir_in(&base).expect("a scratch directory");
    let flow = dir.path().join("worker.flow");
    std::fs::write(&flow, FLOW).expect("the flow file");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let document = serde_json::to_string(&StoreDocument {
        next_id: FLOWS + 1,
        flows: (1..=FLOWS).map(worker).collect(),
    })
    .expect("a document");

    let db = dir.path().join("skein.db");
    skein_sqlite::Store::import_json_at(&db, &document, Some(&flow)).expect("the import");
    let open_sqlite = || skein_sqlite::Store::open(&db).expect("the SQLite store");
    let rate = run(&tokio, &flow, 1, open_sqlite);
    println!("SQLite, 1 server: {rate:.0} durable steps/s");

    let cluster = skein_postgres::testing::Cluster::start_durable(&base).expect("a cluster");
    for servers in [1, 2, 4] {
        let url = cluster.create_database();
        let mut store = skein_postgres::Store::connect(&url).expect("the store");
        store
            .import_json(&document, Some(&flow))
            .expect("the import");
        let open = || skein_postgres::Store::connect(&url).expect("the PostgreSQL store");
        let rate = run(&tokio, &flow, servers, open);
        println!("PostgreSQL, {servers} server(s): {rate:.0} durable steps/s");
    }
}

/// Steps per second of `servers` runtimes, each on a store from `open`,
/// taking every flow of the store to its end.
fn run<S: RuntimeStore>(
    tokio: &tokio::runtime::Runtime,
    flow: &std::path::Path,
    servers: usize,
    open: impl Fn() -> S,
) -> f64 {
    let answered = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let runtimes: Vec<Runtime> = (0..servers)
        .map(|_| {
            let counter = answered.clone();
            let noop = Handler::rust(move |req| {
                counter.fetch_add(1, Ordering::Relaxed);
                async move { Ok(req.payload) }
            });
            let config = Config {
                handlers: vec![("work".to_string(), noop)],
                ..Config::default()
            };
            Runtime::start(open(), Program::new([flow]), config, tokio.handle().clone())
                .expect("a runtime")
        })
        .collect();
    let total = FLOWS * STEPS;
    wait_until(|| answered.load(Ordering::Relaxed) >= total);
    let mut store = open();
    let done = Filter {
        status: Some(FlowStatus::Done),
        waiting: None,
    };
    wait_until(|| store.flows(&done).expect("a listing").len() as u64 == FLOWS);
    let elapsed = start.elapsed().as_secs_f64();
    for runtime in runtimes {
        runtime.shutdown();
    }
    total as f64 / elapsed
}

fn wait_until(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !ready() {
        assert!(Instant::now() < deadline, "the benchmark stalled");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A `worker` flow of `STEPS` requests, waiting on its first.
fn worker(id: u64) -> FlowRecord {
    FlowRecord {
        args: vec![Value::from(STEPS as i64)],
        error: None,
        flow: Some("worker".to_string()),
        id,
        log: vec![],
        pending: Some(PendingRequest {
            deadline: None,
            payload: Value::from(0),
            position: 0,
            tag: Value::symbol("work"),
            timeout: None,
        }),
        result: None,
        status: FlowStatus::Suspended,
    }
}
