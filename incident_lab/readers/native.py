"""Reader for incident-lab's own JSONL: one ``trajectory/v1`` object per line (plain or .gz)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record, head_object, iter_json_lines
from incident_lab.trajectory import SCHEMA_VERSION, validate_trajectory


class NativeReader:
    """Native trajectory JSONL, one session per line, validated against the schema."""

    name = "native"
    description = "incident-lab trajectory/v1 JSONL, one session per line (plain or .gz)"

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the first record declares ``schema_version: trajectory/v1``."""
        first = head_object(head)
        if isinstance(first, dict) and first.get("schema_version") == SCHEMA_VERSION:
            return 1.0
        if (
            isinstance(first, dict)
            and "session_id" in first
            and isinstance(first.get("steps"), list)
        ):
            return 0.6
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield one record per non-blank line; schema violations are rejects."""
        for line_no, obj, reject in iter_json_lines(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            if isinstance(obj, dict) and "schema_version" not in obj and "session_id" in obj:
                obj["schema_version"] = SCHEMA_VERSION
            problems = validate_trajectory(obj)
            if problems:
                yield Record(
                    path,
                    line_no,
                    reason="schema: " + "; ".join(problems[:3]),
                    excerpt=json.dumps(obj, ensure_ascii=False)[:200],
                )
                continue
            obj.setdefault("source", {"format": self.name, "path": path, "line": line_no})
            yield Record(path, line_no, trajectory=obj)


@hookimpl
def register_readers() -> list[NativeReader]:
    """Register the native JSONL reader."""
    return [NativeReader()]
