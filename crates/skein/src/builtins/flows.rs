//! Flow values: `defflow` (through `%make-flow`) and `flow-node`.

use std::rc::Rc;

use crate::flow::FlowDef;
use crate::machine::Machine;
use crate::value::{type_error, Prim, PrimKind, PrimResult, Val};

fn procedure_arg(who: &str, v: &Val) -> Result<Val, Val> {
    if v.is_procedure() {
        Ok(v.clone())
    } else {
        Err(type_error(who, "a procedure", v))
    }
}

fn make_flow(_: &mut Machine, args: &[Val]) -> PrimResult {
    let Val::Sym(name) = &args[0] else {
        return Err(type_error("defflow", "a name", &args[0]));
    };
    let proc = procedure_arg("defflow", &args[1])?;
    Ok(Val::Flow(Rc::new(FlowDef {
        name: Some(*name),
        proc,
    })))
}

fn flow_node(_: &mut Machine, args: &[Val]) -> PrimResult {
    let proc = procedure_arg("flow-node", &args[0])?;
    Ok(Val::Flow(Rc::new(FlowDef { name: None, proc })))
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
];
