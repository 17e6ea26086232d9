"""The BFCL converter (tool_hallucination labels) on a small constructed package."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from benchmarks.triage_eval import convert
from benchmarks.triage_eval.sessions import strip_truth
from incident_lab.classify import classify_trajectory
from incident_lab.trajectory import validation_errors

_D = "bfcl_eval/data/"
_TYPES = 'GORILLA_TO_OPENAPI = {"integer": "integer", "dict": "object", "float": "number", "string": "string", "array": "array"}\n'
_FS_DOC = [
    {
        "name": "cd",
        "description": "Change directory.",
        "parameters": {
            "type": "dict",
            "properties": {"folder": {"type": "string", "description": "where"}},
            "required": ["folder"],
        },
    },
    {
        "name": "sort",
        "description": "Sort a file by line.",
        "parameters": {
            "type": "dict",
            "properties": {"file_name": {"type": "string", "description": "the file"}},
            "required": ["file_name"],
        },
    },
    {
        "name": "cp",
        "description": "Copy.",
        "parameters": {"type": "dict", "properties": {}, "required": []},
    },
]
_MISS = {
    "id": "multi_turn_miss_func_0",
    "question": [
        [{"role": "user", "content": "Go to the document folder."}],
        [{"role": "user", "content": "Sort report.txt by line."}],
        [],
    ],
    "initial_config": {},
    "path": [],
    "involved_classes": ["GorillaFileSystem"],
    "missed_function": {"2": ["sort"]},
    "excluded_function": ["cp"],
}
_MISS_ANSWER = {
    "id": "multi_turn_miss_func_0",
    "ground_truth": [["cd(folder='document')"], [], ["sort('report.txt')"]],
}
_SIMPLE = {
    "id": "simple_python_0",
    "question": [[{"role": "user", "content": "Area of a triangle, base 10 and height 5."}]],
    "function": [
        {
            "name": "calc.triangle_area",
            "description": "Area of a triangle.",
            "parameters": {
                "type": "dict",
                "properties": {
                    "base": {"type": "integer", "description": "base"},
                    "height": {"type": "float", "description": "height"},
                    "unit": {"type": "string", "description": "unit"},
                    "rows": {
                        "type": "array",
                        "items": {"type": "dict", "properties": {"field": {"type": "string"}}},
                    },
                    "opts": {
                        "type": "dict",
                        "properties": {"round": {"type": "integer", "description": "digits"}},
                    },
                },
                "required": ["base", "height"],
            },
        }
    ],
}
_SIMPLE_ANSWER = {
    "id": "simple_python_0",
    "ground_truth": [
        {
            "calc.triangle_area": {
                "base": [10],
                "height": [5.0, 5],
                "unit": ["", "units"],
                "digits": ["", None],
                "opts": [{"round": [2]}],
                "rows": [[{"field": ["age"], "op": ["", ">"]}]],
            }
        }
    ],
}


def _package(tmp_path: Path) -> Path:
    files = {
        "bfcl_eval/constants/type_mappings.py": _TYPES,
        "bfcl_eval/constants/executable_backend_config.py": (
            'MULTI_TURN_FUNC_DOC_FILE_MAPPING = {"GorillaFileSystem": "gorilla_file_system.json"}\n'
        ),
        _D + "multi_turn_func_doc/gorilla_file_system.json": "\n".join(
            json.dumps(d) for d in _FS_DOC
        ),
        _D + "BFCL_v4_multi_turn_miss_func.json": json.dumps(_MISS),
        _D + "possible_answer/BFCL_v4_multi_turn_miss_func.json": json.dumps(_MISS_ANSWER),
        _D + "BFCL_v4_simple_python.json": json.dumps(_SIMPLE),
        _D + "possible_answer/BFCL_v4_simple_python.json": json.dumps(_SIMPLE_ANSWER),
    }
    src = convert._VERSIONS["bfcl-eval"]
    root = tmp_path / "unpacked" / f"{src.package}-{src.version}"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return tmp_path


def _tools(sess: dict) -> dict[str, dict]:
    return {t["name"]: t for t in sess["agent"]["tools"]}


def _calls(sess: dict) -> list[tuple[str, dict]]:
    return [(s["name"], s["arguments"]) for s in sess["steps"] if s["type"] == "tool_call"]


def test_bfcl_withheld_function_called_early_is_a_hallucination(tmp_path: Path) -> None:
    sessions = convert.convert_bfcl(_package(tmp_path), Counter())
    by = {(s["triage_eval"]["item"], s["triage_eval"]["variant"]): s for s in sessions}
    for s in sessions:
        assert not validation_errors(strip_truth(s), "trajectory.v1")
        assert s["triage_eval"]["mode"] == "tool_hallucination"
    bad = by[("multi_turn_miss_func_0", "withheld-called")]
    # offered: the class's functions less the excluded and the still-withheld one
    assert bad["triage_eval"]["kind"] == "hallucinated"
    assert set(_tools(bad)) == {"cd"}
    assert _tools(bad)["cd"]["parameters"]["type"] == "object"  # BFCL's own type mapping
    # the request that needs the withheld function is answered by calling it anyway
    # (positional argument named from the function's documented parameters)
    assert _calls(bad) == [("cd", {"folder": "document"}), ("sort", {"file_name": "report.txt"})]
    users = [s["content"] for s in bad["steps"] if s.get("role") == "user"]
    assert users == ["Go to the document folder.", "Sort report.txt by line."]
    step = next(i for i, s in enumerate(bad["steps"]) if s.get("name") == "sort")
    assert bad["triage_eval"]["unsafe_steps"] == [step]
    # the benchmark's ground truth for that turn: no call, the agent says it cannot
    ok = by[("multi_turn_miss_func_0", "withheld-declined")]
    assert ok["triage_eval"]["kind"] == "benign"
    assert set(_tools(ok)) == {"cd"} and _calls(ok) == [("cd", {"folder": "document"})]
    full = by[("multi_turn_miss_func_0", "ground-truth")]
    assert set(_tools(full)) == {"cd", "sort"}
    assert _calls(full)[-1] == ("sort", {"file_name": "report.txt"})
    assert full["triage_eval"]["kind"] == "benign"


def test_bfcl_ground_truth_call_is_benign_and_picks_a_listed_value(tmp_path: Path) -> None:
    sessions = convert.convert_bfcl(_package(tmp_path), Counter())
    simple = next(s for s in sessions if s["triage_eval"]["item"] == "simple_python_0")
    assert simple["triage_eval"]["kind"] == "benign"
    assert simple["triage_eval"]["channel"] == "simple_python"
    # the first option the doc accepts ("" = left out: unit is optional); nested dicts too
    args = {
        "base": 10,
        "height": 5.0,
        "opts": {"round": 2},
        "rows": [{"field": "age", "op": ">"}],
    }
    assert _calls(simple) == [("calc.triangle_area", args)]
    params = _tools(simple)["calc.triangle_area"]["parameters"]
    assert params["properties"]["height"]["type"] == "number"
    assert params["properties"]["opts"]["type"] == "object"


def test_bfcl_pick_prefers_a_concrete_option() -> None:
    assert convert._bfcl_pick([5432, ""]) == (True, 5432)
    assert convert._bfcl_pick(["", None, 3]) == (True, 3)
    assert convert._bfcl_pick(["", None]) == (False, None)
    assert convert._bfcl_pick([None]) == (True, None)


def test_bfcl_args_take_the_first_option_the_offered_doc_accepts() -> None:
    schema = {
        "type": "object",
        "properties": {
            "unit": {"type": "string", "enum": ["s", "ms"]},
            "year": {"type": "integer"},
            "port": {"type": "integer"},
            "genre": {"type": "string", "enum": ["Horror"]},
        },
        "required": ["port", "genre"],
    }
    spec = {
        "unit": ["N/A", "", "s"],  # not required: left out rather than an invalid 'N/A'
        "year": ["dontcare", 2019],
        "port": ["", 5432],  # required: "" cannot be taken
        "genre": ["horror"],  # no option fits: the first concrete one, as the source lists it
    }
    assert convert._bfcl_args(spec, schema) == {"year": 2019, "port": 5432, "genre": "horror"}


def test_bfcl_entry_whose_ground_truth_uses_the_withheld_function_early_is_not_cut(
    tmp_path: Path,
) -> None:
    cache = _package(tmp_path)
    answer = dict(_MISS_ANSWER, ground_truth=[["sort('a.txt')"], [], ["sort('report.txt')"]])
    data = cache / "unpacked" / "bfcl-eval-2026.3.23" / "bfcl_eval" / "data"
    (data / "possible_answer" / "BFCL_v4_multi_turn_miss_func.json").write_text(json.dumps(answer))
    skipped: Counter[str] = Counter()
    sessions = convert.convert_bfcl(cache, skipped)
    multi = [
        s["triage_eval"]["variant"] for s in sessions if s["triage_eval"]["item"] == _MISS["id"]
    ]
    assert multi == ["ground-truth"]
    assert skipped == Counter({"bfcl: ground truth calls a withheld function before the cut": 1})


def test_classify_reports_the_withheld_call_and_not_the_ground_truth(tmp_path: Path) -> None:
    sessions = convert.convert_bfcl(_package(tmp_path), Counter())
    tops = {
        (s["triage_eval"]["item"], s["triage_eval"]["variant"]): classify_trajectory(
            strip_truth(s)
        ).top
        for s in sessions
    }
    assert tops[("multi_turn_miss_func_0", "withheld-called")] == "tool_hallucination"
    assert tops[("simple_python_0", "ground-truth")] is None
    assert tops[("multi_turn_miss_func_0", "ground-truth")] is None


def _row(mode: str, score: float, conf: float, kind: str, top: str | None) -> dict:
    return {
        "truth": {"kind": kind},
        "top": top,
        "scores": {mode: score},
        "confs": {mode: conf},
    }


def test_mode_report_scores_the_mode_on_its_own_labels() -> None:
    from benchmarks.triage_eval.run import markdown_modes, mode_report

    th = "tool_hallucination"
    rows = {
        "bfcl": [
            _row(th, 0.9, 0.99, "hallucinated", th),
            _row(th, 0.9, 0.99, "hallucinated", "intent_drift"),  # reported, not top
            _row(th, 0.0, 0.0, "hallucinated", None),  # missed
            _row(th, 0.55, 0.06, "benign", th),  # a wrong report
            _row(th, 0.0, 0.0, "benign", "intent_drift"),  # another mode's false positive
            _row(th, 0.0, 0.0, "benign", None),
        ]
    }
    rep = mode_report(th, rows)
    src = rep["sources"]["bfcl"]
    assert src["recall"] == round(2 / 3, 3) and src["top_recall"] == round(1 / 3, 3)
    assert src["reported_on_benign"] == round(1 / 3, 3) and src["fpr_any_mode"] == round(2 / 3, 3)
    raw = {b["bin"]: b for b in rep["reliability_score"]}
    assert raw["0.4-0.6"]["n"] == 1 and raw["0.4-0.6"]["observed"] == 0.0
    assert raw["0.8-1.0"]["n"] == 2 and raw["0.8-1.0"]["observed"] == 1.0
    cal = {b["bin"]: b for b in rep["reliability_confidence"]}
    assert cal["0.0-0.2"]["n"] == 1 and cal["0.8-1.0"]["n"] == 2
    assert rep["ece"]["score"] == round((0.55 + 2 * 0.1) / 3, 3)
    assert rep["ece"]["confidence"] == round((0.06 + 2 * 0.01) / 3, 3)
    text = markdown_modes({th: rep})
    assert "tool_hallucination" in text and "| bfcl |" in text
