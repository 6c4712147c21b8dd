//! Two processes at a time resuming different flows of one store, while a
//! third reads it: every step lands (the busy timeout makes writers take
//! turns instead of failing) and each flow's log holds exactly its own steps.

mod flow_common;

use flow_common::{stderr, stdout, Scratch};
use skein::Value;
use skein_sqlite::Store;

const COUNTER: &str = "
(defflow counter
  (lambda (name)
    (let loop ((seen '()))
      (loop (cons (request 'next (length seen)) seen)))))";

const STEPS: i64 = 30;

#[test]
fn concurrent_resumes_of_different_flows_all_land() {
    let s = Scratch::new();
    s.file("counter.flow", COUNTER);
    for name in ["a", "b"] {
        s.ok(&["flow", "start", "counter.flow", "counter", name]);
    }
    std::thread::scope(|scope| {
        let writers: Vec<_> = [1, 2]
            .into_iter()
            .map(|id| {
                let s = &s;
                scope.spawn(move || {
                    for n in 0..STEPS {
                        let out = s.skein(&["flow", "resume", &id.to_string(), &n.to_string()]);
                        assert!(
                            out.status.success(),
                            "flow {id}, step {n}: {}",
                            stderr(&out)
                        );
                        assert_eq!(
                            stdout(&out),
                            format!("suspended {id} (next {})\n", n + 1),
                            "flow {id}, step {n}"
                        );
                    }
                })
            })
            .collect();
        // A reader alongside: WAL lets it see a consistent store throughout.
        let reader = scope.spawn(|| {
            for _ in 0..STEPS {
                let out = s.skein(&["flow", "export"]);
                assert!(out.status.success(), "export: {}", stderr(&out));
            }
        });
        for w in writers {
            w.join().expect("a writer panicked");
        }
        reader.join().expect("the reader panicked");
    });
    let store = Store::open(s.path("skein.db")).unwrap();
    let expected: Vec<(Value, Value)> = (0..STEPS)
        .map(|n| (Value::symbol("next"), Value::Int(n)))
        .collect();
    for id in [1, 2] {
        assert_eq!(store.log(id).unwrap(), expected, "flow {id}");
    }
}
