"""The client's typed surface: generated from the registry, current, and checked by mypy.

An agent author's editor should know ``client.sub_agents.register(...) -> Agent``: the README's
agent-author examples must type-check, and a misspelt keyword or a wrong type must not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from daemon import client_gen

from conftest import ROOT


def test_generated_client_methods_are_current() -> None:
    assert client_gen.TARGET.read_text() == client_gen.render(), "run: python -m daemon.client_gen"


def _agent_author_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## For agent authors", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _mypy(tmp_path: Path, name: str, code: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / name
    source.write_text(code)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--follow-imports=silent",
            str(source),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One mypy run over the README examples plus two lines that must be refused."""
    examples = _agent_author_examples()
    assert len(examples) >= 2
    wrong = (
        "from daemon.client import Client\n"
        "def misuse(c: Client) -> None:\n"
        "    c.sub_agents.register(agent_id='a', agent_nam='typo', agent_type='shard')  # WRONG-KEYWORD\n"
        "    c.sub_agents.heartbeat(agent_id=7)  # WRONG-TYPE\n"
        "    n: int = c.system.health()  # WRONG-RESULT\n"
    )
    tmp = tmp_path_factory.mktemp("typing")
    code = "\n\n".join(
        f"def example_{i}() -> None:\n" + "\n".join("    " + line for line in ex.splitlines())
        for i, ex in enumerate(examples)
    )
    return _mypy(tmp, "examples.py", code + "\n\n" + wrong)


def test_readme_agent_examples_type_check(checked: subprocess.CompletedProcess[str]) -> None:
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    source_lines = Path(errors[0].split(":")[0]).read_text().splitlines() if errors else []
    in_examples = [e for e in errors if "WRONG-" not in source_lines[int(e.split(":")[1]) - 1]]
    assert in_examples == [], checked.stdout


def test_misuse_is_caught(checked: subprocess.CompletedProcess[str]) -> None:
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    source_lines = Path(errors[0].split(":")[0]).read_text().splitlines() if errors else []
    tags = {m.group(0) for e in errors for m in [re.search(r"WRONG-\w+", source_lines[int(e.split(":")[1]) - 1])] if m}
    assert tags == {"WRONG-KEYWORD", "WRONG-TYPE", "WRONG-RESULT"}, checked.stdout
