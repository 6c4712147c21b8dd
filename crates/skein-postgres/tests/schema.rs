//! Connecting to a database: the tables created once however many servers
//! start together, stores of a newer schema or another program refused, the
//! password kept out of messages, a lost connection made again; and rows
//! damaged or edited by hand refused without a change.

use std::sync::{Arc, Barrier};

use postgres::NoTls;
use skein_postgres::{testing, Store, StoreError, SCHEMA_VERSION};

/// A connection of its own to `url`, below the store, as a person with
/// `psql` would have.
fn admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, NoTls).expect("connect to the test database")
}

#[test]
fn servers_connecting_at_once_to_an_empty_database_migrate_it_once() {
    let url = testing::shared().create_database();
    let servers = 4;
    let barrier = Arc::new(Barrier::new(servers));
    let connecting: Vec<_> = (0..servers)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                Store::connect(&url).map(|_| ())
            })
        })
        .collect();
    for server in connecting {
        server.join().unwrap().expect("every server connects");
    }
    let mut db = admin(&url);
    let versions: Vec<i32> = db
        .query("SELECT version FROM skein_schema", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [SCHEMA_VERSION]);
    let stores: i64 = db
        .query_one("SELECT count(*) FROM skein_store", &[])
        .unwrap()
        .get(0);
    assert_eq!(stores, 1);
}

#[test]
fn a_store_of_a_newer_schema_is_refused_and_left_as_it_was() {
    let url = testing::shared().create_database();
    Store::connect(&url).unwrap();
    let mut db = admin(&url);
    db.execute(
        "UPDATE skein_schema SET version = $1",
        &[&(SCHEMA_VERSION + 1)],
    )
    .unwrap();
    let err = Store::connect(&url)
        .err()
        .expect("a newer store is refused");
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{url}: written by a newer skein (store schema version {}; this one reads version {})",
            SCHEMA_VERSION + 1,
            SCHEMA_VERSION
        )
    );
    let version: i32 = db
        .query_one("SELECT version FROM skein_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, SCHEMA_VERSION + 1);
}

#[test]
fn a_database_with_another_programs_tables_of_the_same_names_is_not_a_store() {
    let url = testing::shared().create_database();
    let mut db = admin(&url);
    db.batch_execute("CREATE TABLE skein_flows (id text)")
        .unwrap();
    let err = Store::connect(&url).err().expect("refused");
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with("not a skein store (it has tables named skein_flows but no skein_schema)"),
        "{err}"
    );
    // Nothing was created.
    let schema: bool = db
        .query_one("SELECT to_regclass('skein_schema') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!schema);
}

#[test]
fn a_server_that_cannot_be_reached_is_named_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let err = Store::connect("postgres://skein:s3cret@127.0.0.1:1/flows")
        .err()
        .expect("refused");
    let message = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(
        message.starts_with("postgres://skein:***@127.0.0.1:1/flows: cannot connect: "),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    let err = Store::connect("postgres://127.0.0.1:port/flows")
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::BadUrl { .. }), "{err:?}");
}

#[test]
fn the_replay_log_refuses_changes_and_removals() {
    let url = testing::shared().create_database();
    Store::connect(&url).unwrap();
    let mut db = admin(&url);
    for statement in [
        "UPDATE skein_log SET tag = 'x'",
        "DELETE FROM skein_log",
        "TRUNCATE skein_log",
    ] {
        let err = db.batch_execute(statement).unwrap_err();
        let said = err.as_db_error().map(|e| e.message().to_string());
        assert_eq!(
            said.as_deref(),
            Some("the replay log is append-only"),
            "{statement}"
        );
    }
}

#[test]
fn a_lost_connection_is_made_again_by_the_next_operation() {
    let url = testing::shared().create_database();
    let mut store = Store::connect(&url).unwrap();
    assert_eq!(store.next_id().unwrap(), 1);
    // The server ends every other session of the database (a restart, a
    // failover, an administrator).
    let mut db = admin(&url);
    db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
        &[],
    )
    .unwrap();
    // The operation under way when it happened fails; the next one works.
    let _ = store.next_id();
    assert_eq!(store.next_id().unwrap(), 1);
}

/// A store with flows 1 and 2, both due now, through `url`.
fn two_due_flows(url: &str) -> Store {
    use skein_runtime::{RuntimeStore, Schedule, Write};
    let mut store = Store::connect(url).unwrap();
    let mut engine = skein::Engine::new();
    engine
        .eval("(defflow ask (lambda () (request 'ask '())))")
        .unwrap();
    let now = skein::Timestamp::now();
    let inserts: Vec<_> = (0..2)
        .map(|_| {
            let id = engine.start("ask", vec![]).unwrap().id();
            Write::Insert {
                record: engine.flow_record(id).unwrap(),
                source: None,
                schedule: Schedule {
                    due_at: Some(now),
                    attempts: 0,
                },
            }
        })
        .collect();
    store.commit(&inserts).unwrap();
    store
}

#[test]
fn a_claim_that_meets_a_damaged_row_fails_and_claims_nothing() {
    use skein_runtime::RuntimeStore;
    let url = testing::shared().create_database();
    let mut store = two_due_flows(&url);
    admin(&url)
        .execute("UPDATE skein_flows SET pending_tag = '{' WHERE id = 2", &[])
        .unwrap();
    let due = store.next_due().unwrap().unwrap();
    let err = store
        .claim_due(due, due.after(60.0), 10)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the store is damaged: flow 2: pending tag"),
        "{err}"
    );
    // Neither flow was leased: both are due as they were.
    let rows = admin(&url)
        .query("SELECT due_at FROM skein_flows ORDER BY id", &[])
        .unwrap();
    let dues: Vec<Option<i64>> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(dues, [Some(due.millis() as i64); 2]);
}

#[test]
fn an_insert_over_a_flow_that_a_hand_edit_left_below_next_id_is_refused() {
    use skein_runtime::{RuntimeStore, Schedule, Write};
    let url = testing::shared().create_database();
    let mut store = two_due_flows(&url);
    let before = store.export_json().unwrap();
    admin(&url)
        .execute("UPDATE skein_store SET next_id = 2", &[])
        .unwrap();
    let mut engine = skein::Engine::new();
    engine
        .eval("(defflow ask (lambda () (request 'ask '())))")
        .unwrap();
    engine.set_next_flow_id(2);
    let id = engine.start("ask", vec![]).unwrap().id();
    let insert = Write::Insert {
        record: engine.flow_record(id).unwrap(),
        source: None,
        schedule: Schedule {
            due_at: None,
            attempts: 0,
        },
    };
    let err = store.commit(&[insert]).unwrap_err().to_string();
    assert!(err.starts_with("flow id 2 is not free"), "{err}");
    admin(&url)
        .execute("UPDATE skein_store SET next_id = 3", &[])
        .unwrap();
    assert_eq!(store.export_json().unwrap(), before);
}
