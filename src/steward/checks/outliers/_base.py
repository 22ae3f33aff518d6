"""The outlier-detector base class, its descriptor and the registry.

A detector is one module: a subclass of :class:`OutlierDetector` that learns a model of the
reference in ``_fit`` and scores rows in ``_score`` (higher = more outlying), plus one
:func:`register` call with a small frozen :class:`DetectorSpec`. Everything shared lives
here: choosing the feature columns, splitting the reference into rows to fit on and
held-out rows, setting ``threshold_`` so the held-out rows are flagged at the target
false-positive rate, input checks, and saving as plain data (no pickle).

Constructors only store parameters; everything learned ends in ``_`` (scikit-learn's rule),
so ``type(d)(**d.get_params())`` is an unfitted clone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import pyarrow as pa

from steward._exceptions import CheckError, EmptyInput, InputError
from steward._registry import Registry
from steward.checks.outliers._columns import USED_KINDS, require_columns
from steward.checks.outliers._tails import Tails
from steward.profile import Profile
from steward.schema import Column, Kind, Role, Schema, align

MIN_REFERENCE_ROWS = 20
FORMAT = "steward.outlier_detector"
FORMAT_VERSION = 1
D = TypeVar("D", bound="OutlierDetector")


@dataclass(frozen=True)
class DetectorSpec:
    """A registered detector: its name, the feature kinds it reads, and how to build one."""

    name: str
    kinds: frozenset[Kind]
    factory: Callable[..., OutlierDetector]
    description: str = ""

    @property
    def check_name(self) -> str:
        return f"outlier.{self.name}"

    def applies(self, schema: Schema) -> bool:
        """Whether ``schema`` has a feature column of a kind this detector reads."""
        return any(c.kind in self.kinds for c in schema.features())


REGISTRY: Registry[DetectorSpec] = Registry("outlier detector")


def register(spec: DetectorSpec) -> DetectorSpec:
    return REGISTRY.register(spec.name, spec)


def get(name: str) -> DetectorSpec:
    return REGISTRY.lookup(name)


class OutlierDetector:
    """Fit on reference rows, then score and flag rows of any later table.

    Subclasses set ``name`` and ``kinds`` and implement ``_fit``, ``_score`` and the
    ``_state_to_dict``/``_state_from_dict`` pair for what they learn.

    Learned attributes: ``columns_`` (the feature columns used), ``tails_`` (per-feature tail
    model, used to say which features make a row extreme), ``threshold_``, ``fpr_``,
    ``reference_rate_`` (the share of held-out reference rows flagged — the rate a clean
    window is tested against), ``holdout_rows_`` and ``holdout_flagged_``.
    """

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[Kind]] = USED_KINDS

    def __init__(
        self, *, random_state: int = 0, max_fit_rows: int = 10_000, max_holdout_rows: int = 20_000
    ) -> None:
        self.random_state = random_state
        self.max_fit_rows = max_fit_rows
        self.max_holdout_rows = max_holdout_rows

    # --- parameters ---------------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is not None and klass is not object:
                names += [p for p in inspect.signature(init).parameters if p != "self"]
        return list(dict.fromkeys(names))

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- fitting ------------------------------------------------------------------------

    def fit(
        self: D, reference: pa.Table | Profile, schema: Schema | None = None, fpr: float = 0.01
    ) -> D:
        """Learn the reference; set ``threshold_`` so held-out rows are flagged at ``fpr``.

        ``reference`` may be a :class:`~steward.profile.Profile`: its seeded row sample is
        used, and its schema when ``schema`` is not given.
        """
        table, schema = _reference_table(reference, schema)
        _require_fpr(fpr)
        self.columns_ = self._columns(schema)
        require_columns(table, self.columns_)
        table = align(table.select([c.name for c in self.columns_]), schema)
        fit_part, held_out = split_reference(table, self._split_sizes(table.num_rows))
        self.tails_ = Tails.fit(fit_part, self.columns_)
        self._fit(fit_part)
        self._calibrate(self._score(held_out), fpr)
        return self

    def _columns(self, schema: Schema) -> tuple[Column, ...]:
        columns = tuple(c for c in schema.with_role(Role.FEATURE) if c.kind in self.kinds)
        if not columns:
            kinds = sorted(k.value for k in self.kinds)
            raise CheckError(
                f"outlier detector {self.name!r} needs a feature column of kind {kinds}"
            )
        return columns

    def _split_sizes(self, rows: int) -> tuple[int, int, int]:
        if rows < MIN_REFERENCE_ROWS:
            raise InputError(
                f"outlier detector {self.name!r} needs at least {MIN_REFERENCE_ROWS} reference "
                f"rows (half to fit, half to set the threshold), got {rows}"
            )
        held = min(self.max_holdout_rows, rows // 2)
        return self.random_state, min(self.max_fit_rows, rows - held), held

    def _calibrate(self, held_out_scores: np.ndarray, fpr: float) -> None:
        ordered = np.sort(held_out_scores)
        rows = len(ordered)
        allowed = int(np.floor(fpr * rows))
        self.threshold_ = float(ordered[rows - allowed - 1])
        self.fpr_ = float(fpr)
        self.holdout_rows_ = rows
        self.holdout_flagged_ = int(np.count_nonzero(ordered > self.threshold_))
        self.reference_rate_ = max(self.holdout_flagged_, 0.5) / rows

    # --- scoring ------------------------------------------------------------------------

    def score(self, table: Any) -> np.ndarray:
        """One score per row; higher is more outlying."""
        self._require_fitted()
        table = self._prepare(table)
        if table.num_rows == 0:
            return np.zeros(0)
        return self._score(table)

    def flag(self, table: Any) -> np.ndarray:
        """``True`` for rows scoring above ``threshold_``."""
        return self.score(table) > self.threshold_

    def feature_scores(self, table: Any) -> tuple[list[str], np.ndarray]:
        """Per row and feature, how extreme the value is (``-log10`` tail probability)."""
        self._require_fitted()
        return self.tails_.names, self.tails_.scores(self._prepare(table), self.columns_)

    def _prepare(self, table: Any) -> pa.Table:
        from steward.io import to_arrow

        table = to_arrow(table)
        require_columns(table, self.columns_)
        table = table.select([c.name for c in self.columns_])
        return align(table, Schema(columns=self.columns_))

    def _require_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise CheckError(f"outlier detector {self.name!r} is not fitted; call fit() first")

    # --- saving -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Parameters and learned state as JSON-ready data (arrays base64-encoded)."""
        self._require_fitted()
        state = {
            "columns": [c.model_dump(mode="json") for c in self.columns_],
            "tails": self.tails_.to_dict(),
            **{k: getattr(self, f"{k}_") for k in _CALIBRATION},
            **self._state_to_dict(),
        }
        head = {"format": FORMAT, "version": FORMAT_VERSION, "name": self.name}
        return {**head, "params": self.get_params(), "state": state}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutlierDetector:
        """Rebuild a fitted detector; ``OutlierDetector.from_dict`` picks the class by name."""
        _require_format(data)
        klass = get(data["name"]).factory if cls is OutlierDetector else cls
        detector = klass(**data["params"])
        if detector.name != data["name"]:
            raise InputError(f"saved detector {data['name']!r} loaded as {detector.name!r}")
        state = data["state"]
        detector.columns_ = tuple(Column.model_validate(c) for c in state["columns"])
        detector.tails_ = Tails.from_dict(state["tails"])
        for key in _CALIBRATION:
            setattr(detector, f"{key}_", state[key])
        detector._state_from_dict(state)
        return detector

    # --- for subclasses -----------------------------------------------------------------

    def _fit(self, table: pa.Table) -> None:
        raise NotImplementedError

    def _score(self, table: pa.Table) -> np.ndarray:
        raise NotImplementedError

    def _state_to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def _state_from_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError


