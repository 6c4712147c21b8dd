//! The sandbox a host relies on (docs/security.md): an `Engine::new()` lets
//! a script reach nothing outside the engine; each capability works once the
//! host grants it; inside a flow none works even when granted; `load` stays
//! under its root, bounded in size and nesting; `exit` unwinds; the error
//! port is its own stream.

use std::path::{Path, PathBuf};

use skein::{Capabilities, Engine, Error, Step, MAX_LOAD_DEPTH};

/// Every form that reaches outside the engine, with the capability it needs.
const REACHING_OUT: &[(&str, &str)] = &[
    ("(current-second)", "clock"),
    ("(current-jiffy)", "clock"),
    ("(get-environment-variable \"PATH\")", "environment"),
    ("(get-environment-variables)", "environment"),
    ("(exit 9)", "exit"),
    ("(emergency-exit 9)", "exit"),
    ("(load \"lib.scm\")", "load"),
];

fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sandbox")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the directory");
    }
    std::fs::write(path, text).expect("write a scratch file");
}

/// An engine granted everything, with `load` under `root`.
fn granted_engine(root: &Path) -> Engine {
    let mut e = Engine::new();
    e.capture_output();
    e.capture_error_output();
    e.set_capabilities(Capabilities::all_under(root));
    e
}

/// The message of the error `source` raises, caught by the script itself.
fn caught(e: &mut Engine, source: &str) -> String {
    let guarded = format!("(guard (e (#t (error-object-message e))) {source} 'no-error)");
    match e.eval(&guarded) {
        Ok(skein::Value::Str(message)) => message,
        other => panic!("{source}: expected a caught error, got {other:?}"),
    }
}

#[test]
fn a_new_engine_grants_nothing() {
    assert_eq!(Engine::new().capabilities(), &Capabilities::none());
    assert_eq!(Capabilities::none(), Capabilities::default());
}

#[test]
fn every_capability_is_refused_by_default_with_an_error_naming_the_grant() {
    let dir = scratch_dir("refused_by_default");
    write(&dir.join("lib.scm"), "(define loaded #t)");
    for (source, capability) in REACHING_OUT {
        let mut e = Engine::new();
        let err = e.eval(source).unwrap_err();
        assert!(matches!(err, Error::Eval(_)), "{source}: {err:?}");
        let report = err.report();
        assert!(report.contains("not granted"), "{source}: {report}");
        assert!(
            report.contains(&format!("Capabilities {{ {capability}")),
            "{source}: the refusal says how to grant it: {report}"
        );
        // The engine is untouched and still usable.
        assert_eq!(e.eval("(+ 1 2)").unwrap(), skein::Value::Int(3));
    }
}

#[test]
fn a_refused_capability_is_an_error_the_script_can_catch() {
    let mut e = Engine::new();
    for (source, _) in REACHING_OUT {
        let message = caught(&mut e, source);
        assert!(message.contains("set_capabilities"), "{source}: {message}");
    }
}

#[test]
fn each_capability_works_once_granted() {
    let dir = scratch_dir("granted");
    write(&dir.join("lib.scm"), "(define loaded 'yes)");
    let mut e = granted_engine(&dir);
    assert!(matches!(
        e.eval("(current-second)"),
        Ok(skein::Value::Real(_))
    ));
    assert!(matches!(
        e.eval("(current-jiffy)"),
        Ok(skein::Value::Int(_))
    ));
    assert_eq!(
        e.eval("(string? (get-environment-variable \"PATH\"))")
            .unwrap(),
        skein::Value::Bool(true)
    );
    assert_eq!(
        e.eval("(pair? (get-environment-variables))").unwrap(),
        skein::Value::Bool(true)
    );
    e.eval("(load \"lib.scm\")").unwrap();
    assert_eq!(e.eval("loaded").unwrap(), skein::Value::symbol("yes"));
    assert!(matches!(e.eval("(exit 9)"), Err(Error::Exit(9))));
    assert!(matches!(e.eval("(emergency-exit 4)"), Err(Error::Exit(4))));
}

