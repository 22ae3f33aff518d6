"""``steward serve`` (the HTTP service) and ``steward token`` (create, list, revoke tokens).

The store is the one ``STEWARD_DATABASE_URL`` or ``STEWARD_HOME`` names. On the first start
there are no credentials at all, so ``serve`` creates an admin token and prints it once, on
a line of its own beginning ``admin token: ``; later starts print nothing of the kind.
SIGTERM stops accepting requests, waits up to ``drain_timeout_s`` for those in flight, then
drains the prediction log and exits 0.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import sys
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from steward._exceptions import AuthError
from steward.commands._common import actor, open_store
from steward.service.settings import ServiceSettings

ADMIN_LINE = "admin token: "


def serve_command(host: str | None = None, port: int | None = None) -> None:
    """Run the service until SIGTERM/SIGINT (blocking)."""
    import uvicorn

    from steward.service.app import create_app
    from steward.service.auth import ensure_admin_token, has_admin_token

    settings = ServiceSettings()
    configure_logging()
    store = open_store()
    bind = host or settings.host
    try:
        if not _loopback(bind) and not has_admin_token(store):
            raise AuthError(
                f"no admin token exists yet, and {bind} is not a loopback address: start "
                "`steward serve` once on 127.0.0.1 (it prints one) or create one with "
                "`steward token create admin --scope admin`"
            )
        token = ensure_admin_token(store)
        if token is not None:
            print(f"{ADMIN_LINE}{token}", flush=True)
        config = uvicorn.Config(
            create_app(store, settings),
            host=bind,
            port=settings.port if port is None else port,
            timeout_graceful_shutdown=math.ceil(settings.drain_timeout_s),
            log_config=None,
            access_log=False,  # steward.access writes one JSON line per request instead
        )
        _server(config).run()
    finally:
        store.dispose()


def _loopback(host: str) -> bool:
    """Only a first start on loopback may create and print the admin token (DESIGN)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server(config: Any) -> Any:
    """uvicorn's server, except that SIGTERM, once drained, exits 0 instead of re-raising.

    (uvicorn re-raises the signal after a graceful shutdown, so the process would die of
    SIGTERM; a service manager reads that as a failure.)
    """
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            captured = getattr(self, "_captured_signals", None)
            if sig == signal.SIGTERM and isinstance(captured, list):
                captured[:] = [s for s in captured if s != signal.SIGTERM]

    return Server(config)


def serve(
    host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)", min=0)] = None,
) -> None:
    """Serve predictions, labels and the read API over HTTP (Ctrl-C or SIGTERM stops)."""
    serve_command(host, port)


# --- logging ----------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, and the message or structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for every logger (uvicorn's included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations say enough on error


# --- tokens -----------------------------------------------------------------------------

token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="who or what the token is for")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="predict, label, read or admin (repeatable)")
    ],
    model: Annotated[
        list[str] | None, typer.Option("--model", help="limit to this model (repeatable)")
    ] = None,
) -> None:
    """Create a token; it is printed once, on the last line, and never shown again."""
    from steward.service.auth import create_token

    store = open_store()
    try:
        info, plaintext = create_token(store, name, scope, model or None, actor=actor())
    finally:
        store.dispose()
    models = ", ".join(info.models) if info.models else "every model"
    typer.echo(f"token {info.name!r} (prefix {info.prefix}): {', '.join(info.scopes)} on {models}")
    typer.echo("store it now; it is not shown again:", err=True)
    typer.echo(plaintext)


@token_app.command("list")
def token_list(
    as_json: Annotated[bool, typer.Option("--json", help="as a JSON array")] = False,
) -> None:
    """Every token (prefix, name, scopes, models, revoked), never a secret."""
    from steward.service.auth import list_tokens

    store = open_store()
    try:
        tokens = list_tokens(store)
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps([t.to_dict() for t in tokens], indent=2))
        return
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        models = ",".join(t.models) if t.models else "*"
        typer.echo(f"{t.prefix}  {t.name:<20} {','.join(t.scopes):<24} {models:<20} {state}")


@token_app.command("revoke")
def token_revoke(
    prefix: Annotated[str, typer.Argument(help="the token's 8-character prefix")],
) -> None:
    """Revoke a token (running services stop accepting it within a few seconds)."""
    from steward.service.auth import revoke_token

    store = open_store()
    try:
        info = revoke_token(store, prefix, actor=actor())
    finally:
        store.dispose()
    typer.echo(f"revoked token {info.name!r} (prefix {info.prefix})")
