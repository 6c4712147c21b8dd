//! Derived forms, rewritten into core forms before compilation.
//!
//! Every identifier a rewrite introduces is either a core identifier (always
//! the global binding) or a fresh temporary, so rewrites are hygienic.

use std::rc::Rc;

use crate::expand::error::{err, CompileError};
use crate::expand::expander::{core, Expander};
use crate::expand::forms::SpecialForm;
use crate::read::syntax::{Ident, SynKind, Syntax};
use crate::source::Span;
use crate::values::symbol::Symbol;
use crate::values::value::Val;

struct Builder<'e> {
    span: Span,
    exp: &'e mut Expander,
}

impl Builder<'_> {
    fn core(&self, name: &str) -> Syntax {
        core(name, self.span)
    }

    fn list(&self, items: Vec<Syntax>) -> Syntax {
        Syntax::list(items, self.span)
    }

    fn call(&self, name: &str, args: Vec<Syntax>) -> Syntax {
        let mut items = vec![self.core(name)];
        items.extend(args);
        self.list(items)
    }

    fn temp(&mut self, name: &str) -> Syntax {
        let mark = self.exp.fresh_mark(0, 0);
        Syntax::new(
            SynKind::Id(Ident {
                name: Symbol::intern(name),
                mark,
            }),
            self.span,
        )
    }

    fn quote(&self, datum: Syntax) -> Syntax {
        self.call("quote", vec![datum])
    }

    fn begin(&self, body: &[Syntax]) -> Syntax {
        let mut items = vec![self.core("begin")];
        items.extend(body.iter().cloned());
        self.list(items)
    }

    fn lambda(&self, params: Vec<Syntax>, body: &[Syntax]) -> Syntax {
        let mut items = vec![self.core("lambda"), self.list(params)];
        items.extend(body.iter().cloned());
        self.list(items)
    }

    fn thunk(&self, body: &[Syntax]) -> Syntax {
        self.lambda(vec![], body)
    }
}

fn is_id(s: &Syntax, name: &str) -> bool {
    matches!(s.as_ident(), Some(id) if id.name.name() == name)
}

