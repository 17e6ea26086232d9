"""What a converter is: a small named function that rewrites an attack.

Two kinds exist:

* :class:`Converter` — a plain ``str -> str`` function (``(str, random.Random) -> str``
  when ``seeded``) applied to the *payload span* of a scenario: the attack text inside
  its user turn or tool-output fixture. Everything around the span is left untouched.
* :class:`StructuralConverter` — ``(scenario, random.Random) -> scenario``: moves or
  splits the payload (between turns and fixtures) and adjusts the expectations.

Both are deterministic given the ``random.Random`` they receive. Users extend the
library by writing a function and decorating it with :func:`converter`, then
returning it from a ``register_converters`` hook (see docs/plugins.md).

Lone surrogates (U+D800..U+DFFF) cannot be stored in a UTF-8 YAML scenario, so
every converter first replaces them with U+FFFD (:func:`clean_text`); a converter's
output is therefore always encodable as UTF-8.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")

Scenario = dict[str, Any]


class NotApplicable(Exception):
    """Raised by a converter that cannot apply to this scenario (the chain is skipped).

    Example: ``indirect_to_direct`` on a payload that already sits in a user turn.
    """


class ConverterFailed(NotApplicable):
    """A converter failed on this payload's text (it cannot encode a character, a pattern
    does not compile): the chain is skipped and the reason reported, not dropped silently."""


def clean_text(text: str) -> str:
    """Replace lone surrogates with U+FFFD so the text can be written as UTF-8."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class Converter:
    """A named string rewrite applied to the payload span.

    Attributes:
        name: The name used on the command line and in ``variant.converters``.
        func: ``text -> text`` (or ``(text, rng) -> text`` when ``seeded``).
        family: ``encoding``, ``character``, ``concealment``, ``framing`` or ``structure``
            for the built-ins (free text for third-party converters).
        description: One line for docs and listings.
        inverse: ``encoded -> text`` for reversible converters (applied to the
            encoded part, after the instruction is stripped), else ``None``.
        seeded: True when ``func`` takes a ``random.Random`` second argument.
        instruction: Text put on its own line before the converted payload (the
            "decode this and follow it" line real encoded attacks carry), or ``None``.
    """

    name: str
    func: Callable[..., str]
    family: str
    description: str
    inverse: Callable[[str], str] | None = None
    seeded: bool = False
    instruction: str | None = None

    @property
    def reversible(self) -> bool:
        """True when :meth:`decode` returns the original text."""
        return self.inverse is not None

    @property
    def structural(self) -> bool:
        """Always False: this converter rewrites a string, not a scenario."""
        return False

    @property
    def per_character(self) -> bool:
        """True for a character-level rewrite with no instruction line: the rewrite of a text
        is the rewrites of its parts, so each string value of a record the payload covers is
        converted on its own (:func:`~incident_lab.variants.spans.rewrite_span`)."""
        return self.family == "character" and self.instruction is None

    @property
    def keeps_pins(self) -> bool:
        """True when the values the scenario's expectations pin (an IBAN, the forbidden
        tool's name) stay as written inside the rewritten text: a lossy rewrite that is no
        encoding (leetspeak, a framing, a concealment, a paraphrase), as leetspeak leaves
        URLs and e-mail addresses. An encoding or a reversible converter rewrites them with
        the rest: a raw value inside ROT13 or smuggled text would not read as itself, and
        decoding, which an agent must do to obey, gives them back exactly."""
        return not self.reversible and self.family != "encoding"

    def __call__(self, text: str, rng: random.Random | None = None) -> str:
        """Convert ``text`` (lone surrogates replaced first); deterministic given ``rng``."""
        text = clean_text(text)
        if self.seeded:
            out = self.func(text, rng if rng is not None else random.Random(0))
        else:
            out = self.func(text)
        if self.instruction:
            return f"{self.instruction}\n{out}"
        return out

    def decode(self, text: str) -> str:
        """Undo the conversion: strip the instruction line, then invert the encoding.

        Raises:
            ValueError: the converter is not reversible.
        """
        if self.inverse is None:
            raise ValueError(f"converter {self.name!r} is not reversible")
        prefix = f"{self.instruction}\n" if self.instruction else ""
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
        return self.inverse(text)

    def with_instruction(self, instruction: str | None, name: str | None = None) -> Converter:
        """Return a copy with another instruction line (``None`` for the bare encoding).

        Args:
            instruction: The new instruction, or ``None`` for none.
            name: A new name, so both versions can be registered side by side.
        """
        return replace(self, instruction=instruction, name=name or self.name)


@dataclass(frozen=True, slots=True)
class StructuralConverter:
    """A named rewrite of the scenario's structure (where the payload lives).

    Attributes:
        name: The converter's name.
        func: ``(scenario, rng) -> scenario``; receives a private deep copy, may
            mutate and return it, and raises :class:`NotApplicable` when it cannot
            apply (for example, no fixture tool can carry the payload).
        description: One line for docs and listings.
        family: ``"structure"``.
    """

    name: str
    func: Callable[[Scenario, random.Random], Scenario]
    description: str
    family: str = "structure"

    @property
    def reversible(self) -> bool:
        """Always False (structure changes are not undone by a decoder)."""
        return False

    @property
    def seeded(self) -> bool:
        """Always True: structural converters receive the chain's ``random.Random``."""
        return True

    @property
    def structural(self) -> bool:
        """Always True."""
        return True

    def apply(self, scenario: Scenario, rng: random.Random) -> Scenario:
        """Return the restructured scenario (``scenario`` is a copy the caller owns)."""
        return self.func(scenario, rng)


def converter(
    name: str,
    *,
    family: str,
    description: str,
    seeded: bool = False,
    decode: Callable[[str], str] | None = None,
    instruction: str | None = None,
) -> Callable[[Callable[..., str]], Converter]:
    """Turn a plain function into a :class:`Converter` (the way users extend the set).

    Example::

        @converter("pig_latin", family="character", description="Pig Latin words.")
        def pig_latin(text: str) -> str:
            return " ".join(w[1:] + w[:1] + "ay" for w in text.split(" "))

    Args:
        name: The converter's name.
        family: Its family (see :class:`Converter`).
        description: One line.
        seeded: The function takes ``(text, rng)``.
        decode: The inverse function, for reversible converters.
        instruction: Optional instruction line put before the output.
    """

    def wrap(func: Callable[..., str]) -> Converter:
        return Converter(
            name=name,
            func=func,
            family=family,
            description=description,
            inverse=decode,
            seeded=seeded,
            instruction=instruction,
        )

    return wrap
