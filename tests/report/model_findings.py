"""Findings of the model-side families, built by hand after the contract the renderers follow.

Added to the four-window report of ``conftest.py`` they describe a binary classifier on the
target ``churned`` whose labels arrive late (coverage 90% → 5%): ``roc_auc`` slides from 0.91 to
0.80 against a reference of 0.90; its estimate is unreliable in the last window, and so is the
f1 estimate on all rows. Outliers spike in window 2 (transient) and rise from window 3
(sustained); one client probes the model.
"""

from __future__ import annotations

from typing import Any

TARGET = "churned"
COVERAGE = [0.9, 0.6, 0.3, 0.05]
ALL_ROWS_COVERAGE = 0.4625
UNRELIABLE_REASON = "estimate disagrees with realised roc_auc on the labelled rows (0.71 vs 0.80)"
CALIBRATION_REASON = "too few positives in the reference to calibrate (12 < 50)"
UNRELIABLE = {("roc_auc", 3): UNRELIABLE_REASON, ("f1", None): CALIBRATION_REASON}
SEGMENTS_CLEAR = "no segment is significantly worse than the rest (best q = 0.41)"

# metric -> (reference, realised per window, realised on all rows, half band width)
REALISED = {
    "roc_auc": (0.9, [0.91, 0.88, 0.82, 0.80], 0.86, 0.02),
    "accuracy": (0.85, [0.86, 0.84, 0.80, 0.79], 0.83, 0.015),
    "f1": (0.7, [0.71, 0.69, 0.62, 0.60], 0.66, 0.03),
    "precision": (0.72, [0.73, 0.70, 0.66, 0.64], 0.69, 0.03),
    "recall": (0.68, [0.69, 0.68, 0.60, 0.57], 0.64, 0.03),
    "average_precision": (0.75, [0.75, 0.74, 0.71, 0.70], 0.73, 0.02),
    "log_loss": (0.35, [0.34, 0.36, 0.42, 0.45], 0.38, 0.02),
    "brier": (0.11, [0.11, 0.11, 0.13, 0.14], 0.12, 0.01),
}
# metric -> (estimate per window, estimate on all rows)
ESTIMATED = {
    "roc_auc": ([0.9, 0.87, 0.83, 0.71], 0.84),
    "accuracy": ([0.85, 0.84, 0.81, 0.80], 0.82),
    "f1": ([0.70, 0.69, 0.64, 0.61], 0.65),
}
LOWER_IS_BETTER = {"log_loss", "brier"}


def performance_findings() -> list[dict[str, Any]]:
    found = []
    for window in [*range(4), None]:
        coverage = ALL_ROWS_COVERAGE if window is None else COVERAGE[window]
        found.append(_coverage(window, coverage))
        found += [_realised(metric, window, coverage) for metric in REALISED]
        found += [_estimated(metric, window, coverage) for metric in ESTIMATED]
    return found


def _coverage(window: int | None, coverage: float) -> dict[str, Any]:
    return finding(
        "performance.label_coverage", TARGET, window, coverage, "ok",
        f"{coverage:.0%} of rows labelled", {"labelled": round(coverage * 6250)},
    )  # fmt: skip


def _realised(metric: str, window: int | None, coverage: float) -> dict[str, Any]:
    reference, values, overall, half = REALISED[metric]
    value = overall if window is None else values[window]
    higher = metric not in LOWER_IS_BETTER
    worse = (reference - value) if higher else (value - reference)
    verdict = "fail" if worse > 0.07 else "warn" if worse > 0.03 else "ok"
    details = {
        "label_coverage": coverage, "labelled": round(coverage * 6250),
        "reference_value": reference, "higher_is_better": higher, "task": "binary",
    }  # fmt: skip
    found = finding(
        f"performance.{metric}", TARGET, window, value, verdict, f"{metric} {value}", details
    )
    found.update(threshold=reference, lower=round(value - half, 4), upper=round(value + half, 4))
    return found


