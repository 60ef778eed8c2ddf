"""``manage.py apisec_audit``: the deploy gate's findings as text, JSON or SARIF 2.1.0.

:func:`collect` runs every check ``check --deploy`` runs and keeps the ``apisec.*`` findings,
suppressed ones marked with their reason. :func:`to_json` and :func:`to_sarif` render them;
:func:`exit_code` applies the fail level. The JSON shape (``JSON_VERSION``) is documented in
docs/auditing.rst and a baseline is a previous run's JSON: findings whose fingerprint it lists
are left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.checks import ERROR, CheckMessage, run_checks

from django_apisec.checks.registry import MESSAGES
from django_apisec.checks.views_audit.locations import location_of
from django_apisec.checks.views_audit.ownership_map import ownership_map
from django_apisec.checks.views_audit.suppressions import dotted_path, reporting_suppressed

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS = "https://django-apisec.readthedocs.io/en/latest/checks/"
FAIL_LEVELS = ("error", "warning", "none")
# Exit codes of the command (docs/auditing.rst).
EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

# OWASP API Security Top 10 2023 and CWE of each id; a topic's default, then the views audit's own.
TOPICS: dict[str, tuple[str, str, str]] = {
    "0": ("API8:2023 Security Misconfiguration", "CWE-16", "core"),
    "1": ("API8:2023 Security Misconfiguration", "CWE-16", "drf"),
    "2": ("API2:2023 Broken Authentication", "CWE-287", "jwt"),
    "3": ("API8:2023 Security Misconfiguration", "CWE-942", "cors"),
    "4": ("API4:2023 Unrestricted Resource Consumption", "CWE-770", "abuse"),
    "5": ("API1:2023 Broken Object Level Authorization", "CWE-639", "views"),
    "6": ("API8:2023 Security Misconfiguration", "CWE-16", "settings"),
}
TAXONOMY: dict[str, tuple[str, str]] = {
    "apisec.E501": ("API5:2023 Broken Function Level Authorization", "CWE-306"),
    "apisec.E503": ("API3:2023 Broken Object Property Level Authorization", "CWE-915"),
    "apisec.W504": ("API3:2023 Broken Object Property Level Authorization", "CWE-213"),
    "apisec.E505": ("API3:2023 Broken Object Property Level Authorization", "CWE-200"),
    "apisec.E506": ("API3:2023 Broken Object Property Level Authorization", "CWE-200"),
    "apisec.E507": ("API3:2023 Broken Object Property Level Authorization", "CWE-200"),
    "apisec.E508": ("API3:2023 Broken Object Property Level Authorization", "CWE-200"),
    "apisec.E509": ("API3:2023 Broken Object Property Level Authorization", "CWE-915"),
    "apisec.E514": ("API8:2023 Security Misconfiguration", "CWE-1059"),
    "apisec.W515": ("API9:2023 Improper Inventory Management", "CWE-1059"),
    "apisec.W516": ("API9:2023 Improper Inventory Management", "CWE-1059"),
}


def taxonomy(id_: str) -> tuple[str, str]:
    """``(OWASP API Top 10 2023 entry, CWE)`` of a check id."""
    if id_ in TAXONOMY:
        return TAXONOMY[id_]
    owasp, cwe, _ = TOPICS.get(id_[len("apisec.E")], TOPICS["0"])
    return owasp, cwe


def help_uri(id_: str) -> str:
    """The documentation section of a check id."""
    _, _, page = TOPICS.get(id_[len("apisec.E")], TOPICS["0"])
    return f"{DOCS}{page}.html#{id_.replace('.', '-').lower()}"


@dataclass
class Finding:
    """One ``apisec.*`` finding, as the reports show it."""

    id: str
    level: str
    message: str
    hint: str
    view: str
    location: tuple[str, int] | None
    suppressed: str | None

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: the id and the message (view, route, subject)."""
        return hashlib.sha256(f"{self.id}\n{self.message}".encode()).hexdigest()[:32]

    @property
    def serious(self) -> bool:
        """Whether it is an error (``apisec.E``)."""
        return self.level == "error"


def _location(message: CheckMessage) -> tuple[str, int] | None:
    found = getattr(message, "apisec_location", None)
    if found:
        return found  # type: ignore[no-any-return]
    owner, member = getattr(message, "apisec_where", (message.obj, None))
    if owner is None:
        return None
    try:
        return location_of(owner, member)
    except Exception:  # noqa: BLE001 - a location is a courtesy; the finding stands without
        return None


def finding_of(message: CheckMessage) -> Finding:
    """A check message as a :class:`Finding`."""
    return Finding(
        id=message.id or "",
        level="error" if message.level >= ERROR else "warning",
        message=message.msg,
        hint=message.hint or "",
        view=dotted_path(message.obj) if isinstance(message.obj, type) else "",
        location=_location(message),
        suppressed=getattr(message, "apisec_suppressed", None),
    )


