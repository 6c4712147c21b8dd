//! The store as `skein serve` uses it (`RuntimeStore`): claiming due flows,
//! batches of steps checked against each flow's version, dead letters; and
//! `skein flow` steps from other processes meeting a server's.

mod common;

use common::{datum, snapshot, Scratch};
use skein::{Engine, FlowStatus, Timestamp, Value};
use skein_runtime::{Applied, DeadLetter, Filter, RuntimeStore, Schedule, StoreFailure, Write};
use skein_sqlite::{State, Store};

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
fn a_claim_hands_over_due_flows_only_earliest_first_and_leases_them() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    for id in ["a", "b", "c"] {
        store.start(&flow, "order", vec![Value::from(id)]).unwrap();
    }
    let now = Timestamp::now().after(1.0);
    // Flow 1 waits for the outside world, flow 3 is due later: only 2 is due.
    let v1 = version(&mut store, 1);
    let v3 = version(&mut store, 3);
    let later = now.after(30.0);
    let writes = [
        Write::Reschedule {
            id: 1,
            version: v1,
            schedule: PARKED,
        },
        Write::Reschedule {
            id: 3,
            version: v3,
            schedule: Schedule {
                due_at: Some(later),
                attempts: 2,
            },
        },
    ];
    store.commit(&writes).unwrap();
    let v2 = version(&mut store, 2);
    let lease = now.after(10.0);
    let claimed = store.claim_due(now, lease, 10).unwrap();
    assert_eq!(claimed.len(), 1);
    let due = &claimed[0];
    assert_eq!((due.id, due.version, due.attempts), (2, v2, 0));
    assert_eq!(
        (&due.pending.tag, &due.pending.payload, due.pending.position),
        (&Value::symbol("reserve"), &Value::from("b"), 0)
    );
    assert!(due.since <= now);
    // Leased: no other server gets it before the lease ends, and the claim
    // left the flow's version alone (a warm copy stays good).
    assert!(store.claim_due(now, lease, 10).unwrap().is_empty());
    assert_eq!(version(&mut store, 2), v2);
    assert_eq!(store.next_due().unwrap(), Some(lease));
    // Once the lease ends (its server died), the flow is handed over again,
    // before the one due later.
    let at_lease = store.claim_due(lease, lease.after(60.0), 1).unwrap();
    assert_eq!(at_lease.iter().map(|d| d.id).collect::<Vec<_>>(), [2]);
    let at_later = store.claim_due(later, later.after(10.0), 10).unwrap();
    let ids: Vec<_> = at_later.iter().map(|d| (d.id, d.attempts)).collect();
    assert_eq!(ids, [(3, 2)]);
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
fn a_batch_writes_its_fine_updates_beside_a_conflicting_one() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    store.start(&flow, "order", vec![Value::from("a")]).unwrap();
    store.start(&flow, "order", vec![Value::from("b")]).unwrap();
    let mut engine = server(&flow);
    let stale = step(&mut store, &mut engine, 1, "server");
    let fine = step(&mut store, &mut engine, 2, "server");
    Store::open(s.db())
        .unwrap()
        .resume(1, datum("cli"), None)
        .unwrap();
    let applied = store.commit(&[stale, fine]).unwrap();
    assert_eq!(applied[0], Applied::Conflict);
    assert_eq!(
        applied[1],
        Applied::Written {
            version: version(&mut store, 2)
        }
    );
    assert_eq!(store.log(1).unwrap(), [(datum("reserve"), datum("cli"))]);
    assert_eq!(store.log(2).unwrap(), [(datum("reserve"), datum("server"))]);
    let waiting = datum("(payment card)");
    assert_eq!(
        store.flow(2).unwrap().state,
        State::Suspended {
            tag: waiting,
            payload: Value::from("b")
        }
    );
}

#[test]
fn inserts_keep_the_engines_ids_and_move_the_stores_next_id_on() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    store
        .start(&flow, "order", vec![Value::from("cli")])
        .unwrap();
    let mut engine = server(&flow);
    engine.set_next_flow_id(store.next_id().unwrap());
    let mut insert = |arg: &str| {
        let id = engine.start("order", vec![Value::from(arg)]).unwrap().id();
        Write::Insert {
            record: engine.flow_record(id).unwrap(),
            source: Some(flow.clone()),
            schedule: PARKED,
        }
    };
    let (a, b) = (insert("a"), insert("b"));
    let applied = store.commit(&[a.clone(), b]).unwrap();
    assert!(matches!(
        applied[..],
        [Applied::Written { .. }, Applied::Written { .. }]
    ));
    assert_eq!(store.next_id().unwrap(), 4);
    let info = store.flow(2).unwrap();
    assert_eq!(info.args, [Value::from("a")]);
    assert_eq!(
        info.source.unwrap(),
        skein_runtime::Source::read(&flow).unwrap()
    );
    // A CLI start after them gets the next id.
    let cli = store.start(&flow, "order", vec![Value::from("c")]).unwrap();
    assert_eq!(cli.id, 4);
    // An id taken (here: inserted again) fails the whole batch.
    let before = snapshot(&store);
    let also = step(&mut store, &mut server(&flow), 1, "x");
    let err = store.commit(&[also, a]).unwrap_err();
    assert!(matches!(err, StoreFailure::Other(_)), "{err}");
    assert!(err.to_string().contains("flow id 2 is not free"), "{err}");
    assert_eq!(snapshot(&store), before);
}

