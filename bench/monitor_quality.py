"""Quality of the monitoring loop: alert budget, detection delay and gate error rates.

No peer measures these numbers, so the table prints each measured rate next to its target
from issue 7.

1. **Alert budget on quiet streams.** ``--seeds`` simulated months (30 daily windows of
   ~2,000 rows, 6-10 features of mixed kinds, no change) against a registered reference of
   20,000 rows. Every day is checked by the real core (``steward.compare(..., window="1D")``
   with the plan's checks, the same ``check_drift``/``check_quality`` calls the monitor pass
   makes per window), drift findings are marked sustained or transient looking backwards only
   (:func:`steward.monitor.rules.annotate_persistence`, as the pass does), and the findings go
   window by window through the real :class:`~steward.monitor.alerts.AlertManager` on a
   SQLite store. This is faster than logging 60k prediction rows a month and running
   ``run_pass`` and gives the same drift and quality findings: the pass's extra families
   (multivariate, performance, estimates, outliers) match neither rule below. The count is
   of outbox messages (firing and resolved notifications) per month.
2. **Detection delay.** The same months with a sustained +0.5 sd shift of two numeric
   features from day 15: shifted daily windows closed when the sustained-drift rule fires,
   and windows between the drift becoming sustained (k of n) and the alert.
3. **Gate error rates.** Paired labelled rows of a champion and a challenger that is worse,
   equal or clearly better (classifiers: accuracy 0.80 vs 0.75/0.80/0.85 with a given share
   of rows on which the two disagree; regressors: Gaussian residuals sharing the label noise,
   challenger MAE ×1.1/×1.0/×0.9), decided by the real
   :func:`steward.checks.paired.decide` under the default gate (McNemar for accuracy, paired
   t plus Wilcoxon for MAE, alpha 0.05, margin 0, min_samples 500). A *single look* decides
   once at ``min_samples`` rows; *repeated looks* decide after every day of 300 new paired
   rows for 20 days on all rows so far, promoting at the first significant look, as
   successive monitor passes do. Two alternatives to repeated fixed-n tests are measured on
   the same data: looks only when the rows double, at alpha/2, alpha/4, … (real ``decide``
   with a smaller alpha), and an always-valid one-sided normal-mixture SPRT on the per-row
   improvement (computed here; not in ``src``).

    python bench/monitor_quality.py            # 20 months, 2,000 gate seeds (3-4 min)
    python bench/monitor_quality.py --quick    # 5 months, 200 gate seeds (~1 min)
    python bench/monitor_quality.py --hourly 500   # adds hourly looks, equal classifier (+1 min)
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special
from sqlalchemy import func, select

from steward import compare
from steward.checks.paired import decide
from steward.findings import Finding, Verdict
from steward.monitor.alerts import AlertManager
from steward.monitor.rules import annotate_persistence
from steward.plan.schema import Gate, MaintenancePlan
from steward.store import Store
from steward.store.tables import AlertRow, ModelRow, OutboxRow
from steward.windows import Persistence

DAYS, SHIFT_DAY, REFERENCE_ROWS, SHIFT_SD = 30, 15, 20_000, 0.5
START = pd.Timestamp("2024-02-01", tz="UTC")
PLAN = MaintenancePlan.model_validate(
    {
        "model": "bench",
        "checks": {"windows": {"k": 3, "n": 4}},
        "alerts": {
            "budget_per_month": 4,
            "rules": [
                {
                    "name": "sustained-drift",
                    "when": {"check": "drift.*", "sustained": True},
                    "for": 2,
                    "keep_firing_for": 1,
                    "severity": "critical",
                },
                {
                    "name": "data-quality",
                    "when": {"check": "quality.*", "verdicts": ["fail"]},
                    "for": 1,
                    "severity": "warning",
                },
            ],
        },
    }
)
GATE = Gate()  # alpha 0.05, margin 0, min_samples 500, test auto
LOOK_ROWS, LOOKS = 300, 20  # paired labelled rows per day, days of repeated looks
ACCURACY, DISAGREE = 0.80, 0.20  # champion accuracy; share of rows the two models disagree on
DISAGREE_SWEEP = (0.10, 0.20, 0.30)
Window = tuple[datetime, list[Finding]]
VERDICTS = ("fail", "warn", "all")

# --- 1 and 2: simulated months through the alert manager ---------------------------------


def _zipf(n_categories: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_categories + 1)
    return weights / weights.sum()


def _missing(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.normal(50.0, 10.0, n)
    values[rng.random(n) < 0.02] = np.nan
    return values


COLUMNS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "n_normal": lambda rng, n: rng.normal(0.0, 1.0, n),
    "n_lognormal": lambda rng, n: rng.lognormal(0.0, 0.75, n),
    "c_plan": lambda rng, n: rng.choice(["basic", "plus", "pro", "max"], n, p=[0.4, 0.3, 0.2, 0.1]),
    "b_flag": lambda rng, n: rng.random(n) < 0.3,
    "n_income": _missing,
    "n_count": lambda rng, n: rng.poisson(3.0, n).astype(float),
    "c_region": lambda rng, n: rng.choice([f"r{i:02d}" for i in range(20)], n, p=_zipf(20)),
    "n_uniform": lambda rng, n: rng.uniform(0.0, 1.0, n),
    "n_student": lambda rng, n: rng.standard_t(5, n),
    "n_age": lambda rng, n: np.round(rng.normal(45.0, 12.0, n)),
}
SHIFTED = ("n_normal", "n_lognormal")  # the first two columns, present in every month


def columns_for(seed: int) -> list[str]:
    """6 to 10 features, cycling with the seed, always led by the two that may shift."""
    return list(COLUMNS)[: 6 + seed % 5]


def frame(rng: np.random.Generator, names: Sequence[str], n: int, days: int) -> pd.DataFrame:
    """``n`` rows spread uniformly over ``days`` days from :data:`START`."""
    data = pd.DataFrame({"ts": START + pd.to_timedelta(rng.uniform(0, days * 86400, n), "s")})
    for name in names:
        data[name] = COLUMNS[name](rng, n)
    return data


def month(seed: int, rows_per_day: int, shift: dict[str, float] | None = None) -> pd.DataFrame:
    """Thirty days of traffic; from :data:`SHIFT_DAY` on, ``shift`` is added to its columns."""
    data = frame(np.random.default_rng(seed), columns_for(seed), DAYS * rows_per_day, DAYS)
    moved = data["ts"] >= START + pd.Timedelta(days=SHIFT_DAY)
    for name, amount in (shift or {}).items():
        data.loc[moved, name] += amount
    return data


def reference(seed: int) -> pd.DataFrame:
    """The registered reference: 20,000 rows from another seed of the same distributions."""
    return frame(np.random.default_rng(10_000 + seed), columns_for(seed), REFERENCE_ROWS, 10)


def daily_windows(ref: pd.DataFrame, current: pd.DataFrame) -> list[Window]:
    """(window end, findings) per day, drift marked sustained/transient from the past only."""
    report = compare(
        ref,
        current,
        plan=PLAN.checks,
        timestamp="ts",
        window="1D",
        multivariate=False,
        outliers=False,
    )
    rule = Persistence(PLAN.checks.windows.k, PLAN.checks.windows.n)
    history: dict[str, list[bool]] = {}
    out = []
    for window in report.windows:
        found = [f for f in report.findings if f.window == window.index]
        out.append((_end(window.end), annotate_persistence(found, history, rule)))
        for finding in found:
            if finding.family == "drift" and finding.column:
                flags = history.setdefault(finding.column, [False] * window.index)
                flags.append(finding.verdict is Verdict.FAIL)
    return out


def _end(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@dataclass
class MonthResult:
    """What one simulated month sent and when each rule first fired (window index)."""

    notifications: int
    by_rule: dict[str, int]
    first_firing: dict[str, int]
    sustained_from: int | None  # first window with a sustained drift finding
    drift_verdicts: dict[str, int]  # failed and warned drift findings of the month


def replay(store: Store, name: str, windows: list[Window]) -> MonthResult:
    """Feed the windows one by one to a fresh model's alert manager; count the outbox."""
    model_id = _add_model(store, name)
    now = [windows[0][0]]
    manager = AlertManager(store, clock=lambda: now[0])
    first: dict[str, int] = {}
    for index, (end, findings) in enumerate(windows):
        now[0] = end
        for change in manager.process(model_id, name, PLAN, end, findings):
            if change.state == "firing":
                first.setdefault(change.rule, index)
    by_rule = _outbox_by_rule(store, model_id)
    return MonthResult(
        sum(by_rule.values()), by_rule, first, _sustained_from(windows), _drift_verdicts(windows)
    )


