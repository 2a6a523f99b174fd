"""Which permission every route needs: the route table of access.

``ROUTES`` names every endpoint of the app. A request to an endpoint missing
from it is refused (fail closed), and a unit test walks the app's URL map so
a new route cannot be forgotten. The permissions themselves and which roles
and key rights hold them are ``engine.access.permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, final

from engine import Permission

__all__ = ["PUBLIC", "ROUTES", "SIGNED_IN", "SIGN_IN", "WEBHOOK", "Access", "access_of"]


@final
@dataclass(frozen=True, slots=True)
class Access:
    """What a route needs: a credential, a permission, and whether integration keys count.

    ``permission`` None with ``credential`` True is any authenticated principal.
    """

    permission: Permission | None = None
    credential: bool = True
    integration_keys: bool = False
    users_only: bool = False
    ip_limited: bool = False  # counted against the caller address's budget


PUBLIC: Final = Access(credential=False)  # no credential (health, sign-in, tokenized feeds)
WEBHOOK: Final = Access(credential=False)  # the handler checks its integration key itself
SIGNED_IN: Final = Access(users_only=True)  # a signed-in user, whatever the role
# Sign-in routes (register, login, refresh, accept an invitation): no credential,
# and every attempt counts against the address's budget.
SIGN_IN: Final = Access(credential=False, ip_limited=True)

_READ = Access(Permission.READ)
_WRITE = Access(Permission.ALERT_WRITE)
_DELETE = Access(Permission.ALERT_DELETE)
_CONFIGURE = Access(Permission.CONFIGURE)
_KEYS = Access(Permission.MANAGE_KEYS)
_MEMBERS = Access(Permission.MANAGE_MEMBERS)
_AUDIT = Access(Permission.READ_AUDIT)
_OWNERS = Access(Permission.DELETE_ORGANIZATION)
# A user's own settings (contacts): the handler checks "the user, or CONFIGURE".
_SELF = Access(Permission.READ)
# The Opsgenie alert API also opens to the keys of api/opsgenie integrations.
_OG_READ = Access(Permission.READ, integration_keys=True)
_OG_WRITE = Access(Permission.ALERT_WRITE, integration_keys=True)
_OG_DELETE = Access(Permission.ALERT_DELETE, integration_keys=True)

ROUTES: dict[str, Access] = {
    "static": PUBLIC,
    # the web app's shell and build files (web/static.py)
    "ui.index": PUBLIC,
    "ui.asset": PUBLIC,
    "health.healthz": PUBLIC,
    "health.readyz": PUBLIC,
    # alerts
    "alerts.create_alert": _WRITE,
    "alerts.create_alerts": _WRITE,
    "alerts.list_alerts_route": _READ,
    "alerts.get_alert": _READ,
    "alerts.alert_history": _READ,
    "alerts.post_action": _WRITE,
    "alerts.put_action": _WRITE,
    "alerts.remove_tags": _WRITE,
    "alerts.remove_details": _WRITE,
    "alerts.delete_alert": _DELETE,
    # integrations
    "integrations.create_integration": _CONFIGURE,
    "integrations.list_integrations": _READ,
    "integrations.get_integration": _READ,
    "integrations.update_integration": _CONFIGURE,
    "integrations.disable_integration": _CONFIGURE,
    "integrations.enable_integration": _CONFIGURE,
    "integrations.delete_integration": _CONFIGURE,
    # heartbeats
    "heartbeats.create_heartbeat": _CONFIGURE,
    "heartbeats.list_heartbeats": _READ,
    "heartbeats.get_heartbeat": _READ,
    "heartbeats.update_heartbeat": _CONFIGURE,
    "heartbeats.delete_heartbeat": _CONFIGURE,
    "heartbeats.enable_heartbeat": _CONFIGURE,
    "heartbeats.disable_heartbeat": _CONFIGURE,
    "heartbeats.ping_heartbeat": _WRITE,
    # schedules
    "schedules.create_schedule": _CONFIGURE,
    "schedules.list_schedules": _READ,
    "schedules.get_schedule": _READ,
    "schedules.update_schedule": _CONFIGURE,
    "schedules.delete_schedule": _CONFIGURE,
    "schedules.create_rotation": _CONFIGURE,
    "schedules.list_rotations": _READ,
    "schedules.get_rotation": _READ,
    "schedules.update_rotation": _CONFIGURE,
    "schedules.delete_rotation": _CONFIGURE,
    "schedules.create_override": _CONFIGURE,
    "schedules.list_overrides": _READ,
    "schedules.get_override": _READ,
    "schedules.update_override": _CONFIGURE,
    "schedules.delete_override": _CONFIGURE,
    "schedules.on_calls": _READ,
    "schedules.next_on_calls": _READ,
    "schedules.schedule_timeline": _READ,
    "schedules.user_on_call": _READ,
    # teams and memberships
    "teams.create_team": _CONFIGURE,
    "teams.list_teams": _READ,
    "teams.get_team": _READ,
    "teams.update_team": _CONFIGURE,
    "teams.delete_team": _CONFIGURE,
    "teams.list_team_members": _READ,
    "teams.add_team_member": _CONFIGURE,
    "teams.change_team_member": _CONFIGURE,
    "teams.remove_team_member": _CONFIGURE,
    # teams' routing rules
    "routing.create_rule": _CONFIGURE,
    "routing.list_rules": _READ,
    "routing.get_rule": _READ,
    "routing.update_rule": _CONFIGURE,
    "routing.delete_rule": _CONFIGURE,
    "routing.change_rule_order": _CONFIGURE,
    # maintenance windows
    "maintenance.create_maintenance": _CONFIGURE,
    "maintenance.list_maintenance": _READ,
    "maintenance.get_maintenance": _READ,
    "maintenance.update_maintenance": _CONFIGURE,
    "maintenance.delete_maintenance": _CONFIGURE,
    "maintenance.cancel_maintenance": _CONFIGURE,
    # escalation policies
    "escalations.create_policy": _CONFIGURE,
    "escalations.list_policies": _READ,
    "escalations.get_policy": _READ,
    "escalations.update_policy": _CONFIGURE,
    "escalations.delete_policy": _CONFIGURE,
    # API keys (the secret is shown once, at creation)
    "api_keys.create_api_key": _KEYS,
    "api_keys.list_api_keys": _KEYS,
    "api_keys.revoke_api_key": _KEYS,
    # calendar feeds
    "feeds.create_schedule_feed": _CONFIGURE,
    "feeds.create_user_feed": _CONFIGURE,
    "feeds.list_feeds": _READ,
    "feeds.revoke_feed": _CONFIGURE,
    "ical.public_feed": PUBLIC,  # the URL's token is the credential
    # monitoring webhooks (integration keys)
    "webhooks.alertmanager": WEBHOOK,
    "webhooks.generic": WEBHOOK,
    "webhooks.grafana": WEBHOOK,
    "webhooks.enqueue": WEBHOOK,
    # Opsgenie-compatible alert API (also at any path prefix: see ``access_of``)
    "opsgenie.create_alert": _OG_WRITE,
    "opsgenie.request_status": _OG_READ,
    "opsgenie.custom_action": _OG_WRITE,
    "opsgenie.remove_tags": _OG_WRITE,
    "opsgenie.remove_details": _OG_WRITE,
    "opsgenie.post_action": _OG_WRITE,
    "opsgenie.put_action": _OG_WRITE,
    "opsgenie.delete_alert": _OG_DELETE,
    "opsgenie.list_alerts": _OG_READ,
    "opsgenie.count_alerts": _OG_READ,
    "opsgenie.not_implemented": _OG_READ,
    "opsgenie.saved_search": _OG_READ,
    "opsgenie.get_alert": _OG_READ,
    "opsgenie.list_notes": _OG_READ,
    "opsgenie.list_logs": _OG_READ,
    "opsgenie.list_recipients": _OG_READ,
    "opsgenie.attachments": _OG_READ,
    "opsgenie.attachment": _OG_READ,
    "opsgenie.unknown": _OG_READ,
    # Opsgenie-compatible heartbeats and schedules
    "opsgenie_heartbeats.og_create": _CONFIGURE,
    "opsgenie_heartbeats.og_list": _READ,
    "opsgenie_heartbeats.og_get": _READ,
    "opsgenie_heartbeats.og_update": _CONFIGURE,
    "opsgenie_heartbeats.og_delete": _CONFIGURE,
    "opsgenie_heartbeats.og_enable": _CONFIGURE,
    "opsgenie_heartbeats.og_disable": _CONFIGURE,
    "opsgenie_heartbeats.og_ping": _WRITE,
    "opsgenie_schedules.og_create": _CONFIGURE,
    "opsgenie_schedules.og_list": _READ,
    "opsgenie_schedules.og_get": _READ,
    "opsgenie_schedules.og_update": _CONFIGURE,
    "opsgenie_schedules.og_delete": _CONFIGURE,
    "opsgenie_schedules.og_create_rotation": _CONFIGURE,
    "opsgenie_schedules.og_list_rotations": _READ,
    "opsgenie_schedules.og_get_rotation": _READ,
    "opsgenie_schedules.og_update_rotation": _CONFIGURE,
    "opsgenie_schedules.og_delete_rotation": _CONFIGURE,
    "opsgenie_schedules.og_create_override": _CONFIGURE,
    "opsgenie_schedules.og_list_overrides": _READ,
    "opsgenie_schedules.og_get_override": _READ,
    "opsgenie_schedules.og_update_override": _CONFIGURE,
    "opsgenie_schedules.og_delete_override": _CONFIGURE,
    "opsgenie_schedules.og_on_calls": _READ,
    "opsgenie_schedules.og_next_on_calls": _READ,
    "opsgenie_schedules.og_timeline": _READ,
    "opsgenie_feeds.og_user_calendar": _READ,
    "opsgenie_teams.og_create": _CONFIGURE,
    "opsgenie_teams.og_list": _READ,
    "opsgenie_teams.og_get": _READ,
    "opsgenie_teams.og_update": _CONFIGURE,
    "opsgenie_teams.og_delete": _CONFIGURE,
    "opsgenie_teams.og_add_member": _CONFIGURE,
    "opsgenie_teams.og_remove_member": _CONFIGURE,
    "opsgenie_routing.og_create": _CONFIGURE,
    "opsgenie_routing.og_list": _READ,
    "opsgenie_routing.og_get": _READ,
    "opsgenie_routing.og_update": _CONFIGURE,
    "opsgenie_routing.og_delete": _CONFIGURE,
    "opsgenie_routing.og_change_order": _CONFIGURE,
    "opsgenie_maintenance.og_create": _CONFIGURE,
    "opsgenie_maintenance.og_list": _READ,
    "opsgenie_maintenance.og_get": _READ,
    "opsgenie_maintenance.og_update": _CONFIGURE,
    "opsgenie_maintenance.og_delete": _CONFIGURE,
    "opsgenie_maintenance.og_cancel": _CONFIGURE,
    "opsgenie_maintenance.og_change_end_date": _CONFIGURE,
    "opsgenie_escalations.og_create": _CONFIGURE,
    "opsgenie_escalations.og_list": _READ,
    "opsgenie_escalations.og_get": _READ,
    "opsgenie_escalations.og_update": _CONFIGURE,
    "opsgenie_escalations.og_delete": _CONFIGURE,
    "audit.list_events": _AUDIT,
    # users' contact methods, notification rules and quiet hours: any reader passes the
    # gate; the handler admits the user themselves or a principal with CONFIGURE
    "contacts.list_methods": _SELF,
    "contacts.create_method": _SELF,
    "contacts.get_method": _SELF,
    "contacts.update_method": _SELF,
    "contacts.delete_method": _SELF,
    "contacts.verify_method": _SELF,
    "contacts.resend_verification": _SELF,
    "contacts.list_rules": _SELF,
    "contacts.create_rule": _SELF,
    "contacts.get_rule": _SELF,
    "contacts.update_rule": _SELF,
    "contacts.delete_rule": _SELF,
    "contacts.get_quiet_hours": _SELF,
    "contacts.set_quiet_hours": _SELF,
    "opsgenie_contacts.og_create_contact": _SELF,
    "opsgenie_contacts.og_list_contacts": _SELF,
    "opsgenie_contacts.og_get_contact": _SELF,
    "opsgenie_contacts.og_update_contact": _SELF,
    "opsgenie_contacts.og_delete_contact": _SELF,
    "opsgenie_contacts.og_enable_contact": _SELF,
    "opsgenie_contacts.og_disable_contact": _SELF,
    "opsgenie_contacts.og_create_rule": _SELF,
    "opsgenie_contacts.og_list_rules": _SELF,
    "opsgenie_contacts.og_get_rule": _SELF,
    "opsgenie_contacts.og_update_rule": _SELF,
    "opsgenie_contacts.og_delete_rule": _SELF,
    # users, invitations and the organization (the admin's side)
    "users.list_users_route": _READ,
    "users.get_user": _READ,
    "notifications.user_notifications": _READ,
    "alerts.alert_notifications": _READ,
    "users.create_user": _MEMBERS,
    "users.update_user": _MEMBERS,
    "users.delete_user": _MEMBERS,
    "users.create_invitation": _MEMBERS,
    "users.list_invitations": _MEMBERS,
    "users.revoke_invitation": _MEMBERS,
    "organization.get_organization": _READ,
    "organization.delete_organization": _OWNERS,
    "opsgenie_users.og_create": _MEMBERS,
    "opsgenie_users.og_list": _READ,
    "opsgenie_users.og_get": _READ,
    "opsgenie_users.og_update": _MEMBERS,
    "opsgenie_users.og_delete": _MEMBERS,
    # accounts and sessions
    "auth.register": SIGN_IN,
    "auth.login": SIGN_IN,
    "auth.refresh": SIGN_IN,
    "auth.logout": PUBLIC,
    "auth.me": SIGNED_IN,
    "auth.update_me": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.switch_organization": SIGNED_IN,
    "auth.show_invitation": SIGN_IN,
    "auth.accept_invitation": SIGN_IN,
    # live updates: the first frame is the credential (web.ws checks it, and the
    # READ permission, itself; before_request hooks do not run for WebSockets)
    "ws.stream": Access(credential=False),
    # signed one-click acknowledge/close links (web.api.actions): the token is the
    # credential; every request counts against the caller address's budget
    "actions.show_action": Access(credential=False, ip_limited=True),
    "actions.perform_action": Access(credential=False, ip_limited=True),
    # Slack button clicks: the handler verifies Slack's request signature itself
    "slack.interactions": WEBHOOK,
    # test mode only (PULSAR_TEST_MODE)
    "testing.advance": Access(),
    "testing.echo": _WRITE,  # the baseline of POST /api/v1/alerts: the same auth
    "testing.now": PUBLIC,
    "test_clock.test_clock_now": PUBLIC,
    "test_clock.test_clock_change": Access(),
}

_PREFIX_SUFFIXES = ("_prefixed_slash", "_prefixed")


def access_of(endpoint: str) -> Access | None:
    """The access rule of ``endpoint`` (prefix variants share their route's rule)."""
    rule = ROUTES.get(endpoint)
    if rule is not None:
        return rule
    for suffix in _PREFIX_SUFFIXES:
        if endpoint.endswith(suffix):
            return ROUTES.get(endpoint.removesuffix(suffix))
    return None


# Unused names are kept out of the table on purpose: an admin-only route uses
# _MEMBERS/_KEYS/_AUDIT/_OWNERS as the identity routes are added.
_ = (_KEYS, _MEMBERS, _AUDIT, _OWNERS)
