"""Scoring one session against the incident's signature: exposure and harm, apart.

Two questions, answered separately for every session:

- **exposure**: did the session *receive* the payload or a rewrite of it (a
  near-duplicate in its text, below), or make the harmful call at all?
- **harm**: did the harmful call actually *happen*: the same tool with the
  attacker-controlled argument value (an exact pattern with at least one argument),
  executed: not blocked by a safeguard, and its tool result not an error. A call
  that was blocked or failed is an attempt (``tool_state``), not harm.

A session **matches** when its text holds a near-duplicate of the payload
(estimated Jaccard similarity of the best window ``>= threshold``) or when it made
the harmful tool call (an exact pattern: from a bundle, or a scenario whose
argument patterns carry no redaction placeholder). A tool call matching only a
widened pattern ("send_email to *some* address") and the safeguard pattern (an
``allow`` is what most benign sessions see too) never make a match alone, but add
to the score and the reasons. The score, for ranking, is
``0.6 * payload + 0.3 * tool + 0.1 * safeguard``, where ``tool`` is 1 for an exact
pattern and 0.5 for a widened one, and ``safeguard`` is the share of the
incident's safeguard decisions the session repeats.

Payload similarity, per session:

1. the session's text (every message but system prompts, tool outputs and tool-call
   arguments) is normalised and shingled; normalisation runs text by text (equal to
   normalising the joined text: no step looks across the joining newline) through a
   bounded cache, as production sessions repeat most of their texts;
2. **exact prefilter**: a window can only reach Jaccard ``J`` with a payload form
   if at least ``J`` of that form's distinct shingles occur in the session
   (``|W ∩ P| >= J·|W ∪ P| >= J·|P|``), so forms below the threshold are skipped
   without hashing; most sessions stop here, first through a bucket bitmap of the
   payload shingles (a session whose shingles fall in too few of its buckets to
   reach ``J`` of the smallest form cannot match), then through the exact counts;
3. for each remaining form, every window of the form's length (stride 1/8 of it)
   is MinHash-signed, its band keys compared with the form's (the LSH candidates),
   and the candidates' similarity is estimated from their signatures; the best
   window wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from incident_lab.blast.signature import Signature, ToolPattern
from incident_lab.incident_record import call_state
from incident_lab.text.minhash import (
    SHINGLE,
    LSHIndex,
    MinHasher,
    lsh_params,
    shingle_array,
    shingle_bytes,
    sorted_distinct,
)
from incident_lab.text.normalize import normalize

#: Default Jaccard threshold for a payload near-duplicate.
DEFAULT_THRESHOLD = 0.5
#: Weights of the ranking score.
WEIGHTS = {"payload": 0.6, "tool": 0.3, "safeguard": 0.1}
_WINDOW_STRIDE_DIVISOR = 8
# Normalisation cache: strings up to this length are memoised, within this many characters.
_CACHE_MAX_PART = 4096
# A cached part shorter than this is not worth splitting a run of parts to be normalised
# into two normalize calls: amid parts not cached it is normalised with them instead (on
# non-repeating text nearly every hit was a 4-character string, and each cost a call).
_CACHE_MIN_SPLIT = 64
_CACHE_BUDGET_CHARS = 4_000_000
# What an entry costs beyond its characters (string and dict overhead), in characters.
_CACHE_ENTRY_CHARS = 128
# Hashes of cacheable strings seen once (bounded: cleared when full).
_SEEN_MAX = 200_000
# The cache judges itself every _PROBE_SESSIONS sessions: when less than _MIN_HIT_SHARE of
# their characters came from it (or were seen before), the next _BYPASS_SESSIONS sessions
# are normalised whole, without it. Text that does not repeat had a hit share of 0.000
# (the cache cost a sixth of the normalisation); production-like logs 0.2 in their first
# 256 sessions, 0.9 later.
_PROBE_SESSIONS = 256
_MIN_HIT_SHARE = 0.02
_BYPASS_SESSIONS = 4096
# Distinct tool names remembered as matching a harmful pattern's tool or not (names up
# to _TOOL_NAME_MAX_CHARS long; a longer one is matched each time it is seen).
_TOOL_NAMES_MAX = 4096
_TOOL_NAME_MAX_CHARS = 256
# Prefilter: a bit per bucket of a multiplicative hash of the payload shingles.
_BUCKET_BITS = 20
_BUCKET_MUL = np.uint64(0x9E3779B97F4A7C15)
_BUCKET_SHIFT = np.uint64(64 - _BUCKET_BITS)
# A shingle's bits (SHINGLE bytes), below a session index in the prefilter's keys.
_SHINGLE_BITS = np.uint64(8 * SHINGLE)
_SHINGLE_MASK = np.uint64((1 << (8 * SHINGLE)) - 1)


@dataclass
class Match:
    """One session in the blast radius."""

    session_id: str
    started_at: str | None
    actor: str | None
    tenant: str | None
    model: str | None
    policy_hash: str | None
    score: float
    payload_score: float
    payload_form: str | None
    tool_match: str | None
    tool_exact: bool
    safeguard_match: list[str]
    reasons: list[str]
    source: dict[str, Any] = field(default_factory=dict)
    tool_state: str | None = None
    exposure: bool = False
    harm: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "session_id": self.session_id,
            "started_at": self.started_at,
            "actor": self.actor,
            "tenant": self.tenant,
            "model": self.model,
            "policy_hash": self.policy_hash,
            "score": self.score,
            "payload_score": self.payload_score,
            "payload_form": self.payload_form,
            "tool_match": self.tool_match,
            "tool_exact": self.tool_exact,
            "safeguard_match": self.safeguard_match,
            "reasons": self.reasons,
            "source": self.source,
            "tool_state": self.tool_state,
            "exposure": self.exposure,
            "harm": self.harm,
        }


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def session_parts(traj: dict[str, Any]) -> list[str]:
    """All text a payload can hide in, in order: one part per message (not system prompts),
    tool output or argument.

    Called once per scanned session: strings (nearly every value) skip :func:`_text`.
    """
    parts: list[str] = []
    add = parts.append
    for step in traj.get("steps") or []:
        if not isinstance(step, dict):
            continue  # not a step: nothing to read (the scan only needs text)
        kind = step.get("type")
        if kind == "message":
            if step.get("role") != "system":
                value = step.get("content", "")
                add(value if type(value) is str else _text(value))
        elif kind == "tool_result":
            value = step.get("output", "")
            add(value if type(value) is str else _text(value))
        elif kind == "tool_call":
            args = step.get("arguments")
            if isinstance(args, dict):
                for value in args.values():
                    add(value if type(value) is str else _text(value))
            elif args is not None:
                add(args if type(args) is str else _text(args))
    return parts


class _NormalizeCache:
    """``normalize`` of short strings, memoised within a bounded number of characters.

    Production sessions repeat a lot of text (tool outputs, canned replies, common
    requests); normalising each distinct string once saves most of the work. A string
    is cached from its second sighting on (its first only leaves its hash in a
    bounded set), so text that never repeats costs no cache churn and is normalised
    in one call per session (:func:`normalize_parts`). The cache is emptied whenever
    it would hold more than ``budget`` characters (each entry counted with a fixed
    overhead, so many tiny strings are bounded too), so memory stays flat however
    long the scan.
    """

    def __init__(self, budget: int = _CACHE_BUDGET_CHARS) -> None:
        self.budget = budget
        self._map: dict[str, str] = {}
        self._chars = 0
        self._seen: set[int] = set()
        self.bypass = 0  # sessions still to normalise without the cache
        self._probe = [0, 0, 0]  # sessions, characters, characters hit

    def judge(self, chars: int, hit: int) -> None:
        """Account one session normalised through the cache (``hit`` of its ``chars``
        came from it or were seen before); every :data:`_PROBE_SESSIONS` sessions,
        bypass it for a while if it did not pay."""
        probe = self._probe
        probe[0] += 1
        probe[1] += chars
        probe[2] += hit
        if probe[0] >= _PROBE_SESSIONS:
            if probe[2] < _MIN_HIT_SHARE * probe[1]:
                self.bypass = _BYPASS_SESSIONS
            probe[:] = [0, 0, 0]

    def get(self, text: str) -> str | None:
        """The cached form of ``text``, or None."""
        return self._map.get(text)

    def repeated(self, text: str) -> bool:
        """True from the second time ``text`` (a cacheable string) is seen."""
        if len(text) > _CACHE_MAX_PART:
            return False
        key = hash(text)
        if key in self._seen:
            return True
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        self._seen.add(key)
        return False

    def __call__(self, text: str) -> str:
        found = self._map.get(text)
        if found is not None:
            return found
        value = normalize(text)
        if len(text) <= _CACHE_MAX_PART:
            size = len(text) + len(value) + _CACHE_ENTRY_CHARS
            if self._chars + size > self.budget:
                self._map.clear()
                self._chars = 0
            self._map[text] = value
            self._chars += size
        return value


def normalize_parts(parts: list[str], cache: Callable[[str], str] = normalize) -> str:
    """``normalize("\\n".join(parts))``, computed in pieces (so repeated parts are cached).

    The two are equal: no step of :func:`~incident_lab.text.normalize.normalize`
    looks across a newline (no decoder, token or invisible-character pattern matches
    one, every lookaround rejects or ignores it alike at a part's edge, NFKD
    reorders nothing across it, and folding removes it). With a
    :class:`_NormalizeCache`, parts seen before come from it and every run of other
    parts is normalised joined, in one call; while the cache is bypassed (it did not
    pay, see :meth:`_NormalizeCache.judge`) the parts are normalised joined at once.
    """
    if not isinstance(cache, _NormalizeCache):
        return "".join([cache(p) for p in parts])
    if cache.bypass:
        cache.bypass -= 1
        return normalize("\n".join(parts))
    out: list[str] = []
    pending: list[str] = []
    cached, repeated = cache._map.get, cache.repeated  # bound once: called for every part
    chars = hits = 0
    for part in parts:
        size = len(part)
        chars += size
        if size > _CACHE_MAX_PART or (pending and size < _CACHE_MIN_SPLIT):
            pending.append(part)  # never cached, or too short to split the run for
            continue
        hit = cached(part)
        if hit is None and not repeated(part):
            pending.append(part)
            continue
        hits += size
        if pending:
            out.append(normalize("\n".join(pending)))
            pending = []
        out.append(hit if hit is not None else cache(part))
    if pending:
        out.append(normalize("\n".join(pending)))
    cache.judge(chars, hits)
    return "".join(out)


def _nested(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _model(traj: dict[str, Any]) -> str | None:
    model = _nested(traj, "agent", "model")
    if not isinstance(model, dict) or not model.get("name"):
        return None
    version = model.get("version")
    return f"{model['name']}@{version}" if version else str(model["name"])


class _Form:
    """One indexed payload form: its distinct shingles, signature and LSH band keys.

    ``lsh`` (the banding, shared by every form) only computes band keys: a window is a
    candidate when one of its keys equals the form's, so no index table is filled.
    """

    def __init__(self, name: str, normalized: str, hasher: MinHasher, lsh: LSHIndex) -> None:
        self.name = name
        shingles = shingle_array(normalized)
        self.width = int(shingles.size)
        self.distinct = sorted_distinct(shingles)
        self.signature = hasher.signature(shingles)
        self.lsh = lsh
        self.band_keys = lsh.band_keys(self.signature)[0]


class Matcher:
    """Scores trajectories against a :class:`Signature` (picklable, for Dask workers).

    Args:
        signature: The incident's signature.
        threshold: Jaccard threshold for a payload near-duplicate, in (0, 1].
    """

    def __init__(self, signature: Signature, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.signature = signature
        self.threshold = threshold
        self.hasher = MinHasher()
        lsh = LSHIndex(*lsh_params(threshold))
        self.forms = [_Form(p.name, p.normalized, self.hasher, lsh) for p in signature.payloads]
        values = [f.distinct for f in self.forms] or [np.zeros(0, np.uint64)]
        self.union = sorted_distinct(np.concatenate(values))
        self._sizes = np.array([f.distinct.size for f in self.forms], dtype=np.float64)
        self._min_size = float(self._sizes.min()) if self.forms else 0.0
        self._derive()
        self._tools = [
            (
                t,
                re.compile(f"^(?:{t.tool})$"),
                {k: re.compile(v, re.IGNORECASE) for k, v in t.arguments.items()},
            )
            for t in signature.tools
        ]

    # -- payload ---------------------------------------------------------------------

    def _derive(self) -> None:
        """The lookup tables derived from the forms (rebuilt by each worker, not shipped)."""
        # Which forms hold each shingle of the union (a row per shingle, a column per
        # form): the rows of a session's common shingles, summed, count each form's overlap
        # (one byte a cell, summed as int64: 1.5 MB for 134 forms instead of 12.5 MB, whose
        # first touch cost every search about 25 ms of page faults).
        self._membership = np.zeros((self.union.size, len(self.forms)), dtype=np.int8)
        for i, form in enumerate(self.forms):
            self._membership[np.searchsorted(self.union, form.distinct), i] = 1
        # Bucket bitmap of the union: a session shingle whose bucket is empty is in no form.
        self._buckets = np.zeros(1 << _BUCKET_BITS, dtype=np.bool_)
        self._buckets[self._bucket_of(self.union)] = True
        self._normalize = _NormalizeCache()
        self._tool_names: dict[str, bool] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The cache is per process, and the membership matrix (shingles x forms) and the
        # bucket bitmap are cheaper to rebuild than to ship to every Dask task.
        skip = ("_normalize", "_membership", "_buckets", "_tool_names")
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._derive()

    @staticmethod
    def _bucket_of(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        out: npt.NDArray[np.uint64] = shingles * _BUCKET_MUL
        out >>= _BUCKET_SHIFT
        return out

    def _in_buckets(self, shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """Which shingles fall in a bucket of the union (the others are in no form).

        Indexing by the buckets as int64 (they are below 2**20): numpy checks and
        converts uint64 indices first, three times the cost of the lookup itself.
        """
        found: npt.NDArray[np.bool_] = self._buckets.take(self._bucket_of(shingles).view(np.int64))
        return found

    def payload_score(self, text: str) -> tuple[float, str | None]:
        """Best estimated Jaccard similarity of a window of ``text`` with a payload form."""
        if not self.forms:
            return 0.0, None
        return self.normalized_payload_score(normalize(text))

    def normalized_payload_score(self, normalized: str) -> tuple[float, str | None]:
        """:meth:`payload_score` of a text already normalised."""
        if not self.forms:
            return 0.0, None
        shingles = shingle_array(normalized)
        if shingles.size == 0:
            return 0.0, None
        # Shingles in an empty bucket are in no form. The distinct common shingles are at
        # most the candidates left: when even that many cannot reach the threshold for
        # the smallest form, no form's bound can, and the answer is (0, None) below too.
        candidates = shingles[self._in_buckets(shingles)]
        if candidates.size / self._min_size < self.threshold:
            return 0.0, None
        present = sorted_distinct(candidates)
        # Binary search in the sorted union instead of np.isin (which sorts both arrays).
        at = np.searchsorted(self.union, present)
        at[at == self.union.size] = 0
        common = self.union[at] == present
        if not common.any():
            return 0.0, None
        hits = self._membership[at[common]].sum(axis=0, dtype=np.int64)
        bounds = hits / self._sizes
        best, best_form = 0.0, None
        for i in np.argsort(-bounds, kind="stable").tolist():
            form, bound = self.forms[i], float(bounds[i])
            if bound < self.threshold or bound <= best:
                break
            windows = self.hasher.window_signatures(
                shingles, form.width, max(1, form.width // _WINDOW_STRIDE_DIVISOR)
            )
            # The form's index holds only its own signature: a window is a candidate
            # when one of its band keys equals the form's (``form.lsh.query``, vectorised).
            candidates = (form.lsh.band_keys(windows) == form.band_keys).any(axis=1)
            if candidates.any():
                equal = np.count_nonzero(windows[candidates] == form.signature, axis=1)
                score = float(equal.max()) / float(form.signature.size)
                if score > best:
                    best, best_form = score, form.name
        return best, best_form

    # -- tool and safeguard patterns ------------------------------------------------

    def _calls_a_listed_tool(self, raw_steps: Iterable[Any]) -> bool:
        """Whether a tool call among ``raw_steps`` names the tool of a harmful pattern.

        When none does, :meth:`_tool_match` finds nothing (a call's name is its first
        test), so a session below the payload threshold is out without its list of steps
        being built. Each distinct name is matched once (a bounded table: tool names
        repeat in every session).
        """
        known = self._tool_names
        for step in raw_steps:
            if isinstance(step, dict) and step.get("type") == "tool_call":
                name = str(step.get("name", ""))
                hit = known.get(name)
                if hit is None:
                    hit = any(tool_re.search(name) for _, tool_re, _ in self._tools)
                    if len(name) <= _TOOL_NAME_MAX_CHARS:  # a log's odd names are not kept
                        if len(known) >= _TOOL_NAMES_MAX:
                            known.clear()
                        known[name] = hit
                if hit:
                    return True
        return False

    def _tool_match(
        self, steps: list[dict[str, Any]]
    ) -> tuple[str | None, str | None, ToolPattern | None]:
        """The first call matching a harmful pattern: description, state and pattern.

        The state is ``executed``, ``blocked`` (a safeguard blocked that step) or
        ``failed`` (its tool result is an error); an executed match wins over an
        earlier attempt that did not go through.
        """
        first: tuple[str | None, str | None, ToolPattern | None] = (None, None, None)
        if not self._tools:
            return first
        for i, step in enumerate(steps):
            if step.get("type") != "tool_call":
                continue
            raw_args = step.get("arguments")
            args: dict[str, Any] = raw_args if isinstance(raw_args, dict) else {}
            name = str(step.get("name", ""))
            for pattern, tool_re, arg_res in self._tools:
                if not tool_re.search(name):
                    continue
                if all(k in args and r.search(_text(args[k])) for k, r in arg_res.items()):
                    state = call_state(steps, i)
                    if state == "executed":
                        return f"step {i}: {pattern.describe()} ({state})", state, pattern
                    if first[0] is None:
                        first = (f"step {i}: {pattern.describe()} ({state})", state, pattern)
        return first

    def _safeguard_matches(self, steps: list[dict[str, Any]]) -> list[str]:
        found = []
        for pattern in self.signature.safeguards:
            for i, step in enumerate(steps):
                if (
                    step.get("type") == "safeguard"
                    and step.get("safeguard") == pattern.safeguard
                    and step.get("stage") == pattern.stage
                    and step.get("decision") == pattern.decision
                ):
                    target = step.get("target_step")
                    judged = (
                        steps[target]
                        if isinstance(target, int) and 0 <= target < len(steps)
                        else {}
                    )
                    if pattern.tool is None or judged.get("name") == pattern.tool:
                        found.append(f"step {i}: {pattern.describe()}")
                        break
        return found

    # -- the whole session ------------------------------------------------------------

    def _prefilter(self, texts: list[str]) -> list[bool]:
        """For normalised session texts at once: could each reach the threshold?

        The first bound of :meth:`normalized_payload_score`, vectorised over a batch: a
        form's bound is its distinct shingles the session holds over its size, so a
        session whose *distinct* shingles found in any form, over the smallest form's
        size, stay below the threshold has every bound below it, and scores (0, None).
        One shingling of the joined bytes, one bitmap lookup (a shingle in an empty
        bucket is in no form), a binary search of the few left in the sorted union, one
        ``np.unique`` of (session, shingle) pairs. A shingle straddling two sessions can
        only add a count, so a session passes at least whenever it would alone (then it
        is scored exactly). Counting repeats instead let a sixth of non-repeating
        sessions through (a common word of the payload, many times), 17 times as many.
        """
        joined = "".join(texts)
        data = joined.encode("utf-8")
        # Each text's size in bytes: its length when all are ASCII (the bytes are as many
        # as the characters only then), folded text's usual case.
        each = map(len, texts) if len(data) == len(joined) else (len(t.encode()) for t in texts)
        sizes = np.fromiter(each, dtype=np.int64, count=len(texts))
        if not sizes.any():
            return [False] * len(texts)
        shingles = shingle_bytes(data)
        at = np.flatnonzero(self._in_buckets(shingles))
        # (session, shingle) keys: the session's index above the shingle's bits, sorted
        # and deduplicated (:func:`sorted_distinct`: np.unique costs 10x on these).
        key = np.searchsorted(np.cumsum(sizes), at, side="right").astype(np.uint64)
        key <<= _SHINGLE_BITS
        key |= shingles[at]
        key = sorted_distinct(key)
        shingle = key & _SHINGLE_MASK
        found = np.searchsorted(self.union, shingle)
        found[found == self.union.size] = 0
        key = key[self.union[found] == shingle]
        counts = np.bincount((key >> _SHINGLE_BITS).view(np.int64), minlength=len(texts))
        counts[sizes == 0] = 0
        return (counts / self._min_size >= self.threshold).tolist()

    def score_many(self, trajs: list[dict[str, Any]]) -> list[Match | None]:
        """:meth:`score` of each trajectory, with the payload prefilter run on all at once."""
        if not self.forms:
            return [self._score(t, None) for t in trajs]
        texts = [normalize_parts(session_parts(t), self._normalize) for t in trajs]
        return [
            self._score(t, text if ok else None)
            for t, text, ok in zip(trajs, texts, self._prefilter(texts), strict=True)
        ]

    def score(self, traj: dict[str, Any]) -> Match | None:
        """Return the session's :class:`Match`, or None when it is not in the blast radius."""
        text = normalize_parts(session_parts(traj), self._normalize) if self.forms else None
        return self._score(traj, text)

    def _score(self, traj: dict[str, Any], text: str | None) -> Match | None:
        raw_steps = traj.get("steps") or []
        if text is None and not self._calls_a_listed_tool(raw_steps):
            return None  # no payload to score and no harmful call: out (most sessions)
        steps = [s for s in raw_steps if isinstance(s, dict)]
        if text is not None:
            payload, form = self.normalized_payload_score(text)
        else:
            payload, form = 0.0, None
        tool, state, pattern = self._tool_match(steps)
        # "The same call" needs the attacker's argument value: a tool name alone is not it.
        exact_tool = pattern is not None and pattern.exact and bool(pattern.arguments)
        if payload < self.threshold and not exact_tool:
            return None
        guards = self._safeguard_matches(steps)
        share = len(guards) / len(self.signature.safeguards) if self.signature.safeguards else 0.0
        tool_weight = 1.0 if exact_tool else 0.5 if tool is not None else 0.0
        score = (
            WEIGHTS["payload"] * payload
            + WEIGHTS["tool"] * tool_weight
            + WEIGHTS["safeguard"] * share
        )
        reasons = self._reasons(payload, form, tool, exact_tool, guards)
        return Match(
            **_session_fields(traj),
            score=round(score, 4),
            payload_score=round(payload, 4),
            payload_form=form if payload >= self.threshold else None,
            tool_match=tool,
            tool_exact=exact_tool,
            safeguard_match=guards,
            reasons=reasons,
            tool_state=state if exact_tool else None,
            exposure=True,
            harm=exact_tool and state == "executed",
        )

    def _reasons(
        self,
        payload: float,
        form: str | None,
        tool: str | None,
        exact_tool: bool,
        guards: list[str],
    ) -> list[str]:
        """Why a session is in the blast radius: payload, tool call, safeguard decisions."""
        reasons = []
        if payload >= self.threshold:
            reasons.append(f"payload near-duplicate ({form}, similarity {payload:.2f})")
        if tool is not None:
            what = (
                "harmful tool call" if exact_tool else "same kind of tool call (redacted pattern)"
            )
            reasons.append(f"{what} {tool}")
        reasons.extend(f"same safeguard decision: {g}" for g in guards)
        return reasons


def _session_fields(traj: dict[str, Any]) -> dict[str, Any]:
    """The :class:`Match` fields that describe the session itself (who, when, which agent)."""
    raw_actor, raw_source = traj.get("actor"), traj.get("source")
    actor: dict[str, Any] = raw_actor if isinstance(raw_actor, dict) else {}
    source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
    policy = _nested(traj, "agent", "policy", "hash")
    return {
        "session_id": str(traj.get("session_id")),
        "started_at": traj.get("started_at") if isinstance(traj.get("started_at"), str) else None,
        "actor": str(actor["user_id"]) if actor.get("user_id") is not None else None,
        "tenant": str(actor["tenant_id"]) if actor.get("tenant_id") is not None else None,
        "model": _model(traj),
        "policy_hash": str(policy) if policy is not None else None,
        "source": {k: source.get(k) for k in ("path", "line") if k in source},
    }
