//! `skein flow` as a shell script meets it: every subcommand, each step in its
//! own process, the one-line step results, and refusals that print a clear
//! message, exit 1 and leave the store exactly as it was.

mod flow_common;

use flow_common::{stderr, stdout, Scratch};

const FLOWS: &str = r#"
(defflow order
  (lambda (id)
    (display "reserving ") (display id) (newline)
    (let ((r (request 'reserve id)))
      (display "paying")
      (list 'paid r (request 'payment id)))))
(defflow boom (lambda () (request 'go '()) (car '())))
"#;

/// Run a refused command: exit 1, nothing on stdout, the store unchanged.
/// Returns stderr.
fn refused(s: &Scratch, args: &[&str]) -> String {
    let before = std::fs::read(s.path("skein.db")).ok().map(|_| s.export());
    let out = s.skein(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "skein {args:?}: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "", "skein {args:?}");
    if let Some(before) = before {
        assert_eq!(s.export(), before, "skein {args:?} changed the store");
    }
    s.redact(&stderr(&out))
}

#[test]
fn order_lifecycle_runs_to_done_one_process_per_step() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    let steps = [
        (
            vec!["start", "order-lifecycle.flow", "order-lifecycle", "\"o-1\""],
            "suspended 1 (reserve \"o-1\")\n",
        ),
        (
            vec!["resume", "1", "{:warehouse \"north\"}"],
            "suspended 1 (payment \"o-1\")\n",
        ),
        (
            vec!["resume", "1", "{:amount 1800 :ref \"tx-77\"}"],
            "suspended 1 (fulfil \"o-1\")\n",
        ),
        (
            vec!["resume", "1", "{:carrier \"dhl\"}"],
            "done 1 (completed \"o-1\" :reservation {:warehouse \"north\"} :payment {:amount 1800 :ref \"tx-77\"} :shipment {:carrier \"dhl\"})\n",
        ),
    ];
    for (args, expected) in steps {
        let args: Vec<&str> = ["flow"].into_iter().chain(args).collect();
        assert_eq!(s.ok(&args), expected, "skein {args:?}");
    }
    assert_eq!(
        s.ok(&["flow", "list"]),
        "done 1 order-lifecycle (completed \"o-1\" :reservation {:warehouse \"north\"} :payment {:amount 1800 :ref \"tx-77\"} :shipment {:carrier \"dhl\"})\n"
    );
    let show = s.ok(&["flow", "show", "1"]);
    for line in [
        "id:       1\n",
        "flow:     order-lifecycle\n",
        "args:     (\"o-1\")\n",
        "status:   done\n",
        "log:      3 answered request(s)\n",
        "  0 (reserve {:warehouse \"north\"})\n",
        "  2 (fulfil {:carrier \"dhl\"})\n",
        " when recorded; the file is unchanged\n",
    ] {
        assert!(show.contains(line), "show lacks {line:?}:\n{show}");
    }
}

#[test]
fn a_step_prints_the_flows_output_once_then_its_state_line() {
    let s = Scratch::new();
    s.file("f.flow", &format!("(display \"loading\")\n{FLOWS}"));
    let out = s.skein(&["flow", "start", "f.flow", "order", "o-9"]);
    assert_eq!(stdout(&out), "reserving o-9\nsuspended 1 (reserve o-9)\n");
    // What loading the file writes is not the flow's output: stderr.
    assert_eq!(stderr(&out), "loading");
    // Replay re-runs the first display silently; the missing newline after
    // "paying" is supplied so the state line stands alone.
    let out = s.ok(&["flow", "resume", "1", "r"]);
    assert_eq!(out, "paying\nsuspended 1 (payment o-9)\n");
}

#[test]
fn list_shows_every_status_one_line_each() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.ok(&["flow", "start", "f.flow", "order", "\"a\""]);
    s.ok(&["flow", "start", "f.flow", "order", "\"b\""]);
    s.ok(&["flow", "resume", "2", "-5"]);
    s.ok(&["flow", "resume", "2", "#(1 2.5 #\\x)"]);
    s.ok(&["flow", "start", "f.flow", "boom"]);
    let failed = s.ok(&["flow", "resume", "3", "go"]);
    assert!(failed.starts_with("failed 3 \""), "{failed}");
    assert!(failed.contains("car: expected a pair"), "{failed}");
    s.ok(&["flow", "start", "f.flow", "order", "\"c\""]);
    assert_eq!(s.ok(&["flow", "cancel", "4"]), "cancelled 4\n");
    insta::assert_snapshot!(s.redact(&s.ok(&["flow", "list"])));
}

#[test]
fn show_says_the_source_changed_and_resume_still_runs_when_replay_agrees() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.ok(&["flow", "start", "f.flow", "order", "a"]);
    s.file("f.flow", &FLOWS.replace("(list 'paid", "(vector 'paid"));
    let show = s.ok(&["flow", "show", "1"]);
    assert!(
        show.contains("when recorded; the file has CHANGED since (now "),
        "{show}"
    );
    s.ok(&["flow", "resume", "1", "r"]);
    assert_eq!(s.ok(&["flow", "resume", "1", "p"]), "done 1 #(paid r p)\n");
}

#[test]
fn a_missing_source_file_is_reported_and_a_resume_refused() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.ok(&["flow", "start", "f.flow", "order", "a"]);
    std::fs::remove_file(s.path("f.flow")).unwrap();
    let show = s.ok(&["flow", "show", "1"]);
    assert!(
        show.contains("when recorded; the file cannot be read now: "),
        "{show}"
    );
    let err = refused(&s, &["flow", "resume", "1", "r"]);
    assert!(
        err.starts_with("error: cannot read <dir>/f.flow: "),
        "{err}"
    );
}

#[test]
fn a_resume_whose_replay_diverges_is_refused_until_the_code_agrees_again() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.ok(&["flow", "start", "f.flow", "order", "a"]);
    s.ok(&["flow", "resume", "1", "r"]);
    s.file("f.flow", &FLOWS.replace("'reserve", "'hold"));
    insta::assert_snapshot!(refused(&s, &["flow", "resume", "1", "p"]));
    s.file("f.flow", FLOWS);
    assert_eq!(s.ok(&["flow", "resume", "1", "p"]), "done 1 (paid r p)\n");
}

#[test]
fn export_to_a_file_or_stdout_and_import_into_a_new_store() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    s.ok(&[
        "flow",
        "start",
        "order-lifecycle.flow",
        "order-lifecycle",
        "\"o-1\"",
    ]);
    s.ok(&["flow", "resume", "1", "{:warehouse \"north\"}"]);
    let json = s.export();
    assert!(json.contains("\"format\": \"skein-store\""), "{json}");
    assert_eq!(s.ok(&["flow", "export", "saved.json"]), "");
    assert_eq!(std::fs::read_to_string(s.path("saved.json")).unwrap(), json);

    let imported = [
        "flow",
        "import",
        "saved.json",
        "--store",
        "copy.db",
        "--source",
        "order-lifecycle.flow",
    ];
    assert_eq!(s.ok(&imported), "imported 1\n");
    assert_eq!(s.ok(&["flow", "export", "--store", "copy.db"]), json);
    assert_eq!(
        s.ok(&[
            "flow",
            "resume",
            "1",
            "{:amount 1800}",
            "--store",
            "copy.db"
        ]),
        "suspended 1 (fulfil \"o-1\")\n"
    );
    // The original store did not move.
    assert_eq!(s.export(), json);
}

