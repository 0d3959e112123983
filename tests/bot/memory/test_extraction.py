"""Fact extraction against the loopback LLM returning scripted JSON: add, update, delete, no-op."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from bot.app import build_core
from bot.core import Core
from bot.memory.embeddings import Embedder
from bot.memory.extract import MalformedExtraction, parse
from bot.memory.knowledge import KnowledgeKeeper
from storage.keys import OwnerKey
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
async def core(tmp_path: Path, fake_llm: FakeOpenAI) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, fake_llm.base_url, memory={"extraction": True})
    core = build_core(settings)
    await core.start()
    yield core
    await core.close()


def ops(*items: dict[str, object]) -> str:
    return json.dumps({"memories": list(items)})


async def say(core: Core, text: str, user: str = "alice") -> None:
    reply = await core.handle_text(who(user), text)
    assert not reply.error
    assert core.extractor is not None
    await core.extractor.wait()


async def facts(core: Core, user: str = "alice") -> list[tuple[int, str, str]]:
    ctx = await core.context(who(user))
    persona = await core.personas.active(ctx)
    assert core.memory is not None
    owner = OwnerKey(ctx.user_id, persona.id)
    items = await core.memory.repo.page(owner, limit=100)
    return [(i.id, i.kind, i.text) for i in items if i.kind != "episode"]


async def test_add_update_delete_and_history(core: Core, fake_llm: FakeOpenAI) -> None:
    fake_llm.json_next(
        ops({"op": "add", "kind": "fact", "text": "The user lives in Porto", "importance": 0.8})
    )
    await say(core, "I live in Porto these days")
    [(porto_id, kind, text)] = await facts(core)
    assert (kind, text) == ("fact", "The user lives in Porto")
    extraction = fake_llm.requests[-1]
    assert extraction["response_format"] == {"type": "json_object"}
    assert "I live in Porto these days" in extraction["messages"][1]["content"]

    fake_llm.json_next(
        ops(
            {
                "op": "update",
                "id": porto_id,
                "kind": "fact",
                "text": "The user lives in Lisbon",
                "importance": 0.8,
            }
        )
    )
    await say(core, "Actually I moved, I live in Lisbon now")
    assert (
        f"id {porto_id}: The user lives in Porto"
        in fake_llm.requests[-1]["messages"][1]["content"]
    )
    [(lisbon_id, _, text)] = await facts(core)
    assert text == "The user lives in Lisbon" and lisbon_id != porto_id
    assert core.memory is not None
    ctx = await core.context(who("alice"))
    owner = OwnerKey(ctx.user_id, (await core.personas.active(ctx)).id)
    history = {i["text"]: i for i in (await core.memory.export(owner))["items"]}
    assert history["The user lives in Porto"]["status"] == "superseded"
    assert history["The user lives in Porto"]["superseded_by"] == lisbon_id
    assert porto_id not in await core.memory.vectors.ids(owner)

    fake_llm.json_next(ops({"op": "delete", "id": lisbon_id}))
    await say(core, "I don't live in Lisbon any more, I'm travelling")
    assert await facts(core) == []
    assert lisbon_id not in await core.memory.vectors.ids(owner)
    exported = {i["text"]: i["status"] for i in (await core.memory.export(owner))["items"]}
    assert exported["The user lives in Lisbon"] == "contradicted"


async def test_repeated_facts_do_not_pile_up(core: Core, fake_llm: FakeOpenAI) -> None:
    add = ops({"op": "add", "kind": "preference", "text": "The user likes green tea"})
    fake_llm.json_next(add, add)
    await say(core, "I like green tea")
    await say(core, "Did I say I like green tea?")
    assert [t for _, _, t in await facts(core)] == ["The user likes green tea"]


async def test_noop_and_foreign_ids_change_nothing(core: Core, fake_llm: FakeOpenAI) -> None:
    fake_llm.json_next(ops({"op": "add", "text": "The user has a dog named Rex"}))
    await say(core, "my dog Rex is great", user="bob")
    [(rex_id, _, _)] = await facts(core, "bob")
    # Alice's extraction names Bob's item: it was never offered, so it is left alone.
    fake_llm.json_next(ops({"op": "delete", "id": rex_id}, {"op": "none"}))
    await say(core, "my dog Rex is great", user="alice")
    assert await facts(core, "alice") == []
    assert [i for i, _, _ in await facts(core, "bob")] == [rex_id]


async def test_malformed_output_is_retried_then_given_up(core: Core, fake_llm: FakeOpenAI) -> None:
    fake_llm.json_next("this is not json", '{"memories": [{"op": "explode"}]}')
    reply = await core.handle_text(who("alice"), "I was born in 1990")
    assert reply.text == "echo: I was born in 1990"  # the reply never depends on extraction
    assert core.extractor is not None
    await core.extractor.wait()  # first attempt: not JSON
    assert await facts(core) == []
    fake_llm.json_next(ops({"op": "add", "text": "The user was born in 1990"}))
    await core.extractor.drain()  # second attempt: bad op, third: good
    await core.extractor.drain()
    assert [t for _, _, t in await facts(core)] == ["The user was born in 1990"]
    before = len(fake_llm.requests)
    await core.extractor.drain()
    assert len(fake_llm.requests) == before  # done: not extracted again


def test_parse_tolerates_fences_and_rejects_garbage() -> None:
    fenced = 'Sure!\n```json\n{"memories": [{"op": "add", "text": "x"}]}\n```'
    assert parse(fenced).memories[0].text == "x"
    for bad in ("", "[]", '{"memories": "no"}', '{"memories": [{"op": "add", "importance": 7}]}'):
        with pytest.raises(MalformedExtraction):
            parse(bad)


def test_extraction_is_off_for_the_embedded_model_unless_a_model_is_named(tmp_path: Path) -> None:
    from bot.config import Settings

    embedded = Settings.model_validate({"data_dir": str(tmp_path)})  # llm.model: embedded/...
    assert build_core(embedded).extractor is None
    named = Settings.model_validate(
        {"data_dir": str(tmp_path), "memory": {"extraction_model": "openai/gpt-4o-mini"}}
    )
    core = build_core(named)
    assert core.extractor is not None and core.extractor.model == "openai/gpt-4o-mini"


@dataclass
class CountingEmbedder:
    """The real embedder, with the texts it was asked to embed kept."""

    inner: Embedder
    texts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return await self.inner.embed(texts)


async def test_a_turns_recall_serves_its_extraction(core: Core, fake_llm: FakeOpenAI) -> None:
    fake_llm.json_next(ops({"op": "add", "kind": "fact", "text": "The user lives in Porto"}))
    await say(core, "I live in Porto these days")
    assert core.memory is not None
    counting = CountingEmbedder(core.memory.embedder)
    core.memory.embedder = counting
    fake_llm.json_next(ops({"op": "none"}))
    await say(core, "Do you know where Porto is?")
    # The message was embedded once, for its recall and its episode; extraction offered the
    # fact that recall found without searching again.
    assert counting.texts == ["Do you know where Porto is?"]
    [(porto_id, _, _)] = await facts(core)
    assert (
        f"id {porto_id}: The user lives in Porto"
        in fake_llm.requests[-1]["messages"][1]["content"]
    )


async def test_left_over_exchanges_are_distilled_in_one_call_per_owner(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    """Turns stored while extraction was off (a restart, an outage) are read in batches of one
    (user, persona) each: one call per owner, never two owners' words in one prompt, and the
    known facts come from a recall of their own (the turns' hints died with the process)."""
    said = {"alice": [f"alice note {i} about Porto" for i in range(5)]}
    said["bob"] = [f"bob note {i} about Porto" for i in range(5)]
    off = build_core(make_settings(tmp_path, fake_llm.base_url))
    await off.start()
    assert off.memory is not None
    ctx = await off.context(who("alice"))
    owner = OwnerKey(ctx.user_id, (await off.personas.active(ctx)).id)
    porto = await off.memory.remember(owner, "The user lives in Porto", kind="fact")
    for i in range(5):
        for name in ("alice", "bob"):
            assert not (await off.handle_text(who(name), said[name][i])).error
    await off.close()

    before = len(fake_llm.requests)
    on = build_core(make_settings(tmp_path, fake_llm.base_url, memory={"extraction": True}))
    await on.start()  # schedules a pass over what was left
    assert on.extractor is not None
    await on.extractor.wait()
    calls = [r for r in fake_llm.requests[before:] if r.get("response_format")]
    assert len(calls) == 2
    prompts = {c["messages"][1]["content"] for c in calls}
    alices = next(p for p in prompts if "alice note" in p)
    bobs = next(p for p in prompts if "bob note" in p)
    assert all(text in alices for text in said["alice"]) and "bob note" not in alices
    assert all(text in bobs for text in said["bob"]) and "alice note" not in bobs
    assert f"id {porto.id}: The user lives in Porto" in alices
    assert "The user lives in Porto" not in bobs
    before = len(fake_llm.requests)
    assert await on.extractor.drain() == 0  # all marked done
    assert len(fake_llm.requests) == before
    await on.close()


def test_the_knowledge_pass_is_due_when_a_multiple_was_passed(tmp_path: Path) -> None:
    """Batched extraction checks a persona after several uses: a multiple of `every` passed
    since the last check counts, not only landing on one."""
    from personas.model import Persona

    keeper = KnowledgeKeeper(None, None, None, "m", every=5, min_users=3)  # type: ignore[arg-type]
    at = lambda n: Persona(1, "p", "P", usage_count=n)  # noqa: E731
    assert keeper.due(at(10)) and not keeper.due(at(11))
    assert keeper.due(at(11), since=8) and keeper.due(at(10), since=9)
    assert not keeper.due(at(14), since=10) and not keeper.due(at(10), since=10)
    off = KnowledgeKeeper(None, None, None, "m", every=0, min_users=3)  # type: ignore[arg-type]
    assert not off.due(at(10), since=1)


async def test_a_fact_from_a_batch_is_traced_to_the_exchange_it_came_from(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    off = build_core(make_settings(tmp_path, fake_llm.base_url))
    await off.start()
    said = ["hello there", "my dog is called Rex", "I work nights as a nurse"]
    for text in said:
        await off.handle_text(who("alice"), text)
    await off.close()
    fake_llm.json_next(
        ops(
            {"op": "add", "text": "The user has a dog named Rex", "exchange": 2},
            {"op": "add", "text": "The user is a nurse"},  # no number: the latest exchange
            {"op": "add", "text": "The user says hello", "exchange": 9},  # not shown: latest
        )
    )
    on = build_core(make_settings(tmp_path, fake_llm.base_url, memory={"extraction": True}))
    await on.start()
    assert on.extractor is not None
    await on.extractor.wait()
    prompt = [r for r in fake_llm.requests if r.get("response_format")][-1]
    assert "Exchange 2:\nUser: my dog is called Rex" in prompt["messages"][1]["content"]
    ctx = await on.context(who("alice"))
    owner = OwnerKey(ctx.user_id, (await on.personas.active(ctx)).id)
    assert on.memory is not None
    turns = {t.content: t.id for t in await on.turns.recent(owner, 10)}
    items = {i.text: i.source_turn_id for i in await on.memory.repo.page(owner, limit=20)}
    assert items["The user has a dog named Rex"] == turns["my dog is called Rex"]
    assert items["The user is a nurse"] == turns["I work nights as a nurse"]
    assert items["The user says hello"] == turns["I work nights as a nurse"]
    await on.close()
