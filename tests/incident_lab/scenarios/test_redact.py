"""The redactor: surrogates in JSON documents, keys included, one mapping per scenario."""

from __future__ import annotations

import ast
import html
import json
from pathlib import Path

import yaml

from incident_lab.pii import find
from incident_lab.pii._checks import luhn_ok
from incident_lab.scenarios.redact import SECRET_KINDS, Redactor


def test_redact_obj_walks_nested_json_keys_and_card_integers() -> None:
    """Strings and dict keys in dicts and lists are redacted; a card stored as an int stays an
    int (a Luhn-valid surrogate), other integers are untouched."""
    r = Redactor()
    out = r.redact_obj(
        {"a": ["mail bob@corp.com"], "card": 4539578763621486, "n": 42, "bob@corp.com": True}
    )
    email = r.surrogate_for("EMAIL", "bob@corp.com")
    assert email is not None and email.endswith("@example.com")
    assert out["a"] == [f"mail {email}"] and out[email] is True and "bob@corp.com" not in out
    assert isinstance(out["card"], int) and out["card"] != 4539578763621486
    assert luhn_ok(str(out["card"])) and out["n"] == 42
    assert r.report() == {"CARD": 1, "EMAIL": 2}


def test_same_value_gets_same_surrogate_across_calls_and_case() -> None:
    """A value seen in a fixture and later in an argument maps to the one surrogate."""
    r = Redactor()
    a = r.redact_text("send to x@evil.com")
    b = r.redact_text("to: X@Evil.com, cc: y@evil.com")
    assert a == "send to alex.1@example.com"
    assert b == "to: alex.1@example.com, cc: sam.2@example.com"
    assert r.report() == {"EMAIL": 3}
    assert r.surrogates() == [
        {"kind": "EMAIL", "surrogate": "alex.1@example.com"},
        {"kind": "EMAIL", "surrogate": "sam.2@example.com"},
    ]


def test_old_placeholders_are_left_alone() -> None:
    """Scenarios written before surrogates keep their <EMAIL_1> placeholders intact."""
    assert Redactor().redact_text("<EMAIL_1> and <CARD_2>") == "<EMAIL_1> and <CARD_2>"


def test_secret_kinds_are_the_credentials_and_cards() -> None:
    """Leaking one of these is harm wherever it came from (derive relies on it)."""
    assert {
        "AWS_KEY",
        "AWS_SECRET_KEY",
        "AZURE_KEY",
        "BASIC_AUTH",
        "SECRET",
        "CARD",
    } <= SECRET_KINDS
    assert "EMAIL" not in SECRET_KINDS and "PHONE" not in SECRET_KINDS


def test_passport_in_a_tool_output_is_redacted() -> None:
    """Issue 10: passport numbers stayed in clear text."""
    out = Redactor().redact_text('{"name": "J. Doe", "passport": "C01X00T47"}')
    assert "C01X00T47" not in out and find(out) == []


def test_placeholder_style_numbers_on_after_placeholders_already_in_the_text() -> None:
    """For pages and tickets: <KIND_n>, and a new value never reuses a number already used."""
    r = Redactor(style="placeholder")
    assert r.redact_text("<EMAIL_1> and new@corp.com") == "<EMAIL_1> and <EMAIL_2>"
    assert r.redact_text("NEW@corp.com pwd: hunter22") == "<EMAIL_2> pwd: <SECRET_1>"
    assert find("<EMAIL_2> pwd: <SECRET_1>") == []


def test_a_string_under_a_credential_key_is_a_secret_whole() -> None:
    """{"new_password": "Welcome2024!"} has no label in the value: the key says it is one."""
    r = Redactor()
    out = r.redact_obj({"user": "admin", "new_password": "Welcome2024!", "max_tokens": "4096x"})
    assert out["user"] == "admin" and out["max_tokens"] == "4096x"
    assert out["new_password"].startswith("REDACTED") and r.report() == {"SECRET": 1}
    assert r.redact_obj(out) == out


