"""Delivery channels: email (SMTP), Slack, Microsoft Teams and signed webhooks.

The I/O shell the outbox (``engine.paging``) hands each notification to:
``Transports.send(target, message) -> Result``. Rendering is pure
(``render``); each channel module adds only its protocol; ``retry`` holds
the back-off every outgoing HTTP call shares; ``destinations`` and ``guard``
keep member-configured URLs off non-global addresses (SSRF).
"""

from engine.delivery.destinations import ALLOW_SETTING, OutboundPolicy, parse_networks
from engine.delivery.email import TLS_MODES, EmailTransport, tls_mode
from engine.delivery.guard import DestinationRefused, GuardedBackend, GuardedTransport
from engine.delivery.message import CHANNELS, DeliveryError, Message, Result, Target, Transport
from engine.delivery.render import (
    NO_SUMMARY,
    SLACK_ACK,
    SLACK_CLOSE,
    action_token,
    email_html,
    email_subject,
    email_text,
    slack_message,
    slack_update,
    summary,
    teams_card,
    webhook_payload,
)
from engine.delivery.retry import RetryPolicy
from engine.delivery.slack import SlackTransport
from engine.delivery.teams import TeamsTransport
from engine.delivery.transports import DeliveryConfig, Transports
from engine.delivery.webhook import WebhookTransport, webhook_signature

__all__ = [
    "ALLOW_SETTING",
    "CHANNELS",
    "NO_SUMMARY",
    "SLACK_ACK",
    "SLACK_CLOSE",
    "TLS_MODES",
    "DeliveryConfig",
    "DeliveryError",
    "DestinationRefused",
    "EmailTransport",
    "GuardedBackend",
    "GuardedTransport",
    "Message",
    "OutboundPolicy",
    "Result",
    "RetryPolicy",
    "SlackTransport",
    "Target",
    "TeamsTransport",
    "Transport",
    "Transports",
    "WebhookTransport",
    "action_token",
    "email_html",
    "email_subject",
    "email_text",
    "parse_networks",
    "slack_message",
    "slack_update",
    "summary",
    "teams_card",
    "tls_mode",
    "webhook_payload",
    "webhook_signature",
]
