"""The bundled example agent (vulnerable and patched) and its production-traffic generator.

It exists for the demo, the docs and the tests: ``regression_suite run --target
example:vulnerable`` / ``example:patched`` replay scenarios through it, and
:func:`incident_lab.example.traffic.generate_log` writes a production log with a
prompt-injection incident in it.
"""

from __future__ import annotations