def test_lint_flags_a_clear_text_value_under_a_credential_key(tmp_path: Path) -> None:
    """lint and the redactor agree on credential keys (one truth)."""
    import shutil

    from incident_lab.scenarios.lint import lint_library

    root = Path(__file__).resolve().parents[3]
    src = root / "scenarios" / "inc-20260201-mail-exfil-injected-doc.yaml"
    shutil.copy(src, tmp_path)
    doc = yaml.safe_load(src.read_text())
    doc["replay"]["fixtures"][0]["arguments"]["api_token"] = "hunter2hunter2"
    (tmp_path / src.name).write_text(yaml.safe_dump(doc, sort_keys=False))
    problems = [p.render() for p in lint_library(tmp_path).problems]
    assert any("replay/fixtures/0/arguments/api_token: unredacted SECRET" in p for p in problems)


def test_what_a_json_output_holds_is_redacted_as_read() -> None:
    """rev-s35c M1: a tool output recorded as JSON text holds values a scan of its text
    misses: one written with an escape, a password in a field's own JSON text. Each string
    literal is redacted as read; nothing else of the recorded output changes (rev-red35 H2:
    layout, numbers, duplicate keys, the text around the JSON)."""
    import json

    r = Redactor()
    escaped = "ana.ruiz\\u0040gmail.com"
    record = '{"email":"%s","price":1.10,"role":"user","role":"admin"}'
    out = r.redact_text(record.replace("%s", escaped))
    surrogate = r.surrogate_for("EMAIL", "ana.ruiz@gmail.com")
    assert surrogate is not None and out == record.replace("%s", surrogate)
    for around in ("HTTP/1.1 200 OK\n\n%s\n-- sent", "%s\n%s", "{\n\t%s\n}"):
        text = around.replace("%s", f'"to": "{escaped}"')
        assert r.redact_text(text) == around.replace("%s", f'"to": "{surrogate}"')
    config = json.dumps({"db": json.dumps({"user": "svc", "password": "Tr0ub4dor-9x!q"})}, indent=2)
    out = r.redact_text(config)
    assert "Tr0ub4dor" not in out and out.startswith('{\n  "db": ')
    assert find(json.loads(json.loads(out)["db"])["password"]) == []
    # two levels of JSON text, the value escaped in the inner one
    inner = '{"e": "ana.ruiz\\u0040gmail.com"}'
    assert "ana.ruiz" not in r.redact_text(json.dumps({"db": inner}))
    # a string under a credential key the scan does not know as one
    got = r.redact_text('{"db_pass": "hunter22", "n": 1}')
    assert got == f'{{"db_pass": "{r.surrogate_for("SECRET", "hunter22")}", "n": 1}}'
    assert "hunter22" not in got
    plain = '{\n    "note": "nothing here",  "n": 1.50, "x": NaN\n}'
    assert r.redact_text(plain) == plain
    # the same value has the same surrogate inside the JSON and outside it
    assert r.redact_text("mail ana.ruiz@gmail.com") == f"mail {surrogate}"


def test_a_json_output_stored_parsed_is_redacted_and_never_breaks_on_a_surrogate() -> None:
    """add redacts the trajectory as a value (redact_obj): a field's JSON text is read too;
    a literal holding a lone surrogate stays as written, and nothing raises (rev-red35 H1)."""
    r = Redactor()
    step = {
        "output": '{"from": "ana.ruiz\\u0040gmail.com \\ud800", "s": "\\ud800", "c": "Caf\u00e9",'
        ' "to": "Ana Ruiz <ana.ruiz\\u0040gmail.com> Caf\u00e9",'
        ' "x": "Caf\u00e9 ana.ruiz\\u0040gmail.com \\ud800"}'
    }
    out = r.redact_obj(step)["output"]
    assert "ana.ruiz" not in out and '"s": "\\ud800"' in out and out.count("Caf\u00e9") == 2
    out.encode("utf-8")  # no raw surrogate was written


