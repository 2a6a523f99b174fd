"""The identity area: accounts, refresh-token families, reuse detection and pruning."""

from __future__ import annotations

import heapq
import uuid
from datetime import datetime, timedelta

import msgspec
import pytest
from hypothesis import given, settings

from engine import identity
from engine.errors import Conflict, NotFound, Rejected
from engine.identity import (
    IDENTITY_COMMAND_TYPES,
    IDENTITY_EVENT_TYPES,
    IDENTITY_STREAM,
    PRUNE_AFTER,
    Account,
    AccountRegistered,
    IdentityCommand,
    IdentityEvent,
    IdentityState,
    PasswordSet,
    ProfileUpdated,
    RegisterAccount,
    RevokeAccountSessions,
    RevokeSessionFamily,
    RotateSession,
    SessionFamilyRevoked,
    SessionRotated,
    SessionStarted,
    SetPassword,
    StartSession,
    UpdateProfile,
    account_by_email,
    family_of_token,
    normalize_email,
)
from tests.helpers.decider import NOW, Decider
from tests.strategies import BASE_TIME, identity_steps

IDENTITY = Decider(identity.initial_state, identity.decide, identity.evolve)

HASH1 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$one"
HASH2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$two"
EXP = NOW + timedelta(days=30)
US = timedelta(microseconds=1)

ANN = AccountRegistered(
    account_id="u1", email="ann@example.com", name="Ann", password_hash=HASH1, at=NOW
)
BO = AccountRegistered(
    account_id="u2", email="bo@example.org", name="Bo", password_hash=None, at=NOW
)


def started(
    family_id: str = "f1",
    token_hash: str = "t1",
    *,
    account_id: str = "u1",
    org_id: str = "o1",
    expires_at: datetime = EXP,
    at: datetime = NOW,
) -> SessionStarted:
    return SessionStarted(
        family_id=family_id,
        account_id=account_id,
        token_hash=token_hash,
        org_id=org_id,
        expires_at=expires_at,
        at=at,
    )


def rotated(
    token_hash: str,
    *,
    family_id: str = "f1",
    org_id: str = "o1",
    expires_at: datetime = EXP,
    at: datetime = NOW,
) -> SessionRotated:
    return SessionRotated(
        family_id=family_id, token_hash=token_hash, org_id=org_id, expires_at=expires_at, at=at
    )


def rotate(token_hash: str, new: str, *, expires_at: datetime = EXP) -> RotateSession:
    return RotateSession(token_hash=token_hash, new_token_hash=new, expires_at=expires_at)


# --- accounts ------------------------------------------------------------------------


def test_identity_has_its_own_stream() -> None:
    """Accounts are global: the area lives in one fixed stream no organization can have."""
    assert str(uuid.UUID(IDENTITY_STREAM)) == IDENTITY_STREAM
    assert uuid.UUID(IDENTITY_STREAM).version != 7


def test_register_account_normalizes_email_and_name() -> None:
    """The email is stripped and lower-cased, the name stripped; profile defaults apply."""
    state = (
        IDENTITY.given()
        .when(
            RegisterAccount(
                account_id="u1", email="  Ann@Example.COM ", name=" Ann ", password_hash=HASH1
            )
        )
        .then([ANN])
    )
    expected = Account(
        id="u1",
        email="ann@example.com",
        name="Ann",
        password_hash=HASH1,
        timezone="UTC",
        locale="en",
        created_at=NOW,
    )
    assert expected == state.accounts["u1"]
    assert state.by_email == {"ann@example.com": "u1"}


def test_register_account_without_password() -> None:
    """An admin-created account has no password hash until one is set."""
    state = (
        IDENTITY.given()
        .when(RegisterAccount(account_id="u2", email="bo@example.org", name="Bo"))
        .then([BO])
    )
    assert state.accounts["u2"].password_hash is None


LONGEST_EMAIL = "l" * 64 + "@" + "d" * 185 + ".com"


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "ann",
        "ann@example",
        "@example.com",
        "ann@",
        "ann@@example.com",
        "ann@bo@example.com",
        "ann@.example.com",
        "ann@example.com.",
        "ann@example..com",
        "ann smith@example.com",
        "ann@exa\tmple.com",
        "ann\x00@example.com",
        "l" * 65 + "@example.com",
        "x" + LONGEST_EMAIL,
    ],
)
def test_implausible_emails_are_invalid(email: str) -> None:
    """An address needs one @, a local part of 1-64 and a dotted domain, 254 at most."""
    IDENTITY.given().when(RegisterAccount(account_id="u1", email=email, name="Ann")).then_rejected(
        "invalid_field", field="email"
    )


