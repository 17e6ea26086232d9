"""Names vulture (``nox -s lint``) reports as unused that are used, by a protocol or by name.

Each line is a use vulture cannot see. Before adding a line, check the name really is
called from outside Python's view (a framework, a ``getattr``, a spec string, a doc);
dead code is deleted, not listed here. Hook implementations, click commands, pytest
hooks and fixtures, and schemacheck's ``k_*`` keyword methods are ignored by pattern in
``[tool.vulture]`` (pyproject.toml).
"""

# ruff: noqa
# mypy: ignore-errors

_ = object()

# Framework protocols: click, PyYAML, pytest items and sessions, context managers.
_.whitespace_split  # shlex.shlex option, read by the lexer (incident_lab/provenance/actions.py)
_.format_commands  # click.Group override (incident_lab/cli/app.py)
_.ignore_aliases  # yaml.SafeDumper override (incident_lab/scenarios/io.py)
_.reportinfo  # pytest.Item API (regression_suite/plugin_items.py)
_.shouldstop  # pytest.Session attribute
_.testscollected  # pytest.Session attribute
_.exitstatus  # pytest.Session attribute
nextitem  # pytest_runtest_protocol argument
exitstatus  # pytest_sessionfinish / pytest_terminal_summary argument
exc_type  # __exit__ argument
tb  # __exit__ argument

# asyncio.Protocol callbacks, called by the event loop (incident_lab/httpclient.py's wire,
# benchmarks/bench_gate.py's latency server) and httpcore's AsyncNetworkBackend API.
_.connection_made
_.connection_lost
_.eof_received
_.pause_writing
_.resume_writing
_.connect_tcp  # httpcore.AsyncNetworkBackend (incident_lab/httpclient.py)
_.__class__  # pytest's terminal writer swapped in place (regression_suite/pytest_plugin.py)

# Called by name.
_._read_inbox  # the example world's tools: getattr(self, f"_{name}") (incident_lab/example/world.py)
_._read_document
_._search_docs
_._lookup_customer
_._list_customers
_._send_email
_._create_ticket

# Documented API (docs/incident_lab.md, docs/formats.md) and taxonomy data fields read from YAML.
_.followup_dir  # Bundle.followup_dir
_.title_of  # Taxonomy.title_of
guidance  # FailureMode.guidance
severity_guidance  # Taxonomy.severity_guidance

# Test and benchmark servers and fakes: http.server, socketserver, HTMLParser, OTel exporters.
_.do_GET
_.do_POST
_.do_PUT
_.do_PATCH
_.log_message
_.daemon_threads
_.request_queue_size
protocol_version
_.handle_starttag
_.handle_data
_.export
_.force_flush
timeout_millis
parent_  # a stand-in classmethod's argument (tests/regression_suite/test_lazy_items.py)

# Python targets loaded from a spec string (tests/regression_suite/targets/sample_targets.py).
echo_turns
with_scenario
async_agent
returns_string
block_send_email
block_injected_input
block_answers
says_maybe
returns_none
records_context
NOT_CALLABLE

# pytest's terminal reporter's state, set by the gate's short path for passing reports
# (regression_suite/pytest_plugin.py _QuietPasses): read by pytest itself.
_current_logreport
_tests_ran

# re2.Options field set in incident_lab/provenance/cues.py (_BIG.max_mem): read by RE2 itself.
max_mem

# targets tests/incident_lab/scenarios/test_harness_documents.py names by string
# ("python:<module>:ignores_documents", "safeguard:<module>:block_input"): resolved at run time.
ignores_documents
block_input
first_turn_documents
