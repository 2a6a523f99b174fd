"""The web app's TypeScript API types are generated from the server's Structs and up to date."""

from __future__ import annotations

import re

from web.ui_types import OUTPUT, render


def test_generated_typescript_is_current() -> None:
    """``web/ui/src/lib/api/types.gen.ts`` equals a fresh render (run `python -m web.ui_types`)."""
    assert render() == OUTPUT.read_text()


def test_rendering_is_deterministic() -> None:
    assert render() == render()


def test_optional_only_where_a_field_may_be_absent() -> None:
    """Requests: defaults are optional; responses: present unless the Struct omits defaults."""
    text = render()
    assert "export interface LoginIn {\n\temail: string;\n\tpassword: string;\n" in text
    assert "\torganization_id?: string | null;\n" in text  # a request default
    assert "\tdescription?: string;\n" in text  # AlertOut omits its defaults
    assert "\tnext_cursor: string | null;\n" in text  # always present
    assert '\ttype: "AlertAcknowledged";\n' in text  # tagged union member


def test_every_declaration_has_its_own_name() -> None:
    """Two Structs of one name would merge into one TypeScript interface: rename one."""
    names = re.findall(r"^export (?:interface|type) (\w+)", render(), flags=re.MULTILINE)
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
