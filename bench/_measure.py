"""Resident memory of this process: now, and the peak since the last reset.

On Linux the peak (``VmHWM``) can be reset by writing ``5`` to ``/proc/self/clear_refs``,
so a phase's peak excludes what came before it (reading the data, importing libraries).
Elsewhere the peak is the whole process's ``ru_maxrss``, and ``reset_peak`` says so.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
MB = 1024 * 1024


def rss_mb() -> float:
    """Resident set size now, in MiB."""
    value = _status_field("VmRSS")
    return value if value is not None else peak_mb()


def peak_mb() -> float:
    """Peak resident set size since the last :func:`reset_peak` (or process start), MiB."""
    value = _status_field("VmHWM")
    if value is not None:
        return value
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MB


def reset_peak() -> bool:
    """Start a new peak from the current RSS; False where the OS cannot."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_field(name: str) -> float | None:
    try:
        text = _STATUS.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024  # kB
    return None
