//! Runtime values (`Val`): immutable data, procedures, records, promises and
//! error objects, and releasing them without recursion however deep they nest.
//!
//! Values use `Rc`: an engine owns every value it creates, and the public
//! [`crate::Value`] that crosses the API is a separate, plain-data type.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use imbl::shared_ptr::RcK;
use num_bigint::BigInt;
use num_rational::BigRational;

use crate::bytecode::proto::{Closure, VarBox};
use crate::machine::frame::Continuation;
use crate::values::heap::{self, Counted};
use crate::values::prim::{HostFn, Prim};
use crate::values::symbol::Symbol;
use crate::values::text::Text;

/// A map's entries: a persistent ordered map, so an update shares all but
/// the changed path with the map it came from.
///
/// Dropping a map frees only the nodes it alone owns, and runs on a stack that
/// grows as needed, since maps nest as deep as a program makes them. Entries
/// that drop recursively without a guard of their own (vectors, records,
/// promises, error objects: pairs, maps and closures have one) are taken
/// apart from a work list, found by a walk that only a map holding such an
/// entry pays for. Walking every map whole made `map-set` in a loop quadratic:
/// each old version was walked, its entries cloned out of the nodes it shared
/// with the new one.
///
/// Each map is charged [`MAP_ENTRY_BYTES`] per entry, shared or not: an
/// upper bound for maps that share their nodes with older versions.
#[derive(Default)]
pub struct MapImpl {
    entries: imbl::GenericOrdMap<Val, Val, RcK>,
    /// Some entry may be a value whose drop would recurse unguarded.
    unguarded: bool,
}

impl MapImpl {
    /// No entries.
    pub fn new() -> MapImpl {
        MapImpl::default()
    }

    /// Insert or replace the entry for `key`.
    pub fn insert(&mut self, key: Val, value: Val) -> Option<Val> {
        self.unguarded |= drops_unguarded(&key) || drops_unguarded(&value);
        let old = self.entries.insert(key, value);
        if old.is_none() {
            heap::charge(MAP_ENTRY_BYTES);
        }
        old
    }

    /// Remove the entry for `key`.
    pub fn remove(&mut self, key: &Val) -> Option<Val> {
        let old = self.entries.remove(key);
        if old.is_some() {
            heap::credit(MAP_ENTRY_BYTES);
        }
        old
    }

    /// Both maps' entries; for a key in both, this map's value.
    pub fn union(mut self, mut other: MapImpl) -> MapImpl {
        let (mine, theirs) = (self.take_entries(), other.take_entries());
        let entries = mine.union(theirs);
        heap::charge(entries.len() * MAP_ENTRY_BYTES);
        MapImpl {
            entries,
            unguarded: self.unguarded || other.unguarded,
        }
    }

    /// Move the entries out, returning their bytes to the budget.
    fn take_entries(&mut self) -> imbl::GenericOrdMap<Val, Val, RcK> {
        heap::credit(self.entries.len() * MAP_ENTRY_BYTES);
        std::mem::take(&mut self.entries)
    }
}

/// Heap bytes charged per map entry: its key, its value and a share of its node.
pub const MAP_ENTRY_BYTES: usize = 3 * std::mem::size_of::<Val>();

impl Clone for MapImpl {
    fn clone(&self) -> MapImpl {
        heap::charge(self.entries.len() * MAP_ENTRY_BYTES);
        MapImpl {
            entries: self.entries.clone(),
            unguarded: self.unguarded,
        }
    }
}

