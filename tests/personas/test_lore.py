"""Lorebook entries fire by key, by secondary-key logic, constantly, within the budget."""

from __future__ import annotations

from typing import Any

from personas.lore import compile_book, fire


def entry(content: str, keys: list[str], **more: Any) -> dict[str, Any]:
    """An entry as the V2/V3 card specifications write one."""
    return {
        "keys": keys,
        "content": content,
        "extensions": more.pop("extensions", {}),
        "enabled": more.pop("enabled", True),
        "insertion_order": more.pop("insertion_order", 0),
        **more,
    }


def run(entries: list[dict[str, Any]], *said: str, **book: Any) -> tuple[list[str], list[str]]:
    compiled = compile_book({"entries": entries, "extensions": {}, **book})
    assert compiled is not None
    return fire(compiled, list(said))


def test_primary_keys_whole_words_case_and_regex() -> None:
    book = [
        entry("CAT", ["cat"]),
        entry("DRAGON", ["Dragon"], case_sensitive=True),
        entry("ORB", ["/orb(s)? of \\w+/i"], use_regex=True),
        entry("PARTIAL", ["cat"], extensions={"match_whole_words": False}),
        entry("OFF", ["cat"], enabled=False),
    ]
    before, _ = run(book, "a category of things")
    assert before == ["PARTIAL"]  # "cat" only fires inside a word when whole words are off
    before, _ = run(book, "My CAT saw a dragon and the Orbs of Light")
    assert before == ["CAT", "ORB", "PARTIAL"]  # "dragon" is not "Dragon"
    before, _ = run(book, "the Dragon")
    assert before == ["DRAGON"]


def test_secondary_key_logic() -> None:
    def logic(n: int) -> dict[str, Any]:
        return entry(
            f"L{n}",
            ["castle"],
            selective=True,
            secondary_keys=["king", "queen"],
            extensions={"selectiveLogic": n},
        )

    book = [logic(0), logic(1), logic(2), logic(3)]
    assert run(book, "the castle")[0] == ["L1", "L2"]  # no secondary: NOT ALL, NOT ANY
    assert run(book, "the castle of the king")[0] == ["L0", "L1"]  # one: AND ANY, NOT ALL
    assert run(book, "castle, king and queen")[0] == ["L0", "L3"]  # both: AND ANY, AND ALL
    assert run(book, "the king and queen")[0] == []  # no primary key: nothing fires


def test_constant_position_order_scan_depth_and_budget() -> None:
    book = [
        entry("always", [], constant=True, insertion_order=5),
        entry("after", ["sword"], position="after_char", insertion_order=1),
        entry("first", ["sword"], insertion_order=1),
        entry("old news", ["harbour"]),
    ]
    before, after = run(book, "the harbour at dawn", "hello", "my sword", scan_depth=2)
    assert before == ["first", "always"] and after == ["after"]  # harbour is 3 messages back
    big = [
        entry("x" * 300, ["go"], priority=1, insertion_order=1),
        entry("y" * 300, ["go"], priority=5, insertion_order=2),
        entry("z" * 100, ["go"], priority=3, insertion_order=3),
    ]
    before, _ = run(big, "go", token_budget=100)  # 400 characters
    assert before == ["y" * 300, "z" * 100]  # the lowest priority is left out


def test_a_broken_regex_or_an_empty_book_never_fires() -> None:
    assert compile_book({"entries": [entry("c", ["/([/"], use_regex=True)]}) is None
    assert compile_book({"entries": []}) is None and compile_book(None) is None
