"""Checks: pure functions from (reference profile, current profile) to findings."""
