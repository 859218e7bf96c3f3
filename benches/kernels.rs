//! Criterion benchmarks of the Rust kernels (issue 3), so that regressions show.
//!
//! Every benchmark runs on the same deterministic synthetic table of about 1M
//! rows (`synthetic::generate`, seed 42, 4 years before 2026-01-01), and
//! reports its throughput in rows (elements) per second. The key and ingestion
//! benchmarks also run on the rows as a transaction log has them (issue 17):
//! `{int,c8,uuid}_{by_date,shuffled}` (int ids, 8-byte `C0000042` ids, 36-byte
//! UUID-like ids; sorted by date, or shuffled), the hashed paths that grouped
//! input never takes.
//!
//! ```text
//! cargo bench --bench kernels                # all, about a minute
//! cargo bench --bench kernels -- --quick     # a rough pass
//! cargo bench --bench kernels -- ingest      # only the benchmarks whose id matches
//! ```

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput,
};
use custseg::cancel::Cancel;
use custseg::customer_value::CvOptions;
use custseg::engine::{group_part, Options};
use custseg::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use custseg::keys::{KeyKind, Keys};
use custseg::lines::{Line, Part};
use custseg::money;
use custseg::periods::{parse_day, DayTable, Periods};
use custseg::segment::customer_value;
use custseg::synthetic::{generate, SyntheticOptions};
use custseg::tiers::{count_strictly_greater, tiers_of};
use rayon::prelude::*;

/// Customers of the synthetic table: about 9.8 rows each over 4 years, ~1M rows.
const CUSTOMERS: usize = 102_000;
/// Values ranked by `count_strictly_greater`.
const TIER_VALUES: usize = 500_000;
const END_DAY: &str = "2026-01-01";

/// The synthetic table in the shapes the kernels take, built once.
struct Data {
    days: Vec<i32>,
    amounts: Vec<f64>,
    amount_cents: Vec<i64>,
    int_batch: RecordBatch,
    str_batch: RecordBatch,
    /// The rows as a transaction log writes them (issue 17): `(name, batch)`
    /// for int, `C0000042` and UUID-like ids, by date and shuffled.
    logs: Vec<(String, RecordBatch)>,
    /// The partitions of `int_batch` after ingestion, and the local index space.
    parts: Vec<(Vec<Line>, usize)>,
}

impl Data {
    fn rows(&self) -> u64 {
        self.days.len() as u64
    }
}

fn batch(ids: ArrayRef, days: &[i32], amounts: &[f64]) -> RecordBatch {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new("customer_id", ids.data_type().clone(), false),
        Field::new("date", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            ids,
            Arc::new(Date32Array::from(days.to_vec())),
            Arc::new(Float64Array::from(amounts.to_vec())),
        ],
    )
    .expect("valid batch")
}

fn names() -> ColumnNames {
    ColumnNames {
        customer: "customer_id".into(),
        date: "date".into(),
        amount: "amount".into(),
        order: None,
    }
}

/// The ingestion options of `examples/scaling.rs`: the row count is known up front.
fn ingest_options(rows: usize) -> IngestOptions {
    IngestOptions {
        on_invalid: OnInvalid::Raise,
        rows_hint: Some(rows),
        as_of: parse_day(END_DAY),
        ..Default::default()
    }
}

fn periods() -> Periods {
    Periods::regular(6, NaiveDate::from_ymd_opt(2000, 1, 1).expect("date")).expect("periods")
}

fn pass_options() -> Options {
    Options {
        periods: periods(),
        as_of: parse_day(END_DAY),
        ..Default::default()
    }
}

