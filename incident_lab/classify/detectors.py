"""The built-in detectors, registered through the plugin manager like any third party's.

=======================  ====================  ==============================================
name                     failure mode          evidence
=======================  ====================  ==============================================
indirect_injection       prompt_injection      instructions in a tool output, then an
                                               unrequested call (sink, or a target taken
                                               from that output)
direct_injection         prompt_injection      override phrasing in a user turn followed by
                                               compliance; a leaked system prompt
tool_hallucination       tool_hallucination    tool not offered, schema-violating arguments,
                                               "unknown tool" errors
policy_erosion           policy_erosion        refusal, pressure, then compliance
intent_drift             intent_drift          unrequested side effects, unrelated calls
safeguard_failure        safeguard_failure     a safeguard allowed/flagged an unsafe step
coordinated_payloads     coordinated_misuse    near-identical payloads from many actors
                                               (cross-session)
=======================  ====================  ==============================================
"""

from __future__ import annotations

from typing import Any

from incident_lab.classify.coordination import coordinated_payloads
from incident_lab.classify.drift import intent_drift
from incident_lab.classify.erosion import policy_erosion
from incident_lab.classify.hallucination import tool_hallucination
from incident_lab.classify.injection import direct_injection, indirect_injection
from incident_lab.classify.safeguards import safeguard_failure
from incident_lab.hookspecs import hookimpl

BUILTIN_DETECTORS = (
    indirect_injection,
    direct_injection,
    tool_hallucination,
    policy_erosion,
    intent_drift,
    safeguard_failure,
    coordinated_payloads,
)


@hookimpl
def register_detectors() -> list[Any]:
    """Register the built-in failure-mode detectors."""
    return list(BUILTIN_DETECTORS)