#[cfg(target_os = "linux")]
#[test]
fn an_export_that_cannot_be_written_fails() {
    let s = store_with_one_flow();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = s
        .command(&["flow", "export"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: cannot write to standard output: "));
}

#[test]
fn import_reads_standard_input_and_needs_a_source_to_resume() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    s.ok(&[
        "flow",
        "start",
        "order-lifecycle.flow",
        "order-lifecycle",
        "o",
    ]);
    let json = s.export();
    let mut child = s
        .command(&["flow", "import", "-", "--store", "copy.db"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "imported 1\n");
    let show = s.ok(&["flow", "show", "1", "--store", "copy.db"]);
    assert!(show.contains("source:   none recorded"), "{show}");
    let err = refused(&s, &["flow", "resume", "1", "r", "--store", "copy.db"]);
    assert!(err.contains("name one with --source FILE"), "{err}");
    let resumed = [
        "flow",
        "resume",
        "1",
        "r",
        "--store",
        "copy.db",
        "--source",
        "order-lifecycle.flow",
    ];
    assert_eq!(s.ok(&resumed), "suspended 1 (payment o)\n");
}

#[test]
fn a_webhook_delivered_twice_with_expect_answers_once() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    s.ok(&[
        "flow",
        "start",
        "order-lifecycle.flow",
        "order-lifecycle",
        "o",
    ]);
    s.ok(&["flow", "resume", "1", "reserved"]);
    let payment = [
        "flow",
        "resume",
        "1",
        "{:amount 1800}",
        "--expect",
        "payment",
    ];
    assert_eq!(s.ok(&payment), "suspended 1 (fulfil o)\n");
    insta::assert_snapshot!(refused(&s, &payment));
}

#[test]
fn an_answer_addressed_to_a_position_answers_that_request_only() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    s.ok(&[
        "flow",
        "start",
        "order-lifecycle.flow",
        "order-lifecycle",
        "o",
    ]);
    s.ok(&["flow", "resume", "1", "reserved", "--at", "0"]);
    // The payment webhook's answer, for position 1, delivered twice.
    let payment = ["flow", "resume", "1", "{:amount 1800}", "--at", "1"];
    assert_eq!(s.ok(&payment), "suspended 1 (fulfil o)\n");
    insta::assert_snapshot!(refused(&s, &payment));
    let show = s.ok(&["flow", "show", "1"]);
    for line in [
        "waiting:  (fulfil o)\n",
        "position: 2\n",
        "  1 (payment {:amount 1800})\n",
    ] {
        assert!(show.contains(line), "show lacks {line:?}:\n{show}");
    }
    assert!(show.contains("      payload o, at 20"), "{show}");
}

