"""Validation of contact commands' values: addresses, names, rules, quiet hours.

Each check returns the normalised value or raises ``Rejected("invalid_field")``
naming the field as the APIs spell it (``address``, ``timeZone``,
``sendAfterMinutes``...), so a 422 says which input is wrong.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from engine.alerts import PRIORITIES
from engine.contacts.model import CONTACT_METHODS, QuietHours
from engine.errors import Rejected
from engine.schedules import Restriction, TimeWindow

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_METHODS",
    "MAX_RULES",
    "MAX_SEND_AFTER",
    "MAX_STEPS",
    "RESEND_INTERVAL",
    "UNSUPPORTED_METHODS",
    "VERIFICATION_TTL",
    "check_address",
    "check_id",
    "check_method",
    "check_method_name",
    "check_priorities",
    "check_quiet_hours",
    "check_restriction",
    "check_rule_name",
    "check_timezone",
    "invalid",
]

MAX_METHODS: Final = 20
MAX_RULES: Final = 10
MAX_STEPS: Final = 10
MAX_SEND_AFTER: Final = 1440
MAX_ATTEMPTS: Final = 5
VERIFICATION_TTL: Final = timedelta(minutes=15)
RESEND_INTERVAL: Final = timedelta(seconds=60)
UNSUPPORTED_METHODS: Final = ("sms", "voice", "mobile")

_MAX_ID = 100
_MAX_NAME = 100
_MAX_RULE_NAME = 512
_MAX_ADDRESS = 2000
_MAX_WINDOWS = 50
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SLACK_ID = re.compile(r"[CDGU][A-Z0-9]{2,}")
_METHODS = ", ".join(CONTACT_METHODS)
_SCHEMES: Final = {"slack": ("https",), "teams": ("https",), "webhook": ("http", "https")}


def invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def check_id(value: str, field: str) -> str:
    """A non-empty id of at most 100 characters."""
    if not value.strip() or len(value) > _MAX_ID:
        raise invalid(field, f"{field} must be 1-{_MAX_ID} characters")
    return value


def check_method(method: str) -> str:
    """One of ``CONTACT_METHODS``; Opsgenie's sms, voice and mobile are named as such."""
    if method in CONTACT_METHODS:
        return method
    if method in UNSUPPORTED_METHODS:
        raise invalid("method", f"Pulsar has no {method} contact methods: use " + _METHODS)
    raise invalid("method", "method must be one of " + _METHODS)


def _url(address: str, schemes: tuple[str, ...], what: str) -> str:
    try:
        parts = urlsplit(address)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1/"
        raise invalid("address", f"address must be {what}") from None
    if parts.scheme.lower() not in schemes or not host or re.search(r"\s", address):
        raise invalid("address", f"address must be {what}")
    return address


def check_address(method: str, address: str) -> str:
    """``address`` checked and normalised for ``method`` (emails are lowercased).

    email: an email address; slack: an ``https://`` incoming-webhook URL or a
    channel or user id (``C…``, ``D…``, ``G…``, ``U…``, sent with the bot token);
    teams: an ``https://`` workflow webhook URL; webhook: an ``http(s)://`` URL.
    """
    value = address.strip()
    if not value or len(value) > _MAX_ADDRESS:
        raise invalid("address", f"address must be 1-{_MAX_ADDRESS} characters")
    if method == "email":
        value = value.lower()
        if len(value) > 254 or not _EMAIL.fullmatch(value):
            raise invalid("address", f"{address!r} is not an email address")
        return value
    if method == "slack" and _SLACK_ID.fullmatch(value):
        return value
    what = {
        "slack": "a Slack incoming-webhook URL (https://...) or a channel or user id (C0123ABC)",
        "teams": "a Microsoft Teams workflow webhook URL (https://...)",
        "webhook": "an http:// or https:// URL",
    }[method]
    return _url(value, _SCHEMES[method], what)


def check_method_name(name: str, method: str, address: str) -> str:
    """``name`` stripped (at most 100 characters); empty: derived from the address."""
    stripped = name.strip()
    if len(stripped) > _MAX_NAME:
        raise invalid("name", f"name must be at most {_MAX_NAME} characters")
    if stripped:
        return stripped
    host = urlsplit(address).hostname if "://" in address else None  # checked by now
    return f"{method.title()} ({host or address})"[:_MAX_NAME]


def check_rule_name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > _MAX_RULE_NAME:
        raise invalid("name", f"name must be 1-{_MAX_RULE_NAME} characters")
    return stripped


def check_priorities(priorities: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct priorities, sorted; each one of P1..P5."""
    for priority in priorities:
        if priority not in PRIORITIES:
            raise invalid("criteria", f"unknown priority {priority!r}: use P1..P5")
    return tuple(sorted(set(priorities)))


def check_timezone(timezone: str, field: str = "timeZone") -> str:
    """An IANA time zone name known to the system's database."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"unknown IANA time zone {timezone!r}") from None
    return timezone


def _check_window(window: TimeWindow, weekly: bool) -> None:
    for minute in (window.start_minute, window.end_minute):
        if not 0 <= minute < 1440:
            raise invalid("timeRestriction", "hours must be 0-23 and minutes 0-59")
    days = (window.start_day, window.end_day)
    if weekly and any(day is None or not 1 <= day <= 7 for day in days):
        raise invalid("timeRestriction", "startDay and endDay must be weekdays")
    if not weekly and days != (None, None):
        raise invalid("timeRestriction", "a time-of-day restriction has no days")


def check_restriction(restriction: Restriction) -> Restriction:
    """A time restriction as the schedules area accepts one (Opsgenie's two types)."""
    weekly = restriction.type == "weekday-and-time-of-day"
    if not weekly and restriction.type != "time-of-day":
        raise invalid("timeRestriction", "type must be time-of-day or weekday-and-time-of-day")
    count = len(restriction.windows)
    if count == 0 or count > _MAX_WINDOWS or (not weekly and count != 1):
        need = "one restriction" if not weekly else f"1-{_MAX_WINDOWS} restrictions"
        raise invalid("timeRestriction", f"a {restriction.type} restriction needs {need}")
    for window in restriction.windows:
        _check_window(window, weekly)
    return restriction


def check_quiet_hours(quiet: QuietHours) -> QuietHours:
    """Quiet hours with checked fields, days and exempt priorities sorted and distinct."""
    check_timezone(quiet.timezone)
    for field, minute in (("start", quiet.start_minute), ("end", quiet.end_minute)):
        if not 0 <= minute < 1440:
            raise invalid(field, f"{field} must be a time of day, HH:MM")
    days = tuple(sorted(set(quiet.days)))
    if not days or any(not 1 <= day <= 7 for day in days):
        raise invalid("days", "days must be one or more weekdays")
    for priority in quiet.except_priorities:
        if priority not in PRIORITIES:
            raise invalid("exceptPriorities", f"unknown priority {priority!r}: use P1..P5")
    exempt = tuple(sorted(set(quiet.except_priorities)))
    return msgspec.structs.replace(quiet, days=days, except_priorities=exempt)
