//! The history's facts at each boundary equal those of the one walk run as of
//! that boundary ([`Walker::customer`]); its steps and totals equal the plain
//! sums of the lines between boundaries.

use super::*;
use crate::engine::timeline::is_purchase;
use crate::engine::walk::tests::random_lines;
use crate::periods::{parse_day, Periods};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const ALL: HistoryNeed = HistoryNeed {
    need: Need {
        cv: true,
        extras: true,
        clv: true,
    },
    steps: true,
    orders_as_of_each: true,
};

/// Random options: calendar (regular or explicit boundaries), window, zero
/// days, sales-only.
fn random_options(rng: &mut SmallRng, lo: i32) -> Options {
    let periods = if rng.random_bool(0.2) {
        let mut days: Vec<i32> = (0..12)
            .map(|_| lo - 50 + rng.random_range(0..2100))
            .collect();
        days.push(lo - 60);
        days.sort_unstable();
        days.dedup();
        Periods::boundaries(days).unwrap()
    } else {
        let months = [1, 2, 3, 4, 6, 12][rng.random_range(0..6)];
        let anchor = chrono::NaiveDate::from_ymd_opt(
            2000,
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap();
        Periods::regular(months, anchor).unwrap()
    };
    Options {
        periods,
        as_of: None,
        count_zero_days: rng.random_bool(0.5),
        monetary_periods: rng.random_range(1..4),
        sales_only: rng.random_bool(0.4),
        sales_months: vec![1, rng.random_range(2..=12)],
        sales_lookback: rng.random_range(1..6),
    }
}

/// The lines before `as_of` (and their orders).
fn before(lines: &[Line], orders: Option<&[u32]>, as_of: i32) -> (Vec<Line>, Option<Vec<u32>>) {
    let keep: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].day < as_of).collect();
    (
        keep.iter().map(|&i| lines[i]).collect(),
        orders.map(|o| keep.iter().map(|&i| o[i]).collect()),
    )
}

/// The plain step of the lines in `from..to`: events (days or orders, I2, as
/// the whole timeline before `to` decides them) and net money.
fn plain_step(
    lines: &[Line],
    orders: Option<&[u32]>,
    from: i32,
    to: i32,
    zero: bool,
) -> std::result::Result<(u32, i128), Overflow> {
    let (l, o) = before(lines, orders, to);
    let mut days = CustomerDays::default();
    days.fill(&mut l.clone(), o.as_deref(), zero)?;
    let inside = |d: i32| from <= d && d < to;
    let events = days
        .days
        .iter()
        .filter(|d| inside(d.day))
        .map(|d| d.events)
        .sum();
    let net = l
        .iter()
        .filter(|x| inside(x.day))
        .map(|x| i128::from(x.amount))
        .sum();
    Ok((events, net))
}

#[test]
fn every_boundary_equals_the_walk_as_of_it() {
    let mut rng = SmallRng::seed_from_u64(23);
    let lo = parse_day("2020-03-01").unwrap();
    let (mut compared, mut overflowed) = (0, 0);
    for round in 0..3000 {
        let opts = random_options(&mut rng, lo);
        let (a, b) = (
            lo - 400 + rng.random_range(0..900),
            lo + rng.random_range(200..2500),
        );
        let bounds = opts.periods.starts_between(a, b);
        if bounds.is_empty() || *bounds.last().unwrap() <= lo {
            continue;
        }
        let last = *bounds.last().unwrap();
        let (lines, orders) = random_lines(&mut rng, lo, last + 300);
        let (mut kept, kept_orders) = before(&lines, orders.as_deref(), last);
        if kept.is_empty() {
            continue;
        }
        let h = HistoryWalker::new(&opts, lo, &bounds).unwrap();
        let mut out = Out::new(bounds.len());
        let got = h.customer(
            ALL,
            7,
            &mut kept,
            kept_orders.as_deref(),
            &mut Scratch::default(),
            &mut out,
        );
        // As of each boundary: the single walk over the lines before it.
        let mut want = Ok(());
        let mut plain = Out::new(bounds.len());
        let mut prev = i32::MIN;
        for (j, &s) in bounds.iter().enumerate() {
            let (mut l, o) = before(&lines, orders.as_deref(), s);
            let Ok((events, net)) =
                plain_step(&lines, orders.as_deref(), prev, s, opts.count_zero_days)
            else {
                want = Err(Overflow);
                break;
            };
            prev = s;
            plain.between[j].net = net;
            if l.is_empty() || s <= lo {
                continue;
            }
            let w = Walker::new(&opts, lo, s).unwrap();
            let one = w.customer(
                ALL.need,
                7,
                &mut l,
                o.as_deref(),
                &mut CustomerDays::default(),
            );
            match one.and_then(|x| Ok((x, fit(net)?))) {
                Ok((Some((f, x)), net)) => {
                    plain.parts[j].facts.push(f);
                    plain.parts[j].extras.push(x);
                    plain.parts[j].steps.push(Step { events, net });
                }
                Ok((None, _)) => {}
                Err(e) => {
                    want = Err(e);
                    break;
                }
            }
        }
        assert_eq!(
            got.is_err(),
            want.is_err(),
            "round {round}: {lines:?} {orders:?} {bounds:?}"
        );
        if got.is_err() {
            overflowed += 1;
            continue;
        }
        let nets = |o: &Out| o.between.iter().map(|b| b.net).collect::<Vec<_>>();
        assert_eq!(nets(&out), nets(&plain), "round {round}");
        for j in 0..bounds.len() {
            let (g, p) = (&out.parts[j], &plain.parts[j]);
            assert_eq!(
                (&g.facts, &g.extras, &g.steps),
                (&p.facts, &p.extras, &p.steps),
                "round {round}, boundary {j}: {lines:?} {orders:?} {bounds:?}"
            );
            compared += g.facts.len();
        }
    }
    assert!(
        compared > 5000 && overflowed > 5,
        "{compared} facts compared, {overflowed} overflows"
    );
}