#[test]
fn every_write_gives_its_flow_a_version_above_every_earlier_one() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    let mut seen = Vec::new();
    store.start(&flow, "order", vec![Value::from("a")]).unwrap();
    seen.push(version(&mut store, 1));
    store.start(&flow, "order", vec![Value::from("b")]).unwrap();
    seen.push(version(&mut store, 2));
    let update = step(&mut store, &mut server(&flow), 1, "r");
    let [Applied::Written { version: v }] = store.commit(&[update]).unwrap()[..] else {
        panic!("the update should be written");
    };
    assert_eq!(version(&mut store, 1), v);
    seen.push(v);
    let schedule = Write::Reschedule {
        id: 1,
        version: v,
        schedule: PARKED,
    };
    store.commit(std::slice::from_ref(&schedule)).unwrap();
    seen.push(version(&mut store, 1));
    // A reschedule checked against a version that is gone changes nothing.
    assert_eq!(store.commit(&[schedule]).unwrap(), [Applied::Conflict]);
    store.resume(2, datum("r"), None).unwrap();
    seen.push(version(&mut store, 2));
    store.cancel(1).unwrap();
    seen.push(version(&mut store, 1));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}

#[test]
fn warm_steps_append_at_their_positions_and_the_history_is_the_engines() {
    let s = Scratch::new();
    let flow = s.file("count.flow", ORDER);
    let mut store = s.store();
    store.start(&flow, "count", vec![]).unwrap();
    let mut engine = server(&flow);
    let loaded = store.load(1).unwrap();
    let mut version = loaded.version;
    engine.admit(loaded.record).unwrap();
    // The flow stays warm: each step hands back only what it added.
    for n in 0..5u64 {
        engine.resume(1, Value::from(n as i64)).unwrap();
        let write = Write::Update {
            tail: engine.flow_record_from(1, n).unwrap(),
            from: n,
            version,
            schedule: PARKED,
            since: Some(Timestamp::now()),
        };
        let [Applied::Written { version: v }] = store.commit(&[write]).unwrap()[..] else {
            panic!("step {n} should be written");
        };
        version = v;
    }
    let engines = engine.flow_record(1).unwrap();
    assert_eq!(store.history(1).unwrap(), engines.log);
    assert_eq!(store.load(1).unwrap().record, engines);
    assert_eq!(store.flow(1).unwrap().pending.unwrap().position, 5);
    // A step that does not continue the log where it ends is refused whole.
    let before = snapshot(&store);
    engine.resume(1, Value::from(5)).unwrap();
    let gap = Write::Update {
        tail: engine.flow_record_from(1, 5).unwrap(),
        from: 6,
        version,
        schedule: PARKED,
        since: None,
    };
    let err = store.commit(&[gap]).unwrap_err();
    assert!(
        err.to_string()
            .contains("start at position 6, but its log holds 5"),
        "{err}"
    );
    assert_eq!(snapshot(&store), before);
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
fn dead_letters_round_trip_and_a_second_for_a_request_replaces_the_first() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    store.start(&flow, "order", vec![Value::from("a")]).unwrap();
    store.start(&flow, "order", vec![Value::from("b")]).unwrap();
    let letter = |flow: u64, error: &str, at: u64| DeadLetter {
        flow,
        position: 0,
        tag: Value::symbol("reserve"),
        payload: datum("{:id \"a\" :n (1 2.5 #\\x)}"),
        handler: "./reserve.sh".into(),
        attempts: 6,
        error: error.into(),
        at: Timestamp::from_millis(at),
    };
    let version = version(&mut store, 2);
    let applied = store
        .commit(&[
            Write::DeadLetter(letter(2, "exit status 1", 2_000)),
            Write::DeadLetter(letter(1, "timed out", 1_000)),
        ])
        .unwrap();
    // Written whatever the flow's version, and leaving it as it was.
    assert_eq!(applied[0], Applied::Written { version });
    assert_eq!(store.load(2).unwrap().version, version);
    assert_eq!(
        store.dead_letters().unwrap(),
        [
            letter(1, "timed out", 1_000),
            letter(2, "exit status 1", 2_000)
        ]
    );
    store
        .commit(&[Write::DeadLetter(letter(1, "refused", 3_000))])
        .unwrap();
    assert_eq!(
        RuntimeStore::dead_letters(&mut store).unwrap(),
        [
            letter(2, "exit status 1", 2_000),
            letter(1, "refused", 3_000)
        ]
    );
    // Only for a flow the store holds; refused whole.
    let err = store
        .commit(&[Write::DeadLetter(letter(9, "x", 0))])
        .unwrap_err();
    assert!(matches!(err, StoreFailure::UnknownFlow(9)), "{err}");
}

#[test]
fn listings_filter_by_status_and_by_the_tag_a_flow_waits_on() {
    let s = Scratch::new();
    let flow = s.file("order.flow", ORDER);
    let mut store = s.store();
    for id in ["a", "b", "c"] {
        store.start(&flow, "order", vec![Value::from(id)]).unwrap();
    }
    store.resume(2, datum("r"), None).unwrap();
    store.resume(3, datum("r"), None).unwrap();
    store.resume(3, datum("p"), None).unwrap();
    let ids = |store: &mut Store, filter: Filter| -> Vec<u64> {
        RuntimeStore::flows(store, &filter)
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect()
    };
    let waiting = |tag: &str| Filter {
        waiting: Some(datum(tag)),
        ..Filter::default()
    };
    assert_eq!(ids(&mut store, Filter::default()), [1, 2, 3]);
    assert_eq!(ids(&mut store, waiting("payment")), [2]);
    assert_eq!(ids(&mut store, waiting("(payment card)")), [2]);
    assert_eq!(ids(&mut store, waiting("reserve")), [1]);
    let done = Filter {
        status: Some(FlowStatus::Done),
        ..Filter::default()
    };
    assert_eq!(ids(&mut store, done), [3]);
    assert!(matches!(
        RuntimeStore::flow(&mut store, 7),
        Err(StoreFailure::UnknownFlow(7))
    ));
}
