"""Reader for Claude Code session transcripts (and the Claude Agent SDK, which runs the same CLI).

Claude Code persists each session as JSONL under
``~/.claude/projects/<escaped cwd>/<session id>.jsonl``; a sub-agent (``Agent`` / ``Task``
tool) gets its own file, ``<session id>/subagents/agent-<agent id>.jsonl``, whose lines are
``isSidechain`` and carry the ``agentId``. Each line has a ``type``:

- ``user``: ``message`` is a Messages-API user message: string content or ``text``
  blocks (a user message; a line the CLI wrote itself, marked ``isMeta``,
  ``isCompactSummary``, ``rowSource: harness``, ``promptSource: system``, an ``origin``,
  or with text only the CLI writes, is a system message), ``tool_result`` blocks (a tool result: the text
  of its ``content``, ``is_error``), ``image`` / ``document`` blocks (kept under
  ``x_claude_code``);
- ``assistant``: one line per content block of the same API message (same
  ``message.id``), merged in order, a block (by ``apiBlockIndex``) read once: ``text``
  (assistant message; adjacent text blocks are one message),
  ``tool_use`` (tool call: name, arguments = ``input``, call id = ``id``),
  ``server_tool_use`` and its ``*_tool_result`` block (a call the API ran, its result),
  ``thinking``
  / ``redacted_thinking`` (not speech: kept under ``x_claude_code.thinking`` of the
  message's next step);
- ``attachment`` of type ``file`` (a file the user named with ``@``, or one read back in
  after a compaction: the CLI reads it into the prompt itself and shows the model a
  ``Read`` call and its result): that ``Read`` call and result, noted
  ``x_claude_code.attachment``;
- what else the CLI shows the model from an ``attachment``: ``CLAUDE.md`` files
  (``instructions``, ``nested_memory``) and hook output (``hook_success``,
  ``hook_additional_context``): a tool result of no call (see :func:`_context_steps`;
  the context a tool's hook adds is appended to that tool's result, as the CLI sends it),
  untrusted as any document (a cloned repository's CLAUDE.md is whoever wrote it);
- ``deferred_tools_delta`` attachments: tools offered by name only (in ``agent.tools``);
- ``queue-operation`` ``enqueue``: the prompt the CLI queued, a user message (marked
  ``queued``) only when no user line of the session holds a prompt (the file stops
  before it);
- every other type (``attachment``, ``system``, ``summary``, ``api-request*``,
  ``queue-operation``, ``cost-state``, ...) is session metadata: counted under
  ``x_claude_code.other_lines``; the system prompt and the tools offered are read from
  ``api-request-shape`` lines (``shape.system``, ``shape.tools``) when the CLI wrote them,
  the system prompt else from a ``prompt_snapshot`` attachment.

A sub-agent's ``agent-<agent id>.meta.json`` (agent type, the parent's tool-use id) is
recognised and holds no session (no records), as does a tool output the CLI stored under
``<session id>/tool-results/`` (:meth:`ClaudeCodeReader.owns`). Lines a
``--fork-session`` copied from the forked session are marked ``inherited_from``. One trajectory per ``sessionId``; sidechain
lines are the sub-agent's own trajectory, ``<session id>:agent-<agent id>`` (its first
user message is the task the parent agent gave it). Steps keep file order (the order the
CLI appended them: what ran). The ``parentUuid`` chain (``logicalParentUuid`` across a
compaction) is followed from the last message back to the first; a step not on that chain
(an abandoned branch: a rewound or edited prompt) is kept, with
``x_claude_code.off_path: true`` (its tool calls did run). A malformed line is a reject
naming its file, line and problem; the rest of its session is read and the trajectory
lists the rejected lines (a line naming no session: in every session of the file). A line
whose ``uuid`` was read before is read once if written again with the same content (its
metadata may differ) or if it is metadata itself, else a reject (the first stands); a session of metadata lines only is a reject.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record, head_object, iter_json_lines
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    content_output,
    finish,
    guarded,
    normalise_timestamp,
    str_or_none,
    text_of,
    tool_call_step,
    tool_entry,
)
from incident_lab.readers.tool_inference import json_type
from incident_lab.trajectory import compact_json, new_trajectory

_FMT = "claude_code"
_X = "x_claude_code"
_MESSAGE_TYPES = ("user", "assistant")
#: Types of lines without a ``sessionId`` that older versions write (not records).
_FILE_METADATA = ("summary", "file-history-snapshot")
_THINKING = ("thinking", "redacted_thinking")
_USER_PARTS = ("image", "document")
_SESSION_INFO = ("cwd", "version", "gitBranch", "entrypoint", "userType")
#: Flags of user lines the CLI wrote itself (not the user's words): system messages.
_BY_CLI = ("isMeta", "isCompactSummary")
#: Where a user line came from when the CLI wrote it (``rowSource``, ``promptSource``).
_CLI_SOURCES = (("rowSource", "harness"), ("promptSource", "system"))
#: How text the CLI writes on a user line of its own begins.
_CLI_TEXTS = (
    "[Request interrupted by user",
    "<task-notification>",
    "<local-command-stdout>",
    "<local-command-stderr>",
)
_SUBAGENT_META = {"agentType", "toolUseId"}


class _Bad(Exception):
    """A problem with the line being read (it becomes a reject)."""


@dataclass
class _Session:
    """What one trajectory gathers while its file is read."""

    sid: str
    first_line: int
    info: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (node key, step)
    calls: dict[str, str] = field(default_factory=dict)  # tool_use id -> tool name
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # tool_use id -> result
    blocks: dict[str, dict[str, str]] = field(default_factory=dict)  # message id -> blocks seen
    thinking: dict[str, list[str]] = field(default_factory=dict)  # message id -> unplaced
    key_of: dict[str, str] = field(default_factory=dict)  # line uuid -> node key
    parent: dict[str, str | None] = field(default_factory=dict)  # node key -> parent uuid
    leaf: str | None = None
    chained: bool = True
    system: dict[str, Any] | None = None
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)  # tools offered by name only
    hooks: dict[str, str] = field(default_factory=dict)  # tool use id/hook name -> command
    models: list[str] = field(default_factory=list)
    requested: str | None = None
    stamps: list[str] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)
    rejected: list[int] = field(default_factory=list)
    lines: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # uuid -> line, digest
    queued: int = 0  # prompts queued (queue-operation enqueue)


class ClaudeCodeReader:
    """Claude Code session transcripts (``~/.claude/projects/*/<session>.jsonl``)."""

    name = _FMT
    description = "Claude Code / Claude Agent SDK session transcripts (~/.claude/projects/*.jsonl)"

    def owns(self, path: str) -> bool:
        """A file the CLI stored for a session's tool call (``<session id>/tool-results/``
        beside ``<session id>.jsonl``: a large output, an MCP image): part of that session's
        record, not a log of its own, whatever it holds (see :meth:`read`)."""
        return stored_output_of(path) is not None

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the first line has a camelCase ``sessionId`` and a line ``type``, or is
        one of the file-level lines older versions start with. A first line longer than
        ``head`` (a pasted prompt of 100 KB) is read on to its end."""
        first = head_object(head)
        if first is None and _cut_short(head):
            first = _first_object(path)
        if _subagent_meta(first):
            return 0.9
        if not isinstance(first, dict) or not isinstance(first.get("type"), str):
            return 0.0
        if isinstance(first.get("sessionId"), str) and "session_id" not in first:
            return 0.9
        if first["type"] == "summary" and isinstance(first.get("leafUuid"), str):
            return 0.9
        if first["type"] == "file-history-snapshot" and "messageId" in first:
            return 0.9
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield line rejects as met, then one trajectory per session at end of file; a
        session's stored tool output (:meth:`owns`) yields nothing (its manifest row, with
        no records, keeps it in the bundle)."""
        if self.owns(path):
            return
        sessions: dict[str, _Session] = {}
        unplaced: list[int] = []  # rejected lines of no known session: listed in each
        for line_no, obj, reject in iter_json_lines(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                unplaced.append(line_no)
                yield reject
                continue
            problem, bug = guarded(_take, sessions, obj, line_no, path=path, line=line_no)
            if bug is not None:
                yield bug
            elif problem is not None:
                if not _placed(obj):
                    unplaced.append(line_no)
                yield Record(path, line_no, reason=problem, excerpt=compact_json(obj)[:200])
        for session in sessions.values():
            session.rejected = sorted(set(session.rejected + unplaced))
            record, bug = guarded(_build, path, session, path=path, line=session.first_line)
            if bug is not None:
                bug.reason = f"session {session.sid!r}: {bug.reason}"
            yield record or bug  # type: ignore[misc]


def stored_output_of(path: str) -> str | None:
    """The session whose tool output the CLI stored at ``path``
    (``<dir>/<session id>/tool-results/<file>`` beside ``<dir>/<session id>.jsonl``)."""
    file = Path(path)
    folder = file.parent.parent
    if file.parent.name != "tool-results" or not folder.name:
        return None
    transcript = folder.with_name(folder.name + ".jsonl")
    if not transcript.is_file():
        return None
    # the file beside it must be a Claude Code transcript of that session: any other log's
    # ``runs/tool-results/`` is a log of its own (revcc36b N4)
    first = _first_object(str(transcript))
    return folder.name if _placed(first) and first.get("sessionId") == folder.name else None


def _placed(obj: Any) -> bool:
    """True when a line names its session (its reject is listed in that session's)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not obj["type"]:
        return False
    return isinstance(obj.get("sessionId"), str) and bool(obj["sessionId"])


def _cut_short(head: bytes) -> bool:
    """True when ``head`` opens a JSON object whose line does not end within it."""
    start = head.lstrip()
    return start.startswith(b"{") and b"\n" not in start


def _first_object(path: str) -> Any:
    """The first line of ``path`` parsed whole (None: not JSON, or not readable)."""
    try:
        for _line, obj, _reject in iter_json_lines(path):
            return obj
    except (OSError, EOFError, ValueError, RecursionError, zlib.error):
        return None
    return None


def _take(sessions: dict[str, _Session], obj: Any, line: int) -> str | None:
    """Read one line into its session; return why it is rejected, if it is."""
    if not isinstance(obj, dict):
        return f"line is a JSON {json_type(obj)}, expected an object"
    if _subagent_meta(obj):
        return None  # a sub-agent's meta file, beside its transcript: no session in it
    kind = obj.get("type")
    if not isinstance(kind, str) or not kind:
        return "line has no type (a non-empty string)"
    sid = obj.get("sessionId")
    if not isinstance(sid, str) or not sid:
        if kind in _FILE_METADATA:
            return None  # file-level bookkeeping of older versions, in no session
        return f"{kind} line has no sessionId (a non-empty string)"
    session = _session_of(sessions, obj, sid, line)
    again = _written_before(session, kind, obj, line)
    if again is not None:
        if again:
            session.rejected.append(line)
        return again or None
    _note_hook(session, obj)
    if kind == "queue-operation":
        _queued(session, obj, line)
    shown = _shown(obj)
    if kind not in _MESSAGE_TYPES and shown is None:
        _metadata(session, kind, obj)
        return None
    try:
        if shown is not None:
            steps = _context_steps(session, shown, obj)
        else:
            steps = _message_steps(session, kind, obj)
    except _Bad as exc:
        session.rejected.append(line)
        _node(session, kind, obj, line)  # its children still chain through it
        return str(exc)
    key = _node(session, kind, obj, line)
    session.leaf = key
    if steps and _continues(session, key, steps[0]):
        session.steps[-1][1]["content"] += "\n" + steps.pop(0)["content"]
    session.steps.extend((key, step) for step in steps)
    stamp = normalise_timestamp(obj.get("timestamp"))
    if stamp:
        session.stamps.append(stamp)
    return None


#: The keys of a line that hold what it shows the model (its content): a line written again
#: under its ``uuid`` with these the same is the same line, whatever else changed.
_CONTENT_KEYS = ("type", "message", "attachment", "toolUseResult", "content", "operation")


def _written_before(session: _Session, kind: str, obj: dict[str, Any], line: int) -> str | None:
    """Whether a line with this ``uuid`` was read before: ``""`` when it was written
    again with the same content (:data:`_CONTENT_KEYS`; read once, its metadata may
    differ) or is metadata (shown to no model: bookkeeping the CLI writes under one uuid
    again and again, ``saved_hook_context``: anthropics/claude-code#22178), why it is
    rejected when its content differs (the first line stands), None when it is new or has
    no uuid (revcc36 L5)."""
    uuid = str_or_none(obj.get("uuid"))
    if uuid is None:
        return None
    # what the line shows, its repr (half the cost of its JSON text): the CLI writes a line
    # again with its metadata changed (a ``slug`` added, another ``version``, ``gitBranch``,
    # ``promptId`` or ``parentUuid``: ctxrs/ctx#663, anthropics/claude-code#22178; review
    # revcc37 M1), the same line still
    shown = tuple(obj.get(key) for key in _CONTENT_KEYS)
    digest = hashlib.blake2b(repr(shown).encode("utf-8", "surrogatepass"), digest_size=16).digest()
    first = session.lines.setdefault(uuid, (line, digest))
    if first[0] == line:
        return None
    if first[1] == digest or (kind not in _MESSAGE_TYPES and _shown(obj) is None):
        return ""
    return f"uuid {uuid!r} was written before (line {first[0]}) with other content"


def _queued(session: _Session, obj: dict[str, Any], line: int) -> None:
    """A prompt the CLI queued (``queue-operation`` ``enqueue``): a user message at its
    place, kept only when no user line of the session holds a prompt (the CLI stopped
    before writing it; see :func:`_build`)."""
    content = obj.get("content")
    if obj.get("operation") != "enqueue" or not isinstance(content, str) or not content:
        return
    step = {"type": "message", "role": "user", "content": content, _X: {"queued": True}}
    stamp = normalise_timestamp(obj.get("timestamp"))
    session.steps.append((f"queued:{line}", step | ({"timestamp": stamp} if stamp else {})))
    session.queued += 1


def _continues(session: _Session, key: str, step: dict[str, Any]) -> bool:
    """True when ``step`` is more text of the assistant message the session's last step
    holds (the CLI wrote the message's text blocks on lines of their own)."""
    if not session.steps or session.steps[-1][0] != key or not key.startswith("message:"):
        return False
    last = session.steps[-1][1]
    if last["type"] != "message" or step["type"] != "message" or _X in step:
        return False
    return set(last.get(_X, {})) <= {"thinking"}  # thinking before the text: still one text


def _subagent_meta(obj: Any) -> bool:
    """The object of ``agent-<id>.meta.json``, which the CLI writes beside a sub-agent's
    transcript (its agent type, the parent's tool-use id, ...)."""
    return isinstance(obj, dict) and "type" not in obj and obj.keys() >= _SUBAGENT_META


def _session_of(
    sessions: dict[str, _Session], obj: dict[str, Any], sid: str, line: int
) -> _Session:
    """The session a line belongs to: a sidechain line to its sub-agent's."""
    agent = str_or_none(obj.get("agentId"))
    if obj.get("isSidechain") is True or (agent and "isSidechain" not in obj):
        sid = f"{sid}:agent-{agent or 'sidechain'}"
    else:
        agent = None
    if sid not in sessions:
        sessions[sid] = _Session(sid, line, info={"session_id": obj["sessionId"]})
        if agent:
            sessions[sid].info["agent_id"] = agent
    session = sessions[sid]
    for key in _SESSION_INFO:
        value = str_or_none(obj.get(key))
        if value and key not in session.info:
            session.info[key] = value
    return session


#: A shown document: (tool name, arguments, output, notes under ``x_claude_code``).
_Shown = tuple[str, dict[str, Any], str, dict[str, Any]]


def _shown(obj: dict[str, Any]) -> str | None:
    """The type of an ``attachment`` line whose text the CLI put before the model (see
    :func:`_context_steps`), or None."""
    attachment = as_dict(obj.get("attachment"))
    kind = attachment.get("type")
    if obj.get("type") != "attachment" or kind not in _CONTEXT:
        return None
    if kind == "hook_success" and not attachment.get("content"):
        return None  # the hook printed nothing the model saw (or JSON read as its own line)
    if kind == "hook_success" and attachment.get("hookEvent") not in _HOOKS_SHOWN:
        return None  # a tool hook's output goes to the log, not to the model (revcc36b N1)
    return str(kind)


#: The hook events whose output the CLI puts before the model (a tool's pre or post hook
#: prints to the transcript only: the requests the CLI sends never hold it).
_HOOKS_SHOWN = frozenset(["UserPromptSubmit", "SessionStart"])


def _context_steps(session: _Session, kind: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """What the CLI showed the model from an ``attachment`` line, noted
    ``x_claude_code.attachment``. A file the user named with ``@`` is the ``Read`` call
    and result the CLI shows the model. The rest is a tool result no call of the model
    asked for (a ``call_id`` of its own that no call has, the arguments under
    ``x_claude_code``): a CLAUDE.md
    (``instructions``, and ``nested_memory`` when a file below another CLAUDE.md is
    read) as ``Read``'s output, a hook's output (``hook_success``,
    ``hook_additional_context``) as ``Bash``'s (the hook's command). Each is a document
    from outside the conversation, not the user's words: a cloned repository's
    CLAUDE.md, or what a hook prints, is whoever wrote it (untrusted, as any tool
    output). The context a tool's hook adds (``PostToolUse``) is the CLI's to that tool's
    result, sent to the model inside it: it is appended there (:func:`_append`)."""
    shown = _CONTEXT[kind](session, obj)
    if kind == "hook_additional_context":
        result = session.results.get(str(obj["attachment"].get("toolUseID")))
        if result is not None:
            _append(result, kind, shown)
            return []
    steps: list[dict[str, Any]] = []
    for i, (name, arguments, output, notes) in enumerate(shown):
        # an id of its own, which no call has: a result with none would be paired with the
        # oldest call still waiting for its result (revcc36b N2)
        call_id = f"attachment:{obj.get('uuid')}" + (f":{i}" if i else "")
        result = {"type": "tool_result", "call_id": call_id, "name": name, "output": output}
        if kind == "file":
            x: dict[str, Any] = {_X: {"attachment": kind}}
            steps.append(tool_call_step(name, arguments, call_id) | x)
        else:
            x = {_X: {"attachment": kind, "arguments": arguments} | notes}
        steps.append(result | {"is_error": False} | x)
    stamp = normalise_timestamp(obj.get("timestamp"))
    return [step | {"timestamp": stamp} for step in steps] if stamp else steps


def _append(result: dict[str, Any], kind: str, shown: list[_Shown]) -> None:
    """Append what a tool's hook added to that tool's result, as the CLI sends it to the
    model (inside the same ``tool_result``, after the tool's output), noted under
    ``x_claude_code.appended`` (where it starts, the hook and its command)."""
    for _name, arguments, output, notes in shown:
        start = len(result["output"]) + 2
        result["output"] += "\n\n" + output
        note = {"attachment": kind, "arguments": arguments, "start": start} | notes
        result.setdefault(_X, {}).setdefault("appended", []).append(note)


def _file_shown(_session: _Session, obj: dict[str, Any]) -> list[_Shown]:
    """A file named with ``@`` (or read back in after a compaction): its text (any other
    content as canonical JSON)."""
    attachment = obj["attachment"]
    filename = attachment.get("filename")
    if not isinstance(filename, str) or not filename:
        raise _Bad(
            f"file attachment has no filename (a string), it is a JSON {json_type(filename)}"
        )
    content = as_dict(attachment.get("content"))
    text = as_dict(content.get("file")).get("content")
    output = text if content.get("type") == "text" and isinstance(text, str) else None
    if output is None:
        output = content_output(attachment.get("content"))
    return [("Read", {"file_path": filename}, output, {})]


def _memory(record: Any, where: str) -> _Shown:
    """One CLAUDE.md the CLI loaded: its path, text and kind (Project, User, Local...)."""
    record = as_dict(record)
    path, text = record.get("path"), record.get("content")
    if not isinstance(path, str) or not isinstance(text, str):
        raise _Bad(f"{where} has no path and content (strings)")
    kind = str_or_none(record.get("type"))
    return ("Read", {"file_path": path}, text, {"memory_type": kind} if kind else {})


def _instructions_shown(_session: _Session, obj: dict[str, Any]) -> list[_Shown]:
    """The CLAUDE.md files loaded at the start of a turn."""
    files = as_list(obj["attachment"].get("files"))
    return [_memory(f, f"instructions attachment files[{i}]") for i, f in enumerate(files)]


def _nested_memory_shown(_session: _Session, obj: dict[str, Any]) -> list[_Shown]:
    """A CLAUDE.md the CLI appended when the model read a file below it."""
    return [_memory(obj["attachment"].get("content"), "nested_memory attachment content")]


def _hook_shown(session: _Session, obj: dict[str, Any]) -> list[_Shown]:
    """A hook's output the model saw: a hook's printed text, or the context it added."""
    attachment = obj["attachment"]
    hook = str_or_none(attachment.get("hookName")) or "hook"
    command = session.hooks.get(_hook_key(attachment), "")
    content = attachment.get("content")
    parts = content if isinstance(content, list) else [content]
    if not all(isinstance(part, str) for part in parts):
        raise _Bad(f"{attachment['type']} attachment content is not text")
    arguments = {"command": command, "description": f"{hook} hook"}
    return [("Bash", arguments, "\n".join(parts), {"hook": hook})]


def _hook_key(attachment: dict[str, Any]) -> str:
    return f"{attachment.get('toolUseID')}/{attachment.get('hookName')}"


def _note_hook(session: _Session, obj: dict[str, Any]) -> None:
    """Remember a hook's command, for the context it adds on a line of its own."""
    attachment = as_dict(obj.get("attachment"))
    command = attachment.get("command")
    if attachment.get("type") == "hook_success" and isinstance(command, str):
        session.hooks[_hook_key(attachment)] = command


_CONTEXT = {
    "file": _file_shown,
    "instructions": _instructions_shown,
    "nested_memory": _nested_memory_shown,
    "hook_success": _hook_shown,
    "hook_additional_context": _hook_shown,
}


def _metadata(session: _Session, kind: str, obj: dict[str, Any]) -> None:
    """Count a metadata line; take the system prompt and tools the CLI recorded."""
    attachment = as_dict(obj.get("attachment"))
    label = f"{kind}:{attachment['type']}" if isinstance(attachment.get("type"), str) else kind
    session.other[label] += 1
    uuid = str_or_none(obj.get("uuid"))
    if uuid:
        _node(session, kind, obj, 0)
    if kind == "api-request-shape":
        _shape(session, as_dict(obj.get("shape")))
    elif attachment.get("type") == "deferred_tools_delta":
        names = [n for n in as_list(attachment.get("addedNames")) if isinstance(n, str) and n]
        session.deferred.extend(n for n in names if n not in session.deferred)
    elif attachment.get("type") == "prompt_snapshot" and session.system is None:
        parts = [p for p in as_list(attachment.get("systemPrompt")) if isinstance(p, str)]
        if parts:
            text = "\n".join(parts)
            session.system = {"from": label, "text": text}


def _shape(session: _Session, shape: dict[str, Any]) -> None:
    """The system prompt and tools of a request the CLI recorded (``api-request-shape``)."""
    text, _ = text_of(shape.get("system"))
    if text and (session.system is None or session.system["from"] != "api-request-shape"):
        session.system = {"from": "api-request-shape", "text": text}
    for tool in map(as_dict, as_list(shape.get("tools"))):
        name = str_or_none(tool.get("name"))
        if name and name not in session.tools:
            session.tools[name] = tool_entry(
                name, tool.get("description"), tool.get("input_schema")
            )


def _node(session: _Session, kind: str, obj: dict[str, Any], line: int) -> str:
    """The line's node in the ``parentUuid`` tree: the lines of one API message are one
    node, and so are the tool results answering one message (the CLI hangs each result
    on the line of its own call)."""
    uuid = str_or_none(obj.get("uuid"))
    parent_uuid = str_or_none(obj.get("parentUuid") or obj.get("logicalParentUuid"))
    parent = session.key_of.get(parent_uuid) if parent_uuid else None
    message = as_dict(obj.get("message"))
    content = message.get("content")
    if uuid is None:
        session.chained = False
        return f"line:{line}"
    if kind == "assistant" and str_or_none(message.get("id")):
        key = f"message:{message['id']}"
    elif (
        kind == "user"
        and content
        and all(as_dict(b).get("type") == "tool_result" for b in as_list(content))
    ):
        key = f"results:{parent or uuid}"
    else:
        key = f"line:{uuid}"
    session.key_of[uuid] = key
    if key not in session.parent:
        session.parent[key] = parent_uuid  # resolved once all is read (revcc36 L3)
    return key


def _message_steps(session: _Session, kind: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of a user or assistant line (nothing is recorded until all are read)."""
    message = obj.get("message")
    if not isinstance(message, dict):
        raise _Bad(f"{kind} line has no message object")
    content = message.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise _Bad(
            f"{kind} message.content is a JSON {json_type(content)}, expected a string or an array"
        )
    stamp = normalise_timestamp(obj.get("timestamp"))
    if kind == "user":
        steps = _user_steps(session, obj, content)
    else:
        steps = _assistant_steps(session, obj, message, content)
    forked = obj.get("requestSessionId")
    for step in steps:
        if stamp:
            step["timestamp"] = stamp
        if isinstance(forked, str) and forked != obj["sessionId"]:
            step.setdefault(_X, {})["inherited_from"] = forked
    return steps


def _user_steps(session: _Session, obj: dict[str, Any], content: list[Any]) -> list[dict[str, Any]]:
    """Text blocks (merged while adjacent) as a user message, tool results as results."""
    steps: list[dict[str, Any]] = []
    texts: list[str] = []
    parts: list[Any] = []
    by_cli = _by_cli(obj, content)
    role = "system" if by_cli else "user"

    def flush() -> None:
        if texts or parts:
            x: dict[str, Any] = {"content_parts": list(parts)} if parts else {}
            x |= by_cli
            step = {"type": "message", "role": role, "content": "\n".join(texts)}
            steps.append(step | ({_X: x} if x else {}))
            texts.clear()
            parts.clear()

    for i, block in enumerate(content):
        btype = _block_type(block, i)
        if btype == "text":
            texts.append(_string(block, "text", i))
        elif btype in _USER_PARTS:
            parts.append(block)
        elif btype == "tool_result":
            flush()
            steps.append(_tool_result(session, block, i, obj))
        else:
            raise _Bad(f"user message.content[{i}] has unknown block type {btype!r}")
    flush()
    return steps


def _by_cli(obj: dict[str, Any], content: list[Any]) -> dict[str, Any]:
    """What marks a user line as written by the CLI, not typed by the user: a flag
    (``isMeta``, ``isCompactSummary``), where the row or prompt came from
    (``rowSource: harness``, ``promptSource: system``, an ``origin``: a background task's
    notification), or text only the CLI writes (an interruption notice, a local
    command's output)."""
    marks: dict[str, Any] = {flag: True for flag in _BY_CLI if obj.get(flag) is True}
    marks |= {key: value for key, value in _CLI_SOURCES if obj.get(key) == value}
    origin = str_or_none(as_dict(obj.get("origin")).get("kind"))
    if origin:
        marks["origin"] = origin
    first = as_dict(content[0]).get("text") if content else None
    if isinstance(first, str) and first.lstrip().startswith(_CLI_TEXTS):
        marks["cli_text"] = True
    return marks


def _block_type(block: Any, i: int) -> str:
    if not isinstance(block, dict):
        raise _Bad(f"message.content[{i}] is a JSON {json_type(block)}, expected an object")
    btype = block.get("type")
    if not isinstance(btype, str):
        raise _Bad(f"message.content[{i}] has no type (a string)")
    return btype


def _string(block: dict[str, Any], key: str, i: int) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise _Bad(f"message.content[{i}].{key} is a JSON {json_type(value)}, expected a string")
    return value


def _tool_result(
    session: _Session, block: dict[str, Any], i: int, obj: dict[str, Any]
) -> dict[str, Any]:
    """A ``tool_result`` block: the output is the text of its content (non-text parts
    as canonical JSON), ``is_error`` as written."""
    call_id = _string(block, "tool_use_id", i)
    if call_id not in session.calls:
        raise _Bad(
            f"tool_result for tool_use_id {call_id!r}, which no earlier tool_use of this session made"
        )
    is_error = block.get("is_error", False)
    if not isinstance(is_error, bool):
        raise _Bad(
            f"message.content[{i}].is_error is a JSON {json_type(is_error)}, expected a boolean"
        )
    content = block.get("content")
    if content is not None and not isinstance(content, str | list):
        raise _Bad(
            f"message.content[{i}].content is a JSON {json_type(content)}, expected a string or an array"
        )
    step = {
        "type": "tool_result",
        "call_id": call_id,
        "name": session.calls[call_id],
        "output": content_output(content),
        "is_error": is_error,
    }
    agent = str_or_none(as_dict(obj.get("toolUseResult")).get("agentId"))
    step |= {_X: {"agent_id": agent}} if agent else {}
    session.results[call_id] = step  # a tool hook's added context goes into it
    return step


def _assistant_steps(
    session: _Session, obj: dict[str, Any], message: dict[str, Any], content: list[Any]
) -> list[dict[str, Any]]:
    """The line's blocks not already read from another line of the same message: texts
    (merged while adjacent) as an assistant message, tool uses as calls; thinking goes
    with the message's next step."""
    mid = str_or_none(message.get("id")) or f"uuid:{obj.get('uuid')}"
    seen = dict(session.blocks.get(mid, {}))
    pending = list(session.thinking.get(mid, ()))
    steps: list[dict[str, Any]] = []
    calls: dict[str, str] = {}
    index = obj.get("apiBlockIndex")
    for i, block in enumerate(content):
        btype = _block_type(block, i)
        # the block's place in the API message when the CLI wrote it, else its content
        # (older versions wrote a message's blocks again on later lines)
        body = compact_json(block)
        key = f"#{index + i}" if type(index) is int else body
        if seen.get(key, body) != body:
            raise _Bad(f"block {key} of message {mid!r} written again with other content")
        if key in seen:
            continue
        seen[key] = body
        if btype in _THINKING:
            thought = block.get("thinking")
            pending.append(thought if isinstance(thought, str) else f"[{btype}]")
        elif btype == "text":
            text = _string(block, "text", i)
            if steps and steps[-1]["type"] == "message":
                steps[-1]["content"] += "\n" + text
            else:
                steps.append({"type": "message", "role": "assistant", "content": text})
        else:
            steps.append(_tool_block(session, calls, btype, block, i))
    if steps and pending:
        steps[0].setdefault(_X, {})["thinking"] = pending
        pending = []
    session.calls.update(calls)
    session.blocks[mid] = seen
    session.thinking[mid] = pending
    _model(session, obj, message, steps)
    return steps


def _tool_block(
    session: _Session, calls: dict[str, str], btype: str, block: dict[str, Any], i: int
) -> dict[str, Any]:
    """A ``tool_use`` block (a call), or a tool the API ran itself: ``server_tool_use``
    (a call, noted ``x_claude_code.server_tool``) and its ``*_tool_result`` block (the
    result: untrusted text the model read, as any other)."""
    if btype in ("tool_use", "server_tool_use"):
        call_id, name = _string(block, "id", i), _string(block, "name", i)
        calls[call_id] = name
        step = tool_call_step(name, block.get("input"), call_id)
        return step | ({_X: {"server_tool": True}} if btype == "server_tool_use" else {})
    if btype.endswith("_tool_result"):
        return _server_result(session, calls, btype, block, i)
    raise _Bad(f"assistant message.content[{i}] has unknown block type {btype!r}")


def _server_result(
    session: _Session, calls: dict[str, str], btype: str, block: dict[str, Any], i: int
) -> dict[str, Any]:
    """The result block of a tool the API ran (``web_search_tool_result``, ...)."""
    call_id = _string(block, "tool_use_id", i)
    tool = calls.get(call_id) or session.calls.get(call_id)
    if tool is None:
        raise _Bad(f"{btype} for tool_use_id {call_id!r}, which no server_tool_use made")
    content = block.get("content")
    failed = str(as_dict(content).get("type", "")).endswith("_error")
    step: dict[str, Any] = {"type": "tool_result", "call_id": call_id, "name": tool}
    step |= {"output": content_output(content), "is_error": failed}
    return step | {_X: {"server_tool": True}}


def _model(
    session: _Session, obj: dict[str, Any], message: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    """Note the model that wrote the message; a message the CLI made itself (model
    ``<synthetic>``: an API error, an interruption) is marked on its steps."""
    model = str_or_none(message.get("model"))
    if model == "<synthetic>":
        for step in steps:
            step.setdefault(_X, {})["synthetic"] = True
        return
    if model:
        session.models.append(model)
    requested = str_or_none(obj.get("requestedModel"))
    if requested and session.requested is None:
        session.requested = requested


def _on_path(session: _Session) -> set[str] | None:
    """The nodes from the last message back to the first (None: the chain is broken). A
    parent is looked up once the whole file is read: a line may hang on one written after
    it. A node that is its own parent breaks the chain (a line naming itself tells no
    order)."""
    if not session.chained or session.leaf is None:
        return None
    path: set[str] = set()
    key: str | None = session.leaf
    while key is not None and key not in path:
        path.add(key)
        parent = session.parent.get(key)
        up = session.key_of.get(parent) if parent else None
        if up == key:
            return None
        key = up
    # the results of a call on the path are on it, wherever the chain went on from
    path |= {
        node
        for node, parent in session.parent.items()
        if node.startswith("results:") and parent and session.key_of.get(parent) in path
    }
    return path


def _unqueued(session: _Session) -> list[tuple[str, dict[str, Any]]]:
    """The session's steps, less the prompts it queued (:func:`_queued`) when a user line
    holds a prompt: a queued prompt is kept only when none does."""
    if not session.queued:
        return session.steps
    prompted = any(
        s["role"] == "user" and not k.startswith("queued:")
        for k, s in session.steps
        if s["type"] == "message"
    )
    return [(k, s) for k, s in session.steps if not (prompted and k.startswith("queued:"))]


def _inherited(steps: list[dict[str, Any]]) -> str | None:
    """Mark the steps a ``--fork-session`` copied from the session it forked (the CLI
    copies its lines; only the copied assistant lines say so, with their
    ``requestSessionId``): every step up to the last such line, and the results of
    the calls made there. Returns the forked session's id."""
    marked = [i for i, step in enumerate(steps) if "inherited_from" in step.get(_X, {})]
    if not marked:
        return None
    source = steps[marked[-1]][_X]["inherited_from"]
    calls: set[str] = set()
    for i, step in enumerate(steps):
        if i <= marked[-1] or (step["type"] == "tool_result" and step["call_id"] in calls):
            step.setdefault(_X, {}).setdefault("inherited_from", source)
            if step["type"] == "tool_call":
                calls.add(step["call_id"])
    return str(source)


def _build(path: str, session: _Session) -> Record:
    """One session's trajectory; a session of metadata lines only is a reject."""
    kept = _unqueued(session)
    if not kept:
        lines = ", ".join(f"{n} {kind}" for kind, n in sorted(session.other.items()))
        return Record(
            path,
            session.first_line,
            reason=f"session {session.sid!r} holds no message, only metadata lines ({lines})",
        )
    on_path = _on_path(session)
    steps: list[dict[str, Any]] = []
    for key, step in kept:
        if on_path is not None and key not in on_path and not key.startswith("queued:"):
            step.setdefault(_X, {})["off_path"] = True
        steps.append(step)
    forked = _inherited(steps)
    own = [
        s["timestamp"] for s in steps if "timestamp" in s and "inherited_from" not in s.get(_X, {})
    ]
    if session.system is not None:
        steps.insert(0, {"type": "message", "role": "system", "content": session.system["text"]})
    traj = new_trajectory(session.sid, steps=steps)
    if forked is not None and own:
        traj["started_at"] = min(own)  # the fork's own start, not the copied lines'
    elif session.stamps:
        traj["started_at"] = min(session.stamps)
    traj["agent"] = _agent(session)
    traj[_X] = _extras(session, forked)
    return finish(traj, fmt=_FMT, path=path, line=session.first_line)


def _agent(session: _Session) -> dict[str, Any]:
    """The model asked for and the one that answered; the tools offered (a deferred
    tool, offered by name for the model to load, is offered too: the CLI runs it)."""
    first = session.models[0] if session.models else None
    model: dict[str, Any] = {"name": session.requested or first}
    if session.models:
        model["version"] = session.models[-1]
    model["provider"] = "anthropic"
    tools = list(session.tools.values())
    tools += [tool_entry(name) for name in session.deferred if name not in session.tools]
    return {"name": "claude-code", "model": model, "tools": tools}


def _extras(session: _Session, forked: str | None) -> dict[str, Any]:
    """The trajectory's ``x_claude_code``."""
    x: dict[str, Any] = dict(session.info)
    x["tools_recorded"] = bool(session.tools)
    if forked is not None:
        x["forked_from"] = forked
    if session.system is not None:
        x["system_prompt_from"] = session.system["from"]
    unplaced = {mid: texts for mid, texts in session.thinking.items() if texts}
    if unplaced:
        x["unplaced_thinking"] = unplaced
    x["other_lines"] = dict(sorted(session.other.items()))
    if session.rejected:
        x["rejected_lines"] = session.rejected
    return x


@hookimpl
def register_readers() -> list[ClaudeCodeReader]:
    """Register the Claude Code transcript reader."""
    return [ClaudeCodeReader()]
