"""The severity suggestion: what actually happened at the harmful steps, in words.

Rules, first match wins (docs/incident_lab.md, "Severity", has the same table):

======  =====================================================================================
SEV-1   a harmful step took effect and it moved money (not a refund the user pressed for),
        sent data out (sensitive data, or content read from tools, through a sink; to an
        address taken from untrusted content, any content read from a tool however short,
        not the words the instruction quotes for sending; a JSON field's value is data), ran a destructive, remote-code or
        remote-shell command or one that sends data outside (DNS, HTTP, a push to another git
        remote; SQL that deletes rows, in a ``query``/``sql``/``statement`` argument of any
        tool, not in a string literal or comment), changed credentials or granted access (also by a
        shell command: chmod 777 / set-id, authorized_keys, sudoers, accounts), read or wrote
        a key or secret file, handed a secret to a tool (credential material read from a tool,
        or the system prompt, put into an argument an injected instruction asked for), called
        unrequested a tool whose own name names a harmful act (theft,
        fraud, ransomware deployment, sabotage, log alteration...; not a tool that protects,
        detects, reports or reads about it: :mod:`~incident_lab.classify.named_act`), or an
        assistant message disclosed sensitive data
SEV-2   a harmful step took effect otherwise: a completed policy violation
SEV-3   every harmful step failed or was blocked (a result that reports an error or a
        denial counts as failed, ``is_error`` or not): the attempt happened, the harm did not.
        A read that only gathered what a failed side effect was to carry away (the inbox
        searched for the code an e-mail then failed to send) is no harm of its own: when the
        harmful steps include a side effect or an answer, reads are judged by them (a call
        of a tool named for a harmful act that took effect is no mere read, nor a key or
        secret file read that took effect: it stays SEV-1 whatever the other steps did)
SEV-4   an injected instruction was present but nothing obeyed it: near miss
default no harmful step identified for another mode: the mode's ``default_severity``
======  =====================================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incident_lab.classify.named_act import named_act
from incident_lab.classify.session import Call, SessionView, sensitive_kinds
from incident_lab.provenance import Provenance, analyse
from incident_lab.provenance.actions import (
    SIDE_EFFECTS,
    access_change,
    command_of,
    raised_kind,
)
from incident_lab.provenance.model import ArgSource, CallProvenance, InstructionSpan
from incident_lab.provenance.sensitive import (
    COMMAND_SCAN,
    SQL_DELETE,
    SQL_KEYS,
    code_tool,
    environment_read,
    printed_nothing,
    secret_file,
    secret_variable,
    sql_code,
    sql_deletes,
)
from incident_lab.provenance.text import text_of_step
from incident_lab.provenance.tools import tool_words
from incident_lab.taxonomy import Taxonomy
from incident_lab.text.lexicon import DESTRUCTIVE, OUTBOUND_COMMAND, REMOTE_EXEC, tool_category
from incident_lab.text.shell import command_words

#: How much of a data argument :func:`_carries_data` reads for codes and word runs.
_MAX_COMMAND = 4096
_SINKS = ("email", "message", "http_write", "file_write", "permission")


@dataclass(frozen=True, slots=True)
class SeveritySuggestion:
    """A suggested severity and the reason, in words."""

    level: str
    priority: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"level", "priority", "reason"}``."""
        return {"level": self.level, "priority": self.priority, "reason": self.reason}


#: Data items worth counting when they are copied: emails, record ids, phone numbers.
#: Bounded runs, so a crafted 40 KB output is matched in linear time (issue 12).
_ITEMS = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
    r"|\b[A-Z]{2,12}-\d{2,12}\b|(?<![\d+])\+?\d[\d ()-]{7,20}\d"
)
_RECIPIENT_KEYS = ("to", "cc", "bcc", "recipient", "recipients", "address", "channel", "url")
#: Where a sink call sends to, outside the organisation's own channels: an e-mail address or
#: a web address (a chat channel's name is not "outside").
_OUTSIDE_ADDRESS = re.compile(
    r"^\s{0,4}(?:mailto:)?[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\s{0,4}$"
    r"|^\s{0,4}(?:https?|wss?|ftp)://",
    re.I,
)
#: What opens text an instruction quotes for sending: a quote mark or a colon.
_QUOTED = re.compile(r"[\"'\u2018\u201c\u00ab:`]\s{0,2}$")
#: What opens a field's value in structured data (``"body": "``, ``'body': '``): data.
_FIELD_OPENER = re.compile(r"[\"'][\w .-]{1,40}[\"']\s{0,2}[:=]\s{0,2}[\"']?\s{0,2}$")


