"""Reader for Inspect AI eval logs (``.eval`` zip and ``.json``), one trajectory per sample.

Reads the files directly; inspect-ai does not need to be installed.

- ``.eval``: a zip holding ``header.json`` (or ``_journal/start.json`` while a run is
  in progress) with the ``eval`` spec, and one ``samples/<id>_epoch_<n>.json`` per sample.
  Members may be stored, deflated or zstd-compressed (method 93, Inspect's default since
  2025; decompressed with ``zstandard``), always in chunks and refused once they expand
  past the member limit. Any other method, or a damaged ``header.json``, is a reject
  with the reason.
- ``.json``: one object with ``version``, ``eval``, ``plan``, ``results`` and ``samples``.

Each sample's ``messages`` (system/user/assistant/tool chat messages) become steps;
``attachment://`` references are resolved from the sample's ``attachments``. Sub-agents
(``handoff()``, ``as_tool()``) and sandbox exit statuses come from the sample's ``events``
(:mod:`~incident_lab.readers.inspect_events`). The
session id is ``<eval_id or task>:<sample id>:<epoch>``. Scores are kept under
``x_inspect.scores``; a score that states a safety verdict sets ``labels.verdict``.
Rejects name the zip member (or ``samples[i]``) in ``entry``.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers import inspect_events
from incident_lab.readers.base import (
    DEFAULT_MAX_LINE_BYTES,
    Record,
    iter_json_documents,
    open_binary,
)
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    finish,
    guarded,
    normalise_timestamp,
    output_text,
    str_or_none,
    text_of,
    tool_call_step,
    tool_entry,
)
from incident_lab.trajectory import new_trajectory

_FMT = "inspect"
#: A sample is one record; allow far more than a JSONL line before refusing it.
MIN_ENTRY_BYTES = 256 * 1024 * 1024
_MESSAGE_KEYS = {"role", "content", "tool_calls", "tool_call_id", "function", "error"}
_SAMPLE_MAPPED = {"id", "epoch", "messages", "scores", "attachments", "events"}
_UNSAFE_WORDS = ("unsafe", "harm", "jailbreak", "attack_success", "violation", "asr")
_REFERENCES = ("attachment://", "tc://")


class InspectReader:
    """Inspect AI evaluation logs, one trajectory per sample and epoch."""

    name = _FMT
    description = "Inspect AI eval logs (.eval zip or .json), one trajectory per sample"

    def __init__(self, max_member_bytes: int | None = None) -> None:
        """Args: max_member_bytes: refuse a zip member that expands past this many bytes
        (default: the larger of ``max_line_bytes`` and :data:`MIN_ENTRY_BYTES`)."""
        self.max_member_bytes = max_member_bytes

    def sniff(self, path: str, head: bytes) -> float:
        """Sure for a zip with Inspect members; fairly sure for a JSON log with ``eval``/``samples``."""
        if head.startswith(b"PK\x03\x04"):
            if b"header.json" in head or b"_journal/" in head or b"samples/" in head:
                return 1.0
            return 0.6 if path.endswith(".eval") else 0.0
        start = head[:8192]
        opens_log = start.lstrip().startswith(b"{") and b'"eval"' in start and b'"task"' in start
        if opens_log and (b'"run_id"' in start or b'"plan"' in start or b'"samples"' in head):
            return 0.9
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield one record per sample; a corrupt zip is one reject for the file."""
        with open_binary(path) as fh:
            try:
                magic = fh.read(4)
            except (OSError, EOFError, zlib.error) as exc:
                yield Record(path, 1, reason=f"compressed stream is corrupt or truncated: {exc}")
                return
        if magic == b"PK\x03\x04" or path.endswith(".eval"):
            limit = self.max_member_bytes or max(max_line_bytes, MIN_ENTRY_BYTES)
            yield from self._read_zip(path, limit)
            return
        for line_no, obj, reject in iter_json_documents(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("samples", []), list):
                yield Record(
                    path, line_no, reason="not an Inspect log: expected an object with samples[]"
                )
                continue
            header = {k: v for k, v in obj.items() if k != "samples"}
            for i, sample in enumerate(obj.get("samples") or []):
                yield _record(path, f"samples[{i}]", header, None, sample)

    def _read_zip(self, path: str, limit: int) -> Iterator[Record]:
        with open_binary(path) as fh:
            try:
                archive = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                yield Record(path, None, reason=f"not a readable .eval zip: {exc}")
                return
            with archive:
                names = archive.namelist()
                header: dict[str, Any] = {}
                header_problem = None
                for member in ("header.json", "_journal/start.json"):
                    if member in names:
                        loaded, problem = _load_member(archive, member, limit)
                        if isinstance(loaded, dict):
                            header = loaded
                            break
                        header_problem = f"{member}: {problem or 'not a JSON object'}"
                        if member == "header.json":
                            # The log's own summary is damaged: a reject of its own; the
                            # samples are still read (with the journal's header if any).
                            yield Record(path, None, reason=header_problem, entry=member)
                samples = sorted(
                    n for n in names if n.startswith("samples/") and n.endswith(".json")
                )
                if not samples and not header and "header.json" not in names:
                    reason = header_problem or "zip holds no Inspect header or samples"
                    yield Record(path, None, reason=reason)
                for member in samples:
                    sample, problem = _load_member(archive, member, limit)
                    if problem is not None:
                        yield Record(path, None, reason=problem, entry=member)
                        continue
                    yield _record(path, member, header, header_problem, sample)


