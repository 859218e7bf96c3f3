//! Scaling of the Customer Value pipeline with the thread count (issue 3).
//!
//! Generates the synthetic table in memory (as Arrow record batches of 1M
//! rows, like a Parquet/IPC stream), then runs ingestion + segmentation at
//! each thread count and prints the best wall time of `repeat` runs.
//!
//! ```text
//! cargo run --release --example scaling -- [rows_millions=100] [threads=1,2,4,8,16] [repeat=3] [ids=int|str] [what=cv|rfm|clv]
//! ```
//!
//! `what` picks the segmentation: `cv` (the default) runs `customer_value`;
//! `rfm` and `clv` run `segment` with that one segmentation (`clv` with
//! `lifetime_years = 3`, as in `benches/bench_rfm_clv.py`).

use std::time::Instant;

use arrow_array::RecordBatch;
use custseg::cancel::Cancel;
use custseg::clv::ClvOptions;
use custseg::customer_value::CvOptions;
use custseg::engine::Options;
use custseg::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use custseg::periods::parse_day;
use custseg::rfm::RfmOptions;
use custseg::segment::{segment, What};
use custseg::synthetic::{record_batch, SyntheticOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows_m: f64 = args
        .get(1)
        .map_or(100.0, |s| s.parse().expect("rows in millions"));
    let threads: Vec<usize> = args
        .get(2)
        .map_or("1,2,4,8,16", String::as_str)
        .split(',')
        .map(|t| t.parse().expect("thread count"))
        .collect();
    let repeat: usize = args.get(3).map_or(3, |s| s.parse().expect("repeat"));
    let string_ids = args.get(4).is_some_and(|s| s == "str");
    let what = match args.get(5).map_or("cv", String::as_str) {
        "cv" => What {
            cv: Some(CvOptions::default()),
            ..Default::default()
        },
        "rfm" => What {
            rfm: Some(RfmOptions::default()),
            ..Default::default()
        },
        "clv" => What {
            clv: Some(ClvOptions {
                lifetime_years: Some(3.0),
                ..Default::default()
            }),
            ..Default::default()
        },
        other => panic!("what must be cv, rfm or clv, got {other}"),
    };

    // ~2.45 rows per customer-year over 4 years.
    let customers = (rows_m * 1e6 / 9.8) as usize;
    let t = Instant::now();
    let opts = SyntheticOptions {
        customers,
        years: 4,
        seed: 42,
        end_day: parse_day("2026-01-01").unwrap(),
    };
    let full = record_batch(&opts, string_ids);
    let (schema, n) = (full.schema(), full.num_rows());
    // Rows per record batch: 1M, or SCALING_BATCH (a pandas frame is one batch).
    let batch: usize = std::env::var("SCALING_BATCH").map_or(1 << 20, |b| b.parse().expect("rows"));
    let batches: Vec<RecordBatch> = (0..n)
        .step_by(batch)
        .map(|o| full.slice(o, batch.min(n - o)))
        .collect();
    let bytes = full.get_array_memory_size();
    eprintln!(
        "{n} rows, {customers} customers, {:.2} GB as Arrow, made in {:.1} s",
        bytes as f64 / 1e9,
        t.elapsed().as_secs_f64()
    );

    let names = ColumnNames {
        customer: "customer_id".into(),
        date: "date".into(),
        amount: "amount".into(),
        order: None,
    };
    let io = IngestOptions {
        on_invalid: OnInvalid::Raise,
        rows_hint: Some(n),
        as_of: parse_day("2026-01-01"),
        ..Default::default()
    };
    let opts = Options {
        as_of: parse_day("2026-01-01"),
        ..Default::default()
    };
    println!("threads,best_s,mrows_per_s,speedup");
    let mut base = None;
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        let mut best = f64::INFINITY;
        for _ in 0..repeat {
            let start = Instant::now();
            let out = pool.install(|| {
                let cancel = Cancel::new();
                let ing = ingest(
                    batches.iter().cloned().map(Ok),
                    &schema,
                    &names,
                    &io,
                    &cancel,
                )
                .unwrap();
                segment(ing, "customer_id", &opts, &what, &cancel).unwrap()
            });
            best = best.min(start.elapsed().as_secs_f64());
            std::hint::black_box(out);
        }
        let b = *base.get_or_insert(best);
        println!("{t},{best:.3},{:.1},{:.2}", n as f64 / best / 1e6, b / best);
    }
}
