//! The contract of `RuntimeStore` (src/store.rs), run against every store
//! there is: SQLite's and PostgreSQL's (on a private cluster). Each case is
//! written once, generic over the store; the `sqlite` and `postgres`
//! modules at the end run every case on each. A second handle on the same
//! store plays another process: another server, or `skein flow`.

use std::path::{Path, PathBuf};

use skein::{Engine, FlowStatus, RequestFailure, Timestamp, Value, MAX_FLOW_ID};
use skein_runtime::{
    Applied, DeadLetter, Filter, RuntimeStore, Schedule, Source, State, StoreFailure, Write,
};

const FLOWS: &str = "
(defflow order
  (lambda (id)
    (let ((r (request 'reserve id)))
      (list r (request '(payment card) id)))))
(defflow count
  (lambda () (let loop ((n 0)) (loop (+ n (request 'tick n))))))
(defflow approval
  (lambda ()
    (guard (e ((request-timeout? e) 'timed-out))
      (request 'approve '() :timeout 30))))";

/// A kind of store under test.
trait Backend {
    type Store: RuntimeStore;
    /// A new, empty store (files, if any, in `dir`).
    fn new(dir: &Path) -> Self;
    /// A handle on it, as a process of its own would have.
    fn open(&self) -> Self::Store;
}

struct Sqlite(PathBuf);

impl Backend for Sqlite {
    type Store = skein_sqlite::Store;
    fn new(dir: &Path) -> Sqlite {
        Sqlite(dir.join("skein.db"))
    }
    fn open(&self) -> skein_sqlite::Store {
        skein_sqlite::Store::open_or_create(&self.0).expect("open the SQLite store")
    }
}

struct Postgres(String);

impl Backend for Postgres {
    type Store = skein_postgres::Store;
    fn new(_: &Path) -> Postgres {
        Postgres(skein_postgres::testing::shared().create_database())
    }
    fn open(&self) -> skein_postgres::Store {
        skein_postgres::Store::connect(&self.0).expect("connect to the PostgreSQL store")
    }
}

/// One test's world: a flow file and a store.
struct World<B> {
    _dir: tempfile::TempDir,
    flow: PathBuf,
    backend: B,
}

impl<B: Backend> World<B> {
    fn new() -> World<B> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let flow = dir.path().join("flows.flow");
        std::fs::write(&flow, FLOWS).expect("write the flow file");
        let backend = B::new(dir.path());
        World {
            flow,
            backend,
            _dir: dir,
        }
    }

    fn store(&self) -> B::Store {
        self.backend.open()
    }

    /// A server's engine, with the flow file loaded.
    fn engine(&self) -> Engine {
        let mut engine = Engine::new();
        engine.load_file(&self.flow).expect("load the flows");
        engine
    }

    /// What a server's start commits: flow `name` started with `args` in
    /// an engine of its own, inserted with `schedule`. Its id.
    fn start(
        &self,
        store: &mut impl RuntimeStore,
        name: &str,
        args: &[&str],
        due: Schedule,
    ) -> u64 {
        let mut engine = self.engine();
        engine.set_next_flow_id(store.next_id().unwrap());
        let args = args.iter().map(|a| Value::from(*a)).collect();
        let id = engine.start(name, args).unwrap().id();
        let insert = Write::Insert {
            record: engine.flow_record(id).unwrap(),
            source: Some(self.flow.clone()),
            schedule: due,
        };
        let applied = store.commit(&[insert]).unwrap();
        assert!(
            matches!(applied[..], [Applied::Written { .. }]),
            "{applied:?}"
        );
        id
    }
}

/// No handler work to do: the flow waits for the outside world.
const PARKED: Schedule = Schedule {
    due_at: None,
    attempts: 0,
};

/// Due at `at`, no attempts made.
fn due(at: Timestamp) -> Schedule {
    Schedule {
        due_at: Some(at),
        attempts: 0,
    }
}

fn datum(text: &str) -> Value {
    Value::parse(text).expect("a datum")
}

/// What a server does with a due flow: load it, answer its request in a
/// warm engine, and hand back the step as an `Update` (not yet committed).
fn step(store: &mut impl RuntimeStore, engine: &mut Engine, id: u64, answer: &str) -> Write {
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

/// Commit one write that must be written; the flow's new version.
fn written(store: &mut impl RuntimeStore, write: Write) -> u64 {
    match store.commit(&[write]).unwrap()[..] {
        [Applied::Written { version }] => version,
        ref other => panic!("the write should be written: {other:?}"),
    }
}

fn version(store: &mut impl RuntimeStore, id: u64) -> u64 {
    store.load(id).unwrap().version
}

/// Everything the store holds, to compare before and after a refusal.
fn snapshot(store: &mut impl RuntimeStore) -> String {
    store.export_json().expect("export")
}

fn ids(store: &mut impl RuntimeStore, filter: Filter) -> Vec<u64> {
    store.flows(&filter).unwrap().iter().map(|f| f.id).collect()
}

mod cases {
    use super::*;

    pub fn a_starting_server_makes_the_flows_waiting_without_a_due_time_due<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        let started = Timestamp::now();
        for arg in ["a", "b", "c"] {
            w.start(&mut store, "order", &[arg], PARKED);
        }
        // Flow 2 is due later; flow 3 is cancelled: neither is woken.
        let later = started.after(60.0);
        let v2 = version(&mut store, 2);
        let reschedule = Write::Reschedule {
            id: 2,
            version: v2,
            schedule: due(later),
        };
        store.commit(&[reschedule]).unwrap();
        let mut engine = w.engine();
        engine.admit(store.load(3).unwrap().record).unwrap();
        engine.cancel(3).unwrap();
        let cancel = Write::Update {
            tail: engine.flow_record_from(3, 0).unwrap(),
            from: 0,
            version: version(&mut store, 3),
            schedule: PARKED,
            since: None,
        };
        store.commit(&[cancel]).unwrap();
        assert!(store
            .claim_due(later, later, 10)
            .unwrap()
            .iter()
            .all(|d| d.id == 2));

        let now = started.after(1.0);
        assert_eq!(store.make_waiting_due(now).unwrap(), 1);
        let claimed = store.claim_due(now, now.after(5.0), 10).unwrap();
        assert_eq!(claimed.iter().map(|d| d.id).collect::<Vec<_>>(), [1]);
        // Nothing is left without a due time: a second start wakes none.
        assert_eq!(store.make_waiting_due(now).unwrap(), 0);
    }

    pub fn a_claim_hands_over_due_flows_only_earliest_first_and_leases_them<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        let started = Timestamp::now();
        for arg in ["a", "b", "c"] {
            w.start(&mut store, "order", &[arg], due(started));
        }
        let now = started.after(1.0);
        // Flow 1 waits for the outside world, flow 3 is due later: only 2 is due.
        let later = now.after(30.0);
        let (v1, v3) = (version(&mut store, 1), version(&mut store, 3));
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
        let d = &claimed[0];
        assert_eq!((d.id, d.version, d.attempts), (2, v2, 0));
        assert_eq!(
            (&d.pending.tag, &d.pending.payload, d.pending.position),
            (&Value::symbol("reserve"), &Value::from("b"), 0)
        );
        assert!(started <= d.since && d.since <= now);
        // Leased: no other server gets it before the lease ends, and the
        // claim left the flow's version alone (a warm copy stays good).
        assert!(store.claim_due(now, lease, 10).unwrap().is_empty());
        assert!(w.store().claim_due(now, lease, 10).unwrap().is_empty());
        assert_eq!(version(&mut store, 2), v2);
        assert_eq!(store.next_due().unwrap(), Some(lease));
        // Once the lease ends (its server died), another server gets the
        // flow, before the one due later.
        let at_lease = w.store().claim_due(lease, lease.after(60.0), 1).unwrap();
        assert_eq!(at_lease.iter().map(|d| d.id).collect::<Vec<_>>(), [2]);
        let at_later = store.claim_due(later, later.after(10.0), 10).unwrap();
        let got: Vec<_> = at_later.iter().map(|d| (d.id, d.attempts)).collect();
        assert_eq!(got, [(3, 2)]);
    }

    pub fn a_claim_hands_over_the_earliest_first_however_many_are_due<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        let base = Timestamp::now();
        // Started in one order, due in another.
        for (n, seconds) in [3.0, 1.0, 2.0, 0.5].into_iter().enumerate() {
            let arg = format!("{n}");
            w.start(&mut store, "order", &[&arg], due(base.after(seconds)));
        }
        let until = base.after(100.0);
        let first = store.claim_due(base.after(5.0), until, 3).unwrap();
        assert_eq!(first.iter().map(|d| d.id).collect::<Vec<_>>(), [4, 2, 3]);
        let rest = store.claim_due(base.after(5.0), until, 3).unwrap();
        assert_eq!(rest.iter().map(|d| d.id).collect::<Vec<_>>(), [1]);
    }

    pub fn two_servers_claiming_at_once_never_get_the_same_flow<B: Backend>() {
        const FLOWS: usize = 200;
        let w = World::<B>::new();
        let mut store = w.store();
        let now = Timestamp::now();
        let mut engine = w.engine();
        engine.set_next_flow_id(store.next_id().unwrap());
        let inserts: Vec<_> = (0..FLOWS)
            .map(|n| {
                let id = engine.start("count", vec![]).unwrap().id();
                assert_eq!(id, n as u64 + 1);
                Write::Insert {
                    record: engine.flow_record(id).unwrap(),
                    source: None,
                    schedule: due(now),
                }
            })
            .collect();
        store.commit(&inserts).unwrap();
        let servers: Vec<_> = (0..2)
            .map(|_| {
                let mut store = w.store();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    // Bounded: at most FLOWS claims of 7 each could be needed.
                    for _ in 0..FLOWS {
                        let claimed = store
                            .claim_due(now.after(1.0), now.after(600.0), 7)
                            .unwrap();
                        if claimed.is_empty() {
                            break;
                        }
                        mine.extend(claimed.into_iter().map(|d| d.id));
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<u64> = Vec::new();
        for server in servers {
            all.extend(server.join().unwrap());
        }
        let claimed = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), claimed, "a flow was claimed twice");
        assert_eq!(all, (1..=FLOWS as u64).collect::<Vec<_>>());
    }

    pub fn an_answer_committed_between_load_and_commit_makes_the_update_a_conflict<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "order", &["a"], PARKED);
        let update = step(&mut store, &mut w.engine(), 1, "mine");
        // Another process answers first.
        let mut other = w.store();
        let theirs = step(&mut other, &mut w.engine(), 1, "theirs");
        written(&mut other, theirs);
        let before = snapshot(&mut store);
        assert_eq!(store.commit(&[update]).unwrap(), [Applied::Conflict]);
        assert_eq!(snapshot(&mut store), before);
        let log = store.history(1).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].answer.to_value(), datum("theirs"));
    }

    pub fn a_batch_writes_its_fine_updates_beside_a_conflicting_one<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "order", &["a"], PARKED);
        w.start(&mut store, "order", &["b"], PARKED);
        let mut engine = w.engine();
        let stale = step(&mut store, &mut engine, 1, "server");
        let fine = step(&mut store, &mut engine, 2, "server");
        let mut other = w.store();
        let theirs = step(&mut other, &mut w.engine(), 1, "other");
        written(&mut other, theirs);
        let applied = store.commit(&[stale, fine]).unwrap();
        assert_eq!(applied[0], Applied::Conflict);
        assert_eq!(
            applied[1],
            Applied::Written {
                version: version(&mut store, 2)
            }
        );
        assert_eq!(
            store.history(1).unwrap()[0].answer.to_value(),
            datum("other")
        );
        assert_eq!(
            store.history(2).unwrap()[0].answer.to_value(),
            datum("server")
        );
        assert_eq!(
            store.flow(2).unwrap().state,
            State::Suspended {
                tag: datum("(payment card)"),
                payload: Value::from("b")
            }
        );
    }

    pub fn a_write_for_a_flow_the_store_does_not_hold_is_a_conflict<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "order", &["a"], PARKED);
        let mut engine = w.engine();
        let Write::Update { tail, .. } = step(&mut store, &mut engine, 1, "r") else {
            unreachable!()
        };
        let before = snapshot(&mut store);
        let elsewhere = Write::Update {
            tail: skein::FlowRecord { id: 9, ..tail },
            from: 0,
            version: 1,
            schedule: PARKED,
            since: None,
        };
        let gone = Write::Reschedule {
            id: 9,
            version: 1,
            schedule: PARKED,
        };
        assert_eq!(
            store.commit(&[elsewhere, gone]).unwrap(),
            [Applied::Conflict, Applied::Conflict]
        );
        assert_eq!(snapshot(&mut store), before);
    }

    pub fn inserts_keep_the_engines_ids_and_move_the_stores_next_id_on<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        assert_eq!(store.next_id().unwrap(), 1);
        w.start(&mut store, "order", &["first"], PARKED);
        let mut engine = w.engine();
        engine.set_next_flow_id(store.next_id().unwrap());
        let mut insert = |arg: &str| {
            let id = engine.start("order", vec![Value::from(arg)]).unwrap().id();
            Write::Insert {
                record: engine.flow_record(id).unwrap(),
                source: Some(w.flow.clone()),
                schedule: PARKED,
            }
        };
        let (a, b) = (insert("a"), insert("b"));
        let applied = store.commit(&[a.clone(), b]).unwrap();
        assert!(
            matches!(
                applied[..],
                [Applied::Written { .. }, Applied::Written { .. }]
            ),
            "{applied:?}"
        );
        assert_eq!(store.next_id().unwrap(), 4);
        let info = store.flow(2).unwrap();
        assert_eq!(info.args, [Value::from("a")]);
        assert_eq!(info.source.unwrap(), Source::read(&w.flow).unwrap());
        // Another process's start after them gets the next id.
        assert_eq!(w.start(&mut w.store(), "order", &["c"], PARKED), 4);
        // An id taken (here: inserted again) fails the whole batch.
        let before = snapshot(&mut store);
        let also = step(&mut store, &mut w.engine(), 1, "x");
        let err = store.commit(&[also, a.clone()]).unwrap_err();
        // Typed, so that a runtime starts again under the next id.
        assert!(matches!(err, StoreFailure::IdTaken(2)), "{err}");
        // So does an id beyond the largest a store gives.
        let Write::Insert { record, .. } = a else {
            unreachable!()
        };
        let far = Write::Insert {
            record: skein::FlowRecord {
                id: MAX_FLOW_ID + 1,
                ..record.clone()
            },
            source: None,
            schedule: PARKED,
        };
        let err = store.commit(&[far]).unwrap_err();
        assert!(err.to_string().contains("is not free"), "{err}");
        assert_eq!(snapshot(&mut store), before);
        // An id beyond the next one is the host's to give: ids below it
        // are never given after.
        let ahead = Write::Insert {
            record: skein::FlowRecord { id: 10, ..record },
            source: None,
            schedule: PARKED,
        };
        written(&mut store, ahead);
        assert_eq!(store.next_id().unwrap(), 11);
    }

    pub fn every_write_gives_its_flow_a_version_above_every_earlier_one<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        let mut other = w.store();
        let mut seen = Vec::new();
        w.start(&mut store, "order", &["a"], PARKED);
        seen.push(version(&mut store, 1));
        w.start(&mut other, "order", &["b"], PARKED);
        seen.push(version(&mut store, 2));
        let update = step(&mut store, &mut w.engine(), 1, "r");
        let v = written(&mut store, update);
        assert_eq!(version(&mut store, 1), v);
        seen.push(v);
        let schedule = Write::Reschedule {
            id: 1,
            version: v,
            schedule: PARKED,
        };
        seen.push(written(&mut store, schedule.clone()));
        // A reschedule checked against a version that is gone changes nothing.
        assert_eq!(store.commit(&[schedule]).unwrap(), [Applied::Conflict]);
        let theirs = step(&mut other, &mut w.engine(), 2, "r");
        seen.push(written(&mut other, theirs));
        // Cancelled by a server: an update too.
        let mut engine = w.engine();
        let loaded = store.load(1).unwrap();
        let from = loaded.record.log.len() as u64;
        engine.admit(loaded.record).unwrap();
        engine.cancel(1).unwrap();
        let cancel = Write::Update {
            tail: engine.flow_record_from(1, from).unwrap(),
            from,
            version: loaded.version,
            schedule: PARKED,
            since: None,
        };
        seen.push(written(&mut store, cancel));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        // A dead letter is no change to its flow.
        let letter = DeadLetter {
            flow: 2,
            position: 1,
            tag: datum("(payment card)"),
            payload: Value::from("b"),
            handler: "./pay.sh".into(),
            attempts: 3,
            error: "exit status 1".into(),
            at: Timestamp::now(),
        };
        let v2 = version(&mut store, 2);
        let applied = store.commit(&[Write::DeadLetter(letter)]).unwrap();
        assert_eq!(applied, [Applied::Written { version: v2 }]);
        assert_eq!(version(&mut store, 2), v2);
    }

    pub fn warm_steps_append_at_their_positions_and_the_history_is_the_engines<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "count", &[], PARKED);
        let mut engine = w.engine();
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
            version = written(&mut store, write);
        }
        let engines = engine.flow_record(1).unwrap();
        assert_eq!(store.history(1).unwrap(), engines.log);
        assert_eq!(store.load(1).unwrap().record, engines);
        assert_eq!(store.flow(1).unwrap().pending.unwrap().position, 5);
        // A step that does not continue the log where it ends is refused whole.
        let before = snapshot(&mut store);
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
        assert_eq!(snapshot(&mut store), before);
    }

    pub fn a_flow_answered_is_due_on_its_new_request_and_one_that_ends_is_never_due<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        let started = Timestamp::now();
        w.start(&mut store, "order", &["a"], due(started));
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
        written(&mut store, park);
        assert_eq!(store.load(1).unwrap().attempts, 2);
        assert_eq!(store.next_due().unwrap(), None);
        // Another process answers it, leaving it due on its new request.
        let mut other = w.store();
        let Write::Update {
            tail,
            from,
            version,
            since,
            ..
        } = step(&mut other, &mut w.engine(), 1, "r")
        else {
            unreachable!()
        };
        let now = Timestamp::now();
        let answer = Write::Update {
            tail,
            from,
            version,
            since,
            schedule: due(now),
        };
        written(&mut other, answer);
        assert_eq!(store.next_due().unwrap(), Some(now));
        let claimed = store.claim_due(now, now.after(5.0), 10).unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].pending.position, claimed[0].attempts), (1, 0));
        assert!(claimed[0].since >= loaded.since.unwrap());
        // Cancelled: whatever bookkeeping the write carries, it has none.
        let mut engine = w.engine();
        let loaded = store.load(1).unwrap();
        engine.admit(loaded.record).unwrap();
        engine.cancel(1).unwrap();
        let cancel = Write::Update {
            tail: engine.flow_record_from(1, 1).unwrap(),
            from: 1,
            version: loaded.version,
            schedule: Schedule {
                due_at: Some(now),
                attempts: 3,
            },
            since: Some(now),
        };
        written(&mut store, cancel);
        let cancelled = store.load(1).unwrap();
        assert_eq!(cancelled.record.status, FlowStatus::Cancelled);
        assert_eq!((cancelled.since, cancelled.attempts), (None, 0));
        assert_eq!(store.next_due().unwrap(), None);
        let v = cancelled.version;
        let revive = Write::Reschedule {
            id: 1,
            version: v,
            schedule: due(now),
        };
        written(&mut store, revive);
        assert_eq!(store.next_due().unwrap(), None);
        assert!(store.claim_due(now, now.after(5.0), 10).unwrap().is_empty());
    }

    pub fn dead_letters_round_trip_and_a_second_for_a_request_replaces_the_first<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "order", &["a"], PARKED);
        w.start(&mut store, "order", &["b"], PARKED);
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
            w.store().dead_letters().unwrap(),
            [
                letter(2, "exit status 1", 2_000),
                letter(1, "refused", 3_000)
            ]
        );
        // Only for a flow the store holds; refused whole.
        let before = snapshot(&mut store);
        let err = store
            .commit(&[
                Write::DeadLetter(letter(2, "x", 4_000)),
                Write::DeadLetter(letter(9, "x", 0)),
            ])
            .unwrap_err();
        assert!(matches!(err, StoreFailure::UnknownFlow(9)), "{err}");
        assert_eq!(snapshot(&mut store), before);
        assert_eq!(store.dead_letters().unwrap().len(), 2);
    }

    pub fn listings_filter_by_status_and_by_the_tag_a_flow_waits_on<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        for arg in ["a", "b", "c"] {
            w.start(&mut store, "order", &[arg], PARKED);
        }
        let mut engine = w.engine();
        for (id, answer) in [(2, "r"), (3, "r"), (3, "p")] {
            let write = step(&mut store, &mut engine, id, answer);
            written(&mut store, write);
        }
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
        let info = store.flow(2).unwrap();
        assert_eq!(info.flow.as_deref(), Some("order"));
        assert_eq!(info.args, [Value::from("b")]);
        assert_eq!(info.pending.as_ref().map(|p| p.position), Some(1));
        assert_eq!(info.source, Some(Source::read(&w.flow).unwrap()));
        for time in [&info.created_at, &info.updated_at] {
            let parsed: Result<Timestamp, _> = time.parse();
            assert!(parsed.is_ok() && time.ends_with('Z'), "{time}");
        }
        assert_eq!(store.flow(3).unwrap().state, State::Done(datum("(r p)")));
        assert!(matches!(store.flow(7), Err(StoreFailure::UnknownFlow(7))));
        assert!(matches!(store.load(7), Err(StoreFailure::UnknownFlow(7))));
        assert!(matches!(
            store.history(7),
            Err(StoreFailure::UnknownFlow(7))
        ));
    }

    pub fn the_export_is_the_document_an_engine_makes_of_the_same_flows<B: Backend>() {
        let w = World::<B>::new();
        let mut store = w.store();
        w.start(&mut store, "order", &["a"], PARKED);
        w.start(&mut store, "approval", &[], PARKED);
        w.start(&mut store, "count", &[], PARKED);
        let mut engine = w.engine();
        let write = step(&mut store, &mut engine, 1, "{:sku \"x\" :n 2.5}");
        written(&mut store, write);
        // A request failed by its deadline, with its time in the log.
        let loaded = store.load(2).unwrap();
        engine.admit(loaded.record).unwrap();
        engine.fail(2, RequestFailure::timeout()).unwrap();
        let failed = Write::Update {
            tail: engine.flow_record_from(2, 0).unwrap(),
            from: 0,
            version: loaded.version,
            schedule: PARKED,
            since: None,
        };
        written(&mut store, failed);
        let json = snapshot(&mut store);
        let mut copy = Engine::new();
        copy.import_json(&json).unwrap();
        assert_eq!(copy.export_json().unwrap(), json);
        let doc = copy.export().unwrap();
        assert_eq!(doc.next_id, 4);
        for record in doc.flows {
            assert_eq!(store.load(record.id).unwrap().record, record);
        }
        assert_eq!(
            store.flow(2).unwrap().state,
            State::Done(Value::symbol("timed-out"))
        );
        let pending = store.flow(3).unwrap().pending.unwrap();
        assert_eq!(
            (pending.tag, pending.timeout),
            (Value::symbol("tick"), None)
        );
    }
}

