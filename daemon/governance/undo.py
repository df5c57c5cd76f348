"""Undo: the change that restores what an applied proposal changed.

An inserted row is deleted, an update restored, a deleted row brought back with its id and
created_at, an added column dropped (an altered one altered back, a dropped one re-added
empty). The undo is a new proposal, decided like any other, linked by ``reverts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidState, NotFound
from . import schema
from .applying import plain
from .models import SCHEMA_KINDS, Proposal

if TYPE_CHECKING:
    from ..storage import Store
    from .service import Draft


def revertible(proposal_id: int) -> Proposal:
    """The applied proposal to undo; refuses what cannot (or may not) be undone."""
    orig = Proposal.get_or_none(Proposal.id == proposal_id)
    if orig is None:
        raise NotFound(f"no proposal {proposal_id}")
    if orig.status != "applied":
        raise InvalidState(f"proposal {orig.id} is {orig.status}; only applied proposals can be reverted")
    if orig.reverted_by is not None:
        raise InvalidState(f"proposal {orig.id} was already reverted by proposal {orig.reverted_by}")
    waiting = Proposal.get_or_none(Proposal.reverts == orig.id, Proposal.status.in_(("pending", "approved")))
    if waiting is not None:
        raise Conflict(f"proposal {waiting.id} already proposes to revert {orig.id}")
    return orig


def schema_undo(orig: Proposal) -> dict[str, Any]:
    """The diff that undoes a schema proposal."""
    inverse = schema.inverse(orig.payload)
    if inverse is None:
        raise InvalidState("a created table is not dropped by undo; its rows are kept")
    return inverse


def row_undo(store: Store, orig: Proposal, draft_type: type[Draft]) -> Draft:
    """The row proposal that undoes ``orig``, made against the version it left the row at
    (so a change made since is a conflict, not something undo silently erases)."""
    assert orig.kind not in SCHEMA_KINDS
    model = store.model(orig.table)
    # SQLite gives the id of a deleted last row to the next insert: the row under this id now
    # may be another one. created_at tells them apart (a restore keeps it).
    current = plain(model.select().where(model.id == orig.row_id).dicts().first())
    if orig.kind == "delete":
        if current is not None:
            raise Conflict(
                f"{orig.table} row {orig.row_id} exists again (a new row was given its id); "
                f"the deleted row cannot be brought back under it"
            )
        old = dict(orig.before)
        restore = {k: v for k, v in old.items() if k not in ("id", "updated_at")}
        restore["version"] = int(old["version"]) + 1  # a change like any other
        return draft_type(kind="insert", table=orig.table, fields=restore, row_id=old["id"], confidence=0.0)
    if current is None or current["created_at"] != orig.after["created_at"]:
        raise InvalidState(f"{orig.table} row {orig.row_id} no longer exists; nothing to undo")
    version = orig.after["version"]
    if orig.kind == "insert":
        return draft_type(
            kind="delete", table=orig.table, fields={}, row_id=orig.row_id, version=version, confidence=1.0
        )
    restore = {k: orig.before.get(k) for k in orig.payload}
    return draft_type(
        kind="update", table=orig.table, fields=restore, row_id=orig.row_id, version=version, confidence=1.0
    )
