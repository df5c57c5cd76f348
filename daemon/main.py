"""``clarityd``: run the daemon in the foreground (systemd runs exactly this)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from . import __version__
from .catalog import CatalogError
from .config import ConfigError, load_config
from .logs import setup_logging
from .protocol.paths import UnsafeSocketPath
from .rpc.server import SocketInUse
from .state_dir import EX_TEMPFAIL, StateInUse, umask
from .storage.database import DatabaseURLError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="clarityd",
        description="The Clarity daemon. Configured by $CLARITY_CONFIG (YAML) and the environment: "
        "CLARITY_SOCKET, CLARITY_STATE_DIR, CLARITY_DATABASE, CLARITY_WATCH, CLARITY_SCHEMAS.",
    )
    parser.add_argument("--version", action="version", version=f"clarityd {__version__}")
    parser.add_argument("--check", action="store_true", help="validate configuration and schemas, then exit")
    args = parser.parse_args(argv)

    try:
        config = load_config()
    except ConfigError as e:
        print(f"clarityd: bad configuration: {e}", file=sys.stderr)
        return 78  # EX_CONFIG: systemd will not restart-loop on it (RestartPreventExitStatus)
    setup_logging(config.log_level)
    log = logging.getLogger("clarityd")

    from .service import Daemon  # after logging, so import-time warnings are formatted
    from .governance.policy import PolicyError, load_policy, policy_path

    if args.check:
        from .catalog import load_catalog
        from .upgrade_check import upgrade_check

        try:
            tables = load_catalog(config.schemas_dir)
            load_policy(policy_path(config))
        except (CatalogError, PolicyError) as e:
            print(f"clarityd: {e}", file=sys.stderr)
            return 78
        print(f"ok: {len(tables)} tables in {config.schemas_dir}; socket {config.socket}; state {config.state_dir}")
        for line in upgrade_check(config, tables):
            print(line)
        return 0
    os.umask(umask(config.socket_group))  # what the daemon creates is its own (see state_dir)
    try:
        asyncio.run(Daemon(config).run())
    except (CatalogError, DatabaseURLError, PolicyError, UnsafeSocketPath) as e:
        log.error("%s", e)
        return 78
    except SocketInUse as e:
        log.error("%s", e)
        return 1
    except StateInUse as e:
        log.error("%s", e)
        return EX_TEMPFAIL  # 75: busy now, perhaps not later (systemd may restart it)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
