"""Steward keeps machine-learning models healthy after they ship."""

from steward._exceptions import StewardError
from steward.profile import Profile, ProfileConfig, profile
from steward.schema import Column, Kind, Role, Schema, infer_schema

__version__ = "0.1.0"
