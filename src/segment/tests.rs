//! The segmentations end to end, rows in and columns out: the rules of
//! sections 2-4 on hand-worked examples, and I5 (row order, chunking, id
//! layouts, the runs and hashed layouts of the store).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, Int8Type};
use arrow_array::{Date32Array, Float64Array, Int64Array};
use arrow_schema::{DataType, Schema};

use super::*;
use crate::ingest::{ingest, ColumnNames, IngestOptions};
use crate::periods::parse_day;

fn d(s: &str) -> i32 {
    parse_day(s).unwrap()
}

/// The options of a test run: the engine's and the Customer Value labels'.
#[derive(Clone, Default)]
struct Opts {
    pass: Options,
    cv: CvOptions,
}

fn opts(as_of: &str) -> Opts {
    Opts {
        pass: Options {
            as_of: Some(d(as_of)),
            ..Default::default()
        },
        cv: CvOptions::default(),
    }
}

/// Runs the segmentation on (customer, date, amount) rows; returns
/// (customer, group, segment, k, n, monetary) per customer.
fn run(rows: &[(i64, &str, f64)], o: &Opts) -> Vec<(i64, String, String, i32, i64, f64)> {
    run_chunked(rows, o, rows.len().max(1))
}

/// [`run`] with the rows in record batches of `chunk` rows.
fn run_chunked(
    rows: &[(i64, &str, f64)],
    o: &Opts,
    chunk: usize,
) -> Vec<(i64, String, String, i32, i64, f64)> {
    run_ingested(ingest_rows(rows, o.pass.as_of, chunk, None), o)
}

/// (customer, date, amount) rows as one record batch of columns `c`, `d`, `a`,
/// with the names of those columns.
fn batch_of(rows: &[(i64, &str, f64)]) -> (Arc<Schema>, RecordBatch, ColumnNames) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("c", DataType::Int64, false),
        Field::new("d", DataType::Date32, false),
        Field::new("a", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| d(r.1)))),
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
    (schema, batch, names)
}

/// `batch` in record batches of `chunk` rows.
fn slices(
    batch: &RecordBatch,
    chunk: usize,
) -> impl Iterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>> + '_ {
    (0..batch.num_rows())
        .step_by(chunk)
        .map(move |s| Ok(batch.slice(s, chunk.min(batch.num_rows() - s))))
}

/// Ingests (customer, date, amount) rows in record batches of `chunk` rows.
fn ingest_rows(
    rows: &[(i64, &str, f64)],
    as_of: Option<i32>,
    chunk: usize,
    memory_limit: Option<u64>,
) -> Ingested {
    let (schema, batch, names) = batch_of(rows);
    let io = IngestOptions {
        as_of,
        spill: crate::store::SpillOptions {
            memory_limit,
            dir: None,
        },
        ..Default::default()
    };
    ingest(slices(&batch, chunk), &schema, &names, &io, &Cancel::new()).unwrap()
}

/// The segmentation of ingested rows, as [`run`] gives it.
fn run_ingested(ing: Ingested, o: &Opts) -> Vec<(i64, String, String, i32, i64, f64)> {
    let cancel = Cancel::new();
    let (out, _) = customer_value(ing, "c", &o.pass, &o.cv, &cancel).unwrap();
    // The labels of a dictionary column (its keys normalised once, not per row).
    let labels = |i: usize| -> Vec<String> {
        let a = out.column(i).as_any_dictionary();
        let values = a.values().as_string::<i32>();
        a.normalized_keys()
            .iter()
            .map(|&k| values.value(k).to_string())
            .collect()
    };
    let (groups, segments) = (labels(1), labels(2));
    let label = |i: usize, r: usize| {
        if i == 1 {
            groups[r].clone()
        } else {
            segments[r].clone()
        }
    };
    (0..out.num_rows())
        .map(|r| {
            (
                out.column(0)
                    .as_primitive::<arrow_array::types::Int64Type>()
                    .value(r),
                label(1, r),
                label(2, r),
                out.column(3)
                    .as_primitive::<arrow_array::types::Int32Type>()
                    .value(r),
                out.column(4)
                    .as_primitive::<arrow_array::types::Int64Type>()
                    .value(r),
                out.column(5)
                    .as_primitive::<arrow_array::types::Float64Type>()
                    .value(r),
            )
        })
        .collect()
}

