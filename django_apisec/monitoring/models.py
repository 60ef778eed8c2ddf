"""The security page's admin entry: a model without a table, for the admin's index and permissions.

The page shows what the shared store holds (:mod:`django_apisec.monitoring.series`, the lockout's
index), not rows. The unmanaged :class:`SecurityOverview` gives it a place in the admin's index
under "API security monitoring" and the permissions an operator is granted:

* ``apisec_monitoring.view_securityoverview``: see the page;
* ``apisec_monitoring.unlock_account``: unlock a locked account from it.
"""

from __future__ import annotations

from django.db import models


class SecurityOverview(models.Model):
    """The security page (no table: ``managed = False``, never queried)."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = (("unlock_account", "Can unlock accounts locked by the lockout"),)
        verbose_name = "security overview"
        verbose_name_plural = "security overview"

    def __str__(self) -> str:
        """The page's title."""
        return "Security overview"
