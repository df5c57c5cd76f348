"""Source code: language from the name, the shebang or the content; structure where it is cheap.

Python is read with ``ast`` (functions, classes, imports); a file that does not parse is
still code, and falls back to the same line patterns the other languages use.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from typing import Any

from .known_files import (
    block_shaped,
    code_by_lines,
    known_code_language,
    lock_file,
    template_language,
    yaml_shaped,
)

LANGUAGE_BY_EXTENSION = {
    ".py": "python",
    ".pyw": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".c": "c",
    ".h": "c",
    ".cc": "c++",
    ".cpp": "c++",
    ".cxx": "c++",
    ".hpp": "c++",
    ".hh": "c++",
    ".hxx": "c++",
    ".go": "go",
    ".rs": "rust",
    ".pl": "perl",
    ".pm": "perl",
    ".t": "perl",
    ".php": "php",
    ".sql": "sql",
    ".rb": "ruby",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".cs": "c#",
    ".swift": "swift",
    ".cmake": "cmake",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".lua": "lua",
    ".r": "r",
    ".scala": "scala",
    ".m": "objective-c",
    ".mk": "make",
    ".make": "make",
    ".awk": "awk",
    ".sed": "sed",
    ".tcl": "tcl",
    ".el": "emacs lisp",
    ".vim": "vim script",
    ".ps1": "powershell",
    ".bat": "batch",
    ".css": "css",
    ".scss": "scss",
    ".xsl": "xslt",
    ".xslt": "xslt",
    ".f90": "fortran",
    ".hs": "haskell",
    ".ml": "ocaml",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".clj": "clojure",
    ".dart": "dart",
    ".groovy": "groovy",
    ".gradle": "groovy",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "config",
    ".dockerfile": "dockerfile",
    ".proto": "protobuf",
    ".asm": "assembly",
    ".s": "assembly",
    ".json": "json",
}
LANGUAGE_BY_NAME = {
    "makefile": "make",
    "gnumakefile": "make",
    "dockerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "vagrantfile": "ruby",
    "meson.build": "meson",
    "configure.ac": "m4",
    "kconfig": "kconfig",
    "jenkinsfile": "groovy",
    "sconstruct": "python",
}
LANGUAGE_BY_INTERPRETER = {
    "python": "python",
    "python2": "python",
    "python3": "python",
    "pypy": "python",
    "pypy3": "python",
    "sh": "shell",
    "bash": "shell",
    "dash": "shell",
    "zsh": "shell",
    "ksh": "shell",
    "ash": "shell",
    "node": "javascript",
    "nodejs": "javascript",
    "deno": "typescript",
    "ts-node": "typescript",
    "perl": "perl",
    "ruby": "ruby",
    "php": "php",
    "lua": "lua",
    "awk": "awk",
    "gawk": "awk",
    "sed": "sed",
    "tclsh": "tcl",
    "wish": "tcl",
    "rscript": "r",
    "make": "make",
    "pwsh": "powershell",
}

# Content patterns, tried in order, for files whose name and shebang say nothing.
_CONTENT_HINTS: list[tuple[str, re.Pattern[str]]] = [
    ("php", re.compile(r"<\?php")),
    ("c", re.compile(r"^#include\s*[<\"]\w+\.h[>\"]", re.M)),
    ("c++", re.compile(r"^#include\s*<\w+>|\bstd::|\bnamespace\s+\w+\s*\{", re.M)),
    (
        "python",
        re.compile(
            r"^(from\s+[\w.]+\s+import\s|import\s+\w+\s*$|def\s+\w+\(.*\)\s*(->.*)?:\s*$|"
            r"class\s+\w+(\(.*\))?:\s*$)",
            re.M,
        ),
    ),
    ("go", re.compile(r"^package[ \t]+\w+[ \t]*$(?=[\s\S]{0,20000}?^func\s)", re.M)),
    ("rust", re.compile(r"^[ \t]*(pub\s+)?fn\s+\w+|^use\s+\w+(::\w+)+;", re.M)),
    ("javascript", re.compile(r"\bfunction\s+\w+\s*\(|\bconst\s+\w+\s*=\s*require\(|^export\s+(default\s+)?", re.M)),
    ("sql", re.compile(r"^[ \t]*(CREATE\s+(TABLE|VIEW|INDEX)|SELECT\s.+\sFROM\s|INSERT\s+INTO)\s", re.M | re.I)),
    ("shell", re.compile(r"^[ \t]*(if\s+\[|fi$|esac$|export\s+\w+=|\w+\(\)\s*\{)", re.M)),
]

_FUNCTION_PATTERNS = {
    "javascript": re.compile(
        r"^[ \t]*(?:export\s+)?(?:async\s+)?function\s*\*?\s*(\w+)|"
        r"^[ \t]*(?:export\s+)?(?:const|let|var)\s+(\w+)\s*=\s*"
        r"(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>",
        re.M,
    ),
    "shell": re.compile(r"^[ \t]*(?:function\s+)?([A-Za-z_][\w:-]*)\s*\(\)\s*\{?", re.M),
    "go": re.compile(r"^func\s+(?:\([^)]*\)\s*)?(\w+)", re.M),
    "rust": re.compile(r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)", re.M),
    # Bounded spans: the return type may sit on the line above, but no match may scan the file.
    "c": re.compile(
        r"^(?:static\s+|inline\s+|extern\s+)*[A-Za-z_][\w\s\*]{0,120}?\b(\w+)\s{0,20}\([^;{]{0,2000}\)"
        r"\s{0,20}\{",
        re.M,
    ),
    "perl": re.compile(r"^[ \t]*sub\s+(\w+)", re.M),
    "ruby": re.compile(r"^[ \t]*def\s+(?:self\.)?(\w+[?!]?)", re.M),
    "php": re.compile(r"^[ \t]*(?:(?:public|private|protected|static|abstract|final)\s+)*function\s+(\w+)", re.M),
    "java": re.compile(r"^[ \t]*(?:public|private|protected)\s+(?:static\s+)?[\w<>\[\]]+\s+(\w+)\s*\(", re.M),
}
_FUNCTION_PATTERNS["typescript"] = _FUNCTION_PATTERNS["javascript"]
_FUNCTION_PATTERNS["c++"] = _FUNCTION_PATTERNS["c"]
_CLASS_PATTERNS = {
    "javascript": re.compile(r"^[ \t]*(?:export\s+)?(?:default\s+)?class\s+(\w+)", re.M),
    "c": re.compile(r"^[ \t]*(?:typedef\s+)?struct\s+(\w+)\s*\{", re.M),
    "c++": re.compile(r"^[ \t]*(?:class|struct)\s+(\w+)\s*(?::[^{;]*)?\{", re.M),
    "go": re.compile(r"^type\s+(\w+)\s+(?:struct|interface)", re.M),
    "rust": re.compile(r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum|trait)\s+(\w+)", re.M),
    "ruby": re.compile(r"^[ \t]*(?:class|module)\s+([\w:]+)", re.M),
    "php": re.compile(r"^[ \t]*(?:abstract\s+|final\s+)?class\s+(\w+)", re.M),
    "java": re.compile(r"^[ \t]*(?:public\s+|abstract\s+|final\s+)*(?:class|interface|enum)\s+(\w+)", re.M),
    "perl": re.compile(r"^[ \t]*package\s+([\w:]+)\s*;", re.M),
}
_CLASS_PATTERNS["typescript"] = re.compile(
    r"^[ \t]*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?"
    r"(?:class|interface|type|enum)\s+(\w+)",
    re.M,
)
_IMPORT_PATTERNS = {
    "javascript": re.compile(
        r"^[ \t]*import\s.*?from\s+['\"]([^'\"]+)['\"]|require\(\s*['\"]([^'\"]+)['\"]\s*\)|"
        r"^[ \t]*import\s+['\"]([^'\"]+)['\"]",
        re.M,
    ),
    "c": re.compile(r"^[ \t]*#\s*include\s*[<\"]([^>\"]+)[>\"]", re.M),
    "go": re.compile(r"^[ \t]*(?:import\s+)?(?:\w+\s+)?\"([\w./-]+)\"\s*$", re.M),
    "rust": re.compile(r"^[ \t]*use\s+([\w:]+)|^[ \t]*extern\s+crate\s+(\w+)", re.M),
    "perl": re.compile(r"^[ \t]*(?:use|require)\s+([A-Z][\w:]+)", re.M),
    "ruby": re.compile(r"^[ \t]*require(?:_relative)?\s+['\"]([^'\"]+)['\"]", re.M),
    "shell": re.compile(r"^[ \t]*(?:source|\.)\s+([^\s;]+)", re.M),
    "php": re.compile(r"^[ \t]*(?:use\s+([\w\\]+)|(?:require|include)(?:_once)?\s*\(?\s*['\"]([^'\"]+)['\"])", re.M),
    "java": re.compile(r"^[ \t]*import\s+(?:static\s+)?([\w.*]+)\s*;", re.M),
}
_IMPORT_PATTERNS["typescript"] = _IMPORT_PATTERNS["javascript"]
_IMPORT_PATTERNS["c++"] = _IMPORT_PATTERNS["c"]
_C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "else", "do"}
_TODO_RE = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
MAX_NAMES = 300


def shebang_language(text: str) -> str | None:
    """The language a ``#!`` line names (``#!/usr/bin/env python3`` -> python)."""
    if not text.startswith("#!"):
        return None
    words = text[2:].split("\n", 1)[0].split()
    if not words:
        return None
    prog = os.path.basename(words[0])
    if prog == "env":
        args = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        prog = os.path.basename(args[0]) if args else ""
    prog = re.sub(r"[\d.]+$", "", prog.lower()) or prog.lower()
    return LANGUAGE_BY_INTERPRETER.get(prog) or LANGUAGE_BY_INTERPRETER.get(prog.rstrip("0123456789."))