#[test]
fn cv1_cv2_groups_by_periods_since_last() {
    // P0 = 2026H1; ages: 2025H2 = 1, 2025H1 = 2, 2024H2 = 3, 2024H1 = 4, 2023H2 = 5.
    let rows = [
        (1, "2025-12-31", 10.0),
        (2, "2025-01-01", 10.0),
        (3, "2024-07-01", 10.0),
        (4, "2024-06-30", 10.0),
        (5, "2023-12-31", 10.0),
        (6, "2026-01-02", 10.0),
    ];
    let out = run(&rows, &opts("2026-01-10"));
    let groups: Vec<(i64, &str, i32)> = out.iter().map(|r| (r.0, r.1.as_str(), r.3)).collect();
    assert_eq!(
        groups,
        vec![
            (1, "2 ACT", 1),
            (2, "3 COLD", 2),
            (3, "4 LOST", 3),
            (4, "4 LOST", 4),
            (5, "5 LOST", 5),
            (6, "1 NEW", 0)
        ]
    );
}

#[test]
fn cv3_window_and_p3_fixed_segmentation() {
    // Customer 1: last purchase 2025H2 (k=1); window = ages 1 and 2 (2025H2, 2025H1).
    // 2024H2 (age 3) is outside; the return in 2025H1 counts; P0 buying changes nothing (P3).
    let rows = [
        (1, "2024-08-01", 1000.0),
        (1, "2025-02-01", 50.0),
        (1, "2025-03-01", -20.0),
        (1, "2025-09-01", 30.0),
        (1, "2026-01-05", 500.0),
    ];
    let out = run(&rows, &opts("2026-02-01"));
    assert_eq!(out[0].1, "2 ACT");
    assert_eq!(out[0].3, 1);
    assert_eq!(out[0].4, 3, "n counts the events with age >= 1 only");
    assert!((out[0].5 - 60.0).abs() < 1e-9, "m = 50 - 20 + 30");
    let mut one = opts("2026-02-01");
    one.pass.monetary_periods = 1;
    assert!((run(&rows, &one)[0].5 - 30.0).abs() < 1e-9);
}

#[test]
fn cv4_cv6_tiers_in_the_act_pool() {
    // 20 ACT customers with two purchases each and distinct monetary values 1..20:
    // top 1 PLATINA (r=0), next 4 GOLD (r<0.25), next 5 SILVER (r<0.5), rest BRONZE.
    let mut rows = vec![];
    for c in 1..=20i64 {
        rows.push((c, "2025-03-01", 0.5));
        rows.push((c, "2025-08-01", c as f64 - 0.5));
    }
    rows.push((21, "2025-08-01", 1e6)); // one purchase: JUNIOR, outside the pool
    let out = run(&rows, &opts("2026-01-01"));
    let seg = |c: i64| out.iter().find(|r| r.0 == c).unwrap().2.clone();
    assert_eq!(seg(20), "PLATINA");
    assert!((16..=19).all(|c| seg(c) == "GOLD"));
    assert!((11..=15).all(|c| seg(c) == "SILVER"));
    assert!((1..=10).all(|c| seg(c) == "BRONZE"));
    assert_eq!(seg(21), "JUNIOR");
}