#: Zip compression methods this reader decompresses (zstd is Inspect's default).
SUPPORTED_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
    93: "zstd",
}
_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def _load_member(archive: zipfile.ZipFile, member: str, limit: int) -> tuple[Any, str | None]:
    """Read and parse one zip member; ``(None, reason)`` when it cannot be."""
    try:
        data, problem = _member_bytes(archive, archive.getinfo(member), limit)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, KeyError, ValueError) as exc:
        return None, f"corrupt zip member: {exc}"
    if problem is not None:
        return None, problem
    try:
        return json.loads(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, "JSON nested too deeply"


def _member_bytes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int
) -> tuple[bytes, str | None]:
    """Decompress one member in chunks, refusing it once it expands past ``limit`` bytes.

    The declared size is not trusted: the cap applies to the bytes actually produced.
    """
    method = info.compress_type
    if method not in SUPPORTED_METHODS:
        return b"", (
            f"zip member compressed with method {method}, which this reader does not "
            "decompress (stored, deflate, bzip2, lzma and zstd are read); re-save the log with "
            "`inspect log convert --to json` (writes uncompressed JSON)"
        )
    too_big = (
        f"member expands past the {limit:,}-byte limit (declared {info.file_size:,} bytes): "
        "refused, not loaded"
    )
    if info.file_size > limit:
        return b"", too_big
    if method == 93:
        stream: Any = _zstd_stream(archive, info)
    else:
        stream = archive.open(info)
    out = bytearray()
    try:
        with stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    return b"", too_big
    except Exception as exc:  # zstandard.ZstdError is a plain Exception subclass
        if type(exc).__name__ != "ZstdError":
            raise
        return b"", f"corrupt zip member: zstd: {exc}"
    if method == 93 and (len(out) != info.file_size or zlib.crc32(out) != info.CRC):
        return b"", "corrupt zip member: zstd data does not match the size/CRC in the zip"
    return bytes(out), None


def _zstd_stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """A streaming reader over a zstd member's decompressed bytes (``zipfile`` has no zstd)."""
    import zstandard  # imported here: only zstd members need it

    fp = archive.fp
    if fp is None:
        raise ValueError("archive is closed")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fields = _LOCAL_HEADER.unpack(header)
    fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    compressed = _Slice(fp, info.compress_size)
    return zstandard.ZstdDecompressor().stream_reader(
        compressed,  # type: ignore[arg-type]  # any object with read() is accepted
        read_across_frames=True,
    )


class _Slice:
    """The next ``size`` bytes of an open file, read on demand (never all at once)."""

    def __init__(self, fp: Any, size: int) -> None:
        self._fp, self._left = fp, size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data: bytes = self._fp.read(n) if n else b""
        self._left -= len(data)
        return data


def _record(
    path: str, entry: str, header: dict[str, Any], header_problem: str | None, sample: Any
) -> Record:
    record, bug = guarded(
        _sample, path, entry, header, header_problem, sample, path=path, line=None, entry=entry
    )
    return record or bug  # type: ignore[return-value]


def score_verdict(scores: Any) -> str | None:
    """Return ``"unsafe"``/``"safe"`` when a score states a safety verdict, else None.

    A score value ``"unsafe"``/``"safe"`` counts, as does a boolean or numeric value of
    a scorer whose name speaks of harm (``unsafe``, ``harm``, ``jailbreak``,
    ``attack_success``, ``violation``, ``asr``): truthy means unsafe. Plain
    correct/incorrect grades are not safety verdicts and set nothing.
    """
    verdict = None
    for name, score in as_dict(scores).items():
        value = as_dict(score).get("value") if isinstance(score, dict) else score
        if isinstance(value, str) and value.lower() in ("unsafe", "safe"):
            found = value.lower()
        elif any(word in str(name).lower() for word in _UNSAFE_WORDS) and isinstance(
            value, bool | int | float
        ):
            found = "unsafe" if value else "safe"
        else:
            continue
        if found == "unsafe":
            return "unsafe"
        verdict = found
    return verdict


