"""Mergeable profiles: the summaries every check compares."""

from steward.profile.categorical import CategoricalProfile
from steward.profile.dataset import (
    ColumnProfile,
    KeyProfile,
    Profile,
    ProfileConfig,
    numeric_values,
    profile,
)
from steward.profile.datetime import DatetimeProfile
from steward.profile.numeric import NumericProfile
from steward.profile.reservoir import Reservoir
from steward.profile.text import TextProfile

__all__ = [
    "CategoricalProfile",
    "ColumnProfile",
    "DatetimeProfile",
    "KeyProfile",
    "NumericProfile",
    "Profile",
    "ProfileConfig",
    "Reservoir",
    "TextProfile",
    "numeric_values",
    "profile",
]
