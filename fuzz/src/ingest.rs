//! The ingestion and the segmentations end to end on random tables: no panic,
//! the same answer however the rows arrive (I5: chunks, offsets, spilled or
//! not), the accounting identities of the run report, and no spill file left.

use arbitrary::{Arbitrary, Unstructured};
use arrow_array::RecordBatch;
use custseg::cancel::Cancel;
use custseg::clv::ClvOptions;
use custseg::customer_value::CvOptions;
use custseg::engine::{Options, Report};
use custseg::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use custseg::periods::Periods;
use custseg::rfm::RfmOptions;
use custseg::segment::{segment, What};
use custseg::store::SpillOptions;

use crate::table::{Table, BASE_DAY};

/// A run: the table, what to compute and the options that change the path.
#[derive(Arbitrary, Debug)]
struct Case {
    table: Table,
    drop: bool,
    /// `as_of` in days after 2020-01-01; `None`: the default (I3).
    as_of: Option<i16>,
    /// Spill after every window (memory limit 0).
    spill: bool,
    /// Which of cv, rfm, clv (bits); none set means cv.
    what: u8,
    /// Explicit boundaries (P1) as gaps in days from 2019-07-01, or the default seasons.
    boundaries: Option<Vec<u8>>,
    count_zero_days: bool,
    sales_only: bool,
}

pub fn run(data: &[u8]) {
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let Some(opts) = options(&case) else {
        return;
    };
    let what = what(case.what);
    let plain = call(&case, &opts, &what, vec![Ok(case.table.one_batch())], None);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spill = case.spill.then(|| dir.path());
    let chunked = call(&case, &opts, &what, case.table.batches(), spill);
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("the folder").collect();
    assert!(left.is_empty(), "spill files left behind: {left:?}");
    if std::env::var_os("CUSTSEG_FUZZ_DEBUG").is_some() {
        eprintln!(
            "outcome: {:?}",
            plain
                .as_ref()
                .map(|(b, _)| b.num_rows())
                .map_err(|e| e.to_string())
        );
    }
    match (plain, chunked) {
        (Ok((a, ra)), Ok((b, rb))) => {
            assert_eq!(
                a, b,
                "the same rows in other chunks give another result (I5)"
            );
            assert_eq!(
                ra,
                Report {
                    bytes_spilled: 0,
                    ..rb.clone()
                },
                "reports differ (I5)"
            );
            check_accounting(&a, &ra);
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                a.to_string(),
                b.to_string(),
                "chunking changed the error (I5)"
            )
        }
        (a, b) => panic!("one path failed, the other not: {a:?} / {b:?}"),
    }
}

/// The run's options; `None` when the fuzzed calendar is not one (an error
/// the periods target covers).
fn options(case: &Case) -> Option<Options> {
    let mut opts = Options {
        as_of: case.as_of.map(|d| BASE_DAY + i32::from(d % 3_000)),
        count_zero_days: case.count_zero_days,
        sales_only: case.sales_only,
        ..Options::default()
    };
    if let Some(gaps) = &case.boundaries {
        let mut day = BASE_DAY - 184;
        let mut days = vec![];
        for g in gaps.iter().take(64) {
            days.push(day);
            day += i32::from(*g).max(1);
        }
        opts.periods = Periods::boundaries(days).ok()?;
    }
    Some(opts)
}

fn what(bits: u8) -> What {
    What {
        cv: (bits & 1 == 1 || bits & 7 == 0).then(CvOptions::default),
        rfm: (bits & 2 == 2).then(RfmOptions::default),
        clv: (bits & 4 == 4).then(|| ClvOptions {
            // CLV1's default lifetime needs churn in the data: half the runs give one.
            lifetime_years: (bits & 8 == 8).then_some(3.0),
            ..ClvOptions::default()
        }),
        summary: None,
    }
}

type Batches = Vec<Result<RecordBatch, arrow_schema::ArrowError>>;

fn call(
    case: &Case,
    opts: &Options,
    what: &What,
    batches: Batches,
    spill: Option<&std::path::Path>,
) -> custseg::error::Result<(RecordBatch, Report)> {
    let names = ColumnNames {
        customer: "c".into(),
        date: "d".into(),
        amount: "a".into(),
        order: case.table.order.map(|_| "o".into()),
    };
    let io = IngestOptions {
        on_invalid: if case.drop {
            OnInvalid::Drop
        } else {
            OnInvalid::Raise
        },
        earliest_day: opts.earliest_day(),
        rows_hint: None,
        as_of: opts.as_of,
        spill: SpillOptions {
            memory_limit: spill.map(|_| 0),
            dir: spill.map(|p| p.to_path_buf()),
        },
    };
    let cancel = Cancel::new();
    let ing = ingest(batches, &case.table.schema(), &names, &io, &cancel)?;
    segment(ing, "c", opts, what, &cancel)
}

/// Issue 18, item 6: rows read = used + on or after `as_of` + dropped;
/// customers in the result + customers without a purchase = customers seen.
fn check_accounting(out: &RecordBatch, r: &Report) {
    let dropped: u64 = r.rows_dropped.values().sum();
    assert_eq!(
        r.rows_read,
        r.rows_used + r.rows_after_as_of + dropped,
        "{r:?}"
    );
    assert_eq!(
        r.customers + r.customers_without_purchase,
        r.customers_seen,
        "{r:?}"
    );
    assert_eq!(r.customers, out.num_rows() as u64, "{r:?}");
}
