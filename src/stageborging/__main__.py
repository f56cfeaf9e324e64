"""``python -m stageborging`` runs the command-line interface."""

from .cli import main

main()
