//! Opening files as stores: new, foreign, damaged, newer; and the schema's
//! own guarantees (the log is append-only).

mod common;

use common::{datum, example_flow, snapshot, Scratch};
use skein::{Engine, Value};
use skein_sqlite::{Store, StoreError, APPLICATION_ID, SCHEMA_VERSION};

#[test]
fn opening_a_missing_store_without_create_is_refused_and_creates_nothing() {
    let s = Scratch::new();
    let err = Store::open(s.db()).err().unwrap();
    assert!(matches!(err, StoreError::Missing(_)), "{err}");
    assert!(!s.db().exists());
}

#[test]
fn a_new_store_is_marked_as_one_and_empty() {
    let s = Scratch::new();
    let store = s.store();
    assert!(store.flows(&Default::default()).unwrap().is_empty());
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(
        (app, version, mode.as_str()),
        (APPLICATION_ID, SCHEMA_VERSION, "wal")
    );
}

#[test]
fn an_empty_file_is_not_a_store_and_is_left_alone() {
    // A store truncated to nothing must not become a new store that
    // hands out id 1 again: only a path with no file gets a new store.
    let s = Scratch::new();
    std::fs::write(s.db(), b"").unwrap();
    for err in [
        Store::open(s.db()).err().unwrap(),
        Store::open_or_create(s.db()).err().unwrap(),
        Store::import_json_at(s.db(), &Engine::new().export_json().unwrap(), None)
            .err()
            .unwrap(),
    ] {
        assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
        assert!(err.to_string().contains("an empty file"), "{err}");
    }
    assert_eq!(std::fs::read(s.db()).unwrap(), b"");
}

#[test]
fn an_sqlite_database_without_tables_is_not_a_store() {
    let s = Scratch::new();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    assert!(std::fs::metadata(s.db()).unwrap().len() > 0);
    let err = Store::open_or_create(s.db()).err().unwrap();
    assert!(err.to_string().contains("without tables"), "{err}");
}

#[test]
fn a_new_store_appears_whole_and_leaves_nothing_aside() {
    let s = Scratch::new();
    drop(s.store());
    let names: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    assert_eq!(names, ["skein.db"]);
}

#[test]
fn a_store_whose_schema_was_changed_is_refused_as_damaged() {
    let s = Scratch::new();
    drop(s.store());
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch("DROP TRIGGER log_is_append_only_delete")
        .unwrap();
    drop(conn);
    let err = Store::open(s.db()).err().unwrap();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
}

#[test]
fn a_store_row_below_a_flow_id_is_refused_as_damaged() {
    let s = Scratch::new();
    let mut store = s.store();
    let flow = example_flow("order-lifecycle.flow");
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute("UPDATE store SET next_id = 1", []).unwrap();
    drop(conn);
    let err = Store::open(s.db()).err().unwrap();
    assert!(
        err.to_string()
            .contains("flow 1 is not below the store's next id 1"),
        "{err}"
    );
}

#[test]
fn integrity_checking_finds_damage_a_step_would_not_touch() {
    let s = Scratch::new();
    let mut store = s.store();
    let flow = example_flow("order-lifecycle.flow");
    for i in 0..40 {
        store
            .start(
                &flow,
                "order-lifecycle",
                vec![Value::from(format!("o-{i}"))],
            )
            .unwrap();
    }
    store.check_integrity().unwrap();
    drop(store);
    // Scribble over the last page: the `store` row and the header stay intact.
    let mut bytes = std::fs::read(s.db()).unwrap();
    let n = bytes.len();
    assert!(n >= 4 * 4096, "the store has several pages");
    for (i, b) in bytes[n - 4096 + 8..].iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    std::fs::write(s.db(), &bytes).unwrap();
    let refused = Store::open(s.db()).and_then(|store| store.check_integrity());
    assert!(
        matches!(refused, Err(StoreError::Damaged { .. })),
        "{:?}",
        refused.err()
    );
    assert_eq!(std::fs::read(s.db()).unwrap(), bytes);
}