def _add_model(store: Store, name: str) -> int:
    with store.session() as session:
        row = ModelRow(name=name, created_by="bench")
        session.add(row)
        session.flush()
        return row.id


def _outbox_by_rule(store: Store, model_id: int) -> dict[str, int]:
    query = (
        select(AlertRow.rule, func.count())
        .join(OutboxRow, OutboxRow.alert_id == AlertRow.id)
        .where(AlertRow.model_id == model_id)
        .group_by(AlertRow.rule)
    )
    with store.session() as session:
        return {rule: int(count) for rule, count in session.execute(query)}


def _sustained_from(windows: list[Window]) -> int | None:
    for index, (_, found) in enumerate(windows):
        if any(f.details.get("persistence") == "sustained" for f in found):
            return index
    return None


def _drift_verdicts(windows: list[Window]) -> dict[str, int]:
    found = [f.verdict.value for _, findings in windows for f in findings if f.family == "drift"]
    return {"fail": found.count("fail"), "warn": found.count("warn"), "all": len(found)}


def simulate_months(store: Store, seeds: int, rows_per_day: int) -> dict[str, list[MonthResult]]:
    """Quiet and shifted months for every seed."""
    out: dict[str, list[MonthResult]] = {"quiet": [], "shifted": []}
    for seed in range(seeds):
        ref = reference(seed)
        shift = {c: SHIFT_SD * float(np.nanstd(ref[c])) for c in SHIFTED}
        for kind, amount in (("quiet", None), ("shifted", shift)):
            windows = daily_windows(ref, month(seed, rows_per_day, amount))
            assert len(windows) == DAYS, f"seed {seed}: {len(windows)} daily windows"
            out[kind].append(replay(store, f"{kind}-{seed}", windows))
    return out


