"""The text grammar of console and Telegram: /group action positional key=value key="a b"."""

from __future__ import annotations

import shlex
from typing import Any

from bot.commands.spec import CommandSpec, Param
from bot.errors import BadInput

INT_LIMIT = 2**31
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}


def convert(param: Param, raw: str) -> Any:
    """Convert one raw string to the parameter's type, or raise BadInput naming it."""
    if param.choices and raw.lower() not in param.choices:
        raise BadInput(f"{param.name} must be one of: {', '.join(param.choices)} (got '{raw}')")
    if param.type == "int":
        try:
            number = int(raw)
        except ValueError:
            raise BadInput(f"{param.name} must be a whole number (got '{raw}')") from None
        if not -INT_LIMIT < number < INT_LIMIT:  # SQLite and the platforms stop at 64 bits
            raise BadInput(f"{param.name} is too large (got {raw[:24]}…)")
        return number
    if param.type == "float":
        try:
            return float(raw)
        except ValueError:
            raise BadInput(f"{param.name} must be a number (got '{raw}')") from None
    if param.type == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise BadInput(f"{param.name} must be yes or no (got '{raw}')")
    return raw.lower() if param.choices else raw


def find_command(
    tokens: list[str], commands: dict[tuple[str, ...], CommandSpec]
) -> tuple[CommandSpec, list[str]]:
    """Match the leading tokens to a command path; returns the command and the rest."""
    head = tokens[0][1:].split("@", 1)[0].lower()  # Telegram adds @BotName in groups
    words = [head, *[t.lower() for t in tokens[1:2]]]
    if "_" in head:  # Telegram menus can't hold spaces: /persona_switch
        words = head.split("_", 1)
        rest_from = 1
    else:
        rest_from = 2
    if tuple(words[:2]) in commands:
        return commands[tuple(words[:2])], tokens[rest_from:]
    if (words[0],) in commands:
        return commands[(words[0],)], tokens[1:]
    groups = sorted({p[0] for p in commands if len(p) > 1})
    if words[0] in groups:
        actions = sorted(p[1] for p in commands if p[0] == words[0] and len(p) > 1)
        got = f" '{words[1]}'" if len(words) > 1 else ""
        raise BadInput(
            f"unknown action{got} for /{words[0]}; try: {', '.join(actions)} "
            f"(see /help {words[0]})"
        )
    raise BadInput(f"unknown command /{words[0]} — /help lists the commands")


def split(text: str) -> list[str]:
    """Words of a command line. Quotes group words; a lone apostrophe (what's, It's) is just a
    letter, so a line that doesn't close its quotes is read with double quotes only."""
    try:
        return shlex.split(text.strip())
    except ValueError:
        pass
    lexer = shlex.shlex(text.strip(), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise BadInput(f"could not read the command: {exc} (check the quotes)") from None


def parse(
    text: str, commands: dict[tuple[str, ...], CommandSpec]
) -> tuple[CommandSpec, dict[str, Any]]:
    """Parse one command line into (command, typed arguments)."""
    tokens = split(text)
    if not tokens or not tokens[0].startswith("/"):
        raise BadInput("a command starts with /")
    spec, rest = find_command(tokens, commands)
    by_name = {p.name: p for p in spec.params}
    positional = [p for p in spec.params if p.positional]
    args: dict[str, Any] = {}
    loose: list[str] = []
    # Once every positional has its word, more words after a free-text option belong to it:
    # quotes stay optional (prompt=You are Luna.).
    slots = len(positional) if not (positional and positional[-1].greedy) else 10**6
    free = ""
    for token in rest:
        key, sep, value = token.partition("=")
        if sep and key.endswith("!") and key[:-1].lower() in by_name:  # traits!=… replaces
            key, value = key[:-1], "!" + value
        if sep and key.lower() in by_name and not by_name[key.lower()].positional:
            option = by_name[key.lower()]
            args[option.name] = convert(option, value)
            free = option.name if option.type in ("str", "text") and not option.choices else ""
        elif sep and key.isidentifier() and not (positional and positional[-1].greedy):
            named = ", ".join(p.name for p in spec.params if not p.positional) or "none"
            raise BadInput(f"{spec.name} has no option '{key}' (options: {named})")
        elif free and len(loose) >= slots:
            args[free] = f"{args[free]} {token}"
        else:
            loose.append(token)
    for param in positional:
        if not loose:
            break
        raw = " ".join(loose) if param.greedy else loose.pop(0)
        if param.greedy:
            loose = []
        args[param.name] = convert(param, raw)
    if loose:
        raise BadInput(
            f"too many values for {spec.name}: {' '.join(loose)} — usage: {spec.usage()}"
        )
    # Files travel beside the text (attachments), so the line itself never has to name them.
    missing = [
        p.name for p in spec.params if p.required and p.type != "file" and p.name not in args
    ]
    if missing:
        raise BadInput(f"{spec.name} needs {', '.join(missing)} — usage: {spec.usage()}")
    return spec, args
