//! Where a tier pool's size N and its order statistics come from (CV6, R2,
//! CLV2, and the medians of CLV3 and CLV3a).
//!
//! On one machine a pool is the values at hand ([`Whole`]). A run in pieces
//! (`custseg.spark`: one Spark task at a time) holds only some members of
//! each pool; N and the values at the ranks the rules need are counted over
//! every piece and handed back ([`crate::distributed`]). The rule modules ask
//! a [`Ranks`] for both, so the tiers and medians of a piece come out of the
//! same code as on one machine, and equal (I5).

use crate::tiers::{select_ranks, tiers_given};

/// A pool of values ranked by a rule, as the rule modules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pool {
    /// CV6: the monetary values of one tier pool (0: 2 ACT, 1: 3 COLD, 2: 4 LOST).
    Cv(u8),
    /// R2: the last purchase day, the purchase events, the monetary key.
    RfmR,
    RfmF,
    RfmM,
    /// CLV2 and the CLV3 value median: the ordered clv keys.
    Clv,
    /// The CLV3 loyalty median and the CLV3a tenure median (ordered keys).
    Loyalty,
    Tenure,
}

impl Pool {
    /// Every pool, in code order.
    pub const ALL: [Pool; 9] = [
        Pool::Cv(0),
        Pool::Cv(1),
        Pool::Cv(2),
        Pool::RfmR,
        Pool::RfmF,
        Pool::RfmM,
        Pool::Clv,
        Pool::Loyalty,
        Pool::Tenure,
    ];

    /// The pool's code in a table of keys (its place in [`Pool::ALL`]).
    pub fn code(self) -> u8 {
        Pool::ALL.iter().position(|&p| p == self).expect("a pool") as u8
    }

    /// The pool of a code, `None` for an unknown one.
    pub fn of_code(code: u8) -> Option<Pool> {
        Pool::ALL.get(usize::from(code)).copied()
    }
}

/// A pool's size and order statistics.
pub trait Ranks: Sync {
    /// N: the number of members of `pool`, of which `here` are those at hand.
    fn size(&self, pool: Pool, here: &[i64]) -> usize;
    /// The values of the whole pool at the ascending ranks `ranks` (sorted,
    /// each below [`Ranks::size`]).
    fn select(&self, pool: Pool, here: &[i64], ranks: &[usize]) -> Vec<i64>;
    /// True when `here` is always the whole pool, so that a rule may count
    /// the values at hand instead of selecting (R2's counting path).
    fn whole(&self) -> bool {
        false
    }
}

/// One machine: every pool is the values at hand.
pub struct Whole;

impl Ranks for Whole {
    fn size(&self, _: Pool, here: &[i64]) -> usize {
        here.len()
    }

    fn select(&self, _: Pool, here: &[i64], ranks: &[usize]) -> Vec<i64> {
        select_ranks(here, ranks)
    }

    fn whole(&self) -> bool {
        true
    }
}

/// The tier of every value at hand of `pool`: `tier_of(g, N)` with `g` the
/// members of the whole pool strictly greater (see [`crate::tiers::tiers_by`]).
pub fn pool_tiers(
    values: &[i64],
    pool: Pool,
    ranks: &dyn Ranks,
    tiers: u8,
    tier_of: impl Fn(u64, usize) -> u8 + Sync,
) -> Vec<u8> {
    let n = ranks.size(pool, values);
    tiers_given(
        values,
        n,
        tiers,
        |g| tier_of(g, n),
        |r| ranks.select(pool, values, r),
    )
}
