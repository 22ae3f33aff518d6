"""Steward keeps machine-learning models healthy after they ship.

The public surface is what this module lists in ``__all__``; a test pins it.
"""

from steward._exceptions import (
    CheckError,
    EmptyInput,
    InputError,
    PlanError,
    ProfileMismatch,
    SchemaError,
    StewardError,
    UnknownCheck,
    UnknownColumn,
    UnreadableInput,
)
from steward.checks.plan import CheckPlan, WindowPolicy
from steward.checks.policy import ColumnPolicy, DriftPolicy
from steward.compare import compare
from steward.findings import Finding, Verdict
from steward.io import to_arrow
from steward.profile import Profile, ProfileConfig, profile
from steward.report import Report
from steward.schema import Column, Kind, Role, Schema, infer_schema, load_schema

__version__ = "0.1.0"

__all__ = [
    "CheckError",
    "CheckPlan",
    "Column",
    "ColumnPolicy",
    "DriftPolicy",
    "EmptyInput",
    "Finding",
    "InputError",
    "Kind",
    "PlanError",
    "Profile",
    "ProfileConfig",
    "ProfileMismatch",
    "Report",
    "Role",
    "Schema",
    "SchemaError",
    "StewardError",
    "UnknownCheck",
    "UnknownColumn",
    "UnreadableInput",
    "Verdict",
    "WindowPolicy",
    "__version__",
    "compare",
    "infer_schema",
    "load_schema",
    "profile",
    "to_arrow",
]
