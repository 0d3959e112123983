"""One person across platforms: a code shown on one account and entered (and confirmed) on
another makes them one user; wrong, malformed, expired, reused and guessed codes are refused
and change nothing; /me unlink splits them going forward."""

from __future__ import annotations

import re

from sqlalchemy import update

from bot.core import Core
from bot.links import ALPHABET, CODE_CHARS
from bot.messages import Reply, Who
from storage.community_models import LinkCode
from storage.models import utcnow

DISCORD = Who("discord", "1001", "Alice", "dm:1001", "dm")
TELEGRAM = Who("telegram", "2002", "Alice T", "2002", "dm")
BOB = Who("telegram", "3003", "Bob", "3003", "dm")


async def _code(core: Core, who: Who) -> str:
    shown = (await core.handle_text(who, "/me link")).text
    found = re.search(r"Your link code: (\S+)", shown)
    assert found, shown
    return found.group(1)


async def _enter(core: Core, who: Who, code: str) -> Reply:
    asked = await core.handle_text(who, f"/me link {code}")
    if asked.confirm is None:
        return asked
    return await core.confirm(asked.confirm.token, who, True)


async def _personas(core: Core, who: Who) -> set[str]:
    return {look.name for look in await core.persona_choices(who, "", limit=100)}


async def test_a_code_links_two_accounts_into_one_person(core: Core) -> None:
    assert not (await core.handle_text(DISCORD, '/persona create kit prompt="Kit."')).error
    await core.handle_text(DISCORD, "my cat is called Pixel")
    assert not (await core.handle_text(TELEGRAM, '/persona create tgonly prompt="T."')).error
    code = await _code(core, DISCORD)
    assert len(code) == CODE_CHARS + 1 and set(code.replace("-", "")) <= set(ALPHABET)
    asked = await core.handle_text(TELEGRAM, f"/me link {code.lower()}")  # any case
    assert asked.confirm is not None
    assert asked.text.startswith("Link this telegram account with discord account 1001?")
    done = await core.confirm(asked.confirm.token, TELEGRAM, True)
    assert done.text.startswith("Linked: this account and discord account 1001 are one person")
    assert (await core.context(TELEGRAM)).user_id == (await core.context(DISCORD)).user_id
    assert "kit" in await _personas(core, TELEGRAM)
    shown = (await core.handle_text(DISCORD, "/me show")).text
    assert "Linked accounts (one person): discord 1001, telegram 2002" in shown
    assert "tgonly" not in await _personas(core, TELEGRAM)  # set aside while linked
    assert not (await core.handle_text(TELEGRAM, "/persona switch kit")).error
    listed = await core.handle_text(TELEGRAM, "/memory list")
    assert "Pixel" in listed.text  # what was said on Discord is remembered here
    again = await _enter(core, TELEGRAM, code)
    assert again.error and "wrong or has expired" in again.text  # used once
    await core.handle_text(TELEGRAM, "/persona create both prompt=B.")

    unlinked = await core.handle_text(TELEGRAM, "/me unlink")
    assert unlinked.text.startswith("Unlinked: this account is on its own again")
    assert (await core.context(TELEGRAM)).user_id != (await core.context(DISCORD)).user_id
    assert "tgonly" in await _personas(core, TELEGRAM)
    assert "kit" not in await _personas(core, TELEGRAM)
    assert "both" in await _personas(core, DISCORD)  # made while linked: stays there
    assert (await core.handle_text(TELEGRAM, "/me unlink")).error


async def test_bad_codes_are_refused_and_change_nothing(core: Core) -> None:
    code = await _code(core, DISCORD)
    for entered, message in [
        ("hello", "that is not a link code"),
        ("0000-000000", "that code is wrong or has expired"),
    ]:
        reply = await _enter(core, TELEGRAM, entered)
        assert reply.error and message in reply.text
    same = await _enter(core, DISCORD, code)
    assert same.error and "enter the code on your other account" in same.text
    async with core.db.write() as s:
        await s.execute(update(LinkCode).values(expires_at=utcnow()))
        await s.commit()
    expired = await _enter(core, TELEGRAM, code)
    assert expired.error and "wrong or has expired" in expired.text
    assert (await core.context(TELEGRAM)).user_id != (await core.context(DISCORD)).user_id


async def test_guessing_is_cut_off_after_five_tries(core: Core) -> None:
    code = await _code(core, DISCORD)
    for n in range(4):
        assert (await _enter(core, BOB, f"AAAAA-AAAA{n}")).error
    wrong = await _enter(core, BOB, "AAAAA-AAAA9")
    assert "wrong or has expired" in wrong.text  # the fifth try is still answered
    refused = await _enter(core, BOB, code)  # even the right code, now
    assert refused.error and refused.text.startswith("too many link codes tried")
    assert (await core.context(BOB)).user_id != (await core.context(DISCORD)).user_id
    assert not (await _enter(core, TELEGRAM, code)).error  # another account is not held up
