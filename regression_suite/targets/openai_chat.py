"""The ``openai+http(s)://host:port/v1#model`` target: a real agent loop on chat completions.

Works with any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, Ollama,
llama.cpp server, OpenAI ...). For each scenario:

1. the system prompt, the documents the harness put before the model (``documents``
   of the turn: each a ``user`` message ``Contents of NAME:`` and its text, before that
   user turn, as Claude Code puts a CLAUDE.md before the prompt; recorded as a result of
   no call) and the first user turn are sent, with the scenario's tools as
   ``{"type": "function", "function": {name, description, parameters}}``, at
   ``temperature: 0`` (and ``seed`` when the replay input or
   ``REGRESSION_SUITE_OPENAI_SEED`` gives one);
2. when the model answers with ``tool_calls``, each call is answered from the
   scenario's recorded fixtures (:class:`~regression_suite.targets.fixtures.FixtureBook`)
   as a ``role: tool`` message with its ``tool_call_id``: an offered tool without a
   fixture gets the error ``no recorded output``; a tool that was never offered gets
   the error ``unknown tool`` (itself evidence of tool hallucination); arguments that
   are not a JSON object get an error too, and the raw text is kept as
   ``raw_arguments``. Then the model is asked again;
3. a reply without tool calls is the answer to that turn; the next user turn is
   appended and the loop continues, until every turn is answered or ``max_steps``
   model calls were made (``stop_reason: "max_steps"``).

Every step is recorded: assistant messages (with the model name the endpoint
reported), tool calls and tool results. The API key is read from ``OPENAI_API_KEY``,
or from the variable named by ``REGRESSION_SUITE_OPENAI_KEY_ENV``; no key, no
``Authorization`` header (local servers rarely need one).

The loop is written once, without I/O (:class:`ChatLoop`); :meth:`OpenAIChatTarget.run`
and :meth:`OpenAIChatTarget.arun` drive it with blocking or asyncio transport.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

from incident_lab.errors import UsageError
from incident_lab.scenarios.io import document_message, document_step, turn_documents
from incident_lab.trajectory import utc_now_iso
from regression_suite.targets.base import BaseTarget, TargetError, TargetKind
from regression_suite.targets.fixtures import FixtureBook
from regression_suite.targets.transport import JsonPoster, env_int

DEFAULT_MAX_STEPS = 20
KEY_ENV = "OPENAI_API_KEY"
KEY_ENV_OVERRIDE = "REGRESSION_SUITE_OPENAI_KEY_ENV"
SEED_ENV = "REGRESSION_SUITE_OPENAI_SEED"


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``openai+http://host:port/v1#model`` into (chat-completions URL, model).

    Raises:
        UsageError: not an ``openai+http(s)`` URL, or no ``#model``.
    """
    scheme, sep, rest = spec.partition("+")
    url = rest
    parsed = urllib.parse.urlsplit(url)
    if (
        scheme != "openai"
        or not sep
        or parsed.scheme not in {"http", "https"}
        or not parsed.hostname
    ):
        raise UsageError(
            f"target {spec!r} must look like openai+http://host:port/v1#model",
            hint="e.g. --target openai+http://127.0.0.1:8000/v1#llama-3.1-8b-instruct",
        )
    model = urllib.parse.unquote(parsed.fragment)
    if not model:
        raise UsageError(
            f"target {spec!r} names no model", hint="append #MODEL, e.g. ...:8000/v1#gpt-4o-mini"
        )
    base = urllib.parse.urlunsplit(
        (parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), parsed.query, "")
    )
    return f"{base}/chat/completions", model


