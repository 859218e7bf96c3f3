"""Customer ids of the forms real systems write, for the benchmarks (issue 17, item 3).

``custseg.datasets.synthetic`` numbers its customers 1..n (``ids="int"``) or writes them as
``"C0000042"`` (``ids="str"``). Real tables hold other keys; :func:`with_id_form` swaps the
customer column of an int-id table for one of these forms, one distinct string per customer,
deterministic:

* ``cust``: ``"CUST-0012345"`` (12 bytes: a CRM's customer number);
* ``uuid``: ``"8c1f0a3e-5b2d-4e71-9f04-1a2b3c4d5e6f"`` (36 bytes, random version-4 form);
* ``email``: ``"maria.jansen1234@example.com"``-like keys of about 20 to 40 bytes.

The strings are built per customer with numpy/pyarrow and gathered to the rows with one
``take``, so a 100M-row table gets its ids in seconds.
"""

from __future__ import annotations

from typing import Any

ID_FORMS = ("int", "str", "cust", "uuid", "email")
"""``--ids`` values: ``int`` and ``str`` as ``synthetic`` writes them, and the forms above."""

_FIRST = (
    "maria anna emma julia sophie lisa sara eva laura nina lotte fleur noor tess iris "
    "jan piet kees thomas daan lucas sem finn milan levi noah liam bram ruben lars "
    "olivia mia ella zoe chloe grace lily amelia isla ava jack oliver harry george leo"
).split()
_LAST = (
    "jansen devries bakker visser smit meijer deboer mulder degroot bos vos peters hendriks "
    "vandijk dekker brouwer dewit dijkstra smits degraaf vanderlinden kok jacobs dehaan "
    "smith johnson williams brown jones garcia miller davis wilson anderson taylor thomas"
).split()
_DOMAINS = ("example.com", "mail.nl", "webshop.co.uk", "post.example.org", "klant.nl")


def per_customer(form: str, n: int, seed: int = 42) -> Any:
    """``n`` distinct ids of ``form`` (a pyarrow string array; id ``k + 1`` is element ``k``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    number = pa.array(np.arange(1, n + 1, dtype=np.int64))
    if form == "cust":
        return pc.binary_join_element_wise(
            "CUST-", pc.utf8_lpad(pc.cast(number, pa.string()), 7, "0"), ""
        )
    rng = np.random.default_rng(seed)
    if form == "uuid":
        raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # variant
        hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
        nibbles = np.empty((n, 32), dtype=np.uint8)
        nibbles[:, 0::2] = hexdigits[raw >> 4]
        nibbles[:, 1::2] = hexdigits[raw & 0x0F]
        text = np.full((n, 36), ord("-"), dtype=np.uint8)
        for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
            width = {0: 8, 24: 12}.get(dst, 4)
            text[:, dst : dst + width] = nibbles[:, src : src + width]
        offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))
    if form == "email":
        first = pa.array(_FIRST).take(pa.array(rng.integers(0, len(_FIRST), n)))
        last = pa.array(_LAST).take(pa.array(rng.integers(0, len(_LAST), n)))
        domain = pa.array(_DOMAINS).take(pa.array(rng.integers(0, len(_DOMAINS), n)))
        # The customer number keeps the keys distinct.
        local = pc.binary_join_element_wise(first, ".", last, pc.cast(number, pa.string()), "")
        return pc.binary_join_element_wise(local, "@", domain, "")
    raise ValueError(f"unknown id form {form!r} (one of {', '.join(ID_FORMS)})")


def with_id_form(table: Any, form: str) -> Any:
    """``table`` (int ids 1..n, as ``synthetic`` numbers them) with its ``customer_id``
    column replaced by the ids of ``form`` (``int`` and ``str`` are returned unchanged:
    ``synthetic`` makes those itself)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if form in ("int", "str"):
        return table
    ids = table["customer_id"]
    n = pc.max(ids).as_py() or 0
    keys = per_customer(form, n).take(pc.subtract(ids, 1))
    at = table.schema.get_field_index("customer_id")
    return table.set_column(at, pa.field("customer_id", pa.string(), nullable=False), keys)
