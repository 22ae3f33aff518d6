"""Sub-commands of ``steward`` beyond the core report commands, one Typer app per module."""
