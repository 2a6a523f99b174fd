"""The Opsgenie-compatible REST API (``/v2``), see ../shared/compat-api.md sections 1 and 4.

Mounted at the root and under any path prefix (``/v2/alerts``, ``/opsgenie/v2/alerts``).
Every answer is a JSON object with ``requestId`` and ``took``; writes are 202 after
commit, with their outcome kept as a request status (in memory; after a restart, or in
another process, derived from the request's events in the log: ``requests``).
Same engine commands as the native API (``web.api.alerts``): one engine path, two
encodings.
"""

from quart import Blueprint

from web.compat.opsgenie import actions, reads
from web.compat.opsgenie.wire import install_error_handlers

__all__ = ["blueprint"]

blueprint = Blueprint("opsgenie", __name__)
install_error_handlers(blueprint)
actions.register(blueprint)
reads.register(blueprint)
