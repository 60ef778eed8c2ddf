"""``manage.py apisec_audit``: the deploy gate and the views audit, for CI (text, JSON, SARIF)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_apisec.checks.views_audit import report


class Command(BaseCommand):
    """Report every ``apisec.*`` finding; exit 1 when one at or above ``--fail-level`` remains.

    Exit codes: 0 nothing at or above the fail level (suppressed and baselined findings do not
    count), 1 at least one finding at or above it, 2 a usage error (unreadable baseline).
    """

    help = (
        "Run django_apisec's deploy checks and views audit. Exit 0: nothing at or above "
        "--fail-level; 1: findings; 2: usage error."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """``--format``, ``--fail-level``, ``--baseline``, ``--output``, ``--models``."""
        parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
        parser.add_argument("--fail-level", choices=report.FAIL_LEVELS, default="error")
        parser.add_argument(
            "--baseline", help="a previous --format json report: its findings are left out"
        )
        parser.add_argument("--output", help="write the report to this file instead of stdout")
        parser.add_argument(
            "--models", action="store_true", help="print the ownership map and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Collect, filter by the baseline, render, and exit with the documented code."""
        if options["models"]:
            self.stdout.write(report.models_text())
            return
        findings = report.collect()
        if options["baseline"]:
            findings = report.without_baseline(findings, self._baseline(options["baseline"]))
        fail_level = options["fail_level"]
        if options["format"] == "json":
            text = json.dumps(report.to_json(findings, fail_level), indent=2)
        elif options["format"] == "sarif":
            text = json.dumps(report.to_sarif(findings), indent=2)
        else:
            text = report.to_text(findings)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)
        code = report.exit_code(findings, fail_level)
        if code:
            raise SystemExit(code)

    def _baseline(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the baseline {name}: {exc}", returncode=2) from exc
        if not isinstance(data, dict):
            raise CommandError(f"{name} is not a --format json report", returncode=2)
        return data
