"""`python -m bot` / `personabot`: start the bot (console by default)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

# litellm otherwise fetches a price list from the internet when it is first imported.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bot import logs
from bot.config import load_settings
from bot.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load config (one clear line on a bad key) and run."""
    # Everything the bot writes (database, memory index, exports, voice) is the user's alone.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="personabot", description=__doc__)
    parser.add_argument(
        "--config", help="config file (default: $PERSONABOT_CONFIG or config.yaml)"
    )
    sub = parser.add_subparsers(dest="cmd")
    console = sub.add_parser("console", help="chat in this terminal (or process piped lines)")
    console.add_argument("--user", help="console user name (default: your OS user)")
    sub.add_parser("run", help="start every enabled adapter (the default)")
    memory = sub.add_parser("memory", help="maintenance of the long-term memory")
    memory.add_argument("action", choices=["reindex"], help="reindex: rebuild LanceDB from SQL")
    sub.add_parser("health", help="exit 0 if the database opens and is migrated (for HEALTHCHECK)")
    sync = sub.add_parser("discord-sync", help="publish the Discord slash commands")
    sync.add_argument("--dry-run", action="store_true", help="print the JSON payload, offline")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        print(f"personabot: {err}", file=sys.stderr)
        return 2
    logs.setup(settings.log_level, settings.log_libraries)
    if sys.stdin.isatty() and args.cmd in (None, "run", "console"):
        # Importing the stack takes seconds on a cold disk; a blank terminal looks hung.
        print("personabot: starting…", file=sys.stderr, flush=True)
    from bot import app

    if args.cmd == "health":
        return asyncio.run(app.health(settings))
    if args.cmd == "memory":
        return asyncio.run(app.reindex(settings))
    if args.cmd == "discord-sync":
        return app.discord_sync(settings, dry_run=args.dry_run, guild=args.guild)
    try:
        return asyncio.run(
            app.run(
                settings, user=getattr(args, "user", None), force_console=args.cmd == "console"
            )
        )
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
