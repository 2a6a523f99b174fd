"""Live updates over WebSocket (``/api/v1/ws``): snapshot at a version, then ordered deltas.

``protocol`` holds every frame as a msgspec Struct, ``topics`` what each topic
sends for a committed batch (pure), ``hub`` the commit listener and its
ticker, ``client`` a connection's bounded queues and coalescing, ``subscribe``
the snapshots and resumes, and ``connection`` the route with its receiver,
sender and re-check tasks.
"""

from web.ws.connection import blueprint
from web.ws.hub import Hub, HubStatistics

__all__ = ["Hub", "HubStatistics", "blueprint"]
