"""Code, build and config files told by a well-known name or by the shape of their lines.

Many of them carry no telling extension (``Makefile``, ``Dockerfile``, ``requirements.txt``,
``entry_points.txt``, ``.gitignore``) and, read as prose, look like short documents. The
names are the conventions of build tools and package formats, not of any one project; a
variant keeps its tool's name as one part (``Makefile.am``, ``Dockerfile.dev``,
``dev.Dockerfile``, ``requirements-test.txt``).
"""

from __future__ import annotations

import re

# name (lower case) -> language
KNOWN_CODE_NAMES: dict[str, str] = {
    "makefile": "make",
    "gnumakefile": "make",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "vagrantfile": "ruby",
    "brewfile": "ruby",
    "podfile": "ruby",
    "meson.build": "meson",
    "configure.ac": "m4",
    "kconfig": "kconfig",
    "jenkinsfile": "groovy",
    "sconstruct": "python",
    "sconscript": "python",
    "justfile": "just",
    "procfile": "config",
    "pipfile": "toml",
    "requirements.txt": "requirements",
    "constraints.txt": "requirements",
    "entry_points.txt": "ini",
    "top_level.txt": "config",
    "setup.cfg": "ini",
    "tox.ini": "ini",
    "manifest.in": "config",
    ".gitignore": "gitignore",
    ".dockerignore": "gitignore",
    ".npmignore": "gitignore",
    ".hgignore": "gitignore",
    ".gitattributes": "config",
    ".gitmodules": "ini",
    ".editorconfig": "ini",
    ".npmrc": "ini",
    ".env.example": "config",
    "codeowners": "config",
    "build": "starlark",
    "workspace": "starlark",
    "build.bazel": "starlark",
    "go.mod": "go-module",
    "go.sum": "go-module",
    "cargo.lock": "toml",
    "poetry.lock": "toml",
    "yarn.lock": "config",
    "pnpm-lock.yaml": "yaml",
    "pyproject.toml": "toml",
    "cargo.toml": "toml",
    ".pre-commit-config.yaml": "yaml",
    ".gitlab-ci.yml": "yaml",
    ".travis.yml": "yaml",
    ".readthedocs.yaml": "yaml",
    ".readthedocs.yml": "yaml",
}
# Directories whose files configure a development tool (CI workflows, dependabot, editor settings):
# a YAML or JSON there is the tool's, whatever words its keys use.
TOOL_DIRECTORIES = {".github", ".gitlab", ".circleci", ".buildkite", ".devcontainer", ".vscode", ".husky"}


def in_tool_directory(path: str) -> bool:
    """Whether ``path`` lies under a development tool's configuration directory (``.github/``)."""
    return any(part in TOOL_DIRECTORIES for part in re.split(r"[\\/]", path)[:-1])


# Names that keep their meaning with a variant suffix or prefix (Dockerfile.dev, docs-Makefile).
_DOCUMENT_ENDINGS = (".txt", ".md", ".rst", ".html", ".htm", ".pdf", ".doc", ".docx", ".odt")
_VARIANT_STEMS = {"makefile", "dockerfile", "containerfile", "jenkinsfile", "procfile", "vagrantfile", "gemfile"}


def known_code_language(name: str) -> str | None:
    """The language of a file by its well-known name (lower-cased base name), or None."""
    if name in KNOWN_CODE_NAMES:
        return KNOWN_CODE_NAMES[name]
    parts = [p for p in re.split(r"[.\-_]", name) if p]
    if not parts:
        return None
    if name.endswith((".txt", ".in")) and ("requirements" in parts or "constraints" in parts):
        return "requirements"  # pip's conventions: requirements-dev.txt, test-requirements.txt, constraints.in
    for stem in _VARIANT_STEMS:
        if stem in (parts[0], parts[-1]) or (stem in parts and parts[-1] in ("in", "am", "dev", "prod")):
            if name.endswith(_DOCUMENT_ENDINGS):
                return None  # "makefile-notes.txt" is notes about a Makefile
            return KNOWN_CODE_NAMES.get(stem, "config")
    return None


_INI_SECTION = re.compile(r"^\[[^\]\n]{1,80}\]$")
_INI_ENTRY = re.compile(r"^[\w.\-/ ]{1,80}\s*[=:]\s*\S")
_REQUIREMENT = re.compile(
    r"^(-[rcef]\s+\S+|--[\w-]+(=\S+)?|[A-Za-z0-9][\w.\-]*(\[[\w,\s.\-]+\])?\s*"
    r"((===?|~=|!=|>=|<=|<|>)\s*[\w.*+!\-]+\s*,?\s*)*(;.*)?)$"
)
_DOCKER = re.compile(r"^(FROM|ARG)\s+\S+", re.I)