impl Drop for MapImpl {
    fn drop(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        let entries = self.take_entries();
        let unguarded = self.unguarded;
        stacker::maybe_grow(64 * 1024, 1024 * 1024, move || {
            // Entries this map alone holds outlive it here, to be taken
            // apart without recursion once the map is gone.
            let alone: Vec<Val> = if unguarded {
                entries
                    .iter()
                    .flat_map(|(k, v)| [k, v])
                    .filter(|x| drops_unguarded(x) && owns_structure(x))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            drop(entries);
            if !alone.is_empty() {
                dismantle(alone);
            }
        });
    }
}

impl std::ops::Deref for MapImpl {
    type Target = imbl::GenericOrdMap<Val, Val, RcK>;
    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl FromIterator<(Val, Val)> for MapImpl {
    fn from_iter<I: IntoIterator<Item = (Val, Val)>>(entries: I) -> MapImpl {
        let mut map = MapImpl::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }
}

/// Whether dropping `v` could recurse with no guard of its own: the
/// containers without a `Drop` that takes them apart or grows the stack.
fn drops_unguarded(v: &Val) -> bool {
    matches!(v, Val::Record(_) | Val::Promise(_) | Val::Error(_))
}

/// A vector's items. Vectors nest as deep as a program makes them, and one
/// dropped inside another container (a map's entry, a record's field) is
/// dropped by the container's drop, not released: it grows the stack as
/// needed instead of overflowing it.
///
/// Its bytes are charged to the heap budget while it holds them.
#[derive(PartialEq)]
pub struct Items(Vec<Val>);

impl Items {
    /// `items`, charged to the heap budget.
    pub fn new(items: Vec<Val>) -> Items {
        heap::charge(Items::bytes_of(&items));
        Items(items)
    }

    /// Move the items out, returning their bytes to the budget.
    pub fn take(&mut self) -> Vec<Val> {
        let items = std::mem::take(&mut self.0);
        heap::credit(items.capacity() * std::mem::size_of::<Val>());
        items
    }

    fn bytes_of(items: &Vec<Val>) -> usize {
        heap::rc_bytes::<Items>() + items.capacity() * std::mem::size_of::<Val>()
    }
}

impl Clone for Items {
    fn clone(&self) -> Items {
        Items::new(self.0.clone())
    }
}

impl std::ops::Deref for Items {
    type Target = Vec<Val>;
    fn deref(&self) -> &Vec<Val> {
        &self.0
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        heap::credit(Items::bytes_of(&self.0));
        if self.0.iter().any(owns_structure) {
            let items = std::mem::take(&mut self.0);
            stacker::maybe_grow(64 * 1024, 1024 * 1024, move || dismantle(items));
        }
    }
}

/// A value: a tag and one word.
///
/// Every payload is a single 8-byte integer or pointer, and that is what
/// lets rustc lay `Val` out as a scalar pair and write a new value straight
/// into its place. One payload of another kind (a `bool`, `f64`, `char` or
/// `u32`) makes the layout an aggregate: each new value is then assembled in
/// a stack temporary, tag byte and payload stored separately, and copied out
/// with one 16-byte load that stalls waiting on those two stores. Hence
/// [`BoolBits`], [`RealBits`] and [`CharBits`] below, and a [`Symbol`] that is one pointer.
pub enum Val {
    Null,
    /// The value of expressions R7RS leaves unspecified; prints as nothing at the REPL.
    Unspecified,
    /// Marks a `letrec` variable read before its initialiser ran.
    Unassigned,
    Eof,
    Bool(BoolBits),
    Int(i64),
    Real(RealBits),
    Char(CharBits),
    Sym(Symbol),
    Keyword(Symbol),
    Prim(&'static Prim),
    // The variants above own no reference count. Kept together at the
    // start, `is_immediate` (asked by every release) is one comparison of
    // the tag, not a jump through a table (callgrind: tak -2%, the other
    // benchmarks -1%).
    Big(Rc<Counted<BigInt>>),
    Rat(Rc<Counted<BigRational>>),
    Str(Rc<Text>),
    Pair(Rc<Pair>),
    Vector(Rc<Items>),
    Bytes(Rc<Counted<Vec<u8>>>),
    Map(Rc<MapImpl>),
    Closure(Rc<Closure>),
    /// An assigned variable's box: only ever in slots and closures, never a value of the program.
    Var(Rc<VarBox>),
    Host(Rc<HostFn>),
    Cont(Rc<Continuation>),
    Param(Rc<Parameter>),
    Record(Rc<Record>),
    RecordType(Rc<RecordType>),
    RecordProc(Rc<RecordProc>),
    Promise(Rc<RefCell<Promise>>),
    Values(Rc<Items>),
    Error(Rc<ErrorObj>),
    Flow(Rc<FlowDef>),
    Port(Rc<Port>),
}

/// A boolean held in a word (see [`Val`]): 0 or 1. The constants can be
/// matched on: `Val::Bool(BoolBits::FALSE)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BoolBits(u64);

impl BoolBits {
    pub const FALSE: BoolBits = BoolBits(0);
    pub const TRUE: BoolBits = BoolBits(1);

