"""Label-free performance estimates: Steward's CBPE/DLE against NannyML's, on known truth.

    python bench/estimate_vs_nannyml.py                                # all four datasets
    python bench/estimate_vs_nannyml.py --peers-python /tmp/peers/bin/python
    python bench/estimate_vs_nannyml.py --datasets credit,regression --skip nannyml

Four seeded datasets with every label known (the windows' labels are the ground truth):

* ``credit``     binary, covariate shift: ``steward.datasets.credit_stream``'s recipe with
                 every label kept (incomes fall, a new region appears; P(default |
                 applicant) unchanged), logistic model.
* ``concept``    binary, concept shift: features keep their distribution while P(y | x)
                 moves from window 6 on (intercept up, one coefficient fading), logistic model.
* ``multiclass`` three string classes, covariate shift, a miscalibrated Gaussian naive Bayes.
* ``regression`` heteroscedastic noise, covariate shift into the noisier region, linear model.

Each goes to Parquet once; Steward and NannyML then run in their own subprocesses on the
same files and the same windows (``--window-rows`` rows each; NannyML's ``chunk_size``).
Both see the reference with labels and the windows without them; Steward also sees the
labels of a random ``--label-share`` of each window's rows (labels arriving late), which
its estimates do not use but its ``unreliable`` check does. Times exclude imports and
reading the Parquet. Both children run with ``--threads`` OpenMP/BLAS threads (default 1:
the machine may be shared, and oversubscribed OpenMP in gradient boosting is slower, not
faster). ``--seeds`` datasets are drawn per kind; the per-window table shows the first.

Reported per dataset: per-window |estimate − realised| per metric for both, their mean and
ratio, the windows Steward marks ``unreliable`` (and why) and those NannyML alerts on, and
the windows where *both* are wrong (error above 0.03 for metrics in [0, 1], above 5 % of
the realised value for MAE/RMSE) — which a user should see flagged (``unreliable``) or at
least inside Steward's band (the window's own sampling noise, which the band reports).
The summary's target (error no worse than NannyML's) reads PASS when Steward's mean error
over every window, metric and seed is not above NannyML's, TIE when above by less than
two standard errors of the paired per-window difference (noise), MISS otherwise.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATASETS = ("credit", "concept", "multiclass", "regression")
TOLERANCE = {"bounded": 0.03, "relative": 0.05}


# --- parent -----------------------------------------------------------------------------------


def main() -> None:
    args = _parse()
    if args.child:
        _child(args.child, Path(args.spec))
        return
    names = [d.strip() for d in args.datasets.split(",") if d.strip()]
    peers = None if "nannyml" in args.skip else _peers_python(args.peers_python)
    print(f"steward python: {sys.executable}\npeers python:   {peers or '(skipped)'}")
    print(
        f"{args.seeds} seed(s) × {args.windows} windows × {args.window_rows} rows per dataset, "
        f"reference {args.reference_rows} rows; labels arrive for {args.label_share:.0%} of "
        f"window rows (Steward only); {args.threads} thread(s); load average "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    summary = []
    with tempfile.TemporaryDirectory(prefix="steward-estimate-") as tmp:
        for name in names:
            results = [
                _evaluate(name, seed, Path(tmp), args, peers)
                for seed in range(args.seed, args.seed + args.seeds)
            ]
            summary.append(_report(results))
    _print_summary(summary)


def _evaluate(
    name: str, seed: int, directory: Path, args: argparse.Namespace, peers: Path | None
) -> dict[str, Any]:
    """One dataset at one seed: both contenders' estimates, the truth and the errors."""
    spec = _write_dataset(name, seed, directory, args)
    runs = {"steward": _run(sys.executable, "steward", spec, args.threads)}
    if peers is not None:
        runs["nannyml"] = _run(str(peers), "nannyml", spec, args.threads)
    truth = _realised(spec)
    errors = {
        tool: [
            {m: abs(run["windows"][w][m]["value"] - truth[w][m]) for m in spec["metrics"]}
            for w in range(spec["windows"])
        ]
        for tool, run in runs.items()
    }
    return {"spec": spec, "runs": runs, "truth": truth, "errors": errors}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--window-rows", type=int, default=2000)
    parser.add_argument("--reference-rows", type=int, default=20_000)
    parser.add_argument("--label-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=3, help="datasets drawn per kind")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip", default="", help="'nannyml' to run Steward alone")
    parser.add_argument("--peers-python", type=Path, default=None)
    parser.add_argument("--child", choices=("steward", "nannyml"), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    return parser.parse_args()


def _peers_python(given: Path | None) -> Path:
    sys.path.insert(0, str(BENCH))
    import _venv

    return _venv.peers_python(given or _venv.DEFAULT_PYTHON)


def _run(python: str, contender: str, spec: dict[str, Any], threads: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "NML_DISABLE_USAGE_LOGGING": "1",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONWARNINGS": "ignore",
    }
    command = [python, str(Path(__file__).resolve()), "--child", contender, "--spec", spec["path"]]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{contender} failed on {spec['name']}:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


# --- datasets (Steward's interpreter) ---------------------------------------------------------


def _write_dataset(
    name: str, seed: int, directory: Path, args: argparse.Namespace
) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    reference, analysis, spec = MAKERS[name](args, seed, rng)
    rows = analysis.num_rows
    labelled = rng.random(rows) < args.label_share
    reference = reference.append_column("_labelled", pa.array(np.ones(reference.num_rows, bool)))
    analysis = analysis.append_column("_labelled", pa.array(labelled))
    stem = f"{name}_{seed}"
    paths = {k: str(directory / f"{stem}_{k}.parquet") for k in ("reference", "analysis")}
    pq.write_table(reference, paths["reference"])
    pq.write_table(analysis, paths["analysis"])
    spec = {
        **spec,
        "name": name,
        **paths,
        "window_rows": args.window_rows,
        "windows": args.windows,
        "seed": seed,
        "path": str(directory / f"{stem}.json"),
    }
    Path(spec["path"]).write_text(json.dumps(spec))
    return spec


def _credit(args: argparse.Namespace, seed: int, rng: Any) -> tuple[Any, Any, dict[str, Any]]:
    """``credit_stream``'s recipe with every label kept (the stream hides late ones)."""
    from datetime import datetime, timedelta

    import pyarrow as pa

    from steward import datasets as d

    start = datetime(2026, 1, 5)
    ref = d.applicants(args.reference_rows, rng)
    ref_y = rng.random(args.reference_rows) < d.default_probability(ref)
    model = d.train_model(ref, ref_y)
    reference = d._table(ref, ref_y, model, rng, start - timedelta(weeks=8), 56, 0)
    parts, half = [], args.windows // 2
    for week in range(args.windows):
        drift = 0.0 if week < half else min(1.0, 0.5 + 0.15 * (week - half))
        x = d.applicants(args.window_rows, rng, drift)
        y = rng.random(args.window_rows) < d.default_probability(x)
        first = args.reference_rows + week * args.window_rows
        parts.append(d._table(x, y, model, rng, start + timedelta(weeks=week), 7, first))
    keep = [*d.FEATURES, "score", "prediction", "defaulted"]
    spec = {
        "kind": "binary",
        "title": "credit: binary, covariate shift (new region, lower incomes)",
        "target": "defaulted",
        "prediction": "prediction",
        "scores": {"1": "score"},
        "features": d.FEATURES,
        "positive": 1,
        "categorical": ["region", "employment", "open_accounts"],
        "metrics": ["roc_auc", "accuracy", "precision", "recall", "f1"],
    }
    return reference.select(keep), pa.concat_tables(parts).select(keep), spec


def _concept(args: argparse.Namespace, seed: int, rng: Any) -> tuple[Any, Any, dict[str, Any]]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def rows(n: int, strength: float) -> tuple[dict[str, Any], Any]:
        x = {f"x{i}": rng.normal(0, 1, n) for i in range(1, 5)}
        logit = (
            -1.0
            + 1.0 * strength
            + (1.5 - 1.2 * strength) * x["x1"]
            + 0.8 * x["x2"]
            - 0.6 * x["x3"]
            + 0.3 * x["x4"]
        )
        return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)

    half = args.windows // 2
    strengths = [0.0] * half + [(w + 1) / (args.windows - half) for w in range(args.windows - half)]
    ref_x, ref_y = rows(args.reference_rows, 0.0)
    model = LogisticRegression().fit(_matrix(ref_x), ref_y)
    parts = [rows(args.window_rows, s) for s in strengths]
    spec = {
        "kind": "binary",
        "title": "concept: binary, concept shift from window "
        f"{half} (P(y|x) moves, features do not)",
        "target": "y",
        "prediction": "y_pred",
        "scores": {"1": "score"},
        "features": list(ref_x),
        "positive": 1,
        "categorical": [],
        "metrics": ["roc_auc", "accuracy", "precision", "recall", "f1"],
    }
    return (
        _binary_table(ref_x, ref_y, model),
        _concat([_binary_table(x, y, model) for x, y in parts]),
        spec,
    )


