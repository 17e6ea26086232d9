"""benchmarks/loc_report.py counts code lines: not blank, comment or docstring lines."""

from __future__ import annotations

from benchmarks.loc_report import code_lines, count_selector, package_of

SAMPLE = '''"""Module docstring
over two lines."""

# a comment
import os  # trailing comment


def f(x):
    """Docstring."""

    text = """a string
that is not a docstring"""
    return x + len(text)


class C:
    """Class docstring."""

    value = 1


LIMIT = (
    3
)
'''


def test_code_lines_skip_blank_comment_and_docstrings() -> None:
    """Counted: import, def, the two-line string, return, class, value, and LIMIT's 3 lines."""
    assert sorted(code_lines(SAMPLE)) == [5, 8, 11, 12, 13, 16, 19, 22, 23, 24]


def test_selector_counts_named_top_level_statements_only() -> None:
    texts = {"m.py": SAMPLE}
    assert count_selector(texts, "m.py") == 10
    assert count_selector(texts, "m.py::f") == 4
    assert count_selector(texts, "m.py::C,LIMIT") == 5
    assert count_selector(texts, "m.py::missing") == 0
    assert count_selector(texts, "absent.py") == 0


def test_package_of_groups_top_level_modules() -> None:
    assert package_of("incident_lab/cli/app.py") == "incident_lab/cli"
    assert package_of("incident_lab/evidence/x/y.py") == "incident_lab/evidence"
    assert package_of("incident_lab/errors.py") == "incident_lab/*.py"
