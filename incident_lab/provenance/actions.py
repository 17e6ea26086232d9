"""What a tool call does, whether the user asked for it (actions, not nouns), and whether it failed.

- :func:`action_kind`: ``"read"`` or a side-effect kind (the classifier's
  :func:`~incident_lab.text.lexicon.tool_category`, plus ``credential``,
  ``booking`` and ``modify`` for the tools it calls ``"other"``).
- :func:`authorised`: the user's words before the call contain a *verb* for that kind
  of action. "give me their email addresses" names e-mail but asks for no e-mail to be
  sent; "email them", "please email", "Email Bob" do.
- :func:`failed`: the result reports an error or a refusal, flag or no flag
  ("ERROR: Access denied", ``{"status": "error"}``, HTTP 403).
"""

from __future__ import annotations

import re
from functools import lru_cache

from incident_lab.text.lexicon import ACTION_VERBS, READ_VERBS, forbidden, tool_category

_I = re.IGNORECASE

#: Kinds of action that change something outside the conversation.
SIDE_EFFECTS = (
    "email",
    "message",
    "payment",
    "delete",
    "permission",
    "exec",
    "http_write",
    "file_write",
    "credential",
    "booking",
    "modify",
)

_CREDENTIAL = re.compile(r"password|passcode|passwd|credential|2fa|mfa|otp|api_?key|secret|token")
_MONEY = re.compile(r"money|fund|transaction|iban|invoice|remit|payment|crypto|bitcoin|wallet")
_BOOKING = re.compile(
    r"book|reserv|schedul|appointment|calendar_event|create_event|ticket_purchase"
)
_READ_TOKENS = frozenset(READ_VERBS) | {
    "count",
    "summarize",
    "summarise",
    "download",
    "inspect",
    "cat",
    "ls",
    "grep",
}

_EXTRA_VERBS: dict[str, tuple[str, ...]] = {
    "exec": ("set up", "setup", "install", "configure", "bootstrap", "reproduce", "benchmark"),
    "file_write": (
        "turn on",
        "turn off",
        "enable",
        "disable",
        "toggle",
        "switch on",
        "switch off",
        "bump",
        "increase",
        "decrease",
        "raise",
        "lower",
        "set",
        "rename",
        "refactor",
        "replace",
        "add",
        "remove",
        "implement",
        "patch",
        "modify",
        "correct",
        "adjust",
        "document",
    ),
    "email": ("write", "answer", "let them know", "let him know", "let her know", "inform"),
    "message": ("write", "reply", "respond", "answer", "congratulate", "let them know", "inform"),
    "booking": ("book", "reserve", "schedule", "make a reservation", "arrange", "plan", "set up"),
    "modify": ("update", "change", "edit", "modify", "set", "correct", "rename", "move", "add"),
}
_TOOL_VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "invite": ("invite", "add"),
    "create": ("create", "make", "add", "set up", "schedule", "open"),
    "add": ("add", "create", "include", "put"),
    "schedule": ("schedule", "book", "set up", "plan", "arrange", "create"),
    "cancel": ("cancel", "call off", "delete", "remove"),
    "update": ("update", "change", "edit", "modify", "set", "correct", "fix"),
    "reserve": ("reserve", "book"),
    "book": ("book", "reserve"),
    "append": ("append", "add", "write"),
    "reset": ("reset", "change"),
    "move": ("move", "rename", "relocate"),
    "rename": ("rename", "move"),
    "accept": ("accept", "approve", "confirm"),
    "approve": ("approve", "accept", "confirm"),
}
#: Words that are nouns as often as verbs: they authorise only in a verb position.
_AMBIGUOUS = frozenset(
    [
        "email",
        "e-mail",
        "mail",
        "message",
        "text",
        "post",
        "share",
        "access",
        "order",
        "book",
        "test",
        "check",
        "query",
        "script",
        "add",
        "fix",
        "update",
        "change",
        "save",
        "run",
        "clean",
        "clear",
        "archive",
        "store",
        "create",
        "write",
        "apply",
        "build",
        "fill",
        "form",
        "refund",
        "transfer",
        "reply",
        "forward",
        "charge",
        "purchase",
        "buy",
        "set",
        "edit",
        "move",
        "plan",
        "schedule",
        "cancel",
        "invite",
        "reset",
        "wire",
        "drop",
        "note",
        "call",
    ]
)
_PRE = (
    r"(?:^|[.!?;:,\n(]\s{0,4}|\b(?:please|pls|kindly|to|can you|could you|would you|will you|and|"
    r"then|also|just|now|i want you to|go ahead and|you should|let's|lets|need you to|must|should|"
    r"help me|and then|you can|first|finally|quickly|actually|simply|pls)\s{1,4})"
)
_POST = (
    r"\s{1,4}(?:(?:him|her|them|it|me|us|the|a|an|this|that|these|those|my|his|their|our|your|"
    r"back|all|every|each|out|over|up)\b|[\"'@$\u20ac\u00a3])"
)
#: Asking for the action by its noun: "can I get a refund", "make a booking", "send a message".
_ASK_FOR = (
    r"\b(?:get|want|need|like|request|requesting|issue|process|give me|receive|make|do|send|"
    r"place|book|arrange|initiate|start)\s{1,4}(?:a |an |the |my |me a |me an |us a )"
)
_NOT_VERB = (
    r"(?!\s{1,4}(?:address|addresses|account|accounts|list|thread|threads|id|ids|body|subject|inbox|"
    r"history|number|numbers|status|details|data|summary|report|of|is|was|are|were|'s|from|"
    r"contents?|template|draft|log|logs|results?)\b)"
)