fn run_ingest(batch: &RecordBatch) -> custseg::ingest::Ingested {
    ingest(
        std::iter::once(Ok(batch.clone())),
        &batch.schema(),
        &names(),
        &ingest_options(batch.num_rows()),
        &Cancel::new(),
    )
    .expect("ingest")
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let cols = generate(&SyntheticOptions {
            customers: CUSTOMERS,
            years: 4,
            seed: 42,
            end_day: parse_day(END_DAY).expect("date"),
        });
        let amounts: Vec<f64> = cols
            .amount_cents
            .iter()
            .map(|&c| c as f64 / 100.0)
            .collect();
        let int_ids: ArrayRef = Arc::new(Int64Array::from(cols.customer.clone()));
        let str_ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            cols.customer.iter().map(|c| format!("C{c:07}")),
        ));
        let int_batch = batch(int_ids, &cols.day, &amounts);
        let str_batch = batch(str_ids, &cols.day, &amounts);
        let logs = logs(&cols.customer, &cols.day, &amounts);
        let ing = run_ingest(&int_batch);
        // (lines, local index) per hash partition, so the bench needs no `Keys`. The rows
        // come grouped by customer, so the reader kept them in runs: laid out here as the
        // hashed layout holds them (each partition's lines in row order).
        let mut parts = vec![(Vec::new(), ing.customers.locals()); custseg::keys::PARTITIONS];
        let held: Vec<Part> = ing
            .lines
            .into_partitions()
            .collect::<Result<_, _>>()
            .expect("lines");
        for l in held.iter().flat_map(|p| &p.lines) {
            parts[ing.customers.partition(l.customer)].0.push(*l);
        }
        eprintln!(
            "synthetic table: {} rows, {CUSTOMERS} customers",
            cols.day.len()
        );
        Data {
            days: cols.day,
            amounts,
            amount_cents: cols.amount_cents,
            int_batch,
            str_batch,
            logs,
            parts,
        }
    })
}

/// The rows of the synthetic table by date (a stable sort: customers by id
/// within a day) and shuffled (a fixed permutation), with int ids, 8-byte
/// `C0000042` ids and 36-byte UUID-like ids (a fixed random key per customer).
fn logs(customers: &[i64], days: &[i32], amounts: &[f64]) -> Vec<(String, RecordBatch)> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(17);
    let n = customers.len();
    let mut by_date: Vec<usize> = (0..n).collect();
    by_date.sort_by_key(|&i| days[i]);
    let mut shuffled: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        shuffled.swap(i, rng.random_range(0..=i));
    }
    let max = customers.iter().copied().max().unwrap_or(0) as usize;
    let uuid: Vec<String> = (0..=max)
        .map(|_| {
            let (a, b): (u64, u64) = (rng.random(), rng.random());
            let h = format!("{a:016x}{b:016x}");
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )
        })
        .collect();
    let mut out = Vec::new();
    for (order, perm) in [("by_date", &by_date), ("shuffled", &shuffled)] {
        let days: Vec<i32> = perm.iter().map(|&i| days[i]).collect();
        let amounts: Vec<f64> = perm.iter().map(|&i| amounts[i]).collect();
        let ids: [(&str, ArrayRef); 3] = [
            (
                "int",
                Arc::new(Int64Array::from_iter_values(
                    perm.iter().map(|&i| customers[i]),
                )),
            ),
            (
                "c8",
                Arc::new(StringArray::from_iter_values(
                    perm.iter().map(|&i| format!("C{:07}", customers[i])),
                )),
            ),
            (
                "uuid",
                Arc::new(StringArray::from_iter_values(
                    perm.iter().map(|&i| uuid[customers[i] as usize].as_str()),
                )),
            ),
        ];
        for (kind, array) in ids {
            out.push((format!("{kind}_{order}"), batch(array, &days, &amounts)));
        }
    }
    out
}

/// A group with short timings (each routine takes milliseconds) and `rows` elements per iteration.
fn group<'a>(c: &'a mut Criterion, name: &str, rows: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(rows));
    g
}

/// I6: float amounts to millionths.
fn bench_money(c: &mut Criterion) {
    let d = data();
    let mut out: Vec<i64> = Vec::with_capacity(d.amounts.len());
    let mut g = group(c, "money", d.rows());
    g.bench_function("from_f64", |b| {
        b.iter(|| {
            out.clear();
            out.extend(
                black_box(&d.amounts)
                    .iter()
                    .map(|&x| money::from_f64(x).unwrap_or(0)),
            );
            black_box(&out);
        })
    });
    g.finish();
}