#[test]
fn a_failed_request_is_raised_in_the_flow_and_logged() {
    let s = Scratch::new();
    s.file(
        "pay.flow",
        r#"(defflow pay (lambda (amount)
             (guard (e ((request-timeout? e) 'gave-up)
                       ((request-error? e) (list 'declined (error-object-message e))))
               (request 'charge amount :timeout 60))))"#,
    );
    assert_eq!(
        s.ok(&["flow", "start", "pay.flow", "pay", "10"]),
        "suspended 1 (charge 10)\n"
    );
    let show = s.ok(&["flow", "show", "1"]);
    assert!(show.contains("deadline: 20"), "{show}");
    let list = s.ok(&["flow", "list"]);
    assert!(
        list.starts_with("suspended 1 pay (charge 10) until 20"),
        "{list}"
    );
    assert!(show.contains("(timeout 60 s)"), "{show}");
    insta::assert_snapshot!(refused(&s, &["flow", "fail", "1", "declined", "--at", "3"]));
    assert_eq!(
        s.ok(&["flow", "fail", "1", "card declined", "--at", "0"]),
        "done 1 (declined \"card declined\")\n"
    );
    let show = s.ok(&["flow", "show", "1"]);
    assert!(
        show.contains("  0 (charge (request-failed \"card declined\"))\n"),
        "{show}"
    );
    s.ok(&["flow", "start", "pay.flow", "pay", "20"]);
    assert_eq!(
        s.ok(&["flow", "fail", "2", "no answer in time", "--timeout"]),
        "done 2 gave-up\n"
    );
}

// ---- refusals: a clear message, exit 1, the store unchanged ----

fn store_with_one_flow() -> Scratch {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.ok(&["flow", "start", "f.flow", "order", "a"]);
    s
}

#[test]
fn resume_of_an_unknown_id_is_refused() {
    let s = store_with_one_flow();
    insta::assert_snapshot!(refused(&s, &["flow", "resume", "7", "r"]));
}

#[test]
fn a_malformed_datum_is_refused() {
    let s = store_with_one_flow();
    insta::assert_snapshot!(refused(&s, &["flow", "resume", "1", "{:amount 1800"]));
    insta::assert_snapshot!(
        "two_data",
        refused(&s, &["flow", "start", "f.flow", "order", "a b"])
    );
}

#[test]
fn resume_or_cancel_of_a_flow_that_is_not_suspended_is_refused() {
    let s = store_with_one_flow();
    s.ok(&["flow", "cancel", "1"]);
    insta::assert_snapshot!(refused(&s, &["flow", "resume", "1", "r"]));
    assert!(refused(&s, &["flow", "cancel", "1"]).contains("flow 1 is cancelled, not suspended"));
}

#[test]
fn start_of_a_flow_the_file_does_not_define_is_refused_and_uses_no_id() {
    let s = store_with_one_flow();
    insta::assert_snapshot!(refused(&s, &["flow", "start", "f.flow", "nope"]));
    assert_eq!(
        s.ok(&["flow", "start", "f.flow", "order", "b"]),
        "reserving b\nsuspended 2 (reserve b)\n"
    );
}

#[test]
fn a_corrupted_database_file_is_refused_by_every_command_and_left_alone() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(s.path("skein.db"), &garbage).unwrap();
    let commands: [&[&str]; 7] = [
        &["flow", "list"],
        &["flow", "show", "1"],
        &["flow", "resume", "1", "r"],
        &["flow", "cancel", "1"],
        &["flow", "start", "f.flow", "order", "a"],
        &["flow", "export"],
        &["flow", "import", "f.flow"],
    ];
    let mut messages = Vec::new();
    for args in commands {
        let out = s.skein(args);
        assert_eq!(out.status.code(), Some(1), "skein {args:?}");
        assert_eq!(stdout(&out), "");
        messages.push(stderr(&out));
    }
    insta::assert_snapshot!(messages[0]);
    for m in &messages {
        assert!(
            m.starts_with("error: skein.db: not a skein store (not an SQLite database)\n"),
            "{m}"
        );
    }
    assert_eq!(std::fs::read(s.path("skein.db")).unwrap(), garbage);
}

#[test]
fn a_store_damaged_inside_is_refused_and_left_alone() {
    let s = store_with_one_flow();
    // Keep the header page (the file still says it is a skein store) and
    // scribble over the pages that hold the tables.
    let mut bytes = std::fs::read(s.path("skein.db")).unwrap();
    assert!(bytes.len() > 8192, "the store has more than two pages");
    for (i, b) in bytes.iter_mut().enumerate().skip(4096 + 100) {
        *b = (i * 7) as u8;
    }
    std::fs::write(s.path("skein.db"), &bytes).unwrap();
    // Every command, `start` and `import` too: each checks the whole file
    // before it does anything, whether or not it would touch the damage.
    for args in [
        &["flow", "list"][..],
        &["flow", "show", "1"],
        &["flow", "export"],
        &["flow", "resume", "1", "r"],
        &["flow", "cancel", "1"],
        &["flow", "start", "f.flow", "order", "b"],
        &["flow", "import", "f.flow"],
    ] {
        let out = s.skein(args);
        assert_eq!(out.status.code(), Some(1), "skein {args:?}");
        // What SQLite trips over first depends on where the damage lands
        // (timestamps make the layout differ from run to run); every case
        // must be reported as damage.
        assert!(
            stderr(&out).starts_with("error: skein.db: the store is damaged: "),
            "skein {args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read(s.path("skein.db")).unwrap(), bytes);
}

#[test]
fn a_document_of_an_unknown_format_version_is_refused() {
    let s = store_with_one_flow();
    let v3 = s.export().replace("\"version\": 2", "\"version\": 3");
    s.file("v3.json", &v3);
    insta::assert_snapshot!(refused(&s, &["flow", "import", "v3.json"]));
    // Refused into a new store too, which then never appears.
    refused(&s, &["flow", "import", "v3.json", "--store", "new.db"]);
    assert!(!s.path("new.db").exists());
}

#[test]
fn import_into_a_store_that_holds_flows_is_refused() {
    let s = store_with_one_flow();
    s.file("saved.json", &s.export());
    insta::assert_snapshot!(refused(&s, &["flow", "import", "saved.json"]));
}

#[test]
fn commands_that_read_a_missing_store_say_so_and_create_nothing() {
    let s = Scratch::new();
    insta::assert_snapshot!(refused(&s, &["flow", "list"]));
    refused(&s, &["flow", "resume", "1", "r"]);
    assert!(!s.path("skein.db").exists());
}

#[test]
fn a_runaway_step_stopped_by_max_steps_is_refused() {
    let s = Scratch::new();
    s.file(
        "spin.flow",
        "(defflow spin (lambda () (request 'go '()) (let loop () (loop))))",
    );
    s.ok(&["flow", "start", "spin.flow", "spin"]);
    insta::assert_snapshot!(refused(
        &s,
        &["flow", "resume", "1", "go", "--max-steps", "100000"]
    ));
    assert_eq!(s.ok(&["flow", "list"]), "suspended 1 spin (go ())\n");
}

#[test]
fn usage_errors_exit_2() {
    let s = store_with_one_flow();
    let out = s.skein(&["flow", "resume", "one", "r"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn help_reads_like_a_unix_tool() {
    let s = Scratch::new();
    insta::assert_snapshot!("flow_help", s.ok(&["flow", "--help"]));
    for sub in [
        "start", "list", "show", "resume", "cancel", "export", "import",
    ] {
        let help = s.ok(&["flow", sub, "--help"]);
        assert!(help.contains(&format!("Usage: skein flow {sub}")), "{help}");
        assert!(help.contains("--store <PATH|URL>"), "{help}");
    }
    insta::assert_snapshot!("resume_help", s.ok(&["flow", "resume", "--help"]));
}

// ---- what `skein flow` grants (docs/security.md) ----

#[test]
fn a_flow_file_may_load_the_files_beside_it_and_nothing_else_outside_the_engine() {
    let s = Scratch::new();
    s.file("helper.scm", "(define (ask id) (request 'ask id))\n");
    let flow = s.file(
        "main.flow",
        "(load \"helper.scm\")\n(defflow main (lambda (id) (list 'got (ask id))))\n",
    );
    let flow = flow.to_str().expect("a UTF-8 path");
    assert_eq!(
        s.ok(&["flow", "start", flow, "main", "\"x\""]),
        "suspended 1 (ask \"x\")\n"
    );
    assert!(s
        .ok(&["flow", "resume", "1", "42"])
        .starts_with("done 1 (got 42)"));
    // The top level of a flow file runs again at every step: no environment.
    let env = s.file(
        "env.flow",
        "(define home (get-environment-variable \"PATH\"))\n(defflow f (lambda () 1))\n",
    );
    let out = s.skein(&["flow", "start", env.to_str().unwrap(), "f"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not granted"), "{}", stderr(&out));
}

#[test]
fn a_store_damaged_where_start_does_not_look_is_refused_by_start() {
    let s = store_with_one_flow();
    for i in 0..30 {
        s.ok(&["flow", "start", "f.flow", "order", &format!("o-{i}")]);
    }
    // Scribble over the last page only: the header, the schema and the
    // `store` row that a start reads are intact.
    let mut bytes = std::fs::read(s.path("skein.db")).unwrap();
    let n = bytes.len();
    assert!(n >= 4 * 4096, "the store has several pages");
    for (i, b) in bytes[n - 4096 + 8..].iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    std::fs::write(s.path("skein.db"), &bytes).unwrap();
    let out = s.skein(&["flow", "start", "f.flow", "order", "late"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: skein.db: the store is damaged: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(s.path("skein.db")).unwrap(), bytes);
}

#[test]
fn an_empty_store_file_is_refused_by_every_command_and_left_empty() {
    // A store truncated to nothing must not become a new store that hands
    // out id 1 again: start and import create a store only where no file is.
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    let doc = s.file(
        "doc.json",
        r#"{"flows": [], "format": "skein-store", "next_id": 1, "version": 1}"#,
    );
    s.file("skein.db", "");
    let doc = doc.to_str().unwrap();
    for args in [
        &["flow", "list"][..],
        &["flow", "show", "1"],
        &["flow", "export"],
        &["flow", "resume", "1", "r"],
        &["flow", "cancel", "1"],
        &["flow", "start", "f.flow", "order", "a"],
        &["flow", "import", doc],
    ] {
        let out = s.skein(args);
        assert_eq!(out.status.code(), Some(1), "skein {args:?}");
        assert_eq!(stdout(&out), "");
        assert!(
            stderr(&out).starts_with(
                "error: skein.db: not a skein store (an empty file: a store is created only where no file is)\n"
            ),
            "skein {args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read(s.path("skein.db")).unwrap(), b"");
}

#[test]
fn a_refused_import_into_a_missing_store_leaves_no_file_behind() {
    let s = Scratch::new();
    let bad = [
        ("not-json.json", "{"),
        (
            "too-far.json",
            r#"{"flows": [], "format": "skein-store", "next_id": 9223372036854775807, "version": 1}"#,
        ),
        (
            "bad-id.json",
            r#"{"flows": [{"args": [], "flow": "f", "id": 5, "log": [], "result": 1, "status": "done"}], "format": "skein-store", "next_id": 2, "version": 1}"#,
        ),
    ];
    for (name, text) in bad {
        s.file(name, text);
    }
    let before: Vec<_> = std::fs::read_dir(s.dir.path()).unwrap().collect();
    for (name, _) in bad {
        let message = refused(&s, &["flow", "import", name]);
        assert!(
            message.starts_with("error: the document was refused: "),
            "{message}"
        );
    }
    let out = s.skein(&["flow", "import", "too-far.json"]);
    assert_eq!(
        stderr(&out),
        "error: the document was refused: next_id 9223372036854775807 is beyond the largest flow id 9007199254740991 plus one\nnote: the store is unchanged\n"
    );
    let after: Vec<_> = std::fs::read_dir(s.dir.path()).unwrap().collect();
    assert_eq!(after.len(), before.len(), "no store file, nothing aside");
    assert!(!s.path("skein.db").exists());
}

#[test]
fn a_store_whose_ids_are_used_up_refuses_start_with_a_clear_message() {
    let s = Scratch::new();
    s.file("f.flow", FLOWS);
    s.file(
        "last.json",
        r#"{"flows": [], "format": "skein-store", "next_id": 9007199254740991, "version": 1}"#,
    );
    s.ok(&["flow", "import", "last.json"]);
    let out = s.ok(&["flow", "start", "f.flow", "order", "a"]);
    assert!(
        out.ends_with("suspended 9007199254740991 (reserve a)\n"),
        "{out}"
    );
    let message = refused(&s, &["flow", "start", "f.flow", "order", "b"]);
    assert_eq!(
        message,
        "error: no flow id is left: the store's next id 9007199254740992 is beyond the largest flow id 9007199254740991\nnote: the store is unchanged\n"
    );
}

/// A datum exactly `depth` levels deep: maps around a symbol.
fn nested_datum(depth: usize) -> String {
    format!("{}x{}", "{:k ".repeat(depth - 1), "}".repeat(depth - 1))
}

#[test]
fn a_value_nested_at_the_maximum_survives_a_resume_and_an_export_and_import() {
    let s = Scratch::new();
    s.file(
        "deep.flow",
        "(defflow echo (lambda (v) (request 'more v)))\n(defflow wrap (lambda (v) (request 'again (list v))))\n",
    );
    let deep = nested_datum(skein::MAX_VALUE_DEPTH);
    let out = s.ok(&["flow", "start", "deep.flow", "echo", &deep]);
    assert_eq!(out, format!("suspended 1 (more {deep})\n"));
    let out = s.ok(&["flow", "resume", "1", &deep]);
    assert_eq!(out, format!("done 1 {deep}\n"));
    let json = s.export();
    s.file("deep.json", &json);
    s.ok(&["flow", "import", "deep.json", "--store", "copy.db"]);
    assert_eq!(s.ok(&["flow", "export", "--store", "copy.db"]), json);
    // One level deeper is refused where it enters: a datum on the command
    // line, or a request the flow makes (which fails the flow, saying why).
    let deeper = nested_datum(skein::MAX_VALUE_DEPTH + 1);
    let message = refused(&s, &["flow", "start", "deep.flow", "echo", &deeper]);
    assert!(
        message.contains("nested more than 1000 levels deep"),
        "{message}"
    );
    let out = s.ok(&["flow", "start", "deep.flow", "wrap", &deep]);
    assert!(out.starts_with("failed 2 \""), "{out}");
    assert!(
        out.contains("request: the payload is nested more than 1000 levels deep"),
        "{out}"
    );
    s.ok(&["flow", "export"]);
}

// ---- what the shell is told (issue 15) ----

#[test]
fn a_start_with_the_wrong_number_of_arguments_is_refused_and_uses_no_id() {
    let s = Scratch::new();
    s.example("order-lifecycle.flow");
    let file = "order-lifecycle.flow";
    assert_eq!(
        refused(&s, &["flow", "start", file, "order-lifecycle"]),
        "error: order-lifecycle in order-lifecycle.flow takes 1 argument (order-id), got 0\n\
         note: the store is unchanged\n"
    );
    let two = refused(&s, &["flow", "start", file, "order-lifecycle", "a", "b"]);
    assert!(two.contains("takes 1 argument (order-id), got 2"), "{two}");
    assert_eq!(
        s.ok(&["flow", "start", file, "order-lifecycle", "\"o-1\""]),
        "suspended 1 (reserve \"o-1\")\n",
        "the refused starts used no id"
    );
}

#[test]
fn a_start_of_a_procedure_says_it_is_a_procedure_not_a_flow() {
    let s = Scratch::new();
    s.file(
        "f.flow",
        "(define (backoff n) (* n 2))\n(define retries 3)\n(defflow f (lambda (a . more) (request 'go a)))\n",
    );
    assert_eq!(
        refused(&s, &["flow", "start", "f.flow", "backoff", "1"]),
        "error: backoff in f.flow is a procedure, not a flow: it is defined with define, and flows with defflow\n\
         note: the store is unchanged\n"
    );
    assert_eq!(
        refused(&s, &["flow", "start", "f.flow", "retries"]),
        "error: retries in f.flow is a variable, not a flow (flows are defined with defflow)\n\
         note: the store is unchanged\n"
    );
    assert!(refused(&s, &["flow", "start", "f.flow", "f"])
        .starts_with("error: f in f.flow takes at least 1 argument (a . more), got 0\n"));
}

#[test]
fn a_quoted_response_means_the_datum_itself_never_the_list_quote() {
    let s = Scratch::new();
    s.file(
        "charge.flow",
        "(defflow charge (lambda () (if (eq? (request 'charge 10) 'ok) 'charged 'declined)))\n",
    );
    for (id, answer, outcome) in [
        ("1", "'ok", "done 1 charged\n"),
        ("2", "(quote ok)", "done 2 charged\n"),
        ("3", "''ok", "done 3 declined\n"),
    ] {
        s.ok(&["flow", "start", "charge.flow", "charge"]);
        assert_eq!(s.ok(&["flow", "resume", id, answer]), outcome, "{answer}");
    }
    assert!(s.ok(&["flow", "show", "3"]).contains("  0 (charge 'ok)\n"));
    s.ok(&["flow", "start", "charge.flow", "charge"]);
    assert_eq!(
        refused(&s, &["flow", "resume", "4", "`ok"]),
        "error: the response: a datum is not evaluated, so a backquote template cannot be filled in: write the data itself, as in ok\n\
         note: the store is unchanged\n"
    );
    // Arguments and --expect read data the same way.
    s.file(
        "echo.flow",
        "(defflow echo (lambda (v) (request 'more v)))\n",
    );
    assert_eq!(
        s.ok(&["flow", "start", "echo.flow", "echo", "'o-1"]),
        "suspended 5 (more o-1)\n"
    );
    assert_eq!(
        s.ok(&["flow", "resume", "5", "1", "--expect", "'more"]),
        "done 5 1\n"
    );
}

#[test]
fn list_keeps_the_flows_of_a_status_or_waiting_on_a_tag() {
    let s = Scratch::new();
    s.file(
        "f.flow",
        "(defflow pay (lambda (id) (request 'payment id)))\n\
         (defflow ship (lambda (id) (request (list 'deliver id 1) '())))\n\
         (defflow boom (lambda () (request 'go '()) (car '())))\n",
    );
    s.ok(&["flow", "start", "f.flow", "pay", "a"]);
    s.ok(&["flow", "start", "f.flow", "ship", "b"]);
    s.ok(&["flow", "start", "f.flow", "pay", "c"]);
    s.ok(&["flow", "resume", "3", "paid"]);
    s.ok(&["flow", "start", "f.flow", "boom"]);
    s.ok(&["flow", "resume", "4", "go"]);
    s.ok(&["flow", "start", "f.flow", "ship", "e"]);
    s.ok(&["flow", "cancel", "5"]);
    let list = |args: &[&str]| {
        let args: Vec<&str> = ["flow", "list"].iter().chain(args).copied().collect();
        let out = s.ok(&args);
        out.lines()
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&[]).len(), 5);
    assert_eq!(
        list(&["--status", "suspended"]),
        ["suspended 1", "suspended 2"]
    );
    assert_eq!(
        list(&["--status", "waiting"]),
        ["suspended 1", "suspended 2"]
    );
    assert_eq!(list(&["--status", "done"]), ["done 3"]);
    assert_eq!(list(&["--status", "failed"]), ["failed 4"]);
    assert_eq!(list(&["--status", "cancelled"]), ["cancelled 5"]);
    assert_eq!(list(&["--waiting", "payment"]), ["suspended 1"]);
    // A list tag answers to its first element, and to itself whole.
    assert_eq!(list(&["--waiting", "deliver"]), ["suspended 2"]);
    assert_eq!(list(&["--waiting", "(deliver b 1)"]), ["suspended 2"]);
    assert_eq!(list(&["--waiting", "(deliver e 1)"]), Vec::<String>::new());
    assert_eq!(
        list(&["--waiting", "payment", "--status", "done"]),
        Vec::<String>::new()
    );
    let out = s.skein(&["flow", "list", "--status", "asleep"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_resume_whose_file_no_longer_defines_the_flow_says_what_to_do_in_the_shell() {
    let s = store_with_one_flow();
    s.file("other.flow", "(define (order x) x)\n");
    let message = refused(&s, &["flow", "resume", "1", "r", "--source", "other.flow"]);
    assert_eq!(
        message,
        "error: flow 1 was not resumed: it is rebuilt by replaying its log, but other.flow defines no flow named order: restore the defflow there, or name a file that has it with --source FILE\n\
         note: the store is unchanged\n"
    );
    assert!(!message.contains("define it, then resume"), "{message}");
}

#[test]
fn an_import_refusal_names_the_flow_and_the_log_position() {
    let s = store_with_one_flow();
    s.ok(&["flow", "resume", "1", "r"]);
    let json = s.export();
    // The second flow's log entry 0 holds a value the format has no tag for.
    let broken = json.replacen("\"symbol\": \"reserve\"", "\"symbool\": \"reserve\"", 1);
    assert_ne!(broken, json);
    s.file("broken.json", &broken);
    let message = refused(&s, &["flow", "import", "broken.json", "--store", "new.db"]);
    assert!(
        message.starts_with("error: the document was refused: flow 1, log position 0, \"tag\": "),
        "{message}"
    );
}
