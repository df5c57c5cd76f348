"""One delivery per alert, however many daemons share the database.

Every clarityd on one PostgreSQL hears every event (the relay) and checks the same pending
proposals, so each would send the same alert. Before sending, a daemon claims (rule, event)
with an insert that only one of them can make; the others skip it. On SQLite (one daemon) it
also keeps a proposal's "waiting" alert from being sent again after a restart.
"""

from __future__ import annotations

import peewee

from ..storage import compiled
from ..storage.models import utcnow


class AlertClaim(peewee.Model):
    key = peewee.TextField(primary_key=True)  # "<rule>|<event id>" or "<rule>|<type>|<subject>"
    claimed_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_alert_claims"


def claim(key: str) -> bool:
    """Inside a write: True for the one caller that claims ``key`` first."""
    return bool(compiled.insert(AlertClaim, {"key": key}, ignore_conflict=True))