/// P2: the period index of every line's day, computed vs looked up.
fn bench_periods(c: &mut Criterion) {
    let d = data();
    let p = periods();
    let lo = *d.days.iter().min().expect("rows");
    let hi = *d.days.iter().max().expect("rows") + 1;
    let table = DayTable::new(&p, lo, hi).expect("day table"); // the days lo..hi, P0 of hi
    let mut g = group(c, "periods", d.rows());
    g.bench_function("Periods::index", |b| {
        b.iter(|| {
            black_box(&d.days)
                .iter()
                .map(|&day| i64::from(p.index(day).unwrap_or(0)))
                .sum::<i64>()
        })
    });
    g.bench_function("DayTable::index", |b| {
        b.iter(|| {
            black_box(&d.days)
                .iter()
                .map(|&day| i64::from(table.index(day)))
                .sum::<i64>()
        })
    });
    g.finish();
}

/// Dense ids: integer keys (range path) and string keys (partitioned hashing).
fn bench_keys(c: &mut Criterion) {
    let d = data();
    let mut out = Vec::with_capacity(d.days.len());
    let mut g = group(c, "keys", d.rows());
    // String keys through a plain interner (sorted, then hashed: the names these
    // kernels always had), and the numbered `C0000042` ids as such.
    let plain = || Keys::plain_strs();
    let mut cases: Vec<(String, &dyn Fn() -> Keys, &ArrayRef)> = vec![
        (
            "intern_array/int64".to_string(),
            &|| Keys::new(KeyKind::Int),
            d.int_batch.column(0),
        ),
        (
            "intern_array/utf8".to_string(),
            &plain,
            d.str_batch.column(0),
        ),
    ];
    for (name, log) in d.logs.iter().filter(|(n, _)| !n.starts_with("int")) {
        cases.push((format!("intern_array/{name}"), &plain, log.column(0)));
    }
    for (name, log) in d.logs.iter().filter(|(n, _)| n.starts_with("c8")) {
        let numbered: &dyn Fn() -> Keys = &|| Keys::new(KeyKind::Str);
        cases.push((
            format!("intern_array/{name}/numbered"),
            numbered,
            log.column(0),
        ));
    }
    for (name, new, array) in cases {
        g.bench_function(name, |b| {
            b.iter_batched(
                new,
                |mut keys| {
                    let remap = keys.intern_array(array.as_ref(), 0, &mut out);
                    black_box(remap.expect("intern"));
                    keys
                },
                BatchSize::LargeInput,
            )
        });
    }
    // I5: the rank of every hashed string key (the output's key order), the keys of
    // each string log interned once.
    for (name, log) in d.logs.iter().filter(|(n, _)| !n.starts_with("int")) {
        let mut keys = Keys::plain_strs();
        keys.intern_array(log.column(0).as_ref(), 0, &mut out)
            .expect("intern");
        keys.end_of_input();
        g.bench_function(format!("ranks/{name}"), |b| {
            b.iter(|| black_box(keys.ranks()))
        });
    }
    // The same for sparse integer ids (nine-digit customer numbers, hashed).
    let ints = d.int_batch.column(0).as_primitive::<Int64Type>();
    let sparse = Int64Array::from_iter_values(ints.values().iter().map(|c| 100_000_000 + 97 * c));
    let mut keys = Keys::new(KeyKind::Int);
    keys.intern_array(&sparse, 0, &mut out).expect("intern");
    keys.end_of_input();
    g.bench_function("ranks/sparse_int", |b| b.iter(|| black_box(keys.ranks())));
    g.finish();
}

/// A whole record batch to lines (keys, dates, amounts).
fn bench_ingest(c: &mut Criterion) {
    let d = data();
    let mut g = group(c, "ingest", d.rows());
    let mut cases = vec![
        ("int_ids".to_string(), &d.int_batch),
        ("str_ids".to_string(), &d.str_batch),
    ];
    cases.extend(d.logs.iter().map(|(n, b)| (n.clone(), b)));
    for (name, batch) in cases {
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |()| run_ingest(batch), BatchSize::LargeInput)
        });
    }
    g.finish();
}

