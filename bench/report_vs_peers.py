"""Steward's drift report against Evidently, NannyML and a bare NumPy pass, in one run.

    python bench/report_vs_peers.py                      # 1,000,000 rows × 20 columns
    python bench/report_vs_peers.py --rows 100000 --skip evidently
    python bench/report_vs_peers.py --peers-python /path/to/venv/bin/python
    python bench/report_vs_peers.py --wide --skip steward,stored,numpy,nannyml,evidently

One seeded reference and current table (see ``_data.py``; drift planted in a few columns)
go to Parquet once; each contender then runs in its own subprocess, so its time and peak
memory are its own. Times exclude imports and reading the Parquet (shown apart). Evidently
and NannyML run in the peers' venv (``--peers-python``; created at ``bench/.venv-peers``
when the default is missing). Not part of the test suite.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data
import _venv
import _wide
import pyarrow.parquet as pq

CHILD = Path(__file__).resolve().parent / "_child.py"
MB = 1024 * 1024
CONTENDERS = ("steward", "stored", "numpy", "nannyml", "evidently")
PEERS = ("nannyml", "evidently")
LABELS = {
    "steward": "steward compare()",
    "steward-profile": "  steward profile(reference)",
    "steward-stored": "steward vs stored profile",
    "numpy": "numpy pass (2 threads)",
    "nannyml": "nannyml univariate",
    "evidently": "evidently DataDriftPreset",
}


def main() -> None:
    args = _parse()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    peers_python = None
    if any(p not in skip for p in PEERS):
        peers_python = _venv.peers_python(args.peers_python)
    print(f"steward python: {sys.executable}\npeers python:   {peers_python or '(skipped)'}")
    results: list[dict[str, Any]] = []
    arrow_mb: dict[str, float] = {}
    if any(c not in skip for c in CONTENDERS):
        with tempfile.TemporaryDirectory(prefix="steward-bench-") as tmp:
            arrow_mb = _write_data(Path(tmp), args.rows, args.cols, args.seed)
            for name, python, repeat in _plan(skip, peers_python, args.repeat):
                results.append(_run_child(name, python, Path(tmp), repeat))
        _print_table(results, _data.drifted_columns(args.cols))
        _print_targets({r["contender"]: r for r in results}, arrow_mb)
    if args.wide:
        _run_wide(args.wide_rows, args.wide_cols, args.chunk_rows, args.seed)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs of the fast contenders (peers run once)"
    )
    parser.add_argument("--skip", default="", help=f"comma-separated, from {','.join(CONTENDERS)}")
    parser.add_argument("--peers-python", type=Path, default=_venv.DEFAULT_PYTHON)
    parser.add_argument(
        "--wide",
        action="store_true",
        help="also run the Steward-only wide case (streamed if it cannot fit)",
    )
    parser.add_argument("--wide-rows", type=int, default=3_000_000)
    parser.add_argument("--wide-cols", type=int, default=1_000)
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        help="wide case chunk size (default: whole if it fits, else ~1 GiB)",
    )
    return parser.parse_args()


def _plan(skip: set[str], peers_python: Path | None, repeat: int) -> list[tuple[str, Path, int]]:
    here = Path(sys.executable)
    plan = []
    if "steward" not in skip:
        plan.append(("steward", here, repeat))
    if "stored" not in skip:
        plan += [("steward-profile", here, 1), ("steward-stored", here, repeat)]
    if "numpy" not in skip:
        plan.append(("numpy", here, repeat))
    plan += [(p, peers_python, 1) for p in PEERS if p not in skip and peers_python]
    return plan


def _write_data(directory: Path, rows: int, cols: int, seed: int) -> dict[str, float]:
    start = time.perf_counter()
    sizes = {}
    for side, current in (("reference", False), ("current", True)):
        table = _data.table(rows, cols, current=current, seed=seed)
        sizes[side] = table.nbytes / MB
        pq.write_table(table, directory / f"{side}.parquet")
        del table
    numeric, categorical = _data.numeric_columns(cols), _data.categorical_columns(cols)
    print(
        f"data: {rows:,} rows × {cols} columns ({len(numeric)} numeric, {len(categorical)} "
        f"categorical) per side, Arrow {sizes['reference']:.0f} MB + {sizes['current']:.0f} MB,"
        f" generated and written to Parquet in {time.perf_counter() - start:.1f} s"
    )
    print(f"planted drift: {', '.join(_data.drifted_columns(cols))}")
    print(f"machine: {os.cpu_count()} cores, {_physical_memory() / 1024**3:.0f} GiB\n")
    return sizes


def _run_child(
    name: str, python: Path, directory: Path, repeat: int, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    command = [str(python), str(CHILD), name, str(directory), "--repeat", str(repeat)]
    if options:
        command += ["--options", json.dumps(options)]
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1", "DO_NOT_TRACK": "1"}
    load = os.getloadavg()[0]
    print(f"running {name} … ", end="", flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    print(f"{time.perf_counter() - start:.1f} s wall for the whole subprocess", flush=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        tail = "\n    ".join(done.stderr.strip().splitlines()[-6:])
        print(f"  {name} failed (exit {done.returncode}):\n    {tail}")
        return {"contender": name, "error": tail.splitlines()[-1] if tail else "no result"}
    return {**json.loads(lines[-1][len("RESULT ") :]), "load": load}


def _print_table(results: list[dict[str, Any]], planted: list[str]) -> None:
    base = next((r for r in results if r["contender"] == "steward" and "seconds" in r), None)
    header = (
        f"{'contender':<28}{'run s':>8}{'best s':>8}{'cpu s':>8}{'read s':>8}"
        f"{'peak MB':>9}{'+base MB':>9}{'work MB':>9}{'× steward':>10}{'cpu ×':>7}"
        f"{'load':>6}  drift found"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        print(_row(r, base, planted))
    print(
        "\nrun s: first timed run (cold, as a user meets it); best s: fastest of the runs;"
        "\ncpu s: user+sys CPU of the first run; read s: Parquet → Arrow (Steward, NumPy)"
        " or → pandas (peers), excluded;\npeak MB: peak RSS of the run phase (after imports"
        " and reading); +base MB: that peak minus RSS after imports (data, reader"
        " buffers, working memory);\nwork MB: that peak minus RSS once the data is read"
        " (working memory);"
        "\n× steward: run s over Steward's run s; cpu ×: the same on cpu s (steadier on a busy"
        " machine);\nload: 1-minute load average when the contender started."
    )


def _row(r: dict[str, Any], base: dict[str, Any] | None, planted: list[str]) -> str:
    label = LABELS.get(r["contender"], r["contender"])
    if "error" in r:
        return f"{label:<28}  failed: {r['error'][:90]}"
    ratio = f"{r['seconds'] / base['seconds']:.2f}×" if base else "-"
    cpu = f"{r['cpu_s'] / base['cpu_s']:.1f}×" if base else "-"
    return (
        f"{label:<28}{r['seconds']:>8.2f}{r['best_s']:>8.2f}{r['cpu_s']:>8.2f}"
        f"{r['read_s']:>8.2f}{r['peak_mb']:>9.0f}{r['peak_mb'] - r['baseline_mb']:>9.0f}"
        f"{r['peak_mb'] - r['loaded_mb']:>9.0f}"
        f"{ratio:>10}{cpu:>7}{r['load']:>6.1f}  {_found(r, planted)}"
    )


def _found(r: dict[str, Any], planted: list[str]) -> str:
    if "drifted" not in r:
        return _profile_note(r)
    drifted = r["drifted"]
    hits = [c for c in planted if c in drifted]
    false = [c for c in drifted if c not in planted]
    text = f"{len(hits)}/{len(planted)} planted"
    if len(hits) < len(planted):
        text += f", missed {', '.join(c for c in planted if c not in drifted)}"
    return text + (f", false alarms: {', '.join(false)}" if false else ", no false alarm")


def _profile_note(r: dict[str, Any]) -> str:
    if "profile_bytes" in r:
        return (
            f"(one-off: profile {r['profile_s']:.2f} s, to_bytes {r['to_bytes_s']:.3f} s, "
            f"{r['profile_bytes'] / 1024:.0f} KiB)"
        )
    return ""


def _print_targets(by_name: dict[str, dict[str, Any]], arrow_mb: dict[str, float]) -> None:
    steward = by_name.get("steward", {})
    if "seconds" not in steward:
        return
    s = steward["seconds"]
    print("\ntargets (from the issue)")
    cpu = steward["cpu_s"]
    for peer, goal in (("evidently", 50.0), ("nannyml", 3.0)):
        if "seconds" in by_name.get(peer, {}):
            _target(f"{peer} time / steward time", by_name[peer]["seconds"] / s, "≥", goal)
            _target("  the same on CPU seconds", by_name[peer]["cpu_s"] / cpu, "≥", goal)
    numpy = by_name.get("numpy", {})
    if "seconds" in numpy:
        _target("steward time / numpy pass time (cold)", s / numpy["seconds"], "≤", 1.5)
        _target(
            "steward time / numpy pass time (best)", steward["best_s"] / numpy["best_s"], "≤", 1.5
        )
        _target("  the same on CPU seconds (cold)", cpu / numpy["cpu_s"], "≤", 1.5)
    stored = by_name.get("steward-stored", {})
    if "seconds" in stored:
        _target("compare() vs stored profile, s (cold)", stored["seconds"], "≤", 0.5, "s")
        _target("compare() vs stored profile, s (best)", stored["best_s"], "≤", 0.5, "s")
        print(f"    (Profile.from_bytes took {stored['from_bytes_s']:.3f} s, not counted)")
    both = arrow_mb["reference"] + arrow_mb["current"]
    working = steward["peak_mb"] - steward["loaded_mb"]
    _target(
        f"steward (Arrow data + working memory) / Arrow data ({both:.0f} + {working:.0f} MB)",
        (both + working) / both,
        "≤",
        1.5,
    )
    above = steward["peak_mb"] - steward["baseline_mb"]
    _target(
        f"steward peak RSS over import baseline / Arrow data ({above:.0f} MB)",
        above / both,
        "≤",
        1.5,
    )


def _target(what: str, value: float, sign: str, goal: float, unit: str = "×") -> None:
    ok = value >= goal if sign == "≥" else value <= goal
    print(
        f"  {what:<62} {value:>8.2f}{unit}  target {sign} {goal:g}{unit}  "
        f"{'PASS' if ok else 'MISS'}"
    )


def _run_wide(rows: int, cols: int, chunk_rows: int | None, seed: int) -> None:
    per_side = _wide.estimate_bytes(rows, cols)
    memory = _physical_memory()
    fits = 2 * per_side * 2.5 < 0.8 * memory  # both sides, data + Steward's working memory
    if chunk_rows is None:
        chunk_rows = rows if fits else max(10_000, int(rows * 1024**3 / per_side))
    print(
        f"\nwide case: {rows:,} rows × {cols:,} columns; Arrow ≈ {per_side / 1024**3:.1f} GiB "
        f"per side, {2 * per_side / 1024**3:.1f} GiB both, machine {memory / 1024**3:.0f} GiB"
        f" → {'fits' if fits else 'does not fit'}; streaming {chunk_rows:,}-row chunks "
        f"(profile each against the reference, then merge)"
    )
    with tempfile.TemporaryDirectory(prefix="steward-wide-") as tmp:
        r = _run_child(
            "steward-wide",
            Path(sys.executable),
            Path(tmp),
            1,
            {"rows": rows, "cols": cols, "chunk_rows": chunk_rows, "seed": seed},
        )
    if "error" in r:
        return
    planted = _data.drifted_columns(cols)
    print(
        f"  Steward total {r['steward_s']:.1f} s ({r['steward_s'] / 60:.1f} min) over "
        f"{r['chunks']} chunks per side: profile reference {r['profile_reference_s']:.1f} s,"
        f" profile current {r['profile_current_s']:.1f} s, merge {r['merge_s']:.1f} s, "
        f"drift check {r['check_s']:.1f} s"
    )
    print(
        f"  Steward CPU {r['steward_cpu_s']:.1f} s ({r['steward_cpu_s'] / 60:.1f} min, both "
        f"threads); load average at start {r['load']:.1f}"
    )
    print(
        f"  data generation {r['generate_s']:.1f} s (excluded); peak RSS {r['peak_mb']:.0f} MB;"
        f" throughput {2 * rows * cols / r['steward_s'] / 1e6:.1f} M cells/s"
    )
    print(f"  drift found: {_found(r, planted)[:300]}")
    _target("wide case, minutes", r["steward_s"] / 60, "≤", 60.0, " min")


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


if __name__ == "__main__":
    main()
