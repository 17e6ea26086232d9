"""The redactor's edges, pinned (issue 14, mutation testing of scenarios/redact.py).

Each test fails when one comparison, constant or branch of ``Redactor`` changes: the
placeholder grammar, the 13-19 digit window for card integers, which keys make a value a
secret whole, the repeat-until-stable loop and the report's order.
"""

from __future__ import annotations

import pytest

from incident_lab.pii import find
from incident_lab.pii._checks import luhn_ok
from incident_lab.scenarios.redact import KINDS, PLACEHOLDER, SECRET_KINDS, Redactor

CARD = "4539578763621486"  # Luhn-valid, 16 digits


def test_unknown_style_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^unknown redaction style 'fancy'$"):
        Redactor(style="fancy")
    Redactor(style="surrogate")
    Redactor(style="placeholder")


def test_kinds_and_secret_kinds() -> None:
    assert KINDS[0] == "PRIVATE_KEY" and "EMAIL" in KINDS and "PHONE" in KINDS
    assert len(KINDS) == len(set(KINDS))
    assert "CARD" in SECRET_KINDS and "IBAN" not in SECRET_KINDS and "SSN" not in SECRET_KINDS
    assert set(KINDS) >= SECRET_KINDS


def test_placeholder_grammar() -> None:
    m = PLACEHOLDER.fullmatch("<AWS_SECRET_KEY_12>")
    assert m is not None and m.group(1) == "AWS_SECRET_KEY" and m.group(2) == "12"
    for text in ("<email_1>", "<EMAIL>", "<EMAIL_>", "<_EMAIL_1>", "<EMAIL__1>", "<1A_2>"):
        assert PLACEHOLDER.fullmatch(text) is None, text


def test_empty_text_is_returned_as_is() -> None:
    r = Redactor()
    assert r.redact_text("") == ""
    assert r.redact_obj("") == ""
    assert r.report() == {} and r.surrogates() == []


def test_placeholders_with_underscored_kinds_reserve_their_numbers() -> None:
    r = Redactor(style="placeholder")
    out = r.redact_text("<SECRET_7> and <EMAIL_3>, then pwd: hunter22 to a@corp.com")
    assert out == "<SECRET_7> and <EMAIL_3>, then pwd: <SECRET_8> to <EMAIL_4>"
    # A lower number found later never moves the counter back.
    assert r.redact_text("<EMAIL_1> b@corp.com") == "<EMAIL_1> <EMAIL_5>"
    assert r.report() == {"EMAIL": 2, "SECRET": 1}


def test_surrogate_style_does_not_reserve_placeholder_numbers() -> None:
    r = Redactor()
    assert r.redact_text("<EMAIL_9> a@corp.com") == "<EMAIL_9> alex.1@example.com"


def test_placeholder_style_without_angle_bracket() -> None:
    r = Redactor(style="placeholder")
    assert r.redact_text("to a@corp.com") == "to <EMAIL_1>"


def test_every_finding_in_a_text_is_replaced_in_place() -> None:
    r = Redactor()
    text = f"a@corp.com|{CARD}|b@corp.com tail"
    out = r.redact_text(text)
    a, b = r.surrogate_for("EMAIL", "a@corp.com"), r.surrogate_for("EMAIL", "b@corp.com")
    card = r.surrogate_for("CARD", CARD)
    assert out == f"{a}|{card}|{b} tail"
    assert find(out) == [] and r.redact_text(out) == out
    assert r.report() == {"CARD": 1, "EMAIL": 2}
    assert list(r.report()) == sorted(r.report())
    assert r.surrogate_for("EMAIL", "c@corp.com") is None


def test_card_integers_only_in_the_13_to_19_digit_window() -> None:
    r = Redactor()
    thirteen, nineteen = 4532015112830, 4532015112830123455  # Luhn-valid cards
    out = r.redact_obj([int(CARD), thirteen, nineteen, 4111111111, True, 1.5, None])
    assert out[0] != int(CARD) and isinstance(out[0], int) and luhn_ok(str(out[0]))
    assert isinstance(out[1], int) and out[1] != thirteen and len(str(out[1])) == 13
    assert isinstance(out[2], int) and out[2] != nineteen and len(str(out[2])) == 19
    assert out[3:] == [4111111111, True, 1.5, None]
    assert r.report() == {"CARD": 3}
    # A 16-digit integer that is not a card stays the same integer.
    assert r.redact_obj(4539578763621487) == 4539578763621487
    assert r.report() == {"CARD": 3}


def test_tuples_become_lists_and_nested_values_are_walked() -> None:
    r = Redactor()
    out = r.redact_obj(("a@corp.com", {"k": ("b@corp.com",)}))
    assert out == ["alex.1@example.com", {"k": ["sam.2@example.com"]}]


def test_non_string_keys_are_kept() -> None:
    r = Redactor()
    assert r.redact_obj({1: "a@corp.com", None: 2}) == {1: "alex.1@example.com", None: 2}


def test_credential_keys_make_the_value_a_secret_whole() -> None:
    r = Redactor()
    out = r.redact_obj(
        {
            "passwd": "longsecret",
            "password": "abc",  # too short to be a secret
            "api_key": 12345678,  # not a string: left to the detectors
            "note": "longsecret",  # not a credential key
            "token": "   ",
        }
    )
    assert out["passwd"].startswith("REDACTED") and out["passwd"] != "longsecret"
    assert out["password"] == "abc" and out["api_key"] == 12345678
    assert out["note"] == "longsecret" and out["token"] == "   "
    assert r.report() == {"SECRET": 1}
    assert r.surrogate_for("SECRET", "longsecret") == out["passwd"]


def test_a_credential_value_with_a_detected_secret_inside_is_redacted_by_kind() -> None:
    """The detectors win over the key: an e-mail under ``password`` stays an e-mail."""
    r = Redactor()
    out = r.redact_obj({"password": "a@corp.com"})
    assert out == {"password": "alex.1@example.com"} and r.report() == {"EMAIL": 1}


def test_a_key_that_is_itself_a_credential_name_is_not_a_secret() -> None:
    r = Redactor()
    assert r.redact_obj({"password": {"nested": "longsecret"}}) == {
        "password": {"nested": "longsecret"}
    }


def test_surrogates_lists_kind_and_surrogate_only() -> None:
    r = Redactor()
    r.redact_obj({"passwd": "longsecret", "to": "a@corp.com"})
    table = r.surrogates()
    assert {row["kind"] for row in table} == {"SECRET", "EMAIL"}
    assert all(set(row) == {"kind", "surrogate"} for row in table)
    assert "longsecret" not in repr(table) and "a@corp.com" not in repr(table)
