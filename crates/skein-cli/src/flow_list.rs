//! `skein flow list --status S --waiting TAG`: which flows a listing keeps.

use skein::{FlowStatus, Value};
use skein_sqlite::Filter;

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

/// The store's filter for `--status` and `--waiting`: the store and
/// `skein serve`'s API list by one rule.
pub fn filter(status: Option<StatusFilter>, waiting: Option<Value>) -> Filter {
    Filter {
        status: status.map(|s| match s {
            StatusFilter::Suspended => FlowStatus::Suspended,
            StatusFilter::Done => FlowStatus::Done,
            StatusFilter::Failed => FlowStatus::Failed,
            StatusFilter::Cancelled => FlowStatus::Cancelled,
        }),
        waiting,
    }
}
