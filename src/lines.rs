//! The data that flows from the ingestion to the storage to the engine: a
//! window of converted rows ([`Rows`]), the [`Line`]s they become (one or more
//! adjacent rows of one customer on one day, summed), the lines of one
//! partition ([`Part`]) and the counts kept on the way ([`Stats`]).
//!
//! A leaf module: it depends on nothing else in the crate.

/// One or more adjacent transaction rows of one customer on one day (and of
/// one order), summed: 16 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    /// Dense customer id (see [`crate::keys::Keys`]).
    pub customer: u32,
    /// Days since 1970-01-01 (I1).
    pub day: i32,
    /// Millionths (I6).
    pub amount: i64,
}

impl Line {
    /// A line of `customer` on `day` with `amount` millionths.
    pub const fn new(customer: u32, day: i32, amount: i64) -> Self {
        Line {
            customer,
            day,
            amount,
        }
    }
}

/// The lines of one partition of the customers.
#[derive(Debug, Default)]
pub struct Part {
    pub lines: Vec<Line>,
    /// Dense order ids aligned with `lines`, when there is an order column (I2).
    pub orders: Option<Vec<u32>>,
}

impl Part {
    /// An empty part, with order ids when `has_orders`, room for `capacity` lines.
    pub fn with_capacity(has_orders: bool, capacity: usize) -> Self {
        Part {
            lines: Vec::with_capacity(capacity),
            orders: has_orders.then(|| Vec::with_capacity(capacity)),
        }
    }

    /// Appends a line and its order id (ignored without order ids).
    #[inline]
    pub fn push(&mut self, line: Line, order: u32) {
        self.lines.push(line);
        if let Some(o) = self.orders.as_mut() {
            o.push(order);
        }
    }

    /// The order id of line `i` (0 without order ids).
    #[inline]
    pub fn order(&self, i: usize) -> u32 {
        self.orders.as_ref().map_or(0, |o| o[i])
    }

    /// Removes every line, keeping the memory.
    pub fn clear(&mut self) {
        self.lines.clear();
        if let Some(o) = self.orders.as_mut() {
            o.clear();
        }
    }

    /// Keeps the first `n` lines.
    pub fn truncate(&mut self, n: usize) {
        self.lines.truncate(n);
        if let Some(o) = self.orders.as_mut() {
            o.truncate(n);
        }
    }

    /// Appends the lines of `other` (which has order ids exactly when `self` has).
    pub fn extend_from(&mut self, other: &Part) {
        self.lines.extend_from_slice(&other.lines);
        if let (Some(d), Some(s)) = (self.orders.as_mut(), other.orders.as_ref()) {
            d.extend_from_slice(s);
        }
    }
}

/// The converted rows of a window of the input (see [`crate::ingest`]).
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    /// Customer ids ([`crate::keys::NULL_ID`] for a null).
    pub cids: &'a [u32],
    pub days: &'a [i32],
    pub amounts: &'a [i64],
    /// Order ids, when purchase events are orders (I2).
    pub oids: Option<&'a [u32]>,
    /// Valid rows (all when empty).
    pub ok: &'a [bool],
    /// The run's explicit `as_of` (I3), if any: valid rows on or after it are counted.
    pub as_of: Option<i32>,
}

impl Rows<'_> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.cids.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.cids.is_empty()
    }

    /// The counts of the valid rows `range` when every row is valid: tight
    /// loops the compiler vectorises.
    pub fn stats_all_valid(&self, range: std::ops::Range<usize>) -> Stats {
        let d = &self.days[range];
        Stats {
            rows: d.len() as u64,
            min_day: d.iter().copied().fold(i32::MAX, i32::min),
            max_day: d.iter().copied().fold(i32::MIN, i32::max),
            on_or_after: self
                .as_of
                .map_or(0, |x| d.iter().map(|&v| u64::from(v >= x)).sum()),
        }
    }
}

/// Counts over the valid rows of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub rows: u64,
    /// Rows on or after the run's `as_of` ([`Rows::as_of`]).
    pub on_or_after: u64,
    pub min_day: i32,
    pub max_day: i32,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            rows: 0,
            on_or_after: 0,
            min_day: i32::MAX,
            max_day: i32::MIN,
        }
    }
}

impl Stats {
    /// Adds the counts of `o`.
    pub fn add(&mut self, o: Stats) {
        self.rows += o.rows;
        self.on_or_after += o.on_or_after;
        self.min_day = self.min_day.min(o.min_day);
        self.max_day = self.max_day.max(o.max_day);
    }

    /// Counts one valid row on `day` (the rows of windows with invalid rows).
    #[inline]
    pub fn count(&mut self, day: i32, as_of: Option<i32>) {
        self.rows += 1;
        self.on_or_after += u64::from(as_of.is_some_and(|x| day >= x));
        self.min_day = self.min_day.min(day);
        self.max_day = self.max_day.max(day);
    }
}
