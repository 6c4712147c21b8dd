//! Many flows live in one engine, for a host that keeps the flows it works
//! on warm (a server) and the rest in its own storage: admit one flow from
//! its record, evict it, and read back only what a step added.

use crate::api::engine::Engine;
use crate::api::error::Error;
use crate::flow::document::{FlowRecord, StoreDocument};
use crate::flow::error::FlowError;

impl Engine {
    /// Add flow `record` to the engine's flows, replacing any flow with its
    /// id, and keep ids from `record.id + 1` free. A suspended flow is
    /// rebuilt by replay when it is next resumed. Refused, changing nothing:
    /// a record that fails the checks of [`Engine::import`].
    ///
    /// ```
    /// use skein::{Engine, Step, Value};
    ///
    /// const FLOW: &str = "(defflow ask (lambda (n) (+ n (request 'more n))))";
    /// let mut first = Engine::new();
    /// first.eval(FLOW)?;
    /// let a = first.start("ask", vec![Value::from(1)])?.id();
    /// let b = first.start("ask", vec![Value::from(2)])?.id();
    ///
    /// let mut second = Engine::new();
    /// second.eval(FLOW)?;
    /// second.admit(first.flow_record(b)?)?; // b alone; a stays with `first`
    /// assert_eq!(second.resume(b, Value::from(40))?, Step::Done { id: b, value: Value::from(42) });
    /// assert!(second.status(a).is_none());
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn admit(&mut self, record: FlowRecord) -> Result<(), Error> {
        let id = record.id;
        let document = StoreDocument {
            next_id: id.saturating_add(1),
            flows: vec![record],
        };
        let mut store = document.into_store().map_err(Error::Store)?;
        let Some(instance) = store.instances.remove(&id) else {
            return Err(Error::Store(format!("flow {id} was not admitted")));
        };
        let flows = &mut self.m.flows;
        flows.failures.remove(&id);
        flows.instances.insert(id, instance);
        flows.next_id = flows.next_id.max(store.next_id);
        Ok(())
    }

    /// Drop flow `id` from the engine (its host keeps it elsewhere); `false`
    /// if there was none. Its id stays used.
    pub fn evict(&mut self, id: u64) -> bool {
        self.m.flows.failures.remove(&id);
        self.m.flows.instances.remove(&id).is_some()
    }

    /// Give new flows ids from `next_id` on: for a host whose storage owns
    /// the ids (it holds more flows than the engine does). Never below an id
    /// the engine holds: a lower `next_id` is raised past them.
    pub fn set_next_flow_id(&mut self, next_id: u64) {
        let flows = &mut self.m.flows;
        let held = flows.instances.keys().next_back().map_or(1, |id| id + 1);
        flows.next_id = next_id.max(held);
    }

    /// The id the next [`Engine::start`] gives.
    pub fn next_flow_id(&self) -> u64 {
        self.m.flows.next_id
    }

    /// [`Engine::flow_record`] with only the log entries from position
    /// `from` on: what the steps since the flow had `from` entries added. Its
    /// cost does not grow with the flow's history.
    ///
    /// ```
    /// use skein::{Answer, Engine, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.eval("(defflow count (lambda () (let loop ((n 0)) (loop (request 'tick n)))))")?;
    /// let id = engine.start("count", vec![])?.id();
    /// for n in 0..100 {
    ///     engine.resume(id, Value::from(n))?;
    /// }
    /// let tail = engine.flow_record_from(id, 99)?;
    /// assert_eq!(tail.log.len(), 1);
    /// assert_eq!(tail.log[0].answer, Answer::Response(Value::from(99)));
    /// assert_eq!(tail.pending.map(|p| p.position), Some(100));
    /// # Ok::<(), skein::Error>(())
    /// ```
    pub fn flow_record_from(&self, id: u64, from: u64) -> Result<FlowRecord, Error> {
        let inst = self
            .m
            .flows
            .instances
            .get(&id)
            .ok_or(FlowError::UnknownFlow { id })?;
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        FlowRecord::of_instance_from(id, inst, from).map_err(Error::Store)
    }
}
