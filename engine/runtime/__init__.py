"""The engine's runtime: actors, supervision, the cross-process directory."""

from engine.runtime.actor import ActorStatistics, OrgActor, load_state
from engine.runtime.directory import Directory, KeyEntry
from engine.runtime.supervisor import OrgSupervisor, open_org_supervisor

__all__ = [
    "ActorStatistics",
    "Directory",
    "KeyEntry",
    "OrgActor",
    "OrgSupervisor",
    "load_state",
    "open_org_supervisor",
]
