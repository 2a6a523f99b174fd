"""A subset of Opsgenie's alert search syntax, as pure functions over engine alerts.

Grammar (``AND`` binds tighter than ``OR``; adjacent terms are ANDed)::

    query   := and ("OR" and)*
    and     := unary ("AND"? unary)*
    unary   := "NOT" unary | "-" term | "(" query ")" | term
    term    := FIELD (":" | "=" | "!=") VALUE | WORD

Fields: ``status`` (open|closed), ``acknowledged``/``snoozed``/``isSeen`` (true|false),
``priority``, ``tag``/``tags``, ``alias``, ``message``, ``description``, ``source``,
``owner``, ``entity``, ``id``, ``tinyId``, ``teams``/``responders`` (responder ids) and
``details.<key>``. Values may be quoted (``message: "disk full"``) and may use ``*``
wildcards. ``message``/``description`` match substrings; the other text fields match
whole values, case-insensitively. A bare word matches a substring of the message,
alias, description, entity, source or a tag.

``search_alerts`` filters, sorts and slices one page (offset pagination, as Opsgenie).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any, Final

from engine import Alert

__all__ = ["SORTS", "QueryError", "compile_query", "search_alerts"]

Predicate = Callable[[Alert], bool]
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class QueryError(ValueError):
    """The search query cannot be parsed (reported as 422)."""


_TOKEN: Final = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>"(?:[^"\\]|\\.)*")|(?P<op>!=|:|=)'
    r'|(?P<w>(?:[^\s()"=:!]|!(?!=))+))'
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryError(f"cannot parse the query at {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "q":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def _text_fields(alert: Alert) -> Iterable[str]:
    yield from (alert.message, alert.alias, alert.description, alert.entity, alert.source)
    yield from alert.tags


def _matches(value: str, pattern: str, *, substring: bool) -> bool:
    value, pattern = value.casefold(), pattern.casefold()
    if "*" in pattern or "?" in pattern:
        return fnmatchcase(value, pattern)
    return pattern in value if substring else value == pattern


def _boolean(field: str, value: str) -> bool:
    if value.casefold() not in ("true", "false"):
        raise QueryError(f"{field} must be true or false")
    return value.casefold() == "true"


def _field_term(field: str, value: str) -> Predicate:
    name = field.casefold()
    if name == "status":
        if value.casefold() not in ("open", "closed"):
            raise QueryError("status must be open or closed")
        return lambda a: a.status == value.casefold()
    if name in ("acknowledged", "snoozed", "isseen", "seen"):
        wanted = _boolean(field, value)
        if name in ("isseen", "seen"):
            return lambda a: wanted is False
        return lambda a: bool(getattr(a, name)) == wanted
    if name in ("tag", "tags"):
        return lambda a: any(_matches(t, value, substring=False) for t in a.tags)
    if name in ("teams", "responders"):
        return lambda a: any(_matches(r.id, value, substring=False) for r in a.responders)
    if name.startswith("details."):
        key = field[len("details.") :]
        return lambda a: key in a.details and _matches(a.details[key], value, substring=False)
    getter = _GETTERS.get(name)
    if getter is None:
        raise QueryError(f"unknown search field {field!r}")
    substring = name in ("message", "description")
    return lambda a: _matches(getter(a), value, substring=substring)


_GETTERS: Final[dict[str, Callable[[Alert], str]]] = {
    "priority": lambda a: a.priority,
    "alias": lambda a: a.alias,
    "message": lambda a: a.message,
    "description": lambda a: a.description,
    "source": lambda a: a.source,
    "owner": lambda a: a.owner,
    "entity": lambda a: a.entity,
    "id": lambda a: a.id,
    "tinyid": lambda a: str(a.tiny_id),
}


def _free_text(word: str) -> Predicate:
    needle = word.strip("*")
    return lambda a: any(_matches(t, needle, substring=True) for t in _text_fields(a))


class _Parser:
    """Recursive descent over the token list; builds predicates as it goes."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def query(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("w", "OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda a: any(p(a) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek()[0] in ("w", "q", "lp") and self.peek() != ("w", "OR"):
            if self.peek() == ("w", "AND"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda a: all(p(a) for p in parts)

    def unary(self) -> Predicate:
        kind, value = self.peek()
        if (kind, value) == ("w", "NOT"):
            self.take()
            inner = self.unary()
            return lambda a: not inner(a)
        if kind == "lp":
            self.take()
            inner = self.query()
            if self.take()[0] != "rp":
                raise QueryError("unbalanced parenthesis")
            return inner
        if kind == "w" and value.startswith("-") and len(value) > 1:
            self.tokens[self.pos] = ("w", value[1:])
            term = self.term()
            return lambda a: not term(a)
        return self.term()

    def term(self) -> Predicate:
        kind, value = self.take()
        if kind not in ("w", "q"):
            raise QueryError(f"unexpected {value or 'end of query'!r}")
        if kind == "w" and self.peek()[0] == "op":
            op = self.take()[1]
            value_kind, operand = self.take()
            if value_kind not in ("w", "q") or not operand:
                raise QueryError(f"{value} needs a value")
            matcher = _field_term(value, operand)
            return (lambda a: not matcher(a)) if op == "!=" else matcher
        return _free_text(value)


def compile_query(text: str | None) -> Predicate:
    """
    Compile an Opsgenie search query into a predicate over alerts.

    Args:
        text: the query (``None`` or blank matches every alert).

    Returns:
        A function telling whether an alert matches.

    Raises:
        QueryError: the query does not parse, names an unknown field or a bad value.
    """
    if text is None or not text.strip():
        return lambda a: True
    parser = _Parser(_tokenize(text))
    predicate = parser.query()
    if parser.peek()[0] != "end":
        raise QueryError(f"unexpected {parser.peek()[1]!r}")
    return predicate


SORTS: Final[dict[str, Callable[[Alert], Any]]] = {
    "createdAt": lambda a: a.created_at,
    "updatedAt": lambda a: a.updated_at,
    "tinyId": lambda a: a.tiny_id,
    "alias": lambda a: a.alias,
    "message": lambda a: a.message,
    "status": lambda a: a.status,
    "acknowledged": lambda a: a.acknowledged,
    "isSeen": lambda a: False,
    "snoozed": lambda a: a.snoozed,
    "snoozedUntil": lambda a: a.snoozed_until or _EPOCH,
    "count": lambda a: a.count,
    "lastOccurredAt": lambda a: a.last_occurred_at,
    "lastOccuredAt": lambda a: a.last_occurred_at,
    "source": lambda a: a.source,
    "owner": lambda a: a.owner,
    "priority": lambda a: a.priority,
    "integration.name": lambda a: a.integration.name if a.integration else "",
    "integration.type": lambda a: a.integration.type if a.integration else "",
    "report.ackTime": lambda a: a.report.ack_time or 0,
    "report.closeTime": lambda a: a.report.close_time or 0,
    "report.acknowledgedBy": lambda a: a.report.acknowledged_by or "",
    "report.closedBy": lambda a: a.report.closed_by or "",
}


def search_alerts(
    alerts: Iterable[Alert],
    predicate: Predicate,
    *,
    sort: str = "createdAt",
    order: str = "desc",
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[Alert]]:
    """
    Filter, sort (then by id) and slice alerts.

    Args:
        alerts: the alerts to search (read only).
        predicate: from :func:`compile_query`.
        sort: a key of ``SORTS``.
        order: ``asc`` or ``desc``.
        offset: how many matching alerts to skip.
        limit: the page size.

    Returns:
        The number of matching alerts and the page.
    """
    value_of = SORTS[sort]
    matching = [a for a in alerts if predicate(a)]
    matching.sort(key=lambda a: (value_of(a), a.id), reverse=order == "desc")
    return len(matching), matching[offset : offset + limit]