pub fn expand(
    form: SpecialForm,
    items: &[Syntax],
    syn: &Syntax,
    exp: &mut Expander,
) -> Result<Syntax, CompileError> {
    let mut b = Builder {
        span: syn.span,
        exp,
    };
    let args = &items[1..];
    let name = form.name();
    match form {
        SpecialForm::LetStar => let_star(&b, args),
        SpecialForm::When | SpecialForm::Unless => {
            let Some((test, body)) = args.split_first() else {
                return err(format!("{name}: expected a test and a body"), b.span);
            };
            let test = if form == SpecialForm::When {
                test.clone()
            } else {
                b.call("not", vec![test.clone()])
            };
            Ok(b.call("if", vec![test, b.begin(body)]))
        }
        SpecialForm::Cond => cond(&mut b, args),
        SpecialForm::Case => case(&mut b, args),
        SpecialForm::Do => do_loop(&mut b, args),
        SpecialForm::Quasiquote => match args {
            [template] => quasi(&b, template, 1),
            _ => err("quasiquote: expected one template", b.span),
        },
        SpecialForm::Delay | SpecialForm::DelayForce | SpecialForm::MakePromiseLazy => match args {
            [expr] => {
                let prim = if form == SpecialForm::Delay {
                    "%delay"
                } else {
                    "%delay-force"
                };
                Ok(b.call(prim, vec![b.thunk(std::slice::from_ref(expr))]))
            }
            _ => err(format!("{name}: expected one expression"), b.span),
        },
        SpecialForm::Parameterize => {
            let Some((bindings, body)) = args.split_first() else {
                return err("parameterize: expected bindings and a body", b.span);
            };
            let Some(bindings) = bindings.as_list() else {
                return err(
                    "parameterize: expected a list of (parameter value)",
                    bindings.span,
                );
            };
            let mut params = Vec::new();
            let mut values = Vec::new();
            for binding in bindings {
                let Some([p, v]) = binding.as_list() else {
                    return err(
                        "parameterize: each binding is (parameter value)",
                        binding.span,
                    );
                };
                params.push(p.clone());
                values.push(v.clone());
            }
            Ok(b.call(
                "%parameterize",
                vec![
                    b.call("list", params),
                    b.call("list", values),
                    b.thunk(body),
                ],
            ))
        }
        SpecialForm::DefineRecordType => record_type(&b, args),
        SpecialForm::DefineValues => define_values(&mut b, args),
        SpecialForm::LetValues | SpecialForm::LetStarValues => {
            let_values(&mut b, args, form == SpecialForm::LetStarValues)
        }
        SpecialForm::Receive => {
            let Some((formals, rest)) = args.split_first() else {
                return err(
                    "receive: expected formals, an expression and a body",
                    b.span,
                );
            };
            let Some((expr, body)) = rest.split_first() else {
                return err("receive: expected an expression", b.span);
            };
            let mut consumer = vec![b.core("lambda"), formals.clone()];
            consumer.extend(body.iter().cloned());
            Ok(b.call(
                "call-with-values",
                vec![b.thunk(std::slice::from_ref(expr)), b.list(consumer)],
            ))
        }
        SpecialForm::Defflow => match args {
            [name, proc] if name.as_ident().is_some() => {
                let flow = b.call("%make-flow", vec![b.quote(name.clone()), proc.clone()]);
                Ok(b.list(vec![b.core("define"), name.clone(), flow]))
            }
            _ => err("defflow: expected (defflow name procedure)", b.span),
        },
        SpecialForm::Assert => match args {
            [expr] => {
                let text = crate::values::printer::write_string(&expr.to_datum());
                Ok(b.call(
                    "unless",
                    vec![
                        expr.clone(),
                        b.call(
                            "error",
                            vec![Syntax::atom(
                                Val::str(format!("assertion failed: {text}")),
                                b.span,
                            )],
                        ),
                    ],
                ))
            }
            _ => err("assert: expected one expression", b.span),
        },
        // Core forms are compiled, never rewritten.
        SpecialForm::Quote
        | SpecialForm::Lambda
        | SpecialForm::Define
        | SpecialForm::Set
        | SpecialForm::If
        | SpecialForm::Begin
        | SpecialForm::Let
        | SpecialForm::Letrec
        | SpecialForm::LetrecStar
        | SpecialForm::And
        | SpecialForm::Or
        | SpecialForm::DefineSyntax
        | SpecialForm::LetSyntax
        | SpecialForm::LetrecSyntax
        | SpecialForm::CaseLambda
        | SpecialForm::Guard
        | SpecialForm::Import => err(format!("{name}: not supported here"), b.span),
    }
}

fn let_star(b: &Builder, args: &[Syntax]) -> Result<Syntax, CompileError> {
    let Some((bindings, body)) = args.split_first() else {
        return err("let*: expected bindings and a body", b.span);
    };
    let Some(list) = bindings.as_list() else {
        return err("let*: expected a list of bindings", bindings.span);
    };
    if list.len() <= 1 {
        let mut items = vec![b.core("let"), bindings.clone()];
        items.extend(body.iter().cloned());
        return Ok(b.list(items));
    }
    let inner = {
        let mut rest = vec![Syntax::list(list[1..].to_vec(), bindings.span)];
        rest.extend(body.iter().cloned());
        let_star(b, &rest)?
    };
    Ok(b.list(vec![
        b.core("let"),
        Syntax::list(vec![list[0].clone()], bindings.span),
        inner,
    ]))
}

fn cond(b: &mut Builder, clauses: &[Syntax]) -> Result<Syntax, CompileError> {
    let Some((clause, rest)) = clauses.split_first() else {
        return Ok(Syntax::atom(Val::Unspecified, b.span));
    };
    let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
        return err(
            "cond: each clause must be (test expression ...)",
            clause.span,
        );
    };
    if is_id(&parts[0], "else") {
        if !rest.is_empty() {
            return err("cond: `else` must be the last clause", clause.span);
        }
        return Ok(b.begin(&parts[1..]));
    }
    let otherwise = cond(b, rest)?;
    let test = parts[0].clone();
    match &parts[1..] {
        [] => Ok(b.call("or", vec![test, otherwise])),
        [arrow, receiver] if is_id(arrow, "=>") => {
            let t = b.temp("t");
            Ok(b.list(vec![
                b.core("let"),
                b.list(vec![b.list(vec![t.clone(), test])]),
                b.call(
                    "if",
                    vec![t.clone(), b.list(vec![receiver.clone(), t]), otherwise],
                ),
            ]))
        }
        body => Ok(b.call("if", vec![test, b.begin(body), otherwise])),
    }
}