# --- 3: the promotion gate ----------------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    """Paired rows for many seeds: labels and both models' predictions, (seeds, rows)."""

    task: str
    y: np.ndarray
    champion: np.ndarray
    challenger: np.ndarray

    def improvement_rows(self) -> np.ndarray:
        """Per row, how much better the challenger did (correctness or absolute error)."""
        if self.task == "classification":
            return (self.challenger == self.y).astype(float) - (self.champion == self.y)
        return np.abs(self.y - self.champion) - np.abs(self.y - self.challenger)


def classifier_pairs(seeds: int, rows: int, delta: float, disagree: float, seed: int) -> Pairs:
    """Binary labels; the challenger's accuracy is the champion's + ``delta``; the two are
    right on different rows for a share ``disagree`` of them."""
    rng = np.random.default_rng(seed)
    only_b, only_a = (disagree + delta) / 2, (disagree - delta) / 2
    both = ACCURACY - only_a
    u = rng.random((seeds, rows))
    right_a = u < both + only_a
    right_b = (u < both) | ((u >= both + only_a) & (u < both + only_a + only_b))
    y = (rng.random((seeds, rows)) < 0.5).astype(float)
    return Pairs("classification", y, np.where(right_a, y, 1 - y), np.where(right_b, y, 1 - y))


def regressor_pairs(seeds: int, rows: int, mae_ratio: float, seed: int) -> Pairs:
    """``y = signal + noise``; each model's prediction is ``signal + its own error``. The
    label noise (sd 1) is shared, the champion's own error has sd 1, the challenger's is
    sized so that its MAE is ``mae_ratio`` times the champion's."""
    rng = np.random.default_rng(seed)
    own_b = math.sqrt(mae_ratio**2 * 2.0 - 1.0)
    signal = rng.normal(10.0, 3.0, (seeds, rows))
    y = signal + rng.normal(0.0, 1.0, (seeds, rows))
    champion = signal + rng.normal(0.0, 1.0, (seeds, rows))
    challenger = signal + rng.normal(0.0, own_b, (seeds, rows))
    return Pairs("regression", y, champion, challenger)


def promoted(pairs: Pairs, seed: int, n: int, gate: Gate = GATE) -> bool:
    """The real gate's verdict on the first ``n`` paired rows of one seed."""
    y, a, b = pairs.y[seed, :n], pairs.champion[seed, :n], pairs.challenger[seed, :n]
    return decide(pairs.task, None, y, a, b, gate=gate).decision == "promote"