def detect_language(path: str, text: str) -> tuple[str | None, str]:
    """(language, how it was told: extension, name, shebang or content)."""
    name = os.path.basename(path).lower()
    ext = os.path.splitext(name)[1]
    by_shebang = shebang_language(text)
    if name in LANGUAGE_BY_NAME:
        return LANGUAGE_BY_NAME[name], "name"
    if ext == ".h" and re.search(r"^[ \t]*(class|namespace|template)\b|\bstd::", text[:20000], re.M):
        return "c++", "content"  # a C++ header
    if ext in LANGUAGE_BY_EXTENSION:
        return LANGUAGE_BY_EXTENSION[ext], "extension"
    if by_shebang:
        return by_shebang, "shebang"
    known = known_code_language(name)
    if known:
        return known, "name"
    if lock_file(name, text):
        return "lockfile", "name"
    by_lines = code_by_lines(text) or template_language(text)
    if by_lines:
        return by_lines, "content"
    head = text[:20000]
    for language, pattern in _CONTENT_HINTS:
        if pattern.search(head):
            return language, "content"
    if yaml_shaped(head):
        return "yaml", "content"
    if block_shaped(head):
        return "config", "content"  # blocks of statements in no language we name: a config (nginx, HCL)
    return None, "unknown"


def _python_structure(text: str) -> dict[str, Any] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    functions: list[str] = []
    classes: list[str] = []
    imports: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append(prefix + child.name)
            elif isinstance(child, ast.ClassDef):
                classes.append(prefix + child.name)
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.Import):
                imports.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                imports.append("." * child.level + (child.module or ""))
            elif isinstance(child, (ast.If, ast.Try, ast.With, ast.AsyncWith)) or type(child).__name__ == "TryStar":
                visit(child, prefix)  # imports and defs under `if TYPE_CHECKING:` / `try:` count

    visit(tree, "")
    return {
        "functions": functions,
        "classes": classes,
        "imports": list(dict.fromkeys(imports)),
        "docstring": (ast.get_docstring(tree) or "")[:1000] or None,
        "syntax_ok": True,
    }


