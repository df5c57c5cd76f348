"""The seams, checked: what each layer may import (STYLE.md, "One seam, one direction").

- ``daemon/protocol`` is a leaf: the standard library and msgspec only (``paths.py`` reads a named
  config file with PyYAML when one is given, imported lazily and optional).
- The client (``daemon/client*.py``) imports only the protocol.
- ``daemon/export_format.py`` (the export file formats, written by rows.export and by the
  console's export of a query's answer) is a leaf too: the standard library and msgspec.
- ``console/`` reaches the daemon only through the client, the protocol and the export formats.
  Two commands are named exceptions because they run with no daemon, by design: ``clarity infer``
  (``console/infer_command.py``: extraction and inference in-process, DESIGN.md) and
  ``clarity restore`` (``console/commands/backup.py``: the daemon must be stopped).
- Nothing in ``daemon/`` imports ``console`` or Textual.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from conftest import ROOT

STDLIB = set(sys.stdlib_module_names)
CONSOLE_EXCEPTIONS = {"console/infer_command.py", "console/commands/backup.py"}


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) for every import in ``path``; relative ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # "from . import system" imports daemon.protocol.system
                yield f"{module}.{alias.name}", node.lineno


def _violations(files: list[Path], allowed: Callable[[str], bool]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)}:{line}: {module}" for p in files for module, line in _imports(p) if not allowed(module)
    ]


def _top(module: str) -> str:
    return module.split(".")[0]


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_protocol_is_a_leaf() -> None:
    files = sorted((ROOT / "daemon" / "protocol").rglob("*.py"))
    bad = _violations(
        files, lambda m: _top(m) in STDLIB or _top(m) in ("msgspec", "__future__") or _within(m, "daemon.protocol")
    )
    bad = [b for b in bad if not (b.startswith("daemon/protocol/paths.py:") and b.endswith(": yaml"))]
    assert bad == [], "daemon/protocol may import only the standard library and msgspec"


def test_export_formats_are_a_leaf() -> None:
    bad = _violations(
        [ROOT / "daemon" / "export_format.py"], lambda m: _top(m) in STDLIB or _top(m) in ("msgspec", "__future__")
    )
    assert bad == [], "daemon/export_format.py may import only the standard library and msgspec"


def test_client_imports_only_the_protocol() -> None:
    files = sorted((ROOT / "daemon").glob("client*.py"))
    assert files
    allowed_daemon = (
        "daemon.protocol",
        "daemon.client",
        "daemon.client_methods",
        "daemon.client_streams",
        "daemon.client_export",
        "daemon.client_gen",
    )
    bad = _violations(
        files, lambda m: _top(m) in STDLIB or _top(m) in ("msgspec", "__future__") or _within(m, *allowed_daemon)
    )
    assert bad == []


def test_console_uses_only_the_client_and_the_protocol() -> None:
    files = [p for p in sorted((ROOT / "console").rglob("*.py")) if str(p.relative_to(ROOT)) not in CONSOLE_EXCEPTIONS]
    client = (
        "daemon.client",
        "daemon.protocol",
        "daemon.client_streams",
        "daemon.client_methods",
        "daemon.client_export",
        "daemon.export_format",
    )
    bad = _violations(files, lambda m: _top(m) != "daemon" or _within(m, *client))
    assert bad == [], "console/ may reach the daemon only through daemon.client, daemon.protocol and the export formats"


def test_daemon_never_imports_console_or_textual() -> None:
    files = sorted((ROOT / "daemon").rglob("*.py"))
    bad = _violations(files, lambda m: _top(m) not in ("console", "textual", "rich"))
    assert bad == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    # The contracts above are only as good as the import reader: it must catch each form.
    probe = ROOT / "daemon" / "protocol" / "_probe_for_test.py"
    probe.write_text("from ..storage import store\nimport peewee\nfrom . import registry\n")
    try:
        found = [m for m, _ in _imports(probe)]
    finally:
        probe.unlink()
    assert "daemon.storage" in found and "peewee" in found and "daemon.protocol.registry" in found