def test_longest_plausible_email_is_accepted() -> None:
    """254 characters with a 64-character local part is still an address."""
    assert len(LONGEST_EMAIL) == 254
    state = IDENTITY.fold([])
    events = identity.decide(
        state, RegisterAccount(account_id="u1", email=LONGEST_EMAIL, name="Ann"), NOW
    )
    assert [e.email for e in events if isinstance(e, AccountRegistered)] == [LONGEST_EMAIL]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_account_name_must_be_1_to_100_characters(name: str) -> None:
    """Blank and over-long names are invalid."""
    IDENTITY.given().when(
        RegisterAccount(account_id="u1", email="ann@example.com", name=name)
    ).then_rejected("invalid_field", field="name")


@pytest.mark.parametrize("password_hash", ["hunter2", "", "$argon2id$" + "x" * 1020])
def test_password_hash_must_be_an_argon2_hash(password_hash: str) -> None:
    """Anything but an argon2 hash (say, a plaintext password) never reaches the log."""
    IDENTITY.given().when(
        RegisterAccount(
            account_id="u1", email="ann@example.com", name="Ann", password_hash=password_hash
        )
    ).then_rejected("invalid_field", field="password_hash")
    IDENTITY.given([ANN]).when(
        SetPassword(account_id="u1", password_hash=password_hash)
    ).then_rejected("invalid_field", field="password_hash")


def test_account_id_is_unique() -> None:
    """Registering an existing account id is rejected."""
    IDENTITY.given([ANN]).when(
        RegisterAccount(account_id="u1", email="other@example.com", name="Other")
    ).then_rejected("account_exists", field="account_id")


def test_email_is_unique_whatever_its_case() -> None:
    """A second account with the same normalized email is a Conflict, not a rejection."""
    with pytest.raises(Conflict) as caught:
        IDENTITY.given([ANN]).when(
            RegisterAccount(account_id="u9", email=" ANN@example.com", name="Imposter")
        )
    assert (caught.value.code, caught.value.field) == ("email_taken", "email")
    assert not isinstance(caught.value, Rejected)


def test_account_by_email_compares_normalized() -> None:
    """The lookup normalizes its argument; an unknown email finds nothing."""
    state = IDENTITY.fold([ANN])
    assert state.accounts["u1"] is account_by_email(state, "  ANN@example.com")
    assert account_by_email(state, "bo@example.org") is None
    assert normalize_email(" Ann@Example.com\n") == "ann@example.com"


def test_set_password_replaces_the_hash() -> None:
    """A new hash is recorded; the same hash again is a no-op."""
    state = (
        IDENTITY.given([ANN, BO])
        .when(SetPassword(account_id="u2", password_hash=HASH2))
        .then([PasswordSet(account_id="u2", password_hash=HASH2, at=NOW)])
    )
    assert state.accounts["u2"].password_hash == HASH2
    IDENTITY.given([ANN]).when(SetPassword(account_id="u1", password_hash=HASH1)).then([])


def test_commands_on_unknown_accounts_are_not_found() -> None:
    """Password, profile, login and revoke-all need an existing account."""
    for command in (
        SetPassword(account_id="nope", password_hash=HASH1),
        UpdateProfile(account_id="nope", name="X"),
        StartSession(
            family_id="f1", account_id="nope", token_hash="t1", org_id="o1", expires_at=EXP
        ),
        RevokeAccountSessions(account_id="nope", reason="logout"),
    ):
        error = IDENTITY.given([ANN]).when(command).then_rejected("account_not_found")
        assert isinstance(error, NotFound)


def test_update_profile_changes_the_given_fields() -> None:
    """Given fields change, absent ones keep their value; the event has the whole profile."""
    state = (
        IDENTITY.given([ANN])
        .when(UpdateProfile(account_id="u1", timezone="Europe/Paris", locale="fr-FR"))
        .then(
            [
                ProfileUpdated(
                    account_id="u1",
                    name="Ann",
                    timezone="Europe/Paris",
                    locale="fr-FR",
                    at=NOW,
                )
            ]
        )
    )
    assert (
        state.accounts["u1"].name,
        state.accounts["u1"].timezone,
        state.accounts["u1"].locale,
    ) == ("Ann", "Europe/Paris", "fr-FR")
    IDENTITY.given([ANN]).when(UpdateProfile(account_id="u1", name=" Ann B ")).then(
        [ProfileUpdated(account_id="u1", name="Ann B", timezone="UTC", locale="en", at=NOW)]
    )


