//! Flow primitives: `defflow` (through `%make-flow`), `flow-node`, `request`,
//! starting, resuming and inspecting flows, and the store.

use super::control;
use std::rc::Rc;

use crate::values::prim::ControlOp;
use crate::values::prim::Effects;
use crate::values::prim::FlowQuery;
use crate::values::prim::{Prim, PrimKind, PrimResult};
use crate::values::value::FlowDef;
use crate::values::value::{type_error, Val};

fn procedure_arg(who: &str, v: &Val) -> Result<Val, Val> {
    if v.is_procedure() {
        Ok(v.clone())
    } else {
        Err(type_error(who, "a procedure", v))
    }
}

fn make_flow(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let Val::Sym(name) = &args[0] else {
        return Err(type_error("defflow", "a name", &args[0]));
    };
    let proc = procedure_arg("defflow", &args[1])?;
    Ok(Val::Flow(Rc::new(FlowDef {
        name: Some(*name),
        proc,
    })))
}

fn flow_node(_: &mut dyn Effects, args: &[Val]) -> PrimResult {
    let proc = procedure_arg("flow-node", &args[0])?;
    Ok(Val::Flow(Rc::new(FlowDef { name: None, proc })))
}

fn flow_p(args: &[Val]) -> PrimResult {
    Ok(Val::bool(matches!(args[0], Val::Flow(_))))
}

const fn query(name: &'static str, args: usize, q: FlowQuery) -> Prim {
    control(name, args, Some(args), ControlOp::Flow(q))
}

pub static PRIMS: &[Prim] = &[
    Prim {
        name: "%make-flow",
        min_args: 2,
        max_args: Some(2),
        kind: PrimKind::Effect(make_flow),
    },
    Prim {
        name: "flow-node",
        min_args: 1,
        max_args: Some(1),
        kind: PrimKind::Effect(flow_node),
    },
    Prim {
        name: "flow?",
        min_args: 1,
        max_args: Some(1),
        kind: PrimKind::Pure(flow_p),
    },
    control("flow/start", 1, None, ControlOp::FlowStart),
    control("flow/resume", 2, Some(2), ControlOp::FlowResume),
    control("flow/fail", 2, Some(3), ControlOp::FlowFail),
    control("request", 1, Some(4), ControlOp::Request),
    query("flow/status", 1, FlowQuery::Status),
    query("flow/result", 1, FlowQuery::Result),
    query("flow/waiting", 1, FlowQuery::Waiting),
    query("flow/log", 1, FlowQuery::Log),
    query("flow/list", 0, FlowQuery::List),
    query("flow/cancel", 1, FlowQuery::Cancel),
    query("flow-host-requests", 0, FlowQuery::HostRequests),
    query("flow-store-export", 0, FlowQuery::Export),
    query("flow-store-import!", 1, FlowQuery::Import),
    query("flow-store-reset!", 0, FlowQuery::Reset),
];
