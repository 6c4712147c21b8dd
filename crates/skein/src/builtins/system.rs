//! The system interface (R7RS 6.14): clocks and the environment. These reach
//! outside the engine, so they run only when the host granted them (see
//! `values/capability.rs`), and they are nondeterministic, so a flow may
//! never call them: inside a flow, time is a request (`flow/now`) whose
//! answer is in the replay log.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::values::capability::{refuse_unless, Capability};
use crate::values::prim::Effects;
use crate::values::prim::{Prim, PrimKind, PrimResult};
use crate::values::value::{error, type_error, Val};

/// `Ok` when `who` may use `cap` here: outside flows, and granted.
fn allowed(m: &dyn Effects, cap: Capability, who: &str) -> Result<(), Val> {
    refuse_unless(cap, who, m.running_flow(), m.granted(cap))
        .map_err(|message| error(message, vec![]))
}

fn current_second(m: &mut dyn Effects, _: &[Val]) -> PrimResult {
    allowed(m, Capability::Clock, "current-second")?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    Ok(Val::real(secs))
}

fn current_jiffy(m: &mut dyn Effects, _: &[Val]) -> PrimResult {
    allowed(m, Capability::Clock, "current-jiffy")?;
    static START: OnceLock<Instant> = OnceLock::new();
    let nanos = START.get_or_init(Instant::now).elapsed().as_nanos();
    Ok(Val::Int(i64::try_from(nanos).unwrap_or(i64::MAX)))
}

fn jiffies_per_second(_: &[Val]) -> PrimResult {
    Ok(Val::Int(1_000_000_000))
}

fn get_environment_variable(m: &mut dyn Effects, args: &[Val]) -> PrimResult {
    allowed(m, Capability::Environment, "get-environment-variable")?;
    match &args[0] {
        Val::Str(name) => Ok(std::env::var(name.as_str()).map_or(Val::bool(false), Val::str)),
        other => Err(type_error("get-environment-variable", "a string", other)),
    }
}

fn get_environment_variables(m: &mut dyn Effects, _: &[Val]) -> PrimResult {
    allowed(m, Capability::Environment, "get-environment-variables")?;
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    Ok(Val::list(
        vars.into_iter()
            .map(|(k, v)| Val::cons(Val::str(k), Val::str(v)))
            .collect::<Vec<_>>(),
    ))
}

fn features(_: &[Val]) -> PrimResult {
    Ok(Val::list(
        ["r7rs", "exact-closed", "ratios", "full-unicode", "skein"]
            .into_iter()
            .map(Val::sym)
            .collect::<Vec<_>>(),
    ))
}

fn command_line(_: &[Val]) -> PrimResult {
    Ok(Val::list(vec![Val::str("skein")]))
}

pub static PRIMS: &[Prim] = &[
    Prim {
        name: "current-second",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Effect(current_second),
    },
    Prim {
        name: "current-jiffy",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Effect(current_jiffy),
    },
    Prim {
        name: "jiffies-per-second",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Pure(jiffies_per_second),
    },
    Prim {
        name: "get-environment-variable",
        min_args: 1,
        max_args: Some(1),
        kind: PrimKind::Effect(get_environment_variable),
    },
    Prim {
        name: "get-environment-variables",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Effect(get_environment_variables),
    },
    Prim {
        name: "features",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Pure(features),
    },
    Prim {
        name: "command-line",
        min_args: 0,
        max_args: Some(0),
        kind: PrimKind::Pure(command_line),
    },
];
