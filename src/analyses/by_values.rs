//! The values of the profile's `by` columns (A1): each column's values coded
//! as they appear, combinations of several columns coded in stages, and the
//! output order (a categorical column's categories in their order, other
//! values sorted, null last).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Schema};
use hashbrown::HashMap;
use rayon::prelude::*;

use super::keyed::{dictionary_keys, each_key, owned_keys, Key, KeyType, OwnedKey};
use crate::error::{CoreError, Result};

/// Types a `by` column may have.
const BY_TYPES: &str = "strings, integers, booleans, or categories (dictionaries) of those";

/// One `by` column's values, coded in order of appearance.
#[derive(Debug)]
struct ByColumn {
    index: usize,
    kind: KeyType,
    /// Every batch so far was a dictionary: keep the categories' order.
    categorical: bool,
    map: HashMap<OwnedKey, u32>,
    values: Vec<OwnedKey>,
}

impl ByColumn {
    fn intern(&mut self, k: Key<'_>) -> u32 {
        if let Some(&c) = self.map.get(&k) {
            return c;
        }
        let c = self.values.len() as u32;
        self.values.push(k.to_owned_key());
        self.map.insert(k.to_owned_key(), c);
        c
    }

    /// The codes of the rows of `array` into `out`.
    fn code(&mut self, array: &dyn Array, out: &mut Vec<u32>) -> Result<()> {
        out.clear();
        out.resize(array.len(), 0);
        if let DataType::Dictionary(_, _) = array.data_type() {
            // Few distinct values: intern the dictionary, then map the keys.
            let d = array.as_any_dictionary();
            let ids = owned_keys(d.values().as_ref())?;
            let ids: Vec<u32> = ids.iter().map(|k| self.intern(k.as_key())).collect();
            let nulls = array.logical_nulls();
            let null = nulls.as_ref().map(|_| self.intern(Key::Null));
            let keys = dictionary_keys(d);
            out.par_iter_mut().enumerate().for_each(|(i, o)| {
                *o = match (&nulls, null) {
                    (Some(n), Some(c)) if n.is_null(i) => c,
                    _ => ids[keys[i]],
                }
            });
            return Ok(());
        }
        self.categorical = false;
        each_key(array, |i, k| out[i] = self.intern(k))
    }

    /// The rank of every code in the output order.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
        if !self.categorical {
            order.sort_by(|&a, &b| self.values[a as usize].cmp(&self.values[b as usize]));
        } else {
            // Categories in their order; a null after them.
            order.sort_by_key(|&c| self.values[c as usize] == OwnedKey::Null);
        }
        let mut rank = vec![0; order.len()];
        order
            .iter()
            .enumerate()
            .for_each(|(r, &c)| rank[c as usize] = r as u32);
        rank
    }

    /// The values of `codes`, as an Arrow array of the column's kind.
    fn array(&self, codes: &[u32]) -> ArrayRef {
        let value = |c: u32| &self.values[c as usize];
        match self.kind {
            KeyType::Int => Arc::new(Int64Array::from_iter(codes.iter().map(|&c| {
                match value(c) {
                    OwnedKey::Int(x) => Some(*x),
                    _ => None,
                }
            }))),
            KeyType::Bool => Arc::new(BooleanArray::from_iter(codes.iter().map(
                |&c| match value(c) {
                    OwnedKey::Int(x) => Some(*x != 0),
                    _ => None,
                },
            ))),
            KeyType::Str => Arc::new(StringArray::from_iter(codes.iter().map(|&c| {
                match value(c) {
                    // The bytes came from an Arrow string column: UTF-8.
                    OwnedKey::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
                    _ => None,
                }
            }))),
        }
    }
}

/// Combinations of two codes coded in order of appearance: one stage per
/// extra `by` column.
#[derive(Debug, Default)]
struct Stage {
    map: HashMap<(u32, u32), u32>,
    pairs: Vec<(u32, u32)>,
}

impl Stage {
    /// `acc[i]` becomes the code of the pair `(acc[i], next[i])`.
    fn fold(&mut self, acc: &mut [u32], next: &[u32]) {
        for (a, &b) in acc.iter_mut().zip(next) {
            let n = self.pairs.len() as u32;
            *a = *self.map.entry((*a, b)).or_insert_with(|| {
                self.pairs.push((*a, b));
                n
            });
        }
    }
}

/// The `by` columns of a profile and the combinations of their values.
#[derive(Debug)]
pub struct ByValues {
    columns: Vec<ByColumn>,
    stages: Vec<Stage>,
    scratch: Vec<u32>,
}