def _estimated(metric: str, window: int | None, coverage: float) -> dict[str, Any]:
    values, overall = ESTIMATED[metric]
    reference = REALISED[metric][0]
    value = overall if window is None else values[window]
    reason = UNRELIABLE.get((metric, window))
    verdict = "unreliable" if reason else "warn" if reference - value > 0.03 else "ok"
    details: dict[str, Any] = {
        "method": "cbpe", "label_coverage": coverage, "reference_value": reference,
        "realised_on_labelled": REALISED[metric][1][window] if window is not None else None,
    }  # fmt: skip
    if reason:
        details["reason"] = reason
    found = finding(
        f"estimate.{metric}", TARGET, window, value, verdict, f"estimated {metric}", details
    )
    found.update(threshold=reference, lower=round(value - 0.025, 4), upper=round(value + 0.025, 4))
    return found


def stream_findings() -> list[dict[str, Any]]:
    return [
        finding("stream.adwin", None, 2, 0.12, "fail", "adwin detected a change at item 14100",
                {"index": 14100, "window": 2}),
        finding("stream.page_hinkley", "age", 3, 51.0, "fail",
                "page_hinkley detected a change at item 19800", {"index": 19800, "window": 3}),
    ]  # fmt: skip


def segment_findings() -> list[dict[str, Any]]:
    return [
        segment_worst(["plan = pro", "age >= 60"], 412, 0.0165, 0.31, 0.12, 2.58, 3.1e-6, "fail"),
        segment_worst(["region = north"], 1200, 0.048, 0.19, 0.12, 1.58, 0.003, "warn"),
        segment_metric("plan", "pro", 2100, 0.22, 0.13, small=False, verdict="warn"),
        segment_metric("plan", "enterprise", 35, 0.4, 0.14, small=True, verdict="ok"),
        segment_driver("age", 0.27, 0.31, 1, "fail"),
        segment_driver("plan", 0.09, 0.12, 2, "warn"),
        segment_driver("income", 0.01, 0.2, 3, "ok"),
        finding("segment.drift", "age", None, 0.41, "fail", "age drifted inside plan = pro",
                {"segment": "plan = pro"}),
    ]  # fmt: skip


def segment_worst(
    conditions: list[str], rows: int, support: float, inside: float, outside: float,
    ratio: float, q_value: float, verdict: str,
) -> dict[str, Any]:  # fmt: skip
    details = {
        "conditions": conditions, "rows": rows, "support": support, "inside": inside,
        "outside": outside, "ratio": ratio, "test": "two-proportion z", "q_value": q_value,
    }  # fmt: skip
    return finding("segment.worst", TARGET, None, ratio, verdict, " and ".join(conditions), details)


def segment_metric(
    segment: str, value: str, rows: int, inside: float, outside: float, small: bool, verdict: str
) -> dict[str, Any]:
    details = {
        "segment": segment, "value": value, "rows": rows, "inside": inside, "outside": outside,
        "small": small,
    }  # fmt: skip
    return finding("segment.metric", segment, None, inside, verdict, f"{segment}={value}", details)


def segment_driver(
    column: str, effect: float, importance: float, rank: int, verdict: str
) -> dict[str, Any]:
    details = {
        "drift_effect": effect, "importance": importance, "importance_source": "permutation",
        "rank": rank,
    }  # fmt: skip
    message = f"{column}: drift {effect} × importance {importance}"
    return finding("segment.driver", column, None, effect * importance, verdict, message, details)


def segments_clear() -> list[dict[str, Any]]:
    """The segment search ran and found nothing: one ``ok`` finding."""
    return [finding("segment.worst", TARGET, None, None, "ok", SEGMENTS_CLEAR, {"conditions": []})]


# detector -> (reference rate, rate per window, rate on all rows, verdict per window)
OUTLIERS = {
    "isolation_forest": (0.01, [0.011, 0.012, 0.048, 0.013], 0.021, ["ok", "ok", "fail", "ok"]),
    "mahalanobis": (0.02, [0.02, 0.021, 0.035, 0.06], 0.034, ["ok", "ok", "warn", "fail"]),
}


def outlier_findings() -> list[dict[str, Any]]:
    found = [_outlier(name, w) for name in OUTLIERS for w in [*range(4), None]]
    return [
        *found,
        finding("outlier.event", None, 2, 0.048, "warn", "isolation_forest spiked in 2026-01-19",
                {"signal": "isolation_forest", "kind": "transient", "windows": [2], "peak": 0.048}),
        finding("outlier.event", None, 3, 0.06, "fail", "mahalanobis stays high from 2026-01-26",
                {"signal": "mahalanobis", "kind": "sustained", "windows": [3], "peak": 0.06}),
        client("api-key-7f3a", 900, 0.036, 0.41, 0.8, "income",
               ["probing: income varied alone", "outlier rate 41% vs 1%"], "fail"),
        client("batch-nightly", 5000, 0.2, 0.02, 0.0, None, ["volume share 20%"], "warn"),
        client("web", 19100, 0.764, 0.01, 0.0, None, [], "ok"),
    ]  # fmt: skip


