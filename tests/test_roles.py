"""Roles from SO_PEERCRED, checked with a real second uid (nobody) in a forked child."""

from __future__ import annotations

import os

import pytest

from daemon.client import Client
from peers import run_as
from daemon.protocol import ErrorCode, RpcError

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching to a second uid needs root")


def call_as(uid: int, socket_path: str, method: str, params: dict | None = None) -> dict:
    """Call ``method`` from a child process running as ``uid``; returns {"result"} or {"code"}."""

    def call() -> dict:
        try:
            with Client(socket_path, timeout=10) as c:
                return {"result": c.call_raw(method, params or {})}
        except RpcError as e:
            return {"code": e.code}

    return run_as(uid, uid, call)


def test_socket_mode_is_0660(daemon):
    assert os.stat(daemon.socket).st_mode & 0o777 == 0o660


def test_reader_is_refused_an_operator_method(make_daemon):
    daemon = make_daemon(config={"socket_group": "nogroup"})
    os.chmod(daemon.dir, 0o711)
    health = call_as(NOBODY, daemon.socket, "system.health")
    assert health["result"]["status"] == "ok"
    info = call_as(NOBODY, daemon.socket, "system.info")
    assert info["result"]["caller"]["uid"] == NOBODY
    assert info["result"]["caller"]["role"] == "reader"
    assert call_as(NOBODY, daemon.socket, "system.reload") == {"code": ErrorCode.FORBIDDEN}
    with Client(daemon.socket) as c:  # root is an operator
        assert c.system.reload().reloaded is True


def test_configured_operator_may(make_daemon):
    daemon = make_daemon(config={"socket_group": "nogroup", "roles": {"operators": {"uids": [NOBODY]}}})
    os.chmod(daemon.dir, 0o711)
    assert call_as(NOBODY, daemon.socket, "system.reload")["result"]["reloaded"] is True


def test_default_none_refuses_everything(make_daemon):
    daemon = make_daemon(config={"socket_group": "nogroup", "roles": {"default": "none"}})
    os.chmod(daemon.dir, 0o711)
    assert call_as(NOBODY, daemon.socket, "system.health") == {"code": ErrorCode.FORBIDDEN}


def test_role_by_group_name(make_daemon):
    daemon = make_daemon(config={"socket_group": "nogroup", "roles": {"agents": {"groups": ["nogroup"]}}})
    os.chmod(daemon.dir, 0o711)
    assert call_as(NOBODY, daemon.socket, "system.info")["result"]["caller"]["role"] == "agent"


def test_reload_changes_roles_for_connected_callers(make_daemon):
    daemon = make_daemon(config={"socket_group": "nogroup"})
    os.chmod(daemon.dir, 0o711)
    assert call_as(NOBODY, daemon.socket, "system.reload") == {"code": ErrorCode.FORBIDDEN}
    daemon.write_config({"socket_group": "nogroup", "roles": {"operators": {"users": ["nobody"]}}})
    with Client(daemon.socket) as c:
        assert "roles" in c.system.reload().changes
    assert call_as(NOBODY, daemon.socket, "system.reload")["result"]["reloaded"] is True
