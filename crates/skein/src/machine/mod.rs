//! The machine: runs bytecode over a value stack, with the continuation as an
//! explicit stack of frames.
//!
//! Nothing about a running program lives on the Rust stack: a non-tail call
//! pushes one [`Frame`] holding the caller's activation, so recursion depth is
//! bounded only by [`Limits`], a continuation is a copy of the frames (and of
//! the values they own), and a flow suspends by moving its frames out.
//!
//! This file is long on purpose: it is the hot loop (`run` and
//! `run_plain`, the calls and returns they make, and the helpers they
//! inline). Split across files, the loop's callees land in other codegen
//! units and stop being inlined; the measured cost of such moves is in
//! docs/performance.md. Everything that runs outside the loop lives beside
//! it: frames, limits, unwinding, control operations, entry points.

pub mod capabilities;
pub mod control;
pub mod fast;
pub mod frame;
pub mod inline;
pub mod limits;
pub mod output;
pub mod run;
pub mod unwind;

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bytecode::proto::{Arg, Capture, Closure, Free, Op, Operands, Proto, VarBox};
use crate::compile::compiler::Compiler;
use crate::compile::globals::Globals;
use crate::expand::expander::Expander;
use crate::machine::capabilities::{Capabilities, Loader};
use crate::machine::fast::{fixnum, Fast};
use crate::machine::frame::{Act, Args, Frame, K};
use crate::machine::limits::{Abort, LimitKind, Limits};
use crate::machine::output::Output;
use crate::source::{Site, SourceMap, Span};
use crate::values::heap;
use crate::values::prim::arity_error;
use crate::values::prim::Inline;
use crate::values::prim::{Prim, PrimKind};
use crate::values::symbol::GlobalId;
use crate::values::value::{error, release, BoolBits, Parameter, Val};

/// Limits and the interrupt flag are checked at least every this many steps,
/// and exactly when a `max_steps` budget runs out.
const CHECK_EVERY: u64 = 0x10000;

/// What a call leaves behind: nothing (a tail call), or the calling
/// activation waiting at `pc` for the value, which goes at `sp`.
#[derive(Clone, Copy)]
enum Caller {
    Gone,
    Waits { sp: usize, pc: u32 },
}

impl Caller {
    #[inline(always)]
    fn new(tail: bool, sp: usize, pc: u32) -> Caller {
        if tail {
            Caller::Gone
        } else {
            Caller::Waits { sp, pc }
        }
    }
}

/// What the machine does next, outside the bytecode loop.
pub enum Next {
    /// Run an activation (its window is set up).
    Run(Act),
    /// Return a value to the frame on top.
    Return(Val),
    Apply(Val, Args),
}

pub type Step = Result<Next, Abort>;

pub struct Machine {
    pub globals: Globals,
    pub expander: Expander,
    pub sources: SourceMap,
    pub out: Output,
    pub limits: Limits,
    pub interrupt: Arc<AtomicBool>,
    /// Slots and temporaries of every activation, innermost last.
    pub(crate) vals: Vec<Val>,
    pub(crate) frames: Vec<Frame>,
    /// The span of the call being applied, for error locations.
    pub(crate) call_span: Span,
    /// Where a value re-raised by a `guard` was first raised.
    pub(crate) raise_origin: Option<Site>,
    /// Steps taken up to the last check (see `check_budget`).
    steps: u64,
    /// Steps granted at the last check, and how many of them are left: the
    /// loop counts down, so "is a check due" is one test of zero.
    allowance: u64,
    fuel: u64,
    /// Heap bytes held when the current evaluation started (see `max_heap_bytes`).
    held_at_start: i64,
    /// Where the last run was when a limit stopped it.
    pub(crate) stopped_at: Option<Site>,
    /// The current evaluation's ceiling on the heap, lifted when it ends.
    ceiling: Option<crate::values::heap::Ceiling>,
    pub(crate) wind_ids: u64,
    /// Directory that relative `load` paths resolve against.
    pub base_dir: Option<std::path::PathBuf>,
    /// What scripts may reach outside the engine (see `capabilities.rs`).
    pub caps: Capabilities,
    /// The host's own source reader for `(load path)`, if it set one: it
    /// grants `load` and takes precedence over `caps.load`.
    pub loader: Option<Loader>,
    /// Where `current-error-port` writes.
    pub err: Output,
    pub flows: crate::flow::model::FlowStore,
}

fn closure_arity_error(c: &Closure, got: usize) -> Val {
    let p = &c.proto;
    let name = p.name.map_or("#<procedure>", |n| n.name());
    let max = (!p.rest).then_some(p.required);
    arity_error(name, p.required, max, got)
}

/// The clause of `c` that accepts `n` arguments.
fn clause_for(c: &Closure, n: usize) -> Option<&Rc<Proto>> {
    let mut proto = &c.proto;
    while !proto.accepts(n) {
        proto = proto.next_case.as_ref()?;
    }
    Some(proto)
}

/// A procedure about to be called, as the call needs it.
pub(crate) enum Callee {
    Closure(Rc<Closure>),
    Prim(&'static Prim),
    Other(Val),
}

impl Callee {
    #[inline(always)]
    pub(crate) fn of(f: &Val) -> Callee {
        match f {
            Val::Closure(c) => Callee::Closure(c.clone()),
            Val::Prim(p) => Callee::Prim(p),
            other => Callee::Other(other.clone()),
        }
    }
}

/// A call the instruction loop makes itself (see `plain_callee`).
enum Plain {
    Closure(Rc<Closure>),
    Pure(fn(&[Val]) -> crate::values::prim::PrimResult),
    No,
}

/// What running bytecode does when it leaves the loop.
pub(crate) type Exit = Option<Step>;

impl Machine {
    /// A machine whose globals hold `prims` (the builtins, from the layer above).
    pub fn new(prims: impl IntoIterator<Item = &'static Prim>) -> Machine {
        let prims: Vec<&'static Prim> = prims.into_iter().collect();
        let mut m = Machine {
            globals: Globals::default(),
            expander: Expander::default(),
            sources: SourceMap::default(),
            out: Output::default(),
            limits: Limits::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
            vals: Vec::new(),
            frames: Vec::new(),
            call_span: Span::default(),
            raise_origin: None,
            steps: 0,
            allowance: 0,
            fuel: 0,
            held_at_start: 0,
            ceiling: None,
            stopped_at: None,
            wind_ids: 0,
            base_dir: None,
            caps: Capabilities::none(),
            loader: None,
            err: Output::stderr(),
            flows: crate::flow::model::FlowStore::new(),
        };
        for prim in &prims {
            m.globals.define(prim.name, Val::Prim(prim));
        }
        m.globals
            .watch_inline(|name| prims.iter().copied().find(|p| p.name == name));
        m
    }

