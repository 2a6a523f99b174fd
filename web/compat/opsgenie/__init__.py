"""The Opsgenie-compatible REST API (``/v2``), see ../shared/compat-api.md section 4."""

from quart import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("opsgenie", __name__)
