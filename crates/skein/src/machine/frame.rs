//! Continuation frames: activations waiting for a value, control frames,
//! and captured continuations. With values and closures these make the one
//! knot a Scheme needs: a continuation is a value, and frames hold values.

use std::cell::RefCell;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::bytecode::proto::{Closure, Proto};
use crate::source::{Site, Span};
use crate::values::value::{Parameter, Promise, Val};

/// Arguments of one call; most calls have few, which then need no allocation.
pub type Args = SmallVec<[Val; 3]>;

/// A procedure activation: the closure, the clause running, where it is,
/// and where its window of the value stack starts.
#[derive(Clone)]
pub struct Act {
    pub clo: Rc<Closure>,
    pub proto: Rc<Proto>,
    pub pc: u32,
    pub base: u32,
    /// The tail call that started it, for error reports' call chains; `None`
    /// when a non-tail call did (the frame below waits at that call) and at
    /// top level.
    pub site: Option<Span>,
}

/// A continuation frame: an activation waiting for the value of a call it
/// made, or (rarer) a control frame. Plain fields rather than an enum, so a
/// call pushes one with a few stores.
#[derive(Clone)]
pub struct Frame {
    /// The value-stack height to restore when a value returns into the frame.
    pub sp: u32,
    pub pc: u32,
    pub base: u32,
    pub site: Option<Span>,
    pub clo: Option<Rc<Closure>>,
    pub proto: Option<Rc<Proto>>,
    /// For a control frame: what it does with the value.
    pub control: Option<Box<K>>,
}

impl Frame {
    #[inline(always)]
    pub fn call(sp: usize, act: Act) -> Frame {
        Frame {
            sp: sp as u32,
            pc: act.pc,
            base: act.base,
            site: act.site,
            clo: Some(act.clo),
            proto: Some(act.proto),
            control: None,
        }
    }

    pub fn control(sp: usize, k: K) -> Frame {
        Frame {
            sp: sp as u32,
            pc: 0,
            base: 0,
            site: None,
            clo: None,
            proto: None,
            control: Some(Box::new(k)),
        }
    }

    /// What the frame does: `K::Call` for an activation.
    pub fn k(&self) -> &K {
        self.control.as_deref().unwrap_or(&K::Call)
    }

    /// The activation to continue, or the control frame.
    #[inline(always)]
    pub fn into_act(self) -> Result<Act, K> {
        match (self.clo, self.proto, self.control) {
            (Some(clo), Some(proto), None) => Ok(Act {
                clo,
                proto,
                pc: self.pc,
                base: self.base,
                site: self.site,
            }),
            (_, _, Some(k)) => Err(*k),
            _ => Err(K::Call),
        }
    }

    /// Move the frame's stack positions from a segment based at `from` to one based at `to`.
    pub fn rebase(&mut self, from: u32, to: u32) {
        self.sp = self.sp - from + to;
        if self.control.is_none() {
            self.base = self.base - from + to;
        }
    }
}

/// What to do with the value returned into a frame.
#[derive(Clone)]
pub enum K {
    /// An activation (its state is in the frame's fields).
    Call,
    CallWithValues(Val),
    WindBefore(Val, Val, Val),
    Wind(u64, Val, Val),
    WindAfter(Val),
    Handler(Val),
    /// A handler is running; handlers within `skip` frames below are not current.
    HandlerCall(usize, bool),
    Guard(Val),
    Param(Rc<Parameter>, Val),
    ParamConvert(Box<ParamState>),
    MakeParam(Val),
    Force(Rc<RefCell<Promise>>, bool),
    /// Running after-thunks while unwinding; the target is this many frames
    /// below this frame (relative, so a flow suspended in an after-thunk can
    /// resume at any depth).
    Unwind(usize, Box<Then>),
    Rewind(Rc<Continuation>, Val, usize),
    /// The rest of a file being loaded: forms are compiled one at a time, so
    /// a macro defined by one form is in effect for the next, and a
    /// continuation captured in one form includes the rest of the file.
    Load(Rc<Loading>, usize),
    /// The base of a running flow: its procedure's value returns here.
    Prompt(u64),
}

/// `parameterize` converting its values: parameters, raw values, converted so far, body thunk.
pub type ParamState = (Vec<Rc<Parameter>>, Vec<Val>, Vec<Val>, Val);

/// What happens once an unwind has run every `dynamic-wind` after-thunk above its target.
#[derive(Clone)]
pub enum Then {
    ApplyHandler(Val, Args),
    Reenter(Rc<Continuation>, Val, usize),
    /// `exit`: stop the run with this code once every after-thunk has run.
    Exit(i32),
}

/// A captured continuation: the frames above the nearest flow prompt (or all
/// of them) and the values they own, based at 0.
pub struct Continuation {
    pub frames: Vec<Frame>,
    pub vals: Vec<Val>,
    /// For the re-raiser a `guard` hands its clauses: after reinstating the
    /// frames, raise the value continuably to the handlers below this frame
    /// (relative to the base), instead of returning it.
    pub reraise_below: Option<usize>,
    /// For the re-raiser: where the original `raise` happened, so an
    /// uncaught re-raise is reported there rather than at the `guard`.
    pub reraise_site: Option<Site>,
    _charge: crate::values::heap::Charge,
}

/// Continuations hold values that hold continuations, as deep as a program
/// makes them: dropping one grows the stack as needed instead of overflowing it.
impl Drop for Continuation {
    fn drop(&mut self) {
        let frames = std::mem::take(&mut self.frames);
        let vals = std::mem::take(&mut self.vals);
        stacker::maybe_grow(64 * 1024, 1024 * 1024, move || {
            drop(frames);
            crate::values::value::dismantle(vals);
        });
    }
}

impl Continuation {
    /// A captured continuation, charged to the heap budget.
    pub fn new(
        frames: Vec<Frame>,
        vals: Vec<Val>,
        reraise_below: Option<usize>,
        reraise_site: Option<Site>,
    ) -> Continuation {
        use crate::values::heap;
        let bytes = heap::rc_bytes::<Continuation>()
            + frames.capacity() * std::mem::size_of::<Frame>()
            + vals.capacity() * std::mem::size_of::<Val>();
        Continuation {
            frames,
            vals,
            reraise_below,
            reraise_site,
            _charge: heap::Charge::new(bytes),
        }
    }
}

pub struct Loading {
    pub forms: Vec<crate::read::syntax::Syntax>,
    /// Directory that `load` calls inside this file resolve against.
    pub dir: Option<std::path::PathBuf>,
    /// How many `load`s this file is nested in (0: the host's own source).
    pub depth: usize,
}