def _tool_spec(tool: dict[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool["name"]}
    if tool.get("description"):
        function["description"] = tool["description"]
    function["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
    return {"type": "function", "function": function}


class ChatLoop:
    """The agent loop for one replay, without I/O.

    Drive it with ``while (request := loop.next_request()) is not None:
    loop.feed(send(request))`` and read :meth:`trajectory`.

    Args:
        replay: The replay input.
        model: The model name to request.
        target: The target spec, named in errors.
        seed: Sampling seed, when one is wanted.
    """

    def __init__(self, replay: dict[str, Any], model: str, target: str, seed: int | None = None):
        self.replay = replay
        self.model = model
        self.target = target
        self.seed = seed
        self.tools = [t for t in replay.get("tools") or [] if isinstance(t, dict) and t.get("name")]
        self.book = FixtureBook(replay.get("fixtures"), [t["name"] for t in self.tools])
        self.turns = [t for t in replay.get("turns") or [] if isinstance(t, dict)]
        self.max_steps = int(replay.get("max_steps") or DEFAULT_MAX_STEPS)
        self.messages: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.model_seen: str | None = None
        self.model_calls = 0
        self.stop_reason: str | None = None
        self._next_turn = 0
        self._awaiting_user = True
        system = replay.get("system_prompt")
        if system:
            self.messages.append({"role": "system", "content": system})
            self.steps.append({"type": "message", "role": "system", "content": system})

    def next_request(self) -> dict[str, Any] | None:
        """Return the next chat-completions request body, or None when the session ended."""
        if self.stop_reason is not None:
            return None
        if self._awaiting_user:
            if self._next_turn >= len(self.turns):
                self.stop_reason = "completed"
                return None
            for index, document in turn_documents(self.replay, self._next_turn):
                self.messages.append({"role": "user", "content": document_message(document)})
                self.steps.append(document_step(index, document))
            content = str(self.turns[self._next_turn].get("content", ""))
            self._next_turn += 1
            self.messages.append({"role": "user", "content": content})
            self.steps.append({"type": "message", "role": "user", "content": content})
            self._awaiting_user = False
        if self.model_calls >= self.max_steps:
            self.stop_reason = "max_steps"
            return None
        body: dict[str, Any] = {"model": self.model, "messages": self.messages, "temperature": 0}
        if self.tools:
            body["tools"] = [_tool_spec(t) for t in self.tools]
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def _message_of(self, response: Any) -> dict[str, Any]:
        if not isinstance(response, dict):
            raise TargetError(
                f"target {self.target} answered {type(response).__name__}, not a chat completion"
            )
        if "error" in response and not response.get("choices"):
            error = response["error"]
            text = error.get("message") if isinstance(error, dict) else error
            raise TargetError(f"target {self.target} answered an error: {text}")
        choices = response.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            keys = ", ".join(sorted(map(str, response))[:8])
            raise TargetError(
                f"target {self.target} answered a chat completion without choices (keys: {keys})"
            )
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise TargetError(f"target {self.target} answered choices[0] without a message object")
        return message

    def feed(self, response: Any) -> None:
        """Record the model's answer and, for tool calls, answer them from the fixtures.

        Raises:
            TargetError: the answer is not a chat completion.
        """
        message = self._message_of(response)
        self.model_calls += 1
        model = response.get("model") if isinstance(response.get("model"), str) else None
        self.model_seen = model or self.model_seen
        content = message.get("content")
        content = content if isinstance(content, str) else ""
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list):
            raise TargetError(f"target {self.target} answered tool_calls that are not a list")
        assistant: dict[str, Any] = {"role": "assistant", "content": content or None}
        if calls:
            assistant["tool_calls"] = calls
        self.messages.append(assistant)
        if content or not calls:
            self.steps.append(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": content,
                    "model": model or self.model,
                }
            )
        if not calls:
            self._awaiting_user = True
            return
        for n, call in enumerate(calls):
            self._answer(call, n)

    def _answer(self, call: Any, n: int) -> None:
        call = call if isinstance(call, dict) else {}
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        name = str(function.get("name") or "")
        call_id = str(call.get("id") or f"call_{self.model_calls}_{n}")
        raw = function.get("arguments")
        step: dict[str, Any] = {
            "type": "tool_call",
            "name": name or "(unnamed)",
            "call_id": call_id,
        }
        arguments: dict[str, Any] | None
        if isinstance(raw, dict):
            arguments = raw
        else:
            try:
                parsed = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
            except ValueError:
                parsed = None
            arguments = parsed if isinstance(parsed, dict) else None
        step["arguments"] = arguments if arguments is not None else {}
        if arguments is None:
            step["raw_arguments"] = str(raw)
        self.steps.append(step)
        if arguments is None:
            output, is_error = f"invalid arguments: not a JSON object: {str(raw)[:200]}", True
        else:
            answer = self.book.answer(name, arguments)
            output, is_error = answer.output, answer.is_error
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": output})
        self.steps.append(
            {
                "type": "tool_result",
                "call_id": call_id,
                "name": step["name"],
                "output": output,
                "is_error": is_error,
            }
        )

    def trajectory(self) -> dict[str, Any]:
        """Return the trajectory/v1 of the session so far."""
        model = {"name": self.model_seen or self.model, "provider": "openai-compatible"}
        agent: dict[str, Any] = {
            "name": "regression_suite openai loop",
            "model": model,
            "tools": self.tools,
        }
        # No policy: the endpoint does not report one, and the scenario's (its recording's
        # context) is not the target's; copying it made reports and the gate history
        # label the release with the incident's policy.
        return {
            "schema_version": "trajectory/v1",
            "session_id": f"{self.replay.get('scenario_id') or 'scenario'}-openai",
            "started_at": utc_now_iso(),
            "agent": agent,
            "steps": self.steps,
            "stop_reason": self.stop_reason,
            "model_calls": self.model_calls,
        }