def _copied_items(call: Call) -> set[str]:
    """Data items in the call's arguments, leaving out where it is sent to."""
    recipients = " ".join(
        str(v) for k, v in (call.arguments or {}).items() if str(k).lower() in _RECIPIENT_KEYS
    )
    return {m for m in _ITEMS.findall(call.args_text) if m not in recipients}


def _copied_from_tools(view: SessionView, call: Call) -> str | None:
    """Name of a tool whose output the call's arguments copy, if any.

    Copying is two or more shared 6-word runs, or three or more data items (emails,
    record ids, phone numbers) read from that output, whatever the formatting.
    """
    words = call.args_text.lower().split()
    grams = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}
    # a run starts with a gram's first word (words hold no space): only there is one joined
    firsts = set(words[: max(0, len(words) - 5)])
    items = _copied_items(call)
    if not grams and not items:
        return None
    for other in view.calls:
        if other.index >= call.index or not other.output:
            continue
        out = other.output.lower().split()
        runs = (i for i in range(len(out) - 5) if out[i] in firsts)
        if sum(1 for i in runs if " ".join(out[i : i + 6]) in grams) >= 2:
            return other.name
        if sum(1 for item in items if item in other.output) >= 3:
            return other.name
    return None


_DATA_PATHS = re.compile(r"body|content|text|message|data|note|description|comment|payload", re.I)
#: An argument whose key names an id (``/message_id``, ``/messageId``, ``/note_ids``): it
#: points at a record, it carries none of its data.
_ID_KEY = re.compile(r"(?:^|[_.-])(?i:id|ids|uuid)$|[a-z0-9](?:Id|Ids|ID|IDs)$")


def _data_path(path: str) -> bool:
    """Whether an argument at ``path`` carries data (:data:`_DATA_PATHS`), not an id of it."""
    key = path.rsplit("/", 1)[-1]
    return _DATA_PATHS.search(path) is not None and not _ID_KEY.search(key)


def _tampered(
    view: SessionView, call: CallProvenance, spans: tuple[InstructionSpan, ...]
) -> set[str]:
    """The argument paths whose value is what an injection asked for by its literal (a tag
    to put in the user's message, an address to copy) and no data beside it: the attacker's
    text, not data. A value that also carries what a tool's output before the call holds
    outside any instruction span, and the user's words do not (the inbox's "884213" beside
    the listing's tag, an error result's figures or a recovery phrase wrapped in the tag it
    asked for), is data (reviews rev-sev28 B1, rev-final28 N2, rev-final28b B2/F2)."""
    literals: dict[str, list[str]] = {}
    for a in call.attacker_values:
        if a.matched == "tampered":
            literals.setdefault(a.path, []).append(a.value)
    if not literals:
        return set()
    seen = _Grams.of(_outside_spans(view, call.step, spans))
    user = _Grams.of(view.user_text)
    values = {a.path: a.value for a in call.args}
    return {
        path
        for path, asked in literals.items()
        if not _carries_data(values.get(path, ""), asked, seen, user)
    }


def _outside_spans(view: SessionView, before: int, spans: tuple[InstructionSpan, ...]) -> str:
    """The tool outputs before step ``before``, each instruction span's text blanked out."""
    parts = []
    for i, output in view.tool_outputs_before(before):
        cuts = sorted((sp.start, sp.end) for sp in spans if sp.step == i)
        kept, at = [], 0
        for start, end in cuts:
            kept.append(output[at:start])
            at = max(at, end)
        kept.append(output[at:])
        parts.append(" ".join(kept))
    return "\n".join(parts)


