#!/usr/bin/env python
"""Django's command-line utility for the testproject; run it from anywhere."""

import os
import sys
from pathlib import Path

# `python testproject/manage.py` puts testproject/ itself on sys.path; the package needs its parent.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    """Run a management command with the testproject's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