def collect() -> list[Finding]:
    """Every ``apisec.*`` finding of the deploy checks; silenced ids left out as by ``check``."""
    with reporting_suppressed():
        messages = run_checks(include_deployment_checks=True)
    return [
        finding_of(m)
        for m in messages
        if m.id and m.id.startswith("apisec.") and not m.is_silenced()
    ]


def without_baseline(findings: list[Finding], baseline: dict[str, Any]) -> list[Finding]:
    """``findings`` minus those a previous ``--format json`` report lists."""
    known = {f.get("fingerprint") for f in baseline.get("findings", []) if isinstance(f, dict)}
    return [f for f in findings if f.fingerprint not in known]


def exit_code(findings: list[Finding], fail_level: str) -> int:
    """:data:`EXIT_FINDINGS` when an unsuppressed finding is at or above ``fail_level``."""
    active = [f for f in findings if f.suppressed is None]
    if fail_level == "error" and any(f.serious for f in active):
        return EXIT_FINDINGS
    if fail_level == "warning" and active:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _relative(path: str) -> str:
    """``path`` from the current directory (the project's root in CI), else absolute."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:  # outside the project (or on another drive)
        return resolved.as_posix()


def to_json(findings: list[Finding], fail_level: str) -> dict[str, Any]:
    """The JSON report (shape version :data:`JSON_VERSION`)."""
    return {
        "version": JSON_VERSION,
        "tool": "django_apisec",
        "fail_level": fail_level,
        "exit_code": exit_code(findings, fail_level),
        "findings": [
            {
                "id": f.id,
                "level": f.level,
                "message": f.message,
                "hint": f.hint,
                "view": f.view or None,
                "file": _relative(f.location[0]) if f.location else None,
                "line": f.location[1] if f.location else None,
                "owasp": taxonomy(f.id)[0],
                "cwe": taxonomy(f.id)[1],
                "fingerprint": f.fingerprint,
                "suppressed": f.suppressed,
            }
            for f in findings
        ],
    }


def _rule(id_: str) -> dict[str, Any]:
    template = MESSAGES.get(id_)
    owasp, cwe = taxonomy(id_)
    text = template.msg if template is not None else id_
    hint = (template.hint or "") if template is not None else ""
    return {
        "id": id_,
        "name": id_.replace("apisec.", "apisec_"),
        "shortDescription": {"text": text.split(":")[0][:200]},
        "fullDescription": {"text": text},
        "help": {"text": f"{hint}\n\nOWASP {owasp}; {cwe}. See {help_uri(id_)}"},
        "helpUri": help_uri(id_),
        "defaultConfiguration": {"level": "error" if id_.startswith("apisec.E") else "warning"},
        "properties": {"tags": ["security", owasp, cwe], "owasp": owasp, "cwe": cwe},
    }


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index[finding.id],
        "level": finding.level,
        "message": {"text": f"{finding.message} Fix: {finding.hint}"},
        "partialFingerprints": {"apisecFingerprint/v1": finding.fingerprint},
    }
    if finding.location is not None:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": _relative(finding.location[0]),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": max(1, finding.location[1])},
                }
            }
        ]
    if finding.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding.suppressed}]
    return result


def to_sarif(findings: list[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run, as GitHub code scanning accepts it."""
    ids = sorted({f.id for f in findings})
    rule_index = {id_: index for index, id_ in enumerate(ids)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "django_apisec",
                        "informationUri": DOCS,
                        "rules": [_rule(id_) for id_ in ids],
                    }
                },
                "results": [_result(f, rule_index) for f in findings],
            }
        ],
    }


def to_text(findings: list[Finding]) -> str:
    """One block per finding, as ``check`` prints them, with location and suppression."""
    lines = []
    for f in findings:
        where = f" ({_relative(f.location[0])}:{f.location[1]})" if f.location else ""
        lines.append(f"{f.id} [{f.level}]{where} {f.message}")
        lines.append(f"    HINT: {f.hint}")
        if f.suppressed is not None:
            lines.append(f"    SUPPRESSED: {f.suppressed}")
    active = [f for f in findings if f.suppressed is None]
    errors = sum(f.serious for f in active)
    lines.append(
        f"{errors} error(s), {len(active) - errors} warning(s), "
        f"{len(findings) - len(active)} suppressed."
    )
    return "\n".join(lines)


def models_text() -> str:
    """The ownership map, one model a line with its owner path."""
    rows = [f"{m._meta.label}: {path}" for m, path in ownership_map().items()]
    return "\n".join(rows) if rows else "No user-owned model."
