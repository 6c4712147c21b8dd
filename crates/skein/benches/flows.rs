//! Flow benchmarks: `cargo bench -p skein --bench flows`.
//!
//! Prints throughput and latency figures; nothing here asserts a time.
//! - order lifecycles per second (start + 3 resumes) in one engine
//! - resume latency at history length 10 and 10,000 (should be flat)
//! - replay of a 20,000-entry log after import
//! - heap bytes per suspended order flow (live allocations / flows)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, to measure what a suspended flow costs.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

use skein::{Engine, Step, Value};

const ORDER: &str = "(defflow order-lifecycle
  (lambda (order-id)
    (let* ((reservation (request 'reserve order-id))
           (payment (request 'payment order-id))
           (shipment (request 'fulfil order-id)))
      (list 'completed order-id reservation payment shipment))))";

const COUNTER: &str = "(defflow counter
  (lambda (n)
    (let loop ((i 0))
      (if (< i n)
          (begin (request 'tick i) (loop (+ i 1)))
          i))))";

fn id_of(step: &Step) -> u64 {
    step.id()
}

fn order_lifecycles_per_second() {
    let mut engine = Engine::new();
    engine.eval(ORDER).unwrap();
    let n = 100_000;
    let start = Instant::now();
    for i in 0..n {
        let id = id_of(
            &engine
                .start("order-lifecycle", vec![Value::Int(i)])
                .unwrap(),
        );
        engine.resume(id, Value::symbol("reserved")).unwrap();
        engine.resume(id, Value::Int(1800)).unwrap();
        let done = engine.resume(id, Value::symbol("shipped")).unwrap();
        assert!(matches!(done, Step::Done { .. }));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "order lifecycles (start + 3 resumes): {:.0}/s ({n} in {secs:.2} s)",
        n as f64 / secs
    );
}

fn resume_latency(history: usize) -> Duration {
    let mut engine = Engine::new();
    engine.eval(COUNTER).unwrap();
    let id = id_of(
        &engine
            .start("counter", vec![Value::Int(1_000_000)])
            .unwrap(),
    );
    for _ in 0..history {
        engine.resume(id, Value::Bool(true)).unwrap();
    }
    let samples = 10_000;
    let start = Instant::now();
    for _ in 0..samples {
        engine.resume(id, Value::Bool(true)).unwrap();
    }
    start.elapsed() / samples
}

fn replay_after_import() {
    let mut engine = Engine::new();
    engine.eval(COUNTER).unwrap();
    let id = id_of(
        &engine
            .start("counter", vec![Value::Int(1_000_000)])
            .unwrap(),
    );
    for _ in 0..20_000 {
        engine.resume(id, Value::Bool(true)).unwrap();
    }
    let json = engine.export_json().unwrap();
    let mut fresh = Engine::new();
    fresh.eval(COUNTER).unwrap();
    let import_start = Instant::now();
    fresh.import_json(&json).unwrap();
    let import = import_start.elapsed();
    let replay_start = Instant::now();
    fresh.resume(id, Value::Bool(true)).unwrap();
    let replay = replay_start.elapsed();
    println!(
        "20,000-entry log: import_json {:.1} ms, replay on first resume {:.1} ms ({} KiB of JSON)",
        import.as_secs_f64() * 1e3,
        replay.as_secs_f64() * 1e3,
        json.len() / 1024
    );
}

fn bytes_per_suspended_order() {
    let mut engine = Engine::new();
    engine.eval(ORDER).unwrap();
    let n = 100_000;
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..n {
        let id = id_of(
            &engine
                .start("order-lifecycle", vec![Value::Int(i)])
                .unwrap(),
        );
        engine.resume(id, Value::symbol("reserved")).unwrap();
    }
    let after = LIVE.load(Ordering::Relaxed);
    println!(
        "heap per suspended order flow (waiting on payment): {} bytes",
        after.saturating_sub(before) / n as usize
    );
    let json = engine.export_json().unwrap();
    println!(
        "export size per suspended order flow: {} bytes of JSON",
        json.len() / n as usize
    );
}

fn main() {
    order_lifecycles_per_second();
    let short = resume_latency(10);
    let long = resume_latency(10_000);
    println!(
        "resume latency: {:.2} µs at history 10, {:.2} µs at history 10,000",
        short.as_secs_f64() * 1e6,
        long.as_secs_f64() * 1e6
    );
    replay_after_import();
    bytes_per_suspended_order();
}