def _outlier(name: str, window: int | None) -> dict[str, Any]:
    reference, rates, overall, verdicts = OUTLIERS[name]
    rate = overall if window is None else rates[window]
    verdict = "fail" if window is None else verdicts[window]
    rows = 25_000 if window is None else 6250
    details = {
        "flagged": round(rate * rows), "rows": rows, "top_rows": [17, 4242, 9001],
        "top_features": ["income", "age"],
    }  # fmt: skip
    found = finding(f"outlier.{name}", None, window, rate, verdict, f"{name} {rate:.1%}", details)
    found.update(threshold=reference, p_value=1e-6 if verdict == "fail" else 0.2)
    return found


def client(
    name: str, rows: int, volume: float, outlier_rate: float, probing: float,
    varied: str | None, reasons: list[str], verdict: str,
) -> dict[str, Any]:  # fmt: skip
    details = {
        "client": name, "rows": rows, "volume_share": volume, "outlier_rate": outlier_rate,
        "probing_share": probing, "varied_feature": varied, "reasons": reasons,
    }  # fmt: skip
    return finding("outlier.client", None, None, outlier_rate, verdict, name, details)


def multivariate_findings() -> list[dict[str, Any]]:
    top = [{"feature": "age", "importance": 0.62}, {"feature": "plan", "importance": 0.2}]
    auc = [0.52, 0.61, 0.66, 0.71]
    found = [
        finding("drift.domain_classifier", None, w, auc[w], "fail" if auc[w] >= 0.6 else "ok",
                f"domain classifier AUC {auc[w]}", {"top_features": top})
        for w in range(4)
    ]  # fmt: skip
    overall = finding(
        "drift.domain_classifier",
        None,
        None,
        0.68,
        "fail",
        "domain classifier AUC 0.68",
        {"top_features": top},
    )
    pca = finding("drift.pca_reconstruction", None, None, 0.084, "warn",
                  "reconstruction error 0.084 vs 0.05", {})  # fmt: skip
    for f in (*found, overall, pca):
        f.update(threshold=0.6 if f["check"].endswith("classifier") else 0.05, p_value=1e-5)
    return [*found, overall, pca]


def skew_findings() -> list[dict[str, Any]]:
    mismatch = {
        "share": 0.12, "mean_abs_diff": 310.5, "max_abs_diff": 12_000.0,
        "top_pairs": [[52_000, 52_310.5], [40_000, 52_000]],
    }  # fmt: skip
    ks = finding("skew.ks", "age", None, 0.08, "warn", "age skewed", {"q_value": 0.004})
    ks.update(p_value=0.002, effect_size=0.07, threshold=0.1)
    chi = finding("skew.chi_square", "plan", None, 3.1, "ok", "plan not skewed", {"q_value": 0.5})
    chi.update(p_value=0.4, effect_size=0.01, threshold=0.05)
    return [
        ks,
        chi,
        finding("skew.row_mismatch", "income", None, 0.12, "fail",
                "income differs on 12% of joined rows", mismatch),
        finding("skew.row_join", None, None, 0.97, "ok", "97% of serving rows joined",
                {"joined": 970, "serving_only": 30}),
        finding("skew.preprocessing", "income", None, 1000.0, "fail",
                "income looks scaled differently at serving (ratio 1000)", {"ratio": 1000.0}),
    ]  # fmt: skip


def model_findings() -> list[dict[str, Any]]:
    return [
        *performance_findings(),
        *stream_findings(),
        *segment_findings(),
        *outlier_findings(),
        *multivariate_findings(),
        *skew_findings(),
    ]


def finding(
    check: str, column: str | None, window: int | None, statistic: float | None, verdict: str,
    message: str, details: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    return {
        "check": check, "column": column, "window": window, "statistic": statistic,
        "p_value": None, "effect_size": None, "threshold": None, "verdict": verdict,
        "message": message, "details": details, "lower": None, "upper": None,
    }  # fmt: skip
