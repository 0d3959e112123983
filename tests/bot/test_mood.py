"""Mood: a deterministic classifier, trait-shaped reactions, relaxing toward the baseline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from adapters.collecting import CollectingAdapter
from personas.mood import EMOTIONS, Mood, baseline, classify, react, relax
from tests.support.fake_openai import FakeOpenAI

T0 = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I'm so happy today, this is great!", "joy"),
        ("I feel lonely and sad", "sadness"),
        ("This is STUPID and I HATE it!!", "anger"),
        ("I'm worried about the exam, kind of scared", "fear"),
        ("Thank you so much, I appreciate it", "gratitude"),
        ("why does the moon change shape? I wonder", "curiosity"),
        ("I love you ❤", "love"),
        ("the meeting is at noon", "calm"),
    ],
)
def test_the_classifier_names_the_emotion(text: str, emotion: str) -> None:
    felt = classify(text)
    assert felt.emotion == emotion
    assert felt == classify(text)  # deterministic
    assert 0 <= felt.intensity <= 100
    assert len(EMOTIONS) == 12


def test_emphasis_raises_intensity() -> None:
    assert classify("I hate this!!!").intensity > classify("i hate this").intensity


def test_traits_shape_the_reaction() -> None:
    calm = Mood("calm", 30)
    anger = classify("you are useless, I hate this")
    touchy = react(calm, anger, {"neuroticism": 90, "agreeableness": 20})
    gentle = react(calm, anger, {"neuroticism": 20, "agreeableness": 90})
    assert touchy.emotion == "anger" and touchy.intensity > gentle.intensity
    joy = classify("yay this is awesome")
    assert (
        react(calm, joy, {"extraversion": 90}).intensity
        > react(calm, joy, {"extraversion": 10}).intensity
    )


def test_moods_relax_toward_the_baseline() -> None:
    rest = baseline({})
    upset = Mood("anger", 80)
    assert relax(upset, rest, T0, T0, 6) == upset
    half = relax(upset, rest, T0, T0 + timedelta(hours=6), 6)
    assert half.emotion == "anger" and half.intensity == pytest.approx(40)
    assert relax(upset, rest, T0, T0 + timedelta(hours=48), 6) == rest
    assert baseline({"extraversion": 90}).emotion == "joy"


async def test_the_mood_reaches_the_prompt_and_persona_show(
    user: Callable[..., CollectingAdapter], fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say("Thank you so much, I really appreciate your help!")
    system = fake_llm.chat_requests[-1]["messages"][0]["content"]
    assert "Your current mood toward Alice: grateful (" in system
    shown = (await alice.say("/persona show")).text
    assert "mood toward you: grateful (" in shown
    bob = user("bob")
    theirs = (await bob.say("/persona show")).text
    assert "mood toward you:" in theirs and "grateful" not in theirs  # per user