/// I2/I3: the counting sort of each partition's lines by customer, partitions in
/// parallel: the lines in row order (grouped by customer: they stay in place), and
/// shuffled (issue 17: counting-sorted by day first, then by customer, and each
/// customer's lines of one day summed); and all of them in one partition larger
/// than the caches, which is sorted in buckets.
fn bench_events(c: &mut Criterion) {
    use rand::{Rng, SeedableRng};
    let d = data();
    let as_of = parse_day(END_DAY).expect("date");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(23);
    let shuffled: Vec<(Vec<Line>, usize)> = d
        .parts
        .iter()
        .map(|(lines, locals)| {
            let mut l = lines.clone();
            for i in (1..l.len()).rev() {
                l.swap(i, rng.random_range(0..=i));
            }
            (l, *locals)
        })
        .collect();
    let mut g = group(c, "events", d.rows());
    for (name, parts) in [("group_part", &d.parts), ("group_part_shuffled", &shuffled)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    parts
                        .iter()
                        .map(|(lines, locals)| {
                            let part = Part {
                                lines: lines.clone(),
                                orders: None,
                            };
                            (part, *locals)
                        })
                        .collect::<Vec<_>>()
                },
                |parts| {
                    parts
                        .into_par_iter()
                        .map(|(mut p, locals)| {
                            let local = |id| id as usize / custseg::keys::PARTITIONS;
                            group_part(&mut p, &mut Vec::new(), locals, local, as_of).0
                        })
                        .sum::<u64>()
                },
                BatchSize::LargeInput,
            )
        });
    }
    // All lines in one partition (~16 MB, past the caches): sorted in buckets
    // (issue 17), by date and shuffled.
    let large: Vec<Line> = shuffled
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    let locals = large
        .iter()
        .map(|l| l.customer as usize + 1)
        .max()
        .unwrap_or(0);
    let mut by_date = large.clone();
    by_date.sort_by_key(|l| l.day);
    for (name, lines) in [
        ("group_large_by_date", &by_date),
        ("group_large_shuffled", &large),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || Part {
                    lines: lines.clone(),
                    orders: None,
                },
                |mut p| group_part(&mut p, &mut Vec::new(), locals, |id| id as usize, as_of).0,
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// CV6: tiers of 500k values with many ties (line amounts in cents): the
/// selection-based `tiers_of` the pipeline uses, and the sort-based counting it replaced.
fn bench_tiers(c: &mut Criterion) {
    let d = data();
    let values = &d.amount_cents[..TIER_VALUES.min(d.amount_cents.len())];
    let mut g = group(c, "tiers", values.len() as u64);
    g.bench_function("tiers_of", |b| {
        b.iter(|| tiers_of(black_box(values), &[0.05, 0.25, 0.5]))
    });
    g.bench_function("count_strictly_greater", |b| {
        b.iter(|| count_strictly_greater(black_box(values)))
    });
    g.finish();
}

/// Section 2 end to end: ingestion and segmentation of the 1M-row table.
fn bench_customer_value(c: &mut Criterion) {
    let d = data();
    let (opts, cv) = (pass_options(), CvOptions::default());
    let mut g = group(c, "customer_value", d.rows());
    let mut cases = vec![
        ("int_ids".to_string(), &d.int_batch),
        ("str_ids".to_string(), &d.str_batch),
    ];
    cases.extend(d.logs.iter().map(|(n, b)| (n.clone(), b)));
    for (name, batch) in cases {
        g.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| {
                    let ing = run_ingest(batch);
                    customer_value(ing, "customer_id", &opts, &cv, &Cancel::new())
                        .expect("customer value")
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(
    kernels,
    bench_money,
    bench_periods,
    bench_keys,
    bench_ingest,
    bench_events,
    bench_tiers,
    bench_customer_value
);
criterion_main!(kernels);