def test_update_profile_without_change_is_a_noop() -> None:
    """Nothing given, or the same values, emits nothing."""
    IDENTITY.given([ANN]).when(UpdateProfile(account_id="u1")).then([])
    IDENTITY.given([ANN]).when(
        UpdateProfile(account_id="u1", name="Ann", timezone="UTC", locale="en")
    ).then([])


@pytest.mark.parametrize("timezone", ["", "Mars/Base", "utc", "../etc/passwd"])
def test_timezone_must_be_an_iana_zone(timezone: str) -> None:
    """Time zones are checked the way schedules check theirs."""
    IDENTITY.given([ANN]).when(UpdateProfile(account_id="u1", timezone=timezone)).then_rejected(
        "invalid_field", field="timezone"
    )


@pytest.mark.parametrize(
    "locale", ["", "e", "english", "en_US", "en-", "en-US-", "de" + "-a1b2c3d4" * 3 + "-a1b2cd"]
)
def test_locale_must_look_like_a_language_tag(locale: str) -> None:
    """A locale is a 2-3 letter language with optional subtags, 35 characters at most."""
    IDENTITY.given([ANN]).when(UpdateProfile(account_id="u1", locale=locale)).then_rejected(
        "invalid_field", field="locale"
    )


@pytest.mark.parametrize(
    "locale", ["fr", "en-US", "zh-Hant-TW", "es-419", "de" + "-a1b2c3d4" * 3 + "-a1b2c"]
)
def test_language_tags_are_accepted(locale: str) -> None:
    """Common language tags, up to the 35-character limit, are valid locales."""
    state = IDENTITY.fold([ANN])
    events = identity.decide(state, UpdateProfile(account_id="u1", locale=locale), NOW)
    assert [locale] == [e.locale for e in events if isinstance(e, ProfileUpdated)]


# --- sessions --------------------------------------------------------------------------


def test_start_session_opens_a_family() -> None:
    """A login records the family with its first token hash, indexed for lookups."""
    state = (
        IDENTITY.given([ANN])
        .when(
            StartSession(
                family_id="f1", account_id="u1", token_hash="t1", org_id="o1", expires_at=EXP
            )
        )
        .then([started()])
    )
    family = state.families["f1"]
    assert (
        family.account_id,
        family.org_id,
        family.current_hash,
        family.started_at,
        family.expires_at,
    ) == ("u1", "o1", "t1", NOW, EXP)
    assert family is family_of_token(state, "t1")
    assert family_of_token(state, "unknown") is None
    assert state.families_of_account == {"u1": ["f1"]}
    assert state.expiries == [(EXP, "f1")]


def test_start_session_needs_new_ids_and_hashes() -> None:
    """A family id or token hash already in use, or an empty hash, is refused."""
    history = [ANN, started()]
    IDENTITY.given(history).when(
        StartSession(family_id="f1", account_id="u1", token_hash="t9", org_id="o1", expires_at=EXP)
    ).then_rejected("session_exists", field="family_id")
    IDENTITY.given(history).when(
        StartSession(family_id="f2", account_id="u1", token_hash="t1", org_id="o1", expires_at=EXP)
    ).then_rejected("token_hash_taken", field="token_hash")
    IDENTITY.given(history).when(
        StartSession(family_id="f2", account_id="u1", token_hash="", org_id="o1", expires_at=EXP)
    ).then_rejected("invalid_field", field="token_hash")


def test_session_expiry_must_be_an_aware_future_instant() -> None:
    """expires_at equal to now (or naive) is invalid; one microsecond later is fine."""
    for expires_at in (NOW, NOW - US, (NOW + US).replace(tzinfo=None)):
        IDENTITY.given([ANN]).when(
            StartSession(
                family_id="f1", account_id="u1", token_hash="t1", org_id="o1", expires_at=expires_at
            )
        ).then_rejected("invalid_field", field="expires_at")
        IDENTITY.given([ANN, started()]).when(
            rotate("t1", "t2", expires_at=expires_at)
        ).then_rejected("invalid_field", field="expires_at")
    IDENTITY.given([ANN]).when(
        StartSession(
            family_id="f1", account_id="u1", token_hash="t1", org_id="o1", expires_at=NOW + US
        )
    ).then([started(expires_at=NOW + US)])


