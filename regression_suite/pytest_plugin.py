"""pytest plugin (``pytest11`` entry point) that collects scenarios as test items.

Filled in by the regression-harness work; registered early so ``pytest`` always loads it.
"""

from __future__ import annotations