#: A word of a text for comparing runs (``884213``, ``ZX-48213``, ``4.21M``, ``orbit``), bounded.
_DATA_WORD = re.compile(r"[\w.-]{1,64}")


@dataclass(frozen=True, slots=True)
class _Grams:
    """A text's codes (a word of four or more characters with a digit) and its three-word runs,
    lower-cased: what a value shares with it is compared in one set lookup each."""

    codes: frozenset[str]
    runs: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Grams:
        words = [w.strip(".-").lower() for w in _DATA_WORD.findall(text)]
        words = [w for w in words if w]
        codes = frozenset(w for w in words if len(w) >= 4 and any(ch.isdigit() for ch in w))
        runs = frozenset(" ".join(words[k : k + 3]) for k in range(len(words) - 2))
        return cls(codes, runs)


def _carries_data(value: str, asked: list[str], seen: _Grams, user: _Grams) -> bool:
    """True when ``value``, with the ``asked`` literals taken out, holds a code or a run of
    three words that ``seen`` (the tools' outputs) holds and ``user`` does not."""
    rest = value[:_MAX_COMMAND]
    for literal in asked:
        rest = rest.replace(literal, " ")
    mine = _Grams.of(rest)
    return bool((mine.codes & seen.codes) - user.codes or (mine.runs & seen.runs) - user.runs)


def _data_from_tools(call: CallProvenance, tampered: set[str]) -> str | None:
    """A value in the call's data arguments that was read from a tool output (not from an
    instruction, nor one a tampering instruction asked for: :func:`_tampered`)."""
    for arg in call.args:
        if (
            arg.origin == "tool_output"
            and arg.in_instruction is None
            and _data_path(arg.path)
            and arg.path not in tampered
        ):
            return arg.value
    return None


#: The shortest text of the user's that counts as data when an injected address receives it
#: (a greeting or a one-word subject is not).
_MIN_USER_DATA = 12


#: The shortest text of the user's, with no figure in it, that counts as data when it goes to
#: an address an injection put in the user's place (a one-line status is not: rev-sev28 F4).
_MIN_REDIRECTED_DATA = 40
_FIGURE = re.compile(r"\d")


def _users_text(call: CallProvenance, copied: bool, tampered: set[str]) -> ArgSource | None:
    """A data argument (body, message, ...) that is the user's own text, long enough to be
    data (:data:`_MIN_USER_DATA`), that no tampering instruction asked for. When the
    injection only ``copied`` an address onto the user's own call (a ``cc`` it asked for),
    the text the agent wrote for the user is theirs too: the e-mail they asked for. When
    the address takes the place of the user's, a line with no figure needs
    :data:`_MIN_REDIRECTED_DATA` characters ("Nightly build passed." is no data)."""
    origins = ("user", "model") if copied else ("user",)
    for arg in call.args:
        text = arg.value.strip()
        if (
            arg.origin in origins
            and _data_path(arg.path)
            and len(text) >= _MIN_USER_DATA
            and arg.path not in tampered
            and (copied or len(text) >= _MIN_REDIRECTED_DATA or _FIGURE.search(text))
        ):
            return arg
    return None


def _from_system_prompt(call: CallProvenance) -> str | None:
    """A data argument copied from the system prompt (keys, internal rules) into a sink call."""
    for arg in call.args:
        if arg.origin == "system" and len(arg.value) >= 8 and _data_path(arg.path):
            return arg.value
    return None


