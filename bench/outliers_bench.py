"""Outlier detectors on planted off-distribution rows: recall, false-positive rate, speed.

A reference table and a clean current table come from ``_data`` (20 columns: 14 numeric of
varied shapes, 6 categorical; the current table drawn with another seed and *no* drift). Into
1 % of the current rows three kinds of off-distribution rows are planted, a third each:

* ``shift``  — two numeric features moved by 6 robust SDs (IQR / 1.349) up or down;
* ``unseen`` — one categorical feature set to a category the reference never had;
* ``joint``  — eight numeric features set to their reference 0.5 % or 99.5 % quantile, each
  unremarkable alone (a 1-in-100 value), rare together.

Each detector is fitted on the reference with a target false-positive rate of 1 % and scores
every current row. Printed per detector: recall (overall and per kind), the false-positive
rate on the clean rows, the fit time and the scoring time per 1M rows (wall and CPU: on a
shared machine the CPU time is the steadier number); then the isolation
forest's scoring against scikit-learn's own ``score_samples`` on the same encoded matrix
(the peer), and the ``check_outliers`` verdicts on the whole current table and on a clean
one. Not part of the test suite.

    python bench/outliers_bench.py                  # 1M current rows (~1–2 min)
    python bench/outliers_bench.py --rows 100000    # quick
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.dirname(__file__))

import _data

from steward.checks.outliers import REGISTRY, check_outliers, fit_detectors
from steward.schema import infer_schema

KINDS = ("shift", "unseen", "joint")


def main() -> None:
    args = _arguments()
    reference = _data.table(args.reference, args.cols, current=False, seed=1)
    clean = _data.table(args.rows, args.cols, current=False, seed=2)
    current, planted = plant(reference, clean, args.share, np.random.default_rng(args.seed))
    schema = infer_schema(reference)
    print(_header(args, reference, current, planted))
    rows = []
    for name in REGISTRY:
        started = time.perf_counter()
        (detector,) = fit_detectors(reference, schema, names=[name], fpr=args.fpr)
        fit_s = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        flags = detector.flag(current)
        score_s, score_cpu = time.perf_counter() - started, time.process_time() - cpu
        rows.append(_measure(name, flags, planted, fit_s, (score_s, score_cpu), current.num_rows))
    _print_table(rows)
    _peer(reference, current, schema, args)
    _verdicts(reference, schema, current, clean, args)


def plant(
    reference: pa.Table, clean: pa.Table, share: float, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray]:
    """Planted rows (a third of each kind); returns the table and each row's kind ('' clean)."""
    rows = clean.num_rows
    chosen = rng.choice(rows, round(share * rows), replace=False)
    kinds = np.full(rows, "", dtype=object)
    for kind, part in zip(KINDS, np.array_split(chosen, len(KINDS)), strict=True):
        kinds[part] = kind
    columns = {name: clean.column(name) for name in clean.column_names}
    numeric = [n for n in _data.numeric_columns(clean.num_columns)]
    categorical = _data.categorical_columns(clean.num_columns)
    values = {n: clean.column(n).to_numpy().copy() for n in numeric}
    _shift(values, reference, np.flatnonzero(kinds == "shift"), rng)
    _joint(values, reference, np.flatnonzero(kinds == "joint"), rng)
    columns.update({n: pa.array(v) for n, v in values.items()})
    columns.update(_unseen(clean, categorical, np.flatnonzero(kinds == "unseen"), rng))
    return pa.table(columns), kinds


def _shift(values: dict, reference: pa.Table, rows: np.ndarray, rng: np.random.Generator) -> None:
    names = list(values)
    for row in rows:
        for name in rng.choice(names, 2, replace=False):
            ref = reference.column(name).to_numpy()
            q1, q3 = np.quantile(ref, [0.25, 0.75])
            scale = (q3 - q1) / 1.349 or float(np.std(ref))
            values[name][row] += 6.0 * scale * rng.choice([-1.0, 1.0])


def _joint(values: dict, reference: pa.Table, rows: np.ndarray, rng: np.random.Generator) -> None:
    names = list(values)
    bounds = {n: np.quantile(reference.column(n).to_numpy(), [0.005, 0.995]) for n in names}
    for row in rows:
        for name in rng.choice(names, 8, replace=False):
            values[name][row] = bounds[name][rng.integers(0, 2)]


def _unseen(
    clean: pa.Table, names: list[str], rows: np.ndarray, rng: np.random.Generator
) -> dict[str, pa.Array]:
    target = rng.integers(0, len(names), len(rows))
    out = {}
    for j, name in enumerate(names):
        labels = np.array(clean.column(name).to_pylist(), dtype=object)
        labels[rows[target == j]] = "never-seen"
        out[name] = pa.array(labels.tolist(), type=pa.string())
    return out


def _measure(name, flags, planted, fit_s, score, rows) -> dict:
    clean = planted == ""
    per_million = 1_000_000 / rows
    result = {
        "detector": name,
        "recall": float(flags[~clean].mean()),
        **{kind: float(flags[planted == kind].mean()) for kind in KINDS},
        "fpr": float(flags[clean].mean()),
        "fit s": fit_s,
        "s / 1M rows": score[0] * per_million,
        "cpu s / 1M rows": score[1] * per_million,
    }
    return result


def _print_table(rows: list[dict]) -> None:
    keys = list(rows[0])
    print(" | ".join(f"{k:>16}" for k in keys))
    for row in rows:
        cells = [f"{row[k]:>16}" if isinstance(row[k], str) else f"{row[k]:>16.4g}" for k in keys]
        print(" | ".join(cells))


def _peer(reference: pa.Table, current: pa.Table, schema, args) -> None:
    """Steward's forest scoring against scikit-learn's ``score_samples`` on the same matrix."""
    from sklearn.ensemble import IsolationForest

    (detector,) = fit_detectors(reference, schema, names=["isolation_forest"], fpr=args.fpr)
    prepared = detector._prepare(current)
    matrix = detector.encoder_.transform(prepared, detector.columns_)
    ours_s, ours_cpu = _timed(lambda: detector.forest_.score(matrix))
    fit_rows = detector.encoder_.transform(
        detector._prepare(reference.slice(0, 10_000)), detector.columns_
    )
    peer = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(fit_rows)
    peer_s, peer_cpu = _timed(lambda: peer.score_samples(matrix))
    print(
        f"\nforest scoring only, {len(matrix):,} rows: steward {ours_s:.2f} s "
        f"({ours_cpu:.2f} cpu s), scikit-learn score_samples {peer_s:.2f} s "
        f"({peer_cpu:.2f} cpu s); ratio {ours_s / peer_s:.2f} wall, "
        f"{ours_cpu / peer_cpu:.2f} cpu. Encoding is the rest of the isolation_forest time."
    )


def _timed(call) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - started, time.process_time() - cpu


def _verdicts(reference, schema, current, clean, args) -> None:
    detectors = fit_detectors(reference, schema, fpr=args.fpr)
    for label, table in (("planted 1%", current), ("clean", clean)):
        findings = check_outliers(detectors, table)
        summary = ", ".join(
            f"{f.check.split('.')[1]} {f.verdict.value} ({f.statistic:.2%}, p={f.p_value:.2g})"
            for f in findings
        )
        print(f"check_outliers on the {label} table: {summary}")


def _header(args, reference, current, planted) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"reference {reference.num_rows:,} × {reference.num_columns}, current "
        f"{current.num_rows:,} rows with {np.count_nonzero(planted != ''):,} planted "
        f"({args.share:.0%}), target FPR {args.fpr:.0%}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}\n"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--fpr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


if __name__ == "__main__":
    main()
