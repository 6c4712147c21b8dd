//! `skein flow` killed with SIGKILL at random points, many times: the store
//! always opens, and no acknowledged step (its process exited 0 and printed
//! its state line) is ever lost. Kill delays come from a seeded generator,
//! spread over a step's whole run, commit included.

mod flow_common;

use std::process::Stdio;
use std::time::Duration;

use flow_common::{stdout, Rng, Scratch};
use skein::Value;
use skein_sqlite::{State, Store};

/// Each resume adds its response to a running total, after a little work so
/// the process spends time evaluating as well as writing.
const TALLY: &str = "
(define (work n) (let spin ((i 0)) (if (< i 300) (spin (+ i 1)) n)))
(defflow tally
  (lambda (start)
    (let loop ((total start))
      (loop (+ total (work (request 'add total)))))))";

const SEED: u64 = 0x5eed_0004;
const ROUNDS: u64 = 120;

/// What the test has been told: steps acknowledged, and what was attempted.
#[derive(Default)]
struct Ledger {
    /// Flows whose start was acknowledged: (id, start argument).
    started: Vec<(u64, i64)>,
    /// Every response sent to flow 1, in order; and those acknowledged.
    sent: Vec<i64>,
    acked: Vec<i64>,
    kills: usize,
}

/// The store opens, flow 1's log holds every acknowledged response in the
/// order sent (and nothing that was never sent), and every acknowledged
/// start is there with its argument.
fn check(s: &Scratch, ledger: &Ledger, round: u64) {
    let store = Store::open(s.path("skein.db"))
        .unwrap_or_else(|e| panic!("round {round}: the store does not open: {e}"));
    let logged: Vec<i64> = store
        .log(1)
        .unwrap_or_else(|e| panic!("round {round}: {e}"))
        .into_iter()
        .map(|(_, response)| match response {
            Value::Int(n) => n,
            other => panic!("round {round}: unexpected response {other}"),
        })
        .collect();
    // Sent responses increase, so "in order, no repeats" is "increasing".
    assert!(
        logged.windows(2).all(|w| w[0] < w[1]) && logged.iter().all(|r| ledger.sent.contains(r)),
        "round {round}: the log holds {logged:?}, sent {:?}",
        ledger.sent
    );
    for acked in &ledger.acked {
        assert!(
            logged.contains(acked),
            "round {round}: acknowledged response {acked} is not in the log {logged:?}"
        );
    }
    for (id, arg) in &ledger.started {
        let info = store
            .flow(*id)
            .unwrap_or_else(|e| panic!("round {round}: acknowledged flow {id}: {e}"));
        assert_eq!(
            info.args,
            vec![Value::Int(*arg)],
            "round {round}: flow {id}"
        );
    }
}

/// Run `args` and SIGKILL it after `delay` unless it finished first; its
/// stdout if it exited 0.
fn run_and_kill(s: &Scratch, args: &[&str], delay: Duration, kills: &mut usize) -> Option<String> {
    let mut child = s
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn skein");
    std::thread::sleep(delay);
    if child.try_wait().expect("poll the child").is_none() {
        // Child::kill is SIGKILL on Unix: no destructors, no rollback.
        let _ = child.kill();
        *kills += 1;
    }
    let out = child.wait_with_output().expect("reap the child");
    out.status.success().then(|| stdout(&out))
}

#[test]
fn killed_steps_never_lose_an_acknowledged_step_and_never_break_the_store() {
    let s = Scratch::new();
    s.file("tally.flow", TALLY);
    assert_eq!(
        s.ok(&["flow", "start", "tally.flow", "tally", "0"]),
        "suspended 1 (add 0)\n"
    );
    let mut ledger = Ledger {
        started: vec![(1, 0)],
        ..Ledger::default()
    };
    for n in 1..=3 {
        s.ok(&["flow", "resume", "1", &n.to_string()]);
        ledger.sent.push(n);
        ledger.acked.push(n);
    }
    eprintln!("seed {SEED:#x}");

    let mut rng = Rng::new(SEED);
    // Kill delays are drawn below a ceiling that follows how long steps take
    // on this machine, now: it grows after a kill and shrinks after a step
    // that finished, so about half the steps are killed, at points spread
    // over a whole step and dense around its end, where it commits.
    let mut ceiling = Duration::from_millis(20);
    for round in 0..ROUNDS {
        let response = 10 + round as i64;
        let delay = ceiling.mul_f64(rng.below(1_000) as f64 / 1_000.0);
        let kills_before = ledger.kills;
        // One round in five starts a new flow; the rest resume flow 1.
        if rng.below(5) == 0 {
            let arg = response.to_string();
            let args = ["flow", "start", "tally.flow", "tally", &arg];
            if let Some(out) = run_and_kill(&s, &args, delay, &mut ledger.kills) {
                let id = out
                    .strip_prefix("suspended ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|id| id.parse().ok())
                    .unwrap_or_else(|| panic!("round {round}: start printed {out:?}"));
                assert!(
                    ledger.started.iter().all(|(other, _)| *other < id),
                    "round {round}: id {id} reused"
                );
                ledger.started.push((id, response));
            }
        } else {
            let arg = response.to_string();
            ledger.sent.push(response);
            let args = ["flow", "resume", "1", &arg];
            if let Some(out) = run_and_kill(&s, &args, delay, &mut ledger.kills) {
                assert!(
                    out.starts_with("suspended 1 (add "),
                    "round {round}: printed {out:?}"
                );
                ledger.acked.push(response);
            }
        }
        check(&s, &ledger, round);
        ceiling = if ledger.kills > kills_before {
            ceiling.mul_f64(1.15).min(Duration::from_secs(2))
        } else {
            ceiling.div_f64(1.15).max(Duration::from_millis(1))
        };
    }
    eprintln!(
        "{} kills, {} acknowledged resumes, {} acknowledged starts",
        ledger.kills,
        ledger.acked.len(),
        ledger.started.len()
    );
    // Without kills this would test nothing; without acknowledgements, too
    // little. The adaptive ceiling keeps both near half the rounds.
    assert!(
        ledger.kills > 0,
        "no process was killed: the delays are too long"
    );
    assert!(
        ledger.acked.len() > 3,
        "no resume under fire was acknowledged"
    );

    // The store is not only readable but usable: the flow goes on, and its
    // total is the sum of exactly what the log holds.
    let store = Store::open(s.path("skein.db")).unwrap();
    let total: i64 = store
        .log(1)
        .unwrap()
        .iter()
        .map(|(_, r)| match r {
            Value::Int(n) => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(
        store.flow(1).unwrap().state,
        State::Suspended {
            tag: Value::symbol("add"),
            payload: Value::Int(total)
        }
    );
    s.ok(&["flow", "resume", "1", "0"]);
    s.ok(&["flow", "list"]);
}