#[test]
fn cv5_sales_only() {
    // Customer 1 bought only in January and July within the last 4 periods: 0 SOL, label by k.
    // Customer 2 also bought in March: a normal group.
    let rows = [
        (1, "2025-01-10", 10.0),
        (1, "2025-07-10", 10.0),
        (2, "2025-01-10", 10.0),
        (2, "2025-03-10", 10.0),
    ];
    let mut o = opts("2026-01-01");
    o.pass.sales_only = true;
    let out = run(&rows, &o);
    assert_eq!((out[0].1.as_str(), out[0].2.as_str()), ("0 SOL", "ACT"));
    assert_eq!(out[1].1, "3 COLD");
}

#[test]
fn i2_returns_and_zero_days() {
    // A day that nets to zero is no purchase; a customer with only returns is absent.
    let rows = [
        (1, "2025-08-01", 17.60),
        (1, "2025-08-01", 5.67),
        (1, "2025-08-01", -23.27),
        (2, "2025-08-02", -5.0),
    ];
    assert!(run(&rows, &opts("2026-01-01")).is_empty());
    let mut o = opts("2026-01-01");
    o.pass.count_zero_days = true;
    let out = run(&rows, &o);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].0, out[0].1.as_str(), out[0].5), (1, "2 ACT", 0.0));
}

#[test]
fn i5_row_order_does_not_matter() {
    let mut rows: Vec<(i64, &str, f64)> = vec![];
    let days = [
        "2024-02-01",
        "2024-09-01",
        "2025-03-03",
        "2025-08-08",
        "2025-12-01",
    ];
    for c in 0..40i64 {
        for (j, day) in days.iter().enumerate() {
            if (c + j as i64) % 3 != 0 {
                rows.push((c % 13, day, ((c * 7 + j as i64 * 3) % 11) as f64 - 2.0));
            }
        }
    }
    let a = run(&rows, &opts("2026-01-01"));
    rows.reverse();
    assert_eq!(a, run(&rows, &opts("2026-01-01")));
    rows.sort_by_key(|r| (r.1, r.0));
    assert_eq!(a, run(&rows, &opts("2026-01-01")));
}

#[test]
fn i5_chunking_and_id_layouts_do_not_matter() {
    // The first batch makes a compact id range; later batches grow it downwards
    // (ids shift) and then make it too sparse (ids are re-hashed and repartitioned).
    let mut rows: Vec<(i64, &str, f64)> = vec![];
    let days = ["2024-02-01", "2024-09-01", "2025-03-03", "2025-08-08"];
    for (j, c) in [100i64, 101, 102, 103, 50, 49, 1 << 40, -(1 << 41), 100, 49]
        .iter()
        .enumerate()
    {
        for (k, day) in days.iter().enumerate() {
            if (j + k) % 3 != 1 {
                rows.push((*c, day, (j * 7 + k) as f64 - 3.0));
            }
        }
    }
    let whole = run(&rows, &opts("2026-01-01"));
    assert_eq!(whole.len(), 8);
    for chunk in [1, 3, 7] {
        assert_eq!(
            run_chunked(&rows, &opts("2026-01-01"), chunk),
            whole,
            "chunks of {chunk}"
        );
    }
}

/// Rows grouped by customer, `per` rows each over a few days, customers in `order`.
fn grouped(order: impl IntoIterator<Item = i64>, per: usize) -> Vec<(i64, &'static str, f64)> {
    const DAYS: [&str; 5] = [
        "2024-02-01",
        "2024-09-01",
        "2025-03-03",
        "2025-03-03",
        "2025-08-08",
    ];
    let mut rows = vec![];
    for c in order {
        for j in 0..per {
            let amount = ((c * 7 + j as i64 * 3) % 11) as f64 - 2.0;
            rows.push((c, DAYS[(c as usize + j) % 5], amount));
        }
    }
    rows
}

