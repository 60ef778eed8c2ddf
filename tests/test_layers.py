"""The package's layers: no module imports from a capability above its own.

Each capability builds on the ones below it (docs/api.rst); an import running back up (even
inside a function or under ``TYPE_CHECKING``) would tie a lower capability to a higher one and,
sooner or later, make a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "django_apisec"

#: From the bottom up; the names of one row may import each other.
LAYERS = (
    ("dotted_paths", "lazy_exports", "rates", "conf", "signals", "models", "migrations"),
    ("store",),
    ("request",),
    ("observability",),
    ("http",),
    ("abuse",),
    ("ownership",),
    ("apikeys",),
    ("mfa",),
    ("jwt",),
    ("monitoring",),
    ("hardening", "checks", "urls", "admin", "apps", "management", "testing", "__init__"),
)
RANK = {name: rank for rank, row in enumerate(LAYERS) for name in row}


def top_level(name: str) -> str:
    """``abuse`` for ``abuse/lockout.py``, ``conf`` for ``conf.py``."""
    return name.removesuffix(".py")


def imported_parts(node: ast.AST) -> list[str]:
    """The top-level parts of ``django_apisec`` that ``node`` imports (none for other imports)."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "django_apisec":
            return [alias.name for alias in node.names]
        if node.module.startswith("django_apisec."):
            return [node.module.split(".")[1]]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("django_apisec.")]
    return []


def imports_by_module() -> list[tuple[str, str, int]]:
    """``(module path, imported part, line)`` for every import of the package inside it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text())):
            found += [(str(relative), part, node.lineno) for part in imported_parts(node)]  # type: ignore[attr-defined]
    return found


def upward_imports() -> list[str]:
    """``module:line imports django_apisec.part`` for every import from a higher layer."""
    return [
        f"{module}:{line} imports django_apisec.{part}"
        for module, part, line in imports_by_module()
        if RANK.get(part, len(LAYERS)) > RANK[top_level(Path(module).parts[0])]
    ]


def test_every_top_level_name_has_a_layer() -> None:
    names = {top_level(path.name) for path in PACKAGE.iterdir() if path.suffix == ".py" or (
        path.is_dir() and (path / "__init__.py").exists())}  # fmt: skip
    assert names == set(RANK)
    assert {part for _, part, _ in imports_by_module()} <= set(RANK)


def test_the_checker_sees_every_form_of_import() -> None:
    forms = [
        "from django_apisec.jwt import x",
        "from django_apisec import jwt",
        "import django_apisec.jwt.views",
    ]
    assert [imported_parts(ast.parse(form).body[0]) for form in forms] == [["jwt"]] * 3
    assert imported_parts(ast.parse("from . import jwt").body[0]) == []
    parts = {(module, part) for module, part, _ in imports_by_module()}
    assert ("checks/settings.py", "conf") in parts
    assert ("abuse/lockout.py", "signals") in parts  # from django_apisec import signals


def test_no_import_runs_up() -> None:
    assert upward_imports() == []
