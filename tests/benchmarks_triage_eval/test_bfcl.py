"""The BFCL converter (tool_hallucination labels) on a small constructed package."""

from __future__ import annotations

import json
import sys
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
    "initial_config": {"GorillaFileSystem": {"files": {"document": {"report.txt": "b\na"}}}},
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


#: A stand-in for the package's environment classes (BFCL's shape: ``_load_scenario`` with the
#: entry's ``initial_config``, public methods are the tools; MathAPI-like classes are stateless).
_SRC = "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/"
_FS_SOURCE = """
import random


class Info:
    def __str__(self):
        return "Info(size=3)"


class GorillaFileSystem:
    def __init__(self):
        self.cwd = "/"
        self.files = {}

    def _load_scenario(self, scenario, long_context=False):
        self.files = scenario.get("files", {})
        self._random = random.Random(scenario.get("random_seed", 7))

    def cd(self, folder):
        if folder not in self.files:
            raise KeyError(folder)
        self.cwd = folder
        return {"current_working_directory": folder, "ticket": self._random.randint(100, 999)}

    def sort(self, file_name):
        lines = self.files[self.cwd][file_name].split("\\n")
        return {"sorted_content": "\\n".join(sorted(lines)), "in": self.cwd}

    def ls(self):
        return sorted(self.files[self.cwd])

    def stat(self):
        return Info()

    def cp(self):
        return "copied"
"""
_MATH_SOURCE = """
class MathAPI:
    def _load_scenario(self, scenario, long_context=False):
        raise AssertionError("a stateless class gets no scenario")

    def mean(self, numbers):
        return sum(numbers) / len(numbers)
"""
_BACKEND = """
MULTI_TURN_FUNC_DOC_FILE_MAPPING = {"GorillaFileSystem": "gorilla_file_system.json", "MathAPI": "math_api.json"}
BACKEND_PATH_PREFIX = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CLASS_FILE_PATH_MAPPING = {
    "GorillaFileSystem": f"{BACKEND_PATH_PREFIX}.gorilla_file_system",
    "MathAPI": f"{BACKEND_PATH_PREFIX}.math_api",
}
STATELESS_CLASSES = ["MathAPI"]
"""
_MATH_DOC = [
    {
        "name": "mean",
        "description": "Mean of numbers.",
        "parameters": {
            "type": "dict",
            "properties": {"numbers": {"type": "array", "items": {"type": "float"}}},
            "required": ["numbers"],
        },
    },
]
_EXTRA_DOC = [
    {"name": n, "description": n, "parameters": {"type": "dict", "properties": {}, "required": []}}
    for n in ("ls", "stat", "touch")
]
#: Calls whose results are errors and non-dict values, in BFCL's executor's words.
_ODD = {
    "id": "multi_turn_miss_func_1",
    "question": [[{"role": "user", "content": "Go to nowhere, then list, stat, touch."}], []],
    "initial_config": {"GorillaFileSystem": {"files": {"/": {"a": "x"}}}},
    "path": [],
    "involved_classes": ["GorillaFileSystem", "MathAPI"],
    "missed_function": {"1": ["sort"]},
    "excluded_function": [],
}
_ODD_ANSWER = {
    "id": "multi_turn_miss_func_1",
    "ground_truth": [
        ["cd(folder='nowhere')", "ls()", "stat()", "touch()", "mean(numbers=[1, 2])"],
        ["sort(file_name='a')"],
    ],
}


