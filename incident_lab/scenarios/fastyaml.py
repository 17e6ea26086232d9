"""Construct plain YAML documents quickly, with exactly the safe loader's result.

PyYAML's constructor handles every corner of YAML (merge keys, aliases,
recursive structures, timestamps, sets...) through a generic per-node dispatch;
for the plain documents scenario files are (mappings, sequences, strings,
numbers, booleans and nulls) that dispatch is most of the loading time of a
10,000-file library. :func:`load_plain` composes the node tree with the given
(safe, C when available) loader, builds plain documents directly, and hands
anything else (a merge key, another tag, a non-scalar key) back to the loader's
own constructor, so the result and the errors are the same as ``yaml.load``
with that loader; ``tests/incident_lab/scenarios/test_fastyaml.py`` checks this
on generated documents. Duplicate keys are refused like the library's loader.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: Scalars built by the loader's own constructor (the same function ``yaml.load`` uses).
_SCALARS = frozenset(
    {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
     "tag:yaml.org,2002:float"}
)  # fmt: skip


#: Strings up to this length are interned: keys and short values ("scenario/v1", "user",
#: a severity, a shared system prompt) repeat across a library's files and are then stored
#: once instead of once per file (about a third of a loaded library's memory).
_INTERN_MAX = 64
_intern = sys.intern


class _NotPlain(Exception):
    """The document needs the loader's full constructor."""


def _build(loader: Any, node: Node) -> Any:
    tag = node.tag
    if isinstance(node, ScalarNode):
        if tag == _STR:
            value: str = node.value
            return _intern(value) if len(value) <= _INTERN_MAX else value
        if tag in _SCALARS:
            return loader.yaml_constructors[tag](loader, node)
        raise _NotPlain
    if isinstance(node, MappingNode) and tag == _MAP:
        # The library's loader checks a mapping's keys before building its values
        # (depth first): same order here, so the first error reported is the same.
        keys = []
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _KEY_TAGS:
                raise _NotPlain  # merge keys (<<), complex keys: the full constructor
            key = _build(loader, key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
            keys.append(key)
        return {
            key: _build(loader, value) for key, (_, value) in zip(keys, node.value, strict=True)
        }
    if isinstance(node, SequenceNode) and tag == _SEQ:
        return [_build(loader, child) for child in node.value]
    raise _NotPlain


_KEY_TAGS = _SCALARS | {_STR}


def load_plain(text: str, loader_class: type) -> Any:
    """Load one YAML document: ``yaml.load(text, Loader=loader_class)``, faster.

    Only for text without aliases (``*name``): an aliased node would be built
    twice here instead of shared. ``loader_class`` must be a safe loader that
    refuses duplicate keys (the fast path refuses them too).

    Raises:
        yaml.YAMLError: as ``yaml.load`` would (syntax errors, duplicate keys,
            unknown tags...).
    """
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _build(loader, node)
        except _NotPlain:
            return loader.construct_document(node)
    finally:
        loader.dispose()
