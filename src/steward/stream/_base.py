"""The detector base class: River's interface habits plus a vectorised ``update_many``.

Reset convention (River's): once ``drift_detected`` is ``True`` the detector keeps the state
it reached at that item, so its statistics can be read, and the *next* call to ``update``
resets it (``_reset()``) before taking the new item. ``update_many`` follows the same rule
item by item, so after any sequence of calls the state equals the one that calling
``update`` on every item in turn would give, bit for bit.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from steward._exceptions import InputError
from steward.stream._kernels import Recurrence

if TYPE_CHECKING:
    from steward.stream._registry import DetectorInfo

D = TypeVar("D", bound="Detector")

_SHORT = 64  # after runs this short, update_many takes the next few items one by one


@dataclass(frozen=True)
class Tuning:
    """The parameter that ``for_false_alarm_rate`` sets, and where it searches.

    ``stricter`` is ``"higher"`` when a larger value gives fewer alarms, else ``"lower"``.
    """

    param: str
    low: float
    high: float
    stricter: str = "higher"
    log: bool = True


class Detector:
    """A streaming change detector: ``update(x)`` returns ``self``; read ``drift_detected``.

    Subclasses store their parameters in ``__init__`` and call ``_reset()``; ``_reset()``
    creates every piece of mutable state (``self._<name>``) and lists the names in ``_state``.
    """

    info: ClassVar[DetectorInfo]
    tuning: ClassVar[Tuning]
    _state: ClassVar[tuple[str, ...]] = ()
    _chunk: ClassVar[tuple[int, int]] = (2048, 8192)  # first and largest update_many chunk

    _drift_detected: bool
    _warning_detected: bool
    _statistic: float

    def _reset(self) -> None:
        self._drift_detected = False
        self._warning_detected = False
        self._statistic = 0.0

    @property
    def drift_detected(self) -> bool:
        """Whether the last item completed a detection (the next ``update`` resets)."""
        return self._drift_detected

    @property
    def statistic(self) -> float:
        """The test statistic after the last item (compared with ``critical_value``)."""
        return self._statistic

    @property
    def critical_value(self) -> float:
        """The value ``statistic`` is compared with (see each detector for the direction)."""
        return float(getattr(self, self.tuning.param))

    # -- updating ------------------------------------------------------------------------

    def update(self: D, x: float) -> D:
        """Take one item; returns ``self`` so calls chain."""
        value = self._check_one(x)
        if self._drift_detected:
            self._reset()
        self._step(value)
        return self

    def update_many(self, values: Iterable[float] | np.ndarray) -> np.ndarray:
        """Take every item in order; return the positions (in ``values``) of the detections.

        The state afterwards is exactly the state that ``update`` on each item would leave.
        Invalid input raises :class:`~steward.InputError` before any item is taken.
        """
        return self._scan(values)[0]

    def _scan(self, values: Iterable[float] | np.ndarray) -> tuple[np.ndarray, list[float]]:
        x = self._check_many(values)
        hits: list[int] = []
        stats: list[float] = []
        first, last = self._chunk
        i, chunk, start = 0, first, -1
        while i < len(x):
            if self._drift_detected:
                self._reset()  # expect a run like the last one
                chunk = first if start < 0 else min(last, max(_SHORT, 2 * (i - start)))
                start = i
            if chunk <= _SHORT:  # detections come fast: NumPy's overhead would dominate
                i += Detector._run(self, x[i : i + 4 * _SHORT])
            else:
                i += self._run(x[i : i + chunk])
            if self._drift_detected:
                hits.append(i - 1)
                stats.append(self.statistic)
            else:
                chunk = min(2 * chunk, last)
        return np.asarray(hits, dtype=np.int64), stats

    def _step(self, x: float) -> None:
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> int:
        """Take items until the first detection (included); return how many were taken.

        The default loops over ``_step``; vectorised detectors override it.
        """
        for i, value in enumerate(x.tolist()):
            self._step(value)
            if self._drift_detected:
                return i + 1
        return len(x)

    # -- input checks --------------------------------------------------------------------

    def _check_one(self, x: Any) -> float:
        if isinstance(x, (str, bytes)):
            raise InputError(f"{self.info.name}: expected a number, got {x!r}")
        try:
            value = float(x)
        except (TypeError, ValueError):
            raise InputError(f"{self.info.name}: expected a number, got {x!r}") from None
        if not math.isfinite(value):
            raise InputError(f"{self.info.name}: got {value}; values must be finite")
        if self.info.input == "binary" and value != 0.0 and value != 1.0:
            raise InputError(
                f"{self.info.name} takes a binary error stream (0 = right, 1 = error); got {x!r}"
            )
        return value

    def _check_many(self, values: Any) -> np.ndarray:
        name = self.info.name
        if isinstance(values, (str, bytes)):
            raise InputError(f"{name}: expected a 1-D array of numbers, got a string")
        try:
            x = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected a 1-D array of numbers") from None
        if x.ndim != 1:
            raise InputError(f"{name}: expected a 1-D array of numbers, got shape {x.shape}")
        bad = ~np.isfinite(x)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{name}: value {x[i]} at index {i} is not finite")
        if self.info.input == "binary":
            bad = (x != 0.0) & (x != 1.0)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(
                    f"{name} takes a binary error stream (0 = right, 1 = error); "
                    f"value {x[i]} at index {i}"
                )
        return x

    # -- parameters and state ------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, as passed (scikit-learn's convention)."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def clone(self: D, **params: Any) -> D:
        """A fresh detector with the same parameters, some replaced."""
        return type(self)(**{**self.get_params(), **params})

    def to_dict(self) -> dict[str, Any]:
        """Name, parameters and the whole mutable state, as plain (JSON-friendly) data."""
        names = ("drift_detected", "warning_detected", "statistic", *self._state)
        state = {name: _plain(getattr(self, f"_{name}")) for name in names}
        return {"detector": self.info.name, "params": self.get_params(), "state": state}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detector:
        """Rebuild a detector saved with :meth:`to_dict`; it continues where it stopped."""
        from steward.stream._registry import get

        info = get(data["detector"])
        if not issubclass(info.cls, cls):
            raise InputError(f"saved detector {info.name!r} is not a {cls.__name__}")
        detector = info.cls(**data["params"])
        for key, value in data["state"].items():
            name = f"_{key}"
            current = getattr(detector, name)
            if isinstance(current, Recurrence):
                value = Recurrence.from_list(value)
            elif isinstance(current, np.random.Generator):
                current.bit_generator.state = value
                continue
            setattr(detector, name, copy.deepcopy(value))
        return detector

    @classmethod
    def for_false_alarm_rate(
        cls: type[D], arl0: float, p0: float | None = None, seed: int = 0, **params: Any
    ) -> D:
        """A detector whose mean run length without change is about ``arl0`` items.

        The threshold parameter (``tuning.param``) is found by simulation on Bernoulli(``p0``)
        streams, or N(0, 1) streams when ``p0`` is ``None`` (real-valued detectors only);
        the other ``params`` are kept. Results are cached.
        """
        from steward.stream._calibrate import calibrate

        value = calibrate(cls.info.name, arl0, p0=p0, seed=seed, **params)
        return cls(**cls.with_threshold(params, value))

    @classmethod
    def calibration_grid(cls, params: dict[str, Any]) -> list[float] | None:
        """The threshold values worth trying when the decision is discrete, else None."""
        return None

    @classmethod
    def with_threshold(cls, params: dict[str, Any], value: float) -> dict[str, Any]:
        """``params`` with the threshold parameter set to ``value`` (and kept consistent)."""
        return {**params, cls.tuning.param: value}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def require(ok: bool, message: str) -> None:
    """Reject a bad parameter value with :class:`~steward.InputError`."""
    if not ok:
        raise InputError(message)


class WarningDetector(Detector):
    """A detector that also signals a warning zone before a drift."""

    @property
    def warning_detected(self) -> bool:
        """Whether the last item put the detector in its warning zone."""
        return self._warning_detected


def _plain(value: Any) -> Any:
    if isinstance(value, Recurrence):
        return value.to_list()
    if isinstance(value, np.random.Generator):
        return value.bit_generator.state
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
