//! What a runtime counts, in Prometheus text format (`GET /metrics`).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The runtime's counters, shared by its worker and its HTTP API.
pub struct Metrics {
    registry: Registry,
    /// Steps committed (starts, answers, failures, cancels).
    pub(crate) steps: Counter,
    /// Handler attempts retried after a failure.
    pub(crate) retries: Counter,
    /// Requests given up on after their handler's last attempt.
    pub(crate) dead_letters: Counter,
    /// Sleeps woken.
    pub(crate) timers_fired: Counter,
    /// Requests failed because their deadline passed.
    pub(crate) deadlines_passed: Counter,
    /// Handler attempts started.
    pub(crate) handler_calls: Counter,
    /// Steps written over by another process (rebuilt and retried).
    pub(crate) conflicts: Counter,
    /// Flows read from the store and rebuilt by replay (a warm flow is not).
    pub(crate) rebuilds: Counter,
    /// Flows kept live in memory.
    pub(crate) warm_flows: Gauge,
    /// Seconds from taking a piece of work to its commit.
    pub(crate) step_latency: Histogram,
    /// Steps per commit.
    pub(crate) batch_size: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("skein");
        let m = Metrics {
            steps: Counter::default(),
            retries: Counter::default(),
            dead_letters: Counter::default(),
            timers_fired: Counter::default(),
            deadlines_passed: Counter::default(),
            handler_calls: Counter::default(),
            conflicts: Counter::default(),
            rebuilds: Counter::default(),
            warm_flows: Gauge::default(),
            step_latency: Histogram::new(exponential_buckets(0.0001, 2.0, 18)),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            registry: Registry::default(),
        };
        registry.register("steps", "Steps committed", m.steps.clone());
        registry.register("retries", "Handler attempts retried", m.retries.clone());
        registry.register(
            "dead_letters",
            "Requests failed after their handler's last attempt",
            m.dead_letters.clone(),
        );
        registry.register("timers_fired", "Sleeps woken", m.timers_fired.clone());
        registry.register(
            "deadlines_passed",
            "Requests failed at their deadline",
            m.deadlines_passed.clone(),
        );
        registry.register(
            "handler_calls",
            "Handler attempts started",
            m.handler_calls.clone(),
        );
        registry.register(
            "conflicts",
            "Steps refused because another process changed the flow first",
            m.conflicts.clone(),
        );
        registry.register(
            "rebuilds",
            "Flows read from the store to be rebuilt by replay",
            m.rebuilds.clone(),
        );
        registry.register("warm_flows", "Flows live in memory", m.warm_flows.clone());
        registry.register(
            "step_latency_seconds",
            "From taking work to its commit",
            m.step_latency.clone(),
        );
        registry.register("batch_steps", "Steps per commit", m.batch_size.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
