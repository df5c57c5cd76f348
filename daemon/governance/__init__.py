"""Governance: nothing changes a memory table except an approved proposal."""

from .models import KINDS, ROW_KINDS, SCHEMA_KINDS, STATUSES, Proposal, SchemaVersion
from .policy import LoadedPolicy, PolicyError, load_policy, policy_path
from .service import AUTO_APPROVE_THRESHOLD, SYSTEM_ACTOR, Draft, Governance

__all__ = [
    "AUTO_APPROVE_THRESHOLD",
    "KINDS",
    "ROW_KINDS",
    "SCHEMA_KINDS",
    "STATUSES",
    "SYSTEM_ACTOR",
    "Draft",
    "Governance",
    "LoadedPolicy",
    "PolicyError",
    "Proposal",
    "SchemaVersion",
    "load_policy",
    "policy_path",
]
