//! The primitives the machine implements itself because they work on the
//! continuation: `apply`, `call/cc`, `values`, `dynamic-wind`, exceptions,
//! parameters, promises, `eval`, `load`, and the flow operations.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use smallvec::smallvec;

use crate::machine::capabilities::{check_size, read_under, MAX_LOAD_DEPTH};
use crate::machine::frame::Loading;
use crate::machine::frame::{Args, Continuation, Then, K};
use crate::machine::limits::Abort;
use crate::machine::Next;
use crate::machine::{Machine, Step};
use crate::values::capability::{refuse_unless, Capability};
use crate::values::prim::ControlOp;
use crate::values::value::{error, BoolBits, ErrorObj, Parameter, Promise, Val};

impl Machine {
    pub(crate) fn control(&mut self, op: ControlOp, mut args: Args) -> Step {
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
                let (frames, vals) = self.capture_continuation();
                let k = Continuation::new(frames, vals, None, None);
                self.apply(f, smallvec![Val::Cont(Rc::new(k))])
            }
            ControlOp::Values => Ok(Next::Return(if args.len() == 1 {
                args.remove(0)
            } else {
                Val::Values(Rc::new(crate::values::value::Items::new(args.into_vec())))
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
                        crate::values::value::type_error(
                            "with-exception-handler",
                            "a procedure",
                            &handler,
                        ),
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
                    other => crate::values::printer::write_string(&other),
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
                                crate::values::value::type_error(
                                    "parameterize",
                                    "a parameter",
                                    &other,
                                ),
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
                self.eval_datum(&datum)
            }
            ControlOp::Load => match &args[0] {
                Val::Str(path) => {
                    let path = path.to_string();
                    self.load(&path)
                }
                other => {
                    let e = crate::values::value::type_error("load", "a string", other);
                    self.raise(e, false)
                }
            },
            ControlOp::FlowStart => match self.flow_start(args) {
                Ok(next) => Ok(next),
                Err(e) => self.raise(e, false),
            },
            ControlOp::FlowResume => self.flow_resume(args),
            ControlOp::FlowFail => self.flow_fail(args),
            ControlOp::Request => match self.flow_request(args) {
                Ok(next) => Ok(next),
                Err(e) => self.raise(e, false),
            },
            ControlOp::Flow(query) => match self.flow_query(query, &args) {
                Ok(v) => Ok(Next::Return(v)),
                Err(e) => self.raise(e, false),
            },
            ControlOp::Exit | ControlOp::EmergencyExit => {
                let emergency = matches!(op, ControlOp::EmergencyExit);
                let who = if emergency { "emergency-exit" } else { "exit" };
                if let Err(e) = self.allowed(Capability::Exit, who) {
                    return self.raise(e, false);
                }
                let code = match args.first() {
                    None | Some(Val::Bool(BoolBits::TRUE)) => 0,
                    Some(Val::Int(n)) => i32::try_from(*n).unwrap_or(1),
                    Some(_) => 1,
                };
                if emergency {
                    return Err(Abort::Exit(code));
                }
                // R7RS: outstanding dynamic-wind after-thunks run first.
                self.unwind_to(0, Then::Exit(code))
            }
        }
    }

    /// `Ok` when `who` may use `cap` here: outside flows, and granted.
    fn allowed(&self, cap: Capability, who: &str) -> Result<(), Val> {
        use crate::values::prim::Effects;
        refuse_unless(cap, who, self.flows.running, self.granted(cap))
            .map_err(|message| error(message, vec![]))
    }

    pub(crate) fn parameterize(
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

    pub(crate) fn param_value(&self, p: &Rc<Parameter>) -> Val {
        for f in self.frames.iter().rev() {
            match f.k() {
                K::Param(q, v) if Rc::ptr_eq(p, q) => return v.clone(),
                // A flow runs in a clean dynamic environment.
                K::Prompt(_) => break,
                _ => {}
            }
        }
        p.value.clone()
    }

    pub(crate) fn force(&mut self, p: Rc<RefCell<Promise>>) -> Step {
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

    pub(crate) fn forced(&mut self, p: Rc<RefCell<Promise>>, is_force: bool, v: Val) -> Step {
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

    /// The innermost file being loaded: the directory relative `load` paths
    /// resolve against, and how deep loads nest there.
    fn loading_here(&self) -> (Option<PathBuf>, usize) {
        self.frames
            .iter()
            .rev()
            .find_map(|f| match f.k() {
                K::Load(l, _) => Some((l.dir.clone(), l.depth)),
                _ => None,
            })
            .unwrap_or_else(|| (self.base_dir.clone(), 0))
    }

    /// The source of `path` (resolved to `full`) as the host's grant allows.
    fn load_source(&self, path: &str, full: &Path) -> Result<String, String> {
        match (&self.loader, &self.caps.load) {
            (Some(loader), _) => {
                let text = loader(full)?;
                check_size(text.len(), path)?;
                Ok(text)
            }
            (None, Some(root)) => read_under(root, full, path),
            (None, None) => Err(format!("cannot load {path}")),
        }
    }

    fn load(&mut self, path: &str) -> Step {
        if let Err(e) = self.allowed(Capability::Load, "load") {
            return self.raise(e, false);
        }
        let (dir, depth) = self.loading_here();
        if depth >= MAX_LOAD_DEPTH {
            let e = error(
                format!(
                    "load: files nested more than {MAX_LOAD_DEPTH} deep (does a file load itself?)"
                ),
                vec![Val::str(path)],
            );
            return self.raise(e, false);
        }
        let dir = dir.or_else(|| match (&self.loader, &self.caps.load) {
            (None, Some(root)) => Some(root.clone()),
            _ => None,
        });
        let full = match dir {
            Some(dir) if Path::new(path).is_relative() => dir.join(path),
            _ => PathBuf::from(path),
        };
        let text = match self.load_source(path, &full) {
            Ok(text) => text,
            Err(message) => {
                let e = Val::Error(Rc::new(ErrorObj::new(
                    crate::values::value::ErrorKind::FileError,
                    format!("load: {message}"),
                    vec![Val::str(path)],
                )));
                return self.raise(e, false);
            }
        };
        let file = self.sources.add(full.display().to_string(), text.clone());
        let forms = match crate::read::reader::read_all(&text, file) {
            Ok(forms) => forms,
            Err(e) => {
                self.call_span = e.span;
                let e = crate::values::value::error_of(
                    crate::values::value::ErrorKind::ReadError,
                    e.message,
                );
                return self.raise(e, false);
            }
        };
        let loading = Loading {
            forms,
            dir: full.parent().map(Path::to_path_buf),
            depth: depth + 1,
        };
        self.load_form(Rc::new(loading), 0, Val::Unspecified)
    }
}
