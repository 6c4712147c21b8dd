//! A store moves between SQLite and PostgreSQL as a `skein-store` document,
//! losing nothing: every status, log entries with failures and times,
//! deadlines, ids.

use skein::{RequestFailure, Timestamp, Value};
use skein_postgres::{testing, Store, StoreError};
use skein_runtime::{RuntimeStore, State};
use skein_sqlite::Resume;

const FLOWS: &str = r##"
(defflow order
  (lambda (id) (list (request 'reserve id) (request '(payment card) {:id id :cents 1800}))))
(defflow careful
  (lambda ()
    (guard (e ((request-error? e) (list 'gave-up (error-object-message e))))
      (request 'charge 100))))
(defflow boom (lambda () (request 'go '()) (error "boom" 1 "two")))
(defflow approval (lambda () (request 'approve (list #\A "é ✓" 'sym :kw) :timeout 3600)))
"##;

fn datum(text: &str) -> Value {
    Value::parse(text).expect("a datum")
}

/// A SQLite store holding flows of every kind: its path (in `dir`).
fn sqlite_store(dir: &std::path::Path) -> std::path::PathBuf {
    let flow = dir.join("flows.flow");
    std::fs::write(&flow, FLOWS).unwrap();
    let db = dir.join("skein.db");
    let mut store = skein_sqlite::Store::open_or_create(&db).unwrap();
    let args = |a: &str| vec![Value::from(a)];
    // 1: suspended on its second request, a map answered to its first.
    let id = store.start(&flow, "order", args("o-1")).unwrap().id;
    store
        .resume(id, datum(r#"{:sku "x" :n (1 2.5 #\y) :ok #t}"#), None)
        .unwrap();
    // 2: done.
    let id = store.start(&flow, "order", args("o-2")).unwrap().id;
    store.resume(id, datum("reserved"), None).unwrap();
    store.resume(id, datum("1/3"), None).unwrap();
    // 3: done after a failed request, the failure in its log.
    let id = store.start(&flow, "careful", vec![]).unwrap().id;
    let failure = RequestFailure::new("card declined");
    store.fail(id, failure, &Resume::default()).unwrap();
    // 4: failed.
    let id = store.start(&flow, "boom", vec![]).unwrap().id;
    store.resume(id, datum("go"), None).unwrap();
    // 5: suspended with a deadline.
    store.start(&flow, "approval", vec![]).unwrap();
    // 6: cancelled.
    let id = store.start(&flow, "order", args("o-3")).unwrap().id;
    store.cancel(id).unwrap();
    db
}

#[test]
fn a_store_moves_from_sqlite_to_postgresql_and_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_store(dir.path());
    let exported = skein_sqlite::Store::open(&from)
        .unwrap()
        .export_json()
        .unwrap();
    let doc = skein::StoreDocument::from_json_str(&exported).unwrap();
    let logged = doc.flows.iter().flat_map(|f| &f.log).collect::<Vec<_>>();
    assert!(
        logged.iter().all(|e| e.at.is_some()),
        "every answer has its time"
    );
    assert!(doc.flows[4].pending.as_ref().unwrap().deadline.is_some());

    let url = testing::shared().create_database();
    let mut pg = Store::connect(&url).unwrap();
    assert_eq!(pg.import_json(&exported, None).unwrap(), 6);
    assert_eq!(pg.export_json().unwrap(), exported);
    let states: Vec<_> = pg
        .flows(&Default::default())
        .unwrap()
        .into_iter()
        .map(|f| f.state)
        .collect();
    assert!(matches!(
        &states[..],
        [
            State::Suspended { .. },
            State::Done(_),
            State::Done(_),
            State::Failed(_),
            State::Suspended { .. },
            State::Cancelled
        ]
    ));
    assert_eq!(pg.next_id().unwrap(), 7);

    // And back, into a new SQLite store.
    let back = dir.path().join("back.db");
    let again = pg.export_json().unwrap();
    skein_sqlite::Store::import_json_at(&back, &again, None).unwrap();
    let returned = skein_sqlite::Store::open(&back)
        .unwrap()
        .export_json()
        .unwrap();
    assert_eq!(returned, exported);
}

#[test]
fn imported_flows_that_wait_are_due_at_once_for_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_store(dir.path());
    let json = skein_sqlite::Store::open(&from)
        .unwrap()
        .export_json()
        .unwrap();
    let url = testing::shared().create_database();
    let mut pg = Store::connect(&url).unwrap();
    let before = Timestamp::now();
    pg.import_json(&json, None).unwrap();
    let now = Timestamp::now();
    let due = pg.claim_due(now, now.after(30.0), 10).unwrap();
    let got: Vec<_> = due.iter().map(|d| (d.id, d.pending.position)).collect();
    assert_eq!(got, [(1, 1), (5, 0)]);
    assert!(due.iter().all(|d| d.since >= before && d.attempts == 0));
}

#[test]
fn an_import_into_a_store_that_holds_flows_or_of_a_bad_document_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_store(dir.path());
    let json = skein_sqlite::Store::open(&from)
        .unwrap()
        .export_json()
        .unwrap();
    let url = testing::shared().create_database();
    let mut pg = Store::connect(&url).unwrap();
    let bad = json.replacen("\"version\": 2", "\"version\": 99", 1);
    let err = pg.import_json(&bad, None).unwrap_err();
    assert!(matches!(err, StoreError::Document(_)), "{err}");
    assert_eq!(pg.next_id().unwrap(), 1);
    pg.import_json(&json, None).unwrap();
    let err = pg.import_json(&json, None).unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(6)), "{err}");
    assert_eq!(
        err.to_string(),
        "the store already holds 6 flow(s): import into a new store"
    );
    assert_eq!(pg.export_json().unwrap(), json);
}
