//! Customer ids into dense ids ([`custseg::keys::Keys`]): random string and
//! integer ids of every layout, in random arrays one after the other. Every
//! row's id must name its own key, equal keys get equal ids across arrays
//! (after the [`Remap`] each call returns), and nulls get [`NULL_ID`].

use std::collections::HashMap;
use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int16Type;
use arrow_array::{Array, ArrayRef, Int64Array, LargeStringArray, StringArray, StringViewArray};
use custseg::keys::{KeyKind, Keys, Remap, NULL_ID};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Layout {
    Utf8,
    Large,
    View,
    Dictionary,
}

/// One id: `None` is a null.
#[derive(Arbitrary, Debug)]
enum Id {
    /// A string id built from bytes (lossy UTF-8), repeated `times` to reach any length.
    Text {
        bytes: Vec<u8>,
        times: u8,
    },
    /// A number written as a string id, as systems often do.
    Numbered(u16),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Case {
    Strings(Vec<(Layout, Vec<Id>)>),
    Ints(Vec<Vec<Option<i64>>>),
}

pub fn run(data: &[u8]) {
    match Case::arbitrary(&mut Unstructured::new(data)) {
        Ok(Case::Strings(arrays)) => strings(arrays),
        Ok(Case::Ints(arrays)) => ints(arrays),
        Err(_) => {}
    }
}

fn text(id: &Id) -> Option<String> {
    match id {
        Id::Text { bytes, times } => {
            Some(String::from_utf8_lossy(bytes).repeat(usize::from(*times % 8).max(1)))
        }
        Id::Numbered(n) => Some(format!("CUST-{n:07}")),
        Id::Null => None,
    }
}

fn string_array(layout: Layout, ids: &[Option<String>]) -> ArrayRef {
    let it = || ids.iter().map(|s| s.as_deref());
    match layout {
        Layout::Utf8 => Arc::new(StringArray::from_iter(it())),
        Layout::Large => Arc::new(LargeStringArray::from_iter(it())),
        Layout::View => Arc::new(StringViewArray::from_iter(it())),
        Layout::Dictionary => {
            let mut b = StringDictionaryBuilder::<Int16Type>::new();
            for s in it() {
                match s {
                    Some(s) if b.append(s).is_ok() => {}
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}

fn strings(arrays: Vec<(Layout, Vec<Id>)>) {
    let mut keys = Keys::new(KeyKind::Str);
    let mut seen = Seen::default();
    for (layout, ids) in arrays.iter().take(16) {
        let ids: Vec<Option<String>> = ids.iter().map(text).collect();
        let array = string_array(*layout, &ids);
        // A dictionary of Int16 keys may have turned rows past its capacity into nulls.
        let ids: Vec<Option<String>> = (0..array.len())
            .map(|i| {
                if array.is_null(i) && !array.data_type().is_nested() {
                    None
                } else {
                    ids[i].clone()
                }
            })
            .collect();
        let shown: Vec<Option<String>> = ids
            .iter()
            .map(|s| s.as_ref().map(|s| format!("'{s}'")))
            .collect();
        intern_and_check(&mut keys, &mut seen, array.as_ref(), &shown);
    }
}

fn ints(arrays: Vec<Vec<Option<i64>>>) {
    let mut keys = Keys::new(KeyKind::Int);
    let mut seen = Seen::default();
    for ids in arrays.iter().take(16) {
        let array = Int64Array::from_iter(ids.iter().copied());
        let shown: Vec<Option<String>> = ids.iter().map(|v| v.map(|v| v.to_string())).collect();
        intern_and_check(&mut keys, &mut seen, &array, &shown);
    }
}

/// The ids handed out so far, by the key as [`Keys::display`] shows it, and
/// the rows seen.
#[derive(Default)]
struct Seen {
    ids: HashMap<String, u32>,
    rows: usize,
}

fn intern_and_check(keys: &mut Keys, seen: &mut Seen, array: &dyn Array, shown: &[Option<String>]) {
    let mut out = vec![];
    let remap = match keys.intern_array(array, seen.rows, &mut out) {
        Ok(r) => r,
        Err(e) => panic!("interning failed: {e}"),
    };
    seen.rows += array.len();
    apply(keys, &remap, &mut seen.ids);
    assert_eq!(out.len(), array.len());
    for (i, (id, key)) in out.iter().zip(shown).enumerate() {
        let Some(key) = key else {
            assert_eq!(*id, NULL_ID, "row {i}: a null must get NULL_ID");
            continue;
        };
        assert!(
            (*id as usize) < keys.len(),
            "row {i}: id {id} past len {}",
            keys.len()
        );
        assert_eq!(
            &keys.display(*id),
            key,
            "row {i}: id {id} names another key"
        );
        let held = *seen.ids.entry(key.clone()).or_insert(*id);
        assert_eq!(held, *id, "row {i}: key {key} got id {id}, earlier {held}");
    }
}

/// The ids held before a call, as the call's [`Remap`] says they changed.
fn apply(keys: &mut Keys, remap: &Remap, ids: &mut HashMap<String, u32>) {
    for (key, id) in ids.iter_mut() {
        *id = match remap {
            Remap::None => *id,
            Remap::Shift(k) => *id + k,
            Remap::Rebase { .. } => keys
                .intern_int_key(key.parse().expect("an integer key"))
                .expect("a hashed interner"),
            Remap::Renumber { .. } => keys.rebased(remap, &[*id]).expect("a hashed interner")[0],
            Remap::Table(t) => t[*id as usize],
        };
    }
}
