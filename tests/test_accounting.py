"""Acceptance, issue 18 item 6: every run accounts for every row and every customer.

For every call with ``on_invalid="drop"`` (I4) the run report (``return_report=True``)
satisfies, exactly,

    rows_read = rows_used + rows_after_as_of + sum(rows_dropped)        (I3, I4)
    customers + customers_without_purchase = customers_seen             (CV2, CV7)
    customers = the result's rows                                       (CV7)

and every count is also computed here, in plain Python, from the rows as they
were generated (so the test fails when the core miscounts, not only when the
sums disagree): the reason each invalid row is dropped (the first in the order
of the core's ``Reason``, src/ingest/invalid.rs), the valid rows on or after
``as_of`` (I3), the customers seen among the valid rows, and the customers with
a purchase event before ``as_of`` (I2: a customer-day, or an order, whose total
is positive, or zero with ``count_zero_days``), which are exactly the result's
customers, in id order (CV7, R1, CLV1, CLV4). Histories (CV8) report as of
their last boundary.

The inputs are random: int, uint, string and categorical ids; date32, ISO text
and (zoned) timestamps; float, decimal-text, decimal and integer amounts; nulls
in every column and every invalid value the core knows; explicit calendars
whose first boundary cuts into the data (``before_first_period``); ``as_of``
inside, before and after the data; Arrow tables and streams, polars and pandas
(Arrow dtypes); random options, spilling to disk among them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import custseg as cs
import pandas as pd
import pyarrow as pa
import pytest
from custseg._frames import as_table
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")

# The core's drop reasons, in the order it picks one for a row with several faults.
REASONS = (
    "null_customer",
    "null_date",
    "null_amount",
    "null_order",
    "non_finite_amount",
    "amount_out_of_range",
    "date_out_of_range",
    "before_first_period",
    "unparsable_date",
    "unparsable_amount",
)
DATE_FAULTS = {
    "date32": ("null", "out_of_range"),
    "text": ("null", "out_of_range", "unparsable"),
    "timestamp": ("null", "out_of_range"),
    "zoned": ("null", "out_of_range"),
}
AMOUNT_FAULTS = {
    "float": ("null", "nan", "inf", "out_of_range"),
    "text": ("null", "out_of_range", "unparsable"),
    "decimal": ("null", "out_of_range"),
    "int": ("null", "out_of_range"),
}
ID_TYPES = ("int", "uint", "string", "categorical")
FAMILIES = ("arrow", "stream", "polars", "pandas")
FIRST_DAY = dt.date(2022, 1, 1)
SPAN = 3 * 365
ZONE = ZoneInfo("America/New_York")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class Line:
    """One input row as generated: a valid value or the name of its fault."""

    customer: int | None
    day: dt.date | str  # or "null", "out_of_range", "unparsable"
    value: int | str  # hundredths; or "null", "nan", "inf", "out_of_range", "unparsable"
    order: int | None


@dataclass(frozen=True)
class Case:
    lines: list[Line]
    ids: str
    dates: str
    amounts: str
    family: str
    chunk: int


@st.composite
def lines(draw, dates: str, amounts: str, min_size: int) -> list[Line]:
    """Rows of up to 12 customers over three years, same-day lines on a few hot
    days (some of them first days of a month: period starts), and about a
    third of the rows with a fault (a null or a bad value)."""
    month_start = st.integers(0, 35).map(
        lambda m: (dt.date(2022 + m // 12, m % 12 + 1, 1) - FIRST_DAY).days
    )
    hot = draw(st.lists(st.one_of(st.integers(0, SPAN), month_start), min_size=1, max_size=4))
    on = st.one_of(st.sampled_from(hot), st.integers(0, SPAN)).map(
        lambda k: FIRST_DAY + dt.timedelta(days=k)
    )
    day = st.one_of(on, on, on, on, st.sampled_from(DATE_FAULTS[dates]))
    money = st.one_of(st.integers(-3000, 6000), st.sampled_from([0, 0, 500, -500]))
    value = st.one_of(money, money, money, money, st.sampled_from(AMOUNT_FAULTS[amounts]))
    line = st.builds(
        Line,
        customer=st.integers(-1, 11).map(lambda k: None if k < 0 else k),
        day=day,
        value=value,
        order=st.integers(-1, 5).map(lambda k: None if k < 0 else k % 3),
    )
    return draw(st.lists(line, min_size=min_size, max_size=60))


@st.composite
def cases(draw, min_size: int = 2) -> Case:
    dates = draw(st.sampled_from(sorted(DATE_FAULTS)))
    amounts = draw(st.sampled_from(sorted(AMOUNT_FAULTS)))
    return Case(
        lines=draw(lines(dates, amounts, min_size)),
        ids=draw(st.sampled_from(ID_TYPES)),
        dates=dates,
        amounts=amounts,
        family=draw(st.sampled_from(FAMILIES)),
        chunk=draw(st.integers(1, 20)),
    )


# --------------------------------------------------------------------------- Arrow columns
def id_value(k: int, ids: str):
    """Customer k's id in the input's type (and in the result, CV7)."""
    return {"int": k * 37 - 200, "uint": k * 1000, "string": f"c-{k}é", "categorical": f"K{k}"}[ids]


def id_column(case: Case) -> pa.Array:
    vals = [None if x.customer is None else id_value(x.customer, case.ids) for x in case.lines]
    if case.ids == "int":
        return pa.array(vals, pa.int64())
    if case.ids == "uint":
        return pa.array(vals, pa.uint32())
    arr = pa.array(vals, pa.string())
    return arr.dictionary_encode() if case.ids == "categorical" else arr


def date_column(case: Case) -> pa.Array:
    """Days as date32, ISO text (three layouts, I1), naive timestamps late in the
    day and New York timestamps at noon (a zoned timestamp counts on its own day)."""
    if case.dates == "text":
        return pa.array([_date_text(x.day, i) for i, x in enumerate(case.lines)], pa.string())
    if case.dates == "date32":
        far = 3_000_000  # days after 1970: year ~10183
        vals = [_raw(x.day, far, lambda d: (d - dt.date(1970, 1, 1)).days) for x in case.lines]
        return pa.array(vals, pa.int32()).cast(pa.date32())
    far = 300_000_000_000_000  # milliseconds after 1970: year ~11476
    if case.dates == "timestamp":

        def ms(d):  # 23:59 on the day
            return (d - dt.date(1970, 1, 1)).days * 86_400_000 + 86_340_000

        typ = pa.timestamp("ms")
    else:

        def ms(d):
            return int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=ZONE).timestamp() * 1000)

        typ = pa.timestamp("ms", tz=str(ZONE))
    return pa.array([_raw(x.day, far, ms) for x in case.lines], pa.int64()).cast(typ)


def _raw(day, far: int, of):
    return None if day == "null" else far if day == "out_of_range" else of(day)


def _date_text(day, i: int) -> str | None:
    if day == "null":
        return None
    if day == "out_of_range":
        return "0000-06-01"
    if day == "unparsable":
        return ("2024-13-01", "yesterday", "01/02/2024", "2024-02-30", "")[i % 5]
    layouts = ("{}", "{}T23:30:00+05:00", "{} 00:10")
    return layouts[i % 3].format(day.isoformat())


def amount_column(case: Case) -> pa.Array:
    vals = [x.value for x in case.lines]
    if case.amounts == "float":
        special = {"null": None, "nan": float("nan"), "inf": float("-inf"), "out_of_range": 1e13}
        return pa.array([special[v] if isinstance(v, str) else v / 100 for v in vals], pa.float64())
    if case.amounts == "int":
        return pa.array(
            [{"null": None, "out_of_range": 10**13}.get(v, v) for v in vals], pa.int64()
        )
    if case.amounts == "decimal":
        big = Decimal("-10000000000000.00")
        out = [
            None if v == "null" else big if v == "out_of_range" else Decimal(v) / 100 for v in vals
        ]
        return pa.array(out, pa.decimal128(20, 2))
    bad = ("12 EUR", "1e5", "1,50", "abc", "")
    special = {"null": None, "out_of_range": "99999999999999.00"}
    return pa.array(
        [
            special.get(v, bad[i % 5]) if isinstance(v, str) else f"{v / 100:.2f}"
            for i, v in enumerate(vals)
        ],
        pa.string(),
    )


def table(case: Case) -> pa.Table:
    return pa.table(
        {
            "customer_id": id_column(case),
            "date": date_column(case),
            "amount": amount_column(case),
            "order_id": pa.array([x.order for x in case.lines], pa.int64()),
        }
    )


def as_input(case: Case):
    """The rows in the case's family: Arrow table, a stream of small batches,
    polars, pandas with Arrow dtypes (NaN and null stay apart, as in Arrow)."""
    t = table(case)
    if case.family == "stream":
        return pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=case.chunk))
    if case.family == "polars":
        return pl.from_arrow(t)
    if case.family == "pandas":
        return t.to_pandas(types_mapper=pd.ArrowDtype)
    return t


def result_ids(out) -> list:
    return as_table(out).column(0).to_pylist()


# --------------------------------------------------------------------------- calendars and as_of
@dataclass(frozen=True)
class Calendar:
    """A Periods object with what the test knows of its boundaries (P1)."""

    periods: cs.Periods
    months: int = 0  # regular calendars: length and anchor
    anchor: dt.date = FIRST_DAY
    boundaries: tuple[dt.date, ...] = ()  # explicit calendars

    @property
    def first(self) -> dt.date | None:
        """The first boundary of an explicit calendar (rows before it are dropped)."""
        return self.boundaries[0] if self.boundaries else None

    def starts(self, lo: dt.date, hi: dt.date) -> list[dt.date]:
        """The period starts s with lo <= s <= hi."""
        if self.boundaries:
            return [b for b in self.boundaries if lo <= b <= hi]
        out, m = [], (lo.year * 12 + lo.month - 1) - 1
        while True:
            s = dt.date(m // 12, m % 12 + 1, self.anchor.day)
            months_from_anchor = m - (self.anchor.year * 12 + self.anchor.month - 1)
            if s > hi:
                return out
            if s >= lo and months_from_anchor % self.months == 0:
                out.append(s)
            m += 1


@st.composite
def calendars(draw) -> Calendar:
    kind = draw(st.sampled_from(["explicit", "explicit", "semiannual", "monthly", "regular"]))
    if kind == "explicit":
        b0 = FIRST_DAY + dt.timedelta(days=draw(st.sampled_from([-30, 0, 40, 400])))
        later = draw(st.lists(st.integers(1, SPAN + 200), min_size=1, max_size=8, unique=True))
        bounds = (b0, *sorted(b0 + dt.timedelta(days=k) for k in later))
        return Calendar(
            cs.Periods.from_boundaries([b.isoformat() for b in bounds]), boundaries=bounds
        )
    if kind == "semiannual":
        m = draw(st.integers(1, 12))
        return Calendar(cs.Periods.semiannual(start_month=m), 6, dt.date(2000, m, 1))
    if kind == "monthly":
        return Calendar(cs.Periods.monthly(), 1, dt.date(2000, 1, 1))
    months = draw(st.sampled_from([1, 2, 3, 4, 6, 12]))
    anchor = dt.date(2021, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    return Calendar(cs.Periods(months=months, anchor=anchor.isoformat()), months, anchor)


@st.composite
def as_ofs(draw, case: Case):
    """None (the default: the day after the last valid day), or a day inside,
    on a day of the rows, before or after the data, as a date, an ISO string or
    a datetime (I3)."""
    days = [x.day for x in case.lines if isinstance(x.day, dt.date)]
    where = draw(st.sampled_from(["default", "inside", "on a row", "before", "after"]))
    if where == "default":
        return None
    if where == "on a row" and days:
        day = draw(st.sampled_from(days))
    else:
        offset = {"inside": st.integers(1, SPAN), "before": st.integers(-400, 0)}.get(
            where, st.integers(SPAN + 1, SPAN + 900)
        )
        day = FIRST_DAY + dt.timedelta(days=draw(offset))
    form = draw(st.sampled_from(["date", "iso", "datetime"]))
    if form == "iso":
        return day.isoformat()
    return dt.datetime(day.year, day.month, day.day, 17, 45) if form == "datetime" else day


def day_of(as_of) -> dt.date | None:
    if as_of is None or type(as_of) is dt.date:
        return as_of
    return as_of.date() if isinstance(as_of, dt.datetime) else dt.date.fromisoformat(as_of)


# --------------------------------------------------------------------------- the account
def reason(x: Line, *, order: bool, first: dt.date | None) -> str | None:
    """Why the core drops row x (the first fault in REASONS' order), None if valid."""
    faults = [
        x.customer is None and "null_customer",
        x.day == "null" and "null_date",
        x.value == "null" and "null_amount",
        order and x.order is None and "null_order",
        x.value in ("nan", "inf") and "non_finite_amount",
        x.value == "out_of_range" and "amount_out_of_range",
        x.day == "out_of_range" and "date_out_of_range",
        isinstance(x.day, dt.date)
        and first is not None
        and x.day < first
        and "before_first_period",
        x.day == "unparsable" and "unparsable_date",
        x.value == "unparsable" and "unparsable_amount",
    ]
    return next((f for f in faults if f), None)


@dataclass
class Account:
    """What the report must say, computed from the generated rows."""

    dropped: dict[str, int]
    valid: list[Line]

    def first_day(self) -> dt.date | None:
        return min((x.day for x in self.valid), default=None)

    def default_as_of(self) -> dt.date | None:
        last = max((x.day for x in self.valid), default=None)
        return None if last is None else last + dt.timedelta(days=1)

    def seen(self) -> set[int]:
        return {x.customer for x in self.valid}

    def buyers(self, as_of: dt.date | None, *, order: bool, zero_days: bool) -> set[int]:
        """Customers with a purchase event before as_of (I2, I3)."""
        totals: Counter = Counter()
        for x in self.valid:
            if as_of is not None and x.day < as_of:
                totals[(x.customer, x.order if order else x.day)] += x.value
        return {c for (c, _), v in totals.items() if v > 0 or (zero_days and v == 0)}

    def after(self, as_of: dt.date | None) -> int:
        return sum(1 for x in self.valid if as_of is not None and x.day >= as_of)


def account(case: Case, *, order: bool, first: dt.date | None) -> Account:
    dropped: Counter = Counter()
    valid = []
    for x in case.lines:
        why = reason(x, order=order, first=first)
        if why is None:
            valid.append(x)
        else:
            dropped[why] += 1
    return Account(dict(dropped), valid)


def check(rep: cs.Report, case: Case, acc: Account, *, as_of, after: int, buyers: set[int]):
    """The identities of item 6, then every count against the account."""
    assert rep.rows_read == rep.rows_used + rep.rows_after_as_of + rep.rows_dropped_total
    assert rep.customers + rep.customers_without_purchase == rep.customers_seen
    assert rep.rows_read == len(case.lines)
    assert rep.rows_dropped == acc.dropped
    assert rep.as_of == as_of
    assert rep.rows_after_as_of == after
    assert rep.rows_used == len(acc.valid) - after
    assert rep.customers_seen == len(acc.seen())
    assert rep.customers == len(buyers)


def expected_ids(buyers: set[int], ids: str) -> list:
    """The result's customer column: the buyers' ids, sorted (numbers
    numerically, strings by UTF-8 bytes, CV7)."""
    vals = [id_value(c, ids) for c in buyers]
    return sorted(vals, key=lambda v: v.encode() if isinstance(v, str) else v)


# --------------------------------------------------------------------------- calls
@dataclass(frozen=True)
class Call:
    """One public call: its function, keyword arguments and calendar."""

    fn: object
    kw: dict
    calendar: Calendar | None
    order: bool


def common_options(draw, *, order_ok: bool = True) -> tuple[dict, bool]:
    order = order_ok and draw(st.booleans())
    kw = dict(
        on_invalid="drop",
        return_report=True,
        count_zero_days=draw(st.booleans()),
        threads=draw(st.sampled_from([None, 1, 2])),
        memory_limit=draw(st.sampled_from([None, "auto", 0])),
    )
    if order:
        kw["order"] = "order_id"
    return kw, order


WHAT = st.lists(st.sampled_from(["cv", "rfm", "clv"]), min_size=1, unique=True).map(tuple)


@st.composite
def single_calls(draw, name: str, case: Case) -> Call:
    """A call of ``name`` with random options and as_of (I3)."""
    kw, order = common_options(draw, order_ok=name != "rfm_summary")
    kw["as_of"] = draw(as_ofs(case))
    calendar = None
    if name in ("customer_value", "clv", "segment"):
        calendar = draw(calendars())
        kw["periods"] = calendar.periods
    if name in ("customer_value", "segment"):
        kw.update(
            sales_only=draw(st.booleans()),
            monetary_periods=draw(st.integers(1, 3)),
            sales_lookback=draw(st.integers(1, 5)),
        )
    if name in ("rfm", "segment"):
        bins = draw(st.integers(2, 9))
        kw.update(bins=bins, monetary=draw(st.sampled_from(["sum", "mean"])))
        if bins != 5:  # the default rules table is for 5 bins (R3)
            kw["segments"] = [{"segment": "Top", "r": (bins, bins), "f": (1, bins), "m": 1}]
    if name in ("clv", "segment"):
        kw["lifetime_years"] = draw(st.sampled_from([None, 0.5, 3.0, 3.0]))
    if name == "segment":
        kw["what"] = draw(WHAT)
    if name == "rfm_summary":
        kw["unit"] = draw(st.sampled_from(["D", "W"]))
    return Call(getattr(cs, name), kw, calendar, order)


@st.composite
def history_calls(draw, name: str) -> Call:
    """A history of ``name`` with a random calendar and end (CV8)."""
    kw, order = common_options(draw)
    calendar = draw(calendars())
    kw["periods"] = calendar.periods
    if draw(st.booleans()):
        kw["end"] = FIRST_DAY + dt.timedelta(days=draw(st.integers(0, SPAN + 400)))
    if name == "segment_history":
        kw.update(what=draw(WHAT), lifetime_years=2.0)
    return Call(getattr(cs, name), kw, calendar, order)


def call_and_clean(call: Call, data, tmp_path_factory):
    """The call, spilling into a fresh folder when memory_limit=0; the folder
    is left empty (issue 18 item 4)."""
    kw = dict(call.kw)
    spill = tmp_path_factory.mktemp("spill") if kw["memory_limit"] == 0 else None
    if spill is not None:
        kw["spill_dir"] = spill
    try:
        return call.fn(data, **kw)
    finally:
        if spill is not None:
            assert list(spill.iterdir()) == [], "spill files left behind"


def last_boundary(calendar: Calendar, acc: Account, end: dt.date | None) -> dt.date | None:
    """The history's last boundary (CV8 defaults): the last period start after
    the first valid day and on or before ``end`` (default: the day after the
    last valid day); None when there is none."""
    first = acc.first_day()
    if first is None:
        return None
    starts = calendar.starts(first + dt.timedelta(days=1), end or acc.default_as_of())
    return max(starts, default=None)


def slice_at(out, boundary: dt.date) -> tuple[list, dt.date | None]:
    """The customers of a history at ``boundary`` and its last period start."""
    t = as_table(out)
    starts = [s.date() if isinstance(s, dt.datetime) else s for s in t["period_start"].to_pylist()]
    ids = t["customer_id"].to_pylist()
    return [c for s, c in zip(starts, ids, strict=True) if s == boundary], max(starts, default=None)


# --------------------------------------------------------------------------- tests
SINGLE = ["customer_value", "rfm", "clv", "segment", "rfm_summary"]


@pytest.mark.parametrize("name", SINGLE)
@EXAMPLES
@given(data=st.data())
def test_every_row_and_customer_is_accounted_for_I3_I4_CV2_CV7(name, data, tmp_path_factory):
    """rows read = used + on/after as_of + dropped by reason; customers in the
    result + customers without a purchase = customers seen; each count as
    computed from the rows; the result's customers are the buyers (I2)."""
    case = data.draw(cases(), label="case")
    call = data.draw(single_calls(name, case), label="call")
    acc = account(case, order=call.order, first=call.calendar and call.calendar.first)
    asked, first = day_of(call.kw["as_of"]), acc.first_day()
    too_early = asked is not None and first is not None and asked <= first
    try:
        out, rep = call_and_clean(call, as_input(case), tmp_path_factory)
    except cs.AsOfError:
        assert too_early, "AsOfError although a valid row is before as_of (I3)"
        event("AsOfError")
        return
    except cs.ConfigError as e:
        assert "lifetime" in str(e) and call.kw.get("lifetime_years", 0) is None
        event("no default lifetime (CLV1)")
        return
    assert not too_early, "as_of on or before the first valid day must be an AsOfError (I3)"
    as_of = asked or acc.default_as_of()
    buyers = acc.buyers(as_of, order=call.order, zero_days=call.kw["count_zero_days"])
    check(rep, case, acc, as_of=as_of, after=acc.after(as_of), buyers=buyers)
    assert result_ids(out) == expected_ids(buyers, case.ids)
    event("rows dropped" if acc.dropped else "no row dropped")
    event("buyers" if buyers else "no buyer")


@pytest.mark.parametrize("name", ["customer_value_history", "segment_history"])
@settings(EXAMPLES, max_examples=30)
@given(data=st.data())
def test_histories_account_as_of_their_last_boundary_CV8(name, data, tmp_path_factory):
    """The report of a history is that of its last boundary: the same identities;
    rows on or after it are counted only when ``end`` is given (docs/rules.md,
    Report of a history); the customers of its last slice are the buyers."""
    case = data.draw(cases(min_size=6), label="case")
    call = data.draw(history_calls(name), label="call")
    acc = account(case, order=call.order, first=call.calendar.first)
    end = call.kw.get("end")
    boundary = last_boundary(call.calendar, acc, end)
    try:
        out, rep = call_and_clean(call, as_input(case), tmp_path_factory)
    except cs.ConfigError as e:
        assert boundary is None and "no period boundary" in str(e)
        event("no boundary")
        return
    assert boundary is not None, rep
    buyers = acc.buyers(boundary, order=call.order, zero_days=call.kw["count_zero_days"])
    after = acc.after(boundary) if end is not None else 0
    check(rep, case, acc, as_of=boundary, after=after, buyers=buyers)
    last, latest = slice_at(out, boundary)
    assert last == expected_ids(buyers, case.ids)
    assert latest == (boundary if buyers else latest)
    event("rows dropped" if acc.dropped else "no row dropped")
    event(f"end given: {end is not None}, rows after it: {after > 0}")


def faults(amounts: str) -> Case:
    """One row of every fault a table with text dates and these amounts can
    have, each on customer 1, and one valid row of customer 2."""
    day = dt.date(2023, 5, 1)
    rows = [Line(None, day, 100, 1), Line(1, "null", 100, 1), Line(1, day, 100, None)]
    rows += [Line(1, "out_of_range", 100, 1), Line(1, "unparsable", 100, 1)]
    rows += [Line(1, dt.date(2022, 12, 31), 100, 1)]  # before the first boundary
    rows += [Line(1, day, v, 1) for v in AMOUNT_FAULTS[amounts]]
    return Case([*rows, Line(2, day, 100, 1)], "int", "text", amounts, "arrow", 1)


def test_every_drop_reason_is_reached_and_counted_I4_P1():
    """Over a float-amount and a text-amount table, the ten reasons of
    src/ingest/invalid.rs are each counted where they can occur; only the
    valid customer is in the result."""
    periods = cs.Periods.from_boundaries(["2023-01-01", "2024-01-01"])
    reached = set()
    for amounts in ("float", "text"):
        case = faults(amounts)
        out, rep = cs.customer_value(
            table(case), order="order_id", periods=periods, on_invalid="drop", return_report=True
        )
        expected = account(case, order=True, first=dt.date(2023, 1, 1)).dropped
        assert rep.rows_dropped == expected and rep.rows_dropped_total == len(case.lines) - 1
        assert result_ids(out) == [id_value(2, "int")] and rep.customers_seen == 1
        reached |= set(expected)
    assert reached == set(REASONS)
