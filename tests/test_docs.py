"""Every check id is documented exactly once, and every documented id exists."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django_apisec.checks import MESSAGES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "checks"
HEADING = re.compile(r"^(apisec\.[EW]\d{3}) — ", re.MULTILINE)


def documented_ids() -> list[str]:
    """The ids that head a section in docs/checks/*.rst, in file order."""
    return [m for page in sorted(DOCS.glob("*.rst")) for m in HEADING.findall(page.read_text())]


def test_every_id_documented_once() -> None:
    ids = documented_ids()
    assert sorted(ids) == sorted(set(ids)), "an id is documented twice"
    assert set(ids) == set(MESSAGES)


def test_every_message_has_a_hint_and_its_level_matches_its_id() -> None:
    for id_, message in MESSAGES.items():
        assert message.hint, id_
        assert id_[len("apisec.")] == ("E" if message.is_serious() else "W"), id_


def test_every_apisec_setting_is_in_the_settings_reference() -> None:
    from django_apisec.conf import ApisecSettings

    reference = (DOCS.parent / "settings.rst").read_text()
    names = [n for n, v in vars(ApisecSettings).items() if isinstance(v, property)]
    assert names
    assert [n for n in names if f"APISEC_{n}" not in reference] == []


def render_settings_table() -> str:
    """The summary table of docs/settings.rst: every setting's type, default, bound and checks."""
    from django_apisec.checks.settings import PRODUCTION_BOUNDS
    from django_apisec.conf import SETTINGS

    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 22 30 18 30",
        "",
        "   * - setting",
        "     - type (anything else: the check id)",
        "     - default",
        "     - production bound (``check --deploy``)",
    ]
    for setting in SETTINGS:
        bound, deploy_id = PRODUCTION_BOUNDS.get(setting.name, ("—", ""))
        deploy = f"{bound} (``{deploy_id}``)" if deploy_id else bound
        expected = setting.expected.replace("*", r"\*")
        lines += [
            f"   * - ``{setting.name}``",
            f"     - {expected} (``{setting.check_id}``)",
            f"     - {setting.default_doc}",
            f"     - {deploy}",
        ]
    return "\n".join(lines)


def test_settings_table_lists_every_setting() -> None:
    page = DOCS.parent / "settings.rst"
    start, end = ".. settings-table-start\n\n", "\n\n.. settings-table-end"
    text = page.read_text()
    head, _, rest = text.partition(start)
    table, _, tail = rest.partition(end)
    expected = render_settings_table()
    if os.environ.get("APISEC_WRITE_DOCS") == "1":
        page.write_text(f"{head}{start}{expected}{end}{tail}")
        table = expected
    assert table == expected, "regenerate: APISEC_WRITE_DOCS=1 pytest tests/test_docs.py"
