//! The evaluator: arbitrary UTF-8 as a program, run in the sandbox
//! (`Engine::new()` grants nothing) under tight limits. It must end in a
//! value or an error, never a panic, an abort, a stack overflow or a hang;
//! the value must print and read back, the error must render.

use skein::{Engine, Limits};

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(src) = std::str::from_utf8(data) else {
            return;
        };
        let mut engine = Engine::new();
        engine.set_limits(Limits {
            max_steps: Some(200_000),
            max_depth: Some(10_000),
            max_heap_bytes: Some(64 << 20),
        });
        engine.capture_output();
        engine.capture_error_output();
        let started = std::time::Instant::now();
        let result = engine.eval(src);
        if skein_fuzz::show() {
            eprintln!("after {:?}: {result:?}", started.elapsed());
        }
        match result {
            Ok(v) => skein_fuzz::check_printing(&v),
            Err(e) => skein_fuzz::check_error(&e),
        }
        let _ = engine.take_output();
        let _ = engine.take_error_output();
        // Whatever the program did (it may have redefined anything it can
        // name), the engine stays usable: a literal still evaluates.
        assert_eq!(
            engine.eval("3").ok(),
            Some(skein::Value::Int(3)),
            "the engine is unusable after the program"
        );
    });
}
