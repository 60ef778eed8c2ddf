"""The views audit (``apisec.E5xx`` / ``apisec.W5xx``): walks the URLconf and inspects DRF views.

Every URL pattern of ``get_resolver()`` is visited, through includes, routers and format-suffix
patterns. A DRF view is a callback with a ``cls`` attribute subclassing ``APIView`` (``as_view()``
of views, viewsets and ``@api_view`` functions all set it); anything else is skipped. Each problem
is reported once per view class, at the first route where it shows, with ``obj`` the view class.

The audit never executes a request: it instantiates permission classes against a fake anonymous
request, and otherwise reads class attributes (``serializer_class``, ``Meta``, declared fields).
Whatever user code raises while being inspected counts as "not found", never as a crash.

Modules: :mod:`.routes` (the walk), :mod:`.ownership_map` (which models are user-owned),
:mod:`.access` (E501, E502), :mod:`.serializers` (E503, W504, E508, E509), :mod:`.lookups` (E505,
E506, E507), :mod:`.scoping` (E510, E512, W513: querysets built for two users),
:mod:`.direct_lookups` (E511: lookups in method bodies), :mod:`.inventory` (W515, W516),
:mod:`.suppressions` (E514 and ``APISEC_AUDIT_SUPPRESSIONS``), :mod:`.report` (``manage.py
apisec_audit``).
"""

from __future__ import annotations

from django_apisec.checks.views_audit.access import (
    check_anonymous_access,
    check_object_scoping,
    owner_fields,
    scopes_objects,
)
from django_apisec.checks.views_audit.direct_lookups import check_direct_lookups
from django_apisec.checks.views_audit.inventory import check_inventory
from django_apisec.checks.views_audit.lookups import LOOKUP_SECRET_WORDS, check_filter_fields
from django_apisec.checks.views_audit.ownership_map import owner_path, ownership_map, user_model
from django_apisec.checks.views_audit.routes import drf_routes
from django_apisec.checks.views_audit.scoping import check_view_querysets
from django_apisec.checks.views_audit.serializers import (
    check_serialized_secrets,
    check_serializer_field_lists,
    check_writable_owner,
    looks_secret,
)
from django_apisec.checks.views_audit.suppressions import check_suppression_reasons

__all__ = [
    "LOOKUP_SECRET_WORDS",
    "check_anonymous_access",
    "check_direct_lookups",
    "check_filter_fields",
    "check_inventory",
    "check_object_scoping",
    "check_serialized_secrets",
    "check_serializer_field_lists",
    "check_suppression_reasons",
    "check_view_querysets",
    "check_writable_owner",
    "drf_routes",
    "looks_secret",
    "owner_fields",
    "owner_path",
    "ownership_map",
    "scopes_objects",
    "user_model",
]
