//! The CEK machine: control, environment and an explicit stack of continuation frames.
//!
//! Nothing about a running program lives on the Rust stack: a Scheme call
//! pushes at most one frame onto `stack`, so recursion depth is bounded only by
//! [`Limits`], a continuation is a copy of the frames, and a flow suspends by
//! moving its frames out.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::code::{Call, GlobalId, Lambda, Node};
use crate::compile::{Compiler, Expander};
use crate::globals::Globals;
use crate::output::Output;
use crate::source::{SourceMap, Span};
use smallvec::{smallvec, SmallVec};

use crate::value::{
    error, ErrorObj, Parameter, Prim, PrimKind, Promise, Record, RecordProc, RecordType, Val,
};

/// Arguments of one call; most calls have few, which then need no allocation.
pub type Args = SmallVec<[Val; 3]>;

/// An environment: a chain of frames; `None` is the global environment.
pub type Env = Option<Rc<Frame>>;

pub struct Frame {
    pub slots: RefCell<Args>,
    /// For a fix frame: the mutually recursive lambdas it binds.
    pub fix: Option<Rc<[Rc<Lambda>]>>,
    pub parent: Env,
    /// The call that started the procedure activation this frame belongs
    /// to (for error reports' call chains); `None` at top level.
    pub call_site: Option<Span>,
    /// Made while a flow was running: a flow may assign only such variables.
    pub in_flow: bool,
}

fn site_of(env: &Env) -> Option<Span> {
    env.as_ref().and_then(|f| f.call_site)
}

impl Frame {
    pub fn take_slots(&self) -> Args {
        std::mem::take(&mut *self.slots.borrow_mut())
    }

    pub fn take_parent(mut self) -> Env {
        self.parent.take()
    }
}

/// Environments chain through closures (a closure over a closure over ...):
/// dropping a frame must not recurse down that chain.
impl Drop for Frame {
    fn drop(&mut self) {
        let parent_owned = self
            .parent
            .as_ref()
            .is_some_and(|p| Rc::strong_count(p) == 1);
        let slots_owned = self
            .slots
            .get_mut()
            .iter()
            .any(crate::value::owns_structure);
        if parent_owned || slots_owned {
            let vals = std::mem::take(self.slots.get_mut()).into_vec();
            crate::value::dismantle(vals, self.parent.take().into_iter().collect());
        }
    }
}

pub struct Closure {
    pub lambda: Rc<Lambda>,
    pub env: Env,
}

/// A captured continuation: the frames above the nearest flow prompt (or all of them).
pub struct Continuation {
    pub frames: Vec<K>,
    /// For the re-raiser a `guard` hands its clauses: after reinstating the
    /// frames, raise the value continuably to the handlers below this frame
    /// (relative to the base), instead of returning it.
    pub reraise_below: Option<usize>,
    /// For the re-raiser: where the original `raise` happened, so an
    /// uncaught re-raise is reported there rather than at the `guard`.
    pub reraise_site: Option<Site>,
}

/// Where an error was raised: its span and the spans of the calls that led there.
#[derive(Clone, Debug)]
pub struct Site {
    pub span: Span,
    pub chain: Vec<Span>,
}

/// Resource limits. Every limit is finite: a runaway program always stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Procedure calls (each closure application counts one).
    pub max_steps: Option<u64>,
    /// Continuation frames: the depth of non-tail recursion.
    pub max_depth: Option<usize>,
    /// Approximate bytes held by the continuation and by the pairs allocated
    /// (and not yet freed) since the evaluation started.
    pub max_heap_bytes: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: Some(100_000_000_000),
            max_depth: Some(10_000_000),
            max_heap_bytes: Some(4 << 30),
        }
    }
}

/// Why the machine stopped without a value.
#[derive(Debug)]
pub enum Abort {
    /// A raised object no handler caught (boxed: every step returns a `Result`).
    Uncaught(Box<(Val, Site)>),
    Limit(LimitKind),
    Interrupted,
    Exit(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Steps,
    Depth,
    Heap,
}

impl LimitKind {
    pub fn describe(self) -> &'static str {
        match self {
            LimitKind::Steps => "too many steps (max_steps)",
            LimitKind::Depth => "recursion too deep (max_depth)",
            LimitKind::Heap => "too much memory (max_heap_bytes)",
        }
    }
}

/// Primitives the machine implements because they manipulate the continuation.
#[derive(Clone, Copy, Debug)]
pub enum ControlOp {
    Apply,
    CallCC,
    Values,
    CallWithValues,
    DynamicWind,
    WithExceptionHandler,
    Raise,
    RaiseContinuable,
    Error,
    MakeParameter,
    Parameterize,
    Force,
    Eval,
    Exit,
    Load,
    FlowStart,
    FlowResume,
    Request,
    Flow(crate::flow::FlowQuery),
}

/// What happens once an unwind has run every `dynamic-wind` after-thunk above its target.
#[derive(Clone)]
pub enum Then {
    ApplyHandler(Val, Args),
    Reenter(Rc<Continuation>, Val, usize),
}

