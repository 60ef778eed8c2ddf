"""Sphinx configuration for the django_apisec documentation."""

import os
import sys
from pathlib import Path

import django

# autodoc imports django_apisec with the test suite's settings (the testproject's app, hardened).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

project = "django_apisec"
author = "django_apisec developers"
copyright = "2026, django_apisec developers"  # noqa: A001
extensions = ["sphinx.ext.autodoc"]
html_theme = "furo"
html_title = "django_apisec"
exclude_patterns = ["_build"]

autodoc_member_order = "bysource"
# The source is strictly typed; the reference documents behaviour, and type hints here would
# name private and third-party classes that cannot be linked.
autodoc_typehints = "none"

# Every cross-reference must resolve. This machine cannot fetch intersphinx inventories, so
# references to Python's, Django's and the other libraries' objects are accepted unresolved;
# a reference to django_apisec's own objects never is.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(django|rest_framework|rest_framework_simplejwt|corsheaders|jwt|asgiref)(\..*)?"),
    (r"py:.*", r"(typing|collections|collections\.abc|datetime|uuid|ipaddress|logging)\..*"),
    (r"py:.*", r"contextvars\..*|re\..*|types\..*|functools\..*|dataclasses\..*"),
    (r"py:.*", r"(Any|Callable|Iterable|Iterator|Mapping|Sequence|TypeVar|Self|Request)"),
    (r"py:mod", r"ipaddress|logging|json|re"),
    (r"py:class", r"(str|int|float|bool|bytes|object|type|dict|list|tuple|set|frozenset|None)"),
    (r"py:.*", r"(Exception|ValueError|TypeError|KeyError|AttributeError|NotImplementedError)"),
]


def skip_class_members(app, what, name, obj, skip, options):  # noqa: ANN001, ANN201, ARG001
    """The reference lists public names and their docstrings; a class's own pages explain it."""
    return True if what == "class" else None


def setup(app):  # noqa: ANN001, ANN201
    """Keep class members out of the API reference."""
    app.connect("autodoc-skip-member", skip_class_members)
