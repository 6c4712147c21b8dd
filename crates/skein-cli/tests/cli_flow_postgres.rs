//! `skein flow --store postgres://...`: every command on a PostgreSQL store
//! (a private cluster on loopback) with the semantics and the messages it
//! has on SQLite. Each command runs against both stores, one process per
//! step, and must print the same and exit the same.

mod flow_common;

use std::process::Output;

use flow_common::{stderr, stdout, Scratch};

/// One scratch directory, a SQLite store in it (the default `skein.db`) and
/// a fresh PostgreSQL database: the same commands go to both.
struct Twins {
    s: Scratch,
    url: String,
}

impl Twins {
    fn new() -> Twins {
        let s = Scratch::new();
        s.example("order-lifecycle.flow");
        Twins {
            s,
            url: skein_postgres::testing::shared().create_database(),
        }
    }

    fn on_postgres(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--store", &self.url]);
        self.s.skein(&all)
    }

    /// Run `args` on both stores: the same exit status, stdout and stderr
    /// (what SQLite's says, with its file's name, PostgreSQL's says with its
    /// URL). Returns PostgreSQL's output.
    fn both(&self, args: &[&str]) -> Output {
        let lite = self.s.skein(args);
        let pg = self.on_postgres(args);
        assert_eq!(
            pg.status.code(),
            lite.status.code(),
            "skein {args:?}: {}",
            stderr(&pg)
        );
        assert_eq!(stdout(&pg), stdout(&lite), "skein {args:?}: stdout");
        assert_eq!(stderr(&pg), stderr(&lite), "skein {args:?}: stderr");
        pg
    }