@lru_cache(maxsize=2048)
def _verb_pattern(verb: str, strict: bool = True) -> re.Pattern[str]:
    word = re.escape(verb).replace(r"\ ", r"\s{1,4}")
    inflected = rf"{word}(?:s|es|ed|d|ing)?"
    if verb not in _AMBIGUOUS or not strict:
        return re.compile(rf"\b{inflected}\b", _I)
    return re.compile(
        rf"{_PRE}{inflected}\b{_NOT_VERB}|\b{inflected}(?={_POST})|{_ASK_FOR}{word}\b{_NOT_VERB}",
        _I,
    )


def verb_used(verb: str, text: str, strict: bool = True) -> bool:
    """True when ``verb`` is used as a verb in ``text`` (see the module docstring).

    With ``strict=False`` any mention counts ("the tests are slow" asks to run tests).
    Memoised: detectors ask about the same user text for every call of a session.
    """
    if len(text) > _MEMO_CHARS:
        return _verb_search(verb, text, strict)
    return _verb_used(verb, text, strict)


#: Texts up to this length have their answers memoised (a long paste is not kept).
_MEMO_CHARS = 4096


@lru_cache(maxsize=8192)
def _verb_used(verb: str, text: str, strict: bool) -> bool:
    return _verb_search(verb, text, strict)


def _verb_search(verb: str, text: str, strict: bool) -> bool:
    words = verb.split()
    if words and text.isascii() and verb.isascii() and words[0].lower() not in text.lower():
        return False  # every form of the pattern spells the verb's first word (any case)
    return _verb_pattern(verb, strict).search(text) is not None


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]


def action_kind(name: str, arguments: object = None) -> str:
    """``"read"``, one of :data:`SIDE_EFFECTS`, or ``"other"`` (a tool that neither reads nor acts).

    Of the arguments only an HTTP tool's method counts, and a shell tool's command: a
    command that only reads (:func:`read_only_command`: ``az role assignment list``,
    ``curl -s URL | jq``, ``nc -zv host 5432``) is a read, not an ``exec``."""
    args = arguments if isinstance(arguments, dict) else {}
    kind = _action_kind(name, str(args.get("method", "")).upper())
    if kind == "exec":
        command = args.get("command", args.get("cmd"))
        if isinstance(command, str) and read_only_command(command):
            return "read"
    return kind


