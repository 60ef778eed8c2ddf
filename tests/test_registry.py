"""The check registry: one declaration per id, and messages filled per occurrence."""

from __future__ import annotations

import pytest

from django_apisec.checks import registry


def test_an_id_cannot_be_declared_twice() -> None:
    with pytest.raises(RuntimeError, match="declared twice"):
        registry.error("apisec.E001", "again", "hint")


def test_emit_fills_message_and_hint_and_keeps_the_template() -> None:
    template = registry.MESSAGES["apisec.E002"]
    message = registry.emit(template, obj="x", reason="it is short", shadowing="")
    assert "it is short" in message.msg
    assert message.obj == "x"
    assert message.id == template.id
    assert message.level == template.level
    assert "{reason}" in template.msg


def test_emit_without_details_copies_the_template() -> None:
    template = registry.MESSAGES["apisec.E001"]
    message = registry.emit(template, obj="settings")
    assert (message.msg, message.hint, message.obj) == (template.msg, template.hint, "settings")


def test_emit_with_details_and_no_hint() -> None:
    template = registry.MESSAGES["apisec.E002"]
    hintless = type(template)(template.msg, hint=None, id="apisec.E999")
    message = registry.emit(hintless, reason="r", shadowing="")
    assert message.hint is None
