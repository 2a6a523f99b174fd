"""Inbound webhooks of monitoring tools (integration keys).

Routes (each answers only after the alerts' events are durable):

- ``POST /v1/webhooks/alertmanager[/<key>]``: Prometheus Alertmanager webhook v4
- ``POST|PUT /v1/webhooks/grafana[/<key>]``: Grafana alerting webhook contact point
- ``POST /v2/enqueue``, ``POST /v1/webhooks/pagerduty``: PagerDuty Events API v2
- ``POST /v1/webhooks/generic[/<key>]``: any JSON, through the integration's field mapping

The key goes in the path, or ``Authorization: Bearer|GenieKey <key>`` (Basic: the password),
or ``?apiKey=``; PagerDuty's is the body's ``routing_key``.
"""

from quart import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("webhooks", __name__)

# The format modules register their routes on ``blueprint``.
from web.webhooks import alertmanager, generic, grafana, pagerduty  # noqa: E402, F401