def test_rotate_session_replaces_the_current_token() -> None:
    """A refresh with the current token issues the next one and keeps the family's org."""
    later = NOW + timedelta(minutes=15)
    state = (
        IDENTITY.given([ANN, started()])
        .when(rotate("t1", "t2", expires_at=EXP + timedelta(days=1)), now=later)
        .then([rotated("t2", expires_at=EXP + timedelta(days=1), at=later)])
    )
    family = state.families["f1"]
    assert ("t2", "o1", EXP + timedelta(days=1)) == (
        family.current_hash,
        family.org_id,
        family.expires_at,
    )
    assert state.family_by_token == {"t1": "f1", "t2": "f1"}
    assert list(family.issued) == ["t1", "t2"]


def test_rotate_session_can_switch_organization() -> None:
    """A refresh naming an org moves the family to it."""
    state = (
        IDENTITY.given([ANN, started()])
        .when(RotateSession(token_hash="t1", new_token_hash="t2", org_id="o2", expires_at=EXP))
        .then([rotated("t2", org_id="o2")])
    )
    assert state.families["f1"].org_id == "o2"


def test_presenting_a_rotated_away_token_is_reuse() -> None:
    """The previous token of a live family is reported as reused, distinct from invalid."""
    history = [ANN, started(), rotated("t2")]
    error = IDENTITY.given(history).when(rotate("t1", "t3")).then_rejected("refresh_token_reused")
    assert isinstance(error, Rejected)
    assert error.code == "refresh_token_reused"


def test_reuse_then_revocation_kills_the_family() -> None:
    """Theft detection: after reuse the web layer revokes the family; its tokens are dead."""
    history = [ANN, started(), rotated("t2")]
    state = IDENTITY.fold(history)
    family = family_of_token(state, "t1")
    assert family is not None
    revoked = SessionFamilyRevoked(family_id=family.id, account_id="u1", reason="reuse", at=NOW)
    IDENTITY.given(history).when(RevokeSessionFamily(family_id=family.id, reason="reuse")).then(
        [revoked]
    )
    for token in ("t1", "t2"):
        IDENTITY.given([*history, revoked]).when(rotate(token, "t3")).then_rejected(
            "invalid_refresh_token"
        )


def test_unknown_tokens_are_invalid() -> None:
    """A token hash no family issued is an invalid refresh token."""
    IDENTITY.given([ANN, started()]).when(rotate("nope", "t2")).then_rejected(
        "invalid_refresh_token"
    )


def test_family_expires_exactly_at_expires_at() -> None:
    """A token works until one microsecond before expires_at and is invalid at it."""
    IDENTITY.given([ANN, started()]).when(
        rotate("t1", "t2", expires_at=EXP + US), now=EXP - US
    ).then([rotated("t2", expires_at=EXP + US, at=EXP - US)])
    IDENTITY.given([ANN, started()]).when(
        rotate("t1", "t2", expires_at=EXP + US), now=EXP
    ).then_rejected("invalid_refresh_token")


def test_old_token_of_a_dead_family_is_invalid_not_reused() -> None:
    """Once a family is expired or revoked, even its rotated-away tokens are just invalid."""
    history = [ANN, started(), rotated("t2")]
    IDENTITY.given(history).when(
        rotate("t1", "t3", expires_at=EXP + timedelta(days=1)), now=EXP
    ).then_rejected("invalid_refresh_token")


def test_rotation_needs_a_fresh_hash() -> None:
    """The new hash must be non-empty and never issued before, in any family."""
    history = [ANN, started(), started("f2", "t9")]
    for new, code in (
        ("t1", "token_hash_taken"),
        ("t9", "token_hash_taken"),
        ("", "invalid_field"),
    ):
        IDENTITY.given(history).when(rotate("t1", new)).then_rejected(code, field="new_token_hash")


