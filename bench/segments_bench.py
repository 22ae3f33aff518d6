"""Worst-segment discovery: does it find a planted weak slice, and only that?

    python bench/segments_bench.py                 # ~3 min on 2 busy cores
    python bench/segments_bench.py --seeds 10 --null-seeds 40 --skip-timing   # quick

A classifier's errors are drawn row by row: 10% wrong everywhere, ``factor`` (default 4)
times that inside a planted slice ``region == 'east' and x0 <= q20`` (two conditions, ~5%
of rows). Ten features: eight standard normals ``x0…x7``, a four-valued ``region``, a
boolean ``flag``. Per case the table prints, over many seeds:

* ``rank-1 exact`` — the first finding is the planted slice, conditions and cut-point;
* ``rank-1 features`` — the first finding uses exactly the planted features;
* ``extra/run`` — findings after the first, on average (each searched with the earlier
  slices' rows set aside, so the slice's own parents and near-copies should not appear);
* ``any discovery`` — for null data (errors independent of the features): the share of
  runs reporting any slice; the false-discovery rate is 5%, so it should be ≤ about 0.05.

Cases also cover a regressor (absolute error 3× larger in the slice), a planted cut that is
not a quantile (``x0 <= -1``), weaker effects, and smaller tables. Timing: 100k rows × 10
features, best of ``--repeat``, with up to 2 and 3 conditions, against the peer measured in
the same run — the obvious implementation, one boolean mask and one sum per slice (slice
sums only; the statistics are not timed for the peer).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pyarrow as pa

from steward.checks.segments import find_worst_segments
from steward.checks.segments._conditions import encode_features
from steward.checks.segments._slices import enumerate_slices
from steward.findings import Verdict
from steward.schema import Schema, infer_schema

REGIONS = ["north", "south", "east", "west"]


@dataclass(frozen=True)
class Case:
    name: str
    rows: int
    factor: float
    regression: bool = False
    aligned: bool = True
    planted: bool = True


@dataclass(frozen=True)
class Outcome:
    exact: bool
    features: bool
    extra: int
    any_found: bool
    seconds: float


def make(case: Case, seed: int) -> tuple[pa.Table, list[str]]:
    """One seeded table and the planted slice's conditions (sorted; empty when none)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {f"x{j}": rng.normal(size=case.rows) for j in range(8)}
    columns["region"] = rng.choice(REGIONS, case.rows, p=[0.35, 0.25, 0.25, 0.15])
    columns["flag"] = rng.random(case.rows) < 0.4
    inside, conditions = _planted(case, columns)
    if case.regression:
        target = rng.normal(100, 20, case.rows)
        noise = rng.normal(0, 1, case.rows) * np.where(inside, case.factor, 1.0)
        return pa.table({**columns, "target": target, "prediction": target + noise}), conditions
    wrong = rng.random(case.rows) < np.where(inside, 0.1 * case.factor, 0.1)
    target = rng.integers(0, 2, case.rows)
    prediction = np.where(wrong, 1 - target, target)
    return pa.table({**columns, "target": target, "prediction": prediction}), conditions


