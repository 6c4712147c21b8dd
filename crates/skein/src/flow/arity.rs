//! What a flow's procedure takes, checked before a start creates the flow, so
//! that a start with the wrong number of arguments is refused and uses no id.

use crate::bytecode::proto::Proto;
use crate::flow::error::FlowError;
use crate::values::value::{FlowDef, Val};

/// Refuse `argc` arguments unless `flow`'s procedure (one of its clauses,
/// for a `case-lambda`) takes them. Procedures other than lambdas (a host
/// function, a primitive) are left to fail as they would when called.
pub(crate) fn check_arity(flow: &FlowDef, argc: usize) -> Result<(), FlowError> {
    let Val::Closure(closure) = &flow.proc else {
        return Ok(());
    };
    let clauses: Vec<&Proto> =
        std::iter::successors(Some(&*closure.proto), |p| p.next_case.as_deref()).collect();
    if clauses.iter().any(|p| p.accepts(argc)) {
        return Ok(());
    }
    let takes = clauses
        .iter()
        .map(|p| takes(p))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(FlowError::WrongArgCount {
        name: flow.display_name(),
        takes,
        got: argc,
    })
}

/// `1 argument (order-id)`, `at least 1 argument (to . more)`, `no arguments`.
fn takes(p: &Proto) -> String {
    let noun = if p.required == 1 {
        "argument"
    } else {
        "arguments"
    };
    let count = match (p.required, p.rest) {
        (0, false) => return "no arguments".to_string(),
        (n, false) => format!("{n} {noun}"),
        (n, true) => format!("at least {n} {noun}"),
    };
    let mut names: Vec<&str> = p.params.iter().map(|s| s.name()).collect();
    if p.rest && names.len() == p.required + 1 {
        names.insert(p.required, ".");
    }
    if names.is_empty() {
        return count;
    }
    format!("{count} ({})", names.join(" "))
}
