"""Who is calling: peer credentials from the socket, mapped to a role by the configuration."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct

from .config import RoleRules, Roles
from .protocol.registry import Role
from .protocol.system import Identity

_UCRED = struct.Struct("3i")  # struct ucred {pid_t pid; uid_t uid; gid_t gid;}


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    return _UCRED.unpack(raw)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _groups_of(user: str, gid: int) -> tuple[set[int], set[str]]:
    gids = {gid}
    try:
        gids.update(os.getgrouplist(user, gid))
    except (KeyError, OSError):
        pass
    names = set()
    for g in gids:
        try:
            names.add(grp.getgrgid(g).gr_name)
        except KeyError:
            pass
    return gids, names


def _matches(rules: RoleRules, uid: int, user: str, gids: set[int], groups: set[str]) -> bool:
    return (
        uid in rules.uids
        or user in rules.users
        or bool(gids.intersection(rules.gids))
        or bool(groups.intersection(rules.groups))
    )


def resolve_role(roles: Roles, uid: int, gid: int) -> Role | None:
    """The caller's role; None when the configuration lets them in as nothing."""
    if uid in (0, os.geteuid()):  # root and the daemon's own user run the place
        return Role.operator
    user = _user_name(uid)
    gids, groups = _groups_of(user, gid)
    for role, rules in ((Role.operator, roles.operators), (Role.agent, roles.agents), (Role.reader, roles.readers)):
        if _matches(rules, uid, user, gids, groups):
            return role
    return None if roles.default == "none" else Role[roles.default]


def identify(sock: socket.socket, roles: Roles) -> Identity:
    pid, uid, gid = peer_credentials(sock)
    role = resolve_role(roles, uid, gid)
    return Identity(uid=uid, gid=gid, pid=pid, user=_user_name(uid), role=role.name if role else "none")