def _resolve(value: Any, attachments: dict[str, Any]) -> Any:
    """Replace ``attachment://<id>`` strings (recursively) with the attachment text
    (and ``tc://<id>``, the older form inspect's own reader still resolves)."""
    if isinstance(value, str) and value.startswith(_REFERENCES):
        found = attachments.get(value.partition("://")[2])
        return found if isinstance(found, str) else value
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    return value


def _message_steps(msg: dict[str, Any], where: str) -> list[dict[str, Any]] | str:
    """Map one message to steps, one mapper per role; a string is why it cannot be read."""
    role = msg.get("role")
    text, others = text_of(msg.get("content"))
    x = {k: v for k, v in msg.items() if k not in _MESSAGE_KEYS and v is not None}
    if others:
        x["content_parts"] = others
    if role in ("system", "user"):
        return [{"type": "message", "role": role, "content": text} | _extra(x)]
    if role == "tool":
        return [_tool_result(msg, text, x)]
    if role != "assistant":
        return f"{where}.role is {role!r}, expected system/user/assistant/tool"
    return _assistant_steps(msg, where, text, others, x)


def _extra(x: dict[str, Any]) -> dict[str, Any]:
    return {"x_inspect": x} if x else {}


def _tool_result(msg: dict[str, Any], text: str, x: dict[str, Any]) -> dict[str, Any]:
    """A tool message: its output, or its error's message (the error kept whole)."""
    error = msg.get("error")
    step = {
        "type": "tool_result",
        "call_id": str_or_none(msg.get("tool_call_id")),
        "name": str_or_none(msg.get("function")),
        "output": text or (output_text(as_dict(error).get("message")) if error else ""),
        "is_error": error is not None,
    }
    if error is not None:
        x["error"] = error
    return step | _extra(x)


def _assistant_steps(
    msg: dict[str, Any], where: str, text: str, others: list[Any], x: dict[str, Any]
) -> list[dict[str, Any]] | str:
    """The assistant's message (unless it only calls tools), then its tool calls."""
    steps: list[dict[str, Any]] = []
    calls = as_list(msg.get("tool_calls"))
    if text or others or not calls:
        steps.append({"type": "message", "role": "assistant", "content": text} | _extra(x))
    for i, call in enumerate(calls):
        step = _tool_call(call)
        if step is None:
            return f"{where}.tool_calls[{i}] has no function name"
        steps.append(step)
    return steps


def _tool_call(call: Any) -> dict[str, Any] | None:
    """One tool call (None without a function name); a parse error of its arguments is
    kept, other fields go under ``x_inspect``."""
    name = str_or_none(as_dict(call).get("function"))
    if name is None:
        return None
    step = tool_call_step(name, call.get("arguments"), str_or_none(call.get("id")))
    extra = {
        k: v
        for k, v in call.items()
        if k not in ("id", "function", "arguments", "type") and v is not None
    }
    if isinstance(call.get("parse_error"), str):
        step["arguments_error"] = call["parse_error"]
    return step | ({"x_inspect": extra} if extra else {})


def _tools(events: Any) -> list[dict[str, Any]]:
    """Tools offered to the model by any model event (a sub-agent has its own), each
    named once, in the order first offered."""
    tools: dict[str, dict[str, Any]] = {}
    for event in as_list(events):
        event = as_dict(event)
        if event.get("event") == "model" and isinstance(event.get("tools"), list):
            for tool in map(as_dict, event["tools"]):
                name = str_or_none(tool.get("name"))
                if name and name not in tools:
                    tools[name] = tool_entry(name, tool.get("description"), tool.get("parameters"))
    return list(tools.values())


