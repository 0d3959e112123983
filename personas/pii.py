"""Personal data found in text, by Microsoft Presidio's analyzer (contacts, card, bank and
identity numbers, addresses on the network, with its checksums and libphonenumber) and by
names: every name the bot knows, capitalised words inside sentences, and a first name from
Faker's lists of dozens of languages at the start of a sentence.

No statistical NER model ships in a PyPI package (spaCy's are downloads), so Presidio runs on
spaCy's rule-based tokenizer alone and names are found as above instead.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

# Presidio's e-mail and URL checks use tldextract, which fetches the public-suffix list from
# the internet unless told to use the copy it ships.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

TAGS = {
    "EMAIL_ADDRESS": "[email]",
    "URL": "[link]",
    "PERSON": "[name]",
}  # everything else Presidio finds is a number of some kind
_RECOGNIZERS = (
    "CreditCardRecognizer",
    "CryptoRecognizer",
    "EmailRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "MacAddressRecognizer",
    "PhoneRecognizer",
    "UrlRecognizer",
    "UsSsnRecognizer",
    "UsBankRecognizer",
    "UsPassportRecognizer",
    "UkNinoRecognizer",
    "UkPostcodeRecognizer",
    "NhsRecognizer",
)
# Faker locales written in the Latin alphabet, whose first names we know.
_LOCALES = [
    "cs_CZ",
    "da_DK",
    "de_AT",
    "de_CH",
    "de_DE",
    "en_AU",
    "en_CA",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_NZ",
    "en_PH",
    "en_US",
    "es_AR",
    "es_CO",
    "es_ES",
    "es_MX",
    "fi_FI",
    "fil_PH",
    "fr_CA",
    "fr_CH",
    "fr_FR",
    "ga_IE",
    "hr_HR",
    "hu_HU",
    "id_ID",
    "it_IT",
    "lt_LT",
    "lv_LV",
    "nl_BE",
    "nl_NL",
    "no_NO",
    "pl_PL",
    "pt_BR",
    "pt_PT",
    "ro_RO",
    "sk_SK",
    "sl_SI",
    "sv_SE",
    "sw",
    "tr_TR",
    "yo_NG",
    "zu_ZA",
]
# First names that are also ordinary English words starting a sentence.
_WORDS = {
    "Art", "Bill", "Chance", "Chase", "Dawn", "Faith", "Grace", "Guy", "Hope", "Iris", "Ivy",
    "Joy", "June", "Mark", "May", "Miles", "Pat", "Rich", "Rose", "Sky", "Summer", "Will",
    "Young", "Page", "Max", "Hunter", "Carol", "Sunny", "Honey", "Star", "Angel", "Major",
    "Royal", "Just", "Said", "Sage", "Tab", "Ken", "Ray", "Don", "Van", "Dean", "Jean", "Lane",
}  # fmt: skip
# A capitalised word that starts a sentence, a line, or the text.
_OPENING = re.compile(r"(?:(?<=^)|(?<=[.!?]\s)|(?<=\n)|(?<=[-•*>]\s))([A-Z][a-z][\w'-]*)", re.M)
_INSIDE = re.compile(r"(?<![.!?:\-•*\n])(\s)([A-Z][a-z][\w'-]*)")

log = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass(frozen=True)
class Found:
    """One piece of personal data: where, and the tag it is replaced with."""

    start: int
    end: int
    tag: str


@cache
def first_names() -> frozenset[str]:
    """First names from Faker's person providers (loaded once)."""
    import faker.providers.person as people

    names: set[str] = set()
    available = {m.name for m in pkgutil.iter_modules(people.__path__)}
    for locale in _LOCALES:
        if locale not in available:
            continue
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            for name in getattr(provider, attr, ()) or ():
                if isinstance(name, str) and name.isalpha() and name[:1].isupper():
                    names.add(name)
    return frozenset(names - _WORDS)


def _analyzer() -> Any:
    """Presidio's analyzer (built once: the lock makes a second first caller wait for it)."""
    with _lock:
        return _build()


@cache
def _build() -> Any:
    """Presidio's analyzer with its pattern recognizers on a tokenizer-only English engine."""
    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer import predefined_recognizers as known
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class Tokens(NlpEngine):
        """spaCy's rule-based English tokenizer; no statistical model."""

        def __init__(self) -> None:
            self.nlp = spacy.blank("en")

        def load(self) -> None:
            return None

        def is_loaded(self) -> bool:
            return True

        def get_supported_languages(self) -> list[str]:
            return ["en"]

        def get_supported_entities(self) -> list[str]:
            return []

        def process_text(self, text: str, language: str) -> Any:
            doc = self.nlp(text)
            return NlpArtifacts(
                entities=[],
                tokens=doc,
                tokens_indices=[t.idx for t in doc],
                lemmas=[t.lower_ for t in doc],
                nlp_engine=self,
                language=language,
            )

        def process_batch(
            self,
            texts: Iterable[str],
            language: str,
            batch_size: int = 1,
            n_process: int = 1,
            **kwargs: Any,
        ) -> Iterator[tuple[str, NlpArtifacts]]:
            for text in texts:
                yield text, self.process_text(text, language)

        def is_stopword(self, word: str, language: str) -> bool:
            return bool(self.nlp.vocab[word].is_stop)

        def is_punct(self, word: str, language: str) -> bool:
            return bool(self.nlp.vocab[word].is_punct)

    registry = RecognizerRegistry(supported_languages=["en"])
    for name in _RECOGNIZERS:
        registry.add_recognizer(getattr(known, name)())
    return AnalyzerEngine(registry=registry, nlp_engine=Tokens(), supported_languages=["en"])


def find(text: str, names: Iterable[str] = (), keep: Iterable[str] = ()) -> list[Found]:
    """Personal data in `text`: what Presidio recognises, then names (`names` given are
    always names; `keep` words never are)."""
    found = [
        Found(r.start, r.end, TAGS.get(r.entity_type, "[number]"))
        for r in _analyzer().analyze(text, language="en", score_threshold=0.3)
    ]
    allowed = {k for k in keep if k}
    for name in {n.strip() for n in names if n and len(n.strip()) >= 2}:
        for m in re.finditer(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE):
            found.append(Found(m.start(), m.end(), "[name]"))
    known = first_names()
    for m in _OPENING.finditer(text):
        if m.group(1) in known and m.group(1) not in allowed:
            found.append(Found(m.start(1), m.end(1), "[name]"))
    return found


def inside_sentences(text: str, allowed: set[str]) -> list[Found]:
    """Capitalised words inside sentences: names and places, mostly."""
    return [
        Found(m.start(2), m.end(2), "[name]")
        for m in _INSIDE.finditer(text)
        if m.group(2) not in allowed
    ]


def replace(text: str, found: Iterable[Found]) -> str:
    """`text` with every found span replaced by its tag (overlaps: the widest wins)."""
    spans = sorted(found, key=lambda f: (f.start, -(f.end - f.start)))
    out, at = [], 0
    for f in spans:
        if f.start < at:
            continue
        out.append(text[at : f.start])
        out.append(f.tag)
        at = f.end
    out.append(text[at:])
    return "".join(out)
