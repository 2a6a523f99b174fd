"""Members' contact methods, notification rules and quiet hours over HTTP.

Native, under ``/api/v1/users/{user}``: ``contact-methods`` (with ``verify`` and
``resend-verification``), ``notification-rules`` and ``quiet-hours``. Opsgenie's,
in the Go SDK's shapes (``contact/``, ``notification/``): ``/v2/users/{user}/contacts``
(with ``enable``/``disable``) and ``/v2/users/{user}/notification-rules``, whose
steps name a contact as ``{method, to}``. ``{user}`` is an account id, an email
(Opsgenie's username) or ``me``.

Who may: the user themselves, or a principal with the CONFIGURE permission
(admins, keys with configuration access). The route table admits every reader;
the handler checks, after the user is found (another organization's user is a
404, like any unknown one).

An email address is verified with a six-digit code mailed by the SMTP transport
(``services.extra["transports"].mailer``); only the code's hash is stored, it
expires after 15 minutes and five wrong tries void it. Without SMTP the method
is created unverified (``"verification": "smtp_not_configured"``). A webhook
method's signing secret is generated here and shown once, at creation.
"""

from web.api.contacts.native import blueprint
from web.api.contacts.opsgenie import opsgenie_blueprint

__all__ = ["blueprint", "opsgenie_blueprint"]