_CALIBRATION = ("threshold", "fpr", "reference_rate", "holdout_rows", "holdout_flagged")


def split_reference(table: pa.Table, sizes: tuple[int, int, int]) -> tuple[pa.Table, pa.Table]:
    """Disjoint seeded samples of ``fit`` and ``held`` rows, each in table order."""
    seed, fit, held = sizes
    rng = np.random.default_rng(seed)
    chosen = rng.choice(table.num_rows, size=fit + held, replace=False)
    return table.take(np.sort(chosen[:fit])), table.take(np.sort(chosen[fit:]))


def _reference_table(reference: Any, schema: Schema | None) -> tuple[pa.Table, Schema]:
    from steward.io import to_arrow
    from steward.schema import infer_schema

    if isinstance(reference, Profile):
        return reference.reservoir.rows, schema or reference.schema
    table = to_arrow(reference)
    if table.num_rows == 0:
        raise EmptyInput("the reference has no rows to fit an outlier detector on")
    return table, schema or infer_schema(table)


def _require_fpr(fpr: float) -> None:
    if not 0.0 < fpr < 0.5:
        raise InputError(f"the target false-positive rate must be in (0, 0.5), got {fpr}")


def _require_format(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not a saved Steward outlier detector (missing 'format')")
    if data.get("version") != FORMAT_VERSION:
        raise InputError(f"saved outlier detector version {data.get('version')} is not supported")