/// A continuation frame: what to do with the value of the expression being evaluated.
#[derive(Clone)]
pub enum K {
    If(Rc<(Node, Node, Node)>, Env),
    Seq(Rc<[Node]>, usize, Env),
    And(Rc<[Node]>, usize, Env),
    Or(Rc<[Node]>, usize, Env),
    Op(Rc<Call>, Env),
    Arg(Rc<Call>, Val, Args, Env),
    Let(Rc<crate::code::Let>, Args, Env),
    Letrec(Rc<crate::code::Letrec>, usize, Env),
    SetLocal(u32, u32, Env),
    SetGlobal(GlobalId, Span),
    Define(GlobalId),
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

pub struct Loading {
    pub forms: Vec<crate::syntax::Syntax>,
    /// Directory that `load` calls inside this file resolve against.
    pub dir: Option<std::path::PathBuf>,
}

/// `parameterize` converting its values: parameters, raw values, converted so far, body thunk.
type ParamState = (Vec<Rc<Parameter>>, Vec<Val>, Vec<Val>, Val);

pub enum Next {
    Eval(Node, Env),
    Return(Val),
    Apply(Val, Args),
}

type Step = Result<Next, Abort>;

pub struct Machine {
    pub globals: Globals,
    pub expander: Expander,
    pub sources: SourceMap,
    pub out: Output,
    pub limits: Limits,
    pub interrupt: Arc<AtomicBool>,
    pub(crate) stack: Vec<K>,
    /// The span of the call being applied, for error locations.
    call_span: Span,
    /// The call that started the activation being evaluated.
    cur_site: Option<Span>,
    /// Where a value re-raised by a `guard` was first raised.
    raise_origin: Option<Site>,
    steps: u64,
    /// Live pairs when the current evaluation started (see `max_heap_bytes`).
    pairs_at_start: i64,
    wind_ids: u64,
    /// Directory that relative `load` paths resolve against.
    pub base_dir: Option<std::path::PathBuf>,
    /// Reads the source of `(load path)`; `None` disables `load`.
    pub loader: Option<Loader>,
    pub flows: crate::flow::FlowStore,
}

pub type Loader = Box<dyn Fn(&std::path::Path) -> Result<String, String> + Send>;

fn read_file(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn frame_slot(env: &Env, depth: u32) -> &Rc<Frame> {
    let mut e = env.as_ref();
    for _ in 0..depth {
        e = e.and_then(|f| f.parent.as_ref());
    }
    // The compiler only emits addresses that exist.
    e.expect("lexical address within the environment chain")
}

fn arity_error(name: &str, min: usize, max: Option<usize>, got: usize) -> Val {
    let expected = match max {
        Some(max) if max == min => format!("{min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    };
    let plural = if expected == "1" { "" } else { "s" };
    error(
        format!("{name}: expected {expected} argument{plural}, got {got}"),
        vec![],
    )
}

impl Machine {
    pub fn new() -> Machine {
        let mut m = Machine {
            globals: Globals::default(),
            expander: Expander::default(),
            sources: SourceMap::default(),
            out: Output::default(),
            limits: Limits::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
            stack: Vec::new(),
            call_span: Span::default(),
            cur_site: None,
            raise_origin: None,
            steps: 0,
            pairs_at_start: 0,
            wind_ids: 0,
            base_dir: None,
            loader: Some(Box::new(read_file)),
            flows: crate::flow::FlowStore::new(),
        };
        for prim in crate::builtins::all() {
            m.globals.define(prim.name, Val::Prim(prim));
        }
        m
    }

    pub fn compiler(&mut self) -> Compiler<'_> {
        Compiler::new(&mut self.globals, &mut self.expander)
    }

    /// The trampoline: step until the stack falls back to `base`.
    fn execute(&mut self, mut next: Next, base: usize) -> Result<Val, Abort> {
        loop {
            next = match next {
                Next::Eval(node, env) => self.eval(node, env)?,
                Next::Apply(f, args) => self.apply(f, args)?,
                Next::Return(v) => {
                    if self.stack.len() <= base {
                        return Ok(v);
                    }
                    match self.stack.pop() {
                        Some(k) => self.resume(k, v)?,
                        None => return Ok(v),
                    }
                }
            };
        }
    }

    fn push(&mut self, k: K) -> Result<(), Abort> {
        if let Some(max) = self.limits.max_depth {
            if self.stack.len() >= max {
                return Err(Abort::Limit(LimitKind::Depth));
            }
        }
        self.stack.push(k);
        Ok(())
    }

    // ---- variables ----

    fn local(&self, env: &Env, depth: u32, idx: u32) -> Result<Val, Val> {
        match self.local_fast(env, depth, idx) {
            Some(v) => Ok(v),
            None => Err(error("variable used before its definition", vec![])),
        }
    }

    fn local_checked(
        &mut self,
        env: &Env,
        r: &(u32, u32, crate::symbol::Symbol, Span),
    ) -> Result<Val, Val> {
        match self.local_fast(env, r.0, r.1) {
            Some(v) => Ok(v),
            None => {
                self.call_span = r.3;
                Err(error(format!("{} used before its definition", r.2), vec![]))
            }
        }
    }

    /// A local's value, or `None` if it is still unassigned.
    #[inline(always)]
    fn local_fast(&self, env: &Env, depth: u32, idx: u32) -> Option<Val> {
        let frame = if depth == 0 {
            env.as_ref()?
        } else {
            frame_slot(env, depth)
        };
        match frame.slots.borrow().get(idx as usize) {
            Some(Val::Unassigned) | None => None,
            Some(v) => Some(v.clone()),
        }
    }

    /// Constants and assigned locals: the leaves most primitive calls have.
    #[inline(always)]
    fn leaf(&self, node: &Node, env: &Env) -> Option<Val> {
        match node {
            Node::Const(v) => Some(v.clone()),
            Node::Local(d, i) => self.local_fast(env, *d, *i),
            _ => None,
        }
    }

    fn fix_ref(&self, env: &Env, depth: u32, idx: u32) -> Val {
        let frame = frame_slot(env, depth);
        let lambda = frame
            .fix
            .as_ref()
            .map(|g| g[idx as usize].clone())
            .expect("fix reference to a fix frame");
        Val::Closure(Rc::new(Closure {
            lambda,
            env: Some(frame.clone()),
        }))
    }

    fn global(&mut self, id: GlobalId, span: Span) -> Result<Val, Val> {
        match self.globals.get(id) {
            Val::Unassigned => {
                self.call_span = span;
                Err(error(
                    format!("unbound variable: {}", self.globals.name(id)),
                    vec![],
                ))
            }
            v => Ok(v.clone()),
        }
    }

    /// Evaluate `node` directly if it needs no frames: constants, variables,
    /// lambdas, and calls of pure primitives on such nodes. `None` means "use
    /// the machine"; since only pure primitives ran, nothing is lost by retrying.
    fn quick(&mut self, node: &Node, env: &Env, depth: u32) -> Option<Result<Val, Val>> {
        match node {
            Node::Const(v) => Some(Ok(v.clone())),
            Node::Local(d, i) => Some(self.local(env, *d, *i)),
            Node::LocalChecked(r) => Some(self.local_checked(env, r)),
            Node::Global(id, span) => Some(self.global(*id, *span)),
            Node::FixRef(d, i) => Some(Ok(self.fix_ref(env, *d, *i))),
            Node::Lambda(l) => Some(Ok(Val::Closure(Rc::new(Closure {
                lambda: l.clone(),
                env: env.clone(),
            })))),
            Node::Call(call) if depth < 8 => {
                let Node::Global(id, _) = call.op else {
                    return None;
                };
                let Val::Prim(prim) = self.globals.get(id) else {
                    return None;
                };
                let PrimKind::Pure(f) = prim.kind else {
                    return None;
                };
                let n = call.args.len();
                if n < prim.min_args || prim.max_args.is_some_and(|max| n > max) {
                    return None;
                }
                let result = match &call.args[..] {
                    [] => f(&[]),
                    [a] => {
                        let a = match self.leaf(a, env) {
                            Some(v) => v,
                            None => match self.quick(a, env, depth + 1)? {
                                Ok(v) => v,
                                Err(e) => return Some(Err(e)),
                            },
                        };
                        f(std::slice::from_ref(&a))
                    }
                    [a, b] => {
                        let a = match self.leaf(a, env) {
                            Some(v) => v,
                            None => match self.quick(a, env, depth + 1)? {
                                Ok(v) => v,
                                Err(e) => return Some(Err(e)),
                            },
                        };
                        let b = match self.leaf(b, env) {
                            Some(v) => v,
                            None => match self.quick(b, env, depth + 1)? {
                                Ok(v) => v,
                                Err(e) => return Some(Err(e)),
                            },
                        };
                        f(&[a, b])
                    }
                    args => {
                        let mut vals = Vec::with_capacity(args.len());
                        for arg in args {
                            match self.quick(arg, env, depth + 1)? {
                                Ok(v) => vals.push(v),
                                Err(e) => return Some(Err(e)),
                            }
                        }
                        f(&vals)
                    }
                };
                if result.is_err() {
                    self.call_span = call.span;
                }
                Some(result)
            }
            _ => None,
        }
    }

    // ---- one step ----

    fn eval(&mut self, node: Node, env: Env) -> Step {
        self.cur_site = site_of(&env);
        match node {
            Node::Const(v) => Ok(Next::Return(v)),
            Node::Local(d, i) => match self.local(&env, d, i) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            Node::LocalChecked(r) => match self.local_checked(&env, &r) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            Node::Global(id, span) => match self.global(id, span) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            Node::FixRef(d, i) => Ok(Next::Return(self.fix_ref(&env, d, i))),
            Node::Lambda(l) => Ok(Next::Return(Val::Closure(Rc::new(Closure {
                lambda: l,
                env,
            })))),
            Node::If(rc) => match self.quick(&rc.0, &env, 0) {
                Some(Ok(v)) => {
                    let branch = if v.is_true() { &rc.1 } else { &rc.2 };
                    Ok(Next::Eval(branch.clone(), env))
                }
                Some(Err(e)) => self.raise(e, false),
                None => {
                    let test = rc.0.clone();
                    self.push(K::If(rc, env.clone()))?;
                    Ok(Next::Eval(test, env))
                }
            },
            Node::Seq(body) => self.seq(body, 0, env),
            Node::And(items) => self.and_or(items, 0, env, true),
            Node::Or(items) => self.and_or(items, 0, env, false),
            Node::Call(call) => match self.quick(&call.op, &env, 0) {
                Some(Ok(op)) => self.args(call, op, Args::new(), env),
                Some(Err(e)) => self.raise(e, false),
                None => {
                    let op = call.op.clone();
                    self.push(K::Op(call, env.clone()))?;
                    Ok(Next::Eval(op, env))
                }
            },
            Node::NamedLet(nl) => {
                let fix = Rc::new(Frame {
                    slots: RefCell::new(Args::new()),
                    fix: Some(Rc::from(vec![nl.lambda.clone()])),
                    call_site: site_of(&env),
                    in_flow: self.flows.running.is_some(),
                    parent: env.clone(),
                });
                let op = Val::Closure(Rc::new(Closure {
                    lambda: nl.lambda.clone(),
                    env: Some(fix),
                }));
                self.args(nl.call.clone(), op, Args::new(), env)
            }
            Node::Let(l) => self.let_inits(l, Args::new(), env),
            Node::Letrec(l) => {
                let frame = Some(Rc::new(Frame {
                    slots: RefCell::new(smallvec![Val::Unassigned; l.frame_size]),
                    fix: None,
                    call_site: site_of(&env),
                    in_flow: self.flows.running.is_some(),
                    parent: env,
                }));
                self.letrec_inits(l, 0, frame)
            }
            Node::Fix(f) => {
                let frame = Some(Rc::new(Frame {
                    slots: RefCell::new(Args::new()),
                    fix: Some(f.group.clone()),
                    call_site: site_of(&env),
                    in_flow: self.flows.running.is_some(),
                    parent: env,
                }));
                Ok(Next::Eval(f.body.clone(), frame))
            }
            Node::SetLocal(rc) => match self.quick(&rc.2, &env, 0) {
                Some(Ok(v)) => {
                    if let Some(e) = self.local_write_in_flow(&env, rc.0) {
                        return self.raise(e, false);
                    }
                    let old = std::mem::replace(
                        &mut frame_slot(&env, rc.0).slots.borrow_mut()[rc.1 as usize],
                        v,
                    );
                    crate::value::release(old);
                    Ok(Next::Return(Val::Unspecified))
                }
                Some(Err(e)) => self.raise(e, false),
                None => {
                    self.push(K::SetLocal(rc.0, rc.1, env.clone()))?;
                    Ok(Next::Eval(rc.2.clone(), env))
                }
            },
            Node::SetGlobal(rc) => {
                self.push(K::SetGlobal(rc.0, rc.2))?;
                Ok(Next::Eval(rc.1.clone(), env))
            }
            Node::DefineGlobal(rc) => {
                self.push(K::Define(rc.0))?;
                Ok(Next::Eval(rc.1.clone(), env))
            }
            Node::Guard(g) => {
                let handler = Val::Closure(Rc::new(Closure {
                    lambda: g.handler.clone(),
                    env: env.clone(),
                }));
                self.push(K::Guard(handler))?;
                match &g.body {
                    Node::Lambda(body) => Ok(Next::Eval(
                        body.body.clone(),
                        Some(self.empty_frame(body, env)),
                    )),
                    other => Ok(Next::Eval(other.clone(), env)),
                }
            }
        }
    }

    fn empty_frame(&self, lambda: &Lambda, parent: Env) -> Rc<Frame> {
        Rc::new(Frame {
            slots: RefCell::new(smallvec![Val::Unassigned; lambda.frame_size]),
            fix: None,
            call_site: site_of(&parent),
            in_flow: self.flows.running.is_some(),
            parent,
        })
    }

    fn seq(&mut self, body: Rc<[Node]>, mut i: usize, env: Env) -> Step {
        // Run leading simple expressions in place; push a frame only when needed.
        while i + 1 < body.len() {
            match self.quick(&body[i], &env, 0) {
                Some(Ok(_)) => i += 1,
                Some(Err(e)) => return self.raise(e, false),
                None => {
                    let node = body[i].clone();
                    self.push(K::Seq(body, i + 1, env.clone()))?;
                    return Ok(Next::Eval(node, env));
                }
            }
        }
        Ok(Next::Eval(body[i].clone(), env))
    }

    fn and_or(&mut self, items: Rc<[Node]>, i: usize, env: Env, and: bool) -> Step {
        if i + 1 >= items.len() {
            return Ok(Next::Eval(items[i].clone(), env));
        }
        let node = items[i].clone();
        self.push(if and {
            K::And(items, i + 1, env.clone())
        } else {
            K::Or(items, i + 1, env.clone())
        })?;
        Ok(Next::Eval(node, env))
    }

    fn args(&mut self, call: Rc<Call>, op: Val, mut args: Args, env: Env) -> Step {
        while args.len() < call.args.len() {
            match self.quick(&call.args[args.len()], &env, 0) {
                Some(Ok(v)) => args.push(v),
                Some(Err(e)) => return self.raise(e, false),
                None => {
                    let node = call.args[args.len()].clone();
                    self.push(K::Arg(call, op, args, env.clone()))?;
                    return Ok(Next::Eval(node, env));
                }
            }
        }
        self.call_span = call.span;
        self.apply(op, args)
    }

    fn let_inits(&mut self, l: Rc<crate::code::Let>, mut vals: Args, env: Env) -> Step {
        while vals.len() < l.inits.len() {
            match self.quick(&l.inits[vals.len()], &env, 0) {
                Some(Ok(v)) => vals.push(v),
                Some(Err(e)) => return self.raise(e, false),
                None => {
                    let node = l.inits[vals.len()].clone();
                    self.push(K::Let(l, vals, env.clone()))?;
                    return Ok(Next::Eval(node, env));
                }
            }
        }
        vals.resize(l.frame_size, Val::Unassigned);
        let frame = Rc::new(Frame {
            slots: RefCell::new(vals),
            fix: None,
            call_site: site_of(&env),
            in_flow: self.flows.running.is_some(),
            parent: env,
        });
        Ok(Next::Eval(l.body.clone(), Some(frame)))
    }

    fn letrec_inits(&mut self, l: Rc<crate::code::Letrec>, mut i: usize, env: Env) -> Step {
        while i < l.inits.len() {
            match self.quick(&l.inits[i], &env, 0) {
                Some(Ok(v)) => {
                    frame_slot(&env, 0).slots.borrow_mut()[i] = v;
                    i += 1;
                }
                Some(Err(e)) => return self.raise(e, false),
                None => {
                    let node = l.inits[i].clone();
                    self.push(K::Letrec(l, i, env.clone()))?;
                    return Ok(Next::Eval(node, env));
                }
            }
        }
        Ok(Next::Eval(l.body.clone(), env))
    }

    // ---- returning a value to a frame ----

    fn resume(&mut self, k: K, v: Val) -> Step {
        match k {
            K::If(rc, env) => {
                let branch = if v.is_true() { &rc.1 } else { &rc.2 };
                Ok(Next::Eval(branch.clone(), env))
            }
            K::Seq(body, i, env) => self.seq(body, i, env),
            K::And(items, i, env) => {
                if v.is_true() {
                    self.and_or(items, i, env, true)
                } else {
                    Ok(Next::Return(v))
                }
            }
            K::Or(items, i, env) => {
                if v.is_true() {
                    Ok(Next::Return(v))
                } else {
                    self.and_or(items, i, env, false)
                }
            }
            K::Op(call, env) => self.args(call, v, Args::new(), env),
            K::Arg(call, op, mut args, env) => {
                args.push(v);
                self.args(call, op, args, env)
            }
            K::Let(l, mut vals, env) => {
                vals.push(v);
                self.let_inits(l, vals, env)
            }
            K::Letrec(l, i, env) => {
                frame_slot(&env, 0).slots.borrow_mut()[i] = v;
                self.letrec_inits(l, i + 1, env)
            }
            K::SetLocal(d, i, env) => {
                if let Some(e) = self.local_write_in_flow(&env, d) {
                    return self.raise(e, false);
                }
                let old =
                    std::mem::replace(&mut frame_slot(&env, d).slots.borrow_mut()[i as usize], v);
                crate::value::release(old);
                Ok(Next::Return(Val::Unspecified))
            }
            K::SetGlobal(id, span) => {
                if let Some(e) = self.global_write_in_flow(id, span) {
                    return self.raise(e, false);
                }
                if matches!(self.globals.get(id), Val::Unassigned) {
                    self.call_span = span;
                    let name = self.globals.name(id);
                    return self.raise(
                        error(format!("set!: unbound variable: {name}"), vec![]),
                        false,
                    );
                }
                self.globals.set(id, v);
                Ok(Next::Return(Val::Unspecified))
            }
            K::Define(id) => {
                if let Some(e) = self.global_write_in_flow(id, self.call_span) {
                    return self.raise(e, false);
                }
                self.globals.set(id, v);
                Ok(Next::Return(Val::Unspecified))
            }
            K::CallWithValues(consumer) => {
                let args = match v {
                    Val::Values(vals) => vals.iter().cloned().collect(),
                    v => smallvec![v],
                };
                self.apply(consumer, args)
            }
            K::WindBefore(before, thunk, after) => {
                self.wind_ids += 1;
                self.push(K::Wind(self.wind_ids, before, after))?;
                self.apply(thunk, smallvec![])
            }
            K::Wind(_, _, after) => {
                self.push(K::WindAfter(v))?;
                self.apply(after, smallvec![])
            }
            K::WindAfter(result) => Ok(Next::Return(result)),
            K::Handler(_) | K::Guard(_) | K::Param(..) => Ok(Next::Return(v)),
            K::HandlerCall(skip, continuable) => {
                if continuable {
                    Ok(Next::Return(v))
                } else {
                    // The handler returned from `raise`: that is an error, raised
                    // where the handler ran, so the handler itself is not current.
                    let below = self.stack.len().saturating_sub(skip);
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
                let height = self.stack.len().saturating_sub(distance);
                self.unwind_to(height, *then)
            }
            K::Rewind(k, vals, i) => self.rewind(k, vals, i),
            K::Load(loading, next) => self.load_form(loading, next, v),
            K::Prompt(id) => Ok(Next::Return(self.flow_returned(id, v))),
        }
    }

    /// Evaluate the forms of a source in order; the value of the last one.
    pub fn run_forms(&mut self, loading: Loading) -> Result<Val, Abort> {
        self.stack.clear();
        self.steps = 0;
        self.pairs_at_start = crate::value::live_pairs();
        let first = self.load_form(Rc::new(loading), 0, Val::Unspecified);
        let result = first.and_then(|next| self.execute(next, 0));
        self.finish_run(result)
    }

    /// Run `f` applied to `args` to completion (for the embedding API).
    pub fn run_apply(&mut self, f: Val, args: Args) -> Result<Val, Abort> {
        self.stack.clear();
        self.steps = 0;
        self.pairs_at_start = crate::value::live_pairs();
        let result = self.execute(Next::Apply(f, args), 0);
        self.finish_run(result)
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
            self.stack.clear();
        }
        result
    }

    fn load_form(&mut self, loading: Rc<Loading>, i: usize, last: Val) -> Step {
        let Some(form) = loading.forms.get(i) else {
            return Ok(Next::Return(last));
        };
        let compiled = self.compiler().compile_toplevel(form);
        match compiled {
            Ok(node) => {
                // Pushed even after the last form: a `load` there must still
                // resolve against this file's directory.
                self.push(K::Load(loading, i + 1))?;
                Ok(Next::Eval(node, None))
            }
            Err(e) => {
                self.call_span = e.span;
                let e = crate::value::error_of(crate::value::ErrorKind::SyntaxError, e.message);
                self.raise(e, false)
            }
        }
    }

    /// The directory relative `load` paths resolve against here.
    fn load_dir(&self) -> Option<std::path::PathBuf> {
        self.stack
            .iter()
            .rev()
            .find_map(|k| match k {
                K::Load(l, _) => Some(l.dir.clone()),
                _ => None,
            })
            .unwrap_or_else(|| self.base_dir.clone())
    }

    fn load(&mut self, path: &str) -> Step {
        let full = match self.load_dir() {
            Some(dir) if std::path::Path::new(path).is_relative() => dir.join(path),
            _ => std::path::PathBuf::from(path),
        };
        let text = match &self.loader {
            Some(loader) => loader(&full),
            None => Err(format!("no source loader: cannot load {path}")),
        };
        let text = match text {
            Ok(text) => text,
            Err(message) => {
                let e = Val::Error(Rc::new(ErrorObj {
                    kind: crate::value::ErrorKind::FileError,
                    message: format!("load: {message}"),
                    irritants: vec![Val::str(path)],
                    site: RefCell::new(None),
                }));
                return self.raise(e, false);
            }
        };
        let file = self.sources.add(full.display().to_string(), text.clone());
        let forms = match crate::reader::read_all(&text, file) {
            Ok(forms) => forms,
            Err(e) => {
                self.call_span = e.span;
                let e = Val::Error(Rc::new(ErrorObj {
                    kind: crate::value::ErrorKind::ReadError,
                    message: e.message,
                    irritants: vec![],
                    site: RefCell::new(None),
                }));
                return self.raise(e, false);
            }
        };
        let loading = Loading {
            forms,
            dir: full.parent().map(std::path::Path::to_path_buf),
        };
        self.load_form(Rc::new(loading), 0, Val::Unspecified)
    }

    // ---- application ----

    pub fn apply(&mut self, f: Val, mut args: Args) -> Step {
        // Every application counts, so no loop (not even one made of
        // continuation invocations) escapes the limits or an interrupt.
        self.steps += 1;
        if self.steps & 0xffff == 0 {
            self.check_budget()?;
        }
        match f {
            Val::Closure(c) => {
                let mut lambda = &c.lambda;
                while !lambda.accepts(args.len()) {
                    match &lambda.next_case {
                        Some(next) => lambda = next,
                        None => {
                            let name = c.lambda.name.map_or("#<procedure>", |n| n.name());
                            let max = (!c.lambda.rest).then_some(c.lambda.required);
                            let e = arity_error(name, c.lambda.required, max, args.len());
                            return self.raise(e, false);
                        }
                    }
                }
                if lambda.rest {
                    let rest = Val::list(args.drain(lambda.required..).collect::<Vec<_>>());
                    args.push(rest);
                }
                if args.len() < lambda.frame_size {
                    args.resize(lambda.frame_size, Val::Unassigned);
                }
                let frame = Rc::new(Frame {
                    slots: RefCell::new(args),
                    fix: None,
                    parent: c.env.clone(),
                    call_site: if lambda.is_loop {
                        site_of(&c.env)
                    } else {
                        Some(self.call_span)
                    },
                    in_flow: self.flows.running.is_some(),
                });
                Ok(Next::Eval(lambda.body.clone(), Some(frame)))
            }
            Val::Prim(p) => self.apply_prim(p, args),
            Val::Cont(k) => {
                let v = match args.len() {
                    1 => args.pop().unwrap_or(Val::Unspecified),
                    0 => Val::Unspecified,
                    _ => Val::Values(Rc::new(args.into_vec())),
                };
                self.invoke_continuation(k, v)
            }
            Val::Param(p) => {
                if !args.is_empty() {
                    return self.raise(arity_error("parameter", 0, Some(0), args.len()), false);
                }
                Ok(Next::Return(self.param_value(&p)))
            }
            Val::RecordProc(rp) => match self.apply_record(&rp, args) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            Val::Host(h) => match crate::api::call_host(&h, &args) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
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
        match result {
            Ok(v) => Ok(Next::Return(v)),
            Err(e) => self.raise(e, false),
        }
    }

    fn check_budget(&mut self) -> Result<(), Abort> {
        if self.interrupt.swap(false, Ordering::Relaxed) {
            return Err(Abort::Interrupted);
        }
        if self.limits.max_steps.is_some_and(|max| self.steps > max) {
            return Err(Abort::Limit(LimitKind::Steps));
        }
        if let Some(max) = self.limits.max_heap_bytes {
            let pairs =
                usize::try_from(crate::value::live_pairs() - self.pairs_at_start).unwrap_or(0);
            let bytes =
                self.stack.len() * std::mem::size_of::<K>() + pairs * crate::value::PAIR_BYTES;
            if bytes > max {
                return Err(Abort::Limit(LimitKind::Heap));
            }
        }
        Ok(())
    }

    fn apply_record(&mut self, rp: &RecordProc, args: Args) -> Result<Val, Val> {
        let check = |rtd: &Rc<RecordType>, v: &Val, who: &str| -> Result<Rc<Record>, Val> {
            match v {
                Val::Record(r) if Rc::ptr_eq(&r.rtd, rtd) => Ok(r.clone()),
                other => Err(error(
                    format!("{who}: expected a {} record", rtd.name),
                    vec![other.clone()],
                )),
            }
        };
        match rp {
            RecordProc::Constructor(rtd, fields) => {
                if args.len() != fields.len() {
                    return Err(arity_error(
                        &format!("make-{}", rtd.name),
                        fields.len(),
                        Some(fields.len()),
                        args.len(),
                    ));
                }
                let mut values = vec![Val::Bool(false); rtd.fields.len()];
                for (i, v) in fields.iter().zip(args) {
                    values[*i] = v;
                }
                Ok(Val::Record(Rc::new(Record {
                    rtd: rtd.clone(),
                    fields: values,
                })))
            }
            RecordProc::Predicate(rtd) => {
                let [v] = &args[..] else {
                    return Err(arity_error("record predicate", 1, Some(1), args.len()));
                };
                Ok(Val::Bool(matches!(v, Val::Record(r) if Rc::ptr_eq(&r.rtd, rtd))))
            }
            RecordProc::Accessor(rtd, i) => {
                let [v] = &args[..] else {
                    return Err(arity_error("record accessor", 1, Some(1), args.len()));
                };
                let r = check(rtd, v, rtd.fields[*i].name())?;
                Ok(r.fields[*i].clone())
            }
            RecordProc::Modifier(rtd, i) => Err(error(
                format!(
                    "record fields are immutable: cannot modify field {} of {}; build a new record instead",
                    rtd.fields[*i],
                    rtd.name
                ),
                vec![],
            )),
        }
    }

    // ---- control primitives ----

    fn control(&mut self, op: ControlOp, mut args: Args) -> Step {
        match op {
            ControlOp::Apply => {
                let f = args.remove(0);
                let Some(last) = args.pop() else {
                    return self.apply(f, args);
                };
                match last.to_vec() {
                    Some(rest) => {
                        args.extend(rest);
                        self.apply(f, args)
                    }
                    None => self.raise(
                        error("apply: the last argument must be a list", vec![last]),
                        false,
                    ),
                }
            }
            ControlOp::CallCC => {
                let f = args.remove(0);
                let base = self.prompt_base();
                let k = Continuation {
                    frames: self.stack[base..].to_vec(),
                    reraise_below: None,
                    reraise_site: None,
                };
                self.apply(f, smallvec![Val::Cont(Rc::new(k))])
            }
            ControlOp::Values => Ok(Next::Return(if args.len() == 1 {
                args.remove(0)
            } else {
                Val::Values(Rc::new(args.into_vec()))
            })),
            ControlOp::CallWithValues => {
                let consumer = args.pop().unwrap_or(Val::Null);
                let producer = args.remove(0);
                self.push(K::CallWithValues(consumer))?;
                self.apply(producer, smallvec![])
            }
            ControlOp::DynamicWind => {
                let after = args.pop().unwrap_or(Val::Null);
                let thunk = args.pop().unwrap_or(Val::Null);
                let before = args.remove(0);
                self.push(K::WindBefore(before.clone(), thunk, after))?;
                self.apply(before, smallvec![])
            }
            ControlOp::WithExceptionHandler => {
                let thunk = args.pop().unwrap_or(Val::Null);
                let handler = args.remove(0);
                if !handler.is_procedure() {
                    return self.raise(
                        crate::value::type_error("with-exception-handler", "a procedure", &handler),
                        false,
                    );
                }
                self.push(K::Handler(handler))?;
                self.apply(thunk, smallvec![])
            }
            ControlOp::Raise => self.raise(args.remove(0), false),
            ControlOp::RaiseContinuable => self.raise(args.remove(0), true),
            ControlOp::Error => {
                let message = args.remove(0);
                let message = match message {
                    Val::Str(s) => s.to_string(),
                    other => crate::printer::write_string(&other),
                };
                self.raise(error(message, args.into_vec()), false)
            }
            ControlOp::MakeParameter => {
                let value = args.remove(0);
                match args.pop() {
                    Some(converter) => {
                        self.push(K::MakeParam(converter.clone()))?;
                        self.apply(converter, smallvec![value])
                    }
                    None => Ok(Next::Return(Val::Param(Rc::new(Parameter {
                        value,
                        converter: None,
                    })))),
                }
            }
            ControlOp::Parameterize => {
                let thunk = args.pop().unwrap_or(Val::Null);
                let values = args.pop().and_then(|v| v.to_vec()).unwrap_or_default();
                let params = args.pop().and_then(|v| v.to_vec()).unwrap_or_default();
                let mut ps = Vec::new();
                for p in params {
                    match p {
                        Val::Param(p) => ps.push(p),
                        other => {
                            return self.raise(
                                crate::value::type_error("parameterize", "a parameter", &other),
                                false,
                            )
                        }
                    }
                }
                self.parameterize(ps, values, Vec::new(), thunk)
            }
            ControlOp::Force => {
                let v = args.remove(0);
                match v {
                    Val::Promise(p) => self.force(p),
                    other => Ok(Next::Return(other)),
                }
            }
            ControlOp::Eval => {
                let datum = args.remove(0);
                let syntax = crate::syntax::Syntax::from_datum(&datum, self.call_span);
                let compiled = self.compiler().compile_toplevel(&syntax);
                match compiled {
                    Ok(node) => Ok(Next::Eval(node, None)),
                    Err(e) => {
                        self.call_span = e.span;
                        let e =
                            crate::value::error_of(crate::value::ErrorKind::SyntaxError, e.message);
                        self.raise(e, false)
                    }
                }
            }
            ControlOp::Load => match &args[0] {
                Val::Str(path) => {
                    let path = path.to_string();
                    self.load(&path)
                }
                other => {
                    let e = crate::value::type_error("load", "a string", other);
                    self.raise(e, false)
                }
            },
            ControlOp::FlowStart => match self.flow_start(args) {
                Ok(next) => Ok(next),
                Err(e) => self.raise(e, false),
            },
            ControlOp::FlowResume => match self.flow_resume(args) {
                Ok(next) => Ok(next),
                Err(e) => self.raise(e, false),
            },
            ControlOp::Request => match self.flow_request(args) {
                Ok(next) => Ok(next),
                Err(e) => self.raise(e, false),
            },
            ControlOp::Flow(query) => match self.flow_query(query, &args) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            ControlOp::Exit => {
                let code = match args.first() {
                    None | Some(Val::Bool(true)) => 0,
                    Some(Val::Int(n)) => i32::try_from(*n).unwrap_or(1),
                    Some(_) => 1,
                };
                Err(Abort::Exit(code))
            }
        }
    }

    fn parameterize(
        &mut self,
        params: Vec<Rc<Parameter>>,
        raw: Vec<Val>,
        done: Vec<Val>,
        thunk: Val,
    ) -> Step {
        let i = done.len();
        if i < params.len() {
            let value = raw.get(i).cloned().unwrap_or(Val::Unspecified);
            return match params[i].converter.clone() {
                Some(conv) => {
                    self.push(K::ParamConvert(Box::new((params, raw, done, thunk))))?;
                    self.apply(conv, smallvec![value])
                }
                None => {
                    let mut done = done;
                    done.push(value);
                    self.parameterize(params, raw, done, thunk)
                }
            };
        }
        for (p, v) in params.into_iter().zip(done) {
            self.push(K::Param(p, v))?;
        }
        self.apply(thunk, smallvec![])
    }

    fn param_value(&self, p: &Rc<Parameter>) -> Val {
        for k in self.stack.iter().rev() {
            match k {
                K::Param(q, v) if Rc::ptr_eq(p, q) => return v.clone(),
                // A flow runs in a clean dynamic environment.
                K::Prompt(_) => break,
                _ => {}
            }
        }
        p.value.clone()
    }

    fn force(&mut self, p: Rc<RefCell<Promise>>) -> Step {
        let state = match &*p.borrow() {
            Promise::Done(v) => return Ok(Next::Return(v.clone())),
            Promise::Delayed {
                thunk,
                is_force,
                in_flow,
            } => {
                if let (Some(flow), false) = (self.flows.running, *in_flow) {
                    let e = error(
                        format!("cannot force a promise made outside flow {flow}: its value would be shared state; force it before starting the flow"),
                        vec![],
                    );
                    return self.raise(e, false);
                }
                (thunk.clone(), *is_force)
            }
        };
        let (thunk, is_force) = state;
        self.push(K::Force(p, is_force))?;
        self.apply(thunk, smallvec![])
    }

    fn forced(&mut self, p: Rc<RefCell<Promise>>, is_force: bool, v: Val) -> Step {
        if let Promise::Done(existing) = &*p.borrow() {
            return Ok(Next::Return(existing.clone()));
        }
        if is_force {
            if let Val::Promise(q) = v {
                // delay-force: p takes over q's work in place, so a chain of
                // delay-forces runs in constant space (R7RS 4.2.5).
                let next = match &*q.borrow() {
                    Promise::Done(x) => Err(x.clone()),
                    Promise::Delayed {
                        thunk, is_force, ..
                    } => Ok((thunk.clone(), *is_force)),
                };
                return match next {
                    Err(x) => {
                        *p.borrow_mut() = Promise::Done(x.clone());
                        Ok(Next::Return(x))
                    }
                    Ok((thunk, is_force)) => {
                        *p.borrow_mut() = Promise::Delayed {
                            thunk: thunk.clone(),
                            is_force,
                            in_flow: self.flows.running.is_some(),
                        };
                        self.push(K::Force(p, is_force))?;
                        self.apply(thunk, smallvec![])
                    }
                };
            }
        }
        *p.borrow_mut() = Promise::Done(v.clone());
        Ok(Next::Return(v))
    }

    // ---- raise and handlers ----

    /// Index just above the nearest flow prompt: the base of delimited captures.
    fn prompt_base(&self) -> usize {
        self.prompt_index().map_or(0, |p| p + 1)
    }

    /// Flows are deterministic: their code may not change variables that
    /// live outside the flow (captured by a closure made before it started).
    fn local_write_in_flow(&self, env: &Env, depth: u32) -> Option<Val> {
        let flow = self.flows.running?;
        if frame_slot(env, depth).in_flow {
            return None;
        }
        Some(error(
            format!("cannot assign a variable captured from outside flow {flow}: flows must be deterministic"),
            vec![],
        ))
    }

    /// Flows are deterministic: their code may not change global variables.
    fn global_write_in_flow(&mut self, id: GlobalId, span: Span) -> Option<Val> {
        let flow = self.flows.running?;
        self.call_span = span;
        Some(error(
            format!(
                "cannot assign the global variable {} inside flow {flow}: flows must be deterministic",
                self.globals.name(id)
            ),
            vec![],
        ))
    }

    /// Where an error happens: the failing call, and the calls of the
    /// procedure activations that are waiting for it, innermost first.
    fn site(&self) -> Site {
        let mut chain: Vec<Span> = Vec::new();
        let waiting = self.stack.iter().rev().filter_map(|k| match k {
            K::If(_, env)
            | K::Seq(_, _, env)
            | K::And(_, _, env)
            | K::Or(_, _, env)
            | K::Op(_, env)
            | K::Arg(_, _, _, env)
            | K::Let(_, _, env)
            | K::Letrec(_, _, env)
            | K::SetLocal(_, _, env) => Some(site_of(env)),
            _ => None,
        });
        for site in std::iter::once(self.cur_site).chain(waiting).flatten() {
            if chain.last() != Some(&site) && site != self.call_span {
                chain.push(site);
            }
            if chain.len() >= 12 {
                break;
            }
        }
        Site {
            span: self.call_span,
            chain,
        }
    }

    pub fn raise(&mut self, obj: Val, continuable: bool) -> Step {
        let top = self.stack.len();
        self.raise_below(obj, continuable, top)
    }

    /// Raise `obj` to the handlers among the frames below index `limit`.
    fn raise_below(&mut self, obj: Val, continuable: bool, limit: usize) -> Step {
        let origin = self.raise_origin.take();
        if let Val::Error(e) = &obj {
            let mut site = e.site.borrow_mut();
            if site.is_none() {
                *site = Some(self.site());
            }
        }
        let mut i = limit.min(self.stack.len());
        while i > 0 {
            i -= 1;
            match &self.stack[i] {
                K::HandlerCall(skip, _) => {
                    i = i.saturating_sub(*skip);
                }
                K::Handler(h) => {
                    let handler = h.clone();
                    let skip = self.stack.len() - i;
                    self.push(K::HandlerCall(skip, continuable))?;
                    return self.apply(handler, smallvec![obj]);
                }
                K::Prompt(id) => {
                    // Uncaught inside a flow: the flow fails; its caller carries on.
                    let id = *id;
                    let site = match &obj {
                        Val::Error(e) => e.site.borrow().clone().unwrap_or_else(|| self.site()),
                        _ => self.site(),
                    };
                    let mut message = Machine::describe(&obj);
                    if let Some(loc) = self.sources.location(site.span) {
                        message = format!("{loc}: {message}");
                    }
                    self.stack.truncate(i);
                    return Ok(Next::Return(self.flow_failed(id, message)));
                }
                K::Guard(h) => {
                    // The clauses run after unwinding to the guard; if none
                    // matches, the re-raiser goes back to where `raise` was.
                    let handler = h.clone();
                    let base = self.prompt_base();
                    let reraiser = Continuation {
                        frames: self.stack[base..].to_vec(),
                        reraise_below: Some(i - base),
                        reraise_site: Some(self.site()),
                    };
                    let args = smallvec![obj, Val::Cont(Rc::new(reraiser))];
                    return self.unwind_to(i, Then::ApplyHandler(handler, args));
                }
                _ => {}
            }
        }
        let site = match &obj {
            Val::Error(e) => e.site.borrow().clone().unwrap_or_else(|| self.site()),
            _ => origin.unwrap_or_else(|| self.site()),
        };
        Err(Abort::Uncaught(Box::new((obj, site))))
    }

    /// Pop frames down to `height`, running the after-thunk of each
    /// `dynamic-wind` on the way (innermost first), then do `then`.
    fn unwind_to(&mut self, height: usize, then: Then) -> Step {
        let wind = self.stack[height.min(self.stack.len())..]
            .iter()
            .rposition(|k| matches!(k, K::Wind(..)));
        if let Some(offset) = wind {
            let at = height + offset;
            let after = match &self.stack[at] {
                K::Wind(_, _, after) => after.clone(),
                _ => Val::Unspecified,
            };
            self.stack.truncate(at);
            self.push(K::Unwind(at - height, Box::new(then)))?;
            return self.apply(after, smallvec![]);
        }
        self.stack.truncate(height);
        match then {
            Then::ApplyHandler(handler, args) => self.apply(handler, args),
            Then::Reenter(k, v, i) => self.rewind(k, v, i),
        }
    }

    fn wind_ids_of(frames: &[K]) -> Vec<u64> {
        frames
            .iter()
            .filter_map(|k| match k {
                K::Wind(id, ..) => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn invoke_continuation(&mut self, k: Rc<Continuation>, v: Val) -> Step {
        let base = self.prompt_base();
        let current = Self::wind_ids_of(&self.stack[base..]);
        let target = Self::wind_ids_of(&k.frames);
        let common = current
            .iter()
            .zip(&target)
            .take_while(|(a, b)| a == b)
            .count();
        // Unwind to just below the first wind frame that is not shared.
        let height = if common < current.len() {
            let mut seen = 0;
            let mut h = self.stack.len();
            for (i, f) in self.stack.iter().enumerate().skip(base) {
                if matches!(f, K::Wind(..)) {
                    if seen == common {
                        h = i;
                        break;
                    }
                    seen += 1;
                }
            }
            h
        } else {
            self.stack.len()
        };
        self.unwind_to(height, Then::Reenter(k, v, common))
    }

    /// Run the before-thunks of the target's unshared winds (outermost first),
    /// then install the target's frames.
    fn rewind(&mut self, k: Rc<Continuation>, v: Val, i: usize) -> Step {
        let winds: Vec<&K> = k
            .frames
            .iter()
            .filter(|f| matches!(f, K::Wind(..)))
            .collect();
        if let Some(K::Wind(_, before, _)) = winds.get(i) {
            let before = before.clone();
            self.push(K::Rewind(k.clone(), v, i + 1))?;
            return self.apply(before, smallvec![]);
        }
        let base = self.prompt_base();
        self.stack.truncate(base);
        if let Some(max) = self.limits.max_depth {
            if base + k.frames.len() > max {
                return Err(Abort::Limit(LimitKind::Depth));
            }
        }
        self.stack.extend(k.frames.iter().cloned());
        match k.reraise_below {
            Some(below) => {
                self.raise_origin = k.reraise_site.clone();
                self.raise_below(v, true, base + below)
            }
            None => Ok(Next::Return(v)),
        }
    }

    /// Write program output (suppressed while a flow replays).
    pub fn write_output(&mut self, text: &str) {
        self.out.write(text);
    }

    /// Describe an error object for reports: message and irritants.
    pub fn describe(obj: &Val) -> String {
        match obj {
            Val::Error(e) => describe_error(e),
            other => format!(
                "uncaught exception: {}",
                crate::printer::write_string(other)
            ),
        }
    }
}

impl Default for Machine {
    fn default() -> Self {
        Machine::new()
    }
}

pub fn describe_error(e: &ErrorObj) -> String {
    let mut s = e.message.clone();
    for irritant in &e.irritants {
        s.push(' ');
        s.push_str(&crate::printer::write_string(irritant));
    }
    s
}