fn case(b: &mut Builder, args: &[Syntax]) -> Result<Syntax, CompileError> {
    let Some((key, clauses)) = args.split_first() else {
        return err("case: expected a key and clauses", b.span);
    };
    let t = b.temp("key");
    let mut conds = Vec::new();
    for clause in clauses {
        let Some(parts) = clause.as_list().filter(|p| p.len() >= 2) else {
            return err(
                "case: each clause must be ((datum ...) expression ...)",
                clause.span,
            );
        };
        let test = if is_id(&parts[0], "else") {
            b.core("else")
        } else {
            b.call("memv", vec![t.clone(), b.quote(parts[0].clone())])
        };
        let body: Vec<Syntax> = match &parts[1..] {
            [arrow, receiver] if is_id(arrow, "=>") => {
                vec![b.list(vec![receiver.clone(), t.clone()])]
            }
            body => body.to_vec(),
        };
        let mut c = vec![test];
        c.extend(body);
        conds.push(b.list(c));
    }
    let mut cond_form = vec![b.core("cond")];
    cond_form.extend(conds);
    Ok(b.list(vec![
        b.core("let"),
        b.list(vec![b.list(vec![t, key.clone()])]),
        b.list(cond_form),
    ]))
}

fn do_loop(b: &mut Builder, args: &[Syntax]) -> Result<Syntax, CompileError> {
    let [specs, exit, body @ ..] = args else {
        return err(
            "do: expected (do ((var init step) ...) (test expr ...) body ...)",
            b.span,
        );
    };
    let Some(specs) = specs.as_list() else {
        return err("do: expected a list of (var init step)", specs.span);
    };
    let Some(exit) = exit.as_list().filter(|e| !e.is_empty()) else {
        return err("do: expected (test expression ...)", exit.span);
    };
    let lp = b.temp("do-loop");
    let mut bindings = Vec::new();
    let mut steps = Vec::new();
    for spec in specs {
        match spec.as_list() {
            Some([var, init]) => {
                bindings.push(b.list(vec![var.clone(), init.clone()]));
                steps.push(var.clone());
            }
            Some([var, init, step]) => {
                bindings.push(b.list(vec![var.clone(), init.clone()]));
                steps.push(step.clone());
            }
            _ => return err("do: each variable is (var init [step])", spec.span),
        }
    }
    let mut again = vec![lp.clone()];
    again.extend(steps);
    let mut loop_body: Vec<Syntax> = body.to_vec();
    loop_body.push(b.list(again));
    let result = if exit.len() > 1 {
        b.begin(&exit[1..])
    } else {
        Syntax::atom(Val::Unspecified, b.span)
    };
    Ok(b.list(vec![
        b.core("let"),
        lp,
        b.list(bindings),
        b.call("if", vec![exit[0].clone(), result, b.begin(&loop_body)]),
    ]))
}

fn quasi(b: &Builder, t: &Syntax, depth: usize) -> Result<Syntax, CompileError> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || quasi_inner(b, t, depth))
}

