//! `skein flow` steps (start, resume, cancel) meeting a server's writes
//! on one SQLite store. The `RuntimeStore` contract itself, which every
//! store keeps, is tested once for all stores in
//! crates/skein-runtime/tests/store_contract.rs.

mod common;

use common::{datum, snapshot, Scratch};
use skein::{Engine, Timestamp, Value};
use skein_runtime::{Applied, RuntimeStore, Schedule, Write};
use skein_sqlite::Store;

const ORDER: &str = "
(defflow order
  (lambda (id)
    (let ((r (request 'reserve id)))
      (list r (request '(payment card) id)))))
(defflow count
  (lambda () (let loop ((n 0)) (loop (+ n (request 'tick n))))))";

/// No handler work to do: the flow waits for the outside world.
const PARKED: Schedule = Schedule {
    due_at: None,
    attempts: 0,
};

/// A server's engine, with the flow file loaded.
fn server(flow: &std::path::Path) -> Engine {
    let mut engine = Engine::new();
    engine.load_file(flow).unwrap();
    engine
}

/// What a server does with a due flow: load it, answer its request in a
/// warm engine, and hand back the step as an `Update` (not yet committed).
fn step(store: &mut Store, engine: &mut Engine, id: u64, answer: &str) -> Write {
    let loaded = store.load(id).unwrap();
    let from = loaded.record.log.len() as u64;
    engine.admit(loaded.record).unwrap();
    engine.resume(id, datum(answer)).unwrap();
    Write::Update {
        tail: engine.flow_record_from(id, from).unwrap(),
        from,
        version: loaded.version,
        schedule: PARKED,
        since: Some(Timestamp::now()),
    }
}

fn version(store: &mut Store, id: u64) -> u64 {
    store.load(id).unwrap().version
}

#[test]
fn a_cli_answer_between_load_and_commit_makes_the_servers_update_a_conflict() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    store.start(&flow, "order", vec![Value::from("a")]).unwrap();
    let mut engine = server(&flow);
    let update = step(&mut store, &mut engine, 1, "server");
    // Another process (`skein flow resume`) answers first.
    let mut cli = Store::open(s.db()).unwrap();
    cli.resume(1, datum("cli"), None).unwrap();
    let before = snapshot(&store);
    assert_eq!(store.commit(&[update]).unwrap(), [Applied::Conflict]);
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.log(1).unwrap(), [(datum("reserve"), datum("cli"))]);
}

#[test]
fn a_flow_the_cli_starts_or_answers_is_due_at_once_and_one_it_ends_never() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    let started = Timestamp::now();
    store.start(&flow, "order", vec![Value::from("a")]).unwrap();
    let loaded = store.load(1).unwrap();
    assert!(loaded.since.unwrap() >= started);
    // A server parks it (no handler for `reserve`), having tried twice.
    let park = Write::Reschedule {
        id: 1,
        version: loaded.version,
        schedule: Schedule {
            due_at: None,
            attempts: 2,
        },
    };
    store.commit(&[park]).unwrap();
    assert_eq!(store.next_due().unwrap(), None);
    // `skein flow resume` answers it: due again, on a new request, no attempts yet.
    store.resume(1, datum("r"), None).unwrap();
    let now = Timestamp::now();
    let due = store.claim_due(now, now.after(5.0), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].pending.position, due[0].attempts), (1, 0));
    assert!(due[0].since >= loaded.since.unwrap());
    store.cancel(1).unwrap();
    let cancelled = store.load(1).unwrap();
    assert_eq!((cancelled.since, cancelled.attempts), (None, 0));
    assert_eq!(store.next_due().unwrap(), None);
}

#[test]
fn cli_steps_after_a_servers_writes_take_the_next_id_and_a_newer_version() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    store
        .start(&flow, "order", vec![Value::from("cli")])
        .unwrap();
    let mut engine = server(&flow);
    engine.set_next_flow_id(store.next_id().unwrap());
    let id = engine.start("order", vec![Value::from("a")]).unwrap().id();
    let insert = Write::Insert {
        record: engine.flow_record(id).unwrap(),
        source: Some(flow.clone()),
        schedule: PARKED,
    };
    let [Applied::Written { version: inserted }] = store.commit(&[insert]).unwrap()[..] else {
        panic!("the insert should be written");
    };
    let update = step(&mut store, &mut engine, 1, "r");
    let [Applied::Written { version: updated }] = store.commit(&[update]).unwrap()[..] else {
        panic!("the update should be written");
    };
    // A CLI start after them gets the next id; CLI steps, newer versions.
    let cli = store.start(&flow, "order", vec![Value::from("c")]).unwrap();
    assert_eq!(cli.id, 3);
    let mut seen = vec![inserted, updated, version(&mut store, 3)];
    store.resume(2, datum("r"), None).unwrap();
    seen.push(version(&mut store, 2));
    store.cancel(1).unwrap();
    seen.push(version(&mut store, 1));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}
