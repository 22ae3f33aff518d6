"""The floor: a bare NumPy pass computing KS, Wasserstein, PSI and Jensen–Shannon per column.

Numeric columns: sort both sides once, merge them; KS and Wasserstein from the two
empirical CDFs on the merged support (cumulative counts); PSI and Jensen–Shannon on 10
quantile bins of the reference. Categorical columns: Arrow dictionary-encodes the strings
(the one non-NumPy step; NumPy has no fast string counting), ``bincount`` counts, then
chi-square, PSI and Jensen–Shannon on the category shares. Columns run on a 2-thread pool.

No schema inference, no missing-value handling (the benchmark data has none), no report:
this is the least work that yields the four statistics, so it bounds what a library can do.
A column counts as drifted when PSI ≥ 0.1 or, for numeric columns, the Wasserstein distance
over the reference's standard deviation is ≥ 0.1 (Evidently's default threshold).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special, stats

BINS = 10
EPS = 1e-6
THREADS = 2
PSI_DRIFT = 0.1
WASSERSTEIN_DRIFT = 0.1


def run(reference: pa.Table, current: pa.Table) -> dict[str, Any]:
    """Statistics for every column of ``reference`` and the columns judged drifted."""
    names = reference.column_names
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda n: _column(reference[n], current[n]), names))
    per_column = dict(zip(names, results, strict=True))
    drifted = [name for name, r in per_column.items() if _drifted(r)]
    return {"drifted": drifted, "columns": per_column}


def _drifted(result: dict[str, float]) -> bool:
    return result["psi"] >= PSI_DRIFT or result.get("wasserstein_normed", 0.0) >= WASSERSTEIN_DRIFT


def _column(reference: pa.ChunkedArray, current: pa.ChunkedArray) -> dict[str, float]:
    if pa.types.is_floating(reference.type) or pa.types.is_integer(reference.type):
        return numeric(_floats(reference), _floats(current))
    return categorical(reference, current)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_numpy(), dtype=np.float64)


def numeric(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    a, b = np.sort(reference), np.sort(current)
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="stable")  # timsort: a linear merge of the two runs
    support = both[order]
    from_a = order < len(a)
    gap = np.abs(np.cumsum(from_a) / len(a) - np.cumsum(~from_a) / len(b))
    ends = np.append(support[1:] != support[:-1], True)  # CDFs jump only after a tie group
    ks = float(gap[ends].max())
    wasserstein = float(np.sum(gap[:-1] * np.diff(support)))
    std = float(np.std(a))
    p, q = _quantile_shares(a, b)
    return {
        "ks": ks,
        "ks_p_value": _ks_p_value(ks, len(a), len(b)),
        "wasserstein": wasserstein,
        "wasserstein_normed": wasserstein / std if std else 0.0,
        "psi": psi(p, q),
        "jensen_shannon": jensen_shannon(p, q),
    }


def _quantile_shares(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares of sorted ``a`` and ``b`` in the 10 quantile bins of ``a``."""
    inner = np.unique(a[(np.arange(1, BINS) * (len(a) - 1)) // BINS])
    cuts_a = np.concatenate([[0], np.searchsorted(a, inner, side="right"), [len(a)]])
    cuts_b = np.concatenate([[0], np.searchsorted(b, inner, side="right"), [len(b)]])
    return np.diff(cuts_a) / len(a), np.diff(cuts_b) / len(b)


def _ks_p_value(d: float, n: int, m: int) -> float:
    effective = n * m / (n + m)
    return float(special.kolmogorov(np.sqrt(effective) * d))


def categorical(reference: pa.ChunkedArray, current: pa.ChunkedArray) -> dict[str, float]:
    ref_counts, cur_counts = _aligned_counts(reference, current)
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    return {
        "chi2": float(chi2),
        "chi2_p_value": float(p_value),
        "psi": psi(p, q),
        "jensen_shannon": jensen_shannon(p, q),
    }


def _aligned_counts(
    reference: pa.ChunkedArray, current: pa.ChunkedArray
) -> tuple[np.ndarray, np.ndarray]:
    both = pa.chunked_array(reference.chunks + current.chunks, type=reference.type)
    codes = pc.dictionary_encode(both).combine_chunks().indices.to_numpy()
    size = int(codes.max()) + 1
    split = len(reference)
    return (
        np.bincount(codes[:split], minlength=size).astype(float),
        np.bincount(codes[split:], minlength=size).astype(float),
    )


def psi(p: np.ndarray, q: np.ndarray) -> float:
    p, q = np.maximum(p, EPS), np.maximum(q, EPS)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2, so in [0, 1])."""
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum()
    return float(np.sqrt(max((kl_p + kl_q) / 2, 0.0)))
