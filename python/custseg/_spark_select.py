"""Exact order statistics of a Spark DataFrame of (pool, key) rows: the
values at given ascending ranks of each pool, as the core's ``select_ranks``
finds them on one machine (CV6, R2, CLV2, the medians of CLV3), by a
most-significant-digit radix selection over counts aggregated in Spark.

Each level is one Spark job: every task counts, per group of wanted ranks
still open (a pool and the high bits found so far), how many of its keys fall
in each of up to 2**16 buckets of the next bits; Spark sums the counts and the
driver collects them (at most groups x 2**16 small rows) and finds each rank's
bucket. Keys are taken as offsets from their pool's least key, so keys of a
narrow range (days, counts) need one level; any 64-bit key needs four at most.
A bucket of at most 2**16 keys is collected instead of counted again (one
last job for all of them). Nothing else is collected to the driver, whatever
the number of customers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

BITS = 16
"""Bits of a key found per level (2**16 buckets per group at most)."""

COLLECT = 1 << 16
"""Keys of a bucket that may be collected to the driver instead of another level."""


def pool_stats(keys: Any) -> dict[int, tuple[int, int, int]]:
    """Per pool code: (members, least key, greatest key)."""
    from pyspark.sql import functions as F

    rows = keys.groupBy("pool").agg(F.count("key").alias("n"), F.min("key").alias("lo"),
                                    F.max("key").alias("hi")).collect()  # fmt: skip
    return {int(r["pool"]): (int(r["n"]), int(r["lo"]), int(r["hi"])) for r in rows}


class _Open:
    """A wanted rank not found yet: the bits found so far of its offset from
    the pool's least key, and its rank among the keys that share them."""

    def __init__(self, pool: int, rank: int, span: int) -> None:
        self.pool, self.rank_asked, self.rank, self.found = pool, rank, rank, 0
        self.high = max(span.bit_length(), 1)  # the bits above `high` are found
        self.shift = max(self.high - BITS, 0)  # this level finds bits shift..high

    def group(self) -> tuple[int, int, int, int]:
        return (self.pool, self.found >> self.high if self.high < 64 else 0, self.high, self.shift)


