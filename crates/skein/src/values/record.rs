//! Applying record procedures: construct, test, access. Fields never change
//! in place (SPEC "Data"), so a modifier is an error that says so.

use std::rc::Rc;

use smallvec::SmallVec;

use crate::values::prim::arity_error;
use crate::values::value::{error, Record, RecordProc, RecordType, Val};

/// Apply a record constructor, predicate, accessor or modifier.
pub fn apply_record(rp: &RecordProc, args: SmallVec<[Val; 3]>) -> Result<Val, Val> {
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
            let mut values = vec![Val::bool(false); rtd.fields.len()];
            for (i, v) in fields.iter().zip(args) {
                values[*i] = v;
            }
            Ok(Val::Record(Rc::new(Record::new(rtd.clone(), values))))
        }
        RecordProc::Predicate(rtd) => {
            let [v] = &args[..] else {
                return Err(arity_error("record predicate", 1, Some(1), args.len()));
            };
            Ok(Val::bool(matches!(v, Val::Record(r) if Rc::ptr_eq(&r.rtd, rtd))))
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