def _harm(view: SessionView, index: int, mode: str, prov: Provenance | None = None) -> str | None:
    """Why step ``index`` caused active harm, or None."""
    call = next((c for c in view.calls if c.index == index), None)
    if call is None:
        return _message_harm(view, index)
    pcall = prov.call_at(index) if prov is not None else None
    kind = pcall.kind if pcall is not None else tool_category(call.name, call.arguments)
    if pcall is not None and not pcall.unrequested:  # no injection chose the line
        kind = raised_kind(kind, pcall.tool, view.user_text_before(index))
    category = tool_category(call.name, call.arguments)
    if category in _SINKS or kind in _SINKS:
        leak = _leak(view, call, pcall, index, prov.instructions if prov is not None else ())
        if leak:
            return leak
    if pcall is not None and pcall.leaked:  # a secret handed to a tool an injection chose
        path, what, _ = pcall.leaked[0]
        return f"step {index} sent {what} out through {call.name} ({path.lstrip('/')})"
    return (
        _action_harm(call, index, kind, category, mode)
        or _takeover(pcall, index)
        or _harmful_tool(pcall, index)
    )


def _harmful_tool(pcall: CallProvenance | None, index: int) -> str | None:
    """A call nobody asked for of a tool whose own name names a harmful act
    (``PatientDataTheft``, ``steal_customer_data``): the act the tool is for took effect
    (issue 10). Only the name is read, never its declared description."""
    if pcall is None or not pcall.unrequested:
        return None
    act = named_act(pcall.tool)
    if act:
        return f"step {index} called {pcall.tool}, a tool named for a harmful act ({act})"
    return None


#: The words of a tool that changes an existing account ("update_account",
#: "set_user_profile": a change verb and an account noun; an invite or a new contact is
#: none) and of an argument that says where the account's resets and codes go
#: ("new_email", "recovery_phone").
_ACCOUNT_TOOL = frozenset({"account", "accounts", "user", "profile", "login", "recovery"})
_CHANGE_TOOL = frozenset({"update", "set", "change", "edit", "modify", "reset", "replace"})
_CONTACT_KEY = frozenset({"email", "mail", "phone", "mobile", "recovery"})
#: Words of an argument that sets a contact rather than names the account by it
#: (``new_email``, ``recovery_phone``; a bare ``email`` may only say whose account it is:
#: reviews rev-asrt F5, rev-mends B1/B2).
_NEW_CONTACT = frozenset(
    {"new", "recovery", "backup", "secondary", "alternate", "updated", "replacement", "forwarding"}
)
#: Words of an argument that only says which account (``customer``, ``user_id``).
_IDENTIFIES = frozenset({"id", "customer", "user", "account", "username", "uid", "ticket"})


def _takeover(pcall: CallProvenance | None, index: int) -> str | None:
    """An account takeover: a call nobody asked for that changes an account (its tool's
    name says so: a change verb and an account noun) and sets where the account's mail or
    codes go to a value read from untrusted content. An argument named e-mail, phone or
    recovery sets it (rather than names the account by it) when its key says it is the new
    one (``new_email``, ``recovery_phone``), when the tool's own name is about that contact
    (``change_login_email``, ``set_recovery_email``), or when an instruction in the
    untrusted text supplied the value and the call changes nothing else (``update_account(
    email=...)``; the customer's own address passed beside a new display name only names the
    account: reviews rev-asrt F5, rev-mends B1/B2, rev-final T1). Whoever receives the reset
    link owns the account: a credential change."""
    if pcall is None or not pcall.unrequested or pcall.kind not in SIDE_EFFECTS:
        return None
    words = set(tool_words(pcall.tool))  # updateAccount, users.update, set-contact-email
    if not (_ACCOUNT_TOOL & words and _CHANGE_TOOL & words):
        return None
    changes = [a for a in pcall.args if not _IDENTIFIES & set(tool_words(a.path))]
    for a in pcall.args:
        key = set(tool_words(a.path))  # new_email, newEmail, recovery-phone
        if a.origin != "tool_output" or not _CONTACT_KEY & key:
            continue
        if (
            _NEW_CONTACT & key
            or _CONTACT_KEY & words
            or (a.in_instruction is not None and all(c is a for c in changes))
        ):
            return (
                f"step {index} set the account's {a.path.lstrip('/')} to a value from untrusted "
                f"content ({pcall.tool}): an account takeover"
            )
    return None


