"""The governance policy (schemas/policy.yaml): what is auto-approved, and who decides.

Fixed rules that no policy file can change: schema changes and deletes are never
auto-approved, text that looks like a secret is never auto-approved, and the audit
trail (the ``governance`` table) never auto-approves and cannot be edited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from re import Pattern

import msgspec
import yaml

from ..errors import InvalidParams
from .content import BUILTIN_RULES, compile_rules
from .models import SCHEMA_KINDS

if TYPE_CHECKING:
    from ..config import Config

DEFAULT_THRESHOLD = 0.90  # the original system's rule: strictly greater than


class PolicyError(InvalidParams):
    """A policy file that cannot be used; the message names the file and the field."""


class AutoApprove(msgspec.Struct, forbid_unknown_fields=True):
    # Row insertions with confidence strictly above this are applied at once.
    insert_above: float = DEFAULT_THRESHOLD
    # Per-table overrides: another threshold, or "never".
    tables: dict[str, float | Literal["never"]] = msgspec.field(
        default_factory=lambda: {"compliance": "never", "finance_treasury": "never", "governance": "never"}
    )
    # Edits an operator's own rows.update / rows.delete may apply at once (audited as self-approved).
    self_approve: list[Literal["update", "delete"]] = []


class ContentRules(msgspec.Struct, forbid_unknown_fields=True):
    secrets: list[str] = msgspec.field(default_factory=lambda: list(BUILTIN_RULES))
    patterns: dict[str, str] = {}  # more rules: name -> Python regular expression


class Approvals(msgspec.Struct, forbid_unknown_fields=True):
    # Kinds that need two different operators: the first approval waits for a second
    # ("update": an operator's own edit needs someone else's approval too).
    second_operator: list[Literal["update", "delete", "schema"]] = []
    # Tables whose proposals only these users (by name) may approve or reject.
    tables: dict[str, list[str]] = {}


class Policy(msgspec.Struct, forbid_unknown_fields=True):
    auto_approve: AutoApprove = msgspec.field(default_factory=AutoApprove)
    content_rules: ContentRules = msgspec.field(default_factory=ContentRules)
    approvals: Approvals = msgspec.field(default_factory=Approvals)


@dataclass
class Verdict:
    """What the policy says of a new proposal."""

    approve: bool  # apply at once
    rule: str  # the rule that decided, for the proposal and the audit row
    self_approved: bool = False


class LoadedPolicy:
    """A validated policy with its compiled content rules and where it came from."""

    def __init__(self, policy: Policy, path: str, exists: bool) -> None:
        self.policy = policy
        self.path = path
        self.exists = exists
        self.rules: dict[str, Pattern[str]] = compile_rules(policy.content_rules.secrets, policy.content_rules.patterns)

    # -- decisions --------------------------------------------------------------------

    def threshold(self, table: str) -> float | None:
        """The auto-approve threshold of ``table``; None when it never auto-approves."""
        value = self.policy.auto_approve.tables.get(table, self.policy.auto_approve.insert_above)
        return None if value == "never" else float(value)

    def evaluate(
        self, kind: str, table: str, confidence: float, flags: list[str], missing: list[str], by_operator: bool
    ) -> Verdict:
        """Decide a new proposal: auto-approve, self-approve, or leave it for a person."""
        if kind in SCHEMA_KINDS:
            return Verdict(False, "pending: schema changes are never auto-approved")
        if flags:
            return Verdict(False, f"pending: content looks like a secret ({', '.join(flags)})")
        if kind in ("update", "delete"):
            never = self.threshold(table) is None
            if (
                by_operator
                and kind in self.policy.auto_approve.self_approve
                and not never
                and not self.needs_second(kind)
            ):
                return Verdict(True, f"self-approved: an operator's own {kind} (auto_approve.self_approve)", True)
            if kind == "delete":
                return Verdict(False, "pending: deletes are never auto-approved")
            return Verdict(False, "pending: edits need a person")
        threshold = self.threshold(table)
        if threshold is None:
            return Verdict(False, f"pending: {table} never auto-approves (auto_approve.tables)")
        if missing:
            return Verdict(False, f"pending: required field(s) missing: {', '.join(missing)}")
        if confidence > threshold:
            return Verdict(True, f"auto-approved: confidence {confidence:.2f} > {threshold:.2f}")
        return Verdict(False, f"pending: confidence {confidence:.2f} <= {threshold:.2f}")

    def needs_second(self, kind: str) -> bool:
        group = "schema" if kind in SCHEMA_KINDS else kind
        return group in self.policy.approvals.second_operator

    def approvers(self, table: str) -> list[str] | None:
        """Users who alone may decide proposals for ``table``; None: any operator."""
        return self.policy.approvals.tables.get(table)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = msgspec.to_builtins(self.policy)
        return described


def policy_path(config: Config) -> str:
    """The policy file: ``governance.policy`` in the configuration, else schemas/policy.yaml.
    Raises PolicyError when the configuration names a file that is not there: a typo or a lost
    mount must not quietly put the built-in defaults in force (a missing schemas/policy.yaml
    does mean the defaults)."""
    if config.governance.policy:
        if not Path(config.governance.policy).is_file():
            raise PolicyError(f"{config.governance.policy}: no such file (governance.policy in the configuration)")
        return config.governance.policy
    return os.path.join(config.schemas_dir, "policy.yaml")


def load_policy(path: str) -> LoadedPolicy:
    """Read and validate the policy file; a missing file means the built-in defaults.
    Raises PolicyError naming the file and what is wrong."""
    file = Path(path)
    if not file.exists():
        return LoadedPolicy(Policy(), path, exists=False)
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        if not isinstance(raw, dict):
            raise PolicyError("expected a mapping at the top level")
        policy = msgspec.convert(raw, Policy)
        _check(policy)
        return LoadedPolicy(policy, path, exists=True)
    except PolicyError as e:
        raise PolicyError(f"{path}: {e.message}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, msgspec.ValidationError, ValueError) as e:
        raise PolicyError(f"{path}: {e}") from None


def _check(policy: Policy) -> None:
    a = policy.auto_approve
    if not 0.0 <= a.insert_above <= 1.0:
        raise PolicyError(
            f"insert_above must be between 0 and 1, got {a.insert_above} - at $.auto_approve.insert_above"
        )
    for table, value in a.tables.items():
        if value != "never" and not 0.0 <= float(value) <= 1.0:
            raise PolicyError(
                f"threshold of {table} must be between 0 and 1 or never - at $.auto_approve.tables.{table}"
            )
    for table, users in policy.approvals.tables.items():
        if not users:
            raise PolicyError(f"no one could decide {table}: list at least one user - at $.approvals.tables.{table}")
