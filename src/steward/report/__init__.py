"""Reports: findings rendered as JSON, HTML and terminal summaries."""

from steward.report.report import SCHEMA_VERSION, Report

__all__ = ["SCHEMA_VERSION", "Report"]
