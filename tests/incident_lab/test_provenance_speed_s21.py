"""Round 21's speed shortcuts give exactly the answers of the plain code (issue 10: classify
>= 1,000 sessions/s). Each memo or pre-filter is checked against what it replaces."""

from __future__ import annotations

import random

from incident_lab.classify.session import clear_memo
from incident_lab.provenance import values
from incident_lab.provenance.values import find_value, find_value_memo

_WORDS = ["the", "a", "Bob", "bob@example.com", "ID", "13", "1,000", "1000", "x-y", "(a)",
          "Send", "send", "Mr.", "é", "2024-05-01", "May 1st, 2024", "DE89 3704", "path/f.py"]  # fmt: skip


def _sample(rng: random.Random, n: int) -> str:
    return "".join(
        rng.choice(_WORDS) + rng.choice([" ", "  ", "\n", ",", ".", "", ":"]) for _ in range(n)
    )


def test_memoised_find_value_equals_the_plain_lookup_cold_and_warm() -> None:
    """find_value_memo answers as find_value on the first lookup and on every repeat."""
    rng = random.Random(11)
    cases = [
        (" ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3))), _sample(rng, 30))
        for _ in range(1500)
    ]
    clear_memo()
    for _ in range(2):  # cold, then every lookup a memo hit
        for value, text in cases:
            assert find_value_memo(value, text, text.lower()) == find_value(
                value, text, text.lower()
            ), (value, text)
    hits = values._find_memo.cache_info().hits
    assert hits >= len(cases) - 1
    assert sum(find_value(v, t, t.lower()) is not None for v, t in cases) > 300


def test_memoised_find_value_keeps_no_long_text_and_is_cleared() -> None:
    """A text longer than the memo's bound is searched but never held; clear_memo forgets
    the short ones."""
    clear_memo()
    long_text = "Send the report to bob@example.com. " * 200
    assert len(long_text) > values._FIND_MEMO_CHARS
    assert find_value_memo("bob@example.com", long_text, long_text.lower()) == (19, 34)
    assert values._find_memo.cache_info().currsize == 0
    assert find_value_memo("bob", "ask Bob", "ask bob") == (4, 7)
    assert values._find_memo.cache_info().currsize == 1
    clear_memo()
    assert values._find_memo.cache_info().currsize == 0


def test_fields_of_a_long_text_read_once_and_at_most_four_kept() -> None:
    """The data fields of a text over the memo bound are read once per text, equal the plain
    reading, and at most four such texts are held."""
    from incident_lab.provenance import analysis

    clear_memo()
    docs = [f'"id_{k}": "TAG_{k}X1",\nnote = plain\n' * 200 for k in range(6)]
    assert all(len(d) > analysis._MEMO_CHARS for d in docs)
    for doc in docs + docs[-2:]:
        fields = analysis._field_markers(doc)
        assert fields == analysis._fields_memo.__wrapped__(doc)
        assert fields[f"id_{doc[4]}"] == {f"tag{doc[4]}x1"} and fields["note"] == set()
    info = analysis._long_fields_memo.cache_info()
    assert info.currsize == 4 and info.hits == 2
    assert analysis._fields_memo.cache_info().currsize == 0
    clear_memo()
    assert analysis._long_fields_memo.cache_info().currsize == 0


def _leaves_walk(value: object, path: str = "") -> list[tuple[str, object]]:
    """values.leaves as it was before the flat-object shortcut: the bounded walk."""
    out: list[tuple[str, object]] = []
    stack: list[tuple[str, object, int]] = [(path, value, 0)]
    while stack and len(out) < values._MAX_LEAVES:
        where, item, depth = stack.pop()
        if isinstance(item, dict):
            if depth < values._MAX_DEPTH:
                for key in reversed(list(item)):
                    k = str(key).replace("~", "~0").replace("/", "~1")
                    stack.append((f"{where}/{k}", item[key], depth + 1))
        elif isinstance(item, list | tuple):
            if depth < values._MAX_DEPTH:
                stack.extend(
                    (f"{where}/{i}", item[i], depth + 1) for i in reversed(range(len(item)))
                )
        else:
            out.append((where or "/", item))
    return out


def test_leaves_of_a_flat_object_equal_the_walk() -> None:
    """The shortcut for an object of scalars yields what the walk yields: order, escaped
    keys (``~``, ``/``), non-string keys, the bound; nested values take the walk."""
    rng = random.Random(5)
    keys = ["to", "a/b", "x~y", "~/", "", "body", 3, "amount", "ü"]
    scalars = ["bob@example.com", 12, 1.5, None, True, "", b"raw"]
    for _ in range(500):
        flat = {rng.choice(keys): rng.choice(scalars) for _ in range(rng.randint(0, 6))}
        assert list(values.leaves(flat)) == _leaves_walk(flat), flat
        assert list(values.leaves(flat, "/p")) == _leaves_walk(flat, "/p"), flat
        nested = {**flat, "n": {"k": [1, {"m": 2}]}}
        assert list(values.leaves(nested)) == _leaves_walk(nested), nested
    big = {f"k{i}": i for i in range(values._MAX_LEAVES + 5)}
    assert list(values.leaves(big)) == _leaves_walk(big)
    assert len(_leaves_walk(big)) == values._MAX_LEAVES
    assert list(values.leaves("x")) == [("/", "x")]


def test_absent_from_never_rules_out_a_value_find_value_finds() -> None:
    """absent_from says True only when find_value finds the value in none of the joined texts
    nor in any slice of them (a span); it does rule out values that occur nowhere."""
    rng = random.Random(17)
    ruled_out = 0
    for _ in range(800):
        texts = [_sample(rng, rng.randint(0, 12)) for _ in range(rng.randint(1, 3))]
        raw, low = "\n".join(texts), "\n".join(t.lower() for t in texts)
        value = " ".join(rng.choice([*_WORDS, "zebra", "999", "12:30"]) for _ in range(2))
        if not values.absent_from(value, raw, low):
            continue
        ruled_out += 1
        for t in texts:
            assert find_value(value, t, t.lower()) is None, (value, t)
            a = rng.randint(0, len(t))
            piece = t[a : rng.randint(a, len(t))]
            assert find_value(value, piece, piece.lower()) is None, (value, piece)
    assert ruled_out > 100
    assert not values.absent_from("May 1st, 2024", "due 2024-05-01", "due 2024-05-01")
    assert values.absent_from("Zebra crossing", "a zeb\nra", "a zeb\nra")
    assert not values.absent_from("1000", "paid 1,000", "paid 1,000")  # found: (5, 10)
    assert values.absent_from("1000", "paid 2,000", "paid 2,000")  # no group "1"
