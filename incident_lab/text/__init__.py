"""Low-level text tools shared by the classifier, provenance, blast radius and variants.

:mod:`~incident_lab.text.disguise` (the tables and decoders of text disguises),
:mod:`~incident_lab.text.normalize` (folding a text to its comparable form),
:mod:`~incident_lab.text.minhash` (MinHash/LSH similarity),
:mod:`~incident_lab.text.lexicon` (the classifier's word lists),
:mod:`~incident_lab.text.literals` (which of a few word lists occur in a text, in one pass)
and :mod:`~incident_lab.text.shell` (a shell line's words). They import nothing
above them, so every layer can use them.
"""
