"""Action kinds of tool names whose verb is not the first word (session 30): the method of a
namespaced name (``jira.create_issue``, ``issues/create``, ``mcp__notion__create_page``) and
the last word of a name that ends on its verb (``tasks_create``,
``knowledge_base_articles_update``) give the kind the same verb gives at the front
(``create_issue`` is a ``modify``). Only names that had no kind ("other") change; a name with
two verbs, a read verb first or a noun that only looks like a verb keeps the kind it had.
The user's request asks for a placed name exactly as for its verb-first twin (review rev-kinds30
F1-F3): the same verbs and synonyms ("set an alarm", "put the milk in my basket", "open a PR"),
no check of the record's own word ("add the follow-ups to my to-do list" asks for
``tasks_create`` as for ``create_task``). A verb placed after its records needs a plural
collection of records before it (``tasks_create``, ``issues/create``): not a noun or a sum
(``chess.move``, ``math.add``, ``news_update``, ``numbers_add``: rev-kinds30 F4)."""

from __future__ import annotations

import pytest

from incident_lab.provenance.actions import SIDE_EFFECTS, action_kind, authorised

#: The verb behind a namespace or at the end: the kind its verb-first twin has.
PLACED = {
    "jira.create_issue": "create_issue",
    "github.create_issue": "create_issue",
    "issues/create": "create_issue",
    "mcp__notion__create_page": "create_page",
    "linear.issues.update": "update_issue",
    "tasks_create": "create_task",
    "taskboard_tasks_create": "create_task",
    "taskboard_tasks_update": "update_task",
    "ticketing_tickets_update": "update_ticket",
    "knowledge_base_articles_update": "update_article",
    "customer_records_followups_create": "create_followup",
    "tasksCreate": "create_task",
    "Alarm_1_AddAlarm": "add_alarm",
    "projects/v2:create": "create_project",
    "mcp__github__create_or_update_file": "create_or_update_file",
    "jira.create_issue_by_id": "create_issue_by_id",
}


@pytest.mark.parametrize(("name", "twin"), sorted(PLACED.items()))
def test_a_verb_behind_a_namespace_or_at_the_end_gives_the_kind_of_its_twin(
    name: str, twin: str
) -> None:
    assert action_kind(twin, {}) == "modify"  # the verb-first name, as before
    assert action_kind(name, {}) == "modify"
    assert action_kind(name, {"title": "Call Bob", "due": "2026-01-05"}) == "modify"


#: Names that had a kind keep it: what their other words say ranks first.
KEPT = {
    "gmail.users.messages.send": "email",
    "slack_chat_postMessage": "message",
    "drive_files_delete": "delete",
    "taskboard_tasks_delete": "delete",
    "calendar_events_insert": "booking",
    "scheduling_events_create": "booking",
    "stripe_charges_create": "payment",
    "twilio_messages_create": "message",
    "notebook_notes_share": "permission",
    "ledger_reports_submit": "http_write",
    "createTask": "modify",
    "search_and_send": "message",
    "get_delete_status": "read",
    "list_send_queue": "read",
    "get_payment": "read",
    "taskboard_tasks_get": "read",
    "stripe_charges_list": "read",
}


@pytest.mark.parametrize(("name", "kind"), sorted(KEPT.items()))
def test_a_name_that_had_a_kind_keeps_it(name: str, kind: str) -> None:
    assert action_kind(name, {}) == kind


#: No verb to place: two verbs (which one the tool does is not clear), a read verb or an
#: unlisted verb first, a noun that only looks like a verb ("entropy change", "status update",
#: "data set", "care plan update": a singular noun before a verb that is a noun too).
STAY_OTHER = [
    "send_queue_list",
    "export_tasks_create",
    "calculate_entropy_change",
    "status_update",
    "data_set",
    "CarePlanUpdate",
    "price_change",
    "chess_move",
    "jira.issue",
    "tasks",
    "taskboard_tasks",
    "jira.search_and_create",
    "games.update.find",
    "ticketing_tickets_close",
    # a verb after a singular word or a mass noun, or one with a sense of its own there (F4)
    "TaskCreate",
    "issue_create",
    "todo_add",
    "chess.move",
    "game.move",
    "robot.move",
    "cursor.move",
    "math.add",
    "calculator.add",
    "arithmetic.add",
    "uuid.create",
    "regex.create",
    "json.create",
    "news_update",
    "sports_news_update",
    "sales_update",
    "earnings_update",
    "metrics_update",
    "results_update",
    "series_update",
    "numbers_add",
    "vectors_add",
    "matrices_add",
    "days_add",
    "players_move",
    "data_sets_change",
    "accounts_reset",
    "rules_set",
    "prices_change",
    "tasks_add",
]


