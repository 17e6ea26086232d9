"""resolve_target maps a --target spec to the plugin kind that handles its scheme."""

from __future__ import annotations

import types
from typing import Any

import pytest

from incident_lab.errors import UsageError
from incident_lab.hookspecs import hookimpl
from incident_lab.plugins import get_plugin_manager
from regression_suite.targets import (
    BaseTarget,
    Target,
    TargetKind,
    get_target_kinds,
    resolve_target,
    scheme_of,
)


def test_builtin_kinds_are_registered_through_the_plugin_manager() -> None:
    """The six built-in kinds come from regression_suite.targets.builtin."""
    assert set(get_target_kinds()) >= {
        "python",
        "http",
        "openai",
        "safeguard",
        "recorded",
        "example",
    }


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("example:vulnerable", "example"),
        ("example:patched", "example"),
        ("recorded", "recorded"),
        ("http://127.0.0.1:1/replay", "http"),
        ("https://agent.example/replay", "http"),
        ("openai+http://127.0.0.1:1/v1#m", "openai"),
        ("openai+https://api.example/v1#m", "openai"),
        ("python:json:loads", "python"),
        ("safeguard:json:dumps", "safeguard"),
    ],
)
def test_each_spec_resolves_to_its_kind(spec: str, kind: str) -> None:
    """Every documented spec form creates a Target of the right kind, named by the spec."""
    target = resolve_target(spec)
    try:
        assert isinstance(target, Target)
        assert target.name == spec
        info = target.describe()
        assert info["kind"] == kind and info["target"] == spec
        assert set(info) == {"target", "kind", "model", "policy", "version"}
        assert target.io_bound is (kind in {"http", "openai"})
    finally:
        target.close()


def test_unknown_scheme_lists_the_kinds() -> None:
    """An unknown scheme is a usage error whose message lists every kind."""
    with pytest.raises(UsageError) as info:
        resolve_target("grpc://agent:1")
    assert info.value.exit_code == 3
    for kind in ("example", "http", "openai", "python", "recorded", "safeguard"):
        assert kind in info.value.message


def test_empty_spec_is_a_usage_error() -> None:
    """No target at all is refused."""
    with pytest.raises(UsageError, match="no target"):
        resolve_target("  ")


def test_scheme_of() -> None:
    """Schemes are read before '://' or the first ':'."""
    assert [
        scheme_of(s) for s in ["openai+https://h/v1#m", "python:a.b:c", "recorded", "HTTP://x"]
    ] == [
        "openai+https",
        "python",
        "recorded",
        "http",
    ]


class _Echo(BaseTarget):
    kind = "echo"

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        return {"steps": []}


def test_a_third_party_plugin_adds_a_kind_and_can_replace_a_builtin(fresh_plugins: None) -> None:
    """A plugin's TargetKind is resolvable; one named like a built-in wins over it."""
    plugin = types.SimpleNamespace()

    @hookimpl
    def register_targets() -> list[TargetKind]:
        return [
            TargetKind("echo", "echo", _Echo),
            TargetKind("recorded", "replaced", _Echo),
        ]

    plugin.register_targets = register_targets
    get_plugin_manager().register(plugin, name="third-party")
    assert isinstance(resolve_target("echo:anything"), _Echo)
    assert isinstance(resolve_target("recorded"), _Echo)