    /// [`Twins::both`] for a command that must succeed: its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.both(args);
        assert!(out.status.success(), "skein {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// [`Twins::both`] for a command that must be refused (exit 1, nothing
    /// on stdout) and leave PostgreSQL's store as it was: its stderr.
    fn refused(&self, args: &[&str]) -> String {
        let before = self.pg_export();
        let out = self.both(args);
        assert_eq!(out.status.code(), Some(1), "skein {args:?}");
        assert_eq!(stdout(&out), "", "skein {args:?}");
        assert_eq!(self.pg_export(), before, "skein {args:?} changed the store");
        stderr(&out)
    }

    fn pg_export(&self) -> String {
        let out = self.on_postgres(&["flow", "export"]);
        assert!(out.status.success(), "export: {}", stderr(&out));
        stdout(&out)
    }
}

const START: [&str; 5] = [
    "flow",
    "start",
    "order-lifecycle.flow",
    "order-lifecycle",
    "\"o-1\"",
];

#[test]
fn every_command_says_on_postgres_what_it_says_on_sqlite() {
    let t = Twins::new();
    assert_eq!(t.ok(&START), "suspended 1 (reserve \"o-1\")\n");
    assert_eq!(t.ok(&START), "suspended 2 (reserve \"o-1\")\n");
    assert_eq!(t.ok(&START), "suspended 3 (reserve \"o-1\")\n");
    assert_eq!(
        t.ok(&["flow", "list"]),
        "suspended 1 order-lifecycle (reserve \"o-1\")\n\
         suspended 2 order-lifecycle (reserve \"o-1\")\n\
         suspended 3 order-lifecycle (reserve \"o-1\")\n"
    );
    let resume = ["flow", "resume", "1", "{:warehouse \"north\"}", "--at", "0"];
    assert_eq!(t.ok(&resume), "suspended 1 (payment \"o-1\")\n");
    // The same answer again: refused with SQLite's words, nothing changed.
    assert_eq!(
        t.refused(&resume),
        "error: flow 1 waits on the request at position 1, not 0\nnote: the store is unchanged\n"
    );
    assert!(t
        .refused(&["flow", "resume", "1", "1", "--expect", "reserve"])
        .contains("flow 1 waits on payment, not reserve"));
    let failed = t.ok(&["flow", "fail", "1", "card declined"]);
    assert!(failed.starts_with("failed 1 \""), "{failed}");
    assert!(t
        .refused(&["flow", "resume", "1", "1"])
        .contains("flow 1 is failed, not suspended"));
    assert_eq!(t.ok(&["flow", "cancel", "2"]), "cancelled 2\n");
    assert!(t
        .refused(&["flow", "cancel", "2"])
        .contains("flow 2 is cancelled, not suspended"));
    assert!(t
        .refused(&["flow", "resume", "9", "1"])
        .contains("no flow with id 9"));
    assert!(t
        .refused(&["flow", "start", "order-lifecycle.flow", "nope"])
        .contains("defines no flow named nope"));
    for id in ["1", "2", "3"] {
        let show = t.on_postgres(&["flow", "show", id]);
        assert!(show.status.success(), "{}", stderr(&show));
        let lite = t.s.ok(&["flow", "show", id]);
        // Times differ between the stores; the rest is the same.
        let keep = |text: &str| -> String {
            text.lines()
                .filter(|l| !l.starts_with("created:") && !l.starts_with("updated:"))
                .map(|l| l.split(", at 20").next().unwrap_or(l).to_string() + "\n")
                .collect()
        };
        assert_eq!(keep(&stdout(&show)), keep(&lite), "show {id}");
    }
    assert_eq!(
        t.ok(&["flow", "list", "--status", "suspended"]),
        "suspended 3 order-lifecycle (reserve \"o-1\")\n"
    );
    // The third flow runs to its end on PostgreSQL alone.
    for (answer, state) in [
        ("r", "suspended 3 (payment \"o-1\")\n"),
        ("p", "suspended 3 (fulfil \"o-1\")\n"),
        (
            "f",
            "done 3 (completed \"o-1\" :reservation r :payment p :shipment f)\n",
        ),
    ] {
        let out = t.on_postgres(&["flow", "resume", "3", answer]);
        assert_eq!(stdout(&out), state, "{}", stderr(&out));
    }
    let json: serde_json::Value = serde_json::from_str(&t.pg_export()).unwrap();
    assert_eq!(json["next_id"], 4, "{json}");
    assert_eq!(json["flows"].as_array().unwrap().len(), 3);
}

#[test]
fn a_store_moves_from_sqlite_to_postgres_and_back_losslessly() {
    let t = Twins::new();
    t.s.ok(&START);
    t.s.ok(&START);
    t.s.ok(&["flow", "resume", "1", "{:warehouse \"north\"}"]);
    t.s.ok(&["flow", "fail", "1", "late", "--timeout"]);
    t.s.ok(&["flow", "resume", "2", "(nested (list 1.5 \"s\"))"]);
    let exported = t.s.export();
    let file = t.s.file("backup.json", &exported);
    let imported = t.on_postgres(&[
        "flow",
        "import",
        file.to_str().unwrap(),
        "--source",
        "order-lifecycle.flow",
    ]);
    assert_eq!(stdout(&imported), "imported 2\n", "{}", stderr(&imported));
    assert_eq!(t.pg_export(), exported);
    // An import into a store that holds flows is refused as on SQLite.
    let again = t.on_postgres(&["flow", "import", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again),
        "error: the store already holds 2 flow(s): import into a new store\nnote: the store is unchanged\n"
    );
    // The imported flow resumes from the recorded source.
    let out = t.on_postgres(&["flow", "resume", "2", "p"]);
    assert_eq!(
        stdout(&out),
        "suspended 2 (fulfil \"o-1\")\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_stale_at_is_refused_and_changes_nothing() {
    let t = Twins::new();
    t.ok(&START);
    t.ok(&["flow", "resume", "1", "r"]);
    let stale = t.refused(&["flow", "resume", "1", "again", "--at", "0"]);
    assert_eq!(
        stale,
        "error: flow 1 waits on the request at position 1, not 0\nnote: the store is unchanged\n"
    );
    let fail = t.refused(&["flow", "fail", "1", "no", "--at", "0"]);
    assert!(fail.contains("position 1, not 0"), "{fail}");
}

#[test]
fn a_resume_with_source_records_the_file_and_a_flow_without_one_asks_for_it() {
    let t = Twins::new();
    let doc = {
        let s = Scratch::new();
        s.example("order-lifecycle.flow");
        s.ok(&[
            "flow",
            "start",
            "order-lifecycle.flow",
            "order-lifecycle",
            "x",
        ]);
        s.export()
    };
    let file = t.s.file("doc.json", &doc);
    let out = t.on_postgres(&["flow", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let refused = t.on_postgres(&["flow", "resume", "1", "r"]);
    assert_eq!(
        stderr(&refused),
        "error: flow 1 has no recorded source file (it was imported without one): name one with --source FILE\nnote: the store is unchanged\n"
    );
    let out = t.on_postgres(&[
        "flow",
        "resume",
        "1",
        "r",
        "--source",
        "order-lifecycle.flow",
    ]);
    assert_eq!(
        stdout(&out),
        "suspended 1 (payment x)\n",
        "{}",
        stderr(&out)
    );
    // Recorded: the next step needs no --source.
    let out = t.on_postgres(&["flow", "resume", "1", "p"]);
    assert_eq!(stdout(&out), "suspended 1 (fulfil x)\n", "{}", stderr(&out));
    let show = stdout(&t.on_postgres(&["flow", "show", "1"]));
    assert!(show.contains("order-lifecycle.flow\n"), "{show}");
}

#[test]
fn a_store_that_cannot_be_reached_is_named_without_its_password() {
    let s = Scratch::new();
    let out = s.skein(&[
        "flow",
        "list",
        "--store",
        "postgres://skein:s3cret@127.0.0.1:1/nowhere",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: postgres://skein:***@127.0.0.1:1/nowhere: cannot connect"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}
