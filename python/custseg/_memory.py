"""The memory budget of a run: how many bytes of transaction lines stay in
memory before they spill to local disk (issue 3: larger-than-memory inputs)."""

from __future__ import annotations

import os
import re
from typing import Any

from custseg.errors import ConfigError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$")


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now, if the system says."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit_bytes(value: Any) -> int | None:
    """The budget in bytes for ``memory_limit``; ``None`` means never spill.

    ``"auto"`` is half the memory available when the call starts (4 GiB when the
    system does not say); an int is bytes; a string is a size such as ``"4GB"``,
    ``"512MiB"`` or ``"1.5G"`` (decimal units, ``iB`` binary).

    >>> memory_limit_bytes("1.5GiB"), memory_limit_bytes("200 mb"), memory_limit_bytes(None)
    (1610612736, 200000000, None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            avail = available_memory()
            return avail // 2 if avail else 4 * 2**30
        m = _SIZE.match(value.lower())
        if not m or m.group(2) not in _UNITS:
            raise ConfigError(
                f"memory_limit must be 'auto', None, a number of bytes or a size such as "
                f"'4GB' or '512MiB', got {value!r}"
            )
        return int(float(m.group(1)) * _UNITS[m.group(2)])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"memory_limit must be 'auto', None, a number of bytes >= 0 or a size such as "
            f"'4GB', got {value!r}"
        )
    return value
