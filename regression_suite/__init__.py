"""regression_suite: replay incident scenarios against a system under test and gate releases.

The public surface is small and pinned by ``tests/regression_suite/test_exported_members.py``.
"""

from __future__ import annotations

__all__: list[str] = []