#[test]
fn one_capability_granted_grants_no_other() {
    let mut e = Engine::new();
    e.set_capabilities(Capabilities {
        clock: true,
        ..Capabilities::none()
    });
    assert!(e.eval("(current-second)").is_ok());
    for source in [
        "(get-environment-variable \"PATH\")",
        "(exit 1)",
        "(load \"x.scm\")",
    ] {
        assert!(caught(&mut e, source).contains("not granted"), "{source}");
    }
}

#[test]
fn every_capability_is_refused_inside_a_flow_even_when_granted() {
    let dir = scratch_dir("inside_flows");
    write(&dir.join("lib.scm"), "(define loaded #t)");
    for (source, _) in REACHING_OUT {
        let mut e = granted_engine(&dir);
        e.eval(&format!("(defflow reach (lambda () {source}))"))
            .unwrap();
        match e.start("reach", vec![]).unwrap() {
            Step::Failed { error, .. } => {
                assert!(
                    error.contains("flows must be deterministic"),
                    "{source}: {error}"
                );
                assert!(
                    error.contains("request") || error.contains("flow/now"),
                    "{source}: the refusal says what to use instead: {error}"
                );
            }
            other => panic!("{source}: expected the flow to fail, got {other:?}"),
        }
    }
}

#[test]
fn load_cannot_escape_its_root_and_reveals_nothing_outside_it() {
    let base = scratch_dir("escape");
    let root = base.join("root");
    let secret = base.join("secret.txt");
    write(&secret, "TOP-SECRET-CONTENTS");
    write(&root.join("inside.scm"), "(define inside 1)");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, root.join("link.scm")).unwrap();
    let mut e = granted_engine(&root);
    let absolute = secret.display().to_string();
    let mut attempts = vec![
        "../secret.txt".to_string(),
        "sub/../../secret.txt".to_string(),
        absolute.clone(),
        "/etc/passwd".to_string(),
        "/proc/self/environ".to_string(),
    ];
    if cfg!(unix) {
        attempts.push("link.scm".to_string());
    }
    for path in attempts {
        let err = e.eval(&format!("(load {path:?})")).unwrap_err();
        let report = err.report();
        assert!(report.contains("outside the directory"), "{path}: {report}");
        assert!(!report.contains("TOP-SECRET"), "{path}: {report}");
        assert!(!report.contains("PATH="), "{path}: {report}");
    }
    // A missing file outside the root is refused the same way as one that
    // exists: the script learns nothing about what is there.
    let err = e.eval("(load \"../no-such.scm\")").unwrap_err();
    assert!(
        err.report().contains("outside the directory"),
        "{}",
        err.report()
    );
    // Inside the root, loading works.
    e.eval("(load \"inside.scm\")").unwrap();
}

#[test]
fn a_nested_load_resolves_against_the_loading_file_and_stays_under_the_root() {
    let base = scratch_dir("nested");
    let root = base.join("root");
    write(&base.join("outer.scm"), "(define outer 1)");
    write(&root.join("lib/a.scm"), "(load \"b.scm\")");
    write(&root.join("lib/b.scm"), "(define b 'from-lib)");
    write(&root.join("lib/escape.scm"), "(load \"../../outer.scm\")");
    let mut e = granted_engine(&root);
    e.eval("(load \"lib/a.scm\")").unwrap();
    assert_eq!(e.eval("b").unwrap(), skein::Value::symbol("from-lib"));
    let err = e.eval("(load \"lib/escape.scm\")").unwrap_err();
    assert!(
        err.report().contains("outside the directory"),
        "{}",
        err.report()
    );
}

