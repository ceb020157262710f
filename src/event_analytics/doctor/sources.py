"""Where things are defined: the file and line a finding points at.

Functions and classes know their source (`inspect`). Objects built by a call (a sensor, a
`Definitions`) do not: they are found as the module-level name bound to them, in the user's
own modules (anything outside the interpreter's library and site-packages).
"""

from __future__ import annotations

import ast
import inspect
import sys
import sysconfig
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

Where = tuple[str, int | None]

# Python's library, installed packages, and doctor itself (which loads the user's code, so it
# is on every traceback of a load failure).
_LIBRARY_ROOTS = (
    *{
        str(Path(p).resolve())
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    },
    str(Path(__file__).resolve().parent),
)


def display_path(path: str | Path) -> str:
    """A path as people want to read it: relative to the working directory when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


def is_user_code(filename: str) -> bool:
    """Whether a source file is the user's, not Python's, an installed library's or doctor's."""
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    return not any(resolved.startswith(root + "/") for root in _LIBRARY_ROOTS)


def source_of(obj: Any) -> Where | None:
    """The file and first line (its first decorator, if any) of a function or class."""
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        filename = inspect.getsourcefile(target)
        _, line = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None
    if filename is None:
        return None
    return display_path(filename), max(line, 1)


def user_modules() -> list[ModuleType]:
    """Every imported module whose source is the user's."""
    modules = []
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and is_user_code(file):
            modules.append(module)
    return modules


def defined_at(obj: Any, modules: Iterable[ModuleType] | None = None) -> Where | None:
    """Where a module-level name bound to `obj` is defined (`name = ...` or `def name`)."""
    for module in user_modules() if modules is None else modules:
        for name, value in list(vars(module).items()):
            if value is obj and isinstance(module.__file__, str):
                line = _binding_line(module.__file__, name)
                if line is not None:
                    return display_path(module.__file__), line
    return None


def _binding_line(filename: str, name: str) -> int | None:
    return _bindings(filename).get(name)


@lru_cache(maxsize=256)
def _bindings(filename: str) -> dict[str, int]:
    """Module-level names of a file and the line that binds each (first decorator of a def)."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            lines.setdefault(node.name, first)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    lines.setdefault(target.id, node.lineno)
    return lines
