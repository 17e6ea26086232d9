"""Run BFCL multi-turn ground-truth calls in the package's own environment classes.

    CACHE/venv-bfcl/bin/python bfcl_exec.py UNPACKED_ROOT < jobs.json > results.json

``convert.py`` runs this script in a subprocess at convert time; it is the only code that
imports bfcl-eval (from the unpacked wheel at ``UNPACKED_ROOT``, put first on ``sys.path``).
Each job is ``{"classes": [...], "config": {...}, "calls": ["f(a, b=1)", ...]}``: one
session's calls in order, run the way BFCL's checker runs them
(``eval_checker/multi_turn_eval/multi_turn_utils.py``, ``execute_multi_turn_func_call``):
each involved class instantiated afresh, loaded with ``_load_scenario`` of a deep copy of its
part of the entry's ``initial_config`` (not the stateless ones), a call going to the last
class that has a public method of that name, and the return value recorded (a string as
it is, anything else as JSON, ``str()`` when that fails). A call that raises reads as
BFCL's executor reports it (``Error during execution: ...``). The calls are read with
``ast`` as literals (:func:`parse_call`), never evaluated. The output is one list per job
of ``[output, is_error]`` pairs.

Standard library only (the environment classes need ``mpmath``, which the venv has).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import inspect
import json
import sys
from typing import Any

#: BFCL's executor refuses these method names before evaluating a call.
_REFUSED = ("kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run")


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``f(a, b=1)`` as ``("f", [a], {"b": 1})``: a plain function name and literal
    arguments only (``ValueError`` or ``SyntaxError`` otherwise); nothing is evaluated."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"not a call: {text[:60]!r}")
    args = [ast.literal_eval(a) for a in node.args]
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise ValueError(f"**kwargs in a ground-truth call: {text[:60]!r}")
        kwargs[kw.arg] = ast.literal_eval(kw.value)
    return node.func.id, args, kwargs


def _instances(classes: list[str], config: dict[str, Any]) -> dict[str, Any]:
    """Method name -> bound method over the involved classes (a later class wins, as in
    BFCL's name mapping); private methods are not tools."""
    from bfcl_eval.constants.executable_backend_config import (
        CLASS_FILE_PATH_MAPPING,
        STATELESS_CLASSES,
    )

    methods: dict[str, Any] = {}
    for name in classes:
        instance = getattr(importlib.import_module(CLASS_FILE_PATH_MAPPING[name]), name)()
        if name not in STATELESS_CLASSES:
            instance._load_scenario(copy.deepcopy(config.get(name, {})), long_context=False)
        for method, bound in inspect.getmembers(instance, predicate=inspect.ismethod):
            if not method.startswith("_"):
                methods[method] = bound
    return methods


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def run_job(job: dict[str, Any]) -> list[tuple[str, bool]]:
    """One session's calls against fresh instances: ``(output, is_error)`` per call."""
    methods = _instances(list(job["classes"]), dict(job.get("config") or {}))
    out: list[tuple[str, bool]] = []
    for text in job["calls"]:
        try:
            name, args, kwargs = parse_call(text)
            if name in _REFUSED:
                raise PermissionError(f"Function call {name} is not allowed.")
            if name not in methods:
                raise NameError(f"name '{name}' is not defined")
            out.append((_text(methods[name](*args, **kwargs)), False))
        except Exception as exc:  # the package's code may raise anything: BFCL's report
            out.append((f"Error during execution: {exc}", True))
    return out


def main(argv: list[str]) -> int:
    sys.path.insert(0, argv[1])
    jobs = json.load(sys.stdin)
    with contextlib.redirect_stdout(sys.stderr):  # what the package prints is not the answer
        results = [run_job(job) for job in jobs]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