    pub fn compiler(&mut self) -> Compiler<'_> {
        Compiler::new(&mut self.globals, &mut self.expander)
    }

    /// The trampoline: step until a value returns below frame `fbase`.
    fn execute(&mut self, mut next: Next, fbase: usize) -> Result<Val, Abort> {
        loop {
            next = match next {
                Next::Run(act) => self.run(act, fbase)?,
                Next::Apply(f, args) => self.apply(f, args)?,
                Next::Return(v) => {
                    if self.frames.len() <= fbase {
                        return Ok(v);
                    }
                    self.ret(v)?
                }
            };
        }
    }

    /// Return `v` into the frame on top.
    fn ret(&mut self, v: Val) -> Step {
        let Some(frame) = self.frames.pop() else {
            return Ok(Next::Return(v));
        };
        self.truncate(frame.sp as usize);
        match frame.into_act() {
            Ok(act) => {
                self.vals.push(v);
                Ok(Next::Run(act))
            }
            Err(k) => self.resume(k, v),
        }
    }

    /// Push a frame recording the current stack height.
    pub(crate) fn push(&mut self, k: K) -> Result<(), Abort> {
        self.check_depth()?;
        self.frames.push(Frame::control(self.vals.len(), k));
        Ok(())
    }

    /// Drop values above `height`, without recursion however deep they nest.
    #[inline(always)]
    pub(crate) fn truncate(&mut self, height: usize) {
        while self.vals.len() > height {
            if let Some(v) = self.vals.pop() {
                release(v);
            }
        }
    }

    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Val {
        // Not `unwrap_or`: that builds the default and calls its drop glue on every pop.
        match self.vals.pop() {
            Some(v) => v,
            None => Val::Unspecified,
        }
    }

    /// Replace the value at `at`.
    #[inline(always)]
    fn put(&mut self, at: usize, v: Val) {
        release(std::mem::replace(&mut self.vals[at], v));
    }

    // ---- activations ----

    /// Lay out an activation's window: the `n` arguments are at `base`.
    #[inline(always)]
    fn enter(
        &mut self,
        clo: Rc<Closure>,
        proto: Rc<Proto>,
        base: usize,
        site: Option<Span>,
    ) -> Act {
        self.lay_out(&proto, base);
        Act {
            clo,
            proto,
            pc: 0,
            base: base as u32,
            site,
        }
    }

    /// The window of `proto` at `base`, its arguments already there: the
    /// rest list, and unassigned slots for its other variables.
    #[inline(always)]
    fn lay_out(&mut self, proto: &Proto, base: usize) {
        if proto.rest {
            self.gather_rest(base + proto.required);
        }
        if self.vals.len() < base + proto.slots {
            self.vals.resize(base + proto.slots, Val::Unassigned);
        }
    }

    /// Replace the arguments from `at` up with the list of them. Kept out of
    /// the instruction loop, which it would otherwise crowd.
    #[cold]
    #[inline(never)]
    fn gather_rest(&mut self, at: usize) {
        let rest = Val::list(self.vals.drain(at..).collect::<Vec<_>>());
        self.vals.push(rest);
    }

    /// Make `act` run `clo` (clause `proto`) on the arguments from
    /// `args_at`; unless this is a tail call, `act` waits in a frame,
    /// its result to go at `sp`.
    #[inline(always)]
    fn switch_to(
        &mut self,
        act: &mut Act,
        clo: Rc<Closure>,
        proto: Rc<Proto>,
        args_at: usize,
        sp: usize,
        tail: bool,
    ) -> Result<(), Abort> {
        if !tail {
            self.check_depth()?;
        }
        self.activate(act, clo, proto, args_at, Caller::new(tail, sp, act.pc));
        Ok(())
    }

    /// `switch_to` once the depth is known to allow it.
    #[inline(always)]
    fn activate(
        &mut self,
        act: &mut Act,
        clo: Rc<Closure>,
        proto: Rc<Proto>,
        args_at: usize,
        caller: Caller,
    ) {
        let base = if let Caller::Waits { sp, pc } = caller {
            let clo = std::mem::replace(&mut act.clo, clo);
            let proto = std::mem::replace(&mut act.proto, proto);
            let (base, site) = (act.base, act.site);
            // Built after the room is made, straight into it: `push` builds
            // it on the stack first (to keep it across a possible regrowth)
            // and copies it out with wide loads that stall on the narrow
            // stores just made.
            self.frames.reserve(1);
            let height = self.frames.len();
            // Always `Some`: room for one frame was just reserved.
            if let Some(slot) = self.frames.spare_capacity_mut().first_mut() {
                let waiting = Act {
                    clo,
                    proto,
                    pc,
                    base,
                    site,
                };
                slot.write(Frame::call(sp, waiting));
                // SAFETY: the slot past the last frame was written just above.
                unsafe { self.frames.set_len(height + 1) };
            }
            act.site = None;
            args_at
        } else {
            // No frame is left to show where this call was made, so the
            // activation keeps it (a loop's iterations keep its entry).
            if !proto.is_loop {
                act.site = Some(act.proto.span_at(act.pc as usize - 1));
            }
            let base = act.base as usize;
            self.slide(args_at, base, self.vals.len() - args_at);
            act.clo = clo;
            act.proto = proto;
            base
        };
        act.pc = 0;
        act.base = base as u32;
        self.lay_out(&act.proto, base);
    }

