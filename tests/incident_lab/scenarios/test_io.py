def test_empty_scenario_file_says_so(tmp_path) -> None:
    """An empty scenario file is reported as empty, not as a type name."""
    import pytest

    from incident_lab.errors import SchemaError
    from incident_lab.scenarios.io import load_scenario

    path = tmp_path / "x.yaml"
    path.write_text("")
    with pytest.raises(SchemaError, match="empty"):
        load_scenario(path)