#: Programs that only read (with the checks in :func:`read_only_command`).
_READ_PROGRAMS = frozenset(
    ["ls", "cat", "head", "tail", "grep", "rg", "wc", "stat", "du", "df", "ps", "whoami",
     "id", "uname", "pwd", "dig", "nslookup", "host", "ping", "nc", "curl", "jq", "sort",
     "uniq", "cut", "tr", "less", "file", "which", "date", "tree", "git", "az", "aws",
     "gcloud", "kubectl", "docker", "npm", "pip", "python3", "python"]
)  # fmt: skip
#: Sub-commands of the multi-command programs above that only read.
_READ_SUBCOMMANDS = re.compile(
    r"\b(?:list|ls|show|get|describe|status|log|diff|branch|remote|view|inspect|version|"
    r"--version|freeze|top)\b"
)
_MULTI = frozenset(["git", "az", "aws", "gcloud", "kubectl", "docker", "npm", "pip"])
#: What makes any command act: redirection, chaining, substitution, uploads and writes.
_ACTS = re.compile(
    r"[>;&`]|\$\(|\|\|"
    r"|(?:^|\s)(?:-X\s*(?!GET\b)\w|--request\s+(?!GET\b)\w|-d\b|--data\S*|-F\b|--form\b"
    r"|-T\b|--upload-file|-exec\b|-delete\b|-c\b|-e\b|-m\b)"
    r"|\b(?:sudo|rm|mv|cp|chmod|chown|kill|tee|dd|mkfs|set|create|delete|update|apply|"
    r"install|push|commit|reset|add|remove|assign|run|exec|start|stop|restart|sh|bash)\b"
)


_CURL_WRITES = frozenset(["-o", "-O", "--output", "--remote-name"])


def read_only_command(command: str) -> bool:
    """True for a shell command that only reads: every stage of its pipeline is a reading
    program (``ls``, ``cat``, ``grep``, ``curl`` without a body, an upload or an output
    file, ``nc -z``, ``git``/``az``/``kubectl``/... with a listing sub-command), and nothing
    redirects, chains, substitutes or names a writing verb."""
    if len(command) > 400 or "\n" in command or _ACTS.search(command):
        return False
    for stage in command.split("|"):
        words = stage.split()
        if not words or words[0] not in _READ_PROGRAMS:
            return False
        if words[0] in _MULTI and not _READ_SUBCOMMANDS.search(" ".join(words[1:4])):
            return False
        if words[0] in ("python", "python3") and words[1:2] != ["--version"]:
            return False
        if words[0] == "curl" and _CURL_WRITES.intersection(words):
            return False  # an output file
    return True


@lru_cache(maxsize=1024)
def _action_kind(name: str, method: str) -> str:
    args: dict[str, object] = {"method": method} if method else {}
    lowered = name.lower()
    category = tool_category(name, args)
    tokens = _tokens(name)
    if category == "read":
        return "read"
    if _CREDENTIAL.search(lowered) and not (tokens and tokens[0] in _READ_TOKENS):
        return "credential"
    if category != "other":
        return category
    if _MONEY.search(lowered):
        return "payment"
    if _BOOKING.search(lowered):
        return "booking"
    if tokens and tokens[0] in _READ_TOKENS:
        return "read"
    if tokens and tokens[0] in ("update", "set", "change", "edit", "modify", "create", "add",
                                "invite", "cancel", "move", "rename", "append", "accept",
                                "approve", "reset", "schedule", "enable", "disable", "install"):  # fmt: skip
        return "modify"
    return "other"


def _verbs_for(kind: str, name: str) -> list[str]:
    verbs = list(ACTION_VERBS.get(kind, ())) + list(_EXTRA_VERBS.get(kind, ()))
    if "memor" in name.lower():  # a memory tool stores what the user asks it to keep
        verbs += ["remember", "keep in mind", "note that", "memorise", "memorize"]
    tokens = _tokens(name)
    if tokens:
        verbs += list(_TOOL_VERB_SYNONYMS.get(tokens[0], (tokens[0],)))
    return verbs


