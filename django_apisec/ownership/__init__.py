"""Object ownership: the owned-queryset mixin, ownership permissions, strict serializers.

Import the public names from here (``from django_apisec.ownership import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.ownership.mixins import (
        OwnedQuerysetMixin,
        OwnerBypass,
        StaffMayRead,
        get_owned_object_or_404,
        is_owned_by,
        owned_by,
    )
    from django_apisec.ownership.permissions import (
        IsOwner,
        IsOwnerOrReadOnly,
        OwnershipPermission,
        ReadOnly,
        public,
    )
    from django_apisec.ownership.serializers import StrictFieldsMixin

__all__ = [
    "IsOwner",
    "IsOwnerOrReadOnly",
    "OwnedQuerysetMixin",
    "OwnerBypass",
    "OwnershipPermission",
    "ReadOnly",
    "StaffMayRead",
    "StrictFieldsMixin",
    "get_owned_object_or_404",
    "is_owned_by",
    "owned_by",
    "public",
]

_EXPORTS = {
    # mixins
    "OwnedQuerysetMixin": "django_apisec.ownership.mixins",
    "OwnerBypass": "django_apisec.ownership.mixins",
    "StaffMayRead": "django_apisec.ownership.mixins",
    "is_owned_by": "django_apisec.ownership.mixins",
    "owned_by": "django_apisec.ownership.mixins",
    "get_owned_object_or_404": "django_apisec.ownership.mixins",
    # permissions
    "IsOwner": "django_apisec.ownership.permissions",
    "IsOwnerOrReadOnly": "django_apisec.ownership.permissions",
    "OwnershipPermission": "django_apisec.ownership.permissions",
    "ReadOnly": "django_apisec.ownership.permissions",
    "public": "django_apisec.ownership.permissions",
    # serializers
    "StrictFieldsMixin": "django_apisec.ownership.serializers",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
