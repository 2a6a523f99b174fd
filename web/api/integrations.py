"""/api/v1/integrations: integrations and their ingestion keys."""

from quart import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("integrations", __name__)
