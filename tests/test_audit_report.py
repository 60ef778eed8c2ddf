"""``manage.py apisec_audit``: text, JSON (documented shape), SARIF 2.1.0, fail level, baseline,
suppressions with reasons, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())
INSECURE = "tests.shop.urls_insecure"
SECURE = "tests.shop.urls_secure"
FINDING_KEYS = {
    "id",
    "level",
    "message",
    "hint",
    "view",
    "file",
    "line",
    "owasp",
    "cwe",
    "fingerprint",
    "suppressed",
}


def audit(*args: str, **settings: Any) -> tuple[int, str]:
    """Run the command; its exit code and output."""
    out = io.StringIO()
    with override_settings(**settings):
        try:
            call_command("apisec_audit", *args, stdout=out)
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def shop_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f for f in report["findings"] if f["id"] in {"apisec.E510", "apisec.E511", "apisec.E512"}
    ]


def test_json_has_the_documented_shape_and_locations() -> None:
    code, out = audit("--format", "json", ROOT_URLCONF=INSECURE)
    report = json.loads(out)
    assert set(report) == {"version", "tool", "fail_level", "exit_code", "findings"}
    assert report["version"] == 1
    assert code == report["exit_code"] == 1
    assert all(set(f) == FINDING_KEYS for f in report["findings"])
    found = {(f["id"], f["view"]) for f in shop_findings(report)}
    assert ("apisec.E511", "tests.shop.views_insecure.InvoiceViewSet") in found
    assert ("apisec.E510", "tests.shop.views_insecure.CustomerViewSet") in found
    lookup = next(
        f for f in report["findings"] if f["id"] == "apisec.E511" and "mark_paid" in f["message"]
    )
    source = Path(lookup["file"]).read_text().splitlines()
    assert "Invoice.objects.get(pk=pk)" in source[lookup["line"] - 1]
    assert lookup["owasp"].startswith("API1:2023")
    assert lookup["cwe"] == "CWE-639"
    queryset = next(
        f for f in report["findings"] if f["id"] == "apisec.E510" and "CustomerViewSet" in f["view"]
    )
    assert (
        "def get_queryset" in Path(queryset["file"]).read_text().splitlines()[queryset["line"] - 1]
    )


def test_sarif_validates_against_the_2_1_0_schema() -> None:
    _, out = audit("--format", "sarif", ROOT_URLCONF=INSECURE)
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "API1:2023" in rules["apisec.E512"]["properties"]["owasp"]
    assert rules["apisec.E512"]["properties"]["cwe"] == "CWE-639"
    assert rules["apisec.E512"]["help"]["text"]
    located = [r for r in run["results"] if r["ruleId"] == "apisec.E511"]
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1 for r in located)
    assert all(
        run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"]
    )


def test_the_secure_shop_and_the_testproject_have_no_audit_finding(
    production_settings: dict[str, Any],
) -> None:
    # The testproject accepts its public schema and its admin, with reasons, in its settings.
    suppressions = production_settings["APISEC_AUDIT_SUPPRESSIONS"]
    for urlconf in (SECURE, "testproject.urls"):
        _, out = audit(
            "--format", "json", ROOT_URLCONF=urlconf, APISEC_AUDIT_SUPPRESSIONS=suppressions
        )
        findings = json.loads(out)["findings"]
        ids = {f["id"] for f in findings if f["suppressed"] is None}
        assert not {i for i in ids if i.startswith(("apisec.E5", "apisec.W5"))}, urlconf
    assert {f["id"] for f in findings if f["suppressed"]} == {"apisec.W515", "apisec.W516"}


def test_suppressed_findings_are_listed_with_their_reason_and_do_not_fail() -> None:
    suppressions = [
        {"id": i, "reason": "accepted in this test"}
        for i in ("apisec.E510", "apisec.E511", "apisec.E512")
    ]
    _, out = audit(
        "--format",
        "json",
        "--fail-level",
        "error",
        ROOT_URLCONF=INSECURE,
        APISEC_AUDIT_SUPPRESSIONS=suppressions,
    )
    found = shop_findings(json.loads(out))
    assert found
    assert {f["suppressed"] for f in found} == {"accepted in this test"}
    _, sarif = audit(
        "--format", "sarif", ROOT_URLCONF=INSECURE, APISEC_AUDIT_SUPPRESSIONS=suppressions
    )
    log = json.loads(sarif)
    jsonschema.validate(log, SCHEMA)
    suppressed = [r for r in log["runs"][0]["results"] if r["ruleId"] == "apisec.E511"]
    assert suppressed[0]["suppressions"][0]["justification"] == "accepted in this test"


def test_a_suppression_without_a_reason_suppresses_nothing_and_is_a_finding() -> None:
    targeted = "tests.shop.views_insecure.InvoiceTotalView"
    suppressions = [{"id": "apisec.E511", "target": targeted, "reason": "  "}]
    _, out = audit(
        "--format", "json", ROOT_URLCONF=INSECURE, APISEC_AUDIT_SUPPRESSIONS=suppressions
    )
    findings = json.loads(out)["findings"]
    assert any(f["view"] == targeted and f["suppressed"] is None for f in findings)
    (missing,) = [f for f in findings if f["id"] == "apisec.E514"]
    assert "entry 0 (apisec.E511, tests.shop.views_insecure.InvoiceTotalView)" in missing["message"]


def test_a_target_limits_a_suppression_to_one_view() -> None:
    targeted = "tests.shop.views_insecure.InvoiceTotalView"
    suppressions = [{"id": "apisec.E511", "target": targeted, "reason": "read-only totals"}]
    _, out = audit(
        "--format", "json", ROOT_URLCONF=INSECURE, APISEC_AUDIT_SUPPRESSIONS=suppressions
    )
    e511 = [f for f in json.loads(out)["findings"] if f["id"] == "apisec.E511"]
    assert {f["view"]: f["suppressed"] for f in e511}[targeted] == "read-only totals"
    assert [f for f in e511 if f["suppressed"] is None]


def test_a_baseline_leaves_only_new_findings(tmp_path: Path) -> None:
    _, before = audit("--format", "json", ROOT_URLCONF=SECURE)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(before)
    code, out = audit(
        "--format",
        "json",
        "--baseline",
        str(baseline),
        "--fail-level",
        "warning",
        ROOT_URLCONF=SECURE,
    )
    assert json.loads(out)["findings"] == []
    assert code == 0
    code, out = audit("--format", "json", "--baseline", str(baseline), ROOT_URLCONF=INSECURE)
    # The insecure shop also declares no API-key scopes (the secure one does): apisec.W560.
    assert {f["id"] for f in json.loads(out)["findings"]} == {
        "apisec.E510",
        "apisec.E511",
        "apisec.E512",
        "apisec.W560",
    }
    assert code == 1


def test_fail_level_decides_the_exit_code() -> None:
    everything = [{"id": "apisec.E510", "reason": "x"}]
    assert audit("--fail-level", "none", ROOT_URLCONF=INSECURE)[0] == 0
    assert audit("--fail-level", "error", ROOT_URLCONF=INSECURE)[0] == 1
    assert (
        audit("--fail-level", "warning", ROOT_URLCONF=SECURE, APISEC_AUDIT_SUPPRESSIONS=everything)[
            0
        ]
        == 1
    )


def test_an_unreadable_baseline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        audit("--baseline", str(tmp_path / "missing.json"))
    assert raised.value.returncode == 2
    not_a_report = tmp_path / "list.json"
    not_a_report.write_text("[]")
    with pytest.raises(CommandError):
        audit("--baseline", str(not_a_report))


def test_text_format_and_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code, out = audit("--output", str(target), ROOT_URLCONF=INSECURE)
    text = target.read_text()
    assert out == ""
    assert code == 1
    assert "apisec.E511 [error] (tests/shop/views_insecure.py:" in text
    assert "HINT: " in text
    assert text.rstrip().endswith("suppressed.")


def test_models_prints_the_ownership_map() -> None:
    code, out = audit("--models")
    assert code == 0
    assert "shop.InvoiceLine: invoice__customer__owner" in out.splitlines()
    assert "shop.Product" not in out
