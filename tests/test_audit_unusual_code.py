"""The views audit on unusual code: views built at run time, sources it cannot read, broken
classes and includes. Each gets a finding or a "could not verify" (apisec.W513) that names the
reason; ``check --deploy`` and ``manage.py apisec_audit`` never stop on a traceback."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from django_apisec.checks import views_audit
from tests import audit_unusual_views as v
from tests import audit_views

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

URLCONF = "tests.audit_unusual_urls"

EXPECTED: dict[Any, list[str]] = {
    v.TypeBuiltNoteList: ["apisec.E510"],
    v.SourcelessNoteList: ["apisec.E510"],
    v.CallableQuerysetNoteList: ["apisec.E510"],
    v.LoopingWrapperNoteList: ["apisec.E510", "apisec.W513"],
    v.ExecBuiltNoteView: ["apisec.W513"],
    v.LambdaNoteView: ["apisec.W513"],
    v.FilterBackendsNotAListNoteDetail: ["apisec.W513"],
    v.ExplodingSerializerTaskList: ["apisec.W513"],
    v.EveryProjectRelationTaskList: ["apisec.E512"],
    None: ["apisec.W516"],
}
# Scoped, or unable to return a row: nothing to report.
CLEAN = [v.NoNotesList, v.OwnerPermissionNoteDetail, v.OwnedRelationTaskList]


def deploy_messages() -> list[CheckMessage]:
    """What ``check --deploy`` reports, with every check of the project."""
    with override_settings(ROOT_URLCONF=URLCONF):
        return run_checks(include_deployment_checks=True)


def audit_ids() -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    for message in deploy_messages():
        # apisec.W560 (these views accept API keys and declare no scope) is the API keys' finding.
        if (
            message.id
            and message.id.startswith(("apisec.E5", "apisec.W5"))
            and (message.id != "apisec.W560")
        ):
            found[message.obj].append(message.id)
    return {view: sorted(ids) for view, ids in found.items()}


def reasons() -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    for message in deploy_messages():
        if message.id == "apisec.W513":
            found[message.obj].append(message.msg)
    return found


def test_check_deploy_reports_each_unusual_view_and_never_crashes() -> None:
    found = audit_ids()
    assert found == EXPECTED
    assert not set(CLEAN) & set(found)


def test_each_could_not_verify_names_its_reason() -> None:
    found = reasons()
    assert found[v.ExecBuiltNoteView] == [
        (
            "tests.audit_unusual_views.ExecBuiltNoteView at exec-built/<int:pk>/: could not "
            "verify that every lookup in get() is scoped to the requester: its source cannot be "
            "read (a lambda, or code built at run time)."
        )
    ]
    assert "every lookup in get()" in found[v.LambdaNoteView][0]
    assert found[v.LoopingWrapperNoteList][0].endswith(
        "could not verify that every lookup in its methods is scoped to the requester: reading "
        f"them raised ValueError: wrapper loop when unwrapping {v.LoopingWrapperNoteList.get!r}."
    )
    assert found[v.FilterBackendsNotAListNoteDetail][0].endswith(
        "could not verify that get_queryset() is scoped to the requester: inspecting the view "
        "raised TypeError: 'type' object is not iterable."
    )
    assert found[v.ExplodingSerializerTaskList][0].endswith(
        "could not verify that get_serializer() is scoped to the requester: it raised "
        "RuntimeError: serializer registry not loaded."
    )


@pytest.mark.django_db
def test_a_get_queryset_that_queries_the_database_is_refused_and_named() -> None:
    # With a database the audit may connect to, the query itself is refused (and reported).
    with override_settings(ROOT_URLCONF="tests.audit_urls"):
        messages = views_audit.check_view_querysets()
    [message] = [m for m in messages if m.obj is audit_views.DatabaseTouchingNoteList]
    assert message.id == "apisec.W513"
    assert message.msg.endswith(
        "could not verify that get_queryset() is scoped to the requester: it queries the database."
    )


def test_the_report_locates_what_it_can_and_never_crashes() -> None:
    out = io.StringIO()
    with override_settings(ROOT_URLCONF=URLCONF), pytest.raises(SystemExit) as exited:
        call_command("apisec_audit", "--format", "json", stdout=out)
    assert exited.value.code == 1
    where = {
        (f["id"], (f["view"] or "").rsplit(".", 1)[-1]): (f["file"], f["line"])
        for f in json.loads(out.getvalue())["findings"]
    }
    # A class whose module was never imported, or a lambda: no file to point at.
    assert where["apisec.E510", "TypeBuiltNoteList"] == (None, None)
    # A module whose source is gone: its file, at the top.
    assert where["apisec.E510", "SourcelessNoteList"] == (
        "/nonexistent/tests_audit_sourceless.py",
        1,
    )
    # get_queryset is a callable object (no code of its own): the class it is set on.
    file, line = where["apisec.E510", "CallableQuerysetNoteList"]
    assert file == "tests/audit_unusual_views.py"
    assert "class CallableQuerysetNoteList" in Path(file).read_text().splitlines()[line - 1]
    # A __wrapped__ loop defeats the location, not the finding.
    assert where["apisec.E510", "LoopingWrapperNoteList"] == (None, None)


def test_the_text_report_shows_the_reason_of_a_suppressed_finding() -> None:
    out = io.StringIO()
    suppressions = [{"id": "apisec.W516", "reason": "the admin is behind the VPN"}]
    with (
        override_settings(ROOT_URLCONF=URLCONF, APISEC_AUDIT_SUPPRESSIONS=suppressions),
        pytest.raises(SystemExit),
    ):
        call_command("apisec_audit", stdout=out)
    lines = out.getvalue().splitlines()
    admin = next(i for i, line in enumerate(lines) if line.startswith("apisec.W516"))
    assert lines[admin + 2] == "    SUPPRESSED: the admin is behind the VPN"


def test_an_include_whose_module_is_missing_is_skipped() -> None:
    # Django's own URL check reports the include; the audit still finds the admin beside it.
    with override_settings(ROOT_URLCONF="tests.audit_broken_include_urls"):
        messages = views_audit.check_inventory()
    assert [(m.id, m.apisec_route) for m in messages] == [("apisec.W516", "admin/")]


def test_without_a_user_model_nothing_is_owned() -> None:
    with override_settings(AUTH_USER_MODEL="nowhere.User"):
        assert views_audit.ownership_map() == {}
