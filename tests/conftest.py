"""Settings shared by the whole suite.

Hypothesis runs 50 examples per property without a deadline (profiles use threads, whose
timing varies). ``HYPOTHESIS_PROFILE=ci`` (the default when ``CI`` is set) derandomises the
examples for reproducible CI runs.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, database=None)
_default = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