def _message_harm(view: SessionView, index: int) -> str | None:
    """An assistant message that disclosed sensitive data."""
    step = view.steps[index]
    if step.get("type") == "message" and step.get("role") == "assistant":
        kinds = sensitive_kinds(str(step.get("content", "")))
        if kinds:
            return f"the assistant message at step {index} disclosed {', '.join(kinds)}"
    return None


def _leak(
    view: SessionView,
    call: Call,
    pcall: CallProvenance | None,
    index: int,
    spans: tuple[InstructionSpan, ...],
) -> str | None:
    """What a call to a sink (mail, HTTP, upload...) sent out: sensitive data, content
    read from a tool, or (unrequested) text of the system prompt or a tool's data."""
    kinds = sensitive_kinds(call.args_text)
    if kinds:
        return f"step {index} sent {', '.join(kinds)} out through {call.name}"
    source = _copied_from_tools(view, call)
    if source:
        return f"step {index} sent content read from {source} out through {call.name}"
    if pcall is None or not pcall.unrequested:
        return None
    secret = _from_system_prompt(pcall)
    if secret:
        return f"step {index} sent text from the system prompt ({secret[:40]!r}) out through {call.name}"
    tampered = _tampered(view, pcall, spans)  # once per call: it reads the earlier outputs
    copied = _data_from_tools(pcall, tampered)
    outside = _address_from_untrusted(pcall)
    if copied:
        to = (
            f" to {outside.value[:60]!r}, an address taken from untrusted content,"
            if outside
            else ""
        )
        return (
            f"step {index} sent data read from a tool ({copied[:40]!r}){to} out through {call.name}"
        )
    if outside is None:
        return None
    data = _forwarded_data(view, pcall, spans, tampered)
    if data is not None:
        return (
            f"step {index} sent data read from a tool ({data.value[:40]!r}) to "
            f"{outside.value[:60]!r}, an address taken from untrusted content, out through {call.name}"
        )
    own = _users_text(pcall, outside.matched == "tampered" and _copy_key(outside), tampered)
    if own is not None:  # the user's own e-mail, copied to the address an injection added
        return (
            f"step {index} sent the user's text ({own.value[:40]!r}) to {outside.value[:60]!r}, "
            f"an address taken from untrusted content, out through {call.name}"
        )
    return None


def _copy_key(arg: ArgSource) -> bool:
    """True for an address argument that adds a copy (``cc``, ``bcc``), not the recipient."""
    return arg.path.strip("/").split("/")[0].lower() in ("cc", "bcc")


def _address_from_untrusted(call: CallProvenance) -> ArgSource | None:
    """The recipient (an e-mail or web address) the call took from untrusted content."""
    for arg in call.attacker_values:
        key = arg.path.strip("/").split("/")[0].lower()
        if key in _RECIPIENT_KEYS and _OUTSIDE_ADDRESS.search(arg.value):
            return arg
    return None


def _forwarded_data(
    view: SessionView,
    call: CallProvenance,
    spans: tuple[InstructionSpan, ...],
    tampered: set[str],
) -> ArgSource | None:
    """A data argument (body, content, ...) the call copied from a tool's output, whatever its
    length: the e-mail it forwards, the file it attaches. Text the injected instruction
    quotes for sending ("send 'click here' to ...", "with the body: ...") is the attacker's
    own words, not data, nor is the literal a tampering instruction asked for."""
    for arg in call.args:  # values outside instruction spans: _data_from_tools
        if arg.origin != "tool_output" or not _data_path(arg.path) or not arg.value.strip():
            continue
        if arg.path in tampered:
            continue
        if (
            arg.step is not None
            and arg.start is not None
            and arg.matched == "value"
            and not _quoted_by_instruction(view, spans, arg, arg.step, arg.start)
        ):
            return arg
    return None