def code_by_lines(text: str) -> str | None:
    """The language told by the shape of every line: an INI file (``[section]`` then only
    ``key = value`` lines), a pip requirements list, a Dockerfile (first instruction FROM)."""
    lines = [ln.strip() for ln in text[:20000].splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith(("#", ";"))]
    if len(body) < 2:
        return None
    if _INI_SECTION.match(body[0]) and all(_INI_SECTION.match(ln) or _INI_ENTRY.match(ln) for ln in body):
        return "ini"
    if _DOCKER.match(body[0]) and any(re.match(r"^(RUN|COPY|ADD|CMD|ENTRYPOINT|WORKDIR|ENV)\s", ln) for ln in body):
        return "dockerfile"
    # A requirements list: every line a package name with an optional version spec, and at least one spec
    # (a bare column of words is a list, not a requirements file).
    if all(_REQUIREMENT.match(ln) for ln in body) and any(re.search(r"[<>=~!]=|^-[rce]\s|[<>]", ln) for ln in body):
        return "requirements"
    return None


# Lines of a block-structured config or program (nginx, HCL, C, CSS): they end in "{", "}" or ";".
# Prose lines almost never do; half of a file's lines doing so is its syntax, not an accident.
BLOCK_SHARE = 0.5
BLOCK_MIN_LINES = 4  # fewer lines are a snippet, not a file's shape
_COMMENT_STARTS = ("#", ";", "//", "/*", "*", "<!--")


def block_shaped(text: str) -> bool:
    """Whether the text is written in blocks (``server {`` ... ``}``) of ``;``-terminated
    statements: a config or source file whatever its name, not a document."""
    body = [ln.strip() for ln in text[:20000].splitlines()]
    body = [ln for ln in body if ln and not ln.startswith(_COMMENT_STARTS)]
    if len(body) < BLOCK_MIN_LINES:
        return False
    opens = any(ln.endswith("{") for ln in body)
    closes = any(ln.startswith("}") for ln in body)
    ends = sum(1 for ln in body if ln.endswith(("{", "}", ";")))
    return opens and closes and ends >= BLOCK_SHARE * len(body)


LOCK_MIN_LINES = 5  # a package manager's lock file pins packages over many lines; "app.lock" of a PID does not
_LOCK_STRUCTURE = re.compile(r"[=:{]")


def lock_file(name: str, text: str) -> bool:
    """Whether a ``*.lock`` file is a package manager's pinned dependencies (uv.lock, Gemfile.lock,
    composer.lock): its name says lock, and its lines are structured, not a process id or a stamp."""
    if not name.endswith(".lock") or name == ".lock":
        return False
    lines = [ln for ln in text[:20000].splitlines() if ln.strip()]
    return len(lines) >= LOCK_MIN_LINES and sum(1 for ln in lines if _LOCK_STRUCTURE.search(ln)) >= len(lines) / 2


_YAML_TOP_KEY = re.compile(r"^[A-Za-z_][\w.-]{0,60}:(\s|$)")
_YAML_OTHER = re.compile(r"^(---|\.\.\.|- |-$|[ \t]+\S)")
YAML_MIN_KEYS = 3  # distinct top-level keys: fewer are a note with a label or two
YAML_VALUE_WORDS = 8  # a setting's value is a few words at most...
YAML_SHORT_SHARE = 0.8  # ...on most lines


def yaml_shaped(text: str) -> bool:
    """Whether every line is YAML's (``key: value`` at the margin, indented lines under it, list
    items, ``---``) with a few top-level keys: a YAML file under a name that does not say so
    (``CITATION.cff``). Only for names that claim nothing: a .txt of ``Label: value`` lines is a
    record someone typed."""
    lines = [ln.rstrip() for ln in text[:20000].splitlines()]
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not body or not _YAML_TOP_KEY.match(body[0]) and not body[0].startswith("---"):
        return False
    keyed = [ln for ln in body if _YAML_TOP_KEY.match(ln)]
    if len({ln.split(":", 1)[0] for ln in keyed}) < YAML_MIN_KEYS:
        return False
    # A value is a setting, not a sentence: "Q: ... A: ..." notes are prose with labels.
    short = sum(1 for ln in keyed if len(ln.split(":", 1)[1].split()) <= YAML_VALUE_WORDS)
    return short >= YAML_SHORT_SHARE * len(keyed) and all(
        _YAML_TOP_KEY.match(ln) or _YAML_OTHER.match(ln) for ln in body
    )


def headerless_records(text: str) -> bool:
    """Comma-separated records with no telling name: at least three lines, every one with the
    same number (one or more) of commas, and short fields - prose lines rarely agree so."""
    lines = [ln for ln in text[:20000].splitlines() if ln.strip()][:200]
    if len(lines) < 3:
        return False
    counts = {ln.count(",") for ln in lines}
    if len(counts) != 1 or 0 in counts:
        return False
    fields = [f for ln in lines for f in ln.split(",")]
    return sum(len(f.split()) for f in fields) / len(fields) < 2.0


_TEMPLATE_TAG = re.compile(r"\{%-?\s*(extends|block|endblock|for|endfor|if|endif|include|macro|load|set)\b")
TEMPLATE_TAGS = 3  # statement tags that make a page a template (one could be an example in prose)


def template_language(text: str) -> str | None:
    """ "jinja" when the text is a Jinja/Django template (``{% block %}``, ``{% for %}`` statements):
    a page of the code that renders it, not a document."""
    return "jinja" if len(_TEMPLATE_TAG.findall(text[:20000])) >= TEMPLATE_TAGS else None
