"""Plugin hooks of incident-lab (pluggy project name ``incident_lab``).

Each hook returns a list of objects of the kind it names; every plugin's lists are
concatenated, and a later registration with the same ``name`` overrides an earlier
one, so a third-party plugin can replace any built-in. Built-ins register through
this same manager (see :mod:`incident_lab.plugins`).
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["hookimpl"]

hookspec = pluggy.HookspecMarker("incident_lab")
hookimpl = pluggy.HookimplMarker("incident_lab")


@hookspec
def register_readers() -> list[Any]:  # type: ignore[empty-body]
    """Return trajectory readers (:class:`incident_lab.readers.base.Reader`)."""


@hookspec
def register_detectors() -> list[Any]:  # type: ignore[empty-body]
    """Return failure-mode detectors (:class:`incident_lab.classify.base.Detector`)."""


@hookspec
def register_converters() -> list[Any]:  # type: ignore[empty-body]
    """Return variant converters (:class:`incident_lab.variants.base.Converter`)."""


@hookspec
def register_containment_backends() -> list[Any]:  # type: ignore[empty-body]
    """Return containment backends: ``name``, ``description``, ``run(action, spec, ctx)`` and ``undo``."""


@hookspec
def register_notifiers() -> list[Any]:  # type: ignore[empty-body]
    """Return notification channels (:class:`incident_lab.adapters.notify.Notifier`)."""


@hookspec
def register_targets() -> list[Any]:  # type: ignore[empty-body]
    """Return system-under-test factories (:class:`regression_suite.targets.base.TargetKind`)."""


@hookspec
def register_expectations() -> list[Any]:  # type: ignore[empty-body]
    """Return expectation kinds (:class:`incident_lab.expectations.ExpectationKind`)."""


@hookspec
def register_reporters() -> list[Any]:  # type: ignore[empty-body]
    """Return gate reporters (:class:`regression_suite.reports.base.Reporter`)."""
