"""Streaming change detectors for the per-row error stream of a model.

Nine detectors, one module each, with River's interface habits: ``update(x)`` returns the
detector, ``drift_detected`` (and ``warning_detected`` where the method has one) tell what
the last item did, and after a drift the next item starts from a fresh state. Every
detector also has ``update_many(values)``, vectorised with NumPy, which returns the
positions of the detections and leaves exactly the state that item-by-item updates would.

>>> from steward import stream
>>> detector = stream.create("ddm")
>>> [int(i) for i in detector.update_many([0, 0, 0, 0, 1] * 100 + [1, 1, 0] * 30)]
[537]
>>> sorted(stream.REGISTRY)[:3]
['adwin', 'cusum', 'ddm']
"""

from steward.stream._base import Detector, Tuning, WarningDetector
from steward.stream._calibrate import calibrate, mean_run_length
from steward.stream._findings import (
    Detection,
    detect,
    detections_to_findings,
    findings_for_windows,
)
from steward.stream._registry import REGISTRY, DetectorInfo, create, get, register
from steward.stream.adwin import ADWIN
from steward.stream.cusum import CUSUM
from steward.stream.ddm import DDM
from steward.stream.eddm import EDDM
from steward.stream.ewma import EWMA
from steward.stream.hddm_a import HDDMA
from steward.stream.hddm_w import HDDMW
from steward.stream.kswin import KSWIN
from steward.stream.page_hinkley import PageHinkley

__all__ = [
    "ADWIN",
    "CUSUM",
    "DDM",
    "EDDM",
    "EWMA",
    "HDDMA",
    "HDDMW",
    "KSWIN",
    "REGISTRY",
    "Detection",
    "Detector",
    "DetectorInfo",
    "PageHinkley",
    "Tuning",
    "WarningDetector",
    "calibrate",
    "create",
    "detect",
    "detections_to_findings",
    "findings_for_windows",
    "get",
    "mean_run_length",
    "register",
]
