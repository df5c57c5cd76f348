"""Helpers shared by the governance tests (not a test module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from daemon.protocol import ErrorCode, RpcError


def error_code(fn: Any, *args: Any, **kwargs: Any) -> ErrorCode:
    """The RPC error code ``fn`` fails with (the test fails if it succeeds)."""
    with pytest.raises(RpcError) as info:
        fn(*args, **kwargs)
    return ErrorCode(info.value.code)


def audit_rows(client: Any, proposal_id: int) -> list[dict[str, Any]]:
    """The audit trail's rows about one proposal, oldest first."""
    page = client.proposals.audit(proposal_id=proposal_id, order="asc", limit=100)
    return [msgspec.to_builtins(e) for e in page.entries]


def events(client: Any, prefix: str | list[str], subject: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"type": prefix, "order": "asc", "limit": 1000}
    if subject:
        params["subject"] = subject
    return client.call_raw("events.list", params)["events"]


def write_policy(path: Path, **sections: Any) -> str:
    path.write_text(yaml.safe_dump(sections))
    return str(path)