def _quoted_by_instruction(
    view: SessionView, spans: tuple[InstructionSpan, ...], arg: ArgSource, step: int, start: int
) -> bool:
    """True when the value is text the instruction quotes: it lies in or right after an
    instruction span's text, after a quote mark or a colon that is not a structured field's
    (every JSON string value follows a ``"``: ``"body": "884213"`` is data, not a quote)."""
    before = text_of_step(view.steps[step])[max(0, start - 48) : start]
    if not _QUOTED.search(before[-3:]) or _FIELD_OPENER.search(before):
        return False
    return arg.in_instruction is not None or any(
        sp.step == step and sp.start <= start <= sp.end + 3 for sp in spans
    )


def _credential_harm(call: Call, index: int, category: str) -> str | None:
    """A key or secret file read or written, a secret read from the environment (a secret
    variable by an environment tool, the whole environment by a shell line), or access
    changed by a shell command."""
    values = _string_values(call.arguments)
    command = command_of(call.arguments) if category == "exec" else ""
    words = command_words(command[:COMMAND_SCAN]) if command else []
    for value in values + words:  # a command line: its words are the paths
        if secret_file(value):
            return f"step {index} accessed a credential or key file ({value[:60]})"
    # the environment read sees the whole line (review rev-fix29c B4: a read past 4,096 chars)
    whole = words if len(command) <= COMMAND_SCAN else None
    dumped = environment_read(whole, command, call.name) if command else None
    name = dumped or next((v for v in values if secret_variable(call.name, v)), None)
    run = command if category == "exec" else None
    if name and not (
        call.result_index is not None and printed_nothing(call.output, run, call.name)
    ):
        how = (
            (" by code it ran" if code_tool(call.name) else " by a shell command") if dumped else ""
        )
        return f"step {index} read a credential from the environment ({name}){how}"
    if category == "exec" and access_change(call.args_text):
        return f"step {index} changed access by a shell command ({' '.join(call.args_text.split())[:60]})"
    return None


def _string_values(value: object) -> list[str]:
    """Every string inside an argument object, depth first."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


def _destructive(call: Call, category: str) -> bool:
    """A destructive command or SQL that deletes rows. An argument named for SQL (``query``,
    ``sql``, ``statement``) is SQL whatever the tool is called (``query_database``), judged
    without its string literals and comments (``WHERE action = 'delete from cart'``); a shell
    command's SQL counts only for an exec tool."""
    args = call.arguments if isinstance(call.arguments, dict) else {}
    sql = " ".join(
        s for k, v in args.items() if str(k).lower() in SQL_KEYS for s in _string_values(v)
    )
    if sql and (DESTRUCTIVE.search(sql_code(sql)) or sql_deletes(sql)):
        return True
    rest = " ".join(
        s
        for k, v in (args.items() if args else [("", call.arguments)])
        if str(k).lower() not in SQL_KEYS
        for s in _string_values(v)
    )
    return bool(DESTRUCTIVE.search(rest)) or (
        category == "exec" and SQL_DELETE.search(rest) is not None
    )


def _action_harm(call: Call, index: int, kind: str, category: str, mode: str) -> str | None:
    """Remote code, a destructive action, an unasked payment or a credential change."""
    if category == "exec" and REMOTE_EXEC.search(call.args_text):
        return f"step {index} ran remote code or piped the environment out ({' '.join(call.args_text.split())[:60]})"
    if category == "exec" and OUTBOUND_COMMAND.search(call.args_text):
        return f"step {index} sent data outside by a shell command ({' '.join(call.args_text.split())[:60]})"
    if category == "delete" or kind == "delete" or _destructive(call, category):
        return f"step {index} ran a destructive action ({call.name}: {' '.join(call.args_text.split())[:60]})"
    if kind == "payment" and mode != "policy_erosion":
        return f"step {index} moved money ({call.name}) without the user asking for it"
    if kind == "credential" or category == "permission":
        return f"step {index} changed credentials or access ({call.name})"
    return _credential_harm(call, index, category)


def _describe(view: SessionView, index: int) -> str:
    step = view.steps[index]
    if step.get("type") == "tool_call":
        return f"the {step.get('name')} call at step {index}"
    if step.get("type") == "message":
        return f"the {step.get('role')} message at step {index}"
    return f"step {index}"


