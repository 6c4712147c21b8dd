//! Entering and leaving the machine: evaluating a source's forms, applying a
//! procedure for the host, `eval`, what an effect primitive may touch, and
//! how an uncaught error is described.

use std::rc::Rc;

use crate::machine::frame::{Loading, K};
use crate::machine::limits::Abort;
use crate::machine::{Machine, Next, Step};
use crate::read::syntax::Syntax;
use crate::source::{Site, Span};
use crate::values::capability::Capability;
use crate::values::heap;
use crate::values::value::{error_of, ErrorKind, Val};

impl Machine {
    /// Evaluate the forms of a source in order; the value of the last one.
    pub fn run_forms(&mut self, loading: Loading) -> Result<Val, Abort> {
        self.reset_run();
        let first = self.load_form(Rc::new(loading), 0, Val::Unspecified);
        let result = first.and_then(|next| self.execute(next, 0));
        self.finish_run(result)
    }

    /// Run from what `first` sets up (for the embedding API: a flow started
    /// or resumed) to completion.
    pub fn run_from(&mut self, first: impl FnOnce(&mut Machine) -> Step) -> Result<Val, Abort> {
        self.reset_run();
        let result = first(self).and_then(|next| self.execute(next, 0));
        self.finish_run(result)
    }

    fn reset_run(&mut self) {
        self.clear_stacks();
        self.steps = 0;
        self.grant_allowance();
        self.held_at_start = heap::held();
        // The old ceiling goes first: it puts back the one before it.
        self.ceiling = None;
        self.ceiling = Some(heap::Ceiling::for_run(self.limits.max_heap_bytes));
    }

    fn clear_stacks(&mut self) {
        self.frames.clear();
        self.truncate(0);
    }

    fn finish_run(&mut self, result: Result<Val, Abort>) -> Result<Val, Abort> {
        self.stopped_at = match &result {
            Err(Abort::Limit(_)) => Some(self.stop_site()),
            _ => None,
        };
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
        self.ceiling = None;
        result
    }

    /// Where a limit stopped the run: the innermost call with a place in
    /// the source (the loop that counts steps does not keep one for the
    /// procedure it is in).
    fn stop_site(&self) -> Site {
        let mut site = self.site();
        if site.span == Span::default() && !site.chain.is_empty() {
            site.span = site.chain.remove(0);
        }
        site
    }

    pub(crate) fn load_form(&mut self, loading: Rc<Loading>, i: usize, last: Val) -> Step {
        if i >= loading.forms.len() {
            return Ok(Next::Return(last));
        }
        // Pushed even after the last form: a `load` there must still
        // resolve against this file's directory.
        let then = K::Load(loading.clone(), i + 1);
        self.run_toplevel(&loading.forms[i], Some(then))
    }

    /// Compile `datum` and run it as a top-level form (`eval`).
    pub(crate) fn eval_datum(&mut self, datum: &Val) -> Step {
        // Data built at run time may nest deeper than any text the reader
        // accepts; the compiler's passes are bounded by the reader's limit.
        let max = crate::read::reader::MAX_NESTING;
        if crate::values::plain::check_nesting(datum, max, |_| true).is_err() {
            let e = error_of(
                ErrorKind::SyntaxError,
                format!("eval: the expression is nested more than {max} levels deep"),
            );
            return self.raise(e, false);
        }
        let syntax = crate::read::syntax::Syntax::from_datum(datum, self.call_span);
        self.run_toplevel(&syntax, None)
    }

    /// Compile `form` and run it, with `then` (if any) waiting for its value;
    /// a form the compiler refuses raises a syntax error where it is.
    fn run_toplevel(&mut self, form: &Syntax, then: Option<K>) -> Step {
        match self.compiler().compile_toplevel(form) {
            Ok(node) => {
                let proto = crate::bytecode::codegen::toplevel(&self.globals, &node, form.span);
                if let Some(k) = then {
                    self.push(k)?;
                }
                Ok(self.toplevel(proto))
            }
            Err(e) => {
                self.call_span = e.span;
                let e = error_of(ErrorKind::SyntaxError, e.message);
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

    fn write_error(&mut self, text: &str) {
        // What the program wrote before goes first, and errors appear at once.
        self.out.flush();
        self.err.suppressed = self.out.suppressed;
        self.err.write(text);
        self.err.flush();
    }

    fn flush_output(&mut self) {
        self.out.flush();
        self.err.flush();
    }

    fn running_flow(&self) -> Option<u64> {
        self.flows.running
    }

    fn granted(&self, cap: Capability) -> bool {
        match cap {
            Capability::Clock => self.caps.clock,
            Capability::Environment => self.caps.environment,
            Capability::Exit => self.caps.exit,
            Capability::Load => self.caps.load.is_some() || self.loader.is_some(),
        }
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