#[test]
fn i5_input_grouped_by_customer_stays_in_runs() {
    // Customers' rows adjacent (runs, see crate::store): no scatter. Batches and the
    // parallel chunks (every 2^16 rows) cut runs; a run cut by a batch continues.
    let o = opts("2026-01-01");
    let rows = grouped((0..30_000).map(|c| (c * 7919) % 30_011), 5);
    let mut shuffled = rows.clone();
    shuffled.sort_by_key(|r| (r.1, r.0 % 97, r.0));
    let want = run(&shuffled, &o);
    assert_eq!(want.len(), 30_000);
    for chunk in [rows.len(), 4096, 999] {
        let ing = ingest_rows(&rows, o.pass.as_of, chunk, None);
        assert!(ing.lines.is_runs(), "chunks of {chunk}");
        assert_eq!(run_ingested(ing, &o), want, "chunks of {chunk}");
    }
    // Falling ids (the id range grows downwards: held ids shift, the marks follow).
    let falling = grouped((0..3000).rev(), 4);
    let ing = ingest_rows(&falling, o.pass.as_of, 1000, None);
    assert!(ing.lines.is_runs());
    let mut scattered = falling.clone();
    scattered.sort_by_key(|r| (r.1, r.0));
    assert_eq!(run_ingested(ing, &o), run(&scattered, &o));
}

#[test]
fn i5_a_customer_coming_back_turns_the_layout_hashed() {
    let o = opts("2026-01-01");
    let base = grouped(0..30_000, 5);
    let mut want_rows = base.clone();
    want_rows.sort_by_key(|r| (r.1, r.0));
    // Customer 3 comes back: in the same parallel chunk, in a later chunk (past
    // 2^16 rows), in a later batch; and right after its own run with a run between.
    for (at, chunk) in [
        (100, base.len()),
        (140_000, base.len()),
        (140_000, 50_000),
        (25, 7),
    ] {
        let mut rows = base.clone();
        rows.insert(at, (3, "2025-12-24", 1000.0));
        let mut scattered = want_rows.clone();
        scattered.push((3, "2025-12-24", 1000.0));
        let ing = ingest_rows(&rows, o.pass.as_of, chunk, None);
        assert!(!ing.lines.is_runs(), "back at {at}, chunks of {chunk}");
        let got = run_ingested(ing, &o);
        assert_eq!(got, run(&scattered, &o), "back at {at}, chunks of {chunk}");
        assert_eq!(got[3].2, "PLATINA");
    }
    // Ids turning sparse (re-hashed) and a memory budget (spilled) turn it hashed too.
    let mut sparse = base.clone();
    sparse.extend(grouped([1 << 40], 3));
    let ing = ingest_rows(&sparse, o.pass.as_of, 50_000, None);
    assert!(!ing.lines.is_runs());
    let mut scattered = sparse.clone();
    scattered.sort_by_key(|r| (r.1, r.0));
    assert_eq!(run_ingested(ing, &o), run(&scattered, &o));
    let ing = ingest_rows(&base, o.pass.as_of, 20_000, Some(100_000));
    assert!(!ing.lines.is_runs() && ing.lines.spilled_bytes() > 0);
    assert_eq!(run_ingested(ing, &o), run(&want_rows, &o));
}

/// The columns of `what` for (customer, date, amount) rows.
fn run_what(rows: &[(i64, &str, f64)], as_of: &str, what: &What) -> Result<RecordBatch> {
    let o = opts(as_of);
    let ing = ingest_rows(rows, o.pass.as_of, rows.len().max(1), None);
    Ok(segment(ing, "c", &o.pass, what, &Cancel::new())?.0)
}

