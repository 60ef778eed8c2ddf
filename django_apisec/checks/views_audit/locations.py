"""Where the project's code is: which classes are its own, their source and ``file:line``.

Each source file is parsed once (``ast``) and kept, so finding the ``def`` of a method or the
``class`` of a view costs a dictionary lookup after the first one in a module. Code installed in
``site-packages`` (DRF, Django, third-party apps), the standard library and django_apisec itself
is "library" code: the audit trusts or judges it by what it is, never by reading it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
from typing import Any

LIBRARY_PACKAGES = ("django_apisec", "django", "rest_framework")
INSTALLED_DIRS = ("site-packages", "dist-packages")


@functools.lru_cache(maxsize=4096)
def _module_is_library(module_name: str) -> bool:
    top = module_name.partition(".")[0]
    if top in LIBRARY_PACKAGES or top in sys.stdlib_module_names:
        return True
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None) or ""
    return any(part in filename for part in INSTALLED_DIRS)


def defined_in_project(obj: Any) -> bool:
    """Whether ``obj`` (a class or function) is the project's own code, not a library's."""
    module = getattr(obj, "__module__", None)
    return isinstance(module, str) and not _module_is_library(module)


@functools.lru_cache(maxsize=1024)
def source_tree(filename: str) -> ast.Module | None:
    """The parsed source of ``filename``; ``None`` when it cannot be read or parsed."""
    try:
        with open(filename, encoding="utf-8") as source:  # noqa: PTH123 - plain and fast
            return ast.parse(source.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=1024)
def _functions_by_line(filename: str) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = source_tree(filename)
    found: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(node.lineno, node)
            for decorator in node.decorator_list:
                found.setdefault(decorator.lineno, node)
    return found


@functools.lru_cache(maxsize=1024)
def _classes_by_name(filename: str) -> dict[str, ast.ClassDef]:
    tree = source_tree(filename)
    found: dict[str, ast.ClassDef] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                found.setdefault(prefix + child.name, child)
                visit(child, f"{prefix}{child.name}.")

    if tree is not None:
        visit(tree, "")
    return found


def function_node(func: Any) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The file and ``def`` node of a plain Python function, or ``None`` (builtins, lambdas)."""
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return None
    node = _functions_by_line(code.co_filename).get(code.co_firstlineno)
    if node is None or node.name != code.co_name:
        return None
    return code.co_filename, node


def location_of(obj: Any, member: str | None) -> tuple[str, int] | None:
    """``(file, line)`` of ``obj.member`` when the project defines it there, else of ``obj``."""
    if member is not None:
        func = inspect.getattr_static(obj, member, None)
        func = getattr(func, "__func__", func)
        found = function_node(func) if defined_in_project(func) else None
        if found is not None:
            return found[0], found[1].lineno
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    filename = getattr(module, "__file__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(filename, str) or not filename or not isinstance(qualname, str):
        return None
    node = _classes_by_name(filename).get(qualname)
    return (filename, node.lineno) if node is not None else (filename, 1)