def _package(tmp_path: Path) -> Path:
    fs_docs = _FS_DOC + _EXTRA_DOC
    files = {
        "bfcl_eval/__init__.py": "",
        "bfcl_eval/constants/__init__.py": "",
        "bfcl_eval/constants/type_mappings.py": _TYPES,
        "bfcl_eval/constants/executable_backend_config.py": _BACKEND,
        _SRC + "gorilla_file_system.py": _FS_SOURCE,
        _SRC + "math_api.py": _MATH_SOURCE,
        _D + "multi_turn_func_doc/math_api.json": "\n".join(json.dumps(d) for d in _MATH_DOC),
        _D + "multi_turn_func_doc/gorilla_file_system.json": "\n".join(
            json.dumps(d) for d in fs_docs
        ),
        _D + "BFCL_v4_multi_turn_miss_func.json": json.dumps(_MISS) + "\n" + json.dumps(_ODD),
        _D + "possible_answer/BFCL_v4_multi_turn_miss_func.json": (
            json.dumps(_MISS_ANSWER) + "\n" + json.dumps(_ODD_ANSWER)
        ),
        _D + "BFCL_v4_simple_python.json": json.dumps(_SIMPLE),
        _D + "possible_answer/BFCL_v4_simple_python.json": json.dumps(_SIMPLE_ANSWER),
    }
    src = convert._VERSIONS["bfcl-eval"]
    root = tmp_path / "unpacked" / f"{src.package}-{src.version}"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    # the private interpreter fetch.py makes; here this one (the stand-ins need no packages)
    (tmp_path / "venv-bfcl" / "bin").mkdir(parents=True)
    (tmp_path / "venv-bfcl" / "bin" / "python").symlink_to(sys.executable)
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
    assert set(_tools(bad)) == {"cd", "ls", "stat", "touch"}
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
    assert set(_tools(ok)) == {"cd", "ls", "stat", "touch"} and _calls(ok) == [
        ("cd", {"folder": "document"})
    ]
    full = by[("multi_turn_miss_func_0", "ground-truth")]
    assert set(_tools(full)) == {"cd", "sort", "ls", "stat", "touch"}
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
    assert src["flagged_benign"] == 2
    text = markdown_modes({th: rep})
    assert "tool_hallucination" in text and "| bfcl | 3 | 3 | 0.67 |" in text
    assert text.count("| 0.667 (2) |") == 1  # FPR any mode: three places and its count


def _outputs(sess: dict) -> list[str]:
    return [s["output"] for s in sess["steps"] if s["type"] == "tool_result"]


def test_bfcl_multi_turn_calls_return_what_the_environment_returns(tmp_path: Path) -> None:
    import random

    sessions = convert.convert_bfcl(_package(tmp_path), Counter())
    by = {(s["triage_eval"]["item"], s["triage_eval"]["variant"]): s for s in sessions}
    # the entry's own class, loaded with its initial_config, seeded as the class seeds itself
    ticket = random.Random(7).randint(100, 999)
    went = json.dumps({"current_working_directory": "document", "ticket": ticket})
    # the second call sees the state the first one left (cwd), across the turns
    sorted_ = json.dumps({"sorted_content": "a\nb", "in": "document"})
    assert _outputs(by[("multi_turn_miss_func_0", "ground-truth")]) == [went, sorted_]
    # every session runs its own calls from the initial state: same ticket again
    assert _outputs(by[("multi_turn_miss_func_0", "withheld-called")]) == [went, sorted_]
    assert _outputs(by[("multi_turn_miss_func_0", "withheld-declined")]) == [went]
    # labels and calls are as before: only the outputs changed
    assert (
        by[("multi_turn_miss_func_0", "withheld-called")]["triage_eval"]["kind"] == "hallucinated"
    )
    simple = next(s for s in sessions if s["triage_eval"]["item"] == "simple_python_0")
    assert _outputs(simple) == ["{}"]  # single-turn: BFCL has no environment to run


def test_bfcl_errors_and_odd_values_read_as_bfcls_executor_reports_them(tmp_path: Path) -> None:
    sessions = convert.convert_bfcl(_package(tmp_path), Counter())
    by = {(s["triage_eval"]["item"], s["triage_eval"]["variant"]): s for s in sessions}
    full = by[("multi_turn_miss_func_1", "ground-truth")]
    results = [s for s in full["steps"] if s["type"] == "tool_result"]
    assert [r["output"] for r in results] == [
        "Error during execution: 'nowhere'",  # the method raised KeyError('nowhere')
        '["a"]',  # a list: JSON
        "Info(size=3)",  # not JSON-serialisable: str()
        "Error during execution: name 'touch' is not defined",  # documented, not a method
        "1.5",  # the stateless class (no _load_scenario) answers too
        json.dumps({"sorted_content": "x", "in": "/"}),
    ]
    assert [bool(r.get("is_error")) for r in results] == [True, False, False, True, False, False]
    called = by[("multi_turn_miss_func_1", "withheld-called")]
    assert _outputs(called) == [json.dumps({"sorted_content": "x", "in": "/"})]


def test_bfcl_call_is_read_without_running_it() -> None:
    from benchmarks.triage_eval.bfcl_exec import parse_call

    assert parse_call(" f('a', 2, k=[1, (2, 3)]) ") == ("f", ["a", 2], {"k": [1, (2, 3)]})
    for text in ("f(g(1))", "os.system('x')", "f(**{'a': 1})", "f(x=__import__('os'))", "1 + 2"):
        try:
            parse_call(text)
        except (ValueError, SyntaxError):
            continue
        raise AssertionError(f"{text!r} was read as a literal call")
