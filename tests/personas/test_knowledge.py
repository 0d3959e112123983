"""Shared knowledge is scrubbed of personal data before it is stored."""

from __future__ import annotations

from personas.knowledge import LIMIT, proper_nouns, scrub


def test_contacts_numbers_addresses_and_names_are_removed() -> None:
    text = (
        "Lessons:\n- Users like short answers. Ask about their son Tiago in Lisbon.\n"
        "- Call +351 912 345 678 or mail maria.silva@example.com, see https://x.example/p.\n"
        "- She lives at 12 Rua Augusta Street, ID 12345678; ping @msilva.\n"
        "Maria prefers examples with Luna on Mondays."
    )
    out = scrub(text, names={"Maria", "Maria Silva"}, keep=["Luna"])
    for secret in (
        "Tiago",
        "Lisbon",
        "912",
        "345 678",
        "maria.silva",
        "example.com",
        "Rua Augusta",
        "12345678",
        "@msilva",
        "Maria",
    ):
        assert secret not in out, secret
    for kept in ("Users like short answers", "Luna", "Lessons:", "She lives at"):
        assert kept in out, kept
    assert "[email]" in out and "[number]" in out and "[address]" in out and "[handle]" in out


def test_proper_nouns_and_limit() -> None:
    assert proper_nouns("my friend Jonas moved to Oslo. Then I cried") == {"Jonas", "Oslo"}
    assert len(scrub("a" * (LIMIT + 50))) == LIMIT
