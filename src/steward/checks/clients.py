"""Clients outside the population: outlier rate and near-duplicate probing per client.

The client is the column with role ``client`` (later the API token). For each client:

* **volume** — its share of the rows; reported, never a reason on its own (an honest
  heavy client is normal);
* **outlier rate** — the share of its rows an outlier detector flagged, tested against the
  rate of all *other* clients (one-sided binomial test);
* **probing** — the share of its rows in *probing groups*: rows of the client that are
  identical in every feature but one, with at least ``MIN_VARIANTS`` distinct values of that
  one (someone sweeping a feature to map the model's response). Rows are hashed with each
  feature left out in turn (the stable hashes of ``steward.profile._hash``), so the whole
  search is a few sorts per feature. The share is tested against the other clients' share
  the same way.

The p-values of all clients and both tests pass through Benjamini–Hochberg. A client fails
when a test is significant (``q ≤ fdr``) **and** relevant: it has at least ``MIN_ROWS`` rows,
and its outlier rate is at least ``MIN_RATIO`` times the other clients', or its probing share
is at least ``MIN_PROBING_SHARE`` and ``MIN_RATIO`` times the other clients'. Failing clients
come first; the ``MAX_SHOWN`` largest other clients follow with verdict ``ok``.

>>> import numpy as np, pyarrow as pa
>>> from steward.schema import infer_schema
>>> rng = np.random.default_rng(0)
>>> table = pa.table({"client": rng.choice(["a", "b", "c"], 600),
...                   "age": rng.normal(size=600), "amount": rng.normal(size=600)})
>>> probe = pa.table({"client": ["mallory"] * 40, "age": [0.5] * 40,
...                   "amount": np.linspace(-3, 3, 40)})
>>> table = pa.concat_tables([table, probe])
>>> finding = check_clients(table, infer_schema(table, client="client"))[0]
>>> finding.details["client"], finding.details["varied_feature"], finding.verdict.value
('mallory', 'amount', 'fail')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import stats

from steward._exceptions import CheckError, InputError, UnknownColumn
from steward.checks.outliers._columns import categories
from steward.findings import Finding, Verdict
from steward.profile._hash import combine, hash_column, hash_strings
from steward.schema import Role, Schema

MIN_ROWS = 10
MIN_RATIO = 3.0
MIN_PROBING_SHARE = 0.2
MIN_VARIANTS = 3
FDR = 0.05
NO_CLIENT = "(none)"
MAX_SHOWN = 20


@dataclass(frozen=True)
class ClientCounts:
    """Per client (aligned arrays): rows, flagged rows, probing rows, probing per feature."""

    ids: list[str]
    rows: np.ndarray
    flagged: np.ndarray | None
    probing: np.ndarray
    by_feature: np.ndarray  # clients × features
    features: list[str]


def check_clients(
    table: pa.Table,
    schema: Schema,
    outlier_flags: np.ndarray | None = None,
    window: int | None = None,
    fdr: float = FDR,
) -> list[Finding]:
    """``outlier.client`` findings: every client outside the population (``fail``), then the
    ``MAX_SHOWN`` largest other clients (``ok``) so heavy honest traffic is visible too."""
    column = _client_column(table, schema)
    flags = _flags(outlier_flags, table.num_rows)
    if table.num_rows == 0:
        return [_empty(column, window)]
    counts = count_clients(table, schema, column, flags)
    tests = assess(counts, fdr)
    failing = np.flatnonzero(tests.fail)
    others = [i for i in np.argsort(-counts.rows, kind="stable") if not tests.fail[i]]
    deciding = tests.p[failing, tests.main[failing]]
    chosen = [*failing[np.argsort(deciding, kind="stable")], *others[:MAX_SHOWN]]
    return [_finding(counts, tests, int(i), column, window) for i in chosen]


def count_clients(
    table: pa.Table, schema: Schema, column: str, flags: np.ndarray | None
) -> ClientCounts:
    """Rows, flagged rows and probing rows per client."""
    labels, codes = categories(table.column(column))
    ids = [*labels, NO_CLIENT]
    codes = np.where(codes < 0, len(labels), codes)
    features = [c.name for c in schema.features() if c.name in table.column_names]
    in_group = probing_rows(table, features, _hash_ids(ids)[codes])
    size = len(ids)
    by_feature = (
        np.stack([np.bincount(codes, g, size) for g in in_group.T], axis=1)
        if in_group.shape[1]
        else np.zeros((size, 0))
    )
    rows = np.bincount(codes, minlength=size)
    flagged = None if flags is None else np.bincount(codes, flags.astype(float), size)
    probing = np.bincount(codes, in_group.any(axis=1).astype(float), size)
    keep = rows > 0
    return ClientCounts(
        [i for i, k in zip(ids, keep, strict=True) if k],
        rows[keep],
        None if flagged is None else flagged[keep],
        probing[keep],
        by_feature[keep],
        features,
    )


def probing_rows(table: pa.Table, features: list[str], client: np.ndarray) -> np.ndarray:
    """Rows × features: is the row in a probing group that varies this feature?

    A probing group is the rows of one client equal in every feature but ``j`` and holding
    at least ``MIN_VARIANTS`` distinct values of ``j``. Needs two features or more.
    """
    rows = table.num_rows
    if len(features) < 2:
        return np.zeros((rows, 0), dtype=bool)
    hashes = [hash_column(table.column(name)) for name in features]
    prefix, suffix = _chains(hashes, rows)
    out = np.zeros((rows, len(features)), dtype=bool)
    for j, varied in enumerate(hashes):
        key = combine([client, prefix[j], suffix[j + 1]], rows)
        out[:, j] = _variants(key, varied) >= MIN_VARIANTS
    return out


def _chains(hashes: list[np.ndarray], rows: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``prefix[j]`` hashes features before ``j``; ``suffix[j]`` features from ``j`` on."""
    empty = np.zeros(rows, dtype=np.uint64)
    prefix, suffix = [empty], [empty]
    for h in hashes:
        prefix.append(combine([prefix[-1], h], rows))
    for h in reversed(hashes):
        suffix.append(combine([h, suffix[-1]], rows))
    return prefix, suffix[::-1]