#[test]
fn garbage_is_not_a_store_and_is_left_alone() {
    let s = Scratch::new();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(s.db(), &garbage).unwrap();
    let err = Store::open(s.db()).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("not a skein store (not an SQLite database)"),
        "{err}"
    );
    assert!(Store::open_or_create(s.db()).is_err());
    assert_eq!(std::fs::read(s.db()).unwrap(), garbage);
}

#[test]
fn another_programs_database_is_not_a_store() {
    let s = Scratch::new();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    drop(conn);
    let err = Store::open(s.db()).err().unwrap();
    assert!(
        err.to_string()
            .contains("an SQLite database of another program"),
        "{err}"
    );
}

#[test]
fn a_store_from_a_newer_skein_is_refused() {
    let s = Scratch::new();
    drop(s.store());
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = Store::open(s.db()).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
}

#[test]
fn the_log_is_append_only() {
    let s = Scratch::new();
    let mut store = s.store();
    let flow = example_flow("order-lifecycle.flow");
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    store.resume(1, datum("r"), None).unwrap();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    for sql in ["UPDATE log SET response = '1'", "DELETE FROM log"] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

#[test]
fn rows_edited_into_nonsense_are_reported_as_damage() {
    let s = Scratch::new();
    let mut store = s.store();
    let flow = example_flow("order-lifecycle.flow");
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    let before = snapshot(&store);
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute("UPDATE flows SET args = '[{\"sybmol\": 1}]'", [])
        .unwrap();
    for err in [
        store.export_json().unwrap_err(),
        store.resume(1, datum("r"), None).unwrap_err(),
        store.flow(1).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    }
    conn.execute("UPDATE flows SET args = '[\"o-1\"]'", [])
        .unwrap();
    assert_eq!(snapshot(&store), before);
}

#[test]
fn a_value_of_the_wrong_type_in_a_row_is_reported_as_damage() {
    let s = Scratch::new();
    let mut store = s.store();
    let flow = example_flow("order-lifecycle.flow");
    store
        .start(&flow, "order-lifecycle", vec![datum("\"o-1\"")])
        .unwrap();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    // Text passes the column's check (text sorts after numbers) but is no id.
    conn.execute("UPDATE store SET next_id = 'two'", [])
        .unwrap();
    for err in [
        store.export_json().unwrap_err(),
        store
            .start(&flow, "order-lifecycle", vec![datum("\"o-2\"")])
            .unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    }
}

/// A store written by the version before store format 2 (schema 1) is
/// migrated when opened: its flows keep their logs (with empty payloads),
/// resume, and log the new answers whole.
#[test]
fn a_version_1_store_is_migrated_when_opened() {
    let s = Scratch::new();
    let mut conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(include_str!("fixtures/schema-v1.sql"))
        .unwrap();
    tx.execute_batch(
        r#"
        UPDATE store SET next_id = 2;
        INSERT INTO flows (id, flow, args, status, pending_tag, pending_payload,
                           created_at, updated_at)
            VALUES (1, 'order-lifecycle', '["o-1"]', 'suspended', '{"symbol":"payment"}',
                    '"o-1"', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO log (flow_id, position, tag, response)
            VALUES (1, 0, '{"symbol":"reserve"}', '"north"');
        "#,
    )
    .unwrap();
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    tx.pragma_update(None, "user_version", 1).unwrap();
    tx.commit().unwrap();
    drop(conn);

    let mut store = Store::open(s.db()).unwrap();
    store.check_integrity().unwrap();
    let history = store.history(1).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].payload, Value::List(vec![]));
    assert_eq!(history[0].at, None);
    assert_eq!(store.flow(1).unwrap().pending.unwrap().position, 1);
    let options = skein_sqlite::Resume {
        source: Some(example_flow("order-lifecycle.flow")),
        at: Some(1),
        ..Default::default()
    };
    store.resume_with(1, datum("paid"), &options).unwrap();
    let history = store.history(1).unwrap();
    assert_eq!(history[1].payload, Value::from("o-1"));
    assert!(history[1].at.is_some());
    drop(store);
    // Migrated once: the file now says schema 2, and opens as it is.
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    drop(conn);
    assert_eq!(Store::open(s.db()).unwrap().history(1).unwrap().len(), 2);
}

