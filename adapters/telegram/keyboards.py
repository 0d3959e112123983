"""Inline keyboards whose buttons carry only a random token; what they do stays on our side.

Callback data can be forged by a modified client, so a button never names a persona or an
action by itself: the token maps to what we offered, to whom, and it expires.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Greetings, Look, Versions

PAGE = 8
TTL_S = 600.0
DATA = re.compile(r"^(sw|pg|cf):([0-9a-f]{12}):(\d{1,3}|y|n)$")
# Reply controls name the reply and the user it answered; the core checks both again.
VERSION_DATA = re.compile(r"^rv:(\d{1,12}):(\d{1,20}):(r|p|n|c)$")
GREET_DATA = re.compile(r"^gr:(\d{1,12}):(\d{1,20}):(\d{1,4})$")
STOP_DATA = re.compile(r"^st:(\d{1,20})$")  # ⏹ under a reply being written, for its user


@dataclass
class Offer:
    """A keyboard we sent: who may press it and what its buttons mean."""

    owner: str  # Telegram user id
    kind: str  # "switch" (a persona picker) | "confirm"
    looks: list[Look] = field(default_factory=list)
    confirm_token: str = ""
    path: tuple[str, ...] = ()  # the command a pick runs
    param: str = ""  # and the parameter the picked persona fills
    expires: float = 0.0


class Offers:
    """Tokens for live keyboards (bounded, expiring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self.clock = clock
        self.limit = limit
        self._offers: dict[str, Offer] = {}

    def add(self, offer: Offer) -> str:
        """Remember an offer; returns its token."""
        now = self.clock()
        if len(self._offers) >= self.limit:
            self._offers = {k: o for k, o in self._offers.items() if o.expires > now}
        token = secrets.token_hex(6)
        offer.expires = now + TTL_S
        self._offers[token] = offer
        return token

    def get(self, token: str) -> Offer | None:
        """A live offer, or None when unknown or expired."""
        offer = self._offers.get(token)
        if offer is None or offer.expires < self.clock():
            self._offers.pop(token, None)
            return None
        return offer

    def drop(self, token: str) -> None:
        """Forget an offer once it has been answered."""
        self._offers.pop(token, None)


def parse(data: str | None) -> tuple[str, str, str] | None:
    """(kind, token, argument) from callback data we could have sent, else None."""
    match = DATA.match(data or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


def switch_keyboard(token: str, looks: list[Look], page: int) -> InlineKeyboardMarkup:
    """One button per persona, PAGE per page, with ◀ ▶ when there are more."""
    start = page * PAGE
    rows = [
        [InlineKeyboardButton(f"{lk.display_name} ({lk.name})", callback_data=f"sw:{token}:{i}")]
        for i, lk in enumerate(looks[start : start + PAGE], start=start)
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"pg:{token}:{page - 1}"))
    if start + PAGE < len(looks):
        nav.append(InlineKeyboardButton("▶", callback_data=f"pg:{token}:{page + 1}"))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def confirm_keyboard(token: str) -> InlineKeyboardMarkup:
    """Yes / No."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data=f"cf:{token}:y"),
                InlineKeyboardButton("No", callback_data=f"cf:{token}:n"),
            ]
        ]
    )


def parse_versions(data: str | None) -> tuple[int, str, str] | None:
    """(reply id, the user it answered, action) from a reply-control button, else None."""
    match = VERSION_DATA.match(data or "")
    return (int(match.group(1)), match.group(2), match.group(3)) if match else None


def versions_keyboard(v: Versions, user_ref: str) -> InlineKeyboardMarkup:
    """Under a persona's reply: ◀ n/N ▶ when there are versions, and 🔄 to make another."""
    data = f"rv:{v.reply_id}:{user_ref}:"
    row = []
    if v.total > 1:
        row += [
            InlineKeyboardButton("◀", callback_data=data + "p"),
            InlineKeyboardButton(f"{v.shown}/{v.total}", callback_data=data + "c"),
            InlineKeyboardButton("▶", callback_data=data + "n"),
        ]
    row.append(InlineKeyboardButton("🔄", callback_data=data + "r"))
    return InlineKeyboardMarkup([row])


def parse_greeting(data: str | None) -> tuple[int, str, int] | None:
    """(persona id, the user it greeted, the greeting to show) from ◀ ▶ under a greeting."""
    match = GREET_DATA.match(data or "")
    return (int(match.group(1)), match.group(2), int(match.group(3))) if match else None


def greetings_keyboard(g: Greetings, user_ref: str) -> InlineKeyboardMarkup:
    """◀ n/N ▶ under a greeting that has alternates (wrapping around)."""
    data = f"gr:{g.persona_id}:{user_ref}:"
    before = (g.shown - 2) % g.total + 1
    after = g.shown % g.total + 1
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("◀", callback_data=f"{data}{before}"),
                InlineKeyboardButton(f"{g.shown}/{g.total}", callback_data=f"{data}{g.shown}"),
                InlineKeyboardButton("▶", callback_data=f"{data}{after}"),
            ]
        ]
    )


def parse_stop(data: str | None) -> str | None:
    """The user a ⏹ button was for, else None."""
    match = STOP_DATA.match(data or "")
    return match.group(1) if match else None


def stop_keyboard(user_ref: str) -> InlineKeyboardMarkup:
    """⏹ under a reply while it is being written."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("⏹ Stop", callback_data=f"st:{user_ref}")]])
