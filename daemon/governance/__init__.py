"""Governance: nothing changes a memory table except an approved proposal."""

from .models import Proposal
from .service import AUTO_APPROVE_THRESHOLD, Draft, Governance

__all__ = ["AUTO_APPROVE_THRESHOLD", "Draft", "Governance", "Proposal"]
