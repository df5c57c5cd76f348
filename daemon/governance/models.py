"""The governance tables: proposals, the versions of every table's schema, and the audit trail."""

from __future__ import annotations

import peewee

from ..storage.models import json_field, utcnow

ROW_KINDS = ("insert", "update", "delete")
SCHEMA_KINDS = ("create_table", "add_column", "alter_column", "drop_column")
KINDS = ROW_KINDS + SCHEMA_KINDS
STATUSES = ("pending", "approved", "applied", "rejected", "failed", "superseded")
DECIDED = ("approved", "applied", "rejected", "failed", "superseded")


class Proposal(peewee.Model):
    """One proposed change. Its status only moves forward:
    pending -> approved -> applied | failed, or pending -> rejected | superseded."""

    id = peewee.BigAutoField()
    kind = peewee.TextField()  # one of KINDS
    table = peewee.TextField(index=True)  # catalog name (documents), not the db table; final after corrections
    row_id = peewee.BigIntegerField(null=True)  # target of update/delete; the new row after insert
    payload = json_field()  # fields for rows; the schema change for schema kinds
    confidence = peewee.DoubleField(default=0.0)
    reasoning = peewee.TextField(default="")
    source = peewee.TextField(null=True, index=True)  # file path, agent id, operator
    created_by = peewee.TextField()  # actor: user(uid) or "clarityd"
    status = peewee.TextField(default="pending", index=True)
    policy_rule = peewee.TextField(null=True)  # the rule that decided (or kept it pending)
    flags = json_field(null=True)  # e.g. ["secret:private_key"]; never the secret itself
    expected_version = peewee.IntegerField(null=True)  # update/delete: the row version it was made against
    approvals = json_field(null=True)  # [{"actor", "at"}] while a second operator is awaited
    decided_by = peewee.TextField(null=True)
    decided_at = peewee.DateTimeField(null=True, index=True)
    note = peewee.TextField(null=True)  # approval note or rejection reason
    error = peewee.TextField(null=True)  # why applying failed
    corrections = json_field(null=True)  # what the approver changed: {"table": old, "fields": {old values}}
    preview = json_field(null=True)  # schema kinds: the DDL and the rows it touches
    before = json_field(null=True)  # the row (or field spec) before applying, for undo
    after = json_field(null=True)  # the row (or field spec) after applying
    reverts = peewee.BigIntegerField(null=True, index=True)  # the proposal this one undoes
    reverted_by = peewee.BigIntegerField(null=True)  # the applied proposal that undid this one
    superseded_by = peewee.BigIntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_proposals"
        # A new proposal from a file looks for the pending ones from the same file (supersede):
        # on the status index alone SQLite would scan every pending proposal, once per file.
        indexes = ((("source", "status"), False),)


class SchemaVersion(peewee.Model):
    """One applied schema change. Version 1 of a table from schemas/*.yaml is not stored;
    a table's later versions are replayed on top of its YAML at start (and by every daemon
    sharing the database), so the live catalog always matches the database."""

    id = peewee.BigAutoField()
    table = peewee.TextField()
    version = peewee.IntegerField()
    action = peewee.TextField()  # create_table, add_column, alter_column, drop_column
    diff = json_field()  # {"action", "field"/"spec", "old"}: enough to replay and to read
    ddl = json_field()  # the statements that ran
    rows_touched = peewee.BigIntegerField(default=0)
    proposal_id = peewee.BigIntegerField(null=True)
    actor = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_schema_versions"
        indexes = ((("table", "version"), True),)  # two daemons cannot both write version n


class AuditEntry(peewee.Model):
    """One decision about a proposal: who, what, when, why, under which rule. Written only by
    the daemon (governance.audit.write_audit), never through a proposal; no RPC method edits or
    deletes it, and it is not in the catalog, so no proposal or schema change can reach it."""

    id = peewee.BigAutoField()
    actor = peewee.TextField()  # who decided: user(uid), an agent, or clarityd
    action = peewee.TextField()  # auto-approve, self-approve, approve, endorse, reject, supersede, apply, migrate
    proposal_id = peewee.BigIntegerField(null=True, index=True)
    target_table = peewee.TextField(null=True)
    target_row = peewee.BigIntegerField(null=True)
    decision = peewee.TextField(null=True)  # approved, rejected, pending, superseded, failed
    reason = peewee.TextField(null=True)
    policy_rule = peewee.TextField(null=True)
    risk_level = peewee.TextField(null=True)  # low, medium, high
    reviewer = peewee.TextField(null=True)  # the first of two operators
    before_value = json_field(null=True)
    after_value = json_field(null=True)
    details = json_field(null=True)
    decided_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_audit"