def select(
    keys: Any, wanted: list[tuple[int, int]], stats: dict[int, tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """The value at each wanted (pool, rank): a list of (pool, rank, value)."""
    opened = [_Open(p, r, stats[p][2] - stats[p][1]) for p, r in wanted]
    done: list[tuple[int, int, int]] = []
    lows = {p: s[1] for p, s in stats.items()}
    small: list[_Open] = []  # targets whose bucket is small enough to collect
    while opened:
        groups = sorted({o.group() for o in opened})
        counts = _level(keys, groups, lows)
        still = []
        for o in opened:
            left = _step(o, counts[groups.index(o.group())])
            if o.high == 0:
                done.append((o.pool, o.rank_asked, _value(lows[o.pool], o.found)))
            else:
                (small if left <= COLLECT else still).append(o)
        opened = still
    return done + _collected(keys, small, lows)


def _collected(keys: Any, small: list[_Open], lows: dict[int, int]) -> list[tuple[int, int, int]]:
    """One Spark job: the keys of the small buckets, collected; each rank found
    among its bucket's keys on the driver."""
    if not small:
        return []
    buckets = sorted({(o.pool, o.found >> o.high, o.high) for o in small})
    fn = functools.partial(_collect_task, buckets, lows)
    found: list[list[int]] = [[] for _ in buckets]
    for r in keys.mapInArrow(fn, "g int, key bigint").collect():
        found[r["g"]].append(int(r["key"]))
    for f in found:
        f.sort()
    at = {b: found[g] for g, b in enumerate(buckets)}
    return [(o.pool, o.rank_asked, at[(o.pool, o.found >> o.high, o.high)][o.rank]) for o in small]


def _collect_task(buckets: list[tuple[int, int, int]], lows: dict[int, int],
                  batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:  # fmt: skip
    for b in batches:
        pools = b.column(0).to_numpy(zero_copy_only=False)
        keys = b.column(1).to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = _offsets(pools, keys, {b[0] for b in buckets}, lows)
        for g, (pool, prefix, high) in enumerate(buckets):
            off = offsets[pool]
            hit = _value_keys(off[(off >> np.uint64(high)) == np.uint64(prefix)], lows[pool])
            if len(hit):
                yield pa.record_batch(
                    [pa.array(np.full(len(hit), g, np.int32)), pa.array(hit)], ["g", "key"]
                )


def _offsets(
    pools: np.ndarray, keys: np.ndarray, wanted: set[int], lows: dict[int, int]
) -> dict[int, np.ndarray]:
    """Per wanted pool, its keys of a batch as offsets from the pool's least
    key, wrapping as unsigned (two's complement): once per batch and pool."""
    return {p: (keys[pools == p] - np.int64(lows[p])).view(np.uint64) for p in wanted}


def _value_keys(offsets: np.ndarray, low: int) -> np.ndarray:
    """The keys of offsets from `low` (the inverse of :func:`_offsets`)."""
    return (offsets.view(np.int64) + np.int64(low)).astype(np.int64)


def _value(low: int, offset: int) -> int:
    """The key at `offset` from `low` (two's complement, as the core's keys)."""
    v = (low + offset) & ((1 << 64) - 1)
    return v - (1 << 64) if v >= 1 << 63 else v


def _step(o: _Open, counts: dict[int, int]) -> int:
    """Finds the bucket of `o`'s rank among `counts` (bucket -> keys); returns
    the keys in it."""
    below = 0
    for bucket in sorted(counts):
        if o.rank < below + counts[bucket]:
            o.rank -= below
            o.found |= bucket << o.shift
            o.high, o.shift = o.shift, max(o.shift - BITS, 0)
            return counts[bucket]
        below += counts[bucket]
    raise AssertionError("a rank beyond its pool's keys")  # the sizes came from the same keys


def _level(
    keys: Any, groups: list[tuple[int, int, int, int]], lows: dict[int, int]
) -> list[dict[int, int]]:
    """One Spark job: per group, the keys in each bucket of its next bits."""
    from pyspark.sql import functions as F

    fn = functools.partial(_count_task, groups, lows)
    rows = (
        keys.mapInArrow(fn, "g int, bucket int, n bigint")
        .groupBy("g", "bucket")
        .agg(F.sum("n").alias("n"))
        .collect()
    )
    out: list[dict[int, int]] = [{} for _ in groups]
    for r in rows:
        out[r["g"]][r["bucket"]] = int(r["n"])
    return out


def _count_task(groups: list[tuple[int, int, int, int]], lows: dict[int, int],
                batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:  # fmt: skip
    totals = [np.zeros(1 << BITS, np.int64) for _ in groups]
    for b in batches:
        pools = b.column(0).to_numpy(zero_copy_only=False)
        keys = b.column(1).to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = _offsets(pools, keys, {g[0] for g in groups}, lows)
        for g, (pool, prefix, high, shift) in enumerate(groups):
            off = offsets[pool]
            if high < 64:
                off = off[(off >> np.uint64(high)) == np.uint64(prefix)]
            bucket = (off >> np.uint64(shift)) & np.uint64((1 << (high - shift)) - 1)
            totals[g] += np.bincount(bucket.astype(np.int64), minlength=1 << BITS)[: 1 << BITS]
    g_col, b_col, n_col = [], [], []
    for g, t in enumerate(totals):
        nz = np.flatnonzero(t)
        g_col.append(np.full(len(nz), g, np.int32))
        b_col.append(nz.astype(np.int32))
        n_col.append(t[nz])
    yield pa.record_batch(
        [
            pa.array(np.concatenate(g_col)),
            pa.array(np.concatenate(b_col)),
            pa.array(np.concatenate(n_col)),
        ],
        ["g", "bucket", "n"],
    )