#[test]
fn r1_r2_hand_worked() {
    // as_of 2026-01-01. Customer 1: two purchase days (last 2025-12-01, 31 days before),
    // net 100 - 20 (return on a third day) = 80. Customer 2: one day, 2025-06-01, 50.
    // Customer 3: one day 2025-12-31 (1 day before), 10.
    let rows = [
        (1, "2025-03-01", 60.0),
        (1, "2025-12-01", 40.0),
        (1, "2025-12-10", -20.0),
        (2, "2025-06-01", 50.0),
        (3, "2025-12-31", 10.0),
    ];
    let what = What {
        rfm: Some(RfmOptions {
            bins: 3,
            rules: vec![],
            ..Default::default()
        }),
        ..Default::default()
    };
    let out = run_what(&rows, "2026-01-01", &what).unwrap();
    let col = |name: &str| out.column(out.schema().index_of(name).unwrap()).clone();
    let rec = col("recency_days");
    assert_eq!(rec.as_primitive::<Int32Type>().values(), &[31, 214, 1]);
    assert_eq!(
        col("frequency").as_primitive::<Int64Type>().values(),
        &[2, 1, 1]
    );
    assert_eq!(
        col("monetary").as_primitive::<Float64Type>().values(),
        &[80.0, 50.0, 10.0]
    );
    // R: customer 3 best (r=0 -> 3), 1 next (r=1/3 -> 3 - 1 = 2), 2 last (r=2/3 -> 1).
    assert_eq!(
        col("r_score").as_primitive::<Int8Type>().values(),
        &[2, 1, 3]
    );
    // F: customer 1 best (3); 2 and 3 tie with one better (r=1/3 -> 2).
    assert_eq!(
        col("f_score").as_primitive::<Int8Type>().values(),
        &[3, 2, 2]
    );
    assert_eq!(
        col("m_score").as_primitive::<Int8Type>().values(),
        &[3, 2, 1]
    );
    assert_eq!(col("rfm_cell").as_string::<i32>().value(0), "233");
}

#[test]
fn i5_what_may_overflow_does_not_depend_on_row_order() {
    // The CV3 window (the last two days, 5e12 each) leaves the fixed-point range, the
    // net sum (with an old -5e12 return) does not: RFM, which needs only the net, gives
    // it whatever the order of the rows; Customer Value is an error in both orders (I6).
    let rows = [
        (1, "2024-01-10", -5e12),
        (1, "2025-11-01", 5e12),
        (1, "2025-12-01", 5e12),
    ];
    let mut reversed = rows;
    reversed.reverse();
    let rfm = What {
        rfm: Some(RfmOptions::default()),
        ..Default::default()
    };
    let cv = What {
        cv: Some(CvOptions::default()),
        ..Default::default()
    };
    for rows in [&rows, &reversed] {
        let out = run_what(rows, "2026-01-01", &rfm).unwrap();
        let m = out.column(out.schema().index_of("monetary").unwrap());
        assert_eq!(m.as_primitive::<Float64Type>().value(0), 5e12);
        let e = run_what(rows, "2026-01-01", &cv).unwrap_err();
        assert!(matches!(e, CoreError::SumOverflow { .. }), "{e}");
    }
}

#[test]
fn what_must_name_something() {
    let e = run_what(&[(1, "2025-01-01", 1.0)], "2026-01-01", &What::default());
    assert!(matches!(e, Err(CoreError::Config(m)) if m.contains("at least one")));
}

#[test]
fn small_batches_are_gathered_with_their_row_numbers() {
    // Batches far below GATHER (1024 rows in tests) are read as one window: the same
    // segments, and a bad row named by the same row number, as with one batch.
    let o = opts("2026-01-01");
    let mut rows = grouped(0..400, 4);
    assert_eq!(run_chunked(&rows, &o, 3), run(&rows, &o));
    rows[1500].2 = f64::NAN;
    let (schema, batch, names) = batch_of(&rows);
    let message = |chunk: usize| {
        let e = ingest(
            slices(&batch, chunk),
            &schema,
            &names,
            &Default::default(),
            &Cancel::new(),
        );
        e.unwrap_err().to_string()
    };
    let whole = message(rows.len());
    assert!(whole.contains("1500") || whole.contains("1501"), "{whole}");
    assert_eq!(message(3), whole);
    assert_eq!(message(700), whole);
}
