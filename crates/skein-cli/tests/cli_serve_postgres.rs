//! Several `skein serve` processes on one PostgreSQL database (a private
//! cluster on loopback): they share the work, and a server killed with
//! SIGKILL in the middle of it loses nothing acknowledged, its claims taken
//! over by the others once they run out. Every log holds each answer once.

mod flow_common;
mod serve_common;

use std::time::Duration;

use serve_common::*;

#[test]
fn three_servers_share_one_database_and_a_killed_one_loses_nothing() {
    let s = scratch();
    let url = skein_postgres::testing::shared().create_database();
    let store = ["--store", url.as_str()];
    let mut servers: Vec<Server> = (0..3).map(|_| Server::start(&s, &store)).collect();
    // Flows started through every server.
    let mut ids = Vec::new();
    for server in &servers {
        ids.extend(start_chains(server, 8, 12));
    }
    std::thread::sleep(Duration::from_millis(300));
    let killed = servers.remove(1);
    killed.signal("-KILL");
    killed.wait();
    let mut db = open_store(&s, Some(&url));
    assert!(
        unfinished(&mut *db) > 0,
        "the work was over before the kill"
    );
    // Restarted; the survivors kept working meanwhile.
    servers.push(Server::start(&s, &store));
    wait_all_finished(&mut *db);
    drop(servers);
    assert_all_done(&mut *db, &ids, 12);
    let calls = std::fs::read_to_string(s.path("calls.log")).unwrap();
    for &id in &ids {
        for position in 0..12 {
            let key = format!("skein-{id}-{position}");
            assert!(calls.lines().any(|l| l == key), "{key} never handled");
        }
    }
}