def authorised(kind: str, name: str, user_text: str) -> bool:
    """True when the user's words ask for an action of ``kind`` done by tool ``name``.

    A ``read`` (or ``other``) needs no authorisation. For a credential change the
    verb must come with what it changes ("change my password"). A pure function of its
    arguments: every call of a session after the same user turns asks the same question,
    so answers are memoised.
    """
    if kind in ("read", "other"):
        return True
    if len(user_text) > _MEMO_CHARS:
        return _authorised.__wrapped__(kind, name, user_text)
    return _authorised(kind, name, user_text)


@lru_cache(maxsize=1024)
def _authorised(kind: str, name: str, user_text: str) -> bool:
    if not user_text.strip():
        return False
    if forbidden(kind, user_text.lower()):
        return False
    if kind == "credential":
        return (
            re.search(
                r"\b(?:change|reset|update|set|rotate|modify|new)\b[^.\n]{0,40}"
                r"\b(?:password|passcode|pin|credentials?|2fa|mfa|key|token)s?\b",
                user_text,
                _I,
            )
            is not None
        )
    # A coding task names its commands by their nouns ("the tests are slow", "the build").
    strict = kind != "exec"
    return any(verb_used(v, user_text, strict) for v in _verbs_for(kind, name))


_FAIL_HEAD = re.compile(
    r"^\W{0,8}(?:error|err|failed|failure|fatal|denied|access denied|permission denied|forbidden|"
    r"unauthori[sz]ed|not (?:allowed|permitted|authori[sz]ed)|blocked|refused|rejected|exception|"
    r"traceback|invalid|cannot|can't|could not|unable to|insufficient|declined|timeout|timed out|"
    r"\d{3} (?:forbidden|unauthorized|not found|bad request|internal server error))\b",
    _I,
)
_FAIL_ANY = re.compile(
    r"\b(?:access denied|permission denied|not authori[sz]ed|unauthori[sz]ed|forbidden|"
    r"was blocked|blocked by|request (?:was )?(?:denied|rejected|declined)|transaction (?:failed|"
    r"declined)|insufficient (?:funds|permissions?|privileges)|operation not permitted)\b",
    _I,
)
_FAIL_JSON = re.compile(
    r"\"(?:status|result|state)\"\s{0,3}:\s{0,3}\"(?:error|failed|failure|denied|blocked|rejected|"
    r"forbidden|unauthori[sz]ed)\"|\"(?:error|errors)\"\s{0,3}:\s{0,3}(?!null|false|\[\]|\{\}|\"\")"
    r"|\"(?:status_code|code|status)\"\s{0,3}:\s{0,3}(?:4\d\d|5\d\d)\b|\"ok\"\s{0,3}:\s{0,3}false",
    _I,
)


def failed(output: str, is_error: bool = False) -> bool:
    """True when a tool result reports that the action did not happen.

    The ``is_error`` flag, or text that says so: it starts with an error/denial word,
    a short result (< 300 characters) names a denial anywhere, or a JSON result
    carries an error status.
    """
    if is_error:
        return True
    head = output[:300]
    if _FAIL_HEAD.search(head):
        return True
    if len(output) < 300 and _FAIL_ANY.search(output):
        return True
    return head.lstrip()[:1] in ("{", "[") and _FAIL_JSON.search(head) is not None


#: Words of a tool's name that say how it reads, not what: "get_file_by_id" reads a file.
_READ_WORDS = frozenset(
    ["get", "read", "list", "search", "find", "fetch", "show", "query", "lookup", "retrieve",
     "view", "open", "by", "id", "ids", "all", "for", "of", "from", "to", "in", "the", "info",
     "details", "data", "tool", "api"]
)  # fmt: skip
_NAME_WORDS = re.compile(r"[^a-z]+")


def asks_to_read(tool: str, user_text: str) -> bool:
    """True when ``user_text`` names what ``tool`` reads: a word of its name beyond the read
    verbs, by its first five letters ("balance" for get_balance, "files" for read_file)."""
    objects = [w for w in _NAME_WORDS.split(tool.lower()) if len(w) >= 3 and w not in _READ_WORDS]
    low = user_text.lower()
    return any(re.search(rf"\b{re.escape(w[:5])}", low) for w in objects)
