//! A run in pieces equals the run on one machine (I5): the stages of
//! `custseg.spark` driven by hand, the pools counted over every piece.

use arrow_array::{Date32Array, Float64Array, Int64Array};
use arrow_schema::Schema;

use super::*;
use crate::clv::{churn_counts, lifetime_of_counts, ClvOptions};
use crate::customer_value::CvOptions;
use crate::ingest::{ingest, ColumnNames, IngestOptions};
use crate::rfm::RfmOptions;
use crate::segment::segment;

/// Rows of `customers` customers over three years (pseudo-random, with
/// returns, ties of money and several lines a day).
fn rows(customers: i64, seed: u64) -> Vec<(i64, i32, f64)> {
    let mut x = seed;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let start = crate::periods::parse_day("2021-01-01").unwrap();
    (0..customers * 6)
        .map(|_| {
            let c = next(customers as u64) as i64;
            let day = start + next(3 * 365) as i32;
            let amount = match next(10) {
                0 => -5.0,
                1..=3 => 10.0,
                _ => next(20_000) as f64 / 100.0,
            };
            (c, day, amount)
        })
        .collect()
}

fn ingest_rows(rows: &[(i64, i32, f64)], as_of: Option<i32>) -> Ingested {
    let schema = Arc::new(Schema::new(vec![
        Field::new("c", DataType::Int64, false),
        Field::new("d", DataType::Date32, false),
        Field::new("a", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
        ],
    )
    .unwrap();
    let names = ColumnNames {
        customer: "c".into(),
        date: "d".into(),
        amount: "a".into(),
        order: None,
    };
    let io = IngestOptions {
        as_of,
        ..Default::default()
    };
    ingest([Ok(batch)], &schema, &names, &io, &Cancel::new()).unwrap()
}

fn what(lifetime: Option<f64>) -> What {
    let names = ["cv", "rfm", "clv"].map(String::from);
    let clv = ClvOptions {
        lifetime_years: lifetime,
        ..Default::default()
    };
    What::parse(&names, CvOptions::default(), RfmOptions::default(), clv).unwrap()
}

/// The pools' sizes and their values at the wanted ranks, from the keys of
/// every piece (what Spark counts).
fn given(keys: &[RecordBatch], what: &What) -> Given {
    let mut pools: BTreeMap<Pool, Vec<i64>> = BTreeMap::new();
    for k in keys {
        let codes = k.column(0).as_primitive::<Int8Type>();
        let values = k.column(1).as_primitive::<Int64Type>();
        for (c, v) in codes.values().iter().zip(values.values()) {
            pools
                .entry(Pool::of_code(*c as u8).unwrap())
                .or_default()
                .push(*v);
        }
    }
    let sizes: BTreeMap<Pool, usize> = pools.iter().map(|(p, v)| (*p, v.len())).collect();
    let mut at = BTreeMap::new();
    for (pool, rank) in wanted(what, &sizes).unwrap() {
        let mut v = pools[&pool].clone();
        v.sort_unstable();
        at.insert((pool, rank), v[rank]);
    }
    Given { sizes, at }
}

/// The rows of a batch as text, sorted (labels as their strings).
fn text_rows(batch: &RecordBatch) -> Vec<String> {
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Dictionary(..) => arrow_cast::cast(c, &DataType::Utf8).unwrap(),
            _ => c.clone(),
        })
        .collect();
    let shown: Vec<_> = columns
        .iter()
        .map(|c| arrow_cast::display::ArrayFormatter::try_new(c, &Default::default()).unwrap())
        .collect();
    let mut out: Vec<String> = (0..batch.num_rows())
        .map(|r| {
            shown
                .iter()
                .map(|f| f.value(r).to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn pieces_equal_one_machine() {
    let rows = rows(400, 7);
    let as_of = crate::periods::parse_day("2024-01-01").unwrap();
    let opts = Options {
        as_of: Some(as_of),
        ..Default::default()
    };
    let cancel = Cancel::new();
    let (whole, whole_report) = segment(
        ingest_rows(&rows, Some(as_of)),
        "c",
        &opts,
        &what(None),
        &cancel,
    )
    .unwrap();
    // Three pieces, every line of a customer in one of them.
    let mut facts_of = Vec::new();
    let (mut base, mut stayed, mut customers) = (0, 0, 0);
    for piece in 0..3 {
        let mine: Vec<_> = rows.iter().copied().filter(|r| r.0 % 3 == piece).collect();
        let (f, report) = facts(ingest_rows(&mine, Some(as_of)), "c", &opts, &cancel).unwrap();
        customers += report.customers;
        for c in f
            .column_by_name("_churn")
            .unwrap()
            .as_primitive::<Int8Type>()
            .values()
        {
            let (b, s) = churn_counts(*c as u8);
            (base, stayed) = (base + b, stayed + s);
        }
        facts_of.push(f);
    }
    assert_eq!(customers, whole_report.customers);
    let what = what(Some(lifetime_of_counts(base, stayed).unwrap()));
    let keys: Vec<_> = facts_of
        .iter()
        .map(|f| keys(f, as_of, &what).unwrap())
        .collect();
    let given = given(&keys, &what);
    let mut pieces = Vec::new();
    for f in &facts_of {
        pieces.extend(text_rows(&labels(f, "c", as_of, &what, &given).unwrap()));
    }
    pieces.sort();
    assert_eq!(pieces, text_rows(&whole));
    assert_eq!(pieces.len(), whole.num_rows());
}

#[test]
fn labels_refuse_missing_ranks() {
    let as_of = crate::periods::parse_day("2024-01-01").unwrap();
    let opts = Options {
        as_of: Some(as_of),
        ..Default::default()
    };
    let (f, _) = facts(
        ingest_rows(&rows(50, 3), Some(as_of)),
        "c",
        &opts,
        &Cancel::new(),
    )
    .unwrap();
    let what = what(Some(2.0));
    let given = Given {
        sizes: [(Pool::Cv(0), 10)].into_iter().collect(),
        at: BTreeMap::new(),
    };
    assert!(matches!(
        labels(&f, "c", as_of, &what, &given),
        Err(CoreError::Internal(_))
    ));
    assert!(matches!(
        keys(&f, as_of, &super::tests::what(None)),
        Err(CoreError::Internal(_))
    ));
}

#[test]
fn a_piece_after_as_of_has_no_customers_and_no_error() {
    let as_of = crate::periods::parse_day("2020-01-01").unwrap();
    let opts = Options {
        as_of: Some(as_of),
        ..Default::default()
    };
    let (f, report) = facts(
        ingest_rows(&rows(20, 5), Some(as_of)),
        "c",
        &opts,
        &Cancel::new(),
    )
    .unwrap();
    assert_eq!(f.num_rows(), 0);
    assert_eq!(report.customers, 0);
    assert_eq!(report.customers_without_purchase, report.customers_seen);
    assert_eq!(report.rows_after_as_of, report.rows_read);
}

#[test]
fn a_history_piece_after_its_last_boundary_counts_its_customers() {
    // Found by the Spark history's property test: a piece whose customers
    // have lines only after the last boundary reported none seen, while one
    // machine counts them among those without a purchase.
    let bounds: Vec<i32> = ["2019-07-01", "2020-01-01"]
        .iter()
        .map(|d| crate::periods::parse_day(d).unwrap())
        .collect();
    let ing = ingest_rows(&rows(20, 5), None);
    let seen = ing.customers.len() as u64;
    let opts = Options::default();
    let (f, report) = history_facts(ing, "c", &opts, &bounds, &Cancel::new()).unwrap();
    assert_eq!(f.num_rows(), 0);
    assert!(seen > 0);
    assert_eq!(report.customers_seen, seen);
    assert_eq!(report.customers_without_purchase, seen);
    assert_eq!(report.customers, 0);
}

#[test]
fn history_facts_equal_the_facts_as_of_each_boundary() {
    let rows = rows(120, 11);
    let bounds: Vec<i32> = ["2022-01-01", "2022-07-01", "2023-01-01", "2023-07-01"]
        .iter()
        .map(|d| crate::periods::parse_day(d).unwrap())
        .collect();
    let cancel = Cancel::new();
    let opts = Options::default();
    let (h, _) = history_facts(ingest_rows(&rows, None), "c", &opts, &bounds, &cancel).unwrap();
    let b = h
        .column_by_name("_b")
        .unwrap()
        .as_primitive::<arrow_array::types::Int32Type>();
    for (j, &day) in bounds.iter().enumerate() {
        let keep: arrow_array::BooleanArray =
            b.values().iter().map(|&x| Some(x == j as i32)).collect();
        let at_j = arrow_select::filter::filter_record_batch(&h, &keep).unwrap();
        let snapshot = Options {
            as_of: Some(day),
            ..Default::default()
        };
        let (f, _) = facts(ingest_rows(&rows, Some(day)), "c", &snapshot, &cancel).unwrap();
        // The same customers and facts; only the boundary index differs.
        let drop_b = |x: &RecordBatch| {
            x.project(&(0..x.num_columns() - 1).collect::<Vec<_>>())
                .unwrap()
        };
        assert_eq!(
            text_rows(&drop_b(&at_j)),
            text_rows(&drop_b(&f)),
            "boundary {j}"
        );
    }
}
