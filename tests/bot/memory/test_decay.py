"""Memory decay with an injected clock: formulas, recall, exemptions, tiers, idempotence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.config import DecayConfig
from bot.memory.service import MemoryService
from storage.decay import Decay, strength
from storage.models import MemoryItem, PersonaRow
from storage.vectors import VectorStore
from tests.bot.memory.conftest import NOW, make_owners

H = 30.0


@pytest.mark.parametrize("function", ["exponential", "linear", "logarithmic"])
def test_every_function_halves_at_the_half_life(function: str) -> None:
    assert strength(function, 0, H) == 1.0
    assert strength(function, H, H) == pytest.approx(0.5)
    assert strength(function, H, H, recalls=1) > 0.5  # a recall slows the fading
    assert strength(function, 2 * H, H, recalls=1) == pytest.approx(0.5)
    values = [strength(function, d, H) for d in range(0, 200, 5)]
    assert values == sorted(values, reverse=True) and min(values) >= 0


def test_the_curves_differ_as_documented() -> None:
    assert strength("exponential", 2 * H, H) == pytest.approx(0.25)
    assert strength("linear", 2 * H, H) == 0.0
    assert strength("logarithmic", 3 * H, H) == pytest.approx(0.0)
    # logarithmic drops fastest early, linear holds up longest before the half-life
    early = H / 3
    assert strength("logarithmic", early, H) < strength("exponential", early, H)
    assert strength("linear", early, H) > strength("exponential", early, H)


async def _rows(memory: MemoryService) -> dict[int, tuple[Any, ...]]:
    async with memory.db.sessions() as s:  # type: ignore[attr-defined]
        rows = await s.execute(
            select(MemoryItem.id, MemoryItem.strength, MemoryItem.tier, MemoryItem.archived_at)
        )
        return {r[0]: tuple(r[1:]) for r in rows}


def _decay(memory: MemoryService, **config: Any) -> Decay:
    return Decay(memory.db, memory.vectors, DecayConfig(**config))  # type: ignore[attr-defined]


@pytest.mark.parametrize("function", ["exponential", "linear", "logarithmic"])
async def test_the_sql_job_matches_the_formula(memory: MemoryService, function: str) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    ages = [0, 3, 10, 30, 45, 70]
    items = [await memory.remember(owner, f"fact {a}", at=NOW - timedelta(days=a)) for a in ages]
    await _decay(memory, function=function, half_life_days=H).run(NOW)
    rows = await _rows(memory)
    for item, age in zip(items, ages, strict=True):
        assert rows[item.id][0] == pytest.approx(strength(function, age, H), abs=1e-6)


async def test_recall_resets_and_slows_the_fading(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    item = await memory.remember(owner, "My sister lives in Lisbon", at=NOW - timedelta(days=20))
    decay = _decay(memory, half_life_days=H)
    await decay.run(NOW)
    assert (await _rows(memory))[item.id][0] == pytest.approx(strength("exponential", 20, H))
    await memory.recall(owner, "where does my sister live", 1, now=NOW)
    await memory.settle()  # strengthening is written after recall answers
    [fresh] = await memory.repo.get(owner, [item.id])
    assert fresh.strength == 1.0 and fresh.tier == "hot" and fresh.recall_count == 1
    await decay.run(NOW + timedelta(days=H))
    # one recall doubled the half-life: a month later it is at 0.5 ** 0.5, not 0.5
    assert (await _rows(memory))[item.id][0] == pytest.approx(0.5**0.5)


async def test_pinned_and_important_memories_never_fade(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    old = NOW - timedelta(days=400)
    pinned = await memory.remember(owner, "Pinned thing", at=old)
    vital = await memory.remember(owner, "I am allergic to penicillin", at=old, importance=0.95)
    plain = await memory.remember(owner, "We talked about clouds", at=old)
    await memory.repo.set_pinned(owner, pinned.id, True)
    await _decay(memory).run(NOW)
    rows = await _rows(memory)
    assert rows[pinned.id][:2] == (1.0, "hot") and rows[vital.id][:2] == (1.0, "hot")
    assert rows[plain.id][1] == "archived"


async def test_tiers_follow_strength_and_archived_leave_recall(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    ages = {"hot": 5, "warm": 40, "cold": 70, "archived": 120}
    items = {
        tier: await memory.remember(
            owner, f"the {tier} memory about tea", at=NOW - timedelta(days=a)
        )
        for tier, a in ages.items()
    }
    result = await _decay(memory).run(NOW)
    rows = await _rows(memory)
    assert {tier: rows[i.id][1] for tier, i in items.items()} == {t: t for t in ages}
    assert rows[items["archived"].id][2] == NOW
    assert result.updated == 4 and result.archived == 1
    assert items["archived"].id not in await memory.vectors.ids(owner)
    found = await memory.recall(owner, "memory about tea", 10, now=NOW)
    assert items["archived"].id not in {r.id for r in found}
    exported = await memory.export(owner)
    assert "the archived memory about tea" in str(exported)


async def test_a_second_run_changes_nothing(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    for a in (1, 20, 50, 90, 200):
        await memory.remember(owner, f"thing {a}", at=NOW - timedelta(days=a))
    decay = _decay(memory)
    await decay.run(NOW)
    once = await _rows(memory)
    index_once = await memory.vectors.ids(owner)
    await decay.run(NOW)
    assert await _rows(memory) == once
    assert await memory.vectors.ids(owner) == index_once


class _CrashingIndex(VectorStore):
    """The vector store, dying once in the middle of the archiving step."""

    crashes = 1

    async def delete_ids(self, ids: Any, batch: int = 5000) -> None:
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed mid-run")
        await super().delete_ids(ids, batch)


async def test_a_crash_mid_run_is_repaired_by_the_next_run(
    memory: MemoryService, tmp_path: Any
) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    gone = await memory.remember(owner, "an old, old story", at=NOW - timedelta(days=300))
    kept = await memory.remember(owner, "yesterday's news", at=NOW - timedelta(days=1))
    crashing = _CrashingIndex(tmp_path / "lancedb", 384)
    decay = Decay(memory.db, crashing, DecayConfig())  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        await decay.run(NOW)
    assert (await _rows(memory))[gone.id][1] == "archived"  # SQL done, index not
    await decay.run(NOW + timedelta(hours=1))  # the next run, from the last good one (none)
    ids = await crashing.ids(owner)
    assert gone.id not in ids and kept.id in ids
    await crashing.close()


async def test_a_persona_can_override_the_decay(memory: MemoryService) -> None:
    [fast, slow] = await make_owners(memory.db, 1, 2)  # type: ignore[attr-defined]
    async with memory.db.write() as s:  # type: ignore[attr-defined]
        await s.execute(
            update(PersonaRow).where(PersonaRow.id == fast.persona_id).values(decay="linear:10")
        )
        await s.commit()
    a = await memory.remember(fast, "fast fading", at=NOW - timedelta(days=10))
    b = await memory.remember(slow, "slow fading", at=NOW - timedelta(days=10))
    await _decay(memory, half_life_days=H).run(NOW)
    rows = await _rows(memory)
    assert rows[a.id][0] == pytest.approx(strength("linear", 10, 10))
    assert rows[b.id][0] == pytest.approx(strength("exponential", 10, H))


async def test_retention_deletes_only_long_archived_memories(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    item = await memory.remember(owner, "forgotten long ago", at=NOW - timedelta(days=300))
    decay = _decay(memory, retention_days=30)
    await decay.run(NOW)
    assert item.id in await _rows(memory)  # archived today: kept for now
    result = await decay.run(NOW + timedelta(days=31))
    assert result.deleted == 1 and item.id not in await _rows(memory)