def first_promotion(pairs: Pairs, seed: int, looks: Sequence[tuple[int, float]]) -> int | None:
    """Index of the first look ``(rows, alpha)`` at which the gate promotes, if any."""
    for index, (n, alpha) in enumerate(looks):
        gate = GATE if alpha == GATE.alpha else GATE.model_copy(update={"alpha": alpha})
        if promoted(pairs, seed, n, gate):
            return index
    return None


def daily_looks() -> list[tuple[int, float]]:
    """One look a day at all rows so far, each at the plan's alpha (what passes do now)."""
    return [(LOOK_ROWS * day, GATE.alpha) for day in range(1, LOOKS + 1)]


def doubling_looks() -> list[tuple[int, float]]:
    """Alpha spending: look only on the first day the rows reach min_samples × 2^j, at
    alpha / 2^(j+1), so the alphas of all looks ever made sum to at most alpha."""
    looks, target, j = [], GATE.min_samples, 0
    for n, _ in daily_looks():
        if n >= target:
            looks.append((n, GATE.alpha / 2 ** (j + 1)))
            j, target = j + 1, GATE.min_samples * 2 ** (j + 1)
    return looks


def mixture_sprt(improvement: np.ndarray, sizes: Sequence[int], alpha: float) -> np.ndarray:
    """Always-valid one-sided test of mean improvement > 0 at every look (seeds, looks).

    Normal-mixture SPRT (Robbins; Howard et al. 2021) on the per-row improvements scaled by
    their running sd, with a half-normal prior on the standardised effect tuned to be
    tightest at ``min_samples`` rows. ``log Λ ≥ log(1/alpha)`` at any look is a promotion;
    under H0 that happens with probability ≤ alpha however many looks are made.
    """
    sizes_a = np.asarray(sizes)
    total = np.cumsum(improvement, axis=1)[:, sizes_a - 1]
    square = np.cumsum(improvement**2, axis=1)[:, sizes_a - 1]
    spread = np.sqrt(np.maximum(square / sizes_a - (total / sizes_a) ** 2, 1e-12))
    score = total / spread
    tau2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / GATE.min_samples
    a = sizes_a + 1.0 / tau2
    log_lr = (
        math.log(2.0)
        - 0.5 * math.log(tau2)
        - 0.5 * np.log(a)
        + score**2 / (2 * a)
        + special.log_ndtr(score / np.sqrt(a))
    )
    return (log_lr >= math.log(1 / alpha)) & (total > 0) & (sizes_a >= GATE.min_samples)


@dataclass
class GateRates:
    """Promotion shares of one scenario over the seeds."""

    single: float  # one look at min_samples rows
    double_n: float  # one look at 2 × min_samples rows
    repeated: float  # any of the 20 daily looks
    doubling: float  # alpha spending over doubling looks
    sprt: float  # always-valid mixture SPRT at every daily look
    first_day: list[int]  # day of the first promotion (repeated looks), per promoted seed
    sprt_day: list[int]  # the same for the mixture SPRT


def gate_rates(pairs: Pairs) -> GateRates:
    seeds = pairs.y.shape[0]
    single = [promoted(pairs, s, GATE.min_samples) for s in range(seeds)]
    double_n = [promoted(pairs, s, 2 * GATE.min_samples) for s in range(seeds)]
    first = [first_promotion(pairs, s, daily_looks()) for s in range(seeds)]
    double = [first_promotion(pairs, s, doubling_looks()) for s in range(seeds)]
    sizes = [n for n, _ in daily_looks()]
    sprt = mixture_sprt(pairs.improvement_rows(), sizes, GATE.alpha)
    hit = sprt.any(axis=1)
    return GateRates(
        float(np.mean(single)),
        float(np.mean(double_n)),
        float(np.mean([f is not None for f in first])),
        float(np.mean([d is not None for d in double])),
        float(np.mean(hit)),
        [f + 1 for f in first if f is not None],
        [int(d) + 1 for d in np.argmax(sprt, axis=1)[hit]],
    )


