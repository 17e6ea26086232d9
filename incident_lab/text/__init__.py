"""Low-level text tools shared by the classifier, provenance, blast radius and variants.

:mod:`~incident_lab.text.disguise` (the tables and decoders of text disguises),
:mod:`~incident_lab.text.normalize` (folding a text to its comparable form),
:mod:`~incident_lab.text.minhash` (MinHash/LSH similarity),
:mod:`~incident_lab.text.lexicon` (the classifier's word lists),
:mod:`~incident_lab.text.literals` (which of a few word lists occur in a text, in one pass)
and :mod:`~incident_lab.text.shell` (a shell line's words). They import nothing
above them, so every layer can use them. :func:`quote` makes untrusted text one
printable line (for evidence, and for the terminal).
"""


def quote(text: str, limit: int = 90) -> str:
    """One printable line of at most ``limit`` characters from ``text``: line breaks and
    other whitespace folded to one space, every character ``str.isprintable`` rejects
    (ESC, BEL, BS, zero-width ones) blanked, so no control sequence reaches a terminal."""
    head = text[: limit * 3]
    snippet = " ".join(head.split())  # whitespace (newlines, tabs) is not printable either
    if not snippet.isprintable():  # zero-width and control characters: blank them too
        snippet = " ".join("".join(ch if ch.isprintable() else " " for ch in head).split())
    return snippet[:limit] + ("…" if len(snippet) > limit else "")
