"""Service settings: defaults that work with no configuration, overridable by ``STEWARD_*``.

>>> ServiceSettings().port
8000
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Every knob of ``steward serve``; env ``STEWARD_<NAME>`` overrides (e.g. STEWARD_PORT)."""

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # requests
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_rows_per_request: int = Field(default=10_000, ge=1)
    rate_limit_per_s: float = Field(default=1000.0, gt=0)  # per token, token bucket
    rate_limit_burst: int = Field(default=2000, ge=1)
    auth_cache_ttl_s: float = Field(default=5.0, ge=0)  # revocation takes effect within
    # durable logging (group commit)
    commit_max_batch: int = Field(default=5000, ge=1)  # rows per transaction at most
    commit_max_wait_ms: float = Field(default=2.0, ge=0)  # wait for company before commit
    # shadow traffic
    shadow_queue_size: int = Field(default=1000, ge=1)  # requests waiting for challengers
    shadow_workers: int = Field(default=1, ge=1)
    # champion protection (a plan's ``fallback`` section overrides per model)
    timeout_ms: float = Field(default=1000.0, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_window_s: float = Field(default=30.0, gt=0)
    breaker_reset_s: float = Field(default=10.0, gt=0)
    # monitor loop inside the service (0 turns it off)
    monitor_every_s: float = Field(default=60.0, ge=0)
    # graceful shutdown
    drain_timeout_s: float = Field(default=30.0, gt=0)
