"""/api/v1/heartbeats: native heartbeat API."""

from quart import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("heartbeats", __name__)