def _steps(messages: list[Any], events: Any, errored: bool) -> list[dict[str, Any]] | str:
    """The steps of every message, with the steps of the sub-agents the events show in
    place of their relayed copies (see :mod:`~incident_lab.readers.inspect_events`), or
    why one cannot be read."""
    found = inspect_events.plan(events, errored)
    inspect_events.drop_unmatched_handoffs(found, messages)
    inspect_events.find_copies(found, messages)
    steps: list[dict[str, Any]] = []
    placed: list[inspect_events.SubAgent] = []
    for i, msg in enumerate(messages):
        msg_id = str_or_none(as_dict(msg).get("id"))
        if found.relayed.get(msg_id or "") is msg:
            continue
        mapped = (
            _message_steps(as_dict(msg), f"messages[{i}]")
            if isinstance(msg, dict)
            else f"messages[{i}] is not an object"
        )
        subs = found.by_message.get(msg_id or "", [])
        if subs and not isinstance(mapped, str):
            placed.extend(subs)
            mapped = _around(mapped, subs, found)
        if isinstance(mapped, str):
            return mapped
        steps.extend(_exit_status(step, found) for step in mapped)
    return _unplaced(steps, found, placed)


def _around(
    mapped: list[dict[str, Any]],
    subs: list[inspect_events.SubAgent],
    found: inspect_events.Plan,
    running: tuple[int, ...] = (),
) -> list[dict[str, Any]] | str:
    """A tool result with the steps of the sub-agents it ran, each in the order they ran:
    after a handoff's transfer, before an ``as_tool()`` (or any other) agent's answer.
    ``running``: the agents it runs within (a log whose spans run an agent within itself
    reads that agent once)."""
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for sub in subs:
        inner = _agent_steps(sub, found, running)
        if isinstance(inner, str):
            return inner
        (after if sub.handoff else before).extend(inner)
    return before + mapped + after


def _agent_steps(
    sub: inspect_events.SubAgent, found: inspect_events.Plan, running: tuple[int, ...] = ()
) -> list[dict[str, Any]] | str:
    """A sub-agent's model and tool events as steps, each naming the agent in
    ``x_inspect.agent``; the agents it ran in turn nested in place; its ``react()``
    submit call read as ``react()`` leaves it in messages (the answer as its text)."""
    answer_id = inspect_events.answer_call(sub, found)
    steps: list[dict[str, Any]] = []
    for i, event in enumerate(sub.items):
        if answer_id is not None and event is sub.items[-1]:
            break
        mapped = _item_steps(sub, i, answer_id, found)
        if isinstance(mapped, str):
            return mapped
        within = (*running, id(sub))
        nested = [n for n in found.by_tool.get(id(event), []) if id(n) not in within]
        if nested:
            mapped = _around(mapped, nested, found, within)
            if isinstance(mapped, str):
                return mapped
        steps.extend(_exit_status(step, found) for step in mapped)
    return steps


def _item_steps(
    sub: inspect_events.SubAgent, i: int, answer_id: str | None, found: inspect_events.Plan
) -> list[dict[str, Any]] | str:
    """The steps of a sub-agent's ``i``-th event, each naming the agent. A tool call that
    stopped the sample has no result step: it stays where it stopped, as at the top level
    (no invented result; the sample's error is kept)."""
    event = sub.items[i]
    if id(event) in found.stopped:
        return []
    message = _event_message(event, answer_id, sub.items[-1].get("result"))
    if message is None:
        return []
    where = f"events[{sub.positions[i]}].output.choices[0].message (agent {sub.name!r})"
    mapped = _message_steps(message, where)
    if isinstance(mapped, str):
        return mapped
    for step in mapped:
        step.setdefault("x_inspect", {})["agent"] = sub.name
    return mapped


def _event_message(
    event: dict[str, Any], answer_id: str | None = None, answer: Any = None
) -> dict[str, Any] | None:
    """The chat message a ``model`` event (its first choice) or ``tool`` event stands for;
    the turn that submitted the answer (call ``answer_id``) has the answer as text instead."""
    if event.get("event") == "model":
        message = inspect_events.first_message(event)
        if not message:
            return None  # a model call that failed (its error is in the event)
        calls = as_list(message.get("tool_calls"))
        if answer_id is None or [as_dict(c).get("id") for c in calls] != [answer_id]:
            return message
        content = message.get("content")
        parts = (
            [{"type": "text", "text": content}] if isinstance(content, str) else as_list(content)
        )
        return message | {
            "content": [p for p in parts if p != {"type": "text", "text": ""}]
            + [{"type": "text", "text": text_of(answer)[0]}],
            "tool_calls": None,
        }
    result = event.get("result")
    return {
        "role": "tool",
        "id": event.get("message_id"),
        "tool_call_id": event.get("id"),
        "function": event.get("function"),
        "content": result
        if isinstance(result, str | list | dict) or result is None
        else str(result),
        "error": event.get("error"),
    }