def gate_scenarios(seeds: int) -> dict[tuple[str, str], GateRates]:
    """Worse, equal and better challengers for both tasks; a disagreement sweep on power."""
    rows, out = LOOK_ROWS * LOOKS, {}
    for number, (label, delta, ratio) in enumerate(
        (("worse", -0.05, 1.1), ("equal", 0.0, 1.0), ("better", 0.05, 0.9))
    ):
        out[("classifier", label)] = gate_rates(
            classifier_pairs(seeds, rows, delta, DISAGREE, seed=100 + number)
        )
        out[("regressor", label)] = gate_rates(regressor_pairs(seeds, rows, ratio, 200 + number))
    for number, disagree in enumerate(DISAGREE_SWEEP):
        if disagree != DISAGREE:
            pairs = classifier_pairs(seeds, rows, 0.05, disagree, seed=300 + number)
            out[("classifier", f"better, disagree {disagree:.0%}")] = gate_rates(pairs)
    return out


def hourly_equal_classifier(seeds: int) -> tuple[float, float, int]:
    """Repeated looks as ``steward serve`` makes them (``monitor.every: 1h``): an equal
    classifier judged every hour of the 20 days; shares promoted by the gate and the SPRT."""
    pairs = classifier_pairs(seeds, LOOK_ROWS * LOOKS, 0.0, DISAGREE, seed=101)
    sizes = [round(LOOK_ROWS * hour / 24) for hour in range(1, 24 * LOOKS + 1)]
    looks = [(n, GATE.alpha) for n in sizes if n >= GATE.min_samples]
    first = [first_promotion(pairs, s, looks) for s in range(seeds)]
    sprt = mixture_sprt(pairs.improvement_rows(), [n for n, _ in looks], GATE.alpha)
    fixed = float(np.mean([f is not None for f in first]))
    return fixed, float(sprt.any(axis=1).mean()), len(looks)


# --- printing ---------------------------------------------------------------------------


