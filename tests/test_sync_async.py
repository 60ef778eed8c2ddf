"""The middleware base: one body of hooks, run by the sync and the async stack alike."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

import pytest
from django.http import HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from django_apisec.http.sync_async import SyncAsyncMiddleware

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http import HttpRequest, HttpResponseBase

#: The threads the hooks and the views ran in, in order.
seen: list[tuple[str, int]] = []


class GuardMiddleware(SyncAsyncMiddleware):
    """Only a request hook: ``?stop`` is answered without calling the view."""

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        seen.append(("hook", threading.get_ident()))
        return HttpResponse("stopped", status=403) if "stop" in request.GET else None


def view(request: HttpRequest) -> HttpResponse:
    seen.append(("view", threading.get_ident()))
    return HttpResponse("view")


async def async_view(request: HttpRequest) -> HttpResponse:
    seen.append(("view", threading.get_ident()))
    return HttpResponse("async view")


urlpatterns = [path("sync/", view), path("async/", async_view)]


@pytest.fixture(autouse=True)
def guarded_stack() -> Iterator[None]:
    seen.clear()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[f"{__name__}.GuardMiddleware"]):
        yield


@pytest.mark.parametrize(("url", "body"), [("/sync/", b"view"), ("/async/", b"async view")])
def test_the_sync_stack_runs_the_hooks_then_the_view(client: Client, url: str, body: bytes) -> None:
    response = client.get(url)
    assert (response.status_code, response.content) == (200, body)
    assert client.get(url, {"stop": ""}).content == b"stopped"
    assert [what for what, _ in seen] == ["hook", "view", "hook"]


@pytest.mark.parametrize(("url", "body"), [("/sync/", b"view"), ("/async/", b"async view")])
def test_the_async_stack_runs_the_hooks_then_the_view(
    async_client: AsyncClient, url: str, body: bytes
) -> None:
    response = asyncio.run(async_client.get(url))
    assert (response.status_code, response.content) == (200, body)
    assert asyncio.run(async_client.get(url, {"stop": ""})).content == b"stopped"
    assert [what for what, _ in seen] == ["hook", "view", "hook"]


def test_under_asgi_the_hooks_run_in_the_event_loop_with_an_async_view(
    async_client: AsyncClient,
) -> None:
    # No sync_to_async hop: the hook runs in the thread of the async view (the event loop's).
    asyncio.run(async_client.get("/async/"))
    (_, hook_thread), (_, view_thread) = seen
    assert hook_thread == view_thread
