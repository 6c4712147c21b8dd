//! A flow's status: the engine's own (which includes `running`) and the
//! one the API reports.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Suspended,
    Done,
    Failed,
    Cancelled,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Suspended => "suspended",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "suspended" => Status::Suspended,
            "done" => Status::Done,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }
}

/// The status of a flow instance. Through serde it is its name in store
/// documents: `suspended`, `done`, `failed` or `cancelled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    /// Waiting on a request: it can be resumed or cancelled.
    Suspended,
    /// Finished with a value: see `Engine::result`.
    Done,
    /// Failed: an uncaught error, a divergent replay, or an aborted run.
    Failed,
    /// Cancelled by the host: it never runs again.
    Cancelled,
}

impl FlowStatus {
    /// Its name in store documents: `suspended`, `done`, `failed` or `cancelled`.
    ///
    /// ```
    /// use skein::FlowStatus;
    ///
    /// assert_eq!(FlowStatus::Cancelled.name(), "cancelled");
    /// assert_eq!(FlowStatus::parse("done"), Some(FlowStatus::Done));
    /// assert_eq!(FlowStatus::parse("running"), None);
    /// ```
    pub fn name(self) -> &'static str {
        Status::from(self).name()
    }

    /// The status a store document names, if it names one.
    pub fn parse(name: &str) -> Option<FlowStatus> {
        Status::parse(name).map(Status::public)
    }
}

impl From<FlowStatus> for Status {
    fn from(status: FlowStatus) -> Status {
        match status {
            FlowStatus::Suspended => Status::Suspended,
            FlowStatus::Done => Status::Done,
            FlowStatus::Failed => Status::Failed,
            FlowStatus::Cancelled => Status::Cancelled,
        }
    }
}

impl Status {
    /// What the API reports: a flow is only running while the engine is inside a call.
    pub fn public(self) -> FlowStatus {
        match self {
            Status::Suspended | Status::Running => FlowStatus::Suspended,
            Status::Done => FlowStatus::Done,
            Status::Failed => FlowStatus::Failed,
            Status::Cancelled => FlowStatus::Cancelled,
        }
    }
}
