"""Import rules that keep the dependency direction web -> engine -> eventstore.

* ``web`` imports from ``engine`` and ``eventstore`` only names in their ``__all__``,
  and only from the package roots (never a submodule);
* ``engine`` imports from ``eventstore`` only its root and never imports ``web``;
* ``eventstore`` never imports ``engine`` or ``web``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> list[tuple[Path, str, list[str]]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((path, alias.name, []) for alias in node.names)
    return found


@pytest.mark.parametrize("target", ["engine", "eventstore"])
def test_web_uses_only_public_names(target: str) -> None:
    """web imports engine/eventstore names from the package root and in __all__ only."""
    public = set(importlib.import_module(target).__all__)
    problems = []
    for path, module, names in _imports("web"):
        if module == target:
            problems += [f"{path.name}: {n}" for n in names if n not in public]
        elif module.startswith(target + "."):
            problems.append(f"{path.name}: imports submodule {module}")
    assert problems == []


def test_engine_never_imports_web_or_eventstore_internals() -> None:
    """engine depends on eventstore's public root only, and never on web."""
    problems = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module, _ in _imports("engine")
        if module.split(".")[0] == "web" or module.startswith("eventstore.")
    ]
    assert problems == []


def test_eventstore_never_imports_engine_or_web() -> None:
    """The event log knows envelopes, never domain types."""
    problems = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module, _ in _imports("eventstore")
        if module.split(".")[0] in {"engine", "web"}
    ]
    assert problems == []