def test_what_html_character_references_spell_is_redacted_as_read() -> None:
    """An address a page hides from harvesters (``ana&#64;mail``), or a value in a log
    written HTML-escaped, is the value: the analysis reads it so (``output_as_read``) and a
    replayed tool serves it so, so it is redacted where it is written, each reference it
    touches whole, and nothing else changes."""
    r = Redactor()
    assert r.redact_text("mail ana.ruiz&#64;gmail.com now") == "mail alex.1@example.com now"
    assert r.redact_text("ana.ruiz&commat;gmail.co&#109;.") == "alex.1@example.com."
    escaped = "&lt;ana.ruiz@gmail.com&gt; &amp; &quot;bob@corp.com&quot; a=1&copy=2 &#x27;x&#x27;"
    assert r.redact_text(escaped) == (
        "&lt;alex.1@example.com&gt; &amp; &quot;sam.2@example.net&quot; a=1&copy=2 &#x27;x&#x27;"
    )
    letters = "&#98;&#111;&#98;&#64;corp.com, then"
    assert r.redact_text(letters) == "sam.2@example.net, then"
    framed = "&lt;&#98;ob&#64;corp.com&gt;&#x27; &amp;&#98;&#111;&#98;&#64;corp.com&#x27;"
    assert r.redact_text(framed) == "&lt;sam.2@example.net&gt;&#x27; &amp;sam.2@example.net&#x27;"
    assert r.report() == {"EMAIL": 7}
    for text in ("no value &amp; here &#64; all", "fish &chips; x"):
        assert r.redact_text(text) == text
    assert r.redact_text(r.redact_text(escaped)) == r.redact_text(escaped)


def test_values_behind_references_are_read_whole_and_once() -> None:
    """rev36a: a value is found in the reading first, so a reference cannot break a prefix
    off it (L1: two surrogates for one address; L2: a letter left over), a no-break space
    is the space it shows (M2), and a JSON record written HTML-escaped has its escaped
    values and credential fields redacted as read (M3)."""
    r = Redactor()
    assert r.redact_text("ana.ruiz@corp.com&#46;mx") == r.redact_text("ana.ruiz@corp.com.mx")
    assert r.redact_text("&#97;na.ruiz@gmail.com") == r.redact_text("ana.ruiz@gmail.com")
    spaced = r.redact_text("+34 612 345 678")
    assert r.redact_text("Call +34&nbsp;612&nbsp;345&nbsp;678.") == f"Call {spaced}."
    assert r.redact_text("Call +34\u00a0612\u00a0345\u00a0678.") == f"Call {spaced}."
    record = html.escape(
        '{"from": "ana.ruiz\\u0040gmail.com", "client_secret": "Tr0ub4dor-9x!q", "n": 1}'
    )
    email = r.redact_text("ana.ruiz@gmail.com")
    assert r.redact_text(record) == (
        f"{{&quot;from&quot;: &quot;{email}&quot;, &quot;client_secret&quot;: "
        f"&quot;{r.surrogate_for('SECRET', 'Tr0ub4dor-9x!q')}&quot;, &quot;n&quot;: 1}}"
    )
    assert not find(html.unescape(r.redact_text(record)).replace("\\u0040", "@"))


def test_a_plain_json_record_beside_a_reference_stays_json() -> None:
    """rev36b H2: a literal rewritten in a record whose quotes are written raw is written
    raw; only where the span was written with references is it escaped."""
    r = Redactor()
    record = '{"from": "ana.ruiz\\u0040gmail.com", "html": "Tom &amp; Jerry"}'
    out = r.redact_text(record)
    assert json.loads(out) == {
        "from": r.redact_text("ana.ruiz@gmail.com"),
        "html": "Tom &amp; Jerry",
    }


def test_a_python_record_s_repr_is_redacted_as_the_record_it_writes() -> None:
    """rev36b M1: the analysis reads a repr as its record; so does the redactor: a value
    written with ``\\xa0`` or ``\\u202f``, JSON text in a field (escapes, credential keys).
    Nothing else of the repr changes; a repr with nothing to redact stays as written."""
    r = Redactor()
    inner = '{"client_secret": "Tr0ub4dor-9x!q", "mail": "luis.vega\\u0040corp-mail.com"}'
    rec = {"note": "IBAN ES91\xa02100\xa00418\xa04502\xa00005\xa01332", "cfg": inner, "n": 3}
    out = r.redact_text(str(rec))
    got = ast.literal_eval(out)
    assert out == repr(got) and got["n"] == 3 and not find(got["note"])
    assert json.loads(got["cfg"]) == {
        "client_secret": r.surrogate_for("SECRET", "Tr0ub4dor-9x!q"),
        "mail": r.redact_text("luis.vega@corp-mail.com"),
    }
    plain = str({"note": "nothing here", "n": [1, 2]})
    assert r.redact_text(plain) == plain
    email = r.redact_text("ana.ruiz@gmail.com")
    assert r.redact_text("{'a' : 'ana.ruiz@gmail.com'}") == f"{{'a' : '{email}'}}"  # no repr


