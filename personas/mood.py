"""Mood: how a persona feels toward one user — one of 12 emotions and an intensity 0-100.

Each user message is read by a small deterministic classifier (a lexicon, punctuation, caps and
emoji; no model call). The persona's traits shape the reaction: neuroticism amplifies it,
agreeableness softens anger and disgust, extraversion lifts joy. Between messages the mood
relaxes toward the persona's baseline with a half-life, computed from timestamps (so relaxing
twice, or late, gives the same answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

EMOTIONS = (
    "joy",
    "sadness",
    "anger",
    "fear",
    "surprise",
    "disgust",
    "trust",
    "anticipation",
    "love",
    "gratitude",
    "curiosity",
    "calm",
)
NEGATIVE = {"sadness", "anger", "fear", "disgust"}
_LEXICON: dict[str, tuple[str, ...]] = {
    "joy": (
        "happy",
        "glad",
        "great",
        "awesome",
        "yay",
        "wonderful",
        "excited",
        "fun",
        "lol",
        "haha",
        "amazing",
        "fantastic",
        "delighted",
        "😀",
        "😄",
        "😂",
        "🎉",
    ),
    "sadness": (
        "sad",
        "unhappy",
        "depressed",
        "lonely",
        "miss",
        "cry",
        "crying",
        "tired",
        "down",
        "lost",
        "sorry",
        "grief",
        "hurts",
        "😢",
        "😭",
        "☹",
    ),
    "anger": (
        "angry",
        "mad",
        "furious",
        "hate",
        "annoyed",
        "annoying",
        "stupid",
        "idiot",
        "useless",
        "ridiculous",
        "wtf",
        "damn",
        "😠",
        "😡",
    ),
    "fear": (
        "scared",
        "afraid",
        "worried",
        "anxious",
        "nervous",
        "panic",
        "terrified",
        "fear",
        "frightened",
        "😨",
        "😱",
    ),
    "surprise": (
        "wow",
        "whoa",
        "really",
        "unbelievable",
        "omg",
        "unexpected",
        "surprised",
        "😮",
        "😲",
    ),
    "disgust": ("gross", "disgusting", "yuck", "ew", "eww", "nasty", "revolting", "🤢"),
    "trust": ("trust", "rely", "honest", "believe", "count on", "promise", "safe"),
    "anticipation": (
        "soon",
        "tomorrow",
        "can't wait",
        "looking forward",
        "plan",
        "hope",
        "upcoming",
        "next week",
    ),
    "love": ("love", "adore", "darling", "sweetheart", "hug", "kiss", "❤", "😍", "🥰"),
    "gratitude": ("thanks", "thank you", "thx", "grateful", "appreciate", "🙏"),
    "curiosity": ("why", "how", "what if", "wonder", "curious", "explain", "tell me", "?"),
    "calm": ("ok", "okay", "fine", "alright", "relax", "chill", "peaceful", "calm"),
}
_WORD = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Mood:
    """An emotion and how strongly it is felt (0-100)."""

    emotion: str
    intensity: float

    def describe(self) -> str:
        """For prompts and /persona show: "curious (45/100)"."""
        word = {
            "joy": "joyful",
            "sadness": "sad",
            "anger": "angry",
            "fear": "afraid",
            "surprise": "surprised",
            "disgust": "disgusted",
            "trust": "trusting",
            "anticipation": "expectant",
            "love": "affectionate",
            "gratitude": "grateful",
            "curiosity": "curious",
            "calm": "calm",
        }[self.emotion]
        return f"{word} ({round(self.intensity)}/100)"


def classify(text: str) -> Mood:
    """The emotion a message expresses most, and how strongly (calm 0 when none)."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    joined = " " + " ".join(words) + " "
    scores: dict[str, float] = {}
    for emotion, cues in _LEXICON.items():
        hits = 0
        for cue in cues:
            if cue.isascii() and cue.replace(" ", "").replace("'", "").isalnum():
                hits += joined.count(f" {cue} ")
            else:
                hits += lowered.count(cue)
        if hits:
            scores[emotion] = float(hits)
    if not scores:
        return Mood("calm", 0.0)
    emphasis = 1.0 + 0.25 * min(4, text.count("!"))
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        emphasis += 0.5  # SHOUTING
    best = max(EMOTIONS, key=lambda e: (scores.get(e, 0.0), -EMOTIONS.index(e)))
    intensity = min(100.0, 30.0 * scores[best] * emphasis)
    return Mood(best, intensity)


def baseline(traits: dict[str, int]) -> Mood:
    """Where a persona's mood rests: calm, or joyful for the very extraverted."""
    extraversion = traits.get("extraversion", 50)
    neuroticism = traits.get("neuroticism", 50)
    if extraversion >= 70:
        return Mood("joy", 20 + (extraversion - 70) / 2)
    return Mood("calm", max(10.0, 40 - neuroticism / 4))


def react(current: Mood, felt: Mood, traits: dict[str, int]) -> Mood:
    """The persona's new mood after a message that expressed `felt`."""
    if felt.intensity <= 0:
        return current
    gain = 0.5 + traits.get("neuroticism", 50) / 100  # 0.5 (stable) … 1.5 (volatile)
    if felt.emotion in ("anger", "disgust"):
        gain *= 1.5 - traits.get("agreeableness", 50) / 100  # kind personas don't flare up
    if felt.emotion == "joy":
        gain *= 0.75 + traits.get("extraversion", 50) / 200
    push = felt.intensity * gain
    if felt.emotion == current.emotion:
        return Mood(current.emotion, min(100.0, current.intensity + push / 2))
    if push >= current.intensity * 0.8:
        return Mood(felt.emotion, min(100.0, push))
    return Mood(current.emotion, max(0.0, current.intensity - push / 4))


def relax(mood: Mood, rest: Mood, since: datetime, now: datetime, half_life_h: float) -> Mood:
    """The mood after `now - since` of quiet: halfway back to `rest` every half-life."""
    hours = max(0.0, (now - since).total_seconds() / 3600)
    keep = 0.5 ** (hours / half_life_h)
    if mood.emotion == rest.emotion:
        return Mood(rest.emotion, rest.intensity + (mood.intensity - rest.intensity) * keep)
    left = mood.intensity * keep
    if left < rest.intensity:  # the feeling has faded below the resting mood
        return rest
    return Mood(mood.emotion, left)