/// Every case, as a test on each store.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $case() { super::cases::$case::<super::Sqlite>() })*
        }
        mod postgres {
            $(#[test] fn $case() { super::cases::$case::<super::Postgres>() })*
        }
    };
}

contract!(
    a_claim_hands_over_due_flows_only_earliest_first_and_leases_them,
    a_claim_hands_over_the_earliest_first_however_many_are_due,
    two_servers_claiming_at_once_never_get_the_same_flow,
    an_answer_committed_between_load_and_commit_makes_the_update_a_conflict,
    a_batch_writes_its_fine_updates_beside_a_conflicting_one,
    a_write_for_a_flow_the_store_does_not_hold_is_a_conflict,
    inserts_keep_the_engines_ids_and_move_the_stores_next_id_on,
    every_write_gives_its_flow_a_version_above_every_earlier_one,
    warm_steps_append_at_their_positions_and_the_history_is_the_engines,
    a_flow_answered_is_due_on_its_new_request_and_one_that_ends_is_never_due,
    dead_letters_round_trip_and_a_second_for_a_request_replaces_the_first,
    listings_filter_by_status_and_by_the_tag_a_flow_waits_on,
    the_export_is_the_document_an_engine_makes_of_the_same_flows,
    a_starting_server_makes_the_flows_waiting_without_a_due_time_due,
);
