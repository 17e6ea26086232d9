"""Reader for OpenAI Responses-API records: item lists, exchanges and Response objects.

Accepted records (JSON objects or arrays, one per line, or one JSON document per file):

- a list of Responses items, as the OpenAI Agents SDK's ``result.to_input_list()``
  returns it (``{"role": "user", "content": ...}``, ``function_call``,
  ``function_call_output``, ``message``, ``reasoning``, hosted tool calls, ...); a JSON
  array of such lists is one run per element;
- an object holding such a list under ``input`` (a request body, or a run dumped as
  ``{"input": result.to_input_list(), "final_output": ...}``);
- an exchange ``{"request": <responses.create keyword arguments>, "response":
  <Response>}``;
- a bare ``Response`` (``{"id": "resp_...", "object": "response", "output": [...]}``);
- Batch-API lines: the request under ``body`` (an input line), the Response under
  ``response.body`` (an output line); an input line and the output line answering
  it are one exchange, paired by ``custom_id`` within a batch's block of lines, or all
  the lines of a ``custom_id`` are one session, noted when that is not sure (see
  :class:`_Batches`).

A list of role messages alone (no ``type``; not under ``input`` unless beside a
``final_output``) is claimed with less confidence, a pretty-printed array of them longer
than the head when every element, read on past it, is such a list; a list holding an
item of another API (see :func:`_foreign`), or one no Responses list holds (an item
with no type and no Responses role, of a type no Responses item has: see
:func:`_refused`) is not, and read, such an item makes its record a reject naming it.

Mapping to ``trajectory/v1``: ``instructions`` is the system prompt (written again only
when it changes); user, system and developer messages (developer kept as system, noted);
``function_call`` is a ``tool_call`` (``arguments`` parsed from JSON text, the reader
convention for text that does not parse); ``function_call_output`` is a ``tool_result``
(a string, or a list of parts: its text, or all of it as JSON when a part is not text);
an assistant ``message``'s ``output_text`` parts are its text, a ``refusal`` part is its
text when it has none. Hosted tools are tool steps where the item records what the tool
did: ``web_search_call`` (the action), ``file_search_call`` (the queries, then the results
when included), ``computer_call`` and ``computer_call_output``, ``mcp_call`` (then its
output or error), ``local_shell_call`` / ``shell_call`` / ``custom_tool_call`` and their
outputs, ``code_interpreter_call`` (the code, then its outputs), ``image_generation_call``,
``tool_search_call`` / ``tool_search_output`` (the tools found), ``program`` /
``program_output`` (its ``result``); a hosted tool's versions are one tool
(``computer_use_preview`` calls are ``computer``'s, ``web_search_preview``'s ``web_search``'s).
Items that say nothing a tool or speaker did (``reasoning``, ``mcp_list_tools``, approval
requests, ``item_reference``, types this reader does not know, except in a list of items:
see above) are not steps: each is
kept, whole, under the next step's ``x_openai_responses.items`` (or the session's
``x_openai_responses.trailing_items`` when no step follows); so is an item that cannot be
read (a typed ``message`` of an odd role, a call with no name), its problem in the
record's ``item_problems`` (a record with no readable item is a reject).

Sessions: one item list is one session; exchanges and responses are one session when
chained by ``previous_response_id``, when they share a ``conversation`` id, a
``session_id`` / ``conversation_id`` / ``thread_id`` in their metadata or a Batch
``custom_id`` (:class:`_Batches`), or when a request's ``input`` starts with another
record's whole history and goes on past it (the items passed back in a tool loop, or an
Agents SDK run continued from ``to_input_list()``), unless that history was continued
with two different user turns, or with two different outputs of one of its calls (two
runs: :func:`_worlds`); see :func:`_link_histories`. Runs are split only where
records are joined by their histories: records joined by an explicit id
(``previous_response_id``, ``conversation``, a metadata session id) are one session
whatever outputs they pass, both runs' results in it (review revresp39 L2). A session's steps are each
record's input then its output, in ``created_at`` then line order (see
:func:`_ordered`); a repeated history is written once, a repeated call twice
(:func:`_new_items`); a response
id read on an earlier line makes the record a reject.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import re2

from incident_lab.errors import InputError
from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import (
    DEFAULT_MAX_LINE_BYTES,
    Record,
    head_object,
    iter_json_documents,
    open_binary,
)
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    content_output,
    finish,
    guarded,
    output_text,
    str_or_none,
    text_of,
    tool_call_step,
    tool_entry,
    unix_to_rfc3339,
)
from incident_lab.readers.tool_inference import complete_tools, infer_tools
from incident_lab.trajectory import compact_json, new_trajectory, parse_timestamp

_FMT = "openai_responses"
_X = "x_openai_responses"
_SESSION_KEYS = ("session_id", "conversation_id", "thread_id")
#: Ids that tell two records apart: records whose ids of one kind differ are never
#: joined by their histories.
_EXPLICIT = ("conversation", "session", "user")
_ROLES = {"user": "user", "system": "system", "developer": "system", "assistant": "assistant"}
#: Item types that hosted or local tools write, and the tool name each call gets.
_CALL_NAMES = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "computer_call": "computer",
    "local_shell_call": "local_shell",
    "shell_call": "shell",
    "apply_patch_call": "apply_patch",
    "code_interpreter_call": "code_interpreter",
    "image_generation_call": "image_generation",
    "program": "program",
    "tool_search_call": "tool_search",
}
#: Hosted tool types (``tools[].type``) whose calls go by another name (the versions of
#: one tool are one tool).
_TOOL_NAMES = {
    "computer_use_preview": "computer",
    "web_search_preview": "web_search",
    "web_search_preview_2025_03_11": "web_search",
    "web_search_2025_08_26": "web_search",
    "programmatic_tool_calling": "program",
}
#: Output item types: a tool's result for an earlier call (``call_id``).
_OUTPUT_TYPES = (
    "function_call_output",
    "computer_call_output",
    "local_shell_call_output",
    "shell_call_output",
    "apply_patch_call_output",
    "custom_tool_call_output",
    "program_output",
    "tool_search_output",
)
#: Every item type of the Responses API this reader knows (for detection).
_ITEM_TYPES = frozenset(
    {
        "message",
        "function_call",
        "reasoning",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "mcp_approval_response",
        "custom_tool_call",
        "item_reference",
        "compaction",
        # the SDK's output / input unions: tools added mid-run, a client's compaction request
        "additional_tools",
        "compaction_trigger",
        *_CALL_NAMES,
        *_OUTPUT_TYPES,
    }
)
#: Content part types of other APIs, and the API each is of (a message holding one is
#: not a Responses message: such a list is not claimed; read, it is a reject naming it).
_FOREIGN_PARTS = {
    **dict.fromkeys(
        (
            "tool_use",
            "tool_result",
            "thinking",
            "redacted_thinking",
            "server_tool_use",
            "web_search_tool_result",
            "document",
        ),
        "Anthropic's Messages API",
    ),
    **dict.fromkeys(("tool-call", "tool-result"), "the Vercel AI SDK (CoreMessage)"),
}
#: Fields of a call item that are its arguments (the rest is kept under ``x``).
_ARGUMENT_KEYS = ("action", "actions", "queries", "code", "input", "operation", "container_id")
#: Fields of a hosted call item that hold what the tool returned.
_RESULT_KEYS = ("results", "outputs", "result")
_EARLIEST = datetime.min.replace(tzinfo=UTC)
#: What a sniff past the head reads at a time; the next character that is no JSON
#: white space (one character class, searched in C: linear, no backtracking).
_CHUNK = 65536
_TOKEN = re.compile(r"[^ \t\r\n]")
#: A sniff past the head gives up (cannot tell) at an element longer than this many
#: characters, past this many bytes read, or after this many elements and items leave
#: it undecided: its cost stays bounded (review revresp38b M2).
_MAX_PENDING = 1 << 18
_SNIFF_BYTES = 8 << 20
_SNIFF_ITEMS = 10_000
#: Where a walk through an array document is: before its ``[``, just after it, after a
#: comma, after an element, after its ``]``.
_START, _FIRST, _NEXT, _AFTER, _CLOSED = range(5)
#: A Batch line's ``custom_id`` at its start (a line that could not be read).
_CUSTOM_ID = re2.compile(r'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


class _Bad(Exception):
    """A record-level problem with the record on one line."""


class _Foreign(_Bad):
    """An item of another API's log (a chat-completions message with ``tool_calls``, a
    ``tool`` role, Anthropic content blocks), or one a list of Responses items does not
    hold (:func:`_refused`): the record is no Responses record, and is rejected whole,
    never read with its calls left out (reviews revresp36b H1, revresp39 H1)."""


class OpenAIResponsesReader:
    """OpenAI Responses-API item lists (Agents SDK ``to_input_list()``), exchanges, Responses."""

    name = _FMT
    description = (
        "OpenAI Responses API: item lists (Agents SDK to_input_list()), "
        "request/response exchanges, Response objects"
    )

    def sniff(self, path: str, head: bytes) -> float:
        """Sure for a Response, an exchange, a Batch line, or an item list holding a typed
        item; less sure for a list of ``{"role", "content"}`` messages alone, seen whole,
        or a run dumped with its ``final_output`` whose input is such a list. Every item
        of a pretty-printed array the head holds whole is scored, so one of another API
        in the head says no (review revresp37 H1); role messages alone in a longer
        document are read on past the head (:func:`_array_score`): the messages there
        may be another API's, whose calls this reader would not read (a Gemini history,
        Chat Completions or Bedrock Converse messages: review revresp37 H1; such an item
        makes its record a reject naming its API when the format is given)."""
        first, whole = head_object(head), True
        if first is None:
            first, whole = _first_of_document(head)
        if isinstance(first, list):
            runs = first if first and all(isinstance(v, list) for v in first) else [first]
            score = _items_score([item for run in runs for item in run])
            return score if whole or score != 0.5 else _array_score(path)
        if first is None and head.lstrip().startswith(b"["):
            # Its first element is longer than the head (its "role" may come after a
            # long "content", as the Agents SDK writes it: review revfinal38 M1).
            return _array_score(path)
        if first is None:
            return _opening_score(head)
        return _object_score(first) if isinstance(first, dict) else 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield every session, in the order of its first record."""
        records: list[dict[str, Any]] = []
        seen: dict[str, int] = {}  # response id -> where in records the one read is
        batches = _Batches()
        for line_no, obj, reject in iter_json_documents(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                batches.not_read(reject)
                yield reject
                continue
            batch = batches.line(obj)
            for entry, value in _entries(obj):
                rec, bug = guarded(
                    _record, value, line_no, entry, path=path, line=line_no, entry=entry
                )
                if bug is not None or rec is None:
                    yield bug  # type: ignore[misc]
                    continue
                if isinstance(rec, str):
                    excerpt = compact_json(value)[:200]
                    yield Record(path, line_no, reason=rec, entry=entry, excerpt=excerpt)
                    continue
                rec["excerpt"] = compact_json(value)[:200]
                rec["batch"] = batch
                left_out = _admit(rec, records, seen)
                if left_out is not None:
                    batches.drop(left_out["batch"])
                    reason = _repeated(left_out, records[seen[rec["id"]]])
                    yield Record(
                        path,
                        left_out["line"],
                        reason=reason,
                        entry=left_out["entry"],
                        excerpt=left_out["excerpt"],
                    )
        for line, notice in batches.pair(records):
            yield Record(path, line, warning=notice)
        for group in _group(records):
            yield _build(path, group)


class _Batches:
    """Batch-API lines by ``custom_id``. A ``custom_id`` is unique within one batch
    only, and a failed request's line is in the batch's error file, not its output
    file, so in batch files read one after the other the n-th input line with an id
    need not be answered by the n-th output line with it (review revresp37 H2).

    Lines are paired by block when the file's input and output blocks alternate (a block:
    a run of input or of output lines holding each id once; two batches read in order,
    ``in1 out1 in2 out2``): the
    k-th input block's line with an id and the k-th output block's are one exchange,
    when the id is in the same blocks of input lines as of output lines (a request
    failed in one batch may draw the next batch's answer into its block). Otherwise
    all the lines of an id are one session (review revresp37b H1: lines split one a session
    hid an injection obeyed in another batch, each piece looking harmless), noted
    ``batch_ambiguous`` with the reason when that is not sure: the id's input lines
    hold different requests, more output lines give it than input lines and more than
    one (``max(inputs, 1)``: a single output line with no input line read is one
    answer, sure), or a line that could not be read holds the id
    (its ``custom_id`` read from the line's start when it is there; every id when
    not). Each kind of such reason is told to the user once, as a reader's warning
    (:class:`~incident_lab.readers.base.Record` ``warning``: ``classify`` prints it,
    ``snapshot`` lists it in its summary's ``warnings``; neither counts it as a record or
    changes the exit code), since the note alone was seen by no one."""

    def __init__(self) -> None:
        self.requests: dict[str, set[str]] = {}  # custom_id -> its input lines' requests
        self.lines: list[tuple[str, bool] | None] = []  # (custom_id, output line) in order
        self.unread: set[str] = set()  # the custom_ids of lines that could not be read
        self.unknown = 0  # the first line that could not be read, its custom_id unknown

    def line(self, obj: Any) -> tuple[str, bool, int] | None:
        """Count a line: its ``(custom_id, output line, index)``, or None without one."""
        custom_id = str_or_none(as_dict(obj).get("custom_id"))
        if custom_id is None:
            return None
        output = "response" in obj or "error" in obj
        if not output:
            request = hashlib.sha256(compact_json(obj.get("body")).encode("utf-8", "surrogatepass"))
            self.requests.setdefault(custom_id, set()).add(request.hexdigest())
        self.lines.append((custom_id, output))
        return custom_id, output, len(self.lines) - 1

    def not_read(self, reject: Record) -> None:
        """Note a line that could not be read: its ``custom_id`` if its start holds one."""
        found = _CUSTOM_ID.search(reject.excerpt or "")
        if found is not None:
            try:
                self.unread.add(json.loads(f'"{found.group(1)}"'))
            except ValueError:
                self.unread.add(found.group(1))
        else:
            self.unknown = self.unknown or reject.line or 1

    def drop(self, batch: tuple[str, bool, int] | None) -> None:
        """Uncount a line left out as a repeat of a response read on another line."""
        if batch is not None:
            self.lines[batch[2]] = None

    def why_not(
        self, custom_id: str, counts: Counter[tuple[str, bool] | None]
    ) -> tuple[str, str] | None:
        """Why the lines of ``custom_id`` are not surely one exchange, as ``(kind of
        reason, reason)``, or None."""
        inputs, outputs = counts[custom_id, False], counts[custom_id, True]
        if self.unknown:
            return "unknown", f"line {self.unknown} could not be read: its custom_id is unknown"
        if custom_id in self.unread:
            return "unread", f"a line of custom_id {custom_id} could not be read"
        if len(self.requests.get(custom_id, ())) > 1:
            why = f"custom_id {custom_id} is on {inputs} input lines holding different requests"
            return "requests", why
        if outputs > max(inputs, 1):
            why = f"custom_id {custom_id} is on {outputs} output lines and {inputs} input lines"
            return "outputs", why
        return None

    def _blocks(self) -> list[int] | None:
        """Each line's block number, or None unless input and output blocks alternate, each
        batch's input lines right before its output lines (``in1 out1 in2 out2``): in any
        other order (``in1 in2 out2 out1``, as ``cat *_input.jsonl *_output.jsonl`` may
        give) which output block answers which input block is a guess (review revresp37c:
        a question paired with another batch's ``wire`` call was a false SEV-1)."""
        numbers: list[int] = []
        count = {False: 0, True: 0}
        kind: bool | None = None
        kinds: list[bool] = []
        ids: set[str] = set()
        for line in self.lines:
            if line is not None and (line[1] != kind or line[0] in ids):
                kind, ids = line[1], set()
                count[line[1]] += 1
                kinds.append(line[1])
            if line is not None:
                ids.add(line[0])
            numbers.append(count[line[1]] if line is not None else 0)
        alternate = kinds == [False, True] * (len(kinds) // 2)
        return numbers if alternate and count[False] > 1 else None

    def _by_block(self, blocks: list[int]) -> set[str]:
        """The ids whose lines pair by block: read, and in the same blocks of input lines
        as of output lines (a request that failed in one batch, its line in the error
        file, may draw the next batch's answer into its block: that id's lines are not
        paired by block)."""
        where: dict[tuple[str, bool], set[int]] = {}
        for n, line in enumerate(self.lines):
            if line is not None:
                where.setdefault(line, set()).add(blocks[n])
        return {
            custom_id
            for (custom_id, output), found in where.items()
            if output and where.get((custom_id, False)) == found
        } - self.unread

    def pair(self, records: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """Set each record's ``batch`` to the key that joins it to its session's lines;
        return a warning ``(line, text)`` per kind of reason a pairing is not sure, at
        the first line it concerns."""
        blocks = (None if self.unknown else self._blocks()) or []
        by_block = self._by_block(blocks) if blocks else set()
        verdicts: dict[str, tuple[str, str] | None] = {}
        counts = Counter(self.lines)
        doubts: dict[str, tuple[int, str, set[str]]] = {}  # kind -> (first line, a reason, ids)
        for rec in records:
            if rec["batch"] is None:
                continue
            custom_id, _output, n = rec["batch"]
            if custom_id in by_block:
                rec["batch"] = f"{blocks[n]}:{custom_id}"
                rec["info"]["batch_block"] = blocks[n]
                continue
            if custom_id not in verdicts:
                verdicts[custom_id] = self.why_not(custom_id, counts)
            rec["batch"] = f"0:{custom_id}"
            verdict = verdicts[custom_id]
            if verdict is not None:
                kind, why = verdict
                rec["info"]["batch_ambiguous"] = why
                line, _why, ids = doubts.setdefault(kind, (rec["line"], why, set()))
                ids.add(custom_id)
                if rec["line"] < line:
                    doubts[kind] = (rec["line"], why, ids)
        return [(line, _doubt(why, ids)) for line, why, ids in doubts.values()]


def _doubt(why: str, ids: set[str]) -> str:
    """The warning for Batch lines kept together, not paired, for ``why`` (a reason of
    one id) and the ids in doubt for that kind of reason."""
    if len(ids) == 1:
        which = f"the lines of custom_id {next(iter(ids))} are"
    else:
        which, why = f"the lines of each of {len(ids)} custom_ids are", f"{why}, and so on"
    return (
        f"Batch lines not paired: {why}; {which} read as one session "
        "(batch_ambiguous), whose requests and answers may not match"
    )


def _admit(
    rec: dict[str, Any], records: list[dict[str, Any]], seen: dict[str, int]
) -> dict[str, Any] | None:
    """Add ``rec`` to ``records``, or return the record left out when its response id was
    read before: the later one unless it holds all of the earlier and more (then it takes
    the earlier one's place: :func:`_fuller`). ``seen`` maps a response id to the index
    of its record (review revresp37 L1: a search of ``records`` made this quadratic)."""
    at = seen.get(rec["id"]) if rec["id"] else None
    if at is None:
        if rec["id"]:
            seen[rec["id"]] = len(records)
        records.append(rec)
        return None
    first = records[at]
    if _fuller(rec, first):  # the completed one is kept
        records[at] = rec
        return first
    return rec


def _repeated(rec: dict[str, Any], kept: dict[str, Any]) -> str:
    """Why a record giving a response id another line gave is a reject (read once)."""
    if rec["whole"] == kept["whole"]:
        return f"duplicate of line {kept['line']} (response {rec['id']})"
    if kept["line"] > rec["line"]:
        return f"response {rec['id']} read whole from line {kept['line']} (this is a part of it)"
    return f"response {rec['id']} already read on line {kept['line']}, with another history"


def _fuller(rec: dict[str, Any], first: dict[str, Any]) -> bool:
    """Whether ``rec`` holds all of ``first``'s history and more, under the same response id:
    a response logged when created and again when completed, a bare Response and then its
    exchange (review revresp36b H2: the poorer record was kept, the fuller rejected)."""
    size = len(rec["inputs"]) + len(rec["outputs"])
    known = len(first["inputs"]) + len(first["outputs"])
    keys = {key for key, _steps, _item in rec["inputs"] + rec["outputs"]}
    return size > known and all(
        key in keys for key, _steps, _item in first["inputs"] + first["outputs"]
    )


def _object_score(first: dict[str, Any]) -> float:
    """What a first record that is an object says: a Response, an exchange or a Batch
    line, or a run dump holding ``input``."""
    if _is_response(first) or _is_response(as_dict(_body(first.get("response")))):
        return 0.95
    request = as_dict(_body(first.get("request")))
    if "custom_id" in first:  # a Batch-API input line
        request = as_dict(first.get("body"))
    if isinstance(request.get("input"), list | str) and "messages" not in request:
        return 0.9
    if isinstance(first.get("input"), list) and "messages" not in first:
        score = _items_score(first["input"])  # role messages alone: other logs' samples
        return score if score > 0.5 or "final_output" in first else 0.0
    return 0.0


def _first_of_document(head: bytes) -> tuple[Any, bool]:
    """A pretty-printed JSON document's head, and whether it is all of it: the whole
    head when it parses, else a list of the array's elements the head holds whole."""
    text = head.decode("utf-8", errors="replace").lstrip()
    try:
        return json.loads(text), True
    except (ValueError, RecursionError):
        pass
    values: list[Any] = []
    try:
        for value in _array_values(io.BytesIO(head)):
            values.append(value)
    except ValueError:
        pass  # cut by the head, or no array
    return (values or None), False


def _array_score(path: str) -> float:
    """What a pretty-printed array of role messages (or of runs of them) longer than the
    head says, read on element by element from the file until an element decides: 0 at
    the first item that is no Responses item or another API's (a Gemini history, Chat
    Completions or Bedrock Converse messages past the head: review revresp37 H1), 0.9
    at the first typed item, 0.5 when every item is a role message; 0 (cannot tell) for
    a document that does not parse, is more than one document (JSONL: review revresp38
    L1), or cannot be read. The work is bounded, not the verdict (review revfinal38 M1:
    a 9 MB array of role messages then a call was "cannot tell"): when a cap of
    :func:`_array_values` is reached, or more than :data:`_SNIFF_ITEMS` elements and
    items are read, undecided, the items seen say it: 0.5 when they are all role
    messages, 0 when none was or an empty run was among them (an empty run is no
    evidence, and a flood of them is claimed by nothing: review revresp38b M2). A
    record read past the cap that holds an item :func:`_refused` refuses is a reject
    naming it, where a file that small, sniffed whole, is no claim (review revresp39 L1:
    detection depends on size there, the reading of the item does not)."""
    score, runs, items, empty = 0.0, None, 0, False
    try:
        with open_binary(path) as fh:
            for value in _array_values(fh):
                if runs is None:
                    runs = isinstance(value, list)
                if runs is not isinstance(value, list):
                    return 0.0  # runs and items mixed: no run list
                items += len(value) + 1 if runs else 1  # an empty run counts too
                if items > _SNIFF_ITEMS:
                    return 0.0 if empty else score
                if runs and not value:
                    empty = True  # an empty run says nothing
                    continue
                score = _items_score(value if runs else [value])
                if score != 0.5:
                    return score
    except _OverCap:
        return 0.0 if empty else score
    except (InputError, OSError, EOFError, ValueError, zlib.error):
        return 0.0
    return score


class _OverCap(ValueError):
    """A sniff past the head reached a cap of its work (bytes read, an element's
    length) with its verdict not decided by what it read."""


def _array_values(fh: BinaryIO) -> Iterator[Any]:
    """The elements of the JSON array document ``fh`` holds, one at a time, then a check
    that nothing but white space follows it: read in chunks, each element parsed whole
    once the text read holds it (a pending element doubles the next read, so a long one
    is parsed a few times, not once a chunk). The cap is checked before each read: at
    most :data:`_SNIFF_BYTES` read, and no element pending past :data:`_MAX_PENDING`
    characters (the text held stays a few MB, whatever the file).

    Raises:
        ValueError: not an array, not JSON, cut short, more after it, or over a cap.
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text, total, state = "", 0, _START
    while True:
        if len(text) > _MAX_PENDING:
            raise _OverCap(f"an element over {_MAX_PENDING:,} characters")
        room = _SNIFF_BYTES - total
        if room <= 0:
            raise _OverCap(f"over {_SNIFF_BYTES:,} bytes")
        data = fh.read(min(max(_CHUNK, len(text)), room))
        total += len(data)
        values, text, state = _whole_values(
            decoder, text + utf8.decode(data, final=not data), state
        )
        yield from values
        if not data and state == _CLOSED:
            return
        if not data:
            raise ValueError("the array does not end")


def _whole_values(decoder: json.JSONDecoder, text: str, state: int) -> tuple[list[Any], str, int]:
    """The array elements ``text`` holds whole, the text left pending, and where the
    walk is (:data:`_START` ... :data:`_CLOSED`): strict JSON, exactly one comma between
    elements (a run of commas is no array: review revresp38b M2).

    Raises:
        ValueError: not an array, nested too deeply, or more after its end.
    """
    values: list[Any] = []
    at = 0
    while True:
        token = _TOKEN.search(text, at)
        if token is None:
            return values, "", state
        at, char = token.start(), token.group()
        if state == _START and char == "[":
            state, at = _FIRST, at + 1
        elif char == "]" and state in (_FIRST, _AFTER):
            state, at = _CLOSED, at + 1
        elif char == "," and state == _AFTER:
            state, at = _NEXT, at + 1
        elif state in (_FIRST, _NEXT) and char not in ",]":
            try:
                value, at = decoder.raw_decode(text, at)
            except RecursionError:
                raise ValueError("nested too deeply") from None
            except ValueError:
                return values, text[at:], state  # not whole yet; at the end of the file, not JSON
            values.append(value)
            state = _AFTER
        else:
            raise ValueError("not one JSON array")  # JSONL: a line after the array


def _opening_score(head: bytes) -> float:
    """What the opening of a first record longer than the head says (a Response, or an
    exchange whose request has ``input`` and no ``messages``)."""
    start = head.lstrip()[:4096]
    if not start.startswith(b"{"):
        return 0.0
    if b'"object": "response"' in start or b'"object":"response"' in start:
        return 0.8
    opens_request = start[1:].lstrip().startswith(b'"request"')
    return 0.8 if opens_request and b'"input"' in head and b'"messages"' not in head else 0.0


def _items_score(items: Any) -> float:
    """0.9 for a list of Responses items with at least one typed item, 0.5 for role
    messages alone (a run with no tool call or typed reply; a reader sure of such a list
    wins), 0 when an item is refused (see :func:`_refused`)."""
    if not isinstance(items, list) or not items:
        return 0.0
    if any(_refused(item, "") is not None for item in items):
        return 0.0
    if any(item.get("type") is not None for item in items):
        return 0.9
    # role messages, beside bare item references at most: a list of ``{"id": ...}``
    # objects alone is anybody's
    return 0.5 if any(item.get("role") is not None for item in items) else 0.0


def _refused(item: Any, where: str) -> str | None:
    """Why ``item`` is no item of a plain list of Responses items, or None: not an
    object, another API's (see :func:`_foreign`), an item with no type and no Responses
    role (but for an ``item_reference``: an ``id`` alone), or of a type no Responses item
    has (review revfinal39b M1: ``additional_tools`` and ``compaction_trigger`` are). The one check of the sniff
    (:func:`_items_score`) and of the reader of such a list, where a refused item makes
    its record a reject (review revresp39 H1: claimed past the sniff's cap, a list with
    an app's own ``tool_call`` items was read with its calls dropped, exit 0)."""
    if not isinstance(item, dict):
        return f"{where} is not an object"
    foreign = _foreign(item, where)
    if foreign is not None:
        return foreign
    kind, role = item.get("type"), item.get("role")
    if kind is None and isinstance(role, str) and role in _ROLES:
        return None
    if kind is None and isinstance(item.get("id"), str) and item.keys() <= {"id", "type"}:
        return None  # an ``item_reference``, whose ``type`` the SDK makes optional
    if kind is None:
        known = " (a ShareGPT message: from, value)" if {"from", "value"} <= item.keys() else ""
        return f"{where} has no type and no Responses role{known}: not a Responses item"
    if isinstance(kind, str) and kind in _ITEM_TYPES:
        return None
    autogen = isinstance(kind, str) and "source" in item and kind.endswith(("Message", "Event"))
    known = " (an AutoGen AgentChat message)" if autogen else ""
    return f"{where}.type is {compact_json(kind)[:40]}{known}: no Responses item has it"


def _foreign(item: dict[str, Any], where: str) -> str | None:
    """Why ``item`` is another API's and no Responses item, or None: a chat-completions
    message (tool calls, a ``tool`` role), a Gemini ``Content`` (``parts``, the
    ``model`` role), a message holding Anthropic Messages, Vercel AI SDK or Bedrock
    Converse content blocks, or an untyped message of a role no Responses message has (a typed
    ``message`` of an odd role is a Responses item that cannot be read: its record is
    read without it). A record holding one is rejected whole, never read with that
    API's calls left out (reviews revresp36b H1, revresp37 H1)."""
    role = item.get("role") if "type" not in item else None
    chat = {"tool_calls", "tool_call_id", "function_call"} & item.keys()
    if chat or role in ("tool", "function"):
        found = ", ".join(sorted(chat)) or f"role {role}"
        return (
            f"{where} is a chat-completions message ({found}), not a Responses item: the "
            "openai_chat reader takes such messages in exchanges, one per line"
        )
    if "parts" in item or role == "model":
        return f"{where} is a Gemini Content (role, parts), not a Responses item"
    if isinstance(role, str) and role not in _ROLES:
        return f"{where}.role is {compact_json(role)[:40]}: no Responses message has it"
    blocks = [as_dict(part) for part in as_list(item.get("content"))]
    for block in blocks:
        if isinstance(block.get("type"), str) and block["type"] in _FOREIGN_PARTS:
            return f"{where}.content holds content blocks of {_FOREIGN_PARTS[block['type']]}"
    if any("type" not in b and {"toolUse", "toolResult"} & b.keys() for b in blocks):
        return f"{where}.content holds Bedrock Converse content blocks (toolUse, toolResult)"
    return None


def _is_response(obj: dict[str, Any]) -> bool:
    return obj.get("object") == "response" and isinstance(obj.get("output"), list)


def _entries(obj: Any) -> list[tuple[str | None, Any]]:
    """The records of one JSON value: a JSON array of item lists is one per element."""
    if isinstance(obj, list) and obj and all(isinstance(v, list) for v in obj):
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    return [(None, obj)]


def _split(obj: Any) -> tuple[dict[str, Any], dict[str, Any] | None] | str:
    """``(request, response)`` of a record, or the reason it is not one."""
    if isinstance(obj, list):
        return {"input": obj}, None
    if not isinstance(obj, dict):
        return f"record is a JSON {type(obj).__name__}, expected an object or an array of items"
    if _is_response(obj):
        return {}, obj
    if isinstance(obj.get("request"), dict) or isinstance(obj.get("response"), dict):
        request, response = _body(obj.get("request")), _body(obj.get("response"))
        if response is not None and not _is_response(as_dict(response)):
            return "response is not a Response object (object 'response' with an output array)"
        return as_dict(request), response
    if "input" in obj:
        return obj, None
    if "input" in as_dict(obj.get("body")):  # a Batch-API input line
        return obj["body"], None
    return (
        "not a Responses record (expected an array of items, an object with input, "
        "a Response, or request/response)"
    )


def _body(part: Any) -> Any:
    """A Batch-API request or response line's ``body`` (``{"custom_id", "response":
    {"status_code", "body": <Response>}}``), else the part itself."""
    body = as_dict(part).get("body")
    if isinstance(body, dict) and not {"input", "output"} & as_dict(part).keys():
        return body
    return part


def _record(obj: Any, line: int, entry: str | None) -> dict[str, Any] | str:
    """Normalise one record, or return the reason it is rejected."""
    split = _split(obj)
    if isinstance(split, str):
        return split
    request, response = split
    response = response or {}
    raw_input = request.get("input")
    if isinstance(raw_input, str):
        raw_input = [{"role": "user", "content": raw_input}]
    if raw_input is None and not response:
        return "request has no input"
    if raw_input is not None and not isinstance(raw_input, list):
        return "input is not an array of items or a string"
    when = unix_to_rfc3339(response.get("created_at")) if "created_at" in response else None
    try:
        inputs, problems = _items(raw_input or [], "input", None, plain=isinstance(obj, list))
        outputs, more = _items(response.get("output", []), "output", when)
    except _Foreign as exc:
        return str(exc)
    problems += more
    if problems and len(problems) == len(inputs) + len(outputs):
        return str(problems[0]["reason"])  # nothing in the record could be read
    metas = [as_dict(request.get("metadata")), as_dict(response.get("metadata"))]
    info = _info(obj, request, response, line, entry, when)
    if problems:
        info["item_problems"] = problems
    return _history(inputs, outputs) | {
        "line": line,
        "entry": entry,
        "created": when,
        "id": str_or_none(response.get("id")),
        "previous": str_or_none(
            request.get("previous_response_id") or response.get("previous_response_id")
        ),
        "conversation": _conversation(request, response),
        "session": next(
            (s for m in metas for k in _SESSION_KEYS if (s := str_or_none(m.get(k)))), None
        ),
        "instructions": request.get("instructions", response.get("instructions")),
        "inputs": inputs,
        "outputs": outputs,
        "tools": request.get("tools", response.get("tools")),
        "model": str_or_none(request.get("model")),
        "response_model": str_or_none(response.get("model")),
        "user": str_or_none(request.get("user") or request.get("safety_identifier")),
        "info": info,
    }


def _items(
    values: list[Any], side: str, when: str | None, *, plain: bool = False
) -> tuple[list[tuple[str, list[dict[str, Any]], Any]], list[dict[str, str]]]:
    """The items of one side of a record, and the problems of those that could not be
    mapped: such an item is kept whole, as an item that is not a step. In a ``plain``
    list of items (a record that is an array), an item the sniff refuses
    (:func:`_refused`) makes the record a reject.

    Raises:
        _Foreign: an item of another API, or refused in a plain list.
    """
    items: list[tuple[str, list[dict[str, Any]], Any]] = []
    problems: list[dict[str, str]] = []
    for i, value in enumerate(values):
        where = f"{side}[{i}]"
        refused = _refused(value, where) if plain else None
        if refused is not None:
            raise _Foreign(refused)
        try:
            items.append(_item(value, where, when))
        except _Foreign:
            raise
        except _Bad as exc:
            problems.append({"item": where, "reason": str(exc)})
            items.append((_identity(value), [], value))
    return items, problems


def _history(
    inputs: list[tuple[str, list[dict[str, Any]], Any]],
    outputs: list[tuple[str, list[dict[str, Any]], Any]],
) -> dict[str, Any]:
    """Running digests of a record's history, for :func:`_link_histories`: after each
    input item, and after the whole; ``answers`` when the history holds an assistant
    message or a tool call (a history with neither is too short to link by)."""
    digest = hashlib.sha256()
    prefixes = []
    for key, _steps, _item in inputs:
        digest.update(key.encode("utf-8", "surrogatepass") + b"\x00")
        prefixes.append(digest.digest())
    for key, _steps, _item in outputs:
        digest.update(key.encode("utf-8", "surrogatepass") + b"\x00")
    answers = any(
        step["type"] == "tool_call" or step.get("role") == "assistant"
        for _key, steps, _item in inputs + outputs
        for step in steps
    )
    return {"prefixes": prefixes, "whole": digest.digest(), "answers": answers}


def _conversation(request: dict[str, Any], response: dict[str, Any]) -> str | None:
    for value in (request.get("conversation"), response.get("conversation")):
        found = str_or_none(value) or str_or_none(as_dict(value).get("id"))
        if found:
            return found
    return None


_REQUEST_MAPPED = {"input", "instructions", "tools", "model", "previous_response_id"}
_RESPONSE_MAPPED = {"output", "instructions", "tools", "model", "id", "created_at", "object"}


def _info(
    obj: Any,
    request: dict[str, Any],
    response: dict[str, Any],
    line: int,
    entry: str | None,
    when: str | None,
) -> dict[str, Any]:
    """What a record carries besides its items, kept under the session."""
    info: dict[str, Any] = {"line": line, "entry": entry, "created": when}
    info["response_id"] = response.get("id")
    info["previous_response_id"] = request.get("previous_response_id") or response.get(
        "previous_response_id"
    )
    if isinstance(obj, dict) and obj is not request and obj is not response:
        info["extra"] = {
            k: v
            for k, v in obj.items()
            if k not in ("request", "response") and v is not None and v is not request
        }
    params = {k: v for k, v in request.items() if k not in _REQUEST_MAPPED}
    info["extra" if request is obj else "request_params"] = params
    info["response"] = {
        k: v for k, v in response.items() if k not in _RESPONSE_MAPPED and v is not None
    }
    return {k: v for k, v in info.items() if v not in (None, {}, [])}


def _item(item: Any, where: str, when: str | None) -> tuple[str, list[dict[str, Any]], Any]:
    """``(identity, steps, item)`` of one Responses item."""
    if not isinstance(item, dict):
        raise _Bad(f"{where} is not an object")
    foreign = _foreign(item, where)
    if foreign is not None:
        raise _Foreign(foreign)
    kind = item.get("type", "message" if "role" in item else None)
    if not isinstance(kind, str):
        raise _Bad(f"{where}.type is not a string")
    stamp = {"timestamp": when} if when else {}
    if kind == "message":
        steps = [_message(item, where) | stamp]
    elif kind == "function_call":
        steps = [_function_call(item, where) | stamp]
    elif kind == "custom_tool_call":
        name = _need(item, "name", where)
        steps = [_call(item, name, str_or_none(item.get("call_id"))) | stamp]
    elif kind in _OUTPUT_TYPES:
        steps = [_output(item, where) | stamp]
    elif kind == "mcp_call":
        steps = [s | stamp for s in _mcp_call(item, where)]
    elif kind in _CALL_NAMES:
        steps = [s | stamp for s in _hosted_call(item, _CALL_NAMES[kind])]
    else:
        steps = []
    return _identity(item), steps, item


def _need(item: dict[str, Any], key: str, where: str) -> str:
    value = str_or_none(item.get(key))
    if value is None:
        raise _Bad(f"{where}: {item.get('type', 'message')} has no {key}")
    return value


def _x(item: dict[str, Any], mapped: set[str]) -> dict[str, Any]:
    x = {k: v for k, v in item.items() if k not in mapped and v is not None}
    return {_X: x} if x else {}


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    """A user, system, developer or assistant message; refusal text when it has no text."""
    role, content = _role_and_content(item, where)
    text, others = text_of(content)
    refusals = [
        p["refusal"] for p in others if isinstance(p, dict) and isinstance(p.get("refusal"), str)
    ]
    if not text and refusals:
        text = "\n".join(refusals)
    extra = _x(item, {"type", "role", "content"}).get(_X, {})
    if others:
        extra["content_parts"] = others
    notes = [as_list(p.get("annotations")) for p in as_list(content) if isinstance(p, dict)]
    if any(notes):
        extra["annotations"] = [a for n in notes for a in n]
    if any(_part_fields(p) for p in as_list(content)):  # logprobs, ...: the parts kept whole
        extra["content"] = content
    if role == "developer":
        extra["role"] = "developer"
    step = {"type": "message", "role": _ROLES[role], "content": text}
    return step | ({_X: extra} if extra else {})


def _role_and_content(item: dict[str, Any], where: str) -> tuple[str, Any]:
    """A message's role and content, or why it is no Responses message."""
    role = item.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise _Bad(
            f"{where}.role is {compact_json(role)[:40]}, expected user/system/developer/assistant"
        )
    content = item.get("content")
    if content is not None and not isinstance(content, str | list):
        raise _Bad(f"{where}.content is not a string or an array of parts")
    return role, content


def _part_fields(part: Any) -> set[str]:
    """The fields of a text part besides its type, text and annotations (set, not null)."""
    if not isinstance(part, dict) or part in text_of([part])[1]:
        return set()
    return {k for k, v in part.items() if v is not None} - {"type", "text", "annotations"}


def _function_call(item: dict[str, Any], where: str) -> dict[str, Any]:
    name = _need(item, "name", where)
    step = tool_call_step(name, item.get("arguments"), str_or_none(item.get("call_id")))
    return step | _x(item, {"type", "name", "arguments", "call_id"})


def _call(item: dict[str, Any], name: str, call_id: str | None) -> dict[str, Any]:
    """A call whose arguments are the item's own fields (a custom tool's ``input`` text,
    a hosted tool's ``action``, ``queries`` or ``code``)."""
    arguments = {k: item[k] for k in _ARGUMENT_KEYS if item.get(k) is not None}
    if isinstance(item.get("arguments"), dict):  # a tool search's own arguments
        arguments = item["arguments"]
    step = tool_call_step(name, arguments, call_id)
    return step | _x(item, {"type", "name", "call_id", "arguments", *_ARGUMENT_KEYS})


def _output(item: dict[str, Any], where: str) -> dict[str, Any]:
    """The result of an earlier call: a string, a list of parts, or an object (a
    program's ``result``, the tools a tool search found)."""
    kind = item["type"]
    call_id = str_or_none(item.get("call_id"))
    if kind == "local_shell_call_output":
        call_id = call_id or str_or_none(item.get("id"))  # its id is the call's call_id
    if call_id is None and kind != "tool_search_output":  # a server-side search has none
        raise _Bad(f"{where}: {kind} has no call_id")
    key = next((k for k in ("output", "result", "tools") if k in item), "output")
    output = item.get(key)
    text = content_output(output) if isinstance(output, list) else output_text(output)
    step = {"type": "tool_result", "call_id": call_id, "name": None, "output": text}
    return step | _x(item, {"type", "call_id", key})


def _mcp_call(item: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """A call on a remote MCP server, then its output or error when it has one."""
    name = _need(item, "name", where)
    call_id = str_or_none(item.get("id"))
    call = tool_call_step(name, item.get("arguments"), call_id)
    call |= _x(item, {"type", "name", "arguments", "output", "error", "id"})
    error = item.get("error")
    if item.get("output") is None and error is None:
        return [call]
    failed = error is not None
    body = _error_text(error) if failed else output_text(item.get("output"))
    result = {"type": "tool_result", "call_id": call_id, "name": name, "output": body}
    return [call, result | {"is_error": failed}]


def _error_text(error: Any) -> str:
    """An MCP call's error: its ``message`` (protocol or HTTP error), the text of its
    ``content`` (the tool's own error result), else the error as JSON."""
    error_ = as_dict(error)
    if isinstance(error_.get("message"), str):
        return str(error_["message"])
    if "content" in error_:
        return content_output(error_["content"])
    return output_text(error)


def _hosted_call(item: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A hosted tool's call, then what it returned when the item holds it."""
    call_id = str_or_none(item.get("call_id")) or str_or_none(item.get("id"))
    call = _call({k: v for k, v in item.items() if k not in _RESULT_KEYS}, name, call_id)
    found = next((k for k in _RESULT_KEYS if item.get(k) is not None), None)
    if found is None:
        return [call]
    result = {"type": "tool_result", "call_id": call_id, "name": name}
    return [call, result | {"output": content_output(item[found])}]


def _identity(item: Any) -> str:
    """What makes two copies of an item the same one: the item without its null fields
    (at any depth), ``id`` and ``status`` (a request passes items back with or without
    them). The JSON parser drops the nulls, so no nesting a record may hold recurses here."""
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k not in ("id", "status")}
    stripped = json.loads(
        json.dumps(item), object_pairs_hook=lambda pairs: {k: v for k, v in pairs if v is not None}
    )
    return compact_json(stripped)


def _group(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records of one session together (see the module docstring), in first-record order."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    explicit = [{k: {rec[k]} - {None} for k in _EXPLICIT} for rec in records]

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[a] = b
            for kind in _EXPLICIT:
                explicit[b][kind] |= explicit[a][kind]

    def join(i: int, j: int) -> None:  # by history: never when an explicit id disagrees
        a, b = explicit[find(i)], explicit[find(j)]
        if not any(a[k] and b[k] and not a[k] & b[k] for k in _EXPLICIT):
            union(i, j)

    def link(key: str, i: int) -> None:
        union(i, owner.setdefault(key, i))

    for i, rec in enumerate(records):
        for kind in ("id", "conversation", "session", "batch"):
            if rec[kind]:
                link(f"{kind}:{rec[kind]}", i)
        if rec["previous"]:
            link(f"id:{rec['previous']}", i)
    _link_histories(records, join)
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, rec in enumerate(records):
        groups.setdefault(find(i), []).append(rec)
    return list(groups.values())


def _link_histories(records: list[dict[str, Any]], join: Callable[[int, int], None]) -> None:
    """Join a record whose input starts with another record's whole history (its input
    and output) and goes on past it to the longest such record, its parent, unless the
    parent was continued with two different user turns: those are different sessions,
    so a shared prefix joins none of its continuations (review revresp36b M1: a short
    run linked two different requests through it). Other continuations of one history
    are one session (review revresp37 M1: an incident was split into several alerts):
    a retry of a step (the same input, another answer: the merged session notes where
    the history was rewritten, ``history_rewrites``), the loop going on with a tool's
    output, a side call on the history (a chat title or a guardrail asked by a user
    message beside the loop's own continuation), and a run continued from
    ``to_input_list()`` again and again (each run the parent of the next); but
    continuations that pass back different outputs for one of the history's calls are
    different runs, each a session (see :func:`_worlds`). A side call
    made with a user message where the loop's continuation is a user turn too looks
    like a second request: it is a session of its own. Prefixes are compared by running
    digests, so each record costs its length. A history with no assistant message or
    tool call is no prefix (an opening "hi" starts many sessions); two equal histories
    with no parent stay two sessions (the same run logged twice, or run twice: neither
    continues the other); no join is made when the two sides' conversation ids,
    metadata session ids or users differ (``join``)."""
    whole: dict[bytes, int] = {}
    for i, rec in enumerate(records):
        if rec["answers"]:
            whole.setdefault(rec["whole"], i)
    children: dict[int, list[tuple[int, int]]] = {}  # parent -> (child, items it goes past)
    turns: dict[int, set[bytes]] = {}  # parent -> its children's histories to a new user turn
    for i, rec in enumerate(records):
        last = len(rec["prefixes"]) - 1
        parent, at = None, 0
        for k, digest in enumerate(rec["prefixes"]):
            if digest in whole and (k < last or rec["outputs"]):
                parent, at = whole[digest], k + 1
        if parent is None:
            continue
        children.setdefault(parent, []).append((i, at))
        turn = _first_user_turn(rec["inputs"], at)
        if turn is not None:
            turns.setdefault(parent, set()).add(rec["prefixes"][turn])
    for parent, kids in children.items():
        if len(turns.get(parent, ())) < 2:
            for n, world in enumerate(_worlds(records, kids)):
                for i in world:
                    join(i, parent if n == 0 else world[0])


def _worlds(records: list[dict[str, Any]], kids: list[tuple[int, int]]) -> list[list[int]]:
    """The continuations of one history, ``(record, items past it)``, by the run each is
    in: two that pass back different outputs for one of the history's calls are two runs
    (the step went on in two worlds: a different tool result is a different run, never
    mixed into one session), unless one holds an item the other's response gave, so
    descends from it (a client that trims or rewrites old tool outputs: review
    revresp38 H1). The same outputs in another order are one run (revresp38 M1), and so
    are continuations that pass none of the same call's outputs. The first run (the
    first record's) goes on in the parent's session; each other one is a session of its
    own, which lacks nothing (each record's input holds the whole history it
    continues). Each record costs its length, and a look-up per output it passes."""
    first, at = kids[0]
    runs = _Runs(
        {
            item["call_id"]
            for _key, _steps, item in records[first]["inputs"][:at]
            if isinstance(item, dict)
            and isinstance(item.get("call_id"), str)
            and item.get("type") not in _OUTPUT_TYPES
        }
    )
    for i, at in kids:
        runs.add(i, records[i]["inputs"][at:], records[i]["outputs"])
    return runs.members


class _Runs:
    """The runs of :func:`_worlds`, indexed: an item a run's response gave or its
    records passed past the history, and each call's output in each run."""

    def __init__(self, calls: set[str]) -> None:
        self.calls = calls  # the history's calls
        self.members: list[list[int]] = []
        self.made: dict[str, int] = {}  # an item a record's response gave -> its run
        self.held: dict[str, int] = {}  # an item a record passed past the history -> its run
        self.outputs: dict[str, dict[str, set[int]]] = {c: {} for c in calls}
        self.lacking: dict[str, set[int]] = {c: set() for c in calls}

    def add(self, i: int, passed: list[Any], response: list[Any]) -> None:
        """Put record ``i`` (the items it passed past the history, its response's
        items) in its run: the one it descends from or that descends from it, else the
        first whose outputs agree with its, else a new one."""
        held = [key for key, _steps, _item in passed]
        made = [key for key, _steps, _item in response]
        told = {c: o for c, o in _outputs_told(passed).items() if c in self.calls}
        kin = [self.made[k] for k in held if k in self.made]
        kin += [self.held[k] for k in made if k in self.held]
        run = min(kin, default=None)
        if run is None:
            run = self._agreeing(told)
        if run == len(self.members):
            self.members.append([])
            for call in self.calls:
                self.lacking[call].add(run)
        self.members[run].append(i)
        for call, output in told.items():
            if run in self.lacking[call]:
                self.lacking[call].discard(run)
                self.outputs[call].setdefault(output, set()).add(run)
        for key in held:
            self.held.setdefault(key, run)
        for key in made:
            self.made.setdefault(key, run)

    def _agreeing(self, told: dict[str, str]) -> int:
        """The first run that gives none of ``told``'s calls another output (a new
        run's index when there is none)."""
        found: set[int] | None = None
        for call, output in told.items():
            runs = self.outputs[call].get(output, set()) | self.lacking[call]
            found = runs if found is None else found & runs
        if found is None:
            return 0
        return min(found, default=len(self.members))


def _outputs_told(items: list[tuple[str, list[dict[str, Any]], Any]]) -> dict[str, str]:
    """The tool outputs among a record's items: ``call_id`` -> the output item's identity."""
    told: dict[str, str] = {}
    for key, _steps, item in items:
        if isinstance(item, dict) and item.get("type") in _OUTPUT_TYPES:
            call = item.get("call_id")
            if isinstance(call, str):
                told.setdefault(call, key)
    return told


def _first_user_turn(items: list[tuple[str, list[dict[str, Any]], Any]], start: int) -> int | None:
    """The index of the first user message from ``start`` on: a record's new turn (two
    records adding the same turn are attempts at one request, whatever follows it)."""
    for k in range(start, len(items)):
        if any(step.get("role") == "user" for step in items[k][1]):
            return k
    return None


def _ordered(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A session's records by ``created_at``, then line order. A record without
    ``created_at`` (an item list, a Batch input line) takes the time of the session's
    record on the line before it (the earliest time when none is before it): records of
    other sessions between them say nothing of its time. A Batch input line takes the
    time of its first output line and goes before it, wherever the file has it (review
    revresp36b M2: an output line read first put the reply before the request)."""
    by_line = sorted(group, key=lambda r: (r["line"], r["entry"] or ""))
    answered: dict[str, str] = {}  # custom_id -> the time of its first answer
    for rec in sorted(
        (r for r in group if r["batch"] and r["created"]),
        key=lambda r: parse_timestamp(r["created"]),
    ):
        answered.setdefault(rec["batch"], rec["created"])
    keyed = []
    when = _EARLIEST
    for n, rec in enumerate(by_line):
        reply = None if rec["created"] else answered.get(rec["batch"])
        stamp: str | None = rec["created"] or reply
        when = parse_timestamp(stamp) if stamp else when
        keyed.append((when, reply is None, n, rec))
    return [rec for *_key, rec in sorted(keyed, key=lambda k: k[:3])]


def _merge(
    group: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Any], list[dict[str, Any]]]:
    """The session's steps, its trailing unmapped items, and where a history was rewritten."""
    merged: list[tuple[str, list[dict[str, Any]], Any]] = []
    keys: list[str] = []  # the identities of the items merged so far
    rewrites: list[dict[str, Any]] = []
    ids = {rec["id"] for rec in group if rec["id"]}
    held = _held(group)
    instructions: Any = None
    for rec in group:
        if rec["whole"] in held and held[rec["whole"]] > _size(rec):
            continue  # a later step's input holds it all: written with that record
        new = _new_items(rec, keys, rec["previous"] in ids or bool(rec["conversation"]))
        if 0 < new[0] < len(keys):  # repeats part of the history, then differs
            rewrites.append({"line": rec["line"], "diverges_at_item": new[0]})
        if rec["instructions"] is not None and rec["instructions"] != instructions:
            instructions = rec["instructions"]
            merged.append(_instructions(instructions))
        merged += new[1]
        keys += [key for key, _s, _i in new[1]]
    steps: list[dict[str, Any]] = []
    pending: list[Any] = []
    for _key, item_steps, item in merged:
        if not item_steps:
            pending.append(item)
            continue
        if pending:
            item_steps[0].setdefault(_X, {})["items"] = pending
            pending = []
        steps += item_steps
    return steps, pending, rewrites


def _held(group: list[dict[str, Any]]) -> dict[bytes, int]:
    """The histories the session's records pass back in their input (each input prefix's
    digest), each with the longest history of a record holding it."""
    held: dict[bytes, int] = {}
    for rec in group:
        size = _size(rec)
        for digest in rec["prefixes"]:
            held[digest] = max(held.get(digest, 0), size)
    return held


def _size(rec: dict[str, Any]) -> int:
    """How many items a record's history (its input and output) holds."""
    return len(rec["inputs"]) + len(rec["outputs"])


def _new_items(
    rec: dict[str, Any], keys: list[str], stateful: bool
) -> tuple[int, list[tuple[str, list[dict[str, Any]], Any]]]:
    """Where a record's input leaves the session's history (``keys``) and its items from
    there. A record whose input repeats the history (a tool loop passing its items back,
    a run continued from ``to_input_list()``) adds what follows the part they share,
    then its output, always: the same call made again (a stateless request sent twice,
    an ``mcp_call`` with no ``call_id``, a server reusing call ids) is a second step
    (review revresp37b H2). A record whose whole history another record's longer input
    holds (a run's list read before the exchanges it holds) is left to that record in
    :func:`_merge` (review revresp37 M2). A record on server-side state
    (``previous_response_id`` of the session, a ``conversation``) sends only what is
    new, unless it repeats it all."""
    inputs = rec["inputs"]
    common = 0
    while common < min(len(keys), len(inputs)) and keys[common] == inputs[common][0]:
        common += 1
    if stateful:
        start = common if keys and common == len(keys) else 0
        return (len(keys), inputs[start:] + rec["outputs"])
    return (common, inputs[common:] + rec["outputs"])


def _instructions(value: Any) -> tuple[str, list[dict[str, Any]], Any]:
    """``instructions`` as a system message (a list of messages: their texts, the list
    kept whole)."""
    if isinstance(value, str):
        text = value
    else:
        texts = [text_of(as_dict(item).get("content"))[0] for item in as_list(value)]
        text = "\n".join(t for t in texts if t) or output_text(value)
    step: dict[str, Any] = {"type": "message", "role": "system", "content": text}
    if not isinstance(value, str):
        step[_X] = {"instructions": value}
    return "instructions", [step], value


def _tools(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Union of the tools offered, first definition of a name wins; a hosted tool is
    named after its type, a remote MCP server after its label."""
    tools: dict[str, dict[str, Any]] = {}
    for rec in group:
        for item in as_list(rec["tools"]):
            item = as_dict(item)
            kind = str_or_none(item.get("type")) or "function"
            name = str_or_none(item.get("name")) or str_or_none(item.get("server_label"))
            name = name or _TOOL_NAMES.get(kind, kind)
            if name in tools:
                continue
            tool = tool_entry(name, item.get("description"), item.get("parameters"))
            extra = {
                k: v
                for k, v in item.items()
                if k not in ("name", "description", "parameters") and v is not None
            }
            if extra.get("type") == "function":
                del extra["type"]
            tools[name] = tool | ({_X: extra} if extra else {})
    return list(tools.values())


def _offered(group: list[dict[str, Any]], steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tools offered; with none recorded (an Agents SDK run), those the calls imply.

    A remote MCP server (a ``mcp`` tool) offers the tools its ``mcp_list_tools`` items
    list; a tool called on an offered server with no listing recorded is inferred from
    its calls. A call to any other tool not offered stays one.
    """
    tools = _tools(group)
    if not tools:
        return complete_tools([], steps)
    servers = {
        str_or_none(as_dict(t.get(_X)).get("server_label"))
        for t in tools
        if as_dict(t.get(_X)).get("type") == "mcp"
    }
    known = {t["name"] for t in tools}
    for rec in group:
        for _key, _steps, item in rec["inputs"] + rec["outputs"]:
            label = str_or_none(item.get("server_label"))
            if item.get("type") != "mcp_list_tools" or label is None or label not in servers:
                continue
            for listed in as_list(item.get("tools")):
                name = str_or_none(as_dict(listed).get("name"))
                if name and name not in known:
                    known.add(name)
                    entry = tool_entry(name, listed.get("description"), listed.get("input_schema"))
                    tools.append(entry | {_X: {"server_label": label}})
    on_servers = [
        s
        for s in steps
        if s["type"] == "tool_call"
        and str_or_none(as_dict(s.get(_X)).get("server_label")) in servers - {None}
    ]
    return tools + infer_tools(on_servers, known)


def _build(path: str, group: list[dict[str, Any]]) -> Record:
    """Merge a session's records into one trajectory record."""
    head = min(group, key=lambda r: (r["line"], r["entry"] or ""))

    def build() -> Record:
        group[:] = _ordered(group)
        steps, trailing, rewrites = _merge(group)
        names = {
            s["call_id"]: s["name"] for s in steps if s["type"] == "tool_call" and s.get("call_id")
        }
        for step in steps:
            if step["type"] == "tool_result" and step.get("name") is None:
                step["name"] = names.get(step["call_id"])
        traj = new_trajectory(_session_id(path, group, head), steps=steps)
        starts = [rec["created"] for rec in group if rec["created"]]
        if starts:
            traj["started_at"] = min(starts)
        versions = [rec["response_model"] for rec in group if rec["response_model"]]
        model: dict[str, Any] = {"name": next((r["model"] for r in group if r["model"]), None)}
        model["name"] = model["name"] or next(iter(versions), None) or _provider_model(steps)
        if versions:
            model["version"] = versions[-1]
        traj["agent"] = {"model": model, "tools": _offered(group, steps)}
        user = next((rec["user"] for rec in group if rec["user"]), None)
        if user:
            traj["actor"] = {"user_id": user, "tenant_id": None}
        x: dict[str, Any] = {"records": [rec["info"] for rec in group]}
        if trailing:
            x["trailing_items"] = trailing
        if rewrites:
            x["history_rewrites"] = rewrites
        traj[_X] = x
        return finish(traj, fmt=_FMT, path=path, line=head["line"], entry=head["entry"])

    record, bug = guarded(build, path=path, line=head["line"], entry=head["entry"])
    return record or bug  # type: ignore[return-value]


def _provider_model(steps: list[dict[str, Any]]) -> str | None:
    """The model an Agents SDK run on a non-Responses model names in its items
    (``provider_data.model``)."""
    for step in steps:
        found = str_or_none(as_dict(as_dict(step.get(_X)).get("provider_data")).get("model"))
        if found:
            return found
    return None


def _session_id(path: str, group: list[dict[str, Any]], head: dict[str, Any]) -> str:
    """A conversation or metadata session id, else the first response's id, else where
    the first record is."""
    for kind in ("conversation", "session", "id"):
        found = next((rec[kind] for rec in group if rec[kind]), None)
        if found:
            return str(found)
    return f"{Path(path).name}:{head['line']}{head['entry'] or ''}"


@hookimpl
def register_readers() -> list[OpenAIResponsesReader]:
    """Register the OpenAI Responses-API reader."""
    return [OpenAIResponsesReader()]
