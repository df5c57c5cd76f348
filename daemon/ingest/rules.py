"""Which files a watched folder takes: its patterns, its excludes, and names never read.

The same rules serve the watcher, the rescans and ``ingest.file``, so a file is judged
the same way whichever way it arrived. Patterns are globs matched against the full path
with watchdog 7's own translation (``**`` crosses folders), compiled once. So that
"*.pdf" means what people expect (watchdog 7 would silently match nothing), a pattern
without a slash matches the file name at any depth, a relative one is taken from the
folder's root, and an absolute one as written. Matching ignores case.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from watchdog.utils.backwards_compat import translate  # type: ignore[attr-defined]

from ..config import Config, WatchFolder

# Names that are still being written or belong to an editor or a downloader: never read.
_TEMP_SUFFIXES = (
    ".part",
    ".partial",
    ".tmp",
    ".temp",
    ".swp",
    ".swo",
    ".swx",
    ".crdownload",
    ".download",
    ".opdownload",
    ".filepart",
    ".!ut",
    ".!qb",
    ".lock",
    "~",
)
_TEMP_NAME = re.compile(r"^(#.*#|\.~lock\..*#|~\$.*|\.#.*)$")  # emacs autosave, LibreOffice and Office locks


def is_temporary_name(name: str) -> bool:
    """True for dotfiles and the names of partial downloads, editor swap and lock files."""
    lowered = name.lower()
    return name.startswith(".") or lowered.endswith(_TEMP_SUFFIXES) or bool(_TEMP_NAME.match(name))


def compile_pattern(root: str, pattern: str) -> re.Pattern[str]:
    """A folder pattern as a regular expression over absolute paths (see the module doc)."""
    if not pattern.startswith("/"):
        pattern = f"{root}/**/{pattern}" if "/" not in pattern else f"{root}/{pattern}"
    return re.compile(translate(pattern, recursive=True, include_hidden=True, seps="/"), re.IGNORECASE)


@dataclass(frozen=True)
class FolderRule:
    """One watched folder, its root made absolute."""

    root: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]
    recursive: bool
    polling: bool
    delete_after_ingest: bool
    _include: tuple[re.Pattern[str], ...] = ()
    _exclude: tuple[re.Pattern[str], ...] = ()

    def __post_init__(self) -> None:
        include = () if self.patterns in ((), ("**",)) else self.patterns  # everything: no regex to run
        object.__setattr__(self, "_include", tuple(compile_pattern(self.root, p) for p in include))
        object.__setattr__(self, "_exclude", tuple(compile_pattern(self.root, p) for p in self.exclude))

    @classmethod
    def from_config(cls, folder: WatchFolder) -> FolderRule:
        return cls(
            root=os.path.abspath(folder.path),
            patterns=tuple(folder.patterns) or ("**",),
            exclude=tuple(folder.exclude),
            recursive=folder.recursive,
            polling=folder.polling,
            delete_after_ingest=folder.delete_after_ingest,
        )

    def contains(self, path: str) -> bool:
        """Is ``path`` inside this folder (at any depth, or directly when not recursive)?"""
        if not path.startswith(self.root + os.sep):
            return False
        return self.recursive or os.path.dirname(path) == self.root

    def accepts(self, path: str) -> bool:
        """Should a file at ``path`` (inside this folder) be ingested?"""
        if not self.contains(path):
            return False
        # Hidden or temporary components count only below the root: the root itself may
        # well live under a dot folder (~/.local/state/clarity/inbox).
        relative = path[len(self.root) + 1 :]
        if any(is_temporary_name(part) for part in relative.split(os.sep)):
            return False
        if self._include and not any(p.match(path) for p in self._include):
            return False
        return not any(p.match(path) for p in self._exclude)


class Rules:
    """Every watched folder's rule, and the places the daemon keeps for itself."""

    def __init__(self, config: Config) -> None:
        by_path = {os.path.abspath(f.path): f for f in config.ingest.folders}
        self.folders = [
            FolderRule.from_config(by_path.get(os.path.abspath(p)) or WatchFolder(path=p)) for p in config.watch
        ]
        self.state_dir = os.path.abspath(config.state_dir)
        self.quarantine_dir = os.path.join(self.state_dir, "quarantine")
        # Each folder's root with its links resolved: where a link's target must lead.
        self._real_roots = [(os.path.realpath(f.root), f.root) for f in self.folders]

    def folder_for(self, path: str) -> FolderRule | None:
        """The innermost watched folder holding ``path``, if any."""
        holders = [f for f in self.folders if f.contains(path)]
        return max(holders, key=lambda f: len(f.root)) if holders else None

    def is_internal(self, path: str) -> bool:
        """The daemon's own files (database, quarantine) are never ingested, even when a
        watched folder holds the state folder."""
        if path.startswith(self.quarantine_dir + os.sep):
            return True
        if path.startswith(self.state_dir + os.sep):
            # Inside the state folder only watched folders that are themselves inside it count.
            return not any(f.root.startswith(self.state_dir + os.sep) and f.contains(path) for f in self.folders)
        return False

    def accepts_resolved(self, real: str) -> bool:
        """Does some folder take the file at ``real`` (a path with its links resolved)? It is
        judged under the folder's own name for it, so patterns and excludes apply as written,
        and the daemon's own files are never taken."""
        if self.is_internal_resolved(real):
            return False
        for real_root, root in self._real_roots:
            if real.startswith(real_root + os.sep) and self.accepts(root + real[len(real_root) :]) is not None:
                return True
        return False

    def is_internal_resolved(self, real: str) -> bool:
        """:meth:`is_internal` for a path with its links resolved (the state folder's too)."""
        state = os.path.realpath(self.state_dir)
        if real.startswith(state + os.sep):
            return self.is_internal(self.state_dir + real[len(state) :])
        return self.is_internal(real)

    def accepts(self, path: str) -> FolderRule | None:
        """The folder rule that takes ``path``, or None when no folder takes it."""
        if self.is_internal(path):
            return None
        folder = self.folder_for(path)
        return folder if folder is not None and folder.accepts(path) else None
