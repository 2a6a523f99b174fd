"""Pure area packages do no I/O, read no clock and draw no random numbers (style.md habit 1).

The check walks the AST of every module of each pure package: imports of the I/O and
runtime libraries, and calls that read the clock or randomness, are violations.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [
    "engine/alerts",
    "engine/access",
    "engine/integrations",
    "engine/heartbeats",
    "engine/schedules",
    "engine/identity",
    "engine/teams",
    "engine/escalations",
    "engine/maintenance",
    "engine/routing",
    "engine/contacts",
    "engine/paging",
]

FORBIDDEN_MODULES = frozenset({"trio", "httpx", "asyncpg", "eventstore", "random", "secrets"})
# (module, attribute) pairs whose call or import reads a clock or randomness.
FORBIDDEN_CALLS = frozenset(
    {
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("datetime", "today"),
        ("date", "today"),
        ("time", "time"),
        ("time", "time_ns"),
        ("time", "monotonic"),
        ("time", "perf_counter"),
        ("uuid", "uuid1"),
        ("uuid", "uuid4"),
        ("os", "urandom"),
    }
)


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def violations(source: str) -> list[str]:
    """Every impure import or call in ``source``, as ``"line: what"`` strings."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            for alias in node.names:
                if root in FORBIDDEN_MODULES or (root, alias.name) in FORBIDDEN_CALLS:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name and "." in name:
                owner, attr = name.rsplit(".", 1)
                if (owner.rsplit(".", 1)[-1], attr) in FORBIDDEN_CALLS:
                    found.append(f"{node.lineno}: call {name}()")
    return found


def _modules() -> list[Path]:
    return sorted(p for package in PURE_PACKAGES for p in (ROOT / package).glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_has_no_io_clock_or_randomness(path: Path) -> None:
    """A pure area module imports no I/O library and calls no clock or random source."""
    assert violations(path.read_text()) == []


def test_pure_packages_are_found() -> None:
    """The purity walk actually sees the alert modules."""
    assert {"commands.py", "decider.py", "events.py", "queries.py", "state.py"} <= {
        p.name for p in _modules()
    }


@pytest.mark.parametrize(
    "snippet",
    [
        "import trio",
        "import trio.testing",
        "from httpx import AsyncClient",
        "import asyncpg",
        "from eventstore import MemoryEventStore",
        "import random",
        "from random import choice",
        "from datetime import datetime\ndatetime.now()",
        "import datetime\ndatetime.datetime.utcnow()",
        "import time\ntime.time()",
        "from time import time",
        "import uuid\nuuid.uuid4()",
        "from uuid import uuid1",
    ],
)
def test_checker_flags_impure_code(snippet: str) -> None:
    """The checker itself reports each kind of impurity."""
    assert violations(snippet)


def test_checker_accepts_pure_code() -> None:
    """Arithmetic on given datetimes and plain imports are fine."""
    assert violations("from datetime import datetime, timedelta\nx = now - timedelta(1)") == []
