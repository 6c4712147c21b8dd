//! `skein flow list --status S --waiting TAG`: which flows a listing keeps.

use skein::Value;
use skein_sqlite::State;

/// A status to list, as `list` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFilter {
    /// Waiting on a request.
    #[value(alias = "waiting")]
    Suspended,
    Done,
    Failed,
    Cancelled,
}

/// Whether a flow in `state` is listed under the filters given.
pub fn matches(state: &State, status: Option<StatusFilter>, waiting: Option<&Value>) -> bool {
    let status_fits = status.is_none_or(|s| {
        s == match state {
            State::Suspended { .. } => StatusFilter::Suspended,
            State::Done(_) => StatusFilter::Done,
            State::Failed(_) => StatusFilter::Failed,
            State::Cancelled => StatusFilter::Cancelled,
        }
    });
    let waiting_fits = waiting.is_none_or(|wanted| match state {
        State::Suspended { tag, .. } => tag_matches(tag, wanted),
        _ => false,
    });
    status_fits && waiting_fits
}

/// `tag` is `wanted`, or a list whose first element is: `(deliver id n)`
/// answers to `deliver`, as a handler for `deliver` would serve it.
pub fn tag_matches(tag: &Value, wanted: &Value) -> bool {
    if tag == wanted {
        return true;
    }
    match tag {
        Value::List(items) | Value::DottedList(items, _) => items.first() == Some(wanted),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::tag_matches;
    use skein::Value;

    #[test]
    fn a_list_tag_answers_to_its_first_element_and_to_itself() {
        let deliver = Value::parse("(deliver 7 2)").unwrap();
        assert!(tag_matches(&deliver, &Value::symbol("deliver")));
        assert!(tag_matches(&deliver, &deliver));
        assert!(!tag_matches(&deliver, &Value::symbol("7")));
        assert!(!tag_matches(
            &Value::symbol("payment"),
            &Value::symbol("deliver")
        ));
    }
}
