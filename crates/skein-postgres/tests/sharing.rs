//! Several servers on one database: waking on work another commits
//! (`LISTEN/NOTIFY`), and batches over the same flows that never wait on
//! each other in a cycle. (Claims shared by two servers are in the store
//! contract, crates/skein-runtime/tests/store_contract.rs.)

use std::time::{Duration, Instant};

use skein::{Engine, Timestamp};
use skein_postgres::{testing, Store};
use skein_runtime::{Applied, RuntimeStore, Schedule, Write};

const COUNT: &str = "(defflow count (lambda () (let loop ((n 0)) (loop (+ n (request 'tick n))))))";

/// No handler work to do: the flow waits for the outside world.
const PARKED: Schedule = Schedule {
    due_at: None,
    attempts: 0,
};

/// `n` new flows, inserted through `store` with `schedule`.
fn insert(store: &mut Store, n: usize, schedule: Schedule) {
    let mut engine = Engine::new();
    engine.eval(COUNT).unwrap();
    engine.set_next_flow_id(store.next_id().unwrap());
    let writes: Vec<_> = (0..n)
        .map(|_| {
            let id = engine.start("count", vec![]).unwrap().id();
            Write::Insert {
                record: engine.flow_record(id).unwrap(),
                source: None,
                schedule,
            }
        })
        .collect();
    store.commit(&writes).unwrap();
}

#[test]
fn a_server_waiting_for_work_wakes_when_another_commits_some() {
    let url = testing::shared().create_database();
    let mut waiting = Store::connect(&url).unwrap();
    // The first wait starts listening: what came before it was not heard.
    assert!(waiting.wait_for_work(Duration::ZERO).unwrap());
    assert!(!waiting.wait_for_work(Duration::from_millis(50)).unwrap());
    let other = url.clone();
    let starter = std::thread::spawn(move || {
        let mut store = Store::connect(&other).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let now = Timestamp::now();
        insert(
            &mut store,
            3,
            Schedule {
                due_at: Some(now),
                attempts: 0,
            },
        );
        now
    });
    let asked = Instant::now();
    assert!(waiting.wait_for_work(Duration::from_secs(20)).unwrap());
    let waited = asked.elapsed();
    let due = starter.join().unwrap();
    assert!(
        (Duration::from_millis(150)..Duration::from_secs(10)).contains(&waited),
        "{waited:?}"
    );
    // Heard once for the whole commit, and the work is there to claim.
    assert!(!waiting.wait_for_work(Duration::from_millis(50)).unwrap());
    assert_eq!(waiting.next_due().unwrap(), Some(due));
    assert_eq!(
        waiting.claim_due(due, due.after(30.0), 10).unwrap().len(),
        3
    );
    // Flows that wait for the outside world are no work for a server.
    insert(&mut Store::connect(&url).unwrap(), 2, PARKED);
    assert!(!waiting.wait_for_work(Duration::from_millis(300)).unwrap());
    // Nor is what a store committed itself: it knows its own work.
    let soon = Schedule {
        due_at: Some(Timestamp::now()),
        attempts: 0,
    };
    insert(&mut waiting, 2, soon);
    assert!(!waiting.wait_for_work(Duration::from_millis(300)).unwrap());
}

#[test]
fn batches_over_the_same_flows_in_opposite_orders_never_deadlock() {
    const FLOWS: u64 = 40;
    let url = testing::shared().create_database();
    let mut store = Store::connect(&url).unwrap();
    insert(&mut store, FLOWS as usize, PARKED);
    let servers: Vec<_> = [false, true]
        .into_iter()
        .map(|reversed| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut store = Store::connect(&url).unwrap();
                let mut written = 0;
                for round in 0..15u32 {
                    let mut ids: Vec<u64> = (1..=FLOWS).collect();
                    if reversed {
                        ids.reverse();
                    }
                    let writes: Vec<_> = ids
                        .iter()
                        .map(|&id| Write::Reschedule {
                            id,
                            version: store.load(id).unwrap().version,
                            schedule: Schedule {
                                due_at: None,
                                attempts: round,
                            },
                        })
                        .collect();
                    // A deadlock would be broken by the server with an error here.
                    let applied = store.commit(&writes).unwrap();
                    written += applied
                        .iter()
                        .filter(|a| matches!(a, Applied::Written { .. }))
                        .count();
                }
                written
            })
        })
        .collect();
    let written: usize = servers.into_iter().map(|s| s.join().unwrap()).sum();
    // Each batch read its versions before the other committed, so some
    // writes conflict; none is lost without a word.
    assert!(written >= FLOWS as usize, "{written}");
}
