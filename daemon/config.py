"""Configuration: defaults, then the YAML file ($CLARITY_CONFIG), then the environment.

``clarityd`` started with only environment variables set must work; the file is optional (a
missing file means the defaults; systemd/clarity.yaml.example lists every setting).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Annotated, Literal

import msgspec
import yaml

from .catalog import builtin_schemas_dir
from .alerts.rules import AlertRule
from .extract.types import ExtractLimits
from .protocol.paths import default_socket_path
from .saved_queries import QueryName, SavedQueryConfig

REPO_SCHEMAS = builtin_schemas_dir()  # the default schemas_dir: the tables shipped with Clarity


class ConfigError(Exception):
    """The configuration file is unreadable or invalid; the message says where."""


class RoleRules(msgspec.Struct, forbid_unknown_fields=True):
    """Who gets a role: by user name, uid, group name or gid (primary or supplementary)."""

    users: list[str] = []
    uids: list[int] = []
    groups: list[str] = []
    gids: list[int] = []


class Roles(msgspec.Struct, forbid_unknown_fields=True):
    operators: RoleRules = msgspec.field(default_factory=RoleRules)
    agents: RoleRules = msgspec.field(default_factory=RoleRules)
    readers: RoleRules = msgspec.field(default_factory=RoleRules)
    # The role of a caller no rule names (anyone the socket's 0660 mode lets in).
    default: Literal["none", "reader", "agent", "operator"] = "reader"


class Limits(msgspec.Struct, forbid_unknown_fields=True):
    """What one caller may take of the socket (see the README's "Security model")."""

    max_message_bytes: Annotated[int, msgspec.Meta(ge=1)] = 1024 * 1024
    max_connections: Annotated[int, msgspec.Meta(ge=1)] = 256
    # Of max_connections, these are only for operators (root, the daemon's user, roles.operators),
    # so no crowd of other callers can keep an operator out.
    reserved_for_operators: Annotated[int, msgspec.Meta(ge=0)] = 16
    max_connections_per_uid: Annotated[int, msgspec.Meta(ge=1)] = 64  # operators are not counted
    max_inflight_per_connection: Annotated[int, msgspec.Meta(ge=1)] = 64
    # A message must be complete this long after its first byte, however slowly it trickles in.
    message_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    idle_timeout_s: float = 600.0  # a connection that says nothing for this long is closed
    drain_timeout_s: float = 10.0  # how long SIGTERM waits for in-flight requests


class WatchFolder(msgspec.Struct, forbid_unknown_fields=True):
    """One watched folder and its rules. Patterns are globs, case ignored: "*.pdf" (a name at any
    depth), "reports/**/*.csv" (from the folder's root), or an absolute path glob."""

    path: str
    patterns: list[str] = msgspec.field(default_factory=lambda: ["**"])
    exclude: list[str] = []
    recursive: bool = True
    polling: bool = False  # poll instead of native events (network filesystems are detected by themselves)
    delete_after_ingest: bool = False  # remove the source once its proposal (or duplicate link) is committed


class IngestConfig(msgspec.Struct, forbid_unknown_fields=True):
    """The ``ingest`` settings (the service that ingests is daemon.ingest.Ingest)."""

    # Folders with their own rules; a folder named only in `watch`/$CLARITY_WATCH gets the defaults.
    folders: list[WatchFolder] = []
    # A file without close-write is read once its size/mtime held this long.
    settle_s: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    rescan_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0  # catches what the watcher missed
    poll_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0  # for polling folders
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2  # processes that extract and infer (and threads that hash)
    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 5  # automatic tries of a failing file
    retry_base_s: float = 60.0  # first retry after this; each next one waits 4x longer
    retry_max_s: float = 3600.0
    retry_check_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0  # how often due retries are looked for
    quarantine: bool = False  # move files that failed every attempt to state_dir/quarantine
    limits: ExtractLimits = msgspec.field(default_factory=ExtractLimits)


class EventsConfig(msgspec.Struct, forbid_unknown_fields=True):
    retention_days: Annotated[float, msgspec.Meta(gt=0)] = 30.0  # older events are deleted
    retention_check_s: Annotated[float, msgspec.Meta(gt=0)] = 3600.0  # how often the retention job runs
    subscriber_queue: Annotated[int, msgspec.Meta(ge=1)] = 1000  # events a subscriber may lag before it is dropped


class SubAgentsConfig(msgspec.Struct, forbid_unknown_fields=True):
    missed_heartbeats: Annotated[int, msgspec.Meta(ge=1)] = 2  # intervals missed before an agent is offline
    default_heartbeat_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 60.0  # for agents that declare none
    sweep_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0  # how often heartbeats are checked
    # Finished-task rows older than this are deleted (never the last hour: fleet stats count it);
    # the per-agent counters and trust live on the agent row and are kept.
    task_history_days: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    task_history_check_s: Annotated[float, msgspec.Meta(gt=0)] = 3600.0  # how often that job runs


class GovernanceConfig(msgspec.Struct, forbid_unknown_fields=True):
    policy: str = ""  # the policy file; default: policy.yaml in the schemas folder
    # PostgreSQL: how often other daemons' schema changes are picked up.
    schema_sync_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0


class Config(msgspec.Struct, forbid_unknown_fields=True):
    socket: str = ""
    socket_group: str = ""  # chgrp the socket to this group, so its members may connect
    state_dir: str = ""
    database: str = ""
    watch: list[str] = []
    schemas_dir: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    roles: Roles = msgspec.field(default_factory=Roles)
    limits: Limits = msgspec.field(default_factory=Limits)
    governance: GovernanceConfig = msgspec.field(default_factory=GovernanceConfig)
    ingest: IngestConfig = msgspec.field(default_factory=IngestConfig)
    events: EventsConfig = msgspec.field(default_factory=EventsConfig)
    sub_agents: SubAgentsConfig = msgspec.field(default_factory=SubAgentsConfig)
    queries: dict[QueryName, SavedQueryConfig] = {}  # saved read-only SQL that readers run by name (query.run)
    alerts: list[AlertRule] = []  # events to POST to a webhook and/or hand to a command

    @property
    def inbox(self) -> Path:
        return Path(self.state_dir) / "inbox"


def _default_state_dir(env: dict[str, str]) -> str:
    if env.get("STATE_DIRECTORY"):
        return env["STATE_DIRECTORY"].split(":")[0]
    return str(Path.home() / ".local" / "state" / "clarity")


def _unquoted_on_keys(raw: dict[Any, Any]) -> None:
    """An alert rule's ``on:`` written without quotes is the boolean True in YAML 1.1 (as in
    GitHub workflows): take it for the key "on" the rule means."""
    for rule in raw.get("alerts") or []:
        if isinstance(rule, dict) and True in rule and "on" not in rule:
            rule["on"] = rule.pop(True)


def _read_file(path: str | None) -> dict[Any, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.load(f, Loader=yaml.CSafeLoader) or {}
    except FileNotFoundError:
        # The unit names /etc/clarity/clarity.yaml whether or not the admin wrote one:
        # no file means the defaults (a file that is there but unreadable or wrong is an error).
        return {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return raw


def database_named_by(env: dict[str, str] | None = None) -> str | None:
    """What names the database's place, in load_config's order of precedence (e.g.
    ``$CLARITY_STATE_DIR``, ``database in /etc/clarity/clarity.yaml``, ``$STATE_DIRECTORY``);
    None when nothing does and it is the per-user default, ~/.local/state/clarity."""
    env = dict(os.environ if env is None else env)
    path = env.get("CLARITY_CONFIG")
    raw = _read_file(path)
    for found, name in (
        (env.get("CLARITY_DATABASE"), "$CLARITY_DATABASE"),
        (raw.get("database"), f"database in {path}"),
        (env.get("CLARITY_STATE_DIR"), "$CLARITY_STATE_DIR"),
        (raw.get("state_dir"), f"state_dir in {path}"),
        (env.get("STATE_DIRECTORY"), "$STATE_DIRECTORY"),
    ):
        if found:
            return name
    return None


def load_config(env: dict[str, str] | None = None) -> Config:
    """Build the configuration; raise ConfigError naming the file and field on bad input."""
    env = dict(os.environ if env is None else env)
    path = env.get("CLARITY_CONFIG")
    raw = _read_file(path)
    _unquoted_on_keys(raw)
    try:
        config = msgspec.convert(raw, Config)
    except msgspec.ValidationError as e:
        raise ConfigError(f"{path}: {e}") from e

    overrides = {
        "socket": env.get("CLARITY_SOCKET"),
        "state_dir": env.get("CLARITY_STATE_DIR"),
        "database": env.get("CLARITY_DATABASE"),
        "schemas_dir": env.get("CLARITY_SCHEMAS"),
    }
    for name, value in overrides.items():
        if value:
            setattr(config, name, value)
    if env.get("CLARITY_WATCH"):
        config.watch = [p for p in env["CLARITY_WATCH"].split(":") if p]
    if env.get("CLARITY_LOG_LEVEL"):
        config.log_level = env["CLARITY_LOG_LEVEL"].lower()  # type: ignore[assignment]

    config.state_dir = os.path.abspath(os.path.expanduser(config.state_dir or _default_state_dir(env)))
    config.socket = os.path.abspath(os.path.expanduser(config.socket or default_socket_path(env)))
    if not config.database:
        config.database = "sqlite:///" + str(Path(config.state_dir) / "clarity.db")
    for folder in config.ingest.folders:
        folder.path = os.path.abspath(os.path.expanduser(folder.path))
    watch = [os.path.abspath(os.path.expanduser(p)) for p in config.watch]
    if not watch and not config.ingest.folders:
        watch = [str(config.inbox)]
    # `watch` lists every watched folder, those with their own rules in ingest.folders too.
    config.watch = list(dict.fromkeys(watch + [f.path for f in config.ingest.folders]))
    config.schemas_dir = os.path.abspath(config.schemas_dir or str(REPO_SCHEMAS))
    return config
