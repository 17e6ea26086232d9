"""The taxonomy as objects: severities, catalogues, failure modes and their lookups.

:mod:`incident_lab.taxonomy.load` builds a :class:`Taxonomy` from the shipped YAML
merged with a team's extension.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incident_lab.errors import UsageError

#: The external frameworks every shipped failure mode maps to.
FRAMEWORKS = ("owasp_llm", "owasp_agentic", "mitre_atlas")
#: Severity priorities, most urgent first.
PRIORITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True, slots=True)
class Severity:
    """One severity level.

    Attributes:
        level: ``"SEV-1"`` … ``"SEV-4"``.
        meaning: The playbook's meaning, e.g. ``"Active harm / legal risk"``.
        priority: ``critical``/``high``/``medium``/``low``.
        guidance: When to pick it, in a sentence or two.
    """

    level: str
    meaning: str
    priority: str
    guidance: str = ""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A versioned catalogue of external ids (one framework).

    Attributes:
        key: The framework key used in ``external_ids``, e.g. ``"owasp_llm"``.
        name: Human name, e.g. ``"OWASP Top 10 for LLM Applications"``.
        version: The catalogue's release, e.g. ``"2025"`` or ``"2026.09"``.
        ids: id -> official title.
        url: Where the catalogue is published.
    """

    key: str
    name: str
    version: str
    ids: dict[str, str]
    url: str = ""

    @property
    def label(self) -> str:
        """``"OWASP Top 10 for LLM Applications 2025"``: name and version."""
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class FailureMode:
    """One failure mode of the playbook (or a team's own).

    Attributes:
        name: Key, e.g. ``"prompt_injection"``.
        title: Human title.
        description: What it is.
        external_ids: framework key -> ids in that framework's catalogue.
        signals: What evidence points at it, in words.
        default_severity: Severity suggested when nothing better is known.
        severity_guidance: How to pick the severity for this mode.
    """

    name: str
    title: str
    description: str
    external_ids: dict[str, list[str]]
    signals: list[str] = field(default_factory=list)
    default_severity: str | None = None
    severity_guidance: str = ""


@dataclass(slots=True)
class Taxonomy:
    """Failure modes, severities and external-id catalogues, merged and validated.

    Attributes:
        failure_modes: name -> :class:`FailureMode`.
        severities: level -> :class:`Severity`.
        catalogues: framework key -> :class:`Catalogue`.
        sources: The files merged, base first.
    """

    failure_modes: dict[str, FailureMode]
    severities: dict[str, Severity]
    catalogues: dict[str, Catalogue]
    sources: list[str] = field(default_factory=list)

    def check_ids(self, external_ids: Mapping[str, Any]) -> list[str]:
        """Return the problems in an ``external_ids`` mapping (empty when all ids exist).

        Args:
            external_ids: framework key -> list of ids, as stored in a scenario.

        Returns:
            One message per unknown framework, malformed list or unknown id.
        """
        problems: list[str] = []
        if not isinstance(external_ids, Mapping):
            return [
                f"external_ids must be a mapping of framework -> ids, not {type(external_ids).__name__}"
            ]
        for framework, ids in external_ids.items():
            catalogue = self.catalogues.get(str(framework))
            if catalogue is None:
                problems.append(
                    f"unknown framework {framework!r} (known: {', '.join(sorted(self.catalogues))})"
                )
                continue
            if not isinstance(ids, list):
                problems.append(f"{framework}: expected a list of ids, not {type(ids).__name__}")
                continue
            for ident in ids:
                if not isinstance(ident, str) or ident not in catalogue.ids:
                    problems.append(f"{framework}: unknown id {ident!r} (not in {catalogue.label})")
        return problems

    def check_failure_mode(self, name: str) -> None:
        """Raise :class:`UsageError` unless ``name`` is a failure mode.

        Raises:
            UsageError: naming the valid failure modes.
        """
        if name not in self.failure_modes:
            raise UsageError(
                f"unknown failure mode {name!r}",
                hint="one of: " + ", ".join(self.failure_modes),
            )

    def check_severity(self, level: str) -> None:
        """Raise :class:`UsageError` unless ``level`` is a severity (``SEV-1`` …).

        Raises:
            UsageError: naming the valid levels.
        """
        if level not in self.severities:
            raise UsageError(
                f"unknown severity {level!r}", hint="one of: " + ", ".join(self.severities)
            )

    def external_ids_for(self, mode: str) -> dict[str, list[str]]:
        """Return a copy of ``mode``'s external ids (framework -> ids).

        Raises:
            UsageError: ``mode`` is not a failure mode.
        """
        self.check_failure_mode(mode)
        return {k: list(v) for k, v in self.failure_modes[mode].external_ids.items()}

    def title_of(self, framework: str, ident: str) -> str | None:
        """Return the official title of ``ident`` in ``framework``, or None."""
        catalogue = self.catalogues.get(framework)
        return None if catalogue is None else catalogue.ids.get(ident)

    def versions(self) -> dict[str, str]:
        """Return framework key -> catalogue version (what a scenario was tagged against)."""
        return {key: cat.version for key, cat in self.catalogues.items()}
