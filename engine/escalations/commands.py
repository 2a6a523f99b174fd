"""Escalation policy commands, and the resolution of the recipients they name.

Ids of new policies come in the commands, so ``decide`` stays deterministic.
Recipients and owner teams arrive as references — users by account id or email
(Opsgenie's username), schedules and teams by id or name — and must exist in the
organization: that is a cross-area rule, so ``resolve_references`` takes the
lookups as arguments (the org decider passes the access, schedules and teams
states') and rewrites every reference to an id before ``decide`` sees it.

``RemoveRecipient`` is the org decider's system command when a member leaves,
a team is deleted or a schedule is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, final

import msgspec

from engine.errors import Rejected
from engine.escalations.state import EscalationRule, Recipient, Repeat

__all__ = [
    "ESCALATION_COMMAND_TYPES",
    "CreateEscalationPolicy",
    "DeleteEscalationPolicy",
    "EscalationCommand",
    "Lookup",
    "RemoveRecipient",
    "UpdateEscalationPolicy",
    "resolve_references",
]


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the policy commands: they name their policy."""

    policy_id: str


@final
class CreateEscalationPolicy(_Command, frozen=True, kw_only=True):
    """Add a policy; its name is unique in the organization, ignoring case."""

    name: str
    description: str = ""
    owner_team: str | None = None
    rules: tuple[EscalationRule, ...]
    repeat: Repeat = Repeat()


@final
class UpdateEscalationPolicy(_Command, frozen=True, kw_only=True):
    """Make a new version of a policy; ``None`` leaves a field as it is.

    ``rules`` replaces the whole rule list; ``owner_team`` ``""`` removes the owner team.
    """

    name: str | None = None
    description: str | None = None
    owner_team: str | None = None
    rules: tuple[EscalationRule, ...] | None = None
    repeat: Repeat | None = None


@final
class DeleteEscalationPolicy(_Command, frozen=True, kw_only=True):
    """Remove a policy (its versions stay in the history)."""


@final
class RemoveRecipient(
    msgspec.Struct, frozen=True, kw_only=True, tag="RemoveEscalationRecipient", tag_field="type"
):
    """System command: a member left (``user``), a team or a schedule was deleted.

    Every policy drops the rules that page them (a new version each), and a deleted
    team's policies lose their owner team. Its tag differs from the schedules area's
    ``RemoveRecipient`` so the organization's command union stays decodable.
    """

    recipient_type: str
    id: str


EscalationCommand = (
    CreateEscalationPolicy | UpdateEscalationPolicy | DeleteEscalationPolicy | RemoveRecipient
)

ESCALATION_COMMAND_TYPES: Final = (
    CreateEscalationPolicy,
    UpdateEscalationPolicy,
    DeleteEscalationPolicy,
    RemoveRecipient,
)


Lookup = Callable[[str], str | None]
"""A reference (id, email or name) to the id it names in the organization, or ``None``."""


def resolve_references(
    command: EscalationCommand, user: Lookup, schedule: Lookup, team: Lookup
) -> EscalationCommand:
    """``command`` with every recipient and owner team it names replaced by its id.

    Args:
        command: any escalation command (those naming nobody are returned as they are).
        user: a user reference (account id or email) to the member's account id.
        schedule: a schedule reference (id or name) to the schedule's id.
        team: a team reference (id or name) to the team's id.

    Raises:
        Rejected: ``invalid_field`` naming the field of an unknown recipient
            (``rules[i].recipient``, ``i`` counting from 0 in the order given) or
            owner team (``ownerTeam``). Blank references and unknown recipient
            types are left for ``decide`` to refuse.
    """
    if not isinstance(command, CreateEscalationPolicy | UpdateEscalationPolicy):
        return command
    lookups = {"user": (user, "User"), "schedule": (schedule, "Schedule"), "team": (team, "Team")}
    rules = command.rules
    if rules is not None:
        rules = tuple(
            _resolve_rule(rule, f"rules[{index}].recipient", lookups)
            for index, rule in enumerate(rules)
        )
    owner = command.owner_team
    if owner is not None and owner.strip():
        owner = _known(team, owner, "ownerTeam", "Team")
    return msgspec.structs.replace(command, rules=rules, owner_team=owner)


def _resolve_rule(
    rule: EscalationRule, field: str, lookups: dict[str, tuple[Lookup, str]]
) -> EscalationRule:
    recipient = rule.recipient
    if recipient.type not in lookups or not recipient.id.strip():
        return rule
    lookup, what = lookups[recipient.type]
    resolved = Recipient(type=recipient.type, id=_known(lookup, recipient.id, field, what))
    return msgspec.structs.replace(rule, recipient=resolved)


def _known(lookup: Lookup, ref: str, field: str, what: str) -> str:
    """The id ``ref`` names, or a 422 naming ``field``."""
    found = lookup(ref.strip())
    if found is None:
        raise Rejected("invalid_field", f"{what} {ref.strip()!r} does not exist", field=field)
    return found
