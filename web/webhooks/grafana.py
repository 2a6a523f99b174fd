"""Grafana alerting webhook contact point (payload version 1) → alerts.

The same per-alert mapping as Alertmanager's (alias = fingerprint, firing creates,
resolved closes, labels → tags and details, priority from the priority label); the
message falls back to the payload's ``title``. Grafana may send ``PUT`` as well.

    POST|PUT /v1/webhooks/grafana/<key>           (or Authorization: Bearer <key>)
"""

from __future__ import annotations

from quart import Response

from web.webhooks import blueprint
from web.webhooks.alertmanager import receive

__all__ = ["grafana"]


@blueprint.route("/v1/webhooks/grafana", methods=["POST", "PUT"])
@blueprint.route("/v1/webhooks/grafana/<key>", methods=["POST", "PUT"])
async def grafana(key: str | None = None) -> Response:
    """Grafana webhook: one alert per Grafana alert (202, per-item results)."""
    return await receive("grafana", "Grafana", key)