def wilson(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a share measured on ``n`` trials."""
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_months(results: dict[str, list[MonthResult]]) -> None:
    quiet, budget = results["quiet"], PLAN.alerts.budget_per_month
    sent = np.array([m.notifications for m in quiet])
    over = float(np.mean(sent > budget))
    rules = sorted({r for m in quiet for r in m.by_rule})
    print(f"\n1. alert budget on quiet months ({len(quiet)} months, budget {budget})")
    print(f"  notifications per month: mean {sent.mean():.2f}, max {sent.max()}")
    for rule in rules:
        print(f"    of which {rule}: {sum(m.by_rule.get(rule, 0) for m in quiet)} in all")
    fails, warns, tests = (np.mean([m.drift_verdicts[v] for m in quiet]) for v in VERDICTS)
    print(
        f"  drift findings per month: {tests:.0f} (column-days), fail {fails:.2f}, warn {warns:.2f}"
    )
    print(f"  share of months over budget   {over:7.1%}  target 0%  {verdict(over == 0)}")
    print_delays(results["shifted"])


def print_delays(shifted: list[MonthResult]) -> None:
    rule, for_ = PLAN.alerts.rules[0].name, PLAN.alerts.rules[0].for_
    fired = [m.first_firing.get(rule) for m in shifted]
    early = sum(1 for f in fired if f is not None and f < SHIFT_DAY)
    windows = [f - SHIFT_DAY + 1 for f in fired if f is not None and f >= SHIFT_DAY]
    after = [
        f - m.sustained_from + 1
        for f, m in zip(fired, shifted, strict=True)
        if f is not None and m.sustained_from is not None and f >= SHIFT_DAY
    ]
    k = PLAN.checks.windows.k
    print(f"\n2. detection delay: +{SHIFT_SD} sd on {', '.join(SHIFTED)} from day {SHIFT_DAY}")
    print(f"  fired in {len(windows)}/{len(shifted)} months; before the shift in {early}")
    print(f"  shifted windows closed when {rule} fired: {_spread(windows)}")
    print(f"  windows from sustained (k={k}) to firing: {_spread(after)}")
    ok = len(after) == len(shifted) and early == 0 and max(after, default=99) <= for_
    print(f"  within for={for_} windows of sustained in every month  {verdict(ok)}")


def _spread(values: list[int]) -> str:
    if not values:
        return "never"
    counts = np.bincount(values)
    shown = ", ".join(f"{v}: {c}" for v, c in enumerate(counts) if c)
    return f"median {np.median(values):g}, max {max(values)}  (value: months {shown})"


def print_gate(rates: dict[tuple[str, str], GateRates], seeds: int) -> None:
    print(f"\n3. promotion gate, {seeds} seeds per row (share promoted)")
    print(f"  classifier: accuracy {ACCURACY:.2f}, models disagree on {DISAGREE:.0%} of rows;")
    print("  regressor: Gaussian residuals, shared label noise; default gate (alpha 0.05,")
    print(f"  min_samples {GATE.min_samples}); repeated = {LOOKS} daily looks of {LOOK_ROWS} rows")
    head = f"  {'task':<10} {'challenger':<24} {'single':>7} {'2×min':>7} {'repeated':>9}"
    print(head + f" {'doubling':>9} {'sprt':>7}  {'day fixed':>9} {'day sprt':>9}")
    print("  " + "-" * (len(head) + 37))
    for (task, label), r in rates.items():
        print(
            f"  {task:<10} {label:<24} {r.single:7.1%} {r.double_n:7.1%} {r.repeated:9.1%}"
            f" {r.doubling:9.1%} {r.sprt:7.1%}  {_median(r.first_day):>9} {_median(r.sprt_day):>9}"
        )
    print(
        "  single: one look at min_samples rows; 2×min: one look at twice that; repeated: any"
        "\n  daily look (the gate today); doubling: looks at 500·2^j rows at alpha/2^(j+1);"
        "\n  sprt: always-valid mixture SPRT at every daily look; day: median day of promotion"
    )
    print_gate_targets(rates, seeds)


def _median(days: list[int]) -> str:
    return f"{np.median(days):g}" if days else "-"


def print_gate_targets(rates: dict[tuple[str, str], GateRates], seeds: int) -> None:
    alpha = GATE.alpha
    print("\n  targets (from the issue); [95% Wilson interval]")
    for task in ("classifier", "regressor"):
        worse, equal, better = (rates[(task, x)] for x in ("worse", "equal", "better"))
        rows = [
            ("worse, any look", max(worse.single, worse.repeated), "= 0", worse.repeated == 0),
            ("equal, single look", equal.single, f"≤ {alpha:.0%}", equal.single <= alpha),
            ("equal, repeated looks", equal.repeated, f"≤ {alpha:.0%}", equal.repeated <= alpha),
            ("better, at min_samples", better.single, "≥ 95%", better.single >= 0.95),
        ]
        for name, value, target, ok in rows:
            low, high = wilson(value, seeds)
            text, interval = f"{task} {name}", f"[{low:5.1%}, {high:5.1%}]"
            print(f"  {text:<34} {value:6.1%} {interval}  target {target:<5} {verdict(ok)}")
        print(f"  {task} repeated-look false promotions: {equal.repeated / alpha:.1f}× alpha")


def print_hourly(seeds: int) -> None:
    fixed, sprt, looks = hourly_equal_classifier(seeds)
    print(f"\n  equal classifier, {looks} hourly looks over {LOOKS} days, {seeds} seeds:")
    print(f"  promoted by the gate {fixed:.1%} ({fixed / GATE.alpha:.1f}× alpha), sprt {sprt:.1%}")


# --- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="simulated months (each kind)")
    parser.add_argument("--gate-seeds", type=int, default=2000, help="per scenario; 0: skip")
    parser.add_argument("--rows-per-day", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="5 months, 200 gate seeds")
    parser.add_argument(
        "--hourly", type=int, default=0, metavar="SEEDS", help="also hourly looks (~0.1 s/seed)"
    )
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.gate_seeds = 5, 200
    started, load = time.perf_counter(), os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as home:
        store = Store.open(f"sqlite:///{Path(home) / 'bench.db'}", home_dir=Path(home))
        months = simulate_months(store, args.seeds, args.rows_per_day)
        store.engine.dispose()
    months_s = time.perf_counter() - started
    print_months(months)
    gate_started = time.perf_counter()
    if args.gate_seeds:
        print_gate(gate_scenarios(args.gate_seeds), args.gate_seeds)
    if args.hourly:
        print_hourly(args.hourly)
    gate_s, end_load = time.perf_counter() - gate_started, os.getloadavg()
    print(
        f"\nwall time {time.perf_counter() - started:.0f} s (months {months_s:.0f} s,"
        f" gate {gate_s:.0f} s); load at the end {end_load[0]:.2f} {end_load[1]:.2f}"
    )


if __name__ == "__main__":
    main()