def test_revoke_session_family() -> None:
    """A live family is revoked once; revoking it again, or an unknown one, is a no-op."""
    revoked = SessionFamilyRevoked(family_id="f1", account_id="u1", reason="logout", at=NOW)
    state = (
        IDENTITY.given([ANN, started()])
        .when(RevokeSessionFamily(family_id="f1", reason=" logout "))
        .then([revoked])
    )
    assert (state.families["f1"].revoked_at, state.families["f1"].reason) == (NOW, "logout")
    assert not state.families["f1"].is_live(NOW)
    IDENTITY.given([ANN, started(), revoked]).when(
        RevokeSessionFamily(family_id="f1", reason="logout")
    ).then([])
    IDENTITY.given([ANN]).when(RevokeSessionFamily(family_id="f1", reason="logout")).then([])


def test_revoking_an_expired_family_is_a_noop() -> None:
    """An expired family cannot be used, so revoking it changes nothing."""
    IDENTITY.given([ANN, started()]).when(
        RevokeSessionFamily(family_id="f1", reason="logout"), now=EXP
    ).then([])


@pytest.mark.parametrize("reason", ["", "   ", "r" * 65])
def test_revocation_reason_must_be_1_to_64_characters(reason: str) -> None:
    """Both revocations check their reason."""
    IDENTITY.given([ANN, started()]).when(
        RevokeSessionFamily(family_id="f1", reason=reason)
    ).then_rejected("invalid_field", field="reason")
    IDENTITY.given([ANN, started()]).when(
        RevokeAccountSessions(account_id="u1", reason=reason)
    ).then_rejected("invalid_field", field="reason")


def test_revoke_account_sessions_revokes_each_live_family() -> None:
    """One event per live family of the account, oldest first; dead and others' untouched."""
    short = NOW + timedelta(hours=1)
    history = [
        ANN,
        BO,
        started("f1", "t1"),
        started("f2", "t2", expires_at=short),
        started("f3", "t3"),
        SessionFamilyRevoked(family_id="f3", account_id="u1", reason="logout", at=NOW),
        started("f4", "t4", account_id="u2"),
        started("f5", "t5"),
    ]
    later = short
    state = (
        IDENTITY.given(history)
        .when(RevokeAccountSessions(account_id="u1", reason="password_changed"), now=later)
        .then(
            [
                SessionFamilyRevoked(
                    family_id=f, account_id="u1", reason="password_changed", at=later
                )
                for f in ("f1", "f5")
            ]
        )
    )
    assert state.families["f4"].is_live(later)
    assert state.families["f3"].reason == "logout"
    IDENTITY.given([ANN, BO]).when(RevokeAccountSessions(account_id="u2", reason="x")).then([])


# --- pruning ---------------------------------------------------------------------------


def test_families_are_pruned_a_day_after_expiry() -> None:
    """A session event at expiry + 1 day keeps the family; one microsecond later drops it."""
    history = [
        ANN,
        BO,
        started("f1", "t1"),
        rotated("t2"),
        started("f2", "t3", expires_at=EXP + PRUNE_AFTER),
    ]

    def login_at(at: datetime) -> SessionStarted:
        return started("f9", "t9", account_id="u2", expires_at=at + PRUNE_AFTER, at=at)

    kept = IDENTITY.fold([*history, login_at(EXP + PRUNE_AFTER)])
    assert {"f1", "f2", "f9"} == set(kept.families)
    after = [*history, login_at(EXP + PRUNE_AFTER + US)]
    pruned = IDENTITY.fold(after)
    assert {"f2", "f9"} == set(pruned.families)
    assert pruned.family_by_token == {"t3": "f2", "t9": "f9"}
    assert pruned.families_of_account == {"u1": ["f2"], "u2": ["f9"]}
    assert family_of_token(pruned, "t1") is None
    # the pruned family's tokens are now merely unknown
    IDENTITY.given(after).when(
        rotate("t2", "t4", expires_at=EXP + 3 * PRUNE_AFTER), now=EXP + PRUNE_AFTER + US
    ).then_rejected("invalid_refresh_token")


def test_pruning_the_last_family_forgets_the_account_index() -> None:
    """An account without kept families leaves no empty list behind; the account stays."""
    late = EXP + 2 * PRUNE_AFTER
    state = IDENTITY.fold(
        [ANN, BO, started(), started("f2", "t2", account_id="u2", expires_at=late, at=late - US)]
    )
    assert state.families_of_account == {"u2": ["f2"]}
    assert "u1" in state.accounts
    assert [(late, "f2")] == state.expiries