@pytest.mark.parametrize("name", STAY_OTHER)
def test_no_placed_verb_leaves_the_name_without_a_kind(name: str) -> None:
    assert action_kind(name, {}) not in SIDE_EFFECTS


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("jira.create_issue", "Create a Jira issue for the login bug."),
        ("github.create_issue", "Please open an issue about the flaky test."),
        ("tasks_create", "Add a task to call Bob tomorrow."),
        ("taskboard_tasks_create", "Create new tasks on the board for the action items."),
        ("taskboard_tasks_update", "Update task T-7 to done."),
        ("ticketing_tickets_update", "Change the priority of TICKET-7302 to high."),
        ("issues/create", "Make an issue for the broken build."),
        ("jira.create_issue_by_id", "Create a Jira issue for the login bug."),
    ],
)
def test_the_placed_verb_asks_for_the_call(name: str, text: str) -> None:
    assert authorised(action_kind(name, {}), name, text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("tasks_create", "Summarise my tasks for today."),
        ("taskboard_tasks_create", "List the tasks on the taskboard that are due today."),
        ("jira.create_issue", "Summarise the Jira issues assigned to me."),
        ("knowledge_base_articles_update", "Search the knowledge base for the VPN article."),
        ("ticketing_tickets_update", "What is the status of ticket TICKET-7302?"),
        ("tasks_create", "Don't create any tasks, just list them."),
        ("jira.create_issue", "Never create issues without asking me."),
    ],
)
def test_naming_the_records_or_forbidding_the_verb_asks_for_no_call(name: str, text: str) -> None:
    assert not authorised(action_kind(name, {}), name, text)


#: Review rev-kinds30 F1-F3: a placed name, its verb-first twin, and a user's words.
TWINS = [
    ("tasks_create", "create_task", "Add the follow-ups to my to-do list."),
    ("tasks_create", "create_task", "Add this to my todo list."),
    ("tasks_create", "create_task", "Remind me to call Bob on Friday."),
    ("taskboard_tasks_create", "create_task", "Add the follow-ups to my to-do list."),
    ("jira.create_issue", "create_issue", "Create a Jira ticket for the bug."),
    ("jira.create_issue", "create_issue", "File a Jira issue for it."),
    ("jira.create_issue", "create_issue", "Summarise the open issues."),
    ("jira.create_issue", "create_issue", "Erstelle ein Jira-Ticket."),
    ("jira.create_issue", "create_issue", "Add a task to call Bob tomorrow."),
    ("issues/create", "create_issue", "Log a bug for the crash."),
    ("Alarm_1_AddAlarm", "add_alarm", "Set an alarm for 7am."),
    ("Alarm_1_AddAlarm", "add_alarm", "Check the status page and set an alarm."),
    ("settings_update", "update_settings", "Turn on dark mode."),
    ("settings_update", "update_settings", "Change my notification preferences."),
    ("settings_update", "update_settings", "What are my settings?"),
    ("carts.add_item", "add_item", "Put the milk in my basket."),
    ("comments_create", "create_comment", "Reply on the PR."),
    ("comments_create", "create_comment", "Leave a comment on the PR."),
    ("knowledge_base_articles_update", "update_article", "Update the knowledge base."),
    ("knowledge_base_articles_update", "update_article", "Search the knowledge base."),
    ("mcp__github__create_pull_request", "create_pull_request", "Open a PR with the fix."),
    (
        "mcp__github__create_pull_request",
        "create_pull_request",
        "Create a pull request with the fix.",
    ),
    ("github.create_pull_request", "create_pull_request", "Create a pull request with the fix."),
    ("jira.create_request", "create_request", "Create a pull request with the fix."),
    ("mcp__notion__create_page", "create_page", "Write it up in Notion."),
    ("mcp__notion__create_page", "create_page", "Add a page in Notion."),
    ("users_create", "create_user", "Add the new hire Ana to the directory."),
    ("users_create", "create_user", "Create an account for Ana."),
    ("users_create", "create_user", "Don't create any accounts."),
    ("orders_cancel", "cancel_order", "Cancel my order."),
    ("tickets_update", "update_ticket", "Tell me which tickets need an update."),
]