fn quasi_inner(b: &Builder, t: &Syntax, depth: usize) -> Result<Syntax, CompileError> {
    match &t.kind {
        SynKind::List(items, tail) => {
            if tail.is_none() && items.len() == 2 {
                if is_id(&items[0], "unquote") {
                    return if depth == 1 {
                        Ok(items[1].clone())
                    } else {
                        Ok(b.call(
                            "list",
                            vec![b.quote(items[0].clone()), quasi(b, &items[1], depth - 1)?],
                        ))
                    };
                }
                if is_id(&items[0], "quasiquote") {
                    return Ok(b.call(
                        "list",
                        vec![b.quote(items[0].clone()), quasi(b, &items[1], depth + 1)?],
                    ));
                }
            }
            // Build from the tail backwards: (append spliced (cons x rest)).
            let mut acc = match tail {
                Some(tail) => quasi(b, tail, depth)?,
                None => b.quote(Syntax::list(vec![], t.span)),
            };
            for (from_end, item) in items.iter().rev().enumerate() {
                let splice = item
                    .as_list()
                    .filter(|l| l.len() == 2 && is_id(&l[0], "unquote-splicing"));
                acc = match splice {
                    // Spliced last, the value is the tail as it is, as
                    // `append` leaves its last argument: `(1 ,@'(2 . 3))`
                    // is `(1 2 . 3)`.
                    Some(l) if depth == 1 && from_end == 0 && tail.is_none() => l[1].clone(),
                    Some(l) if depth == 1 => b.call("append", vec![l[1].clone(), acc]),
                    Some(l) => b.call(
                        "cons",
                        vec![
                            b.call(
                                "list",
                                vec![b.quote(l[0].clone()), quasi(b, &l[1], depth - 1)?],
                            ),
                            acc,
                        ],
                    ),
                    None => b.call("cons", vec![quasi(b, item, depth)?, acc]),
                };
            }
            Ok(acc)
        }
        SynKind::Vector(items) => {
            let as_list = Syntax::list(items.to_vec(), t.span);
            Ok(b.call("list->vector", vec![quasi(b, &as_list, depth)?]))
        }
        SynKind::Map(items) => {
            let as_list = Syntax::list(items.to_vec(), t.span);
            Ok(b.call(
                "apply",
                vec![b.core("hash-map"), quasi(b, &as_list, depth)?],
            ))
        }
        SynKind::Id(_) => Ok(b.quote(t.clone())),
        _ => Ok(t.clone()),
    }
}

/// `(define-record-type name (ctor field ...) pred (field accessor [modifier]) ...)`.
fn record_type(b: &Builder, args: &[Syntax]) -> Result<Syntax, CompileError> {
    let [name, ctor, pred, fields @ ..] = args else {
        return err(
            "define-record-type: expected (define-record-type name (constructor field ...) predicate field-spec ...)",
            b.span,
        );
    };
    let type_name = match &name.kind {
        SynKind::Id(_) => name.clone(),
        // SRFI 99 style (name extra ...): take the first.
        SynKind::List(items, _) if !items.is_empty() => items[0].clone(),
        _ => return err("define-record-type: expected a type name", name.span),
    };
    let mut field_names = Vec::new();
    let mut defs = Vec::new();
    for spec in fields {
        let parts: Vec<Syntax> = match &spec.kind {
            SynKind::Id(_) => vec![spec.clone()],
            SynKind::List(items, None) if !items.is_empty() => items.to_vec(),
            _ => {
                return err(
                    "define-record-type: each field is (field accessor [modifier])",
                    spec.span,
                )
            }
        };
        field_names.push(parts[0].clone());
        let field = b.quote(parts[0].clone());
        if let Some(accessor) = parts.get(1) {
            defs.push(b.list(vec![
                b.core("define"),
                accessor.clone(),
                b.call("%record-accessor", vec![type_name.clone(), field.clone()]),
            ]));
        }
        if let Some(modifier) = parts.get(2) {
            defs.push(b.list(vec![
                b.core("define"),
                modifier.clone(),
                b.call("%record-modifier", vec![type_name.clone(), field]),
            ]));
        }
    }
    let mut out = vec![
        b.core("begin"),
        b.list(vec![
            b.core("define"),
            type_name.clone(),
            b.call(
                "%record-type",
                vec![
                    b.quote(type_name.clone()),
                    b.quote(Syntax::list(field_names, b.span)),
                ],
            ),
        ]),
    ];
    match &ctor.kind {
        SynKind::List(items, None) if !items.is_empty() => {
            out.push(b.list(vec![
                b.core("define"),
                items[0].clone(),
                b.call(
                    "%record-constructor",
                    vec![
                        type_name.clone(),
                        b.quote(Syntax::list(items[1..].to_vec(), ctor.span)),
                    ],
                ),
            ]));
        }
        SynKind::Id(_) => {
            out.push(b.list(vec![
                b.core("define"),
                ctor.clone(),
                b.call(
                    "%record-constructor",
                    vec![type_name.clone(), Syntax::atom(Val::bool(false), b.span)],
                ),
            ]));
        }
        _ => {}
    }
    if pred.as_ident().is_some() {
        out.push(b.list(vec![
            b.core("define"),
            pred.clone(),
            b.call("%record-predicate", vec![type_name]),
        ]));
    }
    out.extend(defs);
    Ok(b.list(out))
}