def _exit_status(step: dict[str, Any], found: inspect_events.Plan) -> dict[str, Any]:
    """A tool result keeps the exit status of its one sandbox command as data. It does not
    make the result an error: a non-zero status is no failure to inspect (``grep`` with
    no match, ``test``, ``diff``, or a command that did its harm and then exited 1), and
    inspect's own errors (a timeout) are already the result's ``error``."""
    call_id = step.get("call_id") if step["type"] == "tool_result" else None
    code = found.exit_codes.get(call_id) if isinstance(call_id, str) else None
    if code is not None:
        step.setdefault("x_inspect", {})["exit_code"] = code
    return step


def _unplaced(
    steps: list[dict[str, Any]], found: inspect_events.Plan, placed: list[inspect_events.SubAgent]
) -> list[dict[str, Any]] | str:
    """Sub-agents whose tool result is not among the messages (the sample stopped while
    they ran): after the call that ran them (the first call of that id), in the order
    they ran, else at the end."""
    handled = {id(item) for sub in found.agents for item in sub.items}  # run by a sub-agent
    handled.update(id(sub) for sub in placed)
    by_call: dict[str | None, list[dict[str, Any]]] = {}
    for sub in found.agents:
        if id(sub) in handled or id(sub.tool) in handled:
            continue
        inner = _agent_steps(sub, found)
        if isinstance(inner, str):
            return inner
        by_call.setdefault(str_or_none(sub.tool.get("id")), []).extend(inner)
    if not by_call:
        return steps
    out: list[dict[str, Any]] = []
    for step in steps:
        out.append(step)
        if step["type"] == "tool_call":
            out.extend(by_call.pop(step.get("call_id"), []))
    for inner in by_call.values():
        out.extend(inner)
    return out


def _agent(spec: dict[str, Any], sample: dict[str, Any]) -> dict[str, Any]:
    """The task, the model (``provider/name`` split) and the tools offered."""
    model_name = str_or_none(spec.get("model")) or str_or_none(
        as_dict(sample.get("output")).get("model")
    )
    provider, _, short = (model_name or "").partition("/")
    return {
        "name": str_or_none(spec.get("task")),
        "model": {
            "name": short or provider or None,
            "version": str_or_none(as_dict(sample.get("output")).get("model")),
            "provider": provider if short else None,
        },
        "tools": _tools(sample.get("events")),
    }


def _sample(
    path: str, entry: str, header: dict[str, Any], header_problem: str | None, sample: Any
) -> Record:
    if not isinstance(sample, dict):
        return Record(path, None, reason="sample is not a JSON object", entry=entry)
    sample = _resolve(sample, as_dict(sample.get("attachments")))
    spec = as_dict(header.get("eval"))
    sample_id, epoch = str_or_none(sample.get("id")), str_or_none(sample.get("epoch")) or "1"
    if sample_id is None:
        return Record(path, None, reason="sample has no id", entry=entry)
    messages = sample.get("messages")
    if not isinstance(messages, list):
        return Record(path, None, reason="sample has no messages array", entry=entry)
    steps = _steps(messages, sample.get("events"), bool(sample.get("error")))
    if isinstance(steps, str):
        return Record(path, None, reason=steps, entry=entry)
    prefix = str_or_none(spec.get("eval_id")) or str_or_none(spec.get("task")) or "inspect"
    traj = new_trajectory(f"{prefix}:{sample_id}:{epoch}", steps=steps)
    started = normalise_timestamp(sample.get("started_at")) or normalise_timestamp(
        spec.get("created")
    )
    if started:
        traj["started_at"] = started
    traj["agent"] = _agent(spec, sample)
    verdict = score_verdict(sample.get("scores"))
    if verdict:
        traj["labels"] = {"verdict": verdict}
    x: dict[str, Any] = {
        "eval": {
            k: spec.get(k)
            for k in ("eval_id", "run_id", "task", "task_id", "task_version", "model", "created")
            if spec.get(k) is not None
        },
        "status": header.get("status"),
        "scores": sample.get("scores"),
        "sample": {k: v for k, v in sample.items() if k not in _SAMPLE_MAPPED},
        "event_count": len(as_list(sample.get("events"))),
    }
    if header_problem:
        x["header_problem"] = header_problem
    traj["x_inspect"] = {k: v for k, v in x.items() if v is not None}
    return finish(traj, fmt=_FMT, path=path, entry=entry)


@hookimpl
def register_readers() -> list[InspectReader]:
    """Register the Inspect AI eval log reader."""
    return [InspectReader()]