#[cfg(unix)]
#[test]
fn loading_a_device_or_an_endless_file_stops_at_once() {
    let mut e = granted_engine(Path::new("/dev"));
    let started = std::time::Instant::now();
    let err = e.eval("(load \"/dev/zero\")").unwrap_err();
    assert!(
        err.report().contains("not a regular file"),
        "{}",
        err.report()
    );
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn a_file_larger_than_the_load_limit_is_refused() {
    let dir = scratch_dir("too_big");
    let big = format!("; {}\n", "x".repeat((skein::MAX_LOAD_BYTES as usize) + 16));
    write(&dir.join("big.scm"), &big);
    let mut e = granted_engine(&dir);
    let err = e.eval("(load \"big.scm\")").unwrap_err();
    assert!(
        err.report().contains("larger than 16 MiB"),
        "{}",
        err.report()
    );
}

#[test]
fn a_file_that_loads_itself_stops_with_a_located_error() {
    let dir = scratch_dir("self_load");
    write(&dir.join("self.scm"), "(define n 1)\n(load \"self.scm\")\n");
    let mut e = granted_engine(&dir);
    let err = e.eval("(load \"self.scm\")").unwrap_err();
    let report = err.report();
    assert!(
        report.contains(&format!("nested more than {MAX_LOAD_DEPTH} deep")),
        "{report}"
    );
    assert!(
        report.contains("self.scm:2:1"),
        "the error is located: {report}"
    );
}

#[test]
fn a_cycle_of_files_that_load_each_other_stops_too() {
    let dir = scratch_dir("cycle");
    write(&dir.join("a.scm"), "(load \"b.scm\")");
    write(&dir.join("b.scm"), "(load \"a.scm\")");
    let mut e = granted_engine(&dir);
    let err = e.eval("(load \"a.scm\")").unwrap_err();
    assert!(
        err.report().contains("nested more than"),
        "{}",
        err.report()
    );
}

#[test]
fn a_custom_loader_grants_load_and_is_still_bounded_in_nesting() {
    let mut e = Engine::new();
    e.set_loader(Some(Box::new(|path: &Path| {
        if path.ends_with("loop.scm") {
            Ok("(load \"loop.scm\")".to_string())
        } else {
            Ok("(define from-loader 42)".to_string())
        }
    })));
    e.eval("(load \"any.scm\")").unwrap();
    assert_eq!(e.eval("from-loader").unwrap(), skein::Value::Int(42));
    let err = e.eval("(load \"loop.scm\")").unwrap_err();
    assert!(
        err.report().contains("nested more than"),
        "{}",
        err.report()
    );
    // Removing it takes the grant away again.
    e.set_loader(None);
    assert!(caught(&mut e, "(load \"any.scm\")").contains("not granted"));
}

#[test]
fn load_file_is_the_hosts_own_call_and_needs_no_grant() {
    let dir = scratch_dir("load_file");
    write(&dir.join("main.scm"), "(define main 'loaded)");
    let mut e = Engine::new();
    e.load_file(dir.join("main.scm")).unwrap();
    assert_eq!(e.eval("main").unwrap(), skein::Value::symbol("loaded"));
}

#[test]
fn exit_runs_pending_after_thunks_then_returns_exit_to_the_host() {
    let mut e = Engine::new();
    e.capture_output();
    e.set_capabilities(Capabilities {
        exit: true,
        ..Capabilities::none()
    });
    let result = e.eval(
        "(dynamic-wind
           (lambda () (display \"in \"))
           (lambda () (dynamic-wind (lambda () #f)
                                    (lambda () (exit 7) (display \"not reached \"))
                                    (lambda () (display \"inner-after \"))))
           (lambda () (display \"outer-after\")))",
    );
    assert!(matches!(result, Err(Error::Exit(7))), "{result:?}");
    assert_eq!(e.take_output(), "in inner-after outer-after");
    // emergency-exit skips them, as R7RS says.
    let result = e.eval("(dynamic-wind (lambda () #f) (lambda () (emergency-exit 2)) (lambda () (display \"after\")))");
    assert!(matches!(result, Err(Error::Exit(2))), "{result:?}");
    assert_eq!(e.take_output(), "");
}

#[test]
fn the_error_port_writes_to_the_error_sink_not_the_output() {
    let mut e = Engine::new();
    e.capture_output();
    e.capture_error_output();
    e.eval(
        "(display \"out\") (display \"err\" (current-error-port)) (newline (current-error-port))",
    )
    .unwrap();
    assert_eq!(e.take_output(), "out");
    assert_eq!(e.take_error_output(), "err\n");
    assert_eq!(
        e.eval("(output-port? (current-error-port))").unwrap(),
        skein::Value::Bool(true)
    );
}