@pytest.mark.parametrize(("name", "twin", "text"), TWINS)
def test_a_placed_name_is_asked_for_exactly_as_its_verb_first_twin(
    name: str, twin: str, text: str
) -> None:
    assert action_kind(name, {}) == action_kind(twin, {}) == "modify"
    assert authorised("modify", name, text) == authorised("modify", twin, text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mcp__github__create_pull_request", "Create a pull request with the fix."),
        ("mcp__github__create_pull_request", "Open a PR with the fix."),
        ("github.create_pull_request", "Read CONTRIBUTING.md, then create a pull request."),
        ("Alarm_1_AddAlarm", "Set an alarm for 7am."),
        ("settings_update", "Change my notification preferences."),
        ("users_create", "Create an account for Ana."),
        ("tasks_create", "Add the follow-ups to my to-do list."),
        ("jira.create_issue", "Create a Jira ticket for the bug."),
        ("knowledge_base_articles_update", "Update the knowledge base."),
    ],
)
def test_the_twin_s_verbs_and_synonyms_ask_for_a_placed_name(name: str, text: str) -> None:
    assert authorised("modify", name, text)  # each False on d6247e2 (rev-kinds30 F1-F3)


#: A shell tool whose name reads as a web request too (review rev-kinds30b, recursion.py): its
#: line's check asked for the request's, and the request's for the line's, without end.
SHELL_REQUESTS = [
    "bash.create_request",
    "shell.update_request",
    "terminal.approve_request",
    "exec.create_pull_request",
    "bash.create_pull_request",
    "http.update_command",
    "api.update_command",
]


@pytest.mark.parametrize("name", SHELL_REQUESTS)
def test_a_shell_tool_named_as_a_request_is_asked_for_as_both(name: str) -> None:
    assert action_kind(name, {}) == "exec"  # RecursionError below on h-kinds30b and main
    assert not authorised("exec", name, "Run the tests.")  # no write was asked for
    assert not authorised("exec", name, "Summarise the README.")
    assert not authorised("exec", name, "Don't run anything; submit the form.")
    assert authorised("exec", name, "Run the deploy script and submit the request.")


#: Review rev-kinds30b B: a verb after what a service computes, finds or reports (a moderation,
#: an embedding, a forecast, a search, the market's trends) makes nothing a user keeps.
COMPUTED = [
    "moderations_create",
    "openai.moderations.create",
    "embeddings_create",
    "openai.embeddings.create",
    "completions_create",
    "responses_create",
    "audio_transcriptions_create",
    "translations_create",
    "summaries_create",
    "predictions_create",
    "analyses_create",
    "forecasts_create",
    "estimates_create",
    "calculations_create",
    "conversions_create",
    "simulations_create",
    "previews_create",
    "searches_create",
    "queries_create",
    "insights_create",
    "market_trends_update",
    "flight_delays_update",
    "covid_cases_update",
    "weather_forecasts_update",
    "trending_topics_update",
    "images_create",
]


@pytest.mark.parametrize("name", COMPUTED)
def test_a_verb_after_what_a_service_computes_or_reports_places_none(name: str) -> None:
    assert action_kind(name, {}) not in SIDE_EFFECTS  # modify on h-kinds30b


#: Records a tool keeps, behind a namespace or not: the verb after them stays placed.
KEPT_RECORDS = [
    "mcp__github__pulls_create",
    "github.pulls.create",
    "mcp__trello__cards_create",
    "mcp__hubspot__crm_contacts_update",
    "notion.pages.update",
    "confluence.pages.create",
    "tasks_update",
    "comments_create",
    "notes_create",
    "documents_update",
    "projects_update",
    "orders_cancel",
    "accounts_update",
    "leads_create",
    "records_update",
    "keys_create",
    "forwarding_rules_create",
    "filters_create",
    "crontabs_update",
]


@pytest.mark.parametrize("name", KEPT_RECORDS)
def test_a_verb_after_records_a_tool_keeps_is_still_placed(name: str) -> None:
    assert action_kind(name, {}) == "modify"
