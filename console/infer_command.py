"""``clarity infer PATH... [--json]``: extraction and inference here, no daemon, nothing written."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import Any

import msgspec

from . import exit_codes


def add_parser(sub: Any) -> None:
    """Register the ``infer`` subcommand on the ``clarity`` parser."""
    p = sub.add_parser(
        "infer",
        help="say which table files would go to, with fields and confidence (no daemon)",
        epilog="exit status: 0 every file read, 65 at least one could not be (its line says why), 2 usage",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read (nothing is written anywhere)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per file, in order")
    p.add_argument("--schemas", help="folder of table schemas (default: $CLARITY_SCHEMAS or the built-in ones)")
    p.set_defaults(func=run)


def _row(result: dict[str, Any], width: int) -> str:
    path = result["path"]
    if len(path) > width:
        path = "…" + path[-(width - 1) :]
    if "error" in result:
        return f"{path:<{width}}  {'error':<22} {'':>5}  {result['error']}"
    title = next((str(result["fields"][k]) for k in ("title", "name", "path") if result["fields"].get(k)), "")
    return f"{path:<{width}}  {result['table']:<22} {result['confidence']:>5.2f}  {title[:60]}"


def _outside(path: str, given: list[str]) -> str | None:
    """Why a symlink among the given paths is not followed: its target is neither one of
    the (non-link) paths given nor inside a folder given. None for anything else."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    for other in given:
        if os.path.islink(other):
            continue
        real = os.path.realpath(other)
        if target == real or (os.path.isdir(real) and target.startswith(real.rstrip(os.sep) + os.sep)):
            return None
    return f"a symlink to {target}, outside the paths given: not followed"


def results(paths: list[str], schemas: str | None) -> Iterator[dict[str, Any]]:
    """One result per path, in order, and one per member of an archive (its path
    ``archive!member``); a bad file or member gives ``{"path", "error"}`` and the rest go on."""
    from daemon.catalog import load_catalog
    from daemon.config import REPO_SCHEMAS
    from daemon.extract import ExtractionError, ExtractLimits
    from daemon.inference import infer
    from daemon.inference.batch import infer_path
    from daemon.ingest.archives import archive_format, iter_extractions

    catalog = load_catalog(schemas or REPO_SCHEMAS)
    limits = ExtractLimits()
    for path in paths:
        try:
            refusal = _outside(path, paths)
            if refusal is not None:
                yield {"path": path, "error": refusal}
                continue
            fmt = archive_format(path) if os.path.isfile(path) else None
            if fmt is None:
                yield infer_path(path, catalog, limits)
                continue
            try:
                members = 0
                for member, found in iter_extractions(path, fmt, limits):
                    members += 1
                    if isinstance(found, ExtractionError):
                        yield {"path": member, "error": str(found)}
                        continue
                    result = infer(found, catalog)
                    yield {
                        "path": member,
                        "table": result.table,
                        "confidence": result.confidence,
                        "fields": result.fields,
                        "reasoning": result.reasoning,
                    }
                if not members:
                    # One line per path given (DESIGN.md): an archive that holds nothing says so
                    # (entries it holds but does not read as files have had their line above).
                    yield {"path": path, "error": "archive: no files in it"}
            except ExtractionError as e:
                yield {"path": path, "error": str(e)}
        except Exception as e:  # a bug on one odd file must not lose the others' answers
            yield {"path": path, "error": f"internal error: {type(e).__name__}: {e}"}


def run(args: argparse.Namespace) -> int:
    """Print one result per path, every one whatever fails; exit 0 when all were read,
    65 (DATAERR) when at least one gave an error line, so a script can tell."""
    from daemon.catalog import CatalogError

    schemas = args.schemas or os.environ.get("CLARITY_SCHEMAS")
    encoder = msgspec.json.Encoder(enc_hook=str)
    width = min(max((len(p) for p in args.paths), default=4), 60)
    if not args.json:
        print(f"{'PATH':<{width}}  {'TABLE':<22} {'CONF':>5}  TITLE")
    failed = False
    try:
        for result in results(args.paths, schemas):
            failed = failed or "error" in result
            if args.json:
                sys.stdout.write(encoder.encode(result).decode() + "\n")
            else:
                sys.stdout.write(_row(result, width) + "\n")
            sys.stdout.flush()
    except CatalogError as e:
        print(f"clarity: {e}", file=sys.stderr)
        return exit_codes.USAGE
    return exit_codes.DATAERR if failed else 0