impl ByValues {
    /// Finds the `by` columns (an error names a missing one and the columns
    /// there are).
    pub fn find(schema: &Schema, names: &[String]) -> Result<Vec<usize>> {
        if names.is_empty() {
            return Err(CoreError::Config(
                "by must name at least one column (a category, a channel...) (rule A1)".into(),
            ));
        }
        let available = || {
            let names: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| format!("'{}'", f.name()))
                .collect();
            names.join(", ")
        };
        names
            .iter()
            .map(|name| {
                schema
                    .index_of(name)
                    .map_err(|_| CoreError::ColumnNotFound {
                        column: name.clone(),
                        role: "by",
                        available: available(),
                    })
            })
            .collect()
    }

    /// The `by` columns at `indexes` (see [`ByValues::find`]), their types
    /// checked (I4).
    pub fn new(schema: &Schema, indexes: &[usize]) -> Result<ByValues> {
        let columns = indexes
            .iter()
            .map(|&index| {
                let field = schema.field(index);
                let dt = field.data_type();
                let kind = KeyType::of(dt).ok_or_else(|| CoreError::UnsupportedType {
                    column: field.name().clone(),
                    role: "by",
                    dtype: dt.to_string(),
                    accepted: BY_TYPES,
                })?;
                Ok(ByColumn {
                    index,
                    kind,
                    categorical: matches!(dt, DataType::Dictionary(_, _)),
                    map: HashMap::new(),
                    values: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let stages = (1..columns.len()).map(|_| Stage::default()).collect();
        Ok(ByValues {
            columns,
            stages,
            scratch: Vec::new(),
        })
    }

    /// [`ByValues::find`], then [`ByValues::new`].
    #[cfg(test)]
    pub fn locate(schema: &Schema, names: &[String]) -> Result<ByValues> {
        ByValues::new(schema, &ByValues::find(schema, names)?)
    }

    /// The combination codes of rows `start..start + n` of `batch` into `out`.
    pub fn code(
        &mut self,
        batch: &RecordBatch,
        start: usize,
        n: usize,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        let (first, rest) = self
            .columns
            .split_first_mut()
            .expect("at least one by column");
        first.code(batch.column(first.index).slice(start, n).as_ref(), out)?;
        for (col, stage) in rest.iter_mut().zip(&mut self.stages) {
            col.code(
                batch.column(col.index).slice(start, n).as_ref(),
                &mut self.scratch,
            )?;
            stage.fold(out, &self.scratch);
        }
        Ok(())
    }

    /// How many combinations were coded so far.
    pub fn len(&self) -> usize {
        match self.stages.last() {
            Some(s) => s.pairs.len(),
            None => self.columns[0].values.len(),
        }
    }

    /// The per-column codes of combination `combo`.
    fn tuple(&self, mut combo: u32) -> Vec<u32> {
        let mut out = vec![0; self.columns.len()];
        for (j, stage) in self.stages.iter().enumerate().rev() {
            let (a, b) = stage.pairs[combo as usize];
            out[j + 1] = b;
            combo = a;
        }
        out[0] = combo;
        out
    }

    /// The combinations with `used[c]`, in output order: by the rank of the
    /// first column's value, then the second's, ...
    pub fn order(&self, used: &[bool]) -> Vec<u32> {
        let ranks: Vec<Vec<u32>> = self.columns.iter().map(ByColumn::ranks).collect();
        let mut keyed: Vec<(Vec<u32>, u32)> = (0..self.len() as u32)
            .filter(|&c| used[c as usize])
            .map(|c| {
                let t = self.tuple(c);
                (
                    t.iter().zip(&ranks).map(|(&v, r)| r[v as usize]).collect(),
                    c,
                )
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, c)| c).collect()
    }

    /// One array per `by` column: the values of each combination of `combos`.
    pub fn arrays(&self, combos: &[u32]) -> Vec<ArrayRef> {
        let tuples: Vec<Vec<u32>> = combos.iter().map(|&c| self.tuple(c)).collect();
        self.columns
            .iter()
            .enumerate()
            .map(|(j, col)| col.array(&tuples.iter().map(|t| t[j]).collect::<Vec<_>>()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int8Type;
    use arrow_array::DictionaryArray;
    use arrow_schema::Field;

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols).unwrap()
    }

    #[test]
    fn plain_values_sort_and_categories_keep_their_order() {
        let dict: DictionaryArray<Int8Type> = vec![Some("web"), Some("store"), None, Some("web")]
            .into_iter()
            .collect();
        let b = batch(vec![
            ("channel", Arc::new(dict) as ArrayRef),
            (
                "cat",
                Arc::new(StringArray::from(vec!["b", "a", "b", "c"])) as ArrayRef,
            ),
        ]);
        let names = vec!["channel".to_string(), "cat".to_string()];
        let mut by = ByValues::locate(&b.schema(), &names).unwrap();
        let mut codes = Vec::new();
        by.code(&b, 0, 4, &mut codes).unwrap();
        assert_eq!(codes, vec![0, 1, 2, 3]);
        let order = by.order(&[true; 4]);
        let arrays = by.arrays(&order);
        let channel: Vec<_> = arrays[0].as_string::<i32>().iter().collect();
        let cat: Vec<_> = arrays[1].as_string::<i32>().iter().collect();
        // web before store (dictionary order), null last; cat sorted within.
        assert_eq!(channel, vec![Some("web"), Some("web"), Some("store"), None]);
        assert_eq!(cat, vec![Some("b"), Some("c"), Some("a"), Some("b")]);
    }

    #[test]
    fn unsupported_and_missing_columns_are_named() {
        let schema = Schema::new(vec![Field::new("x", DataType::Float64, true)]);
        let e = ByValues::locate(&schema, &["x".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'x'") && e.contains("Float64"), "{e}");
        let e = ByValues::locate(&schema, &["y".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'y'") && e.contains("'x'"), "{e}");
        assert!(ByValues::locate(&schema, &[]).is_err());
    }
}
