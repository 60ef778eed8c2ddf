"""Hostile URLs and wrongly typed JSON bodies for the testproject's API: shared by the in-process
tests (tests/test_request_limits.py) and the same attacks on the real server
(tests/integration/test_hardening_server.py)."""

from __future__ import annotations

from typing import Any

from django_apisec.http.parsers import MAX_INTEGER, MIN_INTEGER

HOSTILE_URLS = [
    "/api/notes/99999999999999999999999999999/",
    "/api/notes/9223372036854775808/",
    "/api/notes/-9223372036854775809/",
    "/api/notes/%00/",
    "/api/notes/1%00/",
    "/api/notes/0x10/",
    "/api/notes/1e3/",
    "/api/notes/?page=999999999999999999999999",
    "/api/notes/?page=-1",
    "/api/notes/?page=1e9",
    "/api/notes/?page=" + "9" * 5000,
    "/api/notes/?page=%00",
    "/api/notes/?page_size=99999999999999999999999",
    "/api/notes/?page_size=-5",
    "/api/notes/?search=%00",
    "/api/notes/?search=" + "a" * 5000,
    "/api/notes/?ordering=%00",
    "/api/notes/?ordering=owner__password",
    "/api/notes/?ordering=-id,,,--title",
    "/api/tasks/?page=0",
]

WRONG_TYPES: list[tuple[str, Any]] = [
    ("/api/notes/", []),
    ("/api/notes/", "a string"),
    ("/api/notes/", 42),
    ("/api/notes/", None),
    ("/api/notes/", {"title": ["list"]}),
    ("/api/notes/", {"title": {"nested": 1}}),
    ("/api/notes/", {"title": "x" * 100_000}),
    ("/api/notes/", {"title": "t", "owner": 1}),
    ("/api/projects/", {"name": True}),
    ("/api/tasks/", {"project": "abc", "title": "t"}),
    ("/api/tasks/", {"project": [1], "title": "t"}),
    ("/api/tasks/", {"project": {"id": 1}, "title": "t"}),
    ("/api/tasks/", {"project": 1.5, "title": "t"}),
    ("/api/tasks/", {"project": MAX_INTEGER, "title": "t"}),
    ("/api/tasks/", {"project": MIN_INTEGER, "title": "t"}),
    ("/api/tasks/", {"project": True, "title": "t"}),
    ("/api/tasks/", {"project": 1e300, "title": "t"}),
    ("/api/tasks/", {"project": None, "title": "t", "done": "maybe"}),
]
