"""``zhili insight …``: train and evaluate classifiers; (detect) scans and warnings."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="研判预警 insight and early warning", no_args_is_help=True)
console = Console()


# -- classify: train, evaluate, models, export of labelled demo cases ------------------------


# -- detect: scans, warnings, monthly issue ---------------------------------------------------