    /// Is the step just counted one at which the limits and the interrupt
    /// flag are checked?
    #[inline(always)]
    fn budget_due(&self) -> bool {
        self.fuel == 0
    }

    fn check_depth(&self) -> Result<(), Abort> {
        match self.limits.max_depth {
            Some(max) if self.frames.len() >= max => Err(Abort::Limit(LimitKind::Depth)),
            _ => Ok(()),
        }
    }

    /// Count a call against the limits.
    #[inline]
    fn tick(&mut self) -> Result<(), Abort> {
        self.fuel -= 1;
        if self.budget_due() {
            self.check_budget()?;
        }
        Ok(())
    }

    /// Stop for `abort` (a limit) at `at`, where the run was.
    #[cold]
    #[inline(never)]
    fn stopped(&mut self, at: Span, abort: Abort) -> Exit {
        self.call_span = at;
        Some(Err(abort))
    }

    /// Stop running `act` with the error `e`, raised where it is.
    pub(crate) fn fail(&mut self, act: Act, e: Val) -> Step {
        self.call_span = act.proto.span_at(act.pc as usize - 1);
        self.frames.push(Frame::call(self.vals.len(), act));
        self.raise(e, false)
    }

    /// A call of unbound global `gid`: reported at its name in the call.
    pub(crate) fn fail_unbound(&mut self, act: Act, gid: GlobalId) -> Step {
        let e = error(
            format!("unbound variable: {}", self.globals.name(gid)),
            vec![],
        );
        let at = act.proto.name_span_at(act.pc as usize - 1);
        self.frames.push(Frame::call(self.vals.len(), act));
        self.call_span = at;
        self.raise(e, false)
    }

    /// A top-level form's activation.
    fn toplevel(&mut self, proto: Rc<Proto>) -> Next {
        let clo = Rc::new(Closure::new(proto.clone(), Free::new(), None));
        let base = self.vals.len();
        Next::Run(self.enter(clo, proto, base, None))
    }

    fn capture(&self, act: &Act, base: usize, captures: &[Capture]) -> Free {
        captures
            .iter()
            .map(|c| match *c {
                Capture::Local(s) => self.vals[base + s as usize].clone(),
                Capture::Free(i) => act.clo.free[i as usize].clone(),
                Capture::OwnGroup => Val::Closure(Rc::new(Closure::new(
                    act.clo
                        .group
                        .as_ref()
                        .map_or_else(|| act.clo.proto.clone(), |g| g[0].clone()),
                    act.clo.free.clone(),
                    act.clo.group.clone(),
                ))),
            })
            .collect()
    }

    /// Run bytecode from `act` until control leaves the loop.
    fn run(&mut self, mut act: Act, fbase: usize) -> Step {
        loop {
            let op = self.run_plain(&mut act, fbase);
            let exit = match op {
                // `run_plain` hands these back only when the variable is unassigned.
                Op::LocalChecked(_, name)
                | Op::LocalBoxChecked(_, name)
                | Op::FreeBoxChecked(_, name) => {
                    let e = self.undefined(&act, name);
                    return self.fail(act, e);
                }
                Op::Global(id) => {
                    let e = error(
                        format!("unbound variable: {}", self.globals.name(id)),
                        vec![],
                    );
                    return self.fail(act, e);
                }
                Op::SetLocalBox(_) | Op::SetFreeBox(_) => {
                    let v = self.pop();
                    let b = match op {
                        Op::SetLocalBox(s) => self.vals[act.base as usize + s as usize].clone(),
                        Op::SetFreeBox(i) => act.clo.free[i as usize].clone(),
                        _ => Val::Unspecified,
                    };
                    if let Err(e) = self.assign(&b, v) {
                        return self.fail(act, e);
                    }
                    None
                }
                Op::SetGlobal(id) => {
                    let v = self.pop();
                    if let Some(e) = self.global_write_in_flow(id) {
                        return self.fail(act, e);
                    }
                    if matches!(self.globals.get(id), Val::Unassigned) {
                        let name = self.globals.name(id);
                        let e = error(format!("set!: unbound variable: {name}"), vec![]);
                        return self.fail(act, e);
                    }
                    self.globals.set(id, v);
                    None
                }
                Op::DefineGlobal(id) => {
                    let v = self.pop();
                    if let Some(e) = self.global_write_in_flow(id) {
                        return self.fail(act, e);
                    }
                    self.globals.set(id, v);
                    None
                }
                Op::Loop { .. } => match self.check_budget() {
                    Ok(()) => None,
                    // The loop's head: the body it was about to run again.
                    Err(abort) => self.stopped(act.proto.span_at(act.pc as usize), abort),
                },
                Op::Call(n) | Op::TailCall(n) => {
                    let args_at = self.vals.len() - n as usize;
                    let f = Callee::of(&self.vals[args_at - 1]);
                    let tail = op.is_tail_call();
                    self.call(&mut act, f, args_at, args_at - 1, tail, fbase)
                }
                Op::CallLocal(v, n)
                | Op::TailCallLocal(v, n)
                | Op::CallFree(v, n)
                | Op::TailCallFree(v, n) => self.call_variable(&mut act, op, v, n, fbase),
                Op::CallGlobal(gid, n) | Op::TailCallGlobal(gid, n) => {
                    let f = match self.globals.get(gid) {
                        Val::Unassigned => return self.fail_unbound(act, gid),
                        f => Callee::of(f),
                    };
                    let args_at = self.vals.len() - n as usize;
                    let tail = op.is_tail_call();
                    self.call(&mut act, f, args_at, args_at, tail, fbase)
                }
                Op::CallSibling(j, n) | Op::TailCallSibling(j, n) => {
                    let tail = op.is_tail_call();
                    self.call_sibling(&mut act, j, n as usize, tail)
                }
                Op::Return => {
                    let v = self.pop();
                    self.return_from(&mut act, v, fbase)
                }
                // The fast path did not apply: the operands are on the
                // stack now, for the general case.
                Op::Inline(which, ..) => self.inline_slow(&mut act, which, fbase),
                Op::Guard => {
                    let body = self.pop();
                    let handler = self.pop();
                    self.frames.push(Frame::call(self.vals.len(), act));
                    self.push(K::Guard(handler))?;
                    return self.apply(body, Args::new());
                }
                _ => None,
            };
            if let Some(exit) = exit {
                return exit;
            }
        }
    }