/// Formals as a list of identifiers plus an optional rest identifier.
fn formals(f: &Syntax) -> Result<(Vec<Syntax>, Option<Syntax>), CompileError> {
    match &f.kind {
        SynKind::Id(_) => Ok((vec![], Some(f.clone()))),
        SynKind::List(items, tail) => Ok((items.to_vec(), tail.as_ref().map(|t| (**t).clone()))),
        _ => err("expected formals", f.span),
    }
}

fn define_values(b: &mut Builder, args: &[Syntax]) -> Result<Syntax, CompileError> {
    let [f, expr] = args else {
        return err("define-values: expected formals and an expression", b.span);
    };
    let (vars, rest) = formals(f)?;
    let all: Vec<Syntax> = vars.iter().cloned().chain(rest.clone()).collect();
    let temps: Vec<Syntax> = all.iter().map(|_| b.temp("v")).collect();
    let mut out = vec![b.core("begin")];
    for v in &all {
        out.push(b.list(vec![
            b.core("define"),
            v.clone(),
            Syntax::atom(Val::Unspecified, b.span),
        ]));
    }
    let temp_formals = Syntax::new(
        SynKind::List(
            temps[..vars.len()].into(),
            rest.as_ref().map(|_| Rc::new(temps[vars.len()].clone())),
        ),
        b.span,
    );
    let mut setter = vec![b.core("lambda"), temp_formals];
    for (v, t) in all.iter().zip(&temps) {
        setter.push(b.call("set!", vec![v.clone(), t.clone()]));
    }
    if all.is_empty() {
        setter.push(Syntax::atom(Val::Unspecified, b.span));
    }
    out.push(b.call(
        "call-with-values",
        vec![b.thunk(std::slice::from_ref(expr)), b.list(setter)],
    ));
    Ok(b.list(out))
}

fn let_values(b: &mut Builder, args: &[Syntax], sequential: bool) -> Result<Syntax, CompileError> {
    let Some((bindings, body)) = args.split_first() else {
        return err("let-values: expected bindings and a body", b.span);
    };
    let Some(list) = bindings.as_list() else {
        return err(
            "let-values: expected a list of (formals expression)",
            bindings.span,
        );
    };
    if list.is_empty() {
        let mut items = vec![b.core("let"), b.list(vec![])];
        items.extend(body.iter().cloned());
        return Ok(b.list(items));
    }
    // Parallel let-values: bind every formal to a temporary first, so no init sees another's variables.
    let mut renames: Vec<(Syntax, Syntax)> = Vec::new();
    let mut consumers: Vec<(Syntax, Syntax)> = Vec::new();
    for binding in list {
        let Some([f, expr]) = binding.as_list() else {
            return err(
                "let-values: each binding is (formals expression)",
                binding.span,
            );
        };
        if sequential {
            consumers.push((f.clone(), expr.clone()));
        } else {
            let (vars, rest) = formals(f)?;
            let temps: Vec<Syntax> = vars.iter().map(|_| b.temp("lv")).collect();
            let rest_temp = rest.as_ref().map(|_| b.temp("lv"));
            for (v, t) in vars.iter().zip(&temps) {
                renames.push((v.clone(), t.clone()));
            }
            if let (Some(r), Some(t)) = (&rest, &rest_temp) {
                renames.push((r.clone(), t.clone()));
            }
            let tf = Syntax::new(SynKind::List(temps.into(), rest_temp.map(Rc::new)), f.span);
            consumers.push((tf, expr.clone()));
        }
    }
    let mut inner = if sequential {
        let mut items = vec![b.core("let"), b.list(vec![])];
        items.extend(body.iter().cloned());
        b.list(items)
    } else {
        let mut items = vec![
            b.core("let"),
            b.list(
                renames
                    .iter()
                    .map(|(v, t)| b.list(vec![v.clone(), t.clone()]))
                    .collect(),
            ),
        ];
        items.extend(body.iter().cloned());
        b.list(items)
    };
    for (f, expr) in consumers.into_iter().rev() {
        inner = b.call(
            "call-with-values",
            vec![b.thunk(&[expr]), b.list(vec![b.core("lambda"), f, inner])],
        );
    }
    Ok(inner)
}
