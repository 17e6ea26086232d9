"""The DevTools driver's event recording (no browser needed)."""

from __future__ import annotations

from tests.browser.cdp import PageResult, record_event


def test_page_events_are_recorded_by_kind_and_others_ignored() -> None:
    """Console calls, exceptions, error/warning log entries, requests and the load event each
    land in their own field; info log entries and unwatched events are dropped."""
    result = PageResult()
    events = [
        ("Runtime.consoleAPICalled", {"type": "log", "args": [{"value": 1}, {"description": "x"}]}),
        ("Runtime.exceptionThrown", {"exceptionDetails": {"text": "boom"}}),
        ("Log.entryAdded", {"entry": {"level": "error", "source": "security", "text": "CSP"}}),
        ("Log.entryAdded", {"entry": {"level": "info", "source": "other", "text": "fine"}}),
        ("Network.requestWillBeSent", {"request": {"url": "https://x.example/a.js"}}),
        ("Page.frameNavigated", {"frame": {}}),
        ("Page.loadEventFired", {}),
    ]
    for method, params in events:
        assert not result.loaded
        record_event(result, {"method": method, "params": params})
    assert result.console == ["log: 1 x"]
    assert result.exceptions == ['{"text": "boom"}']
    assert result.log_errors == ["security: CSP"]
    assert result.requests == ["https://x.example/a.js"]
    assert result.loaded