def _api_key() -> str | None:
    var = os.environ.get(KEY_ENV_OVERRIDE)
    if var:
        key = os.environ.get(var)
        if not key:
            raise UsageError(f"{KEY_ENV_OVERRIDE} names {var}, but {var} is not set")
        return key
    return os.environ.get(KEY_ENV) or None


class OpenAIChatTarget(BaseTarget):
    """Drive an OpenAI-compatible chat-completions endpoint through :class:`ChatLoop`.

    Args:
        spec: ``openai+http://host:port/v1#model`` or ``openai+https://...#model``.
    """

    kind = "openai"
    io_bound = True

    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.url, self.model = parse_spec(spec)
        key = _api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.poster = JsonPoster(self.url, spec, headers)
        self.seed = env_int(SEED_ENV, 0) if os.environ.get(SEED_ENV) else None

    def _loop(self, replay: dict[str, Any]) -> ChatLoop:
        seed = replay.get("seed", self.seed)
        return ChatLoop(replay, self.model, self.name, seed if isinstance(seed, int) else None)

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Run the agent loop with blocking HTTP."""
        loop = self._loop(replay)
        while (request := loop.next_request()) is not None:
            loop.feed(self.poster.post(request))
        return self.observe(loop.trajectory())

    async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Run the agent loop without blocking the event loop."""
        loop = self._loop(replay)
        while (request := loop.next_request()) is not None:
            loop.feed(await self.poster.apost(request))
        return self.observe(loop.trajectory())

    def describe(self) -> dict[str, Any]:
        """Describe the target: the model requested (and the one the endpoint reported)."""
        info = super().describe()
        info["model"] = info["model"] or {"name": self.model}
        info["version"] = (info["model"] or {}).get("name")
        return info

    def close(self) -> None:
        """Release the connection thread pool."""
        self.poster.close()


KINDS = [
    TargetKind(
        "openai",
        "An OpenAI-compatible chat-completions endpoint (openai+http(s)://host/v1#model) "
        "driven by a tool-using agent loop.",
        OpenAIChatTarget,
        aliases=("openai+http", "openai+https"),
    )
]
