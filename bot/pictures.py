"""Persona pictures for commands and adapters: checked off the event loop, stored once,
and shrunk to avatar size once per (picture, size)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from personas.cards import PNG_MAGIC, Card
from personas.pictures import Picture, embedded, picture, thumbnail
from storage.pictures import PictureRepo

AVATAR_CACHE = 256  # small PNGs (a few KB each) kept per process


class Pictures:
    """Checks, stores and serves persona pictures."""

    def __init__(self, repo: PictureRepo, max_bytes: int) -> None:
        self.repo = repo
        self.max_bytes = max_bytes
        self._small: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    async def check(self, data: bytes) -> Picture:
        """A picture from uploaded bytes (decoding a large image takes a thread, not the loop),
        or BadInput saying what is wrong."""
        return await asyncio.to_thread(picture, data, self.max_bytes)

    async def of_card(self, raw: bytes, card: Card) -> Picture | None:
        """An imported card's picture: the PNG file itself, else a V3 main icon embedded in the
        card as a data URI. Asset URLs are never fetched."""
        if raw.startswith(PNG_MAGIC):
            return await self.check(raw)
        for asset in card.assets:
            if _main_icon(asset) and (data := embedded(str(asset.get("uri", "")))):
                return await self.check(data)
        return None

    async def store(self, found: Picture) -> str:
        """Keep a picture; returns its id."""
        return await self.repo.put(found)

    async def get(self, picture_id: str) -> Picture | None:
        """A stored picture, whole."""
        return await self.repo.get(picture_id) if picture_id else None

    async def avatar(self, picture_id: str, side: int) -> bytes | None:
        """A square PNG of `side` pixels, for an avatar (cached)."""
        key = (picture_id, side)
        if key in self._small:
            self._small.move_to_end(key)
            return self._small[key]
        found = await self.get(picture_id)
        if found is None:
            return None
        small = await asyncio.to_thread(thumbnail, found.data, side)
        self._small[key] = small
        if len(self._small) > AVATAR_CACHE:
            self._small.popitem(last=False)
        return small


def _main_icon(asset: dict[str, Any]) -> bool:
    return asset.get("type") == "icon" and asset.get("name", "main") == "main"
