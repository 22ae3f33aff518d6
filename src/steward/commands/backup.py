"""``steward backup`` and ``steward restore``: the whole store and its artifacts, one archive.

``backup`` is safe while the service runs (one read transaction). ``restore`` checks every
byte of the archive before it touches the target store, and refuses a store that already
holds anything unless ``--force``. Both use the store named by ``STEWARD_DATABASE_URL`` or
``STEWARD_HOME``, so moving from SQLite to PostgreSQL is a backup with one setting and a
restore with the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steward.commands._common import open_store


def backup_command(
    out: Annotated[Path, typer.Argument(help="archive to write (.tar.gz)", show_default=False)],
) -> None:
    """Write one archive of the store and its artifacts, with a manifest of checksums."""
    from steward.store.backup import backup

    store = open_store()
    try:
        manifest = backup(store, out)
    finally:
        store.dispose()
    rows = sum(manifest.tables.values())
    typer.echo(
        f"backup {out}: {rows} rows in {len(manifest.tables)} tables, "
        f"{len(manifest.artifacts)} artifacts, {out.stat().st_size} bytes"
    )


def restore_command(
    archive: Annotated[Path, typer.Argument(help="archive from `steward backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace everything in a non-empty store")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="only verify the archive; change nothing")
    ] = False,
) -> None:
    """Verify ARCHIVE completely, then restore it into the (empty) store."""
    from steward.store import database_url, home
    from steward.store.backup import restore, verify

    if check:
        manifest = verify(archive)
        typer.echo(f"{archive}: intact ({len(manifest.members)} members, {manifest.created_at})")
        return
    manifest = restore(archive, database_url(home()), home(), force=force)
    versions = manifest.tables.get("model_versions", 0)
    typer.echo(
        f"restored {archive} (written {manifest.created_at}): {versions} model versions, "
        f"{len(manifest.artifacts)} artifacts"
    )
