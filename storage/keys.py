"""The key every memory read takes: one (user, persona) pair."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OwnerKey:
    """The (user, persona) pair that owns a memory; every memory read is keyed by it."""

    user_id: int
    persona_id: int