def test_extended_family_survives_its_old_expiry() -> None:
    """A rotation that moves the expiry leaves a stale heap entry that pruning skips."""
    extended = EXP + timedelta(days=30)
    late = EXP + 2 * PRUNE_AFTER
    history = [ANN, BO, started(), rotated("t2", expires_at=extended, at=EXP - US)]
    assert [(EXP, "f1"), (extended, "f1")] == sorted(IDENTITY.fold(history).expiries)
    state = IDENTITY.fold(
        [*history, started("f9", "t9", account_id="u2", expires_at=late + PRUNE_AFTER, at=late)]
    )
    assert {"f1", "f9"} == set(state.families)
    assert [(late + PRUNE_AFTER, "f9"), (extended, "f1")] == sorted(state.expiries)


def test_rotation_prunes_hashes_a_day_past_their_own_expiry() -> None:
    """Old hashes of a long-lived family are dropped from the front once a day past expiry."""
    day = timedelta(days=1)
    history: list[IdentityEvent] = [ANN, started(expires_at=NOW + day)]
    for i in range(2, 6):  # rotate daily, each token valid for one day
        history.append(rotated(f"t{i}", expires_at=NOW + i * day, at=NOW + (i - 1) * day))
    state = IDENTITY.fold(history)
    # at NOW + 4 days, t1 (expired NOW + 1 day) and t2 (NOW + 2 days) are past the horizon
    assert list(state.families["f1"].issued) == ["t3", "t4", "t5"]
    assert {"t3", "t4", "t5"} == set(state.family_by_token)
    now = NOW + 4 * day
    IDENTITY.given(history).when(rotate("t3", "t6", expires_at=now + day), now=now).then_rejected(
        "refresh_token_reused"
    )
    IDENTITY.given(history).when(rotate("t1", "t6", expires_at=now + day), now=now).then_rejected(
        "invalid_refresh_token"
    )


def test_memory_stays_bounded_under_daily_logins() -> None:
    """A hundred days of daily one-day logins keep only the last few families."""
    state = IDENTITY.fold([ANN])
    for day in range(100):
        now = NOW + timedelta(days=day)
        command = StartSession(
            family_id=f"f{day}",
            account_id="u1",
            token_hash=f"t{day}",
            org_id="o1",
            expires_at=now + timedelta(days=1),
        )
        for event in identity.decide(state, command, now):
            identity.evolve(state, event)
    assert len(state.families) <= 3
    assert len(state.family_by_token) <= 3
    assert len(state.expiries) <= 3


# --- evolve is total -------------------------------------------------------------------


def test_evolve_ignores_events_that_do_not_fit() -> None:
    """Events decide never emits (unknown targets, duplicates) leave the state as it was."""
    base = [ANN, started(), rotated("t2")]
    expected = msgspec.json.encode(IDENTITY.fold(base))
    strays: list[IdentityEvent] = [
        PasswordSet(account_id="ghost", password_hash=HASH2, at=NOW),
        ProfileUpdated(account_id="ghost", name="G", timezone="UTC", locale="en", at=NOW),
        AccountRegistered(
            account_id="u1", email="x@example.com", name="X", password_hash=None, at=NOW
        ),
        AccountRegistered(
            account_id="u9", email="ann@example.com", name="X", password_hash=None, at=NOW
        ),
        rotated("t9", family_id="ghost"),
        rotated("t1"),
        SessionFamilyRevoked(family_id="ghost", account_id="u1", reason="logout", at=NOW),
    ]
    for stray in strays:
        assert expected == msgspec.json.encode(IDENTITY.fold([*base, stray])), stray
    duplicate = IDENTITY.fold([*base, started("f1", "t7")])
    assert list(duplicate.families["f1"].issued) == ["t1", "t2"]
    reused_hash = IDENTITY.fold([*base, started("f2", "t1")])
    assert "f2" not in reused_hash.families


def test_evolve_keeps_the_first_revocation() -> None:
    """A second revocation event does not overwrite the first one's time and reason."""
    first = SessionFamilyRevoked(family_id="f1", account_id="u1", reason="logout", at=NOW)
    second = SessionFamilyRevoked(
        family_id="f1", account_id="u1", reason="reuse", at=NOW + timedelta(hours=1)
    )
    state = IDENTITY.fold([ANN, started(), first, second])
    assert (state.families["f1"].revoked_at, state.families["f1"].reason) == (NOW, "logout")


