"""The security page in the Django admin: charts, locked accounts (with unlock), top networks.

Registered on the admin site for :class:`~django_apisec.monitoring.models.SecurityOverview`
(no table): its changelist is the page. Staff users with ``view_securityoverview`` see it; those
with ``unlock_account`` also get an unlock button per locked account, a CSRF-protected ``POST``
that calls :func:`~django_apisec.abuse.lockout.unlock` (an ``account_unlocked`` security event
and signal, ``by="admin"``). Everything shown comes from the shared store, so every worker shows
the same page; when the store fails, the page says so instead of failing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from django_apisec.abuse import lockout
from django_apisec.abuse.throttling import tightened_login_rate
from django_apisec.abuse.usernames import account_id
from django_apisec.conf import apisec_settings
from django_apisec.monitoring import charts, detector, series
from django_apisec.monitoring.models import SecurityOverview

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern

__all__ = ["SecurityOverviewAdmin"]

logger = logging.getLogger("django_apisec.monitoring")

#: Title and colour of each series' chart, in the page's order.
CHARTS = {
    series.FAILED_LOGINS: ("Failed logins per minute", "#ba2121"),
    series.LOCKOUTS: ("Account locks per minute", "#a15c00"),
    series.THROTTLED: ("Throttled requests per minute", "#205067"),
    series.TOKEN_REUSE: ("Refresh-token reuse per minute", "#6b2d8f"),
}
TOP_NETWORKS = 10
UNLOCK_PERMISSION = "apisec_monitoring.unlock_account"


class SecurityOverviewAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The security page: read-only, plus the unlock action."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Nothing to add: the page shows the store."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nothing to change (unlocking has its own permission)."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nothing to delete."""
        return False

    def get_urls(self) -> list[URLPattern]:
        """The page, and its unlock action (POST only)."""
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name=f"{name}_changelist"),
            path("unlock/", view(self.unlock_view), name=f"{name}_unlock"),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The security page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Security overview",
            "may_unlock": request.user.has_perm(UNLOCK_PERMISSION),
            "thresholds": apisec_settings.ATTACK_THRESHOLDS,
            "window": apisec_settings.ATTACK_WINDOW,
            **self._store_context(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "apisec_monitoring/security.html", context)

    def _store_context(self) -> dict[str, Any]:
        # Each part read on its own: a store failure blanks the page's figures, never a 500.
        try:
            overview = series.read(top=TOP_NETWORKS)
            locked = lockout.locked_accounts()
            window = detector.window_counts()
            reported = detector.reported()
        except Exception:  # the store failed; logged, shown as such
            logger.exception("The security page could not read the store")
            return {"store_failed": True}
        now = time.time()
        rate = tightened_login_rate()
        return {
            "store_failed": False,
            "charts": [
                {
                    "title": title,
                    "total": overview.total(kind),
                    "peak": max(overview.series[kind]),
                    "svg": charts.area_chart(
                        charts.Chart(kind, title, colour, overview.series[kind]),
                        overview.last_minute,
                    ),
                }
                for kind, (title, colour) in CHARTS.items()
            ],
            "totals": {kind: overview.total(kind) for kind in CHARTS},
            "locked": [
                {
                    "username": name,
                    "account": account_id(name),
                    "until": datetime.fromtimestamp(until, timezone.utc),
                    "remaining": max(1, int(until - now)),
                }
                for name, until in locked.items()
            ],
            "networks": overview.networks,
            "attack_window": window,
            "reported": reported,
            "tightened": None if rate is None else _rate_text(rate.limit, rate.period),
        }

    def unlock_view(self, request: HttpRequest) -> HttpResponse:
        """Unlock the posted account (CSRF-checked by the admin site), then back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_view_permission(request) and request.user.has_perm(UNLOCK_PERMISSION)):
            raise PermissionDenied
        username = request.POST.get("username", "")
        page = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        if not username.strip():
            self.message_user(request, "No account was named.", messages.ERROR)
            return HttpResponseRedirect(page)
        try:
            was_locked = lockout.unlock(username, by="admin", request=request)
        except Exception:  # the store failed: say so, never a 500
            logger.exception("The security page could not unlock an account")
            self.message_user(
                request, "The store is unreachable: nothing was unlocked.", messages.ERROR
            )
            return HttpResponseRedirect(page)
        state = "unlocked" if was_locked else "was not locked; its counters were cleared"
        self.message_user(request, f"{username}: {state}.", messages.SUCCESS)
        return HttpResponseRedirect(page)


def _rate_text(limit: int, period: int) -> str:
    unit = {1: "s", 60: "min", 3600: "hour", 86400: "day"}.get(period, f"{period}s")
    return f"{limit}/{unit}"


# Registered where the admin is installed (Django imports this module of every installed app).
if apps.is_installed("django.contrib.admin"):  # pragma: no branch - the test settings have it
    admin.site.register(SecurityOverview, SecurityOverviewAdmin)