def _binary_table(x: dict[str, Any], y: Any, model: Any) -> Any:
    import pyarrow as pa

    score = model.predict_proba(_matrix(x))[:, 1]
    return pa.table({**x, "score": score, "y_pred": (score >= 0.5).astype("int64"), "y": y})


def _multiclass(args: argparse.Namespace, seed: int, rng: Any) -> tuple[Any, Any, dict[str, Any]]:
    import numpy as np
    from sklearn.naive_bayes import GaussianNB

    classes = np.array(["bronze", "silver", "gold"])

    def rows(n: int, shift: float) -> tuple[dict[str, Any], Any]:
        x = {
            "a": rng.normal(shift, 1, n),
            "b": rng.normal(0, 1, n),
            "c": rng.gamma(2.0 + shift, 1.0, n),
            "d": rng.normal(0, 1, n),
        }
        logits = np.column_stack(
            [
                0.4 - 1.2 * x["a"] + 0.5 * x["b"],
                0.2 + 0.6 * x["b"] - 0.3 * x["c"] + 0.8 * x["a"] * x["d"],
                -0.6 + 1.4 * x["a"] + 0.35 * x["c"] - 0.5 * x["b"],
            ]
        )
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        drawn = (rng.random(n)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
        return x, classes[drawn]

    half = args.windows // 2
    shifts = [0.0] * half + [0.15 * (w + 1) for w in range(args.windows - half)]
    ref_x, ref_y = rows(args.reference_rows, 0.0)
    model = GaussianNB().fit(_matrix(ref_x), ref_y)
    parts = [rows(args.window_rows, s) for s in shifts]
    scores = {str(c): f"proba_{c}" for c in model.classes_}
    spec = {
        "kind": "multiclass",
        "title": "multiclass: 3 string classes, covariate shift, miscalibrated naive Bayes",
        "target": "tier",
        "prediction": "tier_pred",
        "scores": scores,
        "features": list(ref_x),
        "positive": None,
        "categorical": [],
        "metrics": ["roc_auc", "accuracy", "precision", "recall", "f1"],
    }
    return (
        _multiclass_table(ref_x, ref_y, model),
        _concat([_multiclass_table(x, y, model) for x, y in parts]),
        spec,
    )


def _multiclass_table(x: dict[str, Any], y: Any, model: Any) -> Any:
    import pyarrow as pa

    proba = model.predict_proba(_matrix(x))
    columns = {f"proba_{c}": proba[:, i] for i, c in enumerate(model.classes_)}
    predicted = model.classes_[proba.argmax(axis=1)]
    return pa.table({**x, **columns, "tier_pred": predicted, "tier": y})


def _regression(args: argparse.Namespace, seed: int, rng: Any) -> tuple[Any, Any, dict[str, Any]]:
    import numpy as np
    from sklearn.linear_model import LinearRegression

    sites = np.array(["north", "south", "east"])

    def rows(n: int, shift: float) -> tuple[dict[str, Any], Any]:
        x = {
            "x1": rng.normal(shift, 1, n),
            "x2": rng.uniform(0, 1, n),
            "site": sites[rng.choice(3, n, p=[0.5, 0.3, 0.2])],
        }
        mean = 3 * x["x1"] + 2 * np.sin(3 * x["x2"]) + (x["site"] == "south") * 1.0
        sd = 0.3 + 1.0 * np.abs(x["x1"]) + 0.5 * (x["site"] == "east")
        return x, mean + rng.normal(0, 1, n) * sd

    def encode(x: dict[str, Any]) -> Any:
        return np.column_stack([x["x1"], x["x2"], x["site"] == "south", x["site"] == "east"])

    half = args.windows // 2
    shifts = [0.0] * half + [0.2 * (w + 1) for w in range(args.windows - half)]
    ref_x, ref_y = rows(args.reference_rows, 0.0)
    model = LinearRegression().fit(encode(ref_x), ref_y)

    def table(x: dict[str, Any], y: Any) -> Any:
        import pyarrow as pa

        return pa.table({**x, "y_pred": model.predict(encode(x)), "y": y})

    spec = {
        "kind": "regression",
        "title": "regression: heteroscedastic noise, covariate shift into the noisier region",
        "target": "y",
        "prediction": "y_pred",
        "scores": {},
        "features": list(ref_x),
        "positive": None,
        "categorical": ["site"],
        "metrics": ["mae", "rmse"],
    }
    parts = [table(*rows(args.window_rows, s)) for s in shifts]
    return table(ref_x, ref_y), _concat(parts), spec


def _matrix(x: dict[str, Any]) -> Any:
    import numpy as np

    return np.column_stack(list(x.values()))


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    return pa.concat_tables(tables)


MAKERS = {
    "credit": _credit,
    "concept": _concept,
    "multiclass": _multiclass,
    "regression": _regression,
}


# --- children ---------------------------------------------------------------------------------


def _child(contender: str, spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    run = _steward_child if contender == "steward" else _nannyml_child
    print("RESULT " + json.dumps(run(spec)), flush=True)


def _steward_child(spec: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from steward.checks.estimate import CBPE, DLE
    from steward.schema import infer_schema

    reference, analysis = pq.read_table(spec["reference"]), pq.read_table(spec["analysis"])
    target = analysis.column(spec["target"])
    masked = pc.if_else(analysis.column("_labelled"), target, pa_null(target.type))
    analysis = analysis.set_column(
        analysis.column_names.index(spec["target"]), spec["target"], masked
    )
    schema = infer_schema(
        reference,
        target=spec["target"],
        prediction=spec["prediction"],
        score=list(spec["scores"].values()) or None,
        ignore=["_labelled"],
        overrides={c: {"kind": "categorical"} for c in spec["categorical"]},
    )
    start = time.perf_counter()
    if spec["kind"] == "regression":
        estimator: Any = DLE(metrics=tuple(spec["metrics"]))
    else:
        estimator = CBPE(positive=spec["positive"], metrics=tuple(spec["metrics"]))
    estimator.fit(reference, schema)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    windows = [
        estimator.estimate(analysis.slice(w * spec["window_rows"], spec["window_rows"]), w)
        for w in range(spec["windows"])
    ]
    estimate_s = time.perf_counter() - start
    return {
        "fit_s": fit_s,
        "estimate_s": estimate_s,
        "windows": [
            {f.check.split(".", 1)[1]: _steward_finding(f) for f in found} for found in windows
        ],
    }


def pa_null(typ: Any) -> Any:
    import pyarrow as pa

    return pa.scalar(None, typ)


def _steward_finding(finding: Any) -> dict[str, Any]:
    return {
        "value": finding.statistic,
        "lower": finding.lower,
        "upper": finding.upper,
        "verdict": finding.verdict.value,
        "reason": finding.details.get("reason", ""),
        "realised_on_labelled": finding.details.get("realised_on_labelled"),
    }


def _nannyml_child(spec: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    import nannyml as nml

    reference = pd.read_parquet(spec["reference"]).drop(columns=["_labelled"])
    analysis = pd.read_parquet(spec["analysis"]).drop(columns=["_labelled", spec["target"]])
    for column in spec["categorical"]:
        reference[column] = reference[column].astype("category")
        analysis[column] = analysis[column].astype("category")
    start = time.perf_counter()
    estimator = _nannyml_estimator(nml, spec)
    estimator.fit(reference)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    estimate_s = time.perf_counter() - start
    windows = [{m: _nannyml_value(frame, m, i) for m in spec["metrics"]} for i in range(len(frame))]
    return {"fit_s": fit_s, "estimate_s": estimate_s, "windows": windows}


def _nannyml_estimator(nml: Any, spec: dict[str, Any]) -> Any:
    common = {
        "y_pred": spec["prediction"],
        "y_true": spec["target"],
        "chunk_size": spec["window_rows"],
        "metrics": spec["metrics"],
    }
    if spec["kind"] == "regression":
        return nml.DLE(feature_column_names=spec["features"], **common)
    if spec["kind"] == "binary":
        return nml.CBPE(
            y_pred_proba=spec["scores"]["1"], problem_type="classification_binary", **common
        )
    return nml.CBPE(y_pred_proba=spec["scores"], problem_type="classification_multiclass", **common)


def _nannyml_value(frame: Any, metric: str, row: int) -> dict[str, Any]:
    def cell(name: str) -> Any:
        value = frame[(metric, name)].iloc[row]
        return None if value is None or value != value else float(value)

    return {
        "value": cell("value"),
        "lower": cell("lower_confidence_boundary"),
        "upper": cell("upper_confidence_boundary"),
        "alert": bool(frame[(metric, "alert")].iloc[row]),
    }


# --- ground truth and the report (Steward's interpreter) ---------------------------------------


def _realised(spec: dict[str, Any]) -> list[dict[str, float]]:
    import pyarrow.parquet as pq

    table = pq.read_table(spec["analysis"])
    size = spec["window_rows"]
    return [_window_truth(spec, table.slice(w * size, size)) for w in range(spec["windows"])]


def _window_truth(spec: dict[str, Any], window: Any) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as m

    y = window.column(spec["target"]).to_numpy(zero_copy_only=False)
    pred = window.column(spec["prediction"]).to_numpy(zero_copy_only=False)
    if spec["kind"] == "regression":
        return {
            "mae": float(np.mean(np.abs(y - pred))),
            "rmse": float(np.sqrt(np.mean((y - pred) ** 2))),
        }
    if spec["kind"] == "binary":
        score = window.column(spec["scores"]["1"]).to_numpy()
        return {
            "roc_auc": m.roc_auc_score(y, score),
            "accuracy": m.accuracy_score(y, pred),
            "precision": m.precision_score(y, pred),
            "recall": m.recall_score(y, pred),
            "f1": m.f1_score(y, pred),
        }
    labels = sorted(spec["scores"])
    proba = np.column_stack([window.column(spec["scores"][c]).to_numpy() for c in labels])
    macro = {"average": "macro", "labels": labels, "zero_division": 0}
    return {
        "roc_auc": m.roc_auc_score(y, proba, multi_class="ovr", labels=labels),
        "accuracy": m.accuracy_score(y, pred),
        "precision": m.precision_score(y, pred, **macro),
        "recall": m.recall_score(y, pred, **macro),
        "f1": m.f1_score(y, pred, **macro),
    }


def _wrong(metric: str, error: float, realised: float) -> bool:
    if metric in ("mae", "rmse"):
        return error > TOLERANCE["relative"] * abs(realised)
    return error > TOLERANCE["bounded"]


def _report(results: list[dict[str, Any]]) -> dict[str, Any]:
    first = results[0]
    spec = first["spec"]
    print(f"== {spec['name']} — {spec['title']}")
    print(f"  per window, seed {spec['seed']}:")
    _print_windows(first)
    print(f"  over {len(results)} seed(s) × {spec['windows']} windows:")
    means = _print_metrics(results)
    _print_times(results)
    print()
    return {
        "name": spec["name"],
        "means": means,
        "results": results,
        "both_wrong": _both_wrong(results),
    }


def _print_windows(result: dict[str, Any]) -> None:
    spec, truth, runs, errors = (result[k] for k in ("spec", "truth", "runs", "errors"))
    head = spec["metrics"][0]
    print(
        f"  win  real {head:>8}  steward  nannyml  | mean |err| steward  nannyml | "
        "steward verdict (reason)              | nannyml alerts | both wrong on"
    )
    for w in range(spec["windows"]):
        s = runs["steward"]["windows"][w]
        n = runs["nannyml"]["windows"][w] if "nannyml" in runs else None
        verdict = _steward_verdict(s)
        alerts = ",".join(m for m in spec["metrics"] if n[m]["alert"]) if n else "-"
        nval = f"{n[head]['value']:8.4f}" if n else "       -"
        nerr = f"{_mean(errors['nannyml'][w].values()):8.4f}" if n else "       -"
        print(
            f"  {w:3d}  {truth[w][head]:13.4f}  {s[head]['value']:7.4f} {nval}  | "
            f"{_mean(errors['steward'][w].values()):17.4f} {nerr} | {verdict:38s} | "
            f"{alerts or '-':14s} | {_both_wrong_cell(result, w, verdict)}"
        )


def _both_wrong_cell(result: dict[str, Any], w: int, verdict: str) -> str:
    """The metrics both tools get wrong on window ``w``, and what Steward said about it:
    FLAGGED (unreliable), in band (the realised value is inside Steward's band: the
    window's own sampling noise, which the band reports), or NOT FLAGGED."""
    spec, truth, errors = result["spec"], result["truth"], result["errors"]
    if len(errors) < 2:
        return "-"
    both = [
        m for m in spec["metrics"] if all(_wrong(m, errors[t][w][m], truth[w][m]) for t in errors)
    ]
    if not both:
        return "-"
    steward = result["runs"]["steward"]["windows"][w]
    if verdict.startswith("unreliable"):
        said = "FLAGGED"
    elif all(steward[m]["lower"] <= truth[w][m] <= steward[m]["upper"] for m in both):
        said = "in band"
    else:
        said = "NOT FLAGGED"
    return f"{','.join(both)}  {said}"


def _steward_verdict(window: dict[str, Any]) -> str:
    verdicts = {f["verdict"] for f in window.values()}
    if "unreliable" in verdicts:
        reason = next(f["reason"] for f in window.values() if f["reason"])
        kind = "concept shift" if "concept" in reason else "outside support"
        return f"unreliable ({kind})"
    worst = max(verdicts, key=["ok", "warn", "fail"].index)
    return worst


def _print_metrics(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    spec = results[0]["spec"]
    tools = list(results[0]["errors"])
    print(
        f"  {'metric':9s} {'steward mean|err|':>17s} {'nannyml mean|err|':>17s} "
        f"{'nannyml/steward':>15s} {'steward max':>11s} {'nannyml max':>11s} "
        f"{'steward in band':>15s} {'nannyml in band':>15s}"
    )
    means: dict[str, dict[str, float]] = {}
    for metric in [*spec["metrics"], "all"]:
        row = {t: [e for r in results for e in _errors_of(r["errors"][t], metric)] for t in tools}
        means[metric] = {t: _mean(v) for t, v in row.items()}
        cover = {t: _coverage(results, t, metric) for t in tools}
        n_mean = means[metric].get("nannyml")
        ratio = f"{n_mean / means[metric]['steward']:15.2f}" if n_mean is not None else " " * 15
        print(
            f"  {metric:9s} {means[metric]['steward']:17.4f} "
            f"{_fmt(n_mean, 17)} {ratio} {max(row['steward']):11.4f} "
            f"{_fmt(max(row['nannyml']) if 'nannyml' in row else None, 11)} "
            f"{cover['steward']:>15s} {cover.get('nannyml', '-'):>15s}"
        )
    return means


def _errors_of(errors: list[dict[str, float]], metric: str) -> list[float]:
    if metric == "all":
        return [v for window in errors for v in window.values()]
    return [window[metric] for window in errors]


def _coverage(results: list[dict[str, Any]], tool: str, metric: str) -> str:
    hits = total = 0
    for result in results:
        for w, window in enumerate(result["runs"][tool]["windows"]):
            for m, f in window.items():
                if metric in (m, "all") and f["lower"] is not None and f["upper"] is not None:
                    total += 1
                    hits += f["lower"] <= result["truth"][w][m] <= f["upper"]
    return f"{hits}/{total}"


def _both_wrong(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"windows": 0, "FLAGGED": 0, "in band": 0}
    for result in results:
        if len(result["errors"]) < 2:
            continue
        for w in range(result["spec"]["windows"]):
            verdict = _steward_verdict(result["runs"]["steward"]["windows"][w])
            cell = _both_wrong_cell(result, w, verdict)
            counts["windows"] += cell != "-"
            for said in ("FLAGGED", "in band"):
                counts[said] += cell.endswith(f"  {said}")
    return counts


def _paired(results: list[dict[str, Any]]) -> tuple[float, float]:
    """Mean and standard error of steward's minus nannyml's per-window mean |error|."""
    diffs = [
        _mean(r["errors"]["steward"][w].values()) - _mean(r["errors"]["nannyml"][w].values())
        for r in results
        for w in range(r["spec"]["windows"])
    ]
    mean = _mean(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / max(len(diffs) - 1, 1)
    return mean, (var / len(diffs)) ** 0.5


def _print_times(results: list[dict[str, Any]]) -> None:
    tools = list(results[0]["runs"])
    total = {
        t: {
            k: sum(r["runs"][t][k] for r in results) / len(results) for k in ("fit_s", "estimate_s")
        }
        for t in tools
    }
    parts = [
        f"{t}: fit {v['fit_s']:.2f} s, estimate {v['estimate_s']:.2f} s" for t, v in total.items()
    ]
    if "nannyml" in total:
        s, n = total["steward"], total["nannyml"]
        ratio = (n["fit_s"] + n["estimate_s"]) / (s["fit_s"] + s["estimate_s"])
        parts.append(f"nannyml/steward total time {ratio:.2f}×")
    print("  time per seed — " + "; ".join(parts))


def _print_summary(summary: list[dict[str, Any]]) -> None:
    print("== summary: mean |estimate − realised| over all windows, metrics and seeds")
    print(
        f"  {'dataset':11s} {'steward':>8s} {'nannyml':>8s} {'ratio':>6s} "
        f"{'steward − nannyml (± s.e.)':>27s}  target  {'both wrong':>10s} "
        f"{'flagged':>7s} {'in band':>7s} {'steward s':>9s} {'nannyml s':>9s}"
    )
    for row in summary:
        s, n = row["means"]["all"]["steward"], row["means"]["all"].get("nannyml")
        results = row["results"]
        times = {
            t: _mean(r["runs"][t]["fit_s"] + r["runs"][t]["estimate_s"] for r in results)
            for t in results[0]["runs"]
        }
        if n is None:
            paired, target = " " * 26 + "-", "-"
        else:
            diff, se = _paired(results)
            paired, target = f"{diff:+.5f} (± {se:.5f})", _target(diff, se)
        print(
            f"  {row['name']:11s} {s:8.4f} {_fmt(n, 8)} "
            f"{(f'{n / s:6.2f}' if n is not None else '     -')} {paired:>27s}  {target:6s} "
            f"{row['both_wrong']['windows']:10d} {row['both_wrong']['FLAGGED']:7d} "
            f"{row['both_wrong']['in band']:7d} "
            f"{times['steward']:9.2f} {_fmt(times.get('nannyml'), 9, 2)}"
        )


def _target(diff: float, se: float) -> str:
    """PASS: Steward's mean error is not above NannyML's; TIE: above by less than 2 s.e."""
    if diff <= 0:
        return "PASS"
    return "TIE" if diff < 2 * se else "MISS"


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def _fmt(value: float | None, width: int, digits: int = 4) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else " " * (width - 1) + "-"


if __name__ == "__main__":
    main()