/// A store written before `skein serve` (schema 2) is migrated when opened:
/// every flow and log row is kept, each flow gets a version of its own, and
/// a suspended flow becomes due, so the first server to look at it sees it.
#[test]
fn a_version_2_store_is_migrated_with_its_rows_and_its_waiting_flows_due() {
    use skein_runtime::RuntimeStore;

    let s = Scratch::new();
    let mut conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(include_str!("fixtures/schema-v2.sql"))
        .unwrap();
    tx.execute_batch(
        r#"
        UPDATE store SET next_id = 5;
        INSERT INTO flows (id, flow, args, status, pending_tag, pending_payload,
                           pending_timeout, pending_deadline, source_path, source_sha256,
                           created_at, updated_at)
            VALUES (1, 'order-lifecycle', '["o-1"]', 'suspended', '{"symbol":"payment"}',
                    '"o-1"', 30.0, '2026-01-01T00:00:30.000Z', '/flows/order.flow', 'abc',
                    '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO flows (id, flow, args, status, result, created_at, updated_at)
            VALUES (3, 'f', '[]', 'done', '7', '2026-01-01T00:00:00.000Z',
                    '2026-01-01T00:00:00.000Z');
        INSERT INTO log (flow_id, position, tag, payload, response, at)
            VALUES (1, 0, '{"symbol":"reserve"}', '"o-1"', '"north"', '2026-01-01T00:00:10.000Z');
        INSERT INTO log (flow_id, position, tag, payload, failure)
            VALUES (3, 0, '{"symbol":"go"}', '[]', '{"message":"no","timeout":false}');
        "#,
    )
    .unwrap();
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    tx.pragma_update(None, "user_version", 2).unwrap();
    tx.commit().unwrap();
    drop(conn);

    let before = skein::Timestamp::now();
    let mut store = Store::open(s.db()).unwrap();
    let after = skein::Timestamp::now();
    store.check_integrity().unwrap();
    // Every row as it was.
    let json = store.export_json().unwrap();
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["next_id"], 5);
    let flows = document["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0]["pending"]["deadline"], "2026-01-01T00:00:30.000Z");
    assert_eq!(flows[0]["log"][0]["at"], "2026-01-01T00:00:10.000Z");
    assert_eq!(flows[1]["log"][0]["failure"]["message"], "no");
    let source = store.flow(1).unwrap().source.unwrap();
    assert_eq!(
        (source.path.to_str(), source.sha256.as_str()),
        (Some("/flows/order.flow"), "abc")
    );

    // The waiting flow is due (from the migration on), the finished one is not.
    let waiting = RuntimeStore::load(&mut store, 1).unwrap();
    let done = RuntimeStore::load(&mut store, 3).unwrap();
    let since = waiting.since.unwrap();
    assert!(before <= since && since <= after, "{since}");
    assert_eq!((done.since, waiting.attempts), (None, 0));
    assert_ne!(waiting.version, done.version);
    let claimed = store.claim_due(after, after.after(60.0), 10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].pending.position), (1, 1));

    // A write after the migration gives a version above every migrated one.
    let options = skein_sqlite::Resume {
        source: Some(example_flow("order-lifecycle.flow")),
        ..Default::default()
    };
    store.resume_with(1, datum("paid"), &options).unwrap();
    let resumed = RuntimeStore::load(&mut store, 1).unwrap();
    assert!(resumed.version > waiting.version.max(done.version));
    drop(store);
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
