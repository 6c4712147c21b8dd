//! Moving the continuation: `raise` and its handlers, `guard`, `dynamic-wind`,
//! and capturing and reinstating continuations.

use std::rc::Rc;

use smallvec::smallvec;

use crate::machine::frame::{Continuation, Frame, Then, K};
use crate::machine::limits::{Abort, LimitKind};
use crate::machine::{Machine, Next, Step};
use crate::source::Site;
use crate::source::Span;
use crate::values::value::Val;

impl Machine {
    /// Index just above the nearest flow prompt: the base of delimited captures.
    pub(crate) fn prompt_base(&self) -> usize {
        self.prompt_index().map_or(0, |p| p + 1)
    }

    /// The value-stack height at the nearest flow prompt (0 outside flows).
    fn prompt_vals(&self) -> u32 {
        self.prompt_index().map_or(0, |p| self.frames[p].sp)
    }

    /// Drop the frames from `height` up, and the values they own.
    pub(crate) fn cut(&mut self, height: usize) {
        if let Some(sp) = self.frames.get(height).map(|f| f.sp) {
            self.frames.truncate(height);
            self.truncate(sp as usize);
        }
    }

    /// The frames above the nearest prompt and their values, based at 0.
    pub(crate) fn capture_continuation(&self) -> (Vec<Frame>, Vec<Val>) {
        let vb = self.prompt_vals();
        let frames = self.frames[self.prompt_base()..]
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.rebase(vb, 0);
                f
            })
            .collect();
        (frames, self.vals[vb as usize..].to_vec())
    }

    /// Where an error happens: the failing call, and the calls that led to
    /// it, innermost first: the call each waiting activation is making (its
    /// pc is just past it) and the tail call that started it, if one did.
    pub(crate) fn site(&self) -> Site {
        let mut chain: Vec<Span> = Vec::new();
        let calls = self.frames.iter().rev().flat_map(|f| match f {
            Frame {
                proto: Some(proto),
                control: None,
                pc,
                site,
                ..
            } => [
                (*pc as usize).checked_sub(1).map(|at| proto.span_at(at)),
                *site,
            ],
            _ => [None, None],
        });
        for site in calls.flatten() {
            if chain.last() != Some(&site) && site != self.call_span {
                chain.push(site);
            }
            if chain.len() >= 12 {
                break;
            }
        }
        Site {
            span: self.call_span,
            chain,
        }
    }

    pub fn raise(&mut self, obj: Val, continuable: bool) -> Step {
        let top = self.frames.len();
        self.raise_below(obj, continuable, top)
    }

    /// Raise `obj` to the handlers among the frames below index `limit`.
    pub(crate) fn raise_below(&mut self, obj: Val, continuable: bool, limit: usize) -> Step {
        // A refused allocation stops the run; no handler may retry it.
        if crate::values::heap::take_refusal() {
            return Err(Abort::Limit(LimitKind::Heap));
        }
        let origin = self.raise_origin.take();
        if let Val::Error(e) = &obj {
            let mut site = e.site.borrow_mut();
            if site.is_none() {
                *site = Some(self.site());
            }
        }
        let mut i = limit.min(self.frames.len());
        while i > 0 {
            i -= 1;
            match self.frames[i].k() {
                K::HandlerCall(skip, _) => {
                    i = i.saturating_sub(*skip);
                }
                K::Handler(h) => {
                    let handler = h.clone();
                    let skip = self.frames.len() - i;
                    self.push(K::HandlerCall(skip, continuable))?;
                    return self.apply(handler, smallvec![obj]);
                }
                K::Prompt(id) => {
                    // Uncaught inside a flow: the flow fails; its caller carries on.
                    let id = *id;
                    let site = match &obj {
                        Val::Error(e) => e.site.borrow().clone().unwrap_or_else(|| self.site()),
                        _ => self.site(),
                    };
                    let mut message = Machine::describe(&obj);
                    if let Some(loc) = self.sources.location(site.span) {
                        message = format!("{loc}: {message}");
                    }
                    self.cut(i);
                    return Ok(Next::Return(self.flow_failed(id, message)));
                }
                K::Guard(h) => {
                    // The clauses run after unwinding to the guard; if none
                    // matches, the re-raiser goes back to where `raise` was.
                    let handler = h.clone();
                    let base = self.prompt_base();
                    let (frames, vals) = self.capture_continuation();
                    let reraiser =
                        Continuation::new(frames, vals, Some(i - base), Some(self.site()));
                    let args = smallvec![obj, Val::Cont(Rc::new(reraiser))];
                    return self.unwind_to(i, Then::ApplyHandler(handler, args));
                }
                _ => {}
            }
        }
        let site = match &obj {
            Val::Error(e) => e.site.borrow().clone().unwrap_or_else(|| self.site()),
            _ => origin.unwrap_or_else(|| self.site()),
        };
        Err(Abort::Uncaught(Box::new((obj, site))))
    }

    /// Pop frames down to `height`, running the after-thunk of each
    /// `dynamic-wind` on the way (innermost first), then do `then`.
    pub(crate) fn unwind_to(&mut self, height: usize, then: Then) -> Step {
        let wind = self.frames[height.min(self.frames.len())..]
            .iter()
            .rposition(|f| matches!(f.k(), K::Wind(..)));
        if let Some(offset) = wind {
            let at = height + offset;
            let after = match self.frames[at].k() {
                K::Wind(_, _, after) => after.clone(),
                _ => Val::Unspecified,
            };
            self.cut(at);
            self.push(K::Unwind(at - height, Box::new(then)))?;
            return self.apply(after, smallvec![]);
        }
        self.cut(height);
        match then {
            Then::ApplyHandler(handler, args) => self.apply(handler, args),
            Then::Reenter(k, v, i) => self.rewind(k, v, i),
            Then::Exit(code) => Err(Abort::Exit(code)),
        }
    }

    fn wind_ids_of(frames: &[Frame]) -> Vec<u64> {
        frames
            .iter()
            .filter_map(|f| match f.k() {
                K::Wind(id, ..) => Some(*id),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn invoke_continuation(&mut self, k: Rc<Continuation>, v: Val) -> Step {
        let base = self.prompt_base();
        let current = Self::wind_ids_of(&self.frames[base..]);
        let target = Self::wind_ids_of(&k.frames);
        let common = current
            .iter()
            .zip(&target)
            .take_while(|(a, b)| a == b)
            .count();
        // Unwind to just below the first wind frame that is not shared.
        let height = if common < current.len() {
            let mut seen = 0;
            let mut h = self.frames.len();
            for (i, f) in self.frames.iter().enumerate().skip(base) {
                if matches!(f.k(), K::Wind(..)) {
                    if seen == common {
                        h = i;
                        break;
                    }
                    seen += 1;
                }
            }
            h
        } else {
            self.frames.len()
        };
        self.unwind_to(height, Then::Reenter(k, v, common))
    }

    /// Run the before-thunks of the target's unshared winds (outermost first),
    /// then install the target's frames.
    pub(crate) fn rewind(&mut self, k: Rc<Continuation>, v: Val, i: usize) -> Step {
        let before = k
            .frames
            .iter()
            .filter_map(|f| match f.k() {
                K::Wind(_, before, _) => Some(before),
                _ => None,
            })
            .nth(i)
            .cloned();
        if let Some(before) = before {
            self.push(K::Rewind(k.clone(), v, i + 1))?;
            return self.apply(before, smallvec![]);
        }
        let base = self.prompt_base();
        let vb = self.prompt_vals();
        self.cut(base);
        self.truncate(vb as usize);
        if let Some(max) = self.limits.max_depth {
            if base + k.frames.len() > max {
                return Err(Abort::Limit(LimitKind::Depth));
            }
        }
        self.vals.extend(k.vals.iter().cloned());
        self.frames.extend(k.frames.iter().map(|f| {
            let mut f = f.clone();
            f.rebase(0, vb);
            f
        }));
        match k.reraise_below {
            Some(below) => {
                self.raise_origin = k.reraise_site.clone();
                self.raise_below(v, true, base + below)
            }
            None => Ok(Next::Return(v)),
        }
    }
}
