"""The proposals table."""

from __future__ import annotations

import peewee

from ..storage.models import json_field, utcnow

KINDS = ("insert", "update", "delete", "create_table", "alter_table")
STATUSES = ("pending", "approved", "applied", "rejected", "failed", "superseded")


class Proposal(peewee.Model):
    id = peewee.BigAutoField()
    kind = peewee.TextField()  # one of KINDS
    table = peewee.TextField(index=True)  # catalog name (documents), not the db table
    row_id = peewee.BigIntegerField(null=True)  # target row of update/delete; the new row after insert
    payload = json_field()  # fields for rows; the schema change for tables
    confidence = peewee.DoubleField(default=0.0)
    reasoning = peewee.TextField(default="")
    source = peewee.TextField(null=True)  # file path, agent id, "operator"
    created_by = peewee.TextField()  # actor: user(uid) or "clarityd"
    status = peewee.TextField(default="pending", index=True)
    policy_rule = peewee.TextField(null=True)  # the rule that decided (or kept it pending)
    flags = json_field(null=True)  # e.g. ["secret:private_key"]
    decided_by = peewee.TextField(null=True)
    decided_at = peewee.DateTimeField(null=True)
    note = peewee.TextField(null=True)  # approval note or rejection reason
    error = peewee.TextField(null=True)  # why applying failed
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_proposals"