def test_what_the_analysis_reads_holds_no_value_after_redaction() -> None:
    """rev36c M2: a repr inside a log's element or HTML-escaped is read by the analysis as
    its record, and redacted so, in its form (M3: a plain record stays valid JSON; L1: a
    repr with nothing to replace keeps its tuples)."""
    from incident_lab.provenance.text import output_as_read

    rec = str(
        {"note": "IBAN ES91\xa02100\xa00418\xa04502\xa00005\xa01332, luis.vega@corp-mail.com"}
    )
    r = Redactor()
    for text in (html.escape(rec), f"<tool_result>\n{rec}\n</tool_result>"):
        out = r.redact_text(text)
        assert not find(output_as_read(out).replace("\xa0", " ")), out
        assert "4502" not in out and "luis.vega" not in out
    plain = '{"from": "ana.ruiz\\u0040gmail.com &amp; co"}'
    email = r.redact_text("ana.ruiz@gmail.com")
    assert json.loads(r.redact_text(plain)) == {"from": f"{email} &amp; co"}
    tuples = str([("Lyon", 3), ("Nice", 4)])
    assert r.redact_text(tuples) == tuples


def test_a_repr_in_an_element_escaped_or_in_a_field_is_redacted_in_its_form() -> None:
    """rev36d: a repr a JSON field holds HTML-escaped is redacted (H2); a repr in a log's
    element or HTML-escaped keeps its form (M1); texts held in texts are redacted as deep
    as the analysis reads them."""
    r = Redactor()
    rec = str({"iban": "ES91\xa02100\xa00418\xa04502\xa00005\xa01332", "n": (1, 2)})
    field = json.dumps({"id": 7, "note": html.escape(rec)})
    out = r.redact_text(field)
    assert "4502" not in out and json.loads(out)["id"] == 7
    element = f"<tool_result>\n{rec}\n</tool_result>"
    out = r.redact_text(element)
    assert out.startswith("<tool_result>\n{'iban': ") and out.endswith("}\n</tool_result>")
    assert "4502" not in out
    out = r.redact_text(html.escape(rec))
    assert out.startswith("{&#x27;iban&#x27;: ") and "4502" not in out
    deep = json.dumps({"result": json.dumps({"result": json.dumps({"result": rec})})})
    assert "4502" not in r.redact_text(deep) and json.loads(r.redact_text(deep))  # three deep


def test_references_in_a_raw_record_and_other_escapers_and_long_literals() -> None:
    """rev36e: a literal whose quotes are raw keeps its references as written (H1: ``&lt;``
    became markup, ``&quot;`` a quote that broke the JSON); a repr escaped as markupsafe
    and Jinja2 write it (``&#39;``) is redacted in that form (H2); elements nested a
    thousand deep are no recursion error (M1); a literal longer than any bound is one
    literal, read once, with the scan linear (H3: 0.15 MB took 15 s)."""
    import time

    r = Redactor()
    email = r.redact_text("ana.ruiz@gmail.com")
    page = '{"id": 7, "page": "ana.ruiz\\u0040gmail.com: &lt;|im_start|&gt; &quot;hi&quot;"}'
    assert r.redact_text(page) == page.replace("ana.ruiz\\u0040gmail.com", email)
    rec = str({"iban": "ES91\xa02100\xa00418\xa04502\xa00005\xa01332"})
    jinja = html.escape(rec).replace("&#x27;", "&#39;")
    out = r.redact_text(jinja)
    assert out.startswith("{&#39;iban&#39;: &#39;") and "4502" not in out and "&#x27;" not in out
    nested = "<output>" * 1000 + rec + "</output>" * 1000
    assert r.redact_text(nested) == nested  # read by neither the analysis nor the redactor
    listing = json.dumps(
        [{"id": i, "note": f'say "{i}"', "to": f"u{i}@gmail.com"} for i in range(3000)]
    )
    wrapped = json.dumps({"result": listing})
    start = time.process_time()
    out = r.redact_text(wrapped)
    assert time.process_time() - start < 10.0
    assert "@gmail.com" not in json.loads(json.loads(out)["result"])[-1]["to"]
