"""Pulsar benchmarks: shared helpers (throwaway databases, figures, reporting).

Every benchmark creates its own PostgreSQL database ``pulsar_bench_<hex>`` on
the admin server (``DATABASE_URL``, else ``postgresql://postgres@127.0.0.1:5432/postgres``)
and drops it afterwards. Results are ``Figure`` values, printed as a readable
table and as one JSON line each (prefixed ``BENCH ``) so runs can be compared
with ``grep '^BENCH ' | cut -c7-``.
"""

from __future__ import annotations

import json
import os
import platform
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import trio

from eventstore import open_db

__all__ = ["Figure", "admin_dsn", "fresh_database", "percentile", "report"]

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Figure:
    """One measured number, with an optional target (``>=`` or ``<``)."""

    benchmark: str
    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        ok = self.value >= self.target if self.higher_is_better else self.value < self.target
        return "ok" if ok else "MISSED"

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        return (">= " if self.higher_is_better else "< ") + _number(self.target)

    def as_json(self) -> str:
        return json.dumps(
            {
                "benchmark": self.benchmark,
                "figure": self.name,
                "value": round(self.value, 4),
                "unit": self.unit,
                "target": self.target_text or None,
                "verdict": self.verdict or None,
                "note": self.note or None,
                "host": platform.node(),
                "cpus": os.cpu_count(),
            }
        )


def admin_dsn() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_DSN


def _database_dsn(name: str) -> str:
    return urlunsplit(urlsplit(admin_dsn())._replace(path="/" + name))


async def _admin_execute(sql: str) -> None:
    async with open_db() as db:
        conn = await db.run(asyncpg.connect, admin_dsn())
        try:
            await db.run(conn.execute, sql)
        finally:
            await db.run(conn.close)


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Yield the DSN of a new empty database (migrated on first store open); drop it after."""
    name = "pulsar_bench_" + uuid.uuid4().hex[:16]
    await _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield _database_dsn(name)
    finally:
        with trio.CancelScope(shield=True):
            await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 if empty)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def report(title: str, figures: Sequence[Figure]) -> None:
    """Print ``figures`` as a table, then one ``BENCH {json}`` line per figure."""
    rows = [(f.name, _number(f.value), f.unit, f.target_text, f.verdict, f.note) for f in figures]
    header = ("figure", "value", "unit", "target", "", "note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n== {title} ==")
    for row in [header, *rows]:
        cells = [
            str(c).rjust(w) if i == 1 else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    for figure in figures:
        print("BENCH " + figure.as_json())
