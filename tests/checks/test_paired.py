"""The gate's paired statistics against hand-worked examples, scipy and statsmodels, and the
gate's decisions over many simulated seeds (never promote worse, promote clearly better)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from steward._exceptions import CheckError
from steward.checks.paired import (
    decide,
    mcnemar,
    paired_bootstrap,
    paired_t_on_errors,
)
from steward.plan.schema import Gate

SEEDS = 200


def _correctness(n01: int, n10: int, both: int = 10, neither: int = 5) -> tuple:
    a = [True] * n01 + [False] * n10 + [True] * both + [False] * neither
    b = [False] * n01 + [True] * n10 + [True] * both + [False] * neither
    return np.array(a), np.array(b)


# --- McNemar -------------------------------------------------------------------------------


def test_mcnemar_exact_by_hand() -> None:
    # 1 row only the champion got right, 9 only the challenger: P(X >= 9 | 10, 1/2) = 11/1024
    result = mcnemar(*_correctness(1, 9))
    assert result.method == "mcnemar-exact"
    assert result.statistic == 1.0
    assert result.p_value == pytest.approx(11 / 1024)
    assert result.p_value_worse == pytest.approx(1 - 1 / 1024)  # P(X <= 9) = 1 - P(X = 10)
    assert result.details["p_two_sided"] == pytest.approx(22 / 1024)
    assert result.n == 25
    assert result.estimate == pytest.approx(8 / 25)


def test_mcnemar_chi_square_by_hand() -> None:
    # discordant 59 vs 121: (|121 - 59| - 1)^2 / 180 = 3721 / 180
    result = mcnemar(*_correctness(59, 121, both=101, neither=33))
    assert result.method == "mcnemar-chi2"
    assert result.statistic == pytest.approx(3721 / 180)
    assert result.details["p_two_sided"] == pytest.approx(stats.chi2.sf(3721 / 180, 1))
    assert result.p_value == pytest.approx(result.details["p_two_sided"] / 2)
    assert result.p_value == pytest.approx(2.725e-6, rel=1e-3)  # 5.45e-6 / 2 from the table
    assert result.p_value_worse > 0.99999
    mirrored = mcnemar(*_correctness(121, 59))
    assert mirrored.p_value_worse == pytest.approx(result.p_value)


def test_mcnemar_without_discordant_pairs_is_undecided() -> None:
    result = mcnemar(np.ones(30, bool), np.ones(30, bool))
    assert (result.p_value, result.p_value_worse, result.estimate) == (1.0, 1.0, 0.0)


def test_mcnemar_matches_statsmodels() -> None:
    from statsmodels.stats import contingency_tables as sm  # a test dependency: never skipped

    rng = np.random.default_rng(7)
    for n01, n10 in [(3, 12), (0, 7), (10, 14), (40, 61), (200, 170), (13, 12)]:
        a, b = _correctness(int(n01), int(n10), both=int(rng.integers(50)))
        table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
        exact = n01 + n10 < 25
        expected = sm.mcnemar(table, exact=exact, correction=True)
        result = mcnemar(a, b)
        assert result.statistic == pytest.approx(expected.statistic)
        assert result.details["p_two_sided"] == pytest.approx(expected.pvalue)


def test_mcnemar_rejects_unpaired_lengths() -> None:
    with pytest.raises(CheckError, match="same length"):
        mcnemar([True, False], [True])


# --- bootstrap -----------------------------------------------------------------------------


def _accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(y == pred))


def test_paired_bootstrap_interval_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 600)
    a = np.where(rng.random(600) < 0.75, y, 1 - y)
    b = np.where(rng.random(600) < 0.82, y, 1 - y)
    ours = paired_bootstrap(_accuracy, y, a, b, n_boot=3000, seed=1)
    theirs = stats.bootstrap(
        (y, a, b),
        lambda yy, aa, bb: _accuracy(yy, bb) - _accuracy(yy, aa),
        paired=True,
        vectorized=False,
        n_resamples=3000,
        method="percentile",
        random_state=2,
    ).confidence_interval
    assert ours.estimate == pytest.approx(_accuracy(y, b) - _accuracy(y, a))
    assert ours.ci_low == pytest.approx(theirs.low, abs=0.01)
    assert ours.ci_high == pytest.approx(theirs.high, abs=0.01)
    # for a mean difference the bootstrap p-value is close to the normal approximation
    z = ours.estimate / ours.details["se"]
    assert ours.p_value == pytest.approx(stats.norm.sf(z), abs=0.02)  # ties at 0 count


def test_paired_bootstrap_margin_and_direction() -> None:
    y = np.zeros(400)
    a = np.r_[np.full(200, 1.0), np.full(200, 2.0)]  # champion errors 1 and 2
    b = a - 0.5  # challenger exactly 0.5 closer everywhere

    def mae(yy: np.ndarray, pp: np.ndarray) -> float:
        return float(np.mean(np.abs(pp - yy)))

    result = paired_bootstrap(mae, y, a, b, n_boot=500, higher_is_better=False, margin=0.4)
    assert result.estimate == pytest.approx(0.5)
    assert result.p_value == pytest.approx(1 / 501)  # no resample improves by 0.4 or less
    beyond = paired_bootstrap(mae, y, a, b, n_boot=500, higher_is_better=False, margin=0.6)
    assert beyond.p_value == 1.0


# --- paired t ------------------------------------------------------------------------------


def test_paired_t_by_hand() -> None:
    # improvements 1, 2, 3, 4: mean 2.5, sd sqrt(5/3), t = 2.5 / (sd / 2) = 3.873 on 3 df
    result = paired_t_on_errors([2.0, 4.0, 6.0, 8.0], [1.0, 2.0, 3.0, 4.0])
    assert result.statistic == pytest.approx(2.5 / (np.sqrt(5 / 3) / 2))
    assert result.p_value == pytest.approx(stats.t.sf(3.8729833, 3), rel=1e-6)
    assert result.estimate == pytest.approx(2.5)
    assert result.details["wilcoxon_p"] == pytest.approx(1 / 16)  # all four positive


def test_paired_t_matches_scipy_with_margin() -> None:
    rng = np.random.default_rng(5)
    err_a = np.abs(rng.normal(size=300))
    err_b = np.abs(rng.normal(scale=0.8, size=300))
    result = paired_t_on_errors(err_a, err_b, margin=0.05)
    expected = stats.ttest_1samp(err_a - err_b - 0.05, 0.0, alternative="greater")
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    wilcoxon = stats.wilcoxon(err_a - err_b - 0.05, alternative="greater")
    assert result.details["wilcoxon_p"] == pytest.approx(wilcoxon.pvalue)
    assert result.p_value_worse == pytest.approx(
        stats.ttest_rel(err_a, err_b, alternative="less").pvalue
    )


def test_paired_t_constant_difference() -> None:
    result = paired_t_on_errors([3.0, 3.0, 3.0], [1.0, 1.0, 1.0])
    assert (result.p_value, result.p_value_worse) == (0.0, 1.0)


# --- decide: many seeds --------------------------------------------------------------------


def _classifier_case(seed: int, n: int, p_champion: float, p_challenger: float) -> tuple:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    champion = np.where(rng.random(n) < p_champion, y, 1 - y)
    challenger = np.where(rng.random(n) < p_challenger, y, 1 - y)
    return y, champion, challenger


def _promotions(p_challenger: float, n: int = 2000, gate: Gate | None = None) -> list[str]:
    gate = gate or Gate(min_samples=500)
    decisions = []
    for seed in range(SEEDS):
        y, a, b = _classifier_case(seed, n, 0.80, p_challenger)
        decisions.append(decide("classification", "accuracy", y, a, b, gate=gate).decision)
    return decisions


def test_gate_never_promotes_a_worse_classifier() -> None:
    decisions = _promotions(0.77)
    assert decisions.count("promote") == 0
    assert decisions.count("keep") == SEEDS  # worse but kept: retire_rejected is off


def test_gate_rarely_promotes_an_equal_classifier() -> None:
    assert _promotions(0.80).count("promote") <= 0.05 * SEEDS + 5


def test_gate_promotes_a_clearly_better_classifier() -> None:
    decisions = _promotions(0.85)
    assert decisions.count("promote") >= 0.95 * SEEDS


def test_gate_retires_a_worse_classifier_when_the_plan_says_so() -> None:
    decisions = _promotions(0.70, gate=Gate(min_samples=500, retire_rejected=True))
    assert decisions.count("retire") == SEEDS


def test_gate_waits_for_enough_samples() -> None:
    y, a, b = _classifier_case(0, 300, 0.6, 0.95)
    decision = decide("classification", None, y, a, b, gate=Gate(min_samples=500))
    assert decision.decision == "insufficient"
    assert decision.n == 300 and decision.p_value is None
    assert "300" in decision.reason and "500" in decision.reason


def test_gate_with_a_margin_uses_the_bootstrap() -> None:
    gate = Gate(min_samples=500, margin=0.02)
    better, barely = [], []
    for seed in range(40):
        y, a, b = _classifier_case(seed, 2000, 0.80, 0.87)
        better.append(decide("classification", None, y, a, b, gate=gate, n_boot=400, seed=seed))
        y, a, b = _classifier_case(seed, 2000, 0.80, 0.81)
        barely.append(decide("classification", None, y, a, b, gate=gate, n_boot=400, seed=seed))
    assert {d.method for d in better} == {"bootstrap"}
    assert sum(d.decision == "promote" for d in better) >= 38
    assert sum(d.decision == "promote" for d in barely) == 0  # +1 point is inside the margin


def _regressor_case(seed: int, n: int, noise_champion: float, noise_challenger: float) -> tuple:
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    return y, y + rng.normal(0, noise_champion, n), y + rng.normal(0, noise_challenger, n)


@pytest.mark.parametrize(
    ("noise", "low", "high"),
    [(1.10, 0, 0), (1.0, 0, 0.05 * SEEDS + 5), (0.9, 0.95 * SEEDS, SEEDS)],
    ids=["worse", "equal", "better"],
)
def test_gate_on_regressors(noise: float, low: float, high: float) -> None:
    promoted = 0
    for seed in range(SEEDS):
        y, a, b = _regressor_case(seed, 2000, 1.0, noise)
        decision = decide("regression", None, y, a, b, gate=Gate(min_samples=500))
        assert decision.method == "paired-t" and decision.metric == "mae"
        promoted += decision.decision == "promote"
    assert low <= promoted <= high


def test_decision_evidence_is_json_ready() -> None:
    import json

    y, a, b = _classifier_case(1, 1000, 0.7, 0.8)
    decision = decide("classification", None, y, a, b, gate=Gate(min_samples=100))
    evidence = json.loads(json.dumps(decision.evidence()))
    assert evidence["decision"] == "promote"
    for key in ("statistic", "p_value", "n", "metrics", "deltas", "method", "ci"):
        assert evidence[key] is not None
    assert evidence["metrics"]["challenger"] > evidence["metrics"]["champion"]
    assert evidence["deltas"]["delta"] == pytest.approx(
        evidence["metrics"]["challenger"] - evidence["metrics"]["champion"]
    )


def test_decide_score_metrics_and_missing_rows() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 800)
    good = np.clip(0.8 * y + 0.1 + rng.normal(0, 0.05, 800), 0.01, 0.99)
    vague = np.full(800, 0.5)
    scores = lambda p: np.c_[1 - p, p]  # noqa: E731
    decision = decide(
        "classification",
        "log_loss",
        y,
        (vague > 0.5).astype(int),
        (good > 0.5).astype(int),
        scores(vague),
        scores(good),
        gate=Gate(min_samples=100),
        classes=[0, 1],
    )
    assert decision.decision == "promote" and decision.improvement > 0.5
    with_gaps = np.array([None] * 10 + list(y[10:]), dtype=object)
    thinned = decide("classification", None, with_gaps, y, y, gate=Gate(min_samples=10))
    assert thinned.n == 790


def test_decide_rejects_mismatched_metric_and_test() -> None:
    y = np.arange(20.0)
    with pytest.raises(CheckError, match="is for classification"):
        decide("regression", "accuracy", y, y, y, gate=Gate(min_samples=10))
    with pytest.raises(CheckError, match="McNemar"):
        decide("regression", None, y, y, y, gate=Gate(min_samples=10, test="mcnemar"))
    with pytest.raises(CheckError, match="per-row"):
        decide("regression", "rmse", y, y, y, gate=Gate(min_samples=10, test="paired_t"))


def test_module_examples_run() -> None:
    import doctest

    import steward.checks.gate_metrics as gate_metrics
    import steward.checks.paired as paired

    assert doctest.testmod(paired).failed == 0
    assert doctest.testmod(gate_metrics).failed == 0


def test_sequential_look_rows_and_levels() -> None:
    from steward.checks.paired import sequential_look

    assert sequential_look(599, 600, 0.05) == (599, 0.05)
    assert sequential_look(600, 600, 0.05) == (600, 0.025)
    assert sequential_look(1199, 600, 0.05) == (600, 0.025)
    assert sequential_look(1200, 600, 0.05) == (1200, 0.0125)
    levels = [sequential_look(600 * 2**k, 600, 0.05)[1] for k in range(30)]
    assert sum(levels) <= 0.05


def _repeated_looks(seed: int, spend: bool, looks: int = 12, per_look: int = 300) -> bool:
    """An equal challenger, tested after every day of new labelled shadow rows."""
    from steward.checks.paired import sequential_look

    rng = np.random.default_rng(seed)
    n = looks * per_look
    y = rng.integers(0, 2, n)
    champion = np.where(rng.random(n) < 0.75, y, 1 - y)
    challenger = np.where(rng.random(n) < 0.75, y, 1 - y)
    gate = Gate(min_samples=300)
    for look in range(1, looks + 1):
        seen = look * per_look
        used, alpha = sequential_look(seen, 300, 0.05) if spend else (seen, 0.05)
        level = gate.model_copy(update={"alpha": alpha})
        verdict = decide(
            "classification", "accuracy", y[:used], champion[:used], challenger[:used], gate=level
        )
        if verdict.decision == "promote":
            return True
    return False


def test_repeated_looks_keep_false_promotions_below_alpha() -> None:
    seeds = range(300)
    spent = np.mean([_repeated_looks(seed, spend=True) for seed in seeds])
    naive = np.mean([_repeated_looks(seed, spend=False) for seed in seeds])
    assert spent <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
    assert naive > spent  # the test can see the problem it guards against
