//! serde conversion keeps Scheme's kinds (SPEC.md, "Precision the API owes its
//! users"): what a host relies on when its Rust types cross into a flow and back.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{kw, s, sym};
use serde::{Deserialize, Serialize};
use skein::{ConvertError, Engine, Error, Step, Value};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ChargeStatus {
    Ok,
    Declined,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Payment {
    Cash,
    Voucher(String),
    Split(u32, u32),
    Card { last4: String, expires: (u8, u16) },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: String,
    lines: Vec<Line>,
    status: ChargeStatus,
    note: Option<String>,
    payment: Payment,
    gift: Option<Option<bool>>,
}

fn order() -> Order {
    Order {
        id: "o-1".into(),
        lines: vec![
            Line {
                sku: "tea".into(),
                qty: 2,
                price: 4.5,
            },
            Line {
                sku: "cup".into(),
                qty: 1,
                price: 12.0,
            },
        ],
        status: ChargeStatus::Declined,
        note: None,
        payment: Payment::Card {
            last4: "4242".into(),
            expires: (12, 2030),
        },
        gift: Some(None),
    }
}

fn to(v: &impl Serialize) -> Value {
    skein::to_value(v).unwrap()
}

fn convert_error<T: std::fmt::Debug>(result: Result<T, Error>) -> ConvertError {
    match result {
        Err(Error::Convert(e)) => e,
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn a_unit_variant_reaches_a_flow_as_a_symbol_that_eq_sees() {
    assert_eq!(to(&ChargeStatus::Ok), sym("ok"));
    let mut engine = Engine::new();
    engine.register_fn("charge-status", |_| skein::to_value(&ChargeStatus::Ok));
    assert_eq!(
        engine.eval("(eq? (charge-status) 'ok)").unwrap(),
        Value::Bool(true)
    );

    engine
        .eval(
            "(defflow ship (lambda (id)
               (let ((status (request 'charge id)))
                 (if (eq? status 'ok) 'shipped 'cancelled))))",
        )
        .unwrap();
    for (status, outcome) in [
        (ChargeStatus::Ok, "shipped"),
        (ChargeStatus::Declined, "cancelled"),
    ] {
        let id = engine.start("ship", vec![Value::from("o-1")]).unwrap().id();
        let step = engine.resume(id, to(&status)).unwrap();
        assert_eq!(
            step,
            Step::Done {
                id,
                value: sym(outcome)
            }
        );
    }
    // Going back, a symbol, a keyword or a string names the variant.
    for name in [sym("declined"), kw("declined"), s("declined")] {
        let back: ChargeStatus = skein::from_value(&name).unwrap();
        assert_eq!(back, ChargeStatus::Declined);
    }
}

#[test]
fn none_becomes_false_for_a_flow_and_false_comes_back_as_none() {
    assert_eq!(to(&None::<String>), Value::Bool(false));
    assert_eq!(to(&Some("ring twice")), s("ring twice"));
    let mut engine = Engine::new();
    let order = order();
    engine.register_fn("the-order", move |_| skein::to_value(&order));
    assert_eq!(
        engine
            .eval("(if (map-get (the-order) :note) 'noted 'plain)")
            .unwrap(),
        sym("plain")
    );

    assert_eq!(
        skein::from_value::<Option<String>>(&Value::Bool(false)).unwrap(),
        None
    );
    // Anything but #f is present, 0 and the empty list included, as in Scheme.
    assert_eq!(
        skein::from_value::<Option<i64>>(&Value::Int(0)).unwrap(),
        Some(0)
    );
    assert_eq!(
        skein::from_value::<Option<Vec<i64>>>(&Value::List(vec![])).unwrap(),
        Some(vec![])
    );
}

#[test]
fn non_finite_floats_round_trip_exactly() {
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e-310] {
        let v = to(&f);
        assert!(matches!(v, Value::Real(r) if r.to_bits() == f.to_bits()));
        let back: f64 = skein::from_value(&v).unwrap();
        assert_eq!(back.to_bits(), f.to_bits());
    }
    let back: f32 = skein::from_value(&to(&f32::NEG_INFINITY)).unwrap();
    assert_eq!(back, f32::NEG_INFINITY);

    // And through the engine.
    let mut engine = Engine::new();
    engine.register_fn("limits", |_| {
        skein::to_value(&(f64::NAN, f64::INFINITY, f64::NEG_INFINITY))
    });
    let (nan, inf, neg): (f64, f64, f64) =
        skein::from_value(&engine.eval("(limits)").unwrap()).unwrap();
    assert!(nan.is_nan());
    assert_eq!((inf, neg), (f64::INFINITY, f64::NEG_INFINITY));
}

#[test]
fn a_nested_struct_round_trips_through_a_flow_and_an_export() {
    let order = order();
    let v = to(&order);
    assert_eq!(
        v.to_write_string(),
        "{:gift #f :id \"o-1\" \
         :lines ({:price 4.5 :qty 2 :sku \"tea\"} {:price 12.0 :qty 1 :sku \"cup\"}) \
         :note #f :payment {:Card {:expires (12 2030) :last4 \"4242\"}} :status declined}"
    );
    assert_eq!(
        skein::from_value::<Order>(&v).unwrap(),
        Order {
            gift: None,
            ..order.clone()
        }
    );
    let plain = Order {
        gift: Some(Some(true)),
        note: Some("ring twice".into()),
        ..order.clone()
    };
    assert_eq!(skein::from_value::<Order>(&to(&plain)).unwrap(), plain);

    const FLOW: &str =
        "(defflow keep (lambda (order) (request 'approve (map-get order :id)) order))";
    let mut first = Engine::new();
    first.eval(FLOW).unwrap();
    let id = first.start("keep", vec![to(&plain)]).unwrap().id();
    let mut second = Engine::new();
    second.eval(FLOW).unwrap();
    second.import_json(&first.export_json().unwrap()).unwrap();
    let Step::Done { value, .. } = second.resume(id, Value::Bool(true)).unwrap() else {
        panic!("the flow should finish");
    };
    assert_eq!(
        value,
        to(&plain),
        "the engine's map order is the converter's"
    );
    assert_eq!(skein::from_value::<Order>(&value).unwrap(), plain);
}

#[test]
fn a_hash_map_converts_the_same_whatever_its_insertion_order() {
    let names = ["zeta", "alpha", "mu", "beta", "omega", "kappa", "eta"];
    let mut forward = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        forward.insert(n.to_string(), i as i64);
    }
    let mut backward = HashMap::with_capacity(100);
    for (i, n) in names.iter().enumerate().rev() {
        backward.insert(n.to_string(), i as i64);
    }
    let sorted: BTreeMap<_, _> = forward.clone().into_iter().collect();
    assert_eq!(to(&forward), to(&backward));
    assert_eq!(to(&forward), to(&sorted));
    let mut engine = Engine::new();
    let built = engine
        .eval("{:zeta 0 :alpha 1 :mu 2 :beta 3 :omega 4 :kappa 5 :eta 6}")
        .unwrap();
    assert_eq!(to(&forward), built);
    let back: HashMap<String, i64> = skein::from_value(&built).unwrap();
    assert_eq!(back, forward);

    // Keys that are not strings keep their kind, in the engine's order.
    let numbered: HashMap<i64, ChargeStatus> = [
        (10, ChargeStatus::Ok),
        (-3, ChargeStatus::Declined),
        (7, ChargeStatus::Ok),
    ]
    .into();
    assert_eq!(
        to(&numbered),
        engine.eval("{7 'ok -3 'declined 10 'ok}").unwrap()
    );
    let back: HashMap<i64, ChargeStatus> = skein::from_value(&to(&numbered)).unwrap();
    assert_eq!(back, numbered);
}

#[test]
fn two_rust_keys_that_become_one_key_are_an_error() {
    #[derive(Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
    #[serde(untagged)]
    enum Key {
        Name(String),
        Keyword(&'static str),
    }
    let map: BTreeMap<Key, i64> = [(Key::Name("a".into()), 1), (Key::Keyword("a"), 2)].into();
    let err = convert_error(skein::to_value(&map));
    assert_eq!(err.message, "two keys convert to :a");
}

#[test]
fn an_error_names_the_field_path() {
    #[derive(Debug, Deserialize)]
    struct Item {
        #[allow(dead_code)]
        price: u32,
    }
    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        order: Inner,
    }
    let v = Value::parse("{:order {:items ({:price 1} {:price 2} {:price 1/2})}}").unwrap();
    let result = skein::from_value::<Outer>(&v);
    let err = convert_error(result);
    assert_eq!(
        err,
        ConvertError {
            path: "order.items[2].price".into(),
            message: "expected u32, found 1/2".into()
        }
    );
    assert_eq!(
        skein::from_value::<Outer>(&v).unwrap_err().to_string(),
        "cannot convert: order.items[2].price: expected u32, found 1/2"
    );

    let cases: [(&str, &str, &str); 5] = [
        (
            "{:order {:items ({:price 300000000000})}}",
            "order.items[0].price",
            "expected u32, found 300000000000",
        ),
        (
            "{:order {:items ({:cost 1})}}",
            "order.items[0]",
            "missing field `price`",
        ),
        (
            "{:order {:items (1 . 2)}}",
            "order.items",
            "expected a list, found (1 . 2)",
        ),
        ("{:order 5}", "order", "expected struct Inner, found 5"),
        (
            "{:order {:items #(3)}}",
            "order.items[0]",
            "expected struct Item, found 3",
        ),
    ];
    for (text, path, message) in cases {
        let err = convert_error(skein::from_value::<Outer>(&Value::parse(text).unwrap()));
        assert_eq!(
            (err.path.as_str(), err.message.as_str()),
            (path, message),
            "{text}"
        );
    }
    // At the top level there is no path, only the message.
    let err = convert_error(skein::from_value::<u8>(&Value::Int(-1)));
    assert_eq!(err.to_string(), "expected u8, found -1");
    // Values with no Rust counterpart, for self-describing targets too.
    let opaque = Value::list([Value::Opaque("#<procedure f>".into())]);
    let err = convert_error(skein::from_value::<serde_json::Value>(&opaque));
    assert_eq!(err.path, "[0]");
    assert!(err.message.ends_with("found #<procedure f>"), "{err}");
    // Map keys that are not names show in brackets.
    let err = convert_error(skein::from_value::<HashMap<i64, u8>>(
        &Value::parse("{1 2 3 400}").unwrap(),
    ));
    assert_eq!(err.to_string(), "[3]: expected u8, found 400");
}

#[test]
fn integers_beyond_i64_become_bigints_and_come_back() {
    assert_eq!(to(&i64::MAX), Value::Int(i64::MAX));
    assert_eq!(to(&u64::MAX), Value::BigInt("18446744073709551615".into()));
    assert_eq!(
        to(&i128::MIN),
        Value::BigInt("-170141183460469231731687303715884105728".into())
    );
    assert_eq!(to(&(-5i128)), Value::Int(-5));
    assert_eq!(skein::from_value::<u64>(&to(&u64::MAX)).unwrap(), u64::MAX);
    assert_eq!(
        skein::from_value::<i128>(&to(&i128::MIN)).unwrap(),
        i128::MIN
    );
    assert_eq!(
        skein::from_value::<u128>(&to(&u128::MAX)).unwrap(),
        u128::MAX
    );
    assert_eq!(skein::from_value::<u8>(&Value::Int(255)).unwrap(), 255);

    // The engine computes with them as exact integers.
    let mut engine = Engine::new();
    engine.register_fn("big", |_| skein::to_value(&u64::MAX));
    let v = engine.eval("(+ (big) 1)").unwrap();
    assert_eq!(skein::from_value::<u128>(&v).unwrap(), u64::MAX as u128 + 1);
    let err = convert_error(skein::from_value::<u64>(&v));
    assert_eq!(err.message, "expected u64, found 18446744073709551616");
}

#[test]
fn data_carrying_variants_round_trip_as_one_entry_maps() {
    let cases = [
        (Payment::Cash, "Cash"),
        (Payment::Voucher("v-9".into()), "{:Voucher \"v-9\"}"),
        (Payment::Split(30, 70), "{:Split (30 70)}"),
        (
            Payment::Card {
                last4: "4242".into(),
                expires: (1, 2031),
            },
            "{:Card {:expires (1 2031) :last4 \"4242\"}}",
        ),
    ];
    for (payment, written) in cases {
        let v = to(&payment);
        assert_eq!(v.to_write_string(), written);
        assert_eq!(skein::from_value::<Payment>(&v).unwrap(), payment);
    }
    // A flow reads the payload by the variant's keyword.
    let mut engine = Engine::new();
    engine.register_fn("pay", |_| skein::to_value(&Payment::Voucher("v-9".into())));
    assert_eq!(engine.eval("(map-get (pay) :Voucher)").unwrap(), s("v-9"));
    // A flow can build one, with a symbol key too.
    let v = engine.eval("{'Split (list 1 2)}").unwrap();
    assert_eq!(
        skein::from_value::<Payment>(&v).unwrap(),
        Payment::Split(1, 2)
    );
    let err = convert_error(skein::from_value::<Payment>(&sym("Voucher")));
    assert_eq!(
        err.message,
        "expected a newtype variant Voucher, found the symbol Voucher"
    );
    let err = convert_error(skein::from_value::<Payment>(
        &Value::parse("{:Split (1 -2)}").unwrap(),
    ));
    assert_eq!(err.to_string(), "Split[1]: expected u32, found -2");
}

#[test]
fn self_describing_targets_see_the_values_kind() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Answer {
        Count(i64),
        Text(String),
        Many(Vec<Answer>),
        Fields(BTreeMap<String, Answer>),
    }
    let v = Value::parse(r#"(1 "two" three {:four 4})"#).unwrap();
    assert_eq!(
        skein::from_value::<Answer>(&v).unwrap(),
        Answer::Many(vec![
            Answer::Count(1),
            Answer::Text("two".into()),
            Answer::Text("three".into()),
            Answer::Fields([("four".to_string(), Answer::Count(4))].into()),
        ])
    );
    let json: serde_json::Value =
        skein::from_value(&Value::parse(r#"{:a (1 2.5 "x" #\y) :b #t :c #f}"#).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"a": [1, 2.5, "x", "y"], "b": true, "c": false})
    );
}

#[test]
fn the_smaller_kinds_convert_one_to_one() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Marker;
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sku(String);

    assert_eq!(to(&()), Value::Unspecified);
    assert_eq!(to(&Marker), Value::Unspecified);
    skein::from_value::<()>(&Value::Unspecified).unwrap();
    assert_eq!(
        skein::from_value::<Marker>(&Value::Unspecified).unwrap(),
        Marker
    );
    assert_eq!(to(&Sku("tea".into())), s("tea"));
    assert_eq!(
        skein::from_value::<Sku>(&s("tea")).unwrap(),
        Sku("tea".into())
    );
    assert_eq!(to(&'λ'), Value::Char('λ'));
    assert_eq!(skein::from_value::<char>(&Value::Char('λ')).unwrap(), 'λ');
    assert_eq!(skein::from_value::<char>(&s("λ")).unwrap(), 'λ');
    assert!(skein::from_value::<char>(&s("λx")).is_err());
    assert_eq!(
        to(&vec![1u8, 2]),
        Value::list([Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        skein::from_value::<Vec<u8>>(&Value::Bytes(vec![1, 2])).unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        skein::from_value::<Vec<String>>(&Value::Vector(vec![sym("a"), kw("b"), s("c")])).unwrap(),
        vec!["a", "b", "c"]
    );
    // Symbol, keyword and string keys all name fields.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Point {
        x: i64,
        y: i64,
    }
    let p = Value::Map(vec![(s("x"), Value::Int(1)), (sym("y"), Value::Int(2))]);
    assert_eq!(
        skein::from_value::<Point>(&p).unwrap(),
        Point { x: 1, y: 2 }
    );
    // A tuple takes exactly its items.
    let err = convert_error(skein::from_value::<(i64, i64)>(
        &Value::parse("(1 2 3)").unwrap(),
    ));
    assert_eq!(err.message, "expected 2 items, found 3");
}

#[test]
fn deep_data_converts_without_overflowing_the_stack() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Nest(Vec<Nest>);
    /// Taken apart iteratively, counting levels: Rust's drop glue would recurse.
    fn levels(mut nest: Nest) -> usize {
        let mut n = 0;
        while let Some(inner) = nest.0.pop() {
            nest = inner;
            n += 1;
        }
        n
    }
    fn value_levels(v: Value) -> usize {
        let (mut n, mut items) = (0, vec![v]);
        while let Some(Value::List(mut inner)) = items.pop() {
            n += 1;
            items.append(&mut inner);
        }
        n
    }
    let depth = 5_000;
    // A small stack, so that only the conversions' stack guards can get through.
    let (there, back) = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let mut nest = Nest(vec![]);
            for _ in 0..depth {
                nest = Nest(vec![nest]);
            }
            let v = skein::to_value(&nest).unwrap();
            levels(nest);
            let back: Nest = skein::from_value(&v).unwrap();
            (value_levels(v), levels(back))
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!((there, back), (depth + 1, depth));
}