    /// Run the instructions that need only the value stack, the globals and
    /// the activation's own variables, until one needs more: return that one
    /// (the activation is already past it). Calls of closures and returns
    /// into waiting activations, the common cases, switch `act` in place.
    #[inline(always)]
    fn run_plain(&mut self, act: &mut Act, fbase: usize) -> Op {
        'activation: loop {
            let code = &act.proto.code[..];
            let base = act.base as usize;
            let mut pc = act.pc as usize;
            loop {
                let op = code[pc];
                pc += 1;
                match op {
                    Op::Const(i) => {
                        let v = act.proto.consts[i as usize].clone();
                        self.vals.push(v);
                    }
                    Op::Local(s) => {
                        let v = self.vals[base + s as usize].clone();
                        self.vals.push(v);
                    }
                    Op::Free(i) => {
                        let v = act.clo.free[i as usize].clone();
                        self.vals.push(v);
                    }
                    Op::LocalChecked(s, _) => {
                        let v = self.vals[base + s as usize].clone();
                        if let Val::Unassigned = v {
                            act.pc = pc as u32;
                            return op;
                        }
                        self.vals.push(v);
                    }
                    Op::LocalBox(s)
                    | Op::LocalBoxChecked(s, _)
                    | Op::FreeBox(s)
                    | Op::FreeBoxChecked(s, _) => {
                        let var = match op {
                            Op::LocalBox(_) | Op::LocalBoxChecked(..) => {
                                &self.vals[base + s as usize]
                            }
                            _ => &act.clo.free[s as usize],
                        };
                        let v = match var {
                            Val::Var(b) => b.value.borrow().clone(),
                            other => other.clone(),
                        };
                        if let (Val::Unassigned, Op::LocalBoxChecked(..) | Op::FreeBoxChecked(..)) =
                            (&v, op)
                        {
                            act.pc = pc as u32;
                            return op;
                        }
                        self.vals.push(v);
                    }
                    Op::Global(id) => match self.globals.get(id) {
                        Val::Unassigned => {
                            act.pc = pc as u32;
                            return op;
                        }
                        v => {
                            let v = v.clone();
                            self.vals.push(v);
                        }
                    },
                    Op::InitLocal(s) => {
                        let v = self.pop();
                        self.put(base + s as usize, v);
                    }
                    Op::InitBox(s) => {
                        let v = self.pop();
                        if let Val::Var(b) = &self.vals[base + s as usize] {
                            release(b.value.replace(v));
                        }
                    }
                    Op::BoxLocal(s) => {
                        let at = base + s as usize;
                        let v = std::mem::replace(&mut self.vals[at], Val::Unassigned);
                        self.vals[at] = self.new_box(v);
                    }
                    Op::NewBox(s) => {
                        let b = self.new_box(Val::Unassigned);
                        self.put(base + s as usize, b);
                    }
                    Op::Clear(s) => self.put(base + s as usize, Val::Unassigned),
                    Op::Pop => {
                        let v = self.pop();
                        release(v);
                    }
                    Op::Jump(t) => pc = t as usize,
                    Op::Loop { head, first, n } => {
                        let first = base + first as usize;
                        match n {
                            1 => {
                                let v = self.pop();
                                self.put(first, v);
                            }
                            2 => {
                                // Swapped into place, not popped and put:
                                // values held across the two pops are
                                // copied in pieces, and reading them whole
                                // stalls on those stores.
                                let top = self.vals.len().saturating_sub(2);
                                let (slots, new) = self.vals.split_at_mut(top);
                                if let (Some([a, b, ..]), [x, y]) = (slots.get_mut(first..), new) {
                                    std::mem::swap(a, x);
                                    std::mem::swap(b, y);
                                }
                                self.truncate(top);
                            }
                            _ => {
                                for i in (0..n as usize).rev() {
                                    let v = self.pop();
                                    self.put(first + i, v);
                                }
                            }
                        }
                        pc = head as usize;
                        self.fuel -= 1;
                        if self.budget_due() {
                            act.pc = pc as u32;
                            return op;
                        }
                    }
                    Op::JumpIfFalse(t) => {
                        if let Some(Val::Bool(BoolBits::FALSE)) = self.vals.pop() {
                            pc = t as usize;
                        }
                    }
                    Op::AndJump(t) => {
                        if let Some(Val::Bool(BoolBits::FALSE)) = self.vals.last() {
                            pc = t as usize;
                        } else {
                            self.pop();
                        }
                    }
                    Op::OrJump(t) => {
                        if let Some(Val::Bool(BoolBits::FALSE)) = self.vals.last() {
                            self.pop();
                        } else {
                            pc = t as usize;
                        }
                    }
                    Op::Closure(i) => {
                        let proto = act.proto.protos[i as usize].clone();
                        let free = self.capture(act, base, &proto.captures);
                        let c = Closure::new(proto, free, None);
                        self.vals.push(Val::Closure(Rc::new(c)));
                    }
                    Op::Group(i) => {
                        let def = &act.proto.groups[i as usize];
                        let free = self.capture(act, base, &def.captures);
                        let c =
                            Closure::new(def.members[0].clone(), free, Some(def.members.clone()));
                        self.vals.push(Val::Closure(Rc::new(c)));
                    }
                    Op::GroupMember(j) => {
                        if let Val::Closure(c) = self.pop() {
                            let v = sibling(&c, j);
                            self.vals.push(v);
                        }
                    }
                    Op::Sibling(j) => {
                        let v = sibling(&act.clo, j);
                        self.vals.push(v);
                    }
                    Op::Inline(which, ops) | Op::InlineReturn(which, ops) => {
                        if !self.inline_fast(act, which, ops, false, None) {
                            // The general case; an `InlineReturn`'s `Return` follows.
                            act.pc = pc as u32;
                            return Op::Inline(which, ops);
                        }
                        if let Op::InlineReturn(..) = op {
                            if self.return_plain(act, fbase) {
                                continue 'activation;
                            }
                            // The general return, past the `Return` as
                            // that instruction leaves it.
                            act.pc = pc as u32 + 1;
                            return Op::Return;
                        }
                    }
                    Op::ArithLocalImm(which, s, _) | Op::ArithLocals(which, s, _) => {
                        let y = match op {
                            Op::ArithLocals(_, _, t) => fixnum(&self.vals[base + t as usize]),
                            Op::ArithLocalImm(_, _, k) => Some(i64::from(k)),
                            _ => None,
                        };
                        match self.fixnum_fast(which, &self.vals[base + s as usize], y) {
                            Some(Fast::Int(i)) => self.vals.push(Val::Int(i)),
                            Some(Fast::Bool(b)) => self.vals.push(Val::bool(b)),
                            _ => {
                                act.pc = pc as u32;
                                return self.general_fixnum_op(act, op);
                            }
                        }
                    }
                    Op::CarLocal(s) | Op::CdrLocal(s) | Op::CdrCarLocal(s) => {
                        let car = matches!(op, Op::CarLocal(_));
                        let which = if car { Inline::Car } else { Inline::Cdr };
                        let x = &self.vals[base + s as usize];
                        let v = match x {
                            Val::Pair(p) if self.globals.inline_intact(which) => {
                                if car {
                                    p.car.clone()
                                } else if matches!(op, Op::CdrCarLocal(_))
                                    && self.globals.inline_intact(Inline::Car)
                                {
                                    let (d, a) = (p.cdr.clone(), p.car.clone());
                                    self.vals.push(d);
                                    pc += 1;
                                    a
                                } else {
                                    p.cdr.clone()
                                }
                            }
                            // The general case, on the operand pushed.
                            _ => {
                                let x = x.clone();
                                self.vals.push(x);
                                act.pc = pc as u32;
                                return Op::Inline(which, Operands::new(&[Arg::Stack]));
                            }
                        };
                        self.vals.push(v);
                    }
                    Op::Cons(ops) => {
                        if !self.cons_fast(act, ops) {
                            act.pc = pc as u32;
                            return Op::Inline(Inline::Cons, ops);
                        }
                    }
                    Op::InlineNot(which, ops) => {
                        if !self.inline_fast(act, which, ops, true, None) {
                            act.pc = pc as u32;
                            return Op::Inline(which, ops);
                        }
                        // The `not` after it is done.
                        pc += 1;
                    }
                    Op::Test(which, ops) | Op::TestNot(which, ops) => {
                        let negated = matches!(op, Op::TestNot(..));
                        let mut truth = false;
                        if !self.inline_fast(act, which, ops, negated, Some(&mut truth)) {
                            // The general case pushes the result for the `JumpIfFalse`.
                            act.pc = pc as u32;
                            return Op::Inline(which, ops);
                        }
                        pc += usize::from(negated);
                        pc = self.decided(truth, code[pc], pc);
                    }
                    Op::TestLocalImm(which, s, _) | Op::TestLocals(which, _, s, _) => {
                        let (y, negated) = match op {
                            Op::TestLocals(_, negated, _, t) => {
                                (fixnum(&self.vals[base + t as usize]), negated)
                            }
                            Op::TestLocalImm(_, _, k) => (Some(i64::from(k)), false),
                            _ => (None, false),
                        };
                        let fast = if negated && !self.globals.inline_intact(Inline::Not) {
                            None
                        } else {
                            self.fixnum_fast(which, &self.vals[base + s as usize], y)
                        };
                        let Some(Fast::Bool(truth)) = fast else {
                            act.pc = pc as u32;
                            return self.general_fixnum_op(act, op);
                        };
                        // A negated test skips the `not` after it.
                        pc += usize::from(negated);
                        pc = self.decided(truth != negated, code[pc], pc);
                    }
                    Op::TestLocal(which, s) => {
                        let x = &self.vals[base + s as usize];
                        if !self.globals.inline_intact(which) {
                            // The general case, on the operand pushed.
                            let x = x.clone();
                            self.vals.push(x);
                            act.pc = pc as u32;
                            return Op::Inline(which, Operands::new(&[Arg::Stack]));
                        }
                        let truth = match which {
                            Inline::NullP => matches!(x, Val::Null),
                            _ => matches!(x, Val::Pair(_)),
                        };
                        pc = self.decided(truth, code[pc], pc);
                    }
                    Op::Call(n)
                    | Op::TailCall(n)
                    | Op::CallGlobal(_, n)
                    | Op::TailCallGlobal(_, n)
                    | Op::CallLocal(_, n)
                    | Op::TailCallLocal(_, n)
                    | Op::CallFree(_, n)
                    | Op::TailCallFree(_, n) => {
                        let args_at = self.vals.len() - n as usize;
                        act.pc = pc as u32;
                        // Spelt out, not `Op::is_tail_call`: that moved the
                        // loop's code generation by +1–2% (callgrind).
                        let tail = matches!(
                            op,
                            Op::TailCall(_)
                                | Op::TailCallGlobal(..)
                                | Op::TailCallLocal(..)
                                | Op::TailCallFree(..)
                        );
                        let (f, sp) = match op {
                            Op::CallGlobal(gid, _) | Op::TailCallGlobal(gid, _) => {
                                (self.globals.get(gid), args_at)
                            }
                            Op::CallLocal(s, _) | Op::TailCallLocal(s, _) => {
                                (&self.vals[base + s as usize], args_at)
                            }
                            Op::CallFree(i, _) | Op::TailCallFree(i, _) => {
                                (&act.clo.free[i as usize], args_at)
                            }
                            _ => (&self.vals[args_at - 1], args_at - 1),
                        };
                        match self.plain_callee(f, n as usize, tail) {
                            Plain::Closure(c) => {
                                // The pc passed, not read back from `act`: a
                                // wide read of it just after the narrow store
                                // would stall.
                                let caller = Caller::new(tail, sp, pc as u32);
                                self.enter_plain(act, c, args_at, caller);
                                continue 'activation;
                            }
                            Plain::Pure(f) => {
                                // On an error the general path calls it again
                                // (pure primitives may be) and raises it.
                                let Ok(v) = f(&self.vals[args_at..]) else {
                                    return op;
                                };
                                self.truncate(sp);
                                self.vals.push(v);
                                if !tail {
                                    continue;
                                }
                                if self.return_plain(act, fbase) {
                                    continue 'activation;
                                }
                                return Op::Return;
                            }
                            Plain::No => return op,
                        }
                    }
                    Op::Return => {
                        act.pc = pc as u32;
                        if self.return_plain(act, fbase) {
                            continue 'activation;
                        }
                        return op;
                    }
                    // Listed, not `_`: an exhaustive match dispatches
                    // without a range check.
                    Op::SetLocalBox(_)
                    | Op::SetFreeBox(_)
                    | Op::SetGlobal(_)
                    | Op::DefineGlobal(_)
                    | Op::CallSibling(..)
                    | Op::TailCallSibling(..)
                    | Op::Guard => {
                        act.pc = pc as u32;
                        return op;
                    }
                }
            }
        }
    }

    /// How the loop calls `f` with `n` arguments, when it needs nothing
    /// the loop does not do: a closure that takes `n` while no limit check
    /// is due, or a pure primitive that takes `n`. The general path does
    /// the rest (errors, limits, control primitives).
    #[inline(always)]
    fn plain_callee(&self, f: &Val, n: usize, tail: bool) -> Plain {
        match f {
            Val::Closure(c) => {
                let room = tail
                    || self
                        .limits
                        .max_depth
                        .is_none_or(|max| self.frames.len() < max);
                // The step this call counts must not be one that checks.
                if c.proto.accepts(n) && room && self.fuel > 1 {
                    Plain::Closure(c.clone())
                } else {
                    Plain::No
                }
            }
            Val::Prim(p) => match p.kind {
                PrimKind::Pure(f) if n >= p.min_args && p.max_args.is_none_or(|max| n <= max) => {
                    Plain::Pure(f)
                }
                _ => Plain::No,
            },
            _ => Plain::No,
        }
    }

    /// Call `c`, found by `plain_callee`.
    #[inline(always)]
    fn enter_plain(&mut self, act: &mut Act, c: Rc<Closure>, args_at: usize, caller: Caller) {
        self.fuel -= 1;
        let proto = c.proto.clone();
        self.activate(act, c, proto, args_at, caller);
    }

    /// Return the value on top into the activation waiting in the top
    /// frame; false (and nothing done) when that frame is something else.
    #[inline(always)]
    fn return_plain(&mut self, act: &mut Act, fbase: usize) -> bool {
        if self.frames.len() <= fbase {
            return false;
        }
        let Some(frame) = self.frames.pop() else {
            return false;
        };
        // Every field is moved out, so no drop glue runs for the frame.
        let (clo, proto) = match frame {
            Frame {
                clo: Some(clo),
                proto: Some(proto),
                control: None,
                ..
            } => (clo, proto),
            other => {
                self.frames.push(other);
                return false;
            }
        };
        // The value on top goes where the frame's temporaries end; what is
        // above it goes.
        let sp = frame.sp as usize;
        let top = self.vals.len().saturating_sub(1);
        if top > sp {
            self.vals.swap(sp, top);
            self.truncate(sp + 1);
        }
        act.clo = clo;
        act.proto = proto;
        act.pc = frame.pc;
        act.base = frame.base;
        act.site = frame.site;
        true
    }

    /// A test decided in place, followed by the jump at `pc` (see
    /// `branch_on_last_test`): where to go on.
    #[inline(always)]
    fn decided(&mut self, truth: bool, next: Op, pc: usize) -> usize {
        match (truth, next) {
            (true, Op::JumpIfFalse(_) | Op::AndJump(_)) => pc + 1,
            (false, Op::JumpIfFalse(t)) => t as usize,
            (_, next) => self.and_or_test(truth, next, pc),
        }
    }

    /// A decided test before an `and`/`or` jump at `pc`: where to go on,
    /// with the value the jump keeps pushed when it jumps.
    fn and_or_test(&mut self, truth: bool, next: Op, pc: usize) -> usize {
        match (truth, next) {
            (true, Op::AndJump(_)) | (false, Op::OrJump(_)) => pc + 1,
            (false, Op::AndJump(t)) | (true, Op::OrJump(t)) => {
                self.vals.push(Val::bool(truth));
                t as usize
            }
            _ => {
                self.vals.push(Val::bool(truth));
                pc
            }
        }
    }

    fn undefined(&self, act: &Act, name: u16) -> Val {
        let name = act.proto.names[name as usize];
        error(format!("{name} used before its definition"), vec![])
    }

    fn new_box(&self, v: Val) -> Val {
        Val::Var(Rc::new(VarBox::new(v, self.flows.running.is_some())))
    }

    /// `set!` of a boxed variable. Flows are deterministic: their code may
    /// not change variables that live outside the flow.
    fn assign(&self, b: &Val, v: Val) -> Result<(), Val> {
        let Val::Var(b) = b else {
            return Ok(());
        };
        if let (Some(flow), false) = (self.flows.running, b.in_flow) {
            return Err(error(
                format!("cannot assign a variable captured from outside flow {flow}: flows must be deterministic"),
                vec![],
            ));
        }
        release(b.value.replace(v));
        Ok(())
    }

    /// Return `v` from the running activation: continue the caller's in
    /// `act` (as `return_plain` does), or say how to leave the loop.
    fn return_from(&mut self, act: &mut Act, v: Val, fbase: usize) -> Exit {
        self.vals.push(v);
        if self.return_plain(act, fbase) {
            return None;
        }
        let v = self.pop();
        if self.frames.len() <= fbase {
            return Some(Ok(Next::Return(v)));
        }
        let frame = self.frames.pop()?;
        self.truncate(frame.sp as usize);
        Some(self.resume(frame.control.map_or(K::Call, |k| *k), v))
    }

    /// Call `f` with the values from `args_at` up; `sp` is where the caller's
    /// stack ends (below the callee's slot, if it has one).
    #[inline]
    pub(crate) fn call(
        &mut self,
        act: &mut Act,
        f: Callee,
        args_at: usize,
        sp: usize,
        tail: bool,
        fbase: usize,
    ) -> Exit {
        let n = self.vals.len() - args_at;
        match f {
            Callee::Closure(c) => {
                let Some(proto) = clause_for(&c, n).cloned() else {
                    let e = closure_arity_error(&c, n);
                    return Some(self.fail(act.clone(), e));
                };
                if let Err(abort) = self.tick() {
                    return self.stopped(act.proto.span_at(act.pc as usize - 1), abort);
                }
                match self.switch_to(act, c, proto, args_at, sp, tail) {
                    Ok(()) => None,
                    Err(abort) => Some(Err(abort)),
                }
            }
            Callee::Prim(p) => {
                if n < p.min_args || p.max_args.is_some_and(|max| n > max) {
                    let e = arity_error(p.name, p.min_args, p.max_args, n);
                    return Some(self.fail(act.clone(), e));
                }
                let result = match &p.kind {
                    PrimKind::Pure(f) => f(&self.vals[args_at..]),
                    PrimKind::Effect(f) => {
                        let args: Args = self.vals.drain(args_at..).collect();
                        f(self, &args)
                    }
                    PrimKind::Control(_) => {
                        return Some(self.call_slow(act, Val::Prim(p), args_at, sp, tail))
                    }
                };
                match result {
                    Ok(v) => {
                        self.truncate(sp);
                        if tail {
                            self.return_from(act, v, fbase)
                        } else {
                            self.vals.push(v);
                            None
                        }
                    }
                    Err(e) => Some(self.fail(act.clone(), e)),
                }
            }
            Callee::Other(f) if !f.is_procedure() => {
                let e = error("not a procedure", vec![f]);
                Some(self.fail(act.clone(), e))
            }
            Callee::Other(f) => Some(self.call_slow(act, f, args_at, sp, tail)),
        }
    }

    /// The general path of a call of the procedure in a variable.
    #[inline(never)]
    fn call_variable(&mut self, act: &mut Act, op: Op, v: u16, n: u16, fbase: usize) -> Exit {
        let f = match op {
            Op::CallLocal(..) | Op::TailCallLocal(..) => &self.vals[act.base as usize + v as usize],
            _ => &act.clo.free[v as usize],
        };
        let f = Callee::of(f);
        let args_at = self.vals.len() - n as usize;
        self.call(act, f, args_at, args_at, op.is_tail_call(), fbase)
    }

    /// A call the loop does not run in place: the caller (unless this is a
    /// tail call) waits in a frame, and `apply` takes over.
    fn call_slow(&mut self, act: &mut Act, f: Val, args_at: usize, sp: usize, tail: bool) -> Step {
        self.call_span = act.proto.span_at(act.pc as usize - 1);
        let args: Args = self.vals.drain(args_at..).collect();
        self.truncate(sp);
        if tail {
            self.truncate(act.base as usize);
        } else {
            self.frames.push(Frame::call(sp, act.clone()));
        }
        self.apply(f, args)
    }

    /// Move `n` values at `from` down to `to` (a tail call's arguments into
    /// the caller's window) and drop everything above them.
    #[inline(always)]
    fn slide(&mut self, from: usize, to: usize, n: usize) {
        if from != to {
            for i in 0..n {
                self.vals.swap(to + i, from + i);
            }
        }
        self.truncate(to + n);
    }

    fn call_sibling(&mut self, act: &mut Act, j: u16, n: usize, tail: bool) -> Exit {
        let Some(group) = act.clo.group.clone() else {
            let e = error("internal error: not in a group", vec![]);
            return Some(self.fail(act.clone(), e));
        };
        let proto = group[j as usize].clone();
        if !proto.accepts(n) {
            let c = Closure::new(proto, Free::new(), None);
            let e = closure_arity_error(&c, n);
            return Some(self.fail(act.clone(), e));
        }
        if let Err(abort) = self.tick() {
            return self.stopped(act.proto.span_at(act.pc as usize - 1), abort);
        }
        let clo = if Rc::ptr_eq(&proto, &act.clo.proto) {
            act.clo.clone()
        } else {
            Rc::new(Closure::new(
                proto.clone(),
                act.clo.free.clone(),
                Some(group),
            ))
        };
        let args_at = self.vals.len() - n;
        match self.switch_to(act, clo, proto, args_at, args_at, tail) {
            Ok(()) => None,
            Err(abort) => Some(Err(abort)),
        }
    }

    // ---- returning a value to a frame ----

    fn resume(&mut self, k: K, v: Val) -> Step {
        match k {
            // Activations are continued by `into_act`, never here.
            K::Call => Ok(Next::Return(v)),
            K::CallWithValues(consumer) => {
                let args = match v {
                    Val::Values(vals) => vals.iter().cloned().collect(),
                    v => smallvec::smallvec![v],
                };
                self.apply(consumer, args)
            }
            K::WindBefore(before, thunk, after) => {
                self.wind_ids += 1;
                self.push(K::Wind(self.wind_ids, before, after))?;
                self.apply(thunk, Args::new())
            }
            K::Wind(_, _, after) => {
                self.push(K::WindAfter(v))?;
                self.apply(after, Args::new())
            }
            K::WindAfter(result) => Ok(Next::Return(result)),
            K::Handler(_) | K::Guard(_) | K::Param(..) => Ok(Next::Return(v)),
            K::HandlerCall(skip, continuable) => {
                if continuable {
                    Ok(Next::Return(v))
                } else {
                    // The handler returned from `raise`: that is an error, raised
                    // where the handler ran, so the handler itself is not current.
                    let below = self.frames.len().saturating_sub(skip);
                    let e = error("handler returned from a non-continuable raise", vec![v]);
                    self.raise_below(e, false, below)
                }
            }
            K::ParamConvert(state) => {
                let (params, raw, mut done, thunk) = *state;
                done.push(v);
                self.parameterize(params, raw, done, thunk)
            }
            K::MakeParam(converter) => Ok(Next::Return(Val::Param(Rc::new(Parameter {
                value: v,
                converter: Some(converter),
            })))),
            K::Force(p, chained) => self.forced(p, chained, v),
            K::Unwind(distance, then) => {
                let height = self.frames.len().saturating_sub(distance);
                self.unwind_to(height, *then)
            }
            K::Rewind(k, vals, i) => self.rewind(k, vals, i),
            K::Load(loading, next) => self.load_form(loading, next, v),
            K::Prompt(id) => Ok(Next::Return(self.flow_returned(id, v))),
        }
    }

    // ---- application outside the loop ----

    pub fn apply(&mut self, f: Val, mut args: Args) -> Step {
        // Every application counts, so no loop (not even one made of
        // continuation invocations) escapes the limits or an interrupt.
        self.tick()?;
        match f {
            Val::Closure(c) => {
                let Some(proto) = clause_for(&c, args.len()).cloned() else {
                    let e = closure_arity_error(&c, args.len());
                    return self.raise(e, false);
                };
                let site = if proto.is_loop {
                    self.frames.iter().rev().find_map(|f| {
                        if f.control.is_none() {
                            f.site
                        } else {
                            None
                        }
                    })
                } else {
                    Some(self.call_span)
                };
                let base = self.vals.len();
                self.vals.extend(args.drain(..));
                Ok(Next::Run(self.enter(c, proto, base, site)))
            }
            Val::Prim(p) => self.apply_prim(p, args),
            Val::Cont(k) => {
                let v = match args.len() {
                    1 => args.pop().unwrap_or(Val::Unspecified),
                    0 => Val::Unspecified,
                    _ => Val::Values(Rc::new(crate::values::value::Items::new(args.into_vec()))),
                };
                self.invoke_continuation(k, v)
            }
            Val::Param(p) => {
                if !args.is_empty() {
                    return self.raise(arity_error("parameter", 0, Some(0), args.len()), false);
                }
                Ok(Next::Return(self.param_value(&p)))
            }
            Val::RecordProc(rp) => match crate::values::record::apply_record(&rp, args) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            Val::Host(h) => {
                let result = (h.func)(&args);
                self.returned(result)
            }
            other => self.raise(error("not a procedure", vec![other]), false),
        }
    }

    fn apply_prim(&mut self, p: &'static Prim, args: Args) -> Step {
        let n = args.len();
        if n < p.min_args || p.max_args.is_some_and(|max| n > max) {
            return self.raise(arity_error(p.name, p.min_args, p.max_args, n), false);
        }
        let result = match &p.kind {
            PrimKind::Pure(f) => f(&args),
            PrimKind::Effect(f) => f(self, &args),
            PrimKind::Control(op) => return self.control(*op, args),
        };
        self.returned(result)
    }

    /// Continue with what a primitive or host function returned. What it
    /// made is counted now: any growth past the heap's ceiling stops the
    /// run, so no program passes it by more than one primitive's result.
    #[inline]
    fn returned(&mut self, result: Result<Val, Val>) -> Step {
        match result {
            Ok(_) if heap::over_ceiling(0) => Err(Abort::Limit(LimitKind::Heap)),
            Ok(v) => Ok(Next::Return(v)),
            Err(e) => self.raise(e, false),
        }
    }

    /// A check is due: the allowance is spent. Stop on an interrupt or a
    /// limit, else grant the next allowance: up to `CHECK_EVERY` steps, and
    /// never past `max_steps`, so a budget of N steps stops at step N + 1.
    fn check_budget(&mut self) -> Result<(), Abort> {
        self.steps += self.allowance - self.fuel;
        self.allowance = 0;
        self.fuel = 0;
        if self.interrupt.swap(false, Ordering::Relaxed) {
            return Err(Abort::Interrupted);
        }
        if self.limits.max_steps.is_some_and(|max| self.steps > max) {
            return Err(Abort::Limit(LimitKind::Steps));
        }
        if let Some(max) = self.limits.max_heap_bytes {
            let held = usize::try_from(heap::held() - self.held_at_start).unwrap_or(0);
            // Capacities, not lengths: a stack that doubles holds both.
            let bytes = self.frames.capacity() * std::mem::size_of::<Frame>()
                + self.vals.capacity() * std::mem::size_of::<Val>()
                + held;
            if bytes > max {
                return Err(Abort::Limit(LimitKind::Heap));
            }
        }
        self.grant_allowance();
        Ok(())
    }

    /// Grant the steps until the next check.
    pub(crate) fn grant_allowance(&mut self) {
        let left = self.limits.max_steps.map_or(u64::MAX, |max| {
            (max - self.steps.min(max)).saturating_add(1)
        });
        self.allowance = CHECK_EVERY.min(left);
        self.fuel = self.allowance;
    }

    /// Flows are deterministic: their code may not change global variables.
    fn global_write_in_flow(&self, id: GlobalId) -> Option<Val> {
        let flow = self.flows.running?;
        Some(error(
            format!(
                "cannot assign the global variable {} inside flow {flow}: flows must be deterministic",
                self.globals.name(id)
            ),
            vec![],
        ))
    }
}

/// The closure of member `j` of `c`'s fix group.
fn sibling(c: &Closure, j: u16) -> Val {
    let proto = match &c.group {
        Some(g) => g[j as usize].clone(),
        None => c.proto.clone(),
    };
    Val::Closure(Rc::new(Closure::new(
        proto,
        c.free.clone(),
        c.group.clone(),
    )))
}
