//! Shared helpers for the tests: paths to the example flows, engines
//! that capture output, and a host driver that runs a flow to completion
//! either uninterrupted or with a process restart (export, fresh engine,
//! import) before every answer.

#![allow(dead_code)]

use skein::{Engine, FlowStatus, Limits, Step, Value};

/// The absolute path of an example flow in the repository's `flows/`.
pub fn flow_file(name: &str) -> String {
    format!("{}/../../flows/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh engine whose output is captured.
pub fn engine() -> Engine {
    let mut e = Engine::new();
    e.capture_output();
    e
}

/// A fresh engine whose output is captured and whose continuation may hold
/// only 1,000 frames: a loop that is not in constant space fails on it.
pub fn shallow_engine() -> Engine {
    let mut e = engine();
    e.set_limits(Limits {
        max_depth: Some(1_000),
        ..Limits::default()
    });
    e
}

/// A fresh engine with `source` evaluated (output captured and discarded).
pub fn engine_with(source: &str) -> Engine {
    let mut e = engine();
    e.eval(source)
        .unwrap_or_else(|err| panic!("setup failed: {}", err.report()));
    e.take_output();
    e
}

/// Evaluate `source` and return the value, panicking with the report on error.
pub fn ev(e: &mut Engine, source: &str) -> Value {
    e.eval(source)
        .unwrap_or_else(|err| panic!("eval of {source} failed: {}", err.report()))
}

/// Assert that `source` evaluates to the value of `expected` (a quoted
/// datum, usually), both in `e`.
#[track_caller]
pub fn assert_evals_to(e: &mut Engine, source: &str, expected: &str) {
    let (got, want) = (ev(e, source), ev(e, expected));
    assert_eq!(got, want, "{source}");
}

/// Evaluate `source` and return its `write` representation.
pub fn ev_str(e: &mut Engine, source: &str) -> String {
    ev(e, source).to_write_string()
}

/// The message of an error raised by `source`, caught in Scheme.
pub fn scheme_error(e: &mut Engine, source: &str) -> String {
    let wrapped = format!(
        "(guard (e ((error-object? e) (error-object-message e)) (#t (list 'raised e))) {source} 'no-error)"
    );
    match ev(e, &wrapped) {
        Value::Str(s) => s,
        other => panic!("{source}: expected an error, got {other}"),
    }
}

pub fn sym(s: &str) -> Value {
    Value::symbol(s)
}

pub fn kw(s: &str) -> Value {
    Value::keyword(s)
}

pub fn s(x: &str) -> Value {
    Value::from(x)
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

/// Makes the engine a given run uses: the same definitions every time, as a
/// restarted host process would load them.
pub type Setup<'a> = &'a dyn Fn() -> Engine;

/// A host's answer to a request: `(tag, payload) -> response`.
pub type Respond<'a> = &'a mut dyn FnMut(&Value, &Value) -> Value;

/// A scripted host: answers each request `(tag, payload)` with a response.
pub type Host = Box<dyn FnMut(&Value, &Value) -> Value>;

/// Everything observable about one run of a flow through a host loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub steps: Vec<Step>,
    pub status: Option<FlowStatus>,
    pub log: Option<Vec<(Value, Value)>>,
    /// Everything the flow wrote, over all the engines the run used.
    pub output: String,
    /// How many engines (processes) the run used.
    pub engines: usize,
}

impl Run {
    pub fn last(&self) -> &Step {
        self.steps.last().expect("a run has at least one step")
    }
}

/// Start `flow` with `args` and answer every request with `respond` until the
/// flow is done or failed. With `restart`, every answer goes to a brand-new
/// engine (made by `setup`) that imported the previous engine's export.
pub fn drive(setup: Setup, flow: &str, args: Vec<Value>, respond: Respond, restart: bool) -> Run {
    let mut engine = setup();
    let mut output = engine.take_output();
    assert_eq!(output, "", "loading the definitions writes nothing");
    let mut engines = 1;
    let mut step = engine
        .start(flow, args)
        .unwrap_or_else(|e| panic!("start {flow}: {e}"));
    let mut steps = vec![step.clone()];
    while let Step::Suspended { id, tag, payload } = &step {
        assert!(steps.len() < 10_000, "runaway flow {flow}");
        let (id, response) = (*id, respond(tag, payload));
        if restart {
            output.push_str(&engine.take_output());
            let json = engine.export_json().expect("export a suspended store");
            engine = setup();
            assert_eq!(engine.take_output(), "");
            engine.import_json(&json).expect("import our own export");
            engines += 1;
            // A freshly imported store equals what was exported.
            assert_eq!(engine.export_json().unwrap(), json, "import is exact");
        }
        step = engine
            .resume(id, response)
            .unwrap_or_else(|e| panic!("resume {flow} {id}: {e}"));
        steps.push(step.clone());
    }
    output.push_str(&engine.take_output());
    let id = step.id();
    Run {
        status: engine.status(id),
        log: engine.log(id),
        steps,
        output,
        engines,
    }
}

/// Run the same scripted host twice, uninterrupted and restarting before
/// every answer, and assert that nothing observable differs. Returns the run.
/// `host` makes a fresh scripted host for each of the two runs.
pub fn assert_restart_invariant<H>(setup: Setup, flow: &str, args: Vec<Value>, host: H) -> Run
where
    H: Fn() -> Host,
{
    let live = drive(setup, flow, args.clone(), &mut *host(), false);
    let restarted = drive(setup, flow, args, &mut *host(), true);
    assert_eq!(live.steps, restarted.steps, "steps differ for {flow}");
    assert_eq!(
        live.status, restarted.status,
        "final status differs for {flow}"
    );
    assert_eq!(live.log, restarted.log, "logs differ for {flow}");
    assert_eq!(
        live.output, restarted.output,
        "output differs for {flow} (flow output must appear exactly once)"
    );
    assert_eq!(restarted.engines, live.steps.len(), "one engine per step");
    live
}

/// Instrument `request` so that flow code writes a line before every request
/// and after every answer: the observable trace of the restart harness.
/// Evaluate this before loading the flows so they use the wrapper.
pub const TRACE_REQUESTS: &str = r#"
(define request
  (let ((raw request))
    (lambda (tag . payload)
      (display "> ") (write tag) (newline)
      (let ((response (apply raw tag payload)))
        (display "< ") (write response) (newline)
        response))))
"#;

/// Run a Scheme host loop: start `start_expr`, answer with the Scheme
/// procedure `answer` (tag payload -> response) until done or failed; with
/// `restart`, export/reset/import before every answer. Returns the final
/// result list as written.
pub const SCHEME_DRIVER: &str = r#"
(define (restart!)
  (let ((saved (flow-store-export)))
    (flow-store-reset!)
    (flow-store-import! saved)))
(define (drive step answer restart?)
  (if (eq? (car step) 'flow-suspended)
      (let ((id (cadr step)) (tag (caddr step)) (payload (cadddr step)))
        (if restart? (restart!))
        (drive (flow/resume id (answer tag payload)) answer restart?))
      step))
"#;