# --- wire format and the org aggregate ---------------------------------------------------


def test_every_type_is_tagged_with_its_class_name() -> None:
    """Commands and events encode with "type" = class name and decode through the unions."""
    for cls in (*IDENTITY_COMMAND_TYPES, *IDENTITY_EVENT_TYPES):
        assert cls.__name__ == cls.__struct_config__.tag
        assert cls.__struct_config__.tag_field == "type"
        assert cls.__struct_config__.frozen
    for event in (ANN, BO, started(), rotated("t2")):
        raw = msgspec.json.encode(event)
        assert event == msgspec.json.decode(raw, type=IdentityEvent)
    command = rotate("t1", "t2")
    assert command == msgspec.json.decode(msgspec.json.encode(command), type=IdentityCommand)


def test_org_aggregate_routes_identity_commands() -> None:
    """Through engine.org, identity commands change state.identity and name their subject."""
    from engine import CommandContext
    from engine.org import decode_state, encode_state, execute, initial_state

    ctx = CommandContext(principal_kind="system", principal_id="test")
    state = initial_state()
    register = RegisterAccount(account_id="u1", email="ann@example.com", name="Ann")
    _, outcome = execute(state, register, ctx, NOW)
    assert (outcome.result, outcome.subject_id) == ("updated", "u1")
    start = StartSession(
        family_id="f1", account_id="u1", token_hash="t1", org_id="o1", expires_at=EXP
    )
    _, outcome = execute(state, start, ctx, NOW)
    assert (outcome.result, outcome.subject_id) == ("updated", "f1")
    _, outcome = execute(state, rotate("t1", "t2"), ctx, NOW)
    assert (outcome.result, outcome.subject_id) == ("updated", "f1")
    _, outcome = execute(state, RevokeSessionFamily(family_id="zz", reason="logout"), ctx, NOW)
    assert (outcome.result, outcome.subject_id) == ("noop", "zz")
    assert state.version == 3
    assert state == decode_state(encode_state(state))
    assert state.identity.families["f1"].current_hash == "t2"


# --- replay property ---------------------------------------------------------------------


def check_indexes(state: IdentityState) -> None:
    """Every index of ``state`` agrees with its accounts and families."""
    assert {a.email: a.id for a in state.accounts.values()} == state.by_email
    assert {h: f.id for f in state.families.values() for h in f.issued} == state.family_by_token
    for family in state.families.values():
        assert family.current_hash == list(family.issued)[-1]
        assert (family.expires_at, family.id) in state.expiries
        assert family.account_id in state.accounts
    grouped: dict[str, list[str]] = {}
    for family in state.families.values():
        grouped.setdefault(family.account_id, []).append(family.id)
    assert grouped == state.families_of_account
    heap = list(state.expiries)
    heapq.heapify(heap)
    assert heap == state.expiries


def rebase(command: IdentityCommand, now: datetime) -> IdentityCommand:
    """The strategies draw ``expires_at`` as BASE_TIME + offset: move it to now + offset."""
    if isinstance(command, StartSession | RotateSession):
        return msgspec.structs.replace(command, expires_at=now + (command.expires_at - BASE_TIME))
    return command


@settings(max_examples=300, deadline=None)
@given(steps=identity_steps)
def test_replaying_decided_events_rebuilds_the_live_state(
    steps: list[tuple[timedelta, IdentityCommand]],
) -> None:
    """Folding the JSON round-tripped log from initial_state equals the live state."""
    live = identity.initial_state()
    log: list[IdentityEvent] = []
    now = BASE_TIME
    for elapsed, drawn in steps:
        now += elapsed
        command = rebase(drawn, now)
        try:
            events = identity.decide(live, command, now)
        except (Rejected, Conflict):
            events = []
        for event in events:
            identity.evolve(live, event)
        log += events
        check_indexes(live)
        if any(isinstance(e, SessionStarted | SessionRotated) for e in events):
            assert all(f.expires_at >= now - PRUNE_AFTER for f in live.families.values())

    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[IdentityEvent])
    replayed = identity.initial_state()
    for event in stored:
        replayed = identity.evolve(replayed, event)
    assert live == replayed