#[test]
fn lighter_needs_compute_the_same_facts() {
    let mut rng = SmallRng::seed_from_u64(5);
    let lo = parse_day("2021-01-01").unwrap();
    for _ in 0..500 {
        let opts = random_options(&mut rng, lo);
        let bounds = opts.periods.starts_between(lo + 1, lo + 1500);
        if bounds.is_empty() {
            continue;
        }
        let (lines, orders) = random_lines(&mut rng, lo, *bounds.last().unwrap());
        let h = HistoryWalker::new(&opts, lo, &bounds).unwrap();
        let mut full = Out::new(bounds.len());
        if h.customer(
            ALL,
            7,
            &mut lines.clone(),
            orders.as_deref(),
            &mut Scratch::default(),
            &mut full,
        )
        .is_err()
        {
            continue;
        }
        let cv_only = HistoryNeed {
            need: Need {
                cv: true,
                extras: false,
                clv: false,
            },
            steps: false,
            orders_as_of_each: true,
        };
        let mut light = Out::new(bounds.len());
        h.customer(
            cv_only,
            7,
            &mut lines.clone(),
            orders.as_deref(),
            &mut Scratch::default(),
            &mut light,
        )
        .unwrap();
        for j in 0..bounds.len() {
            assert_eq!(light.parts[j].facts, full.parts[j].facts);
            assert!(light.parts[j].extras.is_empty() && light.parts[j].steps.is_empty());
        }
        assert!(is_purchase(1, false));
    }
}

#[test]
fn merging_partitions_in_key_order_equals_sorting_all_facts() {
    // 200k ids (more than 3 stretches of the merge) in a random key order, spread
    // over 7 partitions; each partition walks its customers in key order and has
    // facts for some of them at a boundary.
    let mut rng = SmallRng::seed_from_u64(15);
    let n = 200_000u32;
    let mut ids: Vec<u32> = (0..n).collect();
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.random_range(0..=i));
    }
    let mut rank = vec![0u32; n as usize];
    for (r, &id) in ids.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    let mut outs: Vec<Out> = (0..7).map(|_| Out::new(1)).collect();
    for &id in &ids {
        let p = rng.random_range(0..7);
        outs[p].who.push(id);
        if rng.random_bool(0.7) {
            outs[p].parts[0].facts.push(Facts {
                customer: id,
                ..Facts::default()
            });
        }
    }
    let who: Vec<&[u32]> = outs.iter().map(|o| &o.who[..]).collect();
    let parts_of = parts_along(&ids, &who, n as usize, |&c| c);
    drop(who);
    let mut parts = take(&mut outs, 0);
    let mut want: Vec<u32> = parts
        .iter()
        .flat_map(|p| p.facts.iter().map(|f| f.customer))
        .collect();
    want.sort_unstable_by_key(|&c| rank[c as usize]);
    let seg = Segmented::merged(std::mem::take(&mut parts), &ids, &rank, &parts_of, 0).unwrap();
    assert_eq!(seg.ids(), want);

    // A partition out of key order loses facts in the merge: an internal error, not a drop.
    let mut outs: Vec<Out> = (0..2).map(|_| Out::new(1)).collect();
    for &id in &ids[..1000] {
        outs[0].who.push(id);
        outs[0].parts[0].facts.push(Facts {
            customer: id,
            ..Facts::default()
        });
    }
    outs[0].parts[0].facts.swap(10, 500);
    let who: Vec<&[u32]> = outs.iter().map(|o| &o.who[..]).collect();
    let parts_of = parts_along(&ids, &who, n as usize, |&c| c);
    drop(who);
    let err = Segmented::merged(take(&mut outs, 0), &ids, &rank, &parts_of, 0).unwrap_err();
    assert!(err.to_string().contains("merged in key order"), "{err}");
}
