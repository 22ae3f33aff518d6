"""The synthetic reference and current tables every benchmark uses.

Twenty column specs: fourteen numeric with varied shapes (skewed, heavy-tailed, bimodal,
integer-valued, zero-inflated) and six categorical with 3 to 30 categories. The current
table plants drift in ``DRIFTED`` columns only; every other column is drawn from the same
distribution as the reference, so a column flagged outside ``DRIFTED`` is a false alarm.

Wider tables repeat the twenty specs (column ``i`` uses spec ``i % 20``). Every column of
every chunk has its own seed, so a table built in chunks equals nothing in particular but
is reproducible, and chunks can be generated one at a time to bound memory.

Needs only NumPy and pyarrow, so both the Steward and the peers environment import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

Sampler = Callable[[np.random.Generator, int, bool], np.ndarray]


@dataclass(frozen=True)
class Spec:
    """One column recipe: ``sample(rng, rows, drifted)``; categorical when ``labels``."""

    name: str
    sample: Sampler
    labels: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.labels)


def _zipf(k: int, skew: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, k + 1) ** skew
    return weights / weights.sum()


def _categorical(k: int, shift: float = 0.0) -> Sampler:
    """Zipf-like category frequencies; drift moves ``shift`` of the mass to the rarest half."""

    def sample(rng: np.random.Generator, rows: int, drifted: bool) -> np.ndarray:
        p = _zipf(k)
        if drifted and shift:
            rare = np.zeros(k)
            rare[k // 2 :] = 1.0 / (k - k // 2)
            p = (1 - shift) * p + shift * rare
        return rng.choice(k, size=rows, p=p).astype(np.int32)

    return sample


SPECS: tuple[Spec, ...] = (
    Spec("n00_normal", lambda r, n, d: r.normal(0.5 if d else 0.0, 1.0, n)),
    Spec("n01_lognormal", lambda r, n, d: r.lognormal(3.0, 0.7 if d else 0.5, n)),
    Spec("n02_exponential", lambda r, n, d: r.exponential(2.0, n)),
    Spec("n03_uniform", lambda r, n, d: r.uniform(-5.0, 5.0, n)),
    Spec("n04_student_t3", lambda r, n, d: r.standard_t(3, n)),
    Spec(
        "n05_bimodal",
        lambda r, n, d: np.where(r.random(n) < 0.3, r.normal(-2, 0.5, n), r.normal(3, 1.0, n)),
    ),
    Spec("n06_gamma", lambda r, n, d: r.gamma(2.0, 1.5, n)),
    Spec("n07_beta", lambda r, n, d: r.beta(2.0, 5.0, n)),
    Spec("n08_pareto", lambda r, n, d: r.pareto(2.5, n)),
    Spec("n09_poisson", lambda r, n, d: r.poisson(4.5 if d else 3.0, n).astype(np.float64)),
    Spec("n10_dice", lambda r, n, d: r.integers(1, 7, n).astype(np.float64)),
    Spec("n11_wide_normal", lambda r, n, d: r.normal(1e6, 2e5, n)),
    Spec("n12_rounded", lambda r, n, d: np.round(r.normal(50, 10, n), 1)),
    Spec(
        "n13_zero_inflated",
        lambda r, n, d: np.where(r.random(n) < 0.6, 0.0, r.exponential(10.0, n)),
    ),
    Spec("c00_k3", _categorical(3), tuple(f"k3_{i}" for i in range(3))),
    Spec("c01_k5", _categorical(5), tuple(f"k5_{i}" for i in range(5))),
    Spec("c02_k8", _categorical(8, shift=0.3), tuple(f"k8_{i}" for i in range(8))),
    Spec("c03_k12", _categorical(12), tuple(f"k12_{i:02d}" for i in range(12))),
    Spec("c04_k20", _categorical(20), tuple(f"k20_{i:02d}" for i in range(20))),
    Spec("c05_k30", _categorical(30), tuple(f"k30_{i:02d}" for i in range(30))),
)
DRIFTED_SPECS = ("n00_normal", "n01_lognormal", "n09_poisson", "c02_k8")


def column_names(cols: int) -> list[str]:
    """Names of a ``cols``-wide table: the spec names, suffixed once they repeat."""
    return [_name(i) for i in range(cols)]


def _name(i: int) -> str:
    spec = SPECS[i % len(SPECS)]
    return spec.name if i < len(SPECS) else f"{spec.name}_{i // len(SPECS)}"


def spec_of(i: int) -> Spec:
    return SPECS[i % len(SPECS)]


def drifted_columns(cols: int) -> list[str]:
    """The columns with planted drift in a ``cols``-wide current table."""
    return [_name(i) for i in range(cols) if spec_of(i).name in DRIFTED_SPECS]


def categorical_columns(cols: int) -> list[str]:
    return [_name(i) for i in range(cols) if spec_of(i).categorical]


def numeric_columns(cols: int) -> list[str]:
    return [_name(i) for i in range(cols) if not spec_of(i).categorical]


def table(rows: int, cols: int, *, current: bool, seed: int = 0, chunk: int = 0) -> pa.Table:
    """One reference (``current=False``) or current table; ``chunk`` varies the seeds."""
    arrays = [_column(i, rows, current, seed, chunk) for i in range(cols)]
    return pa.table(arrays, names=column_names(cols))


def chunks(
    rows: int, cols: int, chunk_rows: int, *, current: bool, seed: int = 0
) -> Iterator[pa.Table]:
    """The same kind of table as :func:`table`, ``chunk_rows`` rows at a time."""
    for index, start in enumerate(range(0, rows, chunk_rows)):
        yield table(min(chunk_rows, rows - start), cols, current=current, seed=seed, chunk=index)


def _column(i: int, rows: int, current: bool, seed: int, chunk: int) -> pa.Array:
    spec = spec_of(i)
    rng = np.random.default_rng([seed, int(current), chunk, i])
    values = spec.sample(rng, rows, current and spec.name in DRIFTED_SPECS)
    if not spec.categorical:
        return pa.array(values, type=pa.float64())
    labels = pa.array(spec.labels, type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(values), labels).cast(pa.string())
