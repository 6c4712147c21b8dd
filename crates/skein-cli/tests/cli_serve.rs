//! `skein serve` as a user runs it: a real process on a real store, handler
//! commands, the HTTP API over loopback, SIGTERM and SIGKILL in the middle
//! of work. Nothing acknowledged is lost, and every log holds each
//! request's answer exactly once.

mod flow_common;
mod serve_common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use serve_common::*;
use skein::Value;
use skein_sqlite::{State, Store};

#[test]
fn handler_commands_drive_flows_to_the_end() {
    let s = scratch();
    let server = Server::start(&s, &[]);
    let ids = start_chains(&server, 5, 4);
    wait_all_finished(&mut *open_store(&s, None));
    assert_all_done(&mut *open_store(&s, None), &ids, 4);
    // Without a kill, each request went to the handler once.
    let calls = std::fs::read_to_string(s.path("calls.log")).unwrap();
    assert_eq!(calls.lines().count(), 20);
}

#[test]
fn sigterm_finishes_the_step_in_hand_and_a_restart_goes_on() {
    let s = scratch();
    let server = Server::start(&s, &[]);
    let ids = start_chains(&server, 10, 30);
    std::thread::sleep(Duration::from_millis(200));
    server.signal("-TERM");
    let status = server.wait();
    assert!(status.success(), "it stops cleanly: {status:?}");
    // It stopped in the middle of the work, with every step it took recorded.
    assert!(
        unfinished(&mut *open_store(&s, None)) > 0,
        "the work was over before the signal"
    );
    let server = Server::start(&s, &[]);
    wait_all_finished(&mut *open_store(&s, None));
    drop(server);
    assert_all_done(&mut *open_store(&s, None), &ids, 30);
}

#[test]
fn sigkill_in_the_middle_of_work_loses_nothing_acknowledged() {
    let s = scratch();
    let mut ids = Vec::new();
    for round in 0..3 {
        let server = Server::start(&s, &[]);
        ids.extend(start_chains(&server, 8, 20));
        std::thread::sleep(Duration::from_millis(100 + 80 * round));
        server.signal("-KILL");
        server.wait();
        assert!(
            unfinished(&mut *open_store(&s, None)) > 0,
            "round {round}: the work was over before the kill"
        );
    }
    // Restarted: the requests cut off by a kill are tried again once their
    // claim runs out (the handler timeout plus a grace period).
    let server = Server::start(&s, &[]);
    wait_all_finished(&mut *open_store(&s, None));
    drop(server);
    assert_all_done(&mut *open_store(&s, None), &ids, 20);
    // Every request was handled at least once (at least once, not exactly).
    let calls = std::fs::read_to_string(s.path("calls.log")).unwrap();
    for &id in &ids {
        for position in 0..20 {
            let key = format!("skein-{id}-{position}");
            assert!(calls.lines().any(|l| l == key), "{key} never handled");
        }
    }
}

#[test]
fn a_sleep_wakes_after_the_server_was_restarted() {
    let s = scratch();
    let server = Server::start(&s, &[]);
    let (status, body) = server.http("POST", "/flows", r#"{"flow": "nap", "args": [1]}"#);
    assert_eq!(status, 201, "{body}");
    server.signal("-TERM");
    assert!(server.wait().success());
    let store = Store::open(s.path("skein.db")).unwrap();
    assert!(matches!(
        store.flow(1).unwrap().state,
        State::Suspended { .. }
    ));
    let _server = Server::start(&s, &[]);
    wait_all_finished(&mut *open_store(&s, None));
    let store = Store::open(s.path("skein.db")).unwrap();
    assert_eq!(
        store.flow(1).unwrap().state,
        State::Done(Value::symbol("awake"))
    );
}

#[test]
fn sigterm_is_obeyed_while_a_client_holds_a_half_sent_request() {
    let s = scratch();
    let server = Server::start(&s, &[]);
    let mut stuck = TcpStream::connect(&server.address).expect("a connection");
    write!(
        stuck,
        "POST /flows HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"flow\""
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    server.signal("-TERM");
    // Stops after its grace period for requests under way, not when the
    // client gives up (Server::wait allows 30 s).
    let status = server.wait();
    assert!(status.success(), "{status:?}");
    drop(stuck);
}

#[test]
fn a_refused_start_creates_no_store_and_binds_no_port() {
    let s = scratch();
    let missing = s.skein(&["serve", "nope.flow", "--listen", "127.0.0.1:0"]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("cannot read nope.flow"), "{stderr}");
    let builtin = s.skein(&["serve", "chain.flow", "--handler", "sleep=./wake.sh"]);
    assert_eq!(builtin.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&builtin.stderr);
    assert!(stderr.contains("`sleep` is a built-in request"), "{stderr}");
    let far = s.skein(&[
        "serve",
        "chain.flow",
        "--handler",
        "step=http://example.com/",
    ]);
    assert_eq!(far.status.code(), Some(2), "a usage error");
    assert!(!s.path("skein.db").exists(), "no store was created");
}
