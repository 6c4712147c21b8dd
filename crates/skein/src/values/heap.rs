//! The heap budget: a count of the bytes that live values hold, kept as
//! they are made and freed, and the ceiling `max_heap_bytes` puts on it.
//!
//! Every heap value charges its bytes when it is made and credits them when
//! it is freed. Small values (a pair, a closure, a box) only count: the
//! machine compares the count with the ceiling at its periodic check, so they
//! can overshoot by what 65,536 steps make. Anything whose size a program
//! chooses (a vector, a string, a list built by a primitive, a bignum)
//! [`reserve`]s its bytes first: past the ceiling the allocation is never
//! made, and the run stops with the heap limit instead.
//!
//! The count is per thread and holds numbers only, never engine data, so an
//! engine stays `Send`; a run sets the ceiling for its thread and puts the
//! previous one back when it ends.

use std::cell::Cell;

thread_local! {
    /// Bytes held by the values made (and not yet freed) on this thread.
    static HELD: Cell<i64> = const { Cell::new(0) };
    /// What `HELD` may reach in the run on this thread: `i64::MAX` outside runs.
    static CEILING: Cell<i64> = const { Cell::new(i64::MAX) };
    /// A reservation was refused since the run last asked.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Count `bytes` as held.
#[inline(always)]
pub fn charge(bytes: usize) {
    HELD.with(|n| n.set(n.get().wrapping_add(bytes as i64)));
}

/// Count `bytes` as freed.
#[inline(always)]
pub fn credit(bytes: usize) {
    HELD.with(|n| n.set(n.get().wrapping_sub(bytes as i64)));
}

/// Bytes held by the live values of this thread.
pub fn held() -> i64 {
    HELD.with(Cell::get)
}

/// Whether `bytes` more would pass the ceiling.
#[inline]
pub fn over_ceiling(bytes: usize) -> bool {
    let ceiling = CEILING.with(Cell::get);
    i64::try_from(bytes).map_or(true, |b| held().saturating_add(b) > ceiling)
}

/// An allocation the heap budget refused. A primitive returns it as its
/// error (it converts into an error object); the machine, seeing the
/// refusal, stops the run with the heap limit rather than raising it.
#[derive(Debug)]
pub struct Refused;

/// Ask leave to allocate `bytes` before allocating them: refused past the ceiling.
pub fn reserve(bytes: usize) -> Result<(), Refused> {
    if over_ceiling(bytes) {
        REFUSED.with(|r| r.set(true));
        return Err(Refused);
    }
    Ok(())
}

/// [`reserve`] room for `n` items of `size` bytes each.
pub fn reserve_items(n: usize, size: usize) -> Result<(), Refused> {
    reserve(n.saturating_mul(size))
}

/// Whether a reservation was refused since the last call (and forget it).
pub fn take_refusal() -> bool {
    REFUSED.with(|r| r.replace(false))
}

/// The ceiling of one run on this thread, lifted when the run ends.
pub struct Ceiling {
    previous: i64,
}

impl Ceiling {
    /// Let the values held grow by at most `max` bytes from now on; `None`: no ceiling.
    pub fn for_run(max: Option<usize>) -> Ceiling {
        let ceiling = max.map_or(i64::MAX, |max| {
            held().saturating_add(i64::try_from(max).unwrap_or(i64::MAX))
        });
        REFUSED.with(|r| r.set(false));
        Ceiling {
            previous: CEILING.with(|c| c.replace(ceiling)),
        }
    }
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        CEILING.with(|c| c.set(self.previous));
    }
}

/// Bytes an `Rc` of a `T` costs, with its two reference counts.
pub const fn rc_bytes<T>() -> usize {
    std::mem::size_of::<T>() + 2 * std::mem::size_of::<usize>()
}

/// Data whose heap bytes it can tell: what [`Counted`] charges for it.
pub trait HeapSize {
    /// Bytes held on the heap, beyond the value itself.
    fn heap_size(&self) -> usize;
}

impl HeapSize for Vec<u8> {
    fn heap_size(&self) -> usize {
        self.capacity()
    }
}

impl HeapSize for num_bigint::BigInt {
    fn heap_size(&self) -> usize {
        usize::try_from(self.bits().div_ceil(64) * 8).unwrap_or(usize::MAX)
    }
}

impl HeapSize for num_rational::BigRational {
    fn heap_size(&self) -> usize {
        self.numer().heap_size() + self.denom().heap_size()
    }
}

/// A `T` charged to the heap budget for as long as it lives (the payload
/// of bytevectors and exact numbers beyond a fixnum).
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counted<T: HeapSize>(T);

impl<T: HeapSize> Counted<T> {
    /// `value`, charged.
    pub fn new(value: T) -> Counted<T> {
        charge(Counted::bytes_of(&value));
        Counted(value)
    }

    fn bytes_of(value: &T) -> usize {
        rc_bytes::<Counted<T>>() + value.heap_size()
    }
}

impl<T: HeapSize + Clone> Clone for Counted<T> {
    fn clone(&self) -> Counted<T> {
        Counted::new(self.0.clone())
    }
}

impl<T: HeapSize> Drop for Counted<T> {
    fn drop(&mut self) {
        credit(Counted::bytes_of(&self.0));
    }
}

impl<T: HeapSize> std::ops::Deref for Counted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Bytes charged for as long as the value holding it lives: a field of the
/// values whose size is fixed when they are made.
pub struct Charge(usize);

impl Charge {
    /// Charge `bytes` now; they are credited when this is dropped.
    pub fn new(bytes: usize) -> Charge {
        charge(bytes);
        Charge(bytes)
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        credit(self.0);
    }
}