def _planted(case: Case, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    if not case.planted:
        return np.zeros(case.rows, dtype=bool), []
    x0 = columns["x0"]
    cut = float(np.quantile(x0, 0.2, method="inverted_cdf")) if case.aligned else -1.0
    inside = (columns["region"] == "east") & (x0 <= cut)
    return inside, sorted([f"x0 <= {cut:.6g}", "region == 'east'"])


def run(case: Case, seed: int, schema: Schema) -> Outcome:
    table, planted = make(case, seed)
    start = time.perf_counter()
    findings = find_worst_segments(table, schema)
    seconds = time.perf_counter() - start
    first = findings[0]
    found = first.verdict is Verdict.FAIL
    conditions = sorted(first.details.get("conditions", []))
    features = sorted(first.details.get("features", []))
    return Outcome(
        exact=found and conditions == planted,
        features=found and features == ["region", "x0"],
        extra=max(0, len(findings) - 1) if found else 0,
        any_found=found,
        seconds=seconds,
    )


def summarise(case: Case, seeds: range) -> dict[str, float]:
    schema = infer_schema(make(case, 0)[0], target="target", prediction="prediction")
    outcomes = [run(case, seed, schema) for seed in seeds]
    n = len(outcomes)
    return {
        "runs": n,
        "exact": sum(o.exact for o in outcomes) / n,
        "features": sum(o.features for o in outcomes) / n,
        "extra": sum(o.extra for o in outcomes) / n,
        "any": sum(o.any_found for o in outcomes) / n,
        "seconds": statistics.median(o.seconds for o in outcomes),
    }


def cases(args: argparse.Namespace) -> list[tuple[Case, range]]:
    planted, null = range(args.seeds), range(10_000, 10_000 + args.null_seeds)
    few = range(max(1, args.seeds // 2))
    return [
        (Case("planted 4×, 20k rows", 20_000, 4.0), planted),
        (Case("null, 20k rows", 20_000, 4.0, planted=False), null),
        (Case("planted 4×, cut not a quantile", 20_000, 4.0, aligned=False), few),
        (Case("planted 2×, 20k rows", 20_000, 2.0), few),
        (Case("planted 4×, 5k rows", 5_000, 4.0), few),
        (
            Case("null, 5k rows", 5_000, 4.0, planted=False),
            range(20_000, 20_000 + args.null_seeds // 2),
        ),
        (Case("regression 3×, 20k rows", 20_000, 3.0, regression=True), few),
        (
            Case("regression null, 20k rows", 20_000, 3.0, regression=True, planted=False),
            range(30_000, 30_000 + args.null_seeds // 2),
        ),
    ]


def accuracy_table(args: argparse.Namespace) -> None:
    print(
        f"{'case':34} {'runs':>5} {'rank-1 exact':>13} {'rank-1 features':>16} "
        f"{'extra/run':>10} {'any discovery':>14} {'median s':>9}"
    )
    for case, seeds in cases(args):
        r = summarise(case, seeds)
        exact = f"{r['exact']:.2f}" if case.planted else "–"
        features = f"{r['features']:.2f}" if case.planted else "–"
        print(
            f"{case.name:34} {r['runs']:>5} {exact:>13} {features:>16} {r['extra']:>10.2f} "
            f"{r['any']:>14.3f} {r['seconds']:>9.3f}"
        )


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def naive_sums(table: pa.Table, schema: Schema, errors: np.ndarray, order: int) -> int:
    """The peer: every condition as a row mask, every slice one AND, one count, one sum."""
    features = encode_features(table, schema, 5)
    masks = [(i, f.mask(c)) for i, f in enumerate(features) for c in range(len(f.labels))]
    tested = 0
    for combo in combinations(masks, order):
        if len({i for i, _ in combo}) < order:
            continue
        mask = combo[0][1]
        for _, other in combo[1:]:
            mask = mask & other
        rows = int(mask.sum())
        if rows >= 1000:
            float(errors[mask].sum())
            tested += 1
    return tested


def timing_table(repeat: int) -> None:
    case = Case("timing", 100_000, 4.0)
    table, _ = make(case, 1)
    schema = infer_schema(table, target="target", prediction="prediction")
    errors = (table.column("target").to_numpy() != table.column("prediction").to_numpy()) * 1.0
    features = encode_features(table, schema, 5)
    print(
        f"\n100,000 rows × 10 features (planted slice present), best of {repeat}; "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'what':52} {'seconds':>9} {'peer s':>9} {'peer / steward':>15}")
    for order in (2, 3):
        full = best(lambda o=order: find_worst_segments(table, schema, max_conditions=o), repeat)
        sums = best(lambda o=order: enumerate_slices(features, errors, o, 1000), repeat)
        peer = best(lambda o=order: naive_sums(table, schema, errors, o), 1)
        print(
            f"{f'find_worst_segments, up to {order} conditions':52} {full:>9.2f} {'':>9} {'':>15}"
        )
        print(
            f"{f'slice sums only, up to {order} conditions':52} {sums:>9.3f} {peer:>9.2f} "
            f"{peer / sums:>14.0f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds per planted case")
    parser.add_argument("--null-seeds", type=int, default=200, help="seeds for null data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    accuracy_table(args)
    if not args.skip_timing:
        timing_table(args.repeat)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
