//! Ids handed out before a window change as the interner says ([`Remap`]):
//! the store brings the ids of every line it holds up to date, in memory and
//! on disk.

use rayon::prelude::*;

use super::{Layout, Store};
use crate::error::Result;
use crate::keys::{Keys, Remap, PARTITIONS};
use crate::lines::Part;

/// Which ids of the lines a remap applies to.
#[derive(Clone, Copy)]
enum Ids<'a> {
    Customers,
    /// Order ids; the lines stay in the partitions of their `customers`.
    Orders {
        customers: &'a Keys,
    },
}

impl Store {
    /// Brings the customer ids of every line held up to date after `keys`
    /// interned a window. A rebase (or, in a hashed store, a table) moves
    /// lines to the partitions of their new ids; in runs, a shift or table
    /// marks the runs held again.
    pub fn remap_customers(&mut self, keys: &mut Keys, remap: &Remap) -> Result<()> {
        self.remap(keys, Ids::Customers, remap)?;
        if matches!(remap, Remap::Shift(_) | Remap::Table(_)) {
            if let Layout::Runs(runs) = &mut self.layout {
                runs.remark(&self.mem, keys.len());
            }
        }
        Ok(())
    }

    /// Brings the order ids of every line held up to date after `orders`
    /// interned a window.
    pub fn remap_orders(
        &mut self,
        orders: &mut Keys,
        customers: &Keys,
        remap: &Remap,
    ) -> Result<()> {
        self.remap(orders, Ids::Orders { customers }, remap)
    }

    fn remap(&mut self, keys: &mut Keys, which: Ids, remap: &Remap) -> Result<()> {
        let remap_part = |keys: &mut Keys, p: &mut Part| -> Result<()> {
            let mut ids: Vec<&mut u32> = match which {
                Ids::Orders { .. } => p.orders.iter_mut().flatten().collect(),
                Ids::Customers => p.lines.iter_mut().map(|l| &mut l.customer).collect(),
            };
            apply_remap(keys, remap, &mut ids)
        };
        match remap {
            Remap::None => Ok(()),
            Remap::Shift(s) => {
                for p in self.mem.iter_mut() {
                    remap_part(keys, p)?;
                }
                // Spilled blocks are brought up to date when read.
                match which {
                    Ids::Customers => self.shift.0 += s,
                    Ids::Orders { .. } => self.shift.1 += s,
                }
                Ok(())
            }
            Remap::Table(_) if self.is_runs() => {
                // Runs stay where they are (nothing is spilled in runs).
                for p in self.mem.iter_mut() {
                    remap_part(keys, p)?;
                }
                Ok(())
            }
            Remap::Rebase { .. } | Remap::Renumber { .. } | Remap::Table(_) => {
                // Every line held is re-interned, and (customer ids) moved to the
                // partition of its new id: the lines in memory, then the spilled ones.
                // A store in runs turns hashed.
                let mem = self.take_all();
                let spilled = self.take_spill()?;
                let mut put_back = |keys: &mut Keys, mut part: Part| -> Result<()> {
                    remap_part(keys, &mut part)?;
                    match which {
                        Ids::Orders { customers } => self.push_part(&part, customers),
                        Ids::Customers => self.push_part(&part, keys),
                    }
                };
                for part in mem {
                    put_back(keys, part)?;
                }
                if let Some(spilled) = spilled {
                    for p in 0..PARTITIONS {
                        spilled.blocks(p, |block| put_back(keys, block))?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Brings ids handed out before the last `intern_array` up to date (rare:
/// an integer range that grows downwards or turns sparse; strings out of
/// order; numbered strings of another form).
fn apply_remap(keys: &mut Keys, remap: &Remap, ids: &mut [&mut u32]) -> Result<()> {
    match *remap {
        Remap::None => {}
        Remap::Table(ref table) => ids
            .par_iter_mut()
            .for_each(|id| **id = table[**id as usize]),
        Remap::Shift(s) => ids.par_iter_mut().for_each(|id| **id += s),
        Remap::Rebase { .. } | Remap::Renumber { .. } => {
            // Re-intern the distinct old ids that occur, in id order, then map every id.
            let mut old: Vec<u32> = ids.par_iter().map(|id| **id).collect();
            old.par_sort_unstable();
            old.dedup();
            let new = keys.rebased(remap, &old)?;
            ids.par_iter_mut()
                .for_each(|id| **id = new[old.binary_search(&**id).expect("an old id")]);
        }
    }
    Ok(())
}
