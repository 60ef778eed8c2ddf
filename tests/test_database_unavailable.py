"""A database that cannot serve is a 503 with ``Retry-After`` through DRF's exception handler,
logged once per interval, never a 500 (the integration suite does it against PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIRequestFactory

from django_apisec.http import unavailable
from django_apisec.http.exception_handler import exception_handler

pytestmark = pytest.mark.django_db


def database_error() -> OperationalError:
    """A real error of the database driver, wrapped by Django as a refused connection is."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM apisec_no_such_table")
    except OperationalError as exc:
        return exc
    raise AssertionError("the query should have failed")  # pragma: no cover


def test_a_database_error_is_a_503_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unavailable, "_logged_at", {})
    request = APIRequestFactory().get("/api/notes/")
    with caplog.at_level(logging.ERROR, logger="django_apisec.security"):
        responses = [
            exception_handler(database_error(), {"request": request, "view": None})
            for _ in range(3)
        ]
    for response in responses:
        assert response.status_code == 503
        assert response.data == {
            "detail": "Service temporarily unavailable, try again later.",
            "code": "service_unavailable",
        }
        assert response["Retry-After"] == "10"
    logged = [r for r in caplog.records if getattr(r, "event", None) == "database_unavailable"]
    assert len(logged) == 1
    assert logged[0].error == "OperationalError"  # type: ignore[attr-defined]
    assert "apisec_no_such_table" not in logged[0].getMessage()


def test_other_errors_are_not_database_outages() -> None:
    assert unavailable.is_database_unavailable(database_error())
    assert not unavailable.is_database_unavailable(ValueError("x"))