def _variants(key: np.ndarray, varied: np.ndarray) -> np.ndarray:
    """For each row: how many distinct ``varied`` values share its ``key``."""
    keys, inverse = np.unique(key, return_inverse=True)
    _, first = np.unique(combine([key, varied], len(key)), return_index=True)
    per_key = np.bincount(inverse[first], minlength=len(keys))
    return per_key[inverse]


def _hash_ids(ids: list[str]) -> np.ndarray:
    return hash_strings(pa.array(ids, type=pa.string()))


@dataclass(frozen=True)
class Assessment:
    """Per client: each test's rate against the other clients', p, q and relevance."""

    rate: np.ndarray  # clients × 2 (outlier rate, probing share); NaN without flags
    rest: np.ndarray
    p: np.ndarray  # clients × 2
    q: np.ndarray
    main: np.ndarray  # per client, the test its finding reports (0 outlier rate, 1 probing)
    reasons: np.ndarray  # clients × 2: significant and relevant
    fail: np.ndarray


def assess(counts: ClientCounts, fdr: float = FDR) -> Assessment:
    """Both tests for every client, BH across all of them, and the verdicts."""
    hits = np.stack([_flagged_or_nan(counts), counts.probing], axis=1)
    rows = counts.rows[:, None].astype(float)
    rate, rest = hits / rows, _rest_rate(hits, rows)
    p = np.nan_to_num(_against_rest(hits, rows), nan=1.0)
    q = stats.false_discovery_control(p.ravel(), method="bh").reshape(p.shape)
    relevant = (rate >= MIN_RATIO * rest) & (hits > 0)
    relevant[:, 1] &= rate[:, 1] >= MIN_PROBING_SHARE
    reasons = relevant & (q <= fdr) & (counts.rows[:, None] >= MIN_ROWS)
    no_flags = counts.flagged is None
    main = np.where(no_flags | (reasons[:, 1] & ~reasons[:, 0]), 1, 0)
    return Assessment(rate, rest, p, q, main, reasons, reasons.any(axis=1))