    #[inline]
    pub fn new(b: bool) -> BoolBits {
        BoolBits(u64::from(b))
    }

    #[inline]
    pub fn get(self) -> bool {
        self.0 != 0
    }
}

/// A flonum held as its bits in a word (see [`Val`]). Compare the `f64`s
/// from [`RealBits::get`]: the bits alone would make NaN equal to itself
/// and `-0.0` differ from `0.0`.
#[derive(Clone, Copy)]
pub struct RealBits(u64);

impl RealBits {
    #[inline]
    pub fn new(f: f64) -> RealBits {
        RealBits(f.to_bits())
    }

    #[inline]
    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

/// A character held as its scalar value in a word (see [`Val`]).
#[derive(Clone, Copy)]
pub struct CharBits(u64);

impl CharBits {
    #[inline]
    pub fn new(c: char) -> CharBits {
        CharBits(u64::from(c))
    }

    #[inline]
    pub fn get(self) -> char {
        // Only `new` sets the field, from a `char`, so the fallback is never taken.
        u32::try_from(self.0)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

// Cloning values is the machine's commonest work. Matching on the variant
// and rebuilding it writes the copy in pieces, which the next whole-value
// move reads back with a store-forwarding stall; instead count the new
// reference and copy the value's bytes as they are.
impl Clone for Val {
    #[inline(always)]
    fn clone(&self) -> Val {
        // SAFETY: every pointer passed to `increment_strong_count` comes from
        // `Rc::as_ptr` of an `Rc` that `self` keeps alive, so the count
        // stays consistent; the bitwise copy then owns that new count. The
        // other variants own nothing, so their bytes are a complete copy.
        unsafe {
            // One match, not an `is_immediate` test first: rustc then
            // merges the counting arms better (callgrind: closures -0.7%).
            match self {
                Val::Big(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Rat(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Str(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Pair(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Vector(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Bytes(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Map(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Closure(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Var(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Host(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Cont(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Param(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Record(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::RecordType(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::RecordProc(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Promise(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Values(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Error(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Flow(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Port(x) => Rc::increment_strong_count(Rc::as_ptr(x)),
                Val::Null
                | Val::Unspecified
                | Val::Unassigned
                | Val::Eof
                | Val::Bool(_)
                | Val::Int(_)
                | Val::Real(_)
                | Val::Char(_)
                | Val::Sym(_)
                | Val::Keyword(_)
                | Val::Prim(_) => {}
            }
            std::ptr::read(self)
        }
    }
}

/// An R7RS port. The console port writes to the engine's output (the error
/// console to its error stream); string and
/// bytevector ports are local buffers (a port is I/O state, not data).
///
/// Its buffer is charged to the heap budget, and so is each write's growth.
pub struct Port {
    pub kind: PortKind,
    pub open: Cell<bool>,
}

impl Port {
    /// An open port, its buffer charged.
    pub fn new(kind: PortKind) -> Port {
        let port = Port {
            kind,
            open: Cell::new(true),
        };
        heap::charge(port.bytes());
        port
    }

    /// Run `write` (which adds to the port's buffer), charging what the buffer grows by.
    pub fn grow(&self, write: impl FnOnce()) {
        let before = self.bytes();
        write();
        heap::charge(self.bytes().saturating_sub(before));
    }

    fn bytes(&self) -> usize {
        heap::rc_bytes::<Port>()
            + match &self.kind {
                PortKind::Console | PortKind::ErrorConsole => 0,
                PortKind::TextOut(b) => b.borrow().capacity(),
                PortKind::TextIn(s, _) => s.capacity(),
                PortKind::BytesOut(b) => b.borrow().capacity(),
                PortKind::BytesIn(b, _) => b.capacity(),
            }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        heap::credit(self.bytes());
    }
}

pub enum PortKind {
    Console,
    /// `current-error-port`: writes to the engine's error stream.
    ErrorConsole,
    TextOut(RefCell<String>),
    /// The text and the byte offset read so far.
    TextIn(String, Cell<usize>),
    BytesOut(RefCell<Vec<u8>>),
    BytesIn(Vec<u8>, Cell<usize>),
}

pub struct Pair {
    pub car: Val,
    pub cdr: Val,
}

/// Heap bytes one pair costs: the pair and its reference counts.
pub const PAIR_BYTES: usize = heap::rc_bytes::<Pair>();

/// A long list, or a deeply nested one, must not drop recursively: that
/// would overflow the Rust stack. Uniquely owned children are taken apart here.
impl Drop for Pair {
    fn drop(&mut self) {
        heap::credit(PAIR_BYTES);
        let car = std::mem::replace(&mut self.car, Val::Null);
        let cdr = std::mem::replace(&mut self.cdr, Val::Null);
        if owns_structure(&car) || owns_structure(&cdr) {
            dismantle(vec![car, cdr]);
        }
    }
}

/// Is `v` the last reference to a value that can contain other values?
/// Only such values can make a drop recurse.
pub(crate) fn owns_structure(v: &Val) -> bool {
    match v {
        Val::Pair(p) => Rc::strong_count(p) == 1,
        Val::Vector(x) | Val::Values(x) => Rc::strong_count(x) == 1,
        Val::Map(m) => Rc::strong_count(m) == 1,
        Val::Closure(c) => Rc::strong_count(c) == 1,
        Val::Var(b) => Rc::strong_count(b) == 1,
        Val::Promise(p) => Rc::strong_count(p) == 1,
        Val::Record(r) => Rc::strong_count(r) == 1,
        Val::Error(e) => Rc::strong_count(e) == 1,
        _ => false,
    }
}

/// Drop `v` without recursion, however deeply it nests.
#[inline(always)]
pub(crate) fn release(v: Val) {
    // A pair, the commonest heap value, drops its count in place; only the
    // last reference calls out (and `Pair`'s own `Drop` takes it apart).
    let v = match v {
        Val::Pair(p) => return drop(p),
        v => v,
    };
    if v.is_immediate() {
        // Nothing to free: skip the drop glue, which the machine would
        // otherwise call for every integer it pops.
        std::mem::forget(v);
        return;
    }
    // Pairs, closures and boxes take themselves apart when dropped; the
    // other containers are plain `Rc`s and need the work list.
    let needs_work_list = match &v {
        Val::Vector(x) | Val::Values(x) => Rc::strong_count(x) == 1,
        Val::Map(m) => Rc::strong_count(m) == 1,
        Val::Promise(p) => Rc::strong_count(p) == 1,
        Val::Record(r) => Rc::strong_count(r) == 1,
        Val::Error(e) => Rc::strong_count(e) == 1,
        _ => false,
    };
    if needs_work_list {
        dismantle(vec![v]);
    }
}

/// Drop values without recursion: each uniquely owned container is emptied
/// into the work list before it is freed, so any nesting depth (lists,
/// vectors, closures over closures, forced streams) drops in constant stack.
pub(crate) fn dismantle(mut vals: Vec<Val>) {
    let mut pairs_freed = 0;
    while let Some(mut v) = vals.pop() {
        // A list's spine is walked in place, without the work list: only
        // cars that own structure wait on it.
        while let Val::Pair(p) = v {
            let Some(pair) = Rc::into_inner(p) else {
                v = Val::Null;
                break;
            };
            // Its `Drop` would only count it, which is done below for the
            // whole walk. The fields are read out whole: moving them out
            // with `mem::replace` copied them in pieces, and the next
            // whole-value read stalled on those stores.
            let pair = std::mem::ManuallyDrop::new(pair);
            // SAFETY: `pair` is never dropped, so each field, read once,
            // is owned by its copy alone.
            let car = unsafe { std::ptr::read(&pair.car) };
            v = unsafe { std::ptr::read(&pair.cdr) };
            pairs_freed += 1;
            if owns_structure(&car) {
                vals.push(car);
            }
        }
        match v {
            Val::Vector(x) | Val::Values(x) => {
                if let Some(mut items) = Rc::into_inner(x) {
                    vals.extend(items.take());
                }
            }
            Val::Closure(c) => {
                if let Some(mut c) = Rc::into_inner(c) {
                    vals.extend(c.take_free());
                }
            }
            Val::Var(b) => {
                if let Some(b) = Rc::into_inner(b) {
                    vals.push(b.value.replace(Val::Null));
                }
            }
            Val::Promise(p) => {
                if let Some(p) = Rc::into_inner(p) {
                    match p.into_inner() {
                        Promise::Done(x) => vals.push(x),
                        Promise::Delayed { thunk, .. } => vals.push(thunk),
                    }
                }
            }
            Val::Record(r) => {
                if let Some(r) = Rc::into_inner(r) {
                    vals.extend(r.fields);
                }
            }
            Val::Error(e) => {
                if let Some(e) = Rc::into_inner(e) {
                    vals.extend(e.irritants);
                }
            }
            _ => {}
        }
    }
    heap::credit(pairs_freed * PAIR_BYTES);
}

pub struct Parameter {
    pub value: Val,
    pub converter: Option<Val>,
}

pub struct RecordType {
    pub name: Symbol,
    pub fields: Vec<Symbol>,
}

pub struct Record {
    pub rtd: Rc<RecordType>,
    pub fields: Vec<Val>,
    _charge: heap::Charge,
}

impl Record {
    /// An instance of `rtd`, charged to the heap budget.
    pub fn new(rtd: Rc<RecordType>, fields: Vec<Val>) -> Record {
        let bytes = heap::rc_bytes::<Record>() + fields.capacity() * std::mem::size_of::<Val>();
        Record {
            rtd,
            fields,
            _charge: heap::Charge::new(bytes),
        }
    }
}

pub enum RecordProc {
    Constructor(Rc<RecordType>, Vec<usize>),
    Predicate(Rc<RecordType>),
    Accessor(Rc<RecordType>, usize),
    Modifier(Rc<RecordType>, usize),
}

/// A flow value made by `defflow` (named) or `flow-node` (anonymous).
pub struct FlowDef {
    pub name: Option<Symbol>,
    pub proc: Val,
}

impl FlowDef {
    pub fn display_name(&self) -> String {
        match self.name {
            Some(name) => name.name().to_string(),
            None => "anonymous".to_string(),
        }
    }
}

pub enum Promise {
    Done(Val),
    /// A thunk still to run; for `delay-force` it returns another promise.
    Delayed {
        thunk: Val,
        is_force: bool,
        /// Made while a flow was running; a flow may force only such promises.
        in_flow: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    Error,
    FileError,
    ReadError,
    /// The compiler rejected a form (reported as `Error::Syntax`).
    SyntaxError,
    /// A host failed a flow's request (`request-error?`).
    RequestError,
    /// A flow's request timed out (`request-error?` and `request-timeout?`).
    RequestTimeout,
}

/// An R7RS error object: what `error` raises and builtins signal.
pub struct ErrorObj {
    pub kind: ErrorKind,
    pub message: String,
    pub irritants: Vec<Val>,
    /// Where it was first raised, filled in by the machine.
    pub site: RefCell<Option<crate::source::Site>>,
    _charge: heap::Charge,
}

impl ErrorObj {
    /// An error object not yet raised, charged to the heap budget.
    pub fn new(kind: ErrorKind, message: String, irritants: Vec<Val>) -> ErrorObj {
        let bytes = heap::rc_bytes::<ErrorObj>()
            + message.capacity()
            + irritants.capacity() * std::mem::size_of::<Val>();
        ErrorObj {
            kind,
            message,
            irritants,
            site: RefCell::new(None),
            _charge: heap::Charge::new(bytes),
        }
    }
}

// ---- construction helpers ----

impl Val {
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(Rc::new(Text::new(s.into())))
    }

    #[inline]
    pub fn bool(b: bool) -> Val {
        Val::Bool(BoolBits::new(b))
    }

    #[inline]
    pub fn real(f: f64) -> Val {
        Val::Real(RealBits::new(f))
    }

    #[inline]
    pub fn char(c: char) -> Val {
        Val::Char(CharBits::new(c))
    }

    pub fn sym(name: &str) -> Val {
        Val::Sym(Symbol::intern(name))
    }

    pub fn cons(car: Val, cdr: Val) -> Val {
        heap::charge(PAIR_BYTES);
        Val::Pair(Rc::new(Pair { car, cdr }))
    }

    /// A pair whose fields `fields` fetches after the allocation is made.
    /// Fields fetched first live across the allocator call, and the
    /// compiler then builds the pair on the stack and copies it out whole,
    /// a load that stalls on the stores just made (the machine's `cons`
    /// instruction runs millions of times a second).
    #[inline(always)]
    pub fn cons_with(fields: impl FnOnce() -> (Val, Val)) -> Val {
        // `Rc::new_uninit` computes its layout out of line; an uninitialised
        // value through `Rc::new` does not.
        let mut cell = Rc::new(std::mem::MaybeUninit::<Pair>::uninit());
        let (car, cdr) = fields();
        match Rc::get_mut(&mut cell) {
            Some(slot) => {
                heap::charge(PAIR_BYTES);
                slot.write(Pair { car, cdr });
                // SAFETY: the pair was written just above.
                Val::Pair(unsafe { cell.assume_init() })
            }
            // Never taken: a new `Rc` is its only owner.
            None => Val::cons(car, cdr),
        }
    }

    pub fn list(items: impl IntoIterator<Item = Val, IntoIter: DoubleEndedIterator>) -> Val {
        Val::list_with_tail(items, Val::Null)
    }

    pub fn list_with_tail(
        items: impl IntoIterator<Item = Val, IntoIter: DoubleEndedIterator>,
        tail: Val,
    ) -> Val {
        items
            .into_iter()
            .rev()
            .fold(tail, |acc, item| Val::cons(item, acc))
    }

    pub fn vector(items: Vec<Val>) -> Val {
        Val::Vector(Rc::new(Items::new(items)))
    }

    pub fn map(m: MapImpl) -> Val {
        Val::Map(Rc::new(m))
    }

    /// Holds no reference count: dropping it frees nothing.
    #[inline(always)]
    pub fn is_immediate(&self) -> bool {
        matches!(
            self,
            Val::Null
                | Val::Unspecified
                | Val::Unassigned
                | Val::Eof
                | Val::Bool(_)
                | Val::Int(_)
                | Val::Real(_)
                | Val::Char(_)
                | Val::Sym(_)
                | Val::Keyword(_)
                | Val::Prim(_)
        )
    }

    pub fn is_procedure(&self) -> bool {
        matches!(
            self,
            Val::Closure(_)
                | Val::Prim(_)
                | Val::Host(_)
                | Val::Cont(_)
                | Val::Param(_)
                | Val::RecordProc(_)
        )
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Val::Int(_) | Val::Big(_) | Val::Rat(_) | Val::Real(_))
    }

    /// Iterate a proper or improper list's elements; the tail is ignored.
    pub fn iter(&self) -> ListIter {
        ListIter { cur: self.clone() }
    }

    /// A list's elements and, for an improper list, its final cdr.
    pub fn list_parts(&self) -> (Vec<Val>, Option<Val>) {
        let mut items = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Val::Pair(p) => {
                    items.push(p.car.clone());
                    cur = &p.cdr;
                }
                Val::Null => return (items, None),
                tail => return (items, Some(tail.clone())),
            }
        }
    }

    /// The elements of a proper list, or `None` if it is improper.
    /// The number of pairs along the chain of cdrs, whatever ends it.
    pub fn spine_length(&self) -> usize {
        let mut n = 0;
        let mut cur = self;
        while let Val::Pair(p) = cur {
            n += 1;
            cur = &p.cdr;
        }
        n
    }

    pub fn to_vec(&self) -> Option<Vec<Val>> {
        let mut out = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Val::Null => return Some(out),
                Val::Pair(p) => {
                    out.push(p.car.clone());
                    cur = &p.cdr;
                }
                _ => return None,
            }
        }
    }

    /// True for data that may cross a flow boundary or enter the store.
    pub fn is_plain(&self) -> bool {
        // On the stack for small values: map keys are checked at every insert.
        let mut work: smallvec::SmallVec<[&Val; 16]> = smallvec::smallvec![self];
        while let Some(v) = work.pop() {
            match v {
                Val::Pair(p) => {
                    work.push(&p.car);
                    work.push(&p.cdr);
                }
                Val::Vector(items) => work.extend(items.iter()),
                Val::Map(m) => {
                    for (k, v) in m.iter() {
                        work.push(k);
                        work.push(v);
                    }
                }
                atom if !atom.is_plain_atom() => return false,
                _ => {}
            }
        }
        true
    }

    /// True for the plain values that hold no other value: numbers,
    /// strings, symbols, keywords, chars, booleans, bytevectors, `()`.
    pub fn is_plain_atom(&self) -> bool {
        matches!(
            self,
            Val::Null
                | Val::Bool(_)
                | Val::Int(_)
                | Val::Big(_)
                | Val::Rat(_)
                | Val::Real(_)
                | Val::Char(_)
                | Val::Str(_)
                | Val::Sym(_)
                | Val::Keyword(_)
                | Val::Bytes(_)
                | Val::Unspecified
        )
    }
}

pub struct ListIter {
    cur: Val,
}

impl Iterator for ListIter {
    type Item = Val;
    fn next(&mut self) -> Option<Val> {
        match std::mem::replace(&mut self.cur, Val::Null) {
            Val::Pair(p) => {
                self.cur = p.cdr.clone();
                Some(p.car.clone())
            }
            _ => None,
        }
    }
}

/// A refused allocation as the error a primitive returns (the machine turns
/// it into the heap limit; see [`heap::Refused`]).
impl From<heap::Refused> for Val {
    fn from(_: heap::Refused) -> Val {
        error("not enough memory (max_heap_bytes)", vec![])
    }
}

/// Build the error object builtins raise: `message` plus the values it concerns.
pub fn error(message: impl Into<String>, irritants: Vec<Val>) -> Val {
    Val::Error(Rc::new(ErrorObj::new(
        ErrorKind::Error,
        message.into(),
        irritants,
    )))
}

/// An error object of a particular kind (file, read, syntax errors).
pub fn error_of(kind: ErrorKind, message: impl Into<String>) -> Val {
    Val::Error(Rc::new(ErrorObj::new(kind, message.into(), vec![])))
}

/// The standard "wrong type" error: `who: expected a WHAT, got VALUE`.
pub fn type_error(who: &str, what: &str, got: &Val) -> Val {
    error(format!("{who}: expected {what}"), vec![got.clone()])
}

// ---- equivalence ----

impl std::fmt::Debug for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::values::printer::write_string(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is a tag and one word (see [`Val`]).
    #[test]
    fn a_value_is_two_words() {
        assert_eq!(std::mem::size_of::<Val>(), 16);
    }

    #[test]
    fn word_payloads_give_back_what_went_in() {
        for b in [false, true] {
            assert_eq!(BoolBits::new(b).get(), b);
        }
        assert!(BoolBits::new(false) == BoolBits::FALSE);
        assert!(BoolBits::new(true) == BoolBits::TRUE);
        for f in [0.0, -0.0, 1.5, f64::INFINITY, f64::NAN, f64::MIN_POSITIVE] {
            assert_eq!(RealBits::new(f).get().to_bits(), f.to_bits());
        }
        for c in ['\0', 'a', 'é', '\u{10FFFF}', '😀'] {
            assert_eq!(CharBits::new(c).get(), c);
        }
    }
}
