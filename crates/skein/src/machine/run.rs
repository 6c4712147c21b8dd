//! Entering and leaving the machine: evaluating a source's forms, applying a
//! procedure for the host, `eval`, what an effect primitive may touch, and
//! how an uncaught error is described.

use std::rc::Rc;

use crate::machine::frame::{Args, Loading, K};
use crate::machine::limits::Abort;
use crate::machine::{Machine, Next, Step};
use crate::values::value::Val;

impl Machine {
    /// Evaluate the forms of a source in order; the value of the last one.
    pub fn run_forms(&mut self, loading: Loading) -> Result<Val, Abort> {
        self.reset_run();
        let first = self.load_form(Rc::new(loading), 0, Val::Unspecified);
        let result = first.and_then(|next| self.execute(next, 0));
        self.finish_run(result)
    }

    /// Run `f` applied to `args` to completion (for the embedding API).
    pub fn run_apply(&mut self, f: Val, args: Args) -> Result<Val, Abort> {
        self.reset_run();
        let result = self.execute(Next::Apply(f, args), 0);
        self.finish_run(result)
    }

    fn reset_run(&mut self) {
        self.clear_stacks();
        self.steps = 0;
        self.pairs_at_start = crate::values::value::live_pairs();
    }

    fn clear_stacks(&mut self) {
        self.frames.clear();
        self.truncate(0);
    }

    fn finish_run(&mut self, result: Result<Val, Abort>) -> Result<Val, Abort> {
        if let Err(abort) = &result {
            let reason = match abort {
                Abort::Limit(kind) => format!("aborted: {}", kind.describe()),
                Abort::Interrupted => "aborted: interrupted".to_string(),
                Abort::Exit(code) => format!("aborted: exit {code}"),
                Abort::Uncaught(..) => "aborted".to_string(),
            };
            self.abandon_running_flow(&reason);
        }
        self.clear_stacks();
        result
    }

    pub(crate) fn load_form(&mut self, loading: Rc<Loading>, i: usize, last: Val) -> Step {
        let Some(form) = loading.forms.get(i) else {
            return Ok(Next::Return(last));
        };
        let span = form.span;
        let compiled = self.compiler().compile_toplevel(form);
        match compiled {
            Ok(node) => {
                let proto = crate::bytecode::codegen::toplevel(&self.globals, &node, span);
                // Pushed even after the last form: a `load` there must still
                // resolve against this file's directory.
                self.push(K::Load(loading, i + 1))?;
                Ok(self.toplevel(proto))
            }
            Err(e) => {
                self.call_span = e.span;
                let e = crate::values::value::error_of(
                    crate::values::value::ErrorKind::SyntaxError,
                    e.message,
                );
                self.raise(e, false)
            }
        }
    }

    /// Compile `datum` and run it as a top-level form (`eval`).
    pub(crate) fn eval_datum(&mut self, datum: &Val) -> Step {
        let syntax = crate::read::syntax::Syntax::from_datum(datum, self.call_span);
        let compiled = self.compiler().compile_toplevel(&syntax);
        match compiled {
            Ok(node) => {
                let proto = crate::bytecode::codegen::toplevel(&self.globals, &node, syntax.span);
                Ok(self.toplevel(proto))
            }
            Err(e) => {
                self.call_span = e.span;
                let e = crate::values::value::error_of(
                    crate::values::value::ErrorKind::SyntaxError,
                    e.message,
                );
                self.raise(e, false)
            }
        }
    }

    /// Describe an error object for reports: message and irritants.
    pub fn describe(obj: &Val) -> String {
        match obj {
            Val::Error(e) => describe_error(e),
            other => format!(
                "uncaught exception: {}",
                crate::values::printer::write_string(other)
            ),
        }
    }
}

impl crate::values::prim::Effects for Machine {
    fn write_output(&mut self, text: &str) {
        self.out.write(text);
    }

    fn flush_output(&mut self) {
        self.out.flush();
    }

    fn running_flow(&self) -> Option<u64> {
        self.flows.running
    }

    fn add_source(&mut self, name: &str, text: &str) -> u32 {
        self.sources.add(name, text)
    }
}

pub fn describe_error(e: &crate::values::value::ErrorObj) -> String {
    let mut s = e.message.clone();
    for irritant in &e.irritants {
        s.push(' ');
        s.push_str(&crate::values::printer::write_string(irritant));
    }
    s
}
