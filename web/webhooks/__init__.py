"""Inbound webhooks of monitoring tools (integration keys)."""

from quart import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("webhooks", __name__)
