"""Reading DRF settings and the classes they name, for the DRF and simplejwt checks.

Settings are read from ``settings.REST_FRAMEWORK`` on every call, with DRF's own defaults for
the keys a project leaves out; never through ``rest_framework.settings.api_settings``, which
caches what it has read and is copied into DRF classes at import time. An entry may be a dotted
path or the object itself. A path that does not import is reported (``apisec.E112``), never
raised: importing runs the target module, and nothing it raises may crash ``manage.py check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from rest_framework.settings import DEFAULTS

#: What :func:`class_value` returns when reading the attribute raises.
UNKNOWN = object()


def rest_framework_setting(name: str) -> Any:
    """``REST_FRAMEWORK[name]`` as DRF reads it now: the project's value, else DRF's default."""
    configured = getattr(settings, "REST_FRAMEWORK", None)
    if isinstance(configured, Mapping) and name in configured:
        return configured[name]
    return DEFAULTS.get(name)


def is_configured(name: str) -> bool:
    """Whether the project sets ``REST_FRAMEWORK[name]`` itself."""
    configured = getattr(settings, "REST_FRAMEWORK", None)
    return isinstance(configured, Mapping) and name in configured


def as_items(value: Any) -> list[Any]:
    """The entries of a list setting; a lone value counts as one entry, ``None`` as none."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load(value: Any) -> tuple[Any, str | None]:
    """``(object, None)`` for a class, a callable or an importable path; ``(None, reason)`` else."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        try:
            return import_string(value), None
        except Exception as exc:  # noqa: BLE001 - an import runs arbitrary module code
            return None, f"{type(exc).__name__}: {exc}"
    return value, None


def loaded_items(name: str) -> list[Any]:
    """The objects a list setting names; entries that do not import are left to E112."""
    loaded = (load(item) for item in as_items(rest_framework_setting(name)))
    return [obj for obj, reason in loaded if reason is None]


def dotted_name(obj: Any) -> str:
    """``module.QualName`` of a class or function; ``repr()`` of anything else."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return repr(obj)


def lineage(obj: Any) -> set[str]:
    """Dotted names of a class and all its bases; empty for anything that is not a class."""
    if not isinstance(obj, type):
        return set()
    return {dotted_name(klass) for klass in obj.__mro__}


def definition(cls: type[Any], attribute: str) -> tuple[str, Any] | None:
    """``(dotted name of the defining class, raw value)`` of ``attribute`` in ``cls``'s MRO."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return dotted_name(klass), vars(klass)[attribute]
    return None


def defined_by(cls: type[Any], attribute: str) -> str | None:
    """Dotted name of the class in ``cls``'s MRO that defines ``attribute``."""
    found = definition(cls, attribute)
    return found[0] if found else None


def class_value(cls: type[Any], attribute: str) -> Any:
    """What ``attribute`` is on an instance of ``cls``, or ``UNKNOWN`` when that raises.

    DRF's stock paginators copy ``REST_FRAMEWORK['PAGE_SIZE']`` into a class attribute when DRF
    is first imported, so for those the setting itself is read instead.
    """
    definer, raw = definition(cls, attribute) or ("", None)
    if definer.startswith("rest_framework.") and attribute in {"page_size", "default_limit"}:
        return rest_framework_setting("PAGE_SIZE")
    if not isinstance(raw, property):
        return raw
    try:
        return getattr(cls(), attribute)
    except Exception:  # noqa: BLE001 - a project's property may raise anything
        return UNKNOWN
