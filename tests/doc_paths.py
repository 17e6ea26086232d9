"""Every path into a JSON document, for tests that mutate a document at each place."""

from __future__ import annotations

from typing import Any


def doc_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of ``doc`` itself (``prefix``), then of each value inside it, depth first:
    dict keys and list indices, in the document's order."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += doc_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += doc_paths(v, (*prefix, i))
    return out