def _flagged_or_nan(counts: ClientCounts) -> np.ndarray:
    return np.full(len(counts.ids), np.nan) if counts.flagged is None else counts.flagged


def _against_rest(hits: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One-sided binomial p-value of each client's hits against the other clients' rate."""
    rest_rows = rows.sum(axis=0) - rows
    floor = 0.5 / (rest_rows + 1)
    p = stats.binom.sf(hits - 1, rows, np.maximum(_rest_rate(hits, rows), floor))
    return np.where(rest_rows > 0, p, 1.0)


def _rest_rate(hits: np.ndarray, rows: np.ndarray) -> np.ndarray:
    rest_rows = rows.sum(axis=0) - rows
    rest_hits = hits.sum(axis=0) - hits
    out = np.zeros(np.broadcast_shapes(hits.shape, rows.shape))
    return np.divide(rest_hits, rest_rows, out=out, where=rest_rows > 0)


def _finding(
    counts: ClientCounts, tests: Assessment, i: int, column: str, window: int | None
) -> Finding:
    details = _details(counts, tests, i)
    main = int(tests.main[i])
    statistic, baseline = float(tests.rate[i, main]), float(tests.rest[i, main])
    return Finding(
        check="outlier.client",
        column=column,
        statistic=statistic,
        verdict=Verdict.FAIL if tests.fail[i] else Verdict.OK,
        threshold=baseline,
        p_value=float(tests.p[i, main]),
        effect_size=statistic / baseline if baseline else None,
        window=window,
        message=_message(details),
        details=details,
    )


def _details(counts: ClientCounts, tests: Assessment, i: int) -> dict:
    rows = int(counts.rows[i])
    per_feature = counts.by_feature[i]
    varied = counts.features[int(np.argmax(per_feature))] if per_feature.sum() else None
    has_flags = counts.flagged is not None
    return {
        "client": counts.ids[i],
        "rows": rows,
        "volume_share": rows / float(counts.rows.sum()),
        "outlier_rate": float(tests.rate[i, 0]) if has_flags else None,
        "population_outlier_rate": float(tests.rest[i, 0]) if has_flags else None,
        "probing_share": float(tests.rate[i, 1]),
        "population_probing_share": float(tests.rest[i, 1]),
        "varied_feature": varied,
        "q_values": {"outlier_rate": float(tests.q[i, 0]), "probing": float(tests.q[i, 1])},
        "reasons": [r for r, on in zip(_REASONS, tests.reasons[i], strict=True) if on],
        "clients": len(counts.ids),
    }


_REASONS = ("outlier_rate", "probing")


def _message(d: dict) -> str:
    head = f"client {d['client']!r} ({d['rows']} rows, {d['volume_share']:.1%} of traffic)"
    parts = []
    if "outlier_rate" in d["reasons"]:
        parts.append(
            f"outlier rate {d['outlier_rate']:.1%} vs {d['population_outlier_rate']:.1%} "
            "for the other clients"
        )
    if "probing" in d["reasons"]:
        parts.append(
            f"{d['probing_share']:.0%} of its rows probe {d['varied_feature']!r} "
            f"(others {d['population_probing_share']:.1%})"
        )
    return f"{head}: " + ("; ".join(parts) if parts else "within the population")


def _empty(column: str, window: int | None) -> Finding:
    return Finding(
        "outlier.client",
        column,
        None,
        Verdict.UNRELIABLE,
        window=window,
        message="not tested: the window has no rows",
        details={"client": None, "rows": 0, "clients": 0, "reasons": []},
    )


def _client_column(table: pa.Table, schema: Schema) -> str:
    client = schema.first(Role.CLIENT)
    if client is None:
        raise CheckError("no column has role 'client'; name one with infer_schema(client=...)")
    if client.name not in table.column_names:
        raise UnknownColumn(
            f"the client column {client.name!r} is not in the data; it has {table.column_names}"
        )
    return client.name


def _flags(flags: np.ndarray | None, rows: int) -> np.ndarray | None:
    if flags is None:
        return None
    flags = np.asarray(flags)
    if flags.shape != (rows,):
        raise InputError(f"outlier_flags has shape {flags.shape}; the table has {rows} rows")
    return flags.astype(bool)