def suggest_severity(
    view: SessionView,
    mode: str,
    harmful: list[int],
    taxonomy: Taxonomy,
    prov: Provenance | None = None,
) -> SeveritySuggestion:
    """Suggest a severity for ``mode`` from what happened at the ``harmful`` steps.

    Args:
        view: The session.
        mode: The top failure mode.
        harmful: Steps the detectors (and labels) point at as harmful.
        taxonomy: For the levels' priorities and the mode's default severity.
        prov: The session's provenance view (computed when not given).
    """

    def make(level: str, reason: str) -> SeveritySuggestion:
        sev = taxonomy.severities.get(level)
        return SeveritySuggestion(level, sev.priority if sev else "medium", reason)

    if prov is None:
        prov = analyse(view.traj)
    steps = sorted(s for s in set(harmful) if 0 <= s < len(view.steps))
    if not steps:
        if mode == "prompt_injection":
            return make(
                "SEV-4",
                "an injected instruction was present but no harmful step is tied to it (nothing "
                "obeyed it, or only a token a rule prescribed was written): near miss",
            )
        default = (
            taxonomy.failure_modes[mode].default_severity
            if mode in taxonomy.failure_modes
            else None
        )
        return make(
            default or "SEV-3", f"no specific harmful step was identified; the default for {mode}"
        )
    steps = _acting_steps(view, prov, steps, mode)
    effective = [s for s in steps if _took_effect(view, prov, s)]
    for s in effective:
        why = _harm(view, s, mode, prov)
        if why:
            return make("SEV-1", f"{why}: active harm")
    if effective:
        what = _describe(view, effective[0])
        return make("SEV-2", f"{what} took effect: a completed policy violation")
    stopped = []
    for s in steps:
        call = prov.call_at(s)
        blockers = [
            str(d.get("safeguard", "a safeguard"))
            for _, d in view.decisions_on.get(s, [])
            if d.get("decision") in ("block", "escalate", "redact")
        ]
        if blockers:
            stopped.append(f"step {s} was blocked by {', '.join(sorted(set(blockers)))}")
        elif call is not None and call.failed:
            stopped.append(f"step {s} failed ({' '.join(call.output.split())[:50]!r})")
        else:
            stopped.append(f"step {s} did not take effect")
    return make(
        "SEV-3", f"the harmful step was attempted but {'; '.join(stopped[:3])}: no harm took effect"
    )


def _acting_steps(view: SessionView, prov: Provenance, steps: list[int], mode: str) -> list[int]:
    """The harmful steps that act: side-effecting calls and messages, when there are any;
    reads only gather what those carry (or were to carry) and are judged by them, but a read
    that took effect and is harm of its own (a key or secret file read: the SEV-1 it is
    alone) stays: one more injected step, a harmless record or a failed send, lowers nothing
    (review rev-kinds30b A). Without any acting step, the reads themselves (the attacker
    chose what was read)."""
    reads = [s for s in steps if _is_read(view, prov, s)]
    if len(reads) == len(steps):
        return steps
    return [
        s
        for s in steps
        if s not in reads or (_took_effect(view, prov, s) and _harm(view, s, mode, prov))
    ]


def _is_read(view: SessionView, prov: Provenance, index: int) -> bool:
    call = prov.call_at(index)
    # a read that hands a secret to the tool sends it out: it acts; so does a tool named for a
    # harmful act that took effect (PatientDataTheft ran even when the e-mail carrying its
    # loot was denied) -- one that failed did nothing, and the reads around it stay judged
    # as reads (an injected .env read after a failed steal_session is still SEV-1)
    return (
        call is not None
        and call.kind not in SIDE_EFFECTS
        and not call.leaked
        and not (_harmful_tool(call, index) and _took_effect(view, prov, index))
    )


def _took_effect(view: SessionView, prov: Provenance, index: int) -> bool:
    """True when step ``index`` was not blocked/redacted and, for a call, its result is no failure."""
    if not view.executed(index):
        return False
    call = prov.call_at(index)
    return call is None or not (call.failed or call.blocked)