def _pattern_names(pattern: re.Pattern[str] | None, text: str) -> list[str]:
    if pattern is None:
        return []
    names: list[str] = []
    for m in pattern.finditer(text):
        name = next((g for g in m.groups() if g), None)
        if name and name not in _C_KEYWORDS:
            names.append(name)
        if len(names) >= MAX_NAMES:
            break
    return list(dict.fromkeys(names))


def dependencies(language: str | None, imports: list[str]) -> list[str]:
    """External packages among the imports: for Python, top-level names outside the stdlib."""
    if language != "python":
        return []
    deps = []
    for name in imports:
        top = name.split(".")[0]
        if top and not name.startswith(".") and top not in sys.stdlib_module_names and top != "__future__":
            deps.append(top)
    return list(dict.fromkeys(deps))


def code_facts(path: str, text: str) -> dict[str, Any]:
    """Language, how it was told, functions, classes, imports, TODO count, test-file flag."""
    language, how = detect_language(path, text)
    facts: dict[str, Any] = {"language": language, "language_evidence": how}
    structure = _python_structure(text) if language == "python" else None
    if structure is not None:
        facts.update(structure)
    else:
        if language == "python":
            facts["syntax_ok"] = False
            functions = re.findall(r"^[ \t]*(?:async\s+)?def\s+(\w+)", text, re.M)
            classes = re.findall(r"^[ \t]*class\s+(\w+)", text, re.M)
            imports = re.findall(r"^[ \t]*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", text, re.M)
            facts.update(
                functions=functions[:MAX_NAMES],
                classes=classes[:MAX_NAMES],
                imports=list(dict.fromkeys(a or b for a, b in imports)),
            )
        else:
            facts["functions"] = _pattern_names(_FUNCTION_PATTERNS.get(language or ""), text)
            facts["classes"] = _pattern_names(_CLASS_PATTERNS.get(language or ""), text)
            facts["imports"] = _pattern_names(_IMPORT_PATTERNS.get(language or ""), text)
    for key in ("functions", "classes", "imports"):
        facts[key] = facts.get(key, [])[:MAX_NAMES]
    facts["dependencies"] = dependencies(language, facts["imports"])
    facts["todo_count"] = len(_TODO_RE.findall(text))
    base = os.path.basename(path).lower()
    facts["is_test"] = (
        bool(re.match(r"(test_.*|.*_test\.\w+|.*\.(test|spec)\.\w+|conftest\.py)$", base))
        or "/tests/" in path.replace(os.sep, "/")
        or "/test/" in path.replace(os.sep, "/")
    )
    return facts
