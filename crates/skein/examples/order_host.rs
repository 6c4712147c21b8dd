//! A small host for the order flow: it answers `reserve` and `fulfil` itself,
//! waits for `payment` until told, and saves the whole flow store to a JSON
//! file after every step. Kill it at any point and run it again: it carries on.
//!
//! ```sh
//! cargo run -p skein --example order_host -- start o-1        # reserves, then waits for payment
//! cargo run -p skein --example order_host -- status           # what every flow waits on
//! cargo run -p skein --example order_host -- pay 1 1800       # the payment webhook; fulfils
//! ```
//! The store lives in `orders.json` (or `$ORDER_STORE`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use skein::{Engine, Error, Step, Value};

fn store_path() -> PathBuf {
    std::env::var_os("ORDER_STORE").map_or_else(|| PathBuf::from("orders.json"), PathBuf::from)
}

fn flow_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows/order-lifecycle.flow")
}

/// Write the store atomically: a crash leaves the old file or the new one.
fn save(engine: &Engine, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, engine.export_json()?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Answer the requests this host performs itself until the flow waits on
/// something it cannot answer (the payment) or finishes. Saves after each step.
fn service(
    engine: &mut Engine,
    mut step: Step,
    path: &Path,
) -> Result<Step, Box<dyn std::error::Error>> {
    loop {
        save(engine, path)?;
        println!("{step:?}");
        let Step::Suspended { id, tag, payload } = &step else {
            return Ok(step);
        };
        let answer = match tag {
            Value::Symbol(t) if t == "reserve" => Value::Map(vec![
                (Value::keyword("order"), payload.clone()),
                (Value::keyword("warehouse"), Value::from("north")),
            ]),
            Value::Symbol(t) if t == "fulfil" => Value::Map(vec![
                (Value::keyword("carrier"), Value::from("dhl")),
                (Value::keyword("order"), payload.clone()),
            ]),
            _ => return Ok(step),
        };
        step = engine.resume(*id, answer)?;
    }
}

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let path = store_path();
    let mut engine = Engine::new();
    engine.load_file(flow_file())?;
    if path.exists() {
        engine.import_json(&std::fs::read_to_string(&path)?)?;
    }
    match args {
        [cmd, order] if cmd == "start" => {
            let step = engine.start("order-lifecycle", vec![Value::from(order.as_str())])?;
            service(&mut engine, step, &path)?;
        }
        [cmd, id, amount] if cmd == "pay" => {
            let id: u64 = id.parse()?;
            let amount: i64 = amount.parse()?;
            let payment = Value::Map(vec![(Value::keyword("amount"), Value::Int(amount))]);
            let step = engine.resume(id, payment)?;
            service(&mut engine, step, &path)?;
        }
        [cmd] if cmd == "status" => {
            for (id, tag, payload) in engine.pending() {
                println!("flow {id} waits on {tag} {payload}");
            }
        }
        _ => {
            return Err(Box::new(Error::Host(
                "usage: order_host start ORDER | pay ID AMOUNT | status".into(),
            )))
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("order_host: {e}");
            ExitCode::FAILURE
        }
    }
}
