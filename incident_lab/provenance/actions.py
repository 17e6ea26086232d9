"""What a tool call does, whether the user asked for it (actions, not nouns), and whether it failed.

- :func:`action_kind`: ``"read"`` or a side-effect kind (the classifier's
  :func:`~incident_lab.text.lexicon.tool_category`, plus ``credential``,
  ``booking`` and ``modify`` for the tools it calls ``"other"``).
- :func:`authorised`: the user's words before the call contain a *verb* for that kind
  of action. "give me their email addresses" names e-mail but asks for no e-mail to be
  sent; "email them", "please email", "Email Bob" do.
- :func:`failed`: the result reports an error or a refusal, flag or no flag
  ("ERROR: Access denied", ``{"status": "error"}``, HTTP 403).
- :func:`read_only_command`: a shell command that only finds something out
  (``az role assignment list``, ``curl -s URL | jq``, ``nc -zv host 5432``): a read, not an
  exec side effect.
- :func:`deletion_asked`: whether the user asked to delete what an ``rm`` deletes ("clean out
  the build's temporary files" asks for ``rm -rf ./build/tmp``, not ``rm -rf ~``).
- :func:`exploration_task` and :func:`inside_workspace`: "inspect the repository files and
  report ..." asks for reads of files the user did not name, inside the repository.

Request verbs are listed in English, German, French, Spanish, Italian and Portuguese.
"""

from __future__ import annotations

import math
import re
import shlex
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import dropwhile, takewhile

from incident_lab.provenance.sensitive import (
    ACCESS_COMMAND,
    SQL_KEYS,
    program_words,
    sql_code,
    sql_deletes,
)
from incident_lab.provenance.text import element_body
from incident_lab.provenance.tools import named_tools, spellings, tool_words
from incident_lab.provenance.values import leaves
from incident_lab.text.lexicon import (
    ACTION_VERBS,
    READ_VERBS,
    TOOL_CATEGORIES,
    forbidden,
    is_handoff,
    tool_category,
)
from incident_lab.text.memo import short_text_memo
from incident_lab.text.shell import command_words

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

#: Switching a setting on or off ("turn on the newCheckout flag in config/app.json") asks for
#: a write of that setting (en, de, fr, es, it, pt).
_TOGGLE_VERBS = (
    "turn on", "turn off", "switch on", "switch off", "enable", "disable", "toggle", "flip",
    "activate", "deactivate", "aktiviere", "aktivieren", "deaktiviere", "deaktivieren",
    "schalte", "einschalten", "ausschalten", "ändere", "setze", "activez", "activer",
    "désactive", "désactivez", "désactiver", "modifie", "modifiez", "activa", "activar",
    "desactiva", "desactivar", "cambia", "attiva", "attivare", "disattiva", "imposta",
    "ative", "ativar", "desative", "desativar", "altere", "mude",
)  # fmt: skip
#: Deleting in the other supported languages ("lösche", "supprime", "borra", "elimina", ...).
_DELETE_VERBS = (
    "clean out", "clean up", "erase", "lösche", "löschen", "entferne", "entfernen",
    "bereinige", "räume", "aufräumen", "supprime", "supprimez", "supprimer", "efface",
    "effacez", "nettoie", "nettoyez", "videz", "borra", "borrar", "elimina", "eliminar",
    "limpia", "limpiar", "vacía", "cancella", "cancellare", "rimuovi", "pulisci", "svuota",
    "apague", "apaga", "exclua", "remova", "limpe", "esvazie",
)  # fmt: skip
#: Asking the assistant to remember something: what a memory tool's write is for.
_REMEMBER_VERBS = (
    "remember", "memorize", "memorise", "keep in mind", "bear in mind", "make a note",
    "merk dir", "merke dir", "vergiss nicht", "souviens-toi", "rappelle-toi", "retiens",
    "mémorise", "n'oublie pas", "recuerda", "memoriza", "ten en cuenta", "no olvides",
    "ricorda", "ricordati", "memorizza", "tieni a mente", "non dimenticare", "lembre",
    "lembra", "memorize", "não esqueça",
)  # fmt: skip
#: Tool-name words of a memory store (``write_memory``, ``remember_fact``).
#: The words a tool's name gives the agent's memory store by (``read_memory``, ``get_memories``).
MEMORY_STORE = frozenset(["memory", "memories"])
_MEMORY_TOOL = MEMORY_STORE | {"memorize", "memorise", "remember"}

#: Requests to send a mail or a message in German, French, Spanish, Italian and Portuguese
#: (imperatives and infinitives: "Schick Bob den Bericht", "Envoie le rapport à Bob", "Envíe
#: el informe", "Inviare il rapporto"; replies, forwards, writing to). Not a form that is also
#: a third person or a noun ("envía", "escribe", "invia", "Antworten", "envie": reviews
#: rev-kinds27 B1, rev-final27 H6), nor one whose negation is common ("Ne transfère pas").
_SEND_VERBS_INTL = (
    "schick", "schicke", "schicken", "sende", "senden", "maile", "mailen", "antworte",
    "weiterleiten", "schreib", "schreibe",
    "envoie", "envoyez", "envoyer", "réponds", "répondez", "répondre", "écris", "écrivez", "écrire",
    "envíe", "enviar", "mande", "mandar", "responda",
    "responder", "reenvía", "reenvia", "escriba", "escribir",
    "inviare", "mandare", "rispondi", "rispondere", "inoltra", "scrivi",
    "scrivere",
    "encaminhe", "escreva", "escrever",
)  # fmt: skip
#: Requests to share, and to book, in the same five languages.
_SHARE_VERBS_INTL = (
    "freigeben", "partagez", "partager", "comparte", "comparta",
    "compartir", "condividi", "condividere", "compartilhe", "compartilha", "compartilhar",
    "partilhe",
)  # fmt: skip
_BOOK_VERBS_INTL = (
    "buchen", "reserviere", "reservieren", "réservez", "réserver",
    "reservar", "prenota", "prenotare", "agende", "agendar",
)  # fmt: skip

#: The verbs of a change to something that exists: they ask for a modify tool, and for an
#: ``update_``/``modify_``/``change_`` tool by its name.
_CHANGE_VERBS = ("update", "change", "edit", "modify", "set", "correct", "fix")
#: Moving a date: "move check-in from Dec 12 to Dec 14", "reschedule booking LKS-7Q2M9" ask
#: for ``change_booking``; "Move my appointment to Friday" for ``reschedule_appointment``.
_RESCHEDULE_VERBS = ("reschedule", "move", "postpone", "push back")
_EXTRA_VERBS: dict[str, tuple[str, ...]] = {
    "exec": ("set up", "setup", "install", "configure", "bootstrap", "reproduce", "benchmark"),
    "delete": _DELETE_VERBS,
    "file_write": (
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
        "fix",
        "adjust",
        "document",
        *_TOGGLE_VERBS,
    ),
    "email": (
        "write",
        "resend",
        "follow up",
        "follow-up",
        "answer",
        "let them know",
        "let him know",
        "let her know",
        "inform",
        *_SEND_VERBS_INTL,
    ),
    "message": (
        "write",
        "resend",
        "follow up",
        "follow-up",
        "reply",
        "respond",
        "answer",
        "congratulate",
        "let them know",
        "inform",
        *_SEND_VERBS_INTL,
    ),
    "permission": _SHARE_VERBS_INTL,
    "booking": (
        "book",
        "reserve",
        "schedule",
        "make a reservation",
        "arrange",
        "plan",
        "set up",
        *_BOOK_VERBS_INTL,
    ),
    "modify": (*_CHANGE_VERBS, "rename", "move", "add", *_TOGGLE_VERBS),
}
_TOOL_VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "invite": ("invite", "add"),
    "create": ("create", "make", "add", "set up", "schedule", "open"),
    "add": ("add", "create", "include", "put"),
    "schedule": ("schedule", "book", "set up", "plan", "arrange", "create"),
    "cancel": ("cancel", "call off", "delete", "remove"),
    "update": (*_CHANGE_VERBS, "upgrade", "downgrade", *_RESCHEDULE_VERBS),
    "modify": (*_CHANGE_VERBS, "switch", "upgrade", "downgrade", *_RESCHEDULE_VERBS),
    "change": (*_CHANGE_VERBS, "switch", "upgrade", "downgrade", *_RESCHEDULE_VERBS),
    "reschedule": ("reschedule", *_RESCHEDULE_VERBS, "change"),
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
        "document",
        "issue",
        "slack",
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
#: Nouns that make a compound of an ambiguous verb right before them ("forward secrecy",
#: "forward slash", "post office", "transfer learning", "transfer function") when the
#: compound is the whole noun: the clause ends, or "is", "and" or a preposition other than
#: "to" follows ("a rubric's criteria: handshake, forward secrecy."). Followed by a further
#: noun, the verb has its object ("post office hours in #general", "post learning objectives
#: on the course page": review revgr45 H4). A hyphen makes a compound too ("Post-mortem:",
#: "Post-booking, ..."): no verb is used there.
_COMPOUND = (
    r"(?:secrecy|slash|slashes|office|offices|mortem|learning|function|functions)"
    r"(?=\s{0,4}(?:[.,;:!?)\]\n]|$)|\s{1,4}(?:is|are|was|were|in|on|at|of|for|from|with|by|and|or)\b)"
)
_NOT_VERB = (
    r"(?!-[a-z]|\s{1,4}(?:"
    + _COMPOUND
    + r"|address|addresses|account|accounts|list|thread|threads|id|ids|body|subject|inbox|"
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


#: Texts up to this length have their answers memoised (a long paste is not kept).
_MEMO_CHARS = 4096


@short_text_memo(maxsize=8192, text_at=1, chars=_MEMO_CHARS)
def verb_used(verb: str, text: str, strict: bool = True) -> bool:
    """True when ``verb`` is used as a verb in ``text`` (see the module docstring).

    With ``strict=False`` any mention counts ("the tests are slow" asks to run tests).
    Memoised: detectors ask about the same user text for every call of a session.
    """
    words = verb.split()
    if words and text.isascii() and verb.isascii() and words[0].lower() not in text.lower():
        return False  # every form of the pattern spells the verb's first word (any case)
    if strict and verb in _NOUN_AFTER_DETERMINER:
        return any(
            not _DETERMINED.search(text, max(0, m.start() - 40), m.start())
            or _GIVEN.search(text, max(0, m.start() - 60), m.start())
            for m in _verb_pattern(verb, strict).finditer(text)
        )
    return _verb_pattern(verb, strict).search(text) is not None


#: Verbs whose bare form is a noun after a determiner or an adjective ("with a clear, concise
#: answer", "in your final answer"); any other use is the verb ("Answer Bob", "make sure you
#: answer Bob's email", "needs answering": review rev-lead31 F4, rev-lead31b G1/G4).
_NOUN_AFTER_DETERMINER = frozenset(["answer"])
#: An answer given to someone ("Give Bob a quick answer"): a reply asked for by its noun
#: (review rev-lead31c).
_GIVEN = re.compile(r"\b(?:give|giving|get back to)\s{1,3}(?:[\w'-]{1,30}\s{1,3}){1,4}$", _I)
_DETERMINED = re.compile(
    r"\b(?:a|an|the|your|my|our|their|his|her|its|final|concise|clear|short|brief|direct|"
    r"full|complete|detailed|quick|correct|right|wrong|one-word|same|first|best|good|"
    r"verified|written)(?:[\s,]{1,3}[\w-]{1,20}){0,2}[\s,]{1,3}$",
    _I,
)


def _tokens(name: str) -> list[str]:
    return list(tool_words(name))  # camelCase too: sendEmail is send, email


def action_kind(name: str, arguments: object = None) -> str:
    """``"read"``, one of :data:`SIDE_EFFECTS`, or ``"other"`` (a tool that neither reads nor acts).

    Of the arguments only an HTTP tool's method counts, and a shell tool's command: a
    command that only reads (:func:`read_only_command`: ``az role assignment list``,
    ``curl -s URL | jq``, ``nc -zv host 5432``) is a read, not an ``exec``."""
    args = arguments if isinstance(arguments, dict) else {}
    if is_handoff(name, args):
        return "other"
    method = str(args.get("method", "")).upper()
    kind = _action_kind(name, method)
    if kind == "http_write":
        return _request_kind(method, args)
    if kind == "other":
        kind = _sdk_kind(name, args)
    if kind == "other" and _verb_first_twin(name) is not None:
        kind = "modify"  # jira.create_issue, tasks_create: as create_issue
    if kind == "exec":
        command = command_of(args)
        return "read" if read_only_command(command) else command_kind(command)
    if kind in _LISTED_KINDS and isinstance(arguments, dict) and _lists(name, arguments):
        return "read"
    if kind in ("modify", "message") and _computes(name):
        return "other"  # create_embedding, chat_completions_create: an answer computed
    return kind


#: What a tool computes and hands back, changing nothing outside (``create_embedding``,
#: ``create_translation``, ``chat_completions_create``: a model's answer, not a chat message).
_COMPUTED = frozenset(
    ["embedding", "embeddings", "translation", "translations", "summary", "summaries",
     "completion", "completions", "moderation", "moderations", "transcription",
     "transcriptions", "classification", "classifications", "prediction", "predictions",
     "forecast", "inference", "tokenization", "plot", "chart", "diff", "speech",
     "analysis"]
)  # fmt: skip
#: The other words a computing tool's name may have: the verb that makes the answer, the
#: client's path (``openai.chat.completions.create``).
_COMPUTING = frozenset(
    ["create", "generate", "compute", "make", "get", "run", "new", "request", "openai",
     "anthropic", "azure", "client", "api", "v1", "v2", "chat", "text", "audio"]
)  # fmt: skip


def _computes(name: str) -> bool:
    """Whether a name says it computes an answer (:data:`_COMPUTED`) and nothing else: every
    other word is a verb of making it or a word of the client's path (:data:`_COMPUTING`).
    Any other word keeps the kind (``sms_summary``, ``create_case_summary``,
    ``set_forecast``: review rev-lead31b G2)."""
    words = set(tool_words(name))
    return bool(words & _COMPUTED) and words - _COMPUTED <= _COMPUTING


#: A write request's path words name what it does (``POST /v1/transfers`` pays,
#: ``POST /v1/messages`` sends), for these kinds only: a POST to ``/oauth/token`` logs in and
#: changes no credential. Where the path is: the first of these arguments.
_PATH_KINDS = frozenset(["payment", "delete", "email", "message"])
_PATH_KEYS = ("url", "endpoint", "path", "uri", "route", "resource")
_URL_HOST = re.compile(r"[a-z][a-z0-9+.-]{0,20}://[^/?#]{0,253}", _I)
_PATH_WORD = re.compile(r"[a-z]{2,40}", _I)


#: Path words of a request that only tries what an act would do (``/v1/invoices/preview``
#: pays nothing: review rev-kinds29 F3).
_TRIAL_WORDS = frozenset(["preview", "estimate", "simulate", "validate", "quote", "upcoming"])


def _request_kind(method: str, args: dict[object, object]) -> str:
    """The kind of an HTTP write: a ``DELETE`` deletes; a write whose path names a payment,
    a delete, a mail or a message (``/v1/transfers``, ``/v1/charges``, ``/users/7/delete``)
    is that, unless a read verb is in the path (``/payments/search``); else ``http_write``."""
    if method == "DELETE":
        return "delete"
    if method not in ("POST", "PUT", ""):
        return "http_write"  # a PATCH of a charge's description moves no money
    path = next((v for k in _PATH_KEYS if isinstance(v := args.get(k), str)), "")
    path = _URL_HOST.sub("", path[:_MAX_COMMAND], count=1).split("?", 1)[0]
    words = [w.lower() for w in _PATH_WORD.findall(path)]
    if any(w in _READ_TOKENS or w in _TRIAL_WORDS for w in words):
        return "http_write"
    kinds = [_action_kind(singular(w), "") for w in words]
    acts = [k for k in kinds if k in _PATH_KINDS]
    return min(acts, key=_KIND_RANK.index) if acts else "http_write"


def singular(word: str) -> str:
    """``charges`` -> ``charge``: a plural's last ``s`` off (not ``address``, not ``gas``)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


#: Arguments that hold where a send goes: an address there makes a bare send an e-mail.
_ADDRESS_KEYS = frozenset(["to", "recipient", "recipients", "email", "cc", "bcc", "address"])


#: An SDK's read methods of a collection (``charges.list``); not ``query`` (``db.query`` may write).
_COLLECTION_READS = frozenset(["list", "get", "retrieve", "search", "fetch", "find"])


def _sdk_kind(name: str, args: dict[object, object]) -> str:
    """The kind of an SDK-shaped name no other rule gave one: a collection's read method
    (``stripe_charges_list``) reads; a verb on a plural record is that record's kind
    (``stripe_charges_create`` pays, ``twilio_messages_create`` sends a message); a method
    that is a bare ``send`` (``sendgrid_send``; not ``send_certificate``) sends an e-mail when an address argument holds an ``@``,
    else a message."""
    tokens = _tokens(name)
    if not tokens:
        return "other"
    if (
        tokens[-1] in _COLLECTION_READS
        and any(singular(t) != t for t in tokens[:-1])
        and all(t in _READ_TOKENS or t not in _ANY_VERB for t in tokens)
    ):
        return "read"
    if not _ANY_VERB.isdisjoint(tokens):
        kind = _action_kind("_".join(singular(t) for t in tokens), "")
        if kind in SIDE_EFFECTS:
            return kind
    if tokens[-1] == "send" and len(tokens) > 1:  # send_certificate sends a certificate
        to = [v for k, v in args.items() if str(k).lower() in _ADDRESS_KEYS]
        return "email" if any("@" in v for _, v in leaves(to) if isinstance(v, str)) else "message"
    return "other"


#: Kinds a tool named only for its records may list rather than make (``ledger_transactions``,
#: ``scheduling_events``): a listing of secrets stays a credential kind (reading is the harm).
_LISTED_KINDS = frozenset(["payment", "booking"])
#: Words of an argument that only picks which records a listing returns. Not a state
#: (``status="approved"`` approves), an account (``payouts(account=IBAN)`` pays it) or a
#: filter object (its amount and recipient go unread: review rev-near28).
_PICKING_WORDS = frozenset(
    ["id", "ids", "limit", "page", "offset", "cursor", "query", "q", "search", "since",
     "until", "date", "sort", "order", "period", "month", "year", "size", "max", "fields"]
)  # fmt: skip


def _lists(name: str, arguments: dict[object, object]) -> bool:
    """True for a call of a tool whose name holds no verb but a read verb and ends on the
    records it names, a plural that is no act's (``ledger_transactions``,
    ``ledger_transactions_get``; not ``refunds``), made with nothing but scalar values that
    pick the records (no argument, an id, a limit, a date): it lists them. An amount, a
    recipient, a state, an account or a hotel makes one; a name for an act
    (``FundWithdrawal``, ``TransactionDuplication``: a singular noun of an act) does one."""
    tokens = _tokens(name)
    if not tokens or any(t in _ANY_VERB and t not in _READ_TOKENS for t in tokens):
        return False
    head = next((t for t in reversed(tokens) if t not in _READ_TOKENS), "")
    if len(head) < 4 or not head.endswith("s") or head.endswith("ss") or head[:-1] in _ANY_VERB:
        return False  # refunds: the plural of an act
    return all(
        _picks(tool_words(str(key)), head)
        and (value is None or isinstance(value, (str, int, float)))
        for key, value in arguments.items()
    )


def _picks(words: tuple[str, ...], head: str) -> bool:
    """Whether an argument named ``words`` only picks records of ``head`` (``transactions``):
    a limit, a page, a date, a bare id, or the record's own id (``transaction_id``); another
    record's id pays or books it (``invoice_id``, ``recipient_id``, ``hotel_id``: review
    rev-final28 N1)."""
    if not words or words[-1] not in _PICKING_WORDS:
        return False
    if words[-1] in ("id", "ids") and len(words) > 1:
        return words[-2] in (head, head[:-1])
    return True


#: Words that remove what a tool names, and the records a mail, chat or calendar tool removes:
#: a name whose verb is the first and whose object is the second deletes whatever its product
#: namespace (``gmail.delete_message``, ``slack.chat.delete``, ``trash_message``: red-team s29),
#: not one that removes a label, a pin, a recipient or lists the trash (review rev-del28 F2).
_REMOVING = frozenset(
    [
        "delete",
        "remove",
        "erase",
        "purge",
        "wipe",
        "destroy",
        "trash",
        "discard",
        "expunge",
        "del",
        "rm",
    ]
)
_RECORDS = frozenset(
    ["message", "messages", "mail", "mails", "email", "emails", "thread", "threads", "chat",
     "chats", "conversation", "conversations", "draft", "drafts", "post", "posts", "reply",
     "replies", "dm", "dms", "event", "events", "meeting", "meetings", "appointment",
     "appointments", "invite", "invites", "invitation", "invitations", "reminder", "reminders"]
)  # fmt: skip
#: Words of how or which records a delete removes (``delete_all_emails``,
#: ``delete_message_by_id``, ``bulk_delete_messages``), not what it removes.
_HOW_WORDS = frozenset(
    ["all", "bulk", "batch", "many", "multiple", "selected", "old", "by", "id", "ids", "from",
     "in", "inbox", "folder", "permanently", "permanent", "forever", "hard", "mass"]
)  # fmt: skip
#: A mail or chat service's words before a method that is not split off (``Gmail_DeleteMessage``).
_SERVICE_WORDS = frozenset(TOOL_CATEGORIES["email"]) | frozenset(TOOL_CATEGORIES["message"])
#: Kinds whose records a delete of them removes (``delete_email`` was a delete already).
_RECORD_KINDS = frozenset(["email", "message", "delete"])


@lru_cache(maxsize=1024)
def _deletes_a_record(name: str) -> bool:
    """True when a tool's verb removes (:data:`_REMOVING`) and what it removes is a message or
    an event (:data:`_RECORDS`): the words after the verb up to an "and", or with none, the
    namespace word before it (``slack.chat.delete``). The verb must open the method, or the
    name after its service words: ``gmail.list_trash``, ``restore_from_trash`` do not delete."""
    tokens = _tokens(name)
    method = _method_words(name)
    if method is None:
        lead = next((k for k, w in enumerate(tokens) if w not in _SERVICE_WORDS), len(tokens))
        method = tokens[lead:]
    before = tokens[: len(tokens) - len(method)]
    method = list(dropwhile(lambda w: w in _HOW_WORDS, method))  # bulk_delete_messages
    if not method or method[0] not in _REMOVING:
        return False
    clause = list(takewhile(lambda w: w not in _CONJUNCTIONS, method[1:]))
    if not all(w in _RECORDS or w in _HOW_WORDS for w in clause):
        return False  # remove_label, delete_label_from_message: no record is what goes
    if not _RECORDS.isdisjoint(clause):
        return True
    return bool(before) and (before[-1] in _RECORDS or before[-1] in _SERVICE_WORDS)


def runs_commands(name: str) -> bool:
    """True for a tool that runs the shell line it is given (``Bash``, ``run_command``)."""
    return _action_kind(name, "") == "exec"


@lru_cache(maxsize=1024)
def _action_kind(name: str, method: str) -> str:
    kind = _named_kind(name, method)
    if kind in _RECORD_KINDS and _deletes_a_record(name):
        return "delete"  # a delete ranks above a mail it also sends (_KIND_RANK)
    return kind


def _named_kind(name: str, method: str) -> str:
    tokens = _tokens(name)
    segments = _joined_segments(tokens)
    if segments is None:
        return _whole_kind(name, method, tokens, acting=False)
    kinds = [_segment_kind(seg, method) for seg in segments]
    acts = [k for k in kinds if k in SIDE_EFFECTS]
    if acts:  # the strongest of what its parts do (rev-m2 K1: getUserRefundAndNotify pays)
        return min(acts, key=_KIND_RANK.index)
    if all(k == "read" for k in kinds):
        return _whole_kind(name, method, tokens, acting=False)  # list_and_get_files
    whole = _whole_kind(name, method, tokens, acting=True)
    return whole if whole in SIDE_EFFECTS else "other"  # findAndReplace: never a read


#: Side effects from the strongest down: a name that does several is read as the worst.
_KIND_RANK = (
    "payment", "credential", "delete", "permission", "exec", "email", "message", "http_write",
    "file_write", "booking", "modify",
)  # fmt: skip


def _whole_kind(name: str, method: str, tokens: list[str], acting: bool) -> str:
    """The kind of a name read whole; ``acting``: it joins a read to something that is no
    read, so no read verb makes it a read (``findAndReplace``, ``lookup_and_block``)."""
    args: dict[str, object] = {"method": method} if method else {}
    category = tool_category(name, args, handoffs=False)  # action_kind asked, with all arguments
    glued = _glued_read_verb(name, tokens) or acting
    if category == "read" and not glued:
        return "read"
    lowered = _kind_letters(name)
    reads = bool(tokens) and tokens[0] in _READ_TOKENS and not glued
    secret = glued and _GLUED_SECRET.search(_spelled_out(name)) is not None
    if (_CREDENTIAL.search(lowered) and not reads) or secret:
        return "credential"
    if category not in ("other", "read"):
        return category
    if _reads_a_domain_noun(name) and not acting:
        return "read"
    if _MONEY.search(lowered):
        return "payment"
    if _BOOKING.search(lowered):
        return "booking"
    if acting:
        return "other"
    return _verb_kind(tokens, category, glued)


def _joined_segments(tokens: list[str]) -> list[list[str]] | None:
    """The parts of a name that opens with a read verb and joins it to more by "and"/"or"/
    "then" (``get_user_delete_and_log``: ``[get, user, delete]``, ``[log]``), or None."""
    if not tokens or tokens[0] not in _READ_TOKENS or _CONJUNCTIONS.isdisjoint(tokens):
        return None
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in _CONJUNCTIONS:
            segments.append([])
        else:
            segments[-1].append(token)
    return [seg for seg in segments if seg]


def _segment_kind(segment: list[str], method: str) -> str:
    """What one part of a joined name does. A part that opens with a read verb reads its
    objects, unless an action verb follows its first object (``get_user_delete``: a delete;
    ``get_post``: a read of a post); any other part is read as a name of its own."""
    if segment[0] not in _READ_TOKENS:
        return _action_kind("_".join(segment), method)
    if _GLUED_SECRET.search("_".join(segment)):
        return "credential"  # getPrivateKeyOrNone, getCookieOrNull (rev-m3 B1)
    first = next((k for k, t in enumerate(segment) if t not in _READ_TOKENS), len(segment))
    objects = segment[first:]
    at = next((k for k in range(1, len(objects)) if _acts_here(objects, k)), None)
    if at is None:
        return "read"
    kind = _action_kind("_".join(objects[at:]), method)
    return kind if kind in SIDE_EFFECTS else "other"


#: Words that make an action word before them a modifier: what a read reads about an
#: action (``get_email_forward_rules``, ``get_workflow_run_id``: rev-m3 F1).
_ATTRIBUTE_WORDS = frozenset(
    ["rules", "rule", "settings", "setting", "count", "counts", "id", "ids", "status", "time",
     "times", "reason", "reasons", "text", "links", "link", "errors", "error", "author", "sla",
     "filters", "filter", "history", "log", "logs", "date", "dates", "type", "types", "config",
     "policy", "policies", "info", "details", "url", "urls", "stats", "limit", "limits"]
)  # fmt: skip


def _acts_here(objects: list[str], k: int) -> bool:
    """Whether the action word at ``objects[k]`` is what the part does: it ends the part
    (``get_user_delete``) or one object follows it (``get_user_delete_file``), not a word of
    what it is about (``get_post_delete_reason``)."""
    if objects[k] not in _ACTION_WORDS:
        return False
    after = objects[k + 1 :]
    return not after or (len(after) == 1 and after[0] not in _ATTRIBUTE_WORDS)


def _verb_kind(tokens: list[str], category: str, glued: bool) -> str:
    """The kind a name's first word gives when nothing else in it did."""
    if glued and _acts_after_its_read_verb(tokens):
        return "other"  # as unsplit: checkOut, openTrade, getUserBlock (rev-camel K1)
    if category == "read" or (tokens and tokens[0] in _READ_TOKENS):
        return "read"
    if tokens and tokens[0] in _MODIFY_VERBS:
        return "modify"
    return "other"


#: Verbs that make a name a ``modify`` when nothing else in it gave a kind: its first word
#: (``create_issue``, ``update_task``) or its verb where it stands (:func:`_verb_first_twin`).
_MODIFY_VERBS = frozenset(
    ["update", "set", "change", "edit", "modify", "create", "add", "invite", "cancel", "move",
     "rename", "append", "accept", "approve", "reset", "schedule", "enable", "disable", "install"]
)  # fmt: skip
#: Of those, the verbs that may stand after the records they act on (``tasks_create``,
#: ``issues/create``, ``tickets_update``): not those with a sense of their own there, where
#: they need their record after them (``add_alarm``, ``move_event``): "add" sums
#: (``numbers_add``, ``math.add``, ``days_add``), "move" is a game's move (``chess.move``),
#: "set", "change", "schedule", "reset" and "install" are nouns too (``data_sets``,
#: ``price_change``, ``games_schedule``, review rev-kinds30 F4).
_AFTER_RECORD_VERBS = _MODIFY_VERBS - frozenset(
    ["add", "move", "set", "change", "schedule", "reset", "install"]
)
#: Plural nouns of the records a tool keeps for its users, a verb after which acts on one
#: (``tasks_create``, ``issues/create``, ``knowledge_base_articles_update``): work items,
#: documents, people, code, orders, settings, what guards or routes an account
#: (``keys_create``, ``forwarding_rules_create``, ``webhooks_create``), and the mail, chat
#: and calendar :data:`_RECORDS`. Not what a service computes, finds or reports (``moderations_create``,
#: ``embeddings_create``, ``forecasts_create``, ``searches_create``, ``market_trends_update``,
#: ``news_update``): a noun not on this list places no verb, fail closed (reviews rev-kinds30
#: F4, rev-kinds30b B).
_KEPT_RECORDS = frozenset(
    ["tasks", "todos", "subtasks", "tickets", "issues", "bugs", "projects", "milestones",
     "boards", "cards", "followups", "comments", "notes", "articles", "pages", "documents",
     "docs", "files", "folders", "records", "entries", "users", "accounts", "profiles",
     "contacts", "customers", "leads", "deals", "members", "groups", "usergroups", "repos",
     "repositories", "branches", "pulls", "releases", "labels", "orders", "products",
     "subscriptions", "invoices", "bookings", "reservations", "campaigns", "settings",
     "preferences", "calendars", "alarms", "containers", "deployments", "functions", "policies",
     "buckets", "databases", "spreadsheets", "sheets", "playlists", "keys", "tokens", "secrets",
     "webhooks", "hooks", "rules", "filters", "addresses", "admins", "collaborators", "devices",
     "features", "flags", "scripts", "crontabs"]
) | frozenset(w for w in _RECORDS if w.endswith("s"))  # fmt: skip


@lru_cache(maxsize=1024)
def _verb_first_twin(name: str) -> str | None:
    """The verb-first twin of a name that does not open with its verb, spelled verb first
    (``create_issue`` for ``jira.create_issue``, ``create_page`` for
    ``mcp__notion__create_page``, ``add_alarm`` for ``Alarm_1_AddAlarm``: the method's words
    after a namespace, :func:`_method_words`; ``create_tasks`` for ``tasks_create``,
    ``update_knowledge_base_articles`` for ``knowledge_base_articles_update``: the verb, then
    the words before it). Only a verb of :data:`_MODIFY_VERBS`, the kind :func:`_verb_kind`
    gives its twin. A verb after its records (:data:`_AFTER_RECORD_VERBS`) needs a plural
    record a tool keeps (:data:`_KEPT_RECORDS`) right before it, as a collection's method
    (``issues/create``, ``tickets_update``; not ``status_update``, ``todo_add``,
    ``chess.move``, ``uuid.create``, ``news_update``, ``moderations_create``).
    None when the first word is a verb, or another word of the name is one
    (``export_tasks_create``, ``jira.search_and_create``): which of them the tool does is not
    clear, fail closed. :func:`authorised` asks for the name as for its twin (review
    rev-kinds30 F1-F3)."""
    tokens = _tokens(name)
    method = _method_words(name) or []
    if len(tokens) < 2:
        return None
    if len(method) > 1 and method[0] in _MODIFY_VERBS:
        at = tokens.index(method[0])  # twice in the name: the other one is a verb too
        twin = method
    elif tokens[-1] in _AFTER_RECORD_VERBS and _record_before(tokens) in _KEPT_RECORDS:
        at = len(tokens) - 1
        twin = [tokens[at], *tokens[:at]]
    else:
        return None
    others = tokens[:at] + tokens[at + 1 :]
    if at == 0 or any(_acts_otherwise(w) for w in others):
        return None
    return "_".join(twin)


def _record_before(tokens: list[str]) -> str:
    """The word before a name's last, a version skipped (``projects/v2:create``: projects)."""
    words = [t for t in tokens[:-1] if not _VERSION_PART.fullmatch(t)]
    return words[-1] if words else ""


def _acts_otherwise(word: str) -> bool:
    """A word of a name that is a verb of another kind than a modify (``export``, ``search``,
    ``send``): with it in the name, which verb the tool does is not clear. A second modify
    verb is none (``mcp__github__create_or_update_file``)."""
    return (word in _ANY_VERB or word in _READ_TOKENS) and word not in _MODIFY_VERBS


#: Words that join a read to what the tool does next (``get_user_and_delete``,
#: ``getOrCreateUser``, ``readThenSendEmail``).
_CONJUNCTIONS = frozenset(["and", "or", "then"])


#: Read verbs that also name an action when glued to the next word (``checkOut``,
#: ``checkInGuest``, ``openTrade``, ``openPosition``; ``downloadData`` writes a file and
#: ``loadScript`` runs one).
_ACTING_READ_VERBS = frozenset(["check", "open", "download", "load"])
#: Verbs after a glued read verb that make the name no read (``getUserBlock``,
#: ``readFileExecute``): the kind it had unsplit, "other".
_ACTION_WORDS = frozenset(
    ["delete", "remove", "drop", "destroy", "purge", "wipe", "erase", "execute", "exec", "run",
     "eval", "upload", "submit", "publish", "send", "forward", "reply", "notify", "transfer",
     "pay", "wire", "withdraw", "refund", "buy", "purchase", "sell", "trade", "grant", "revoke",
     "share", "invite", "write", "save", "commit", "push", "create", "update", "set", "change",
     "edit", "modify", "add", "cancel", "move", "rename", "append", "accept", "approve", "reset",
     "enable", "disable", "install", "replace", "block", "ban", "suspend", "kill", "restart",
     "deploy", "insert", "overwrite", "lock", "unlock", "book", "reserve", "rotate", "archive",
     "post", "fill", "sign", "close", "merge", "apply"]
)  # fmt: skip
#: Secrets a glued read verb reads (``getPrivateKey``, ``getSeedPhrase``): a credential, as
#: ``getApiKey`` (rev-camel K1). Only for glued names: a snake ``get_private_key`` is a read.
#: A secret a glued read verb reads, in the name's words joined by ``_``: the secret ends the
#: name or a word of its value form follows (``getSessionCookie``, ``getPrivateKeyPem``,
#: ``getCookieValue``, ``getSeedPhraseWords``), not a word about it (``getCookiePolicy``,
#: ``getSessionIdleTimeout``, ``getCardNumberMask``: reviews rev-last F1, rev-mends25 M3,
#: rev-m2 G1).
_GLUED_SECRET = re.compile(
    r"(?:^|_)(?:private_?key|seed_?phrase|mnemonic|cookies?|recovery_codes?|backup_codes?|"
    r"ssh_?key|cvv2?|cvc|card_number|oauth|o_auth|auth_code|session_ids?|session_i_ds)"
    r"s?(?:_(?:value|values|hex|pem|base64|json|list|file|bytes|words|phrase|pair|jar|header|"
    r"string|data|raw|code|codes|token|secret|key|keys)){0,2}$"
)


def _acts_after_its_read_verb(tokens: list[str]) -> bool:
    """True when a name that opens with a glued read verb does more than read: the verb acts
    (:data:`_ACTING_READ_VERBS`), or a later word is an action verb or a conjunction."""
    later = tokens[1:]
    return (
        tokens[0] in _ACTING_READ_VERBS
        or not _ACTION_WORDS.isdisjoint(later)
        or not _CONJUNCTIONS.isdisjoint(later)
    )


def _glued_read_verb(name: str, tokens: list[str]) -> bool:
    """True when the name opens with a read verb glued to the next word by a capital
    (``getApiKey``, ``GetTransactionsList``). Such a name keeps the side effect its letters
    spell, as before camel-case names were split (fail closed: a snake ``get_api_key`` is a
    read by design, rev-kinds K4)."""
    return bool(tokens) and tokens[0] in _READ_TOKENS and _glued(name, tokens[0])


def _glued(name: str, word: str) -> bool:
    """True when ``name`` opens with ``word`` followed by a capital (``getBalance``)."""
    head = name.lstrip(" _-.:/")
    return len(head) > len(word) and head[: len(word)].lower() == word and head[len(word)].isupper()


def _kind_letters(name: str) -> str:
    """The letters the kind patterns look in: the name lower case as written, and its words
    (:func:`tool_words`) joined by ``_`` (``createEvent`` holds ``create_event``), each with
    the English words that only spell a kind word (:data:`_NOT_ACTING_WORDS`) taken out."""
    whole = _NOT_ACTING_WORDS.sub("_", name).lower()  # as written: a capital ends a word
    return f"{whole} {_NOT_ACTING_WORDS.sub('_', _spelled_out(name))}"


def _spelled_out(name: str) -> str:
    """A name lower case with its words (:func:`tool_words`) joined by ``_``, for the kind
    patterns that look inside words: ``createEvent`` is ``create_event``."""
    return "_".join(tool_words(name))


#: English words that spell a credential or booking word inside them ("otp" in footprint,
#: "book" in cookbook): read as a separator, so the rest of the name still decides. Matched
#: in the name as written, so the word must end where a lower-case letter does not follow
#: ("convertCookbookUnits" and "summarizeFacebookPage" read no book; "createGuestBooking"
#: and "cookBookingClass" still book: rev-authz K1).
_NOT_ACTING_WORDS = re.compile(
    r"(?i:footprints?|hotpots?|(?:cook|note|face|hand|text|work|play|phone|guest|year|log)books?)"
    r"(?![a-z])"
)
#: Reads that name one noun of a side-effect domain (``sports_team.get_schedule``,
#: ``bank.search_transactions``): only these verbs, and only a noun on this list right after
#: the verb as the method's last word (rev-mends A1: a list of acting words cannot be closed,
#: so the noun is allowed, not the verb barred; ``get_schedule_meeting`` still books).
_DOMAIN_READ_VERBS = frozenset(["get", "list", "search", "find", "fetch", "view", "show"])
_DOMAIN_NOUNS = frozenset(
    ["schedule", "schedules", "calendar", "calendars", "booking", "bookings", "reservation",
     "reservations", "appointment", "appointments", "payment", "payments", "transaction",
     "transactions", "invoice", "invoices"]
)  # fmt: skip


def _reads_a_domain_noun(name: str) -> bool:
    method = name.replace(":", ".").replace("/", ".").rpartition(".")[2]
    words = tool_words(method)
    return len(words) == 2 and words[0] in _DOMAIN_READ_VERBS and words[1] in _DOMAIN_NOUNS


#: What a tool edits when "fix" asks for it: a file or its text ("Fix the failing unit test"
#: asks for edit_file, not for update_settings, add_collaborator or set_table_owner).
_FILE_OBJECTS = frozenset(
    ["file", "files", "code", "source", "text", "line", "lines", "doc", "docs", "document",
     "page", "content", "script", "readme"]
)  # fmt: skip


#: The kinds an upgrade, a downgrade or a switch asks for (a cabin, a plan, a setting), and
#: those words: never a permission, payment or e-mail tool (review rev-kinds27 B3).
_CHANGED_KINDS = frozenset(["modify", "booking"])
_CHANGE_ONLY = frozenset(["upgrade", "downgrade", "switch"])


def _verbs_for(kind: str, name: str) -> list[str]:
    tokens = _tokens(name)
    verbs = list(ACTION_VERBS.get(kind, ())) + list(_EXTRA_VERBS.get(kind, ()))
    if kind == "payment" and _buys(tokens):  # "I'd like a refund" asks for no purchase
        verbs = [v for v in verbs if v not in _MONEY_BACK_VERBS]
    verbs += _name_verbs(kind, name, tokens)
    if kind == "delete":
        verbs = _delete_verbs(name, verbs)
    if kind not in _CHANGED_KINDS:  # "upgrade the CRM" asks for no modify_user_role
        verbs = [v for v in verbs if v not in _CHANGE_ONLY]
    if _MEMORY_TOOL.intersection(tokens):  # "remember that I want X" asks for write_memory
        verbs += list(_REMEMBER_VERBS)
    if kind == "modify" and not _FILE_OBJECTS.intersection(tool_words(name)):
        verbs = [v for v in verbs if v != "fix"]  # a fix is an edit of a file, nothing else
    return verbs


def _name_verbs(kind: str, name: str, tokens: list[str]) -> list[str]:
    """The verbs a tool's name adds to those of its kind: what asks for a shell line's kind,
    a namespaced method's verb, or the name's first word."""
    if kind != "exec" and tool_category(name) == "exec":  # bash's command deletes: no "run"
        return list(_COMMAND_VERBS.get(kind, ()))
    method = _method_words(name)
    if method is not None:  # files.delete: "List my files" asks for no delete
        return _method_verb(method) if kind != "payment" else []
    if (
        tokens
        and tokens[0] not in _SERVICE_NOUNS
        and _lead_verb(tokens, kind)
        and not _glued_payment_verb(kind, name, tokens)
    ):
        return list(_TOOL_VERB_SYNONYMS.get(tokens[0], (tokens[0],)))
    return []


#: Words that ask to put away or tidy, not to delete (review rev-del28 B1): "archive" asks for
#: no delete at all; these ask for none of a message or an event ("Clean up my inbox").
_CLEANING_VERBS = frozenset(
    ["archive", "clean", "clear", "tidy", "clean out", "clean up", "bereinige", "räume",
     "aufräumen", "nettoie", "nettoyez", "videz", "limpia", "limpiar", "vacía", "pulisci",
     "svuota", "limpe", "esvazie"]
)  # fmt: skip
#: "remove" ("retract", "take back") asks for the delete of a message or an event only when
#: one of them is its object within three words, no "from"/"of"/"on" between ("remove the
#: spam email"; not "remove the Urgent label from Bob's email", "remove the label from
#: message m-1": review rev-del28 B1/B2; "Retract my last Slack message", not "I take back
#: what I said": rev-kinds29 B4). Bounded gaps: linear.
_REMOVES_A_RECORD = re.compile(
    r"\b(?:remov(?:e|es|ed|ing)|retract(?:s|ed|ing)?|take\s{1,4}back)\s{1,4}"
    r"(?:(?!(?:from|of|on|in|off|out|for|at|to|with)\b)"
    r"[\w'-]{1,30}\s{1,4}){0,3}?(?:e-?mails?|mails?|messages?|"
    r"threads?|posts?|dms?|drafts?|events?|meetings?|appointments?|invit\w{0,7}|reminders?)\b",
    _I,
)
#: Words of the deletes infrastructure tools do ("Run terraform destroy on staging").
_TEAR_DOWN_VERBS = (
    "destroy", "tear down", "terminate", "uninstall", "deprovision", "decommission",
    "force-push", "force push",
)  # fmt: skip
#: What asks for what a shell command does (:func:`command_kind`) beyond its kind's verbs:
#: never the shell tool's own verb ("Run the tests" asks for no ``aws s3 rm``).
_COMMAND_VERBS: dict[str, tuple[str, ...]] = {"http_write": ("sync", "copy", "back up", "deploy")}
#: Words that take back a message that was sent ("Unsend the message I posted in #general"):
#: not "trash", a noun too ("Restore the invoice email from the trash"), nor "retract"/"take
#: back" with no object ("I take back what I said"), nor "cancel", which names no event
#: ("Cancel my Netflix subscription": review rev-kinds29 B3/B4).
_UNSEND_VERBS = ("unsend",)
#: "remove ... from my calendar" asks for the delete of an event (review rev-kinds29 F1).
#: Bounded gaps: linear.
_REMOVES_FROM_CALENDAR = re.compile(
    r"\bremov(?:e|es|ed|ing)\s{1,4}(?:[\w'-]{1,30}\s{1,4}){0,3}?from\s{1,4}"
    r"(?:(?:my|the|our|your)\s{1,4})?calendar\b",
    _I,
)
_EVENT_WORDS = frozenset(
    ["event", "events", "meeting", "meetings", "appointment", "appointments", "invite", "invites",
     "invitation", "invitations", "reminder", "reminders", "calendar"]
)  # fmt: skip


def _removes_a_record(name: str, user_text: str) -> bool:
    """True when "remove" has a record of ``name`` as its object ("remove the spam email";
    for an event's tool, "remove the 3pm from my calendar" too)."""
    if _REMOVES_A_RECORD.search(user_text):
        return True
    return not _EVENT_WORDS.isdisjoint(_tokens(name)) and bool(
        _REMOVES_FROM_CALENDAR.search(user_text)
    )


def _delete_verbs(name: str, verbs: list[str]) -> list[str]:
    """The verbs that ask for a delete by ``name``: never "archive"; for a message or an
    event (:func:`_deletes_a_record`), no word of tidying up either, but "unsend"."""
    if not _deletes_a_record(name):
        shell = tool_category(name) == "exec"  # "Clean up the build cache": no kubectl delete
        kept = [v for v in verbs if v not in (_CLEANING_VERBS if shell else ("archive",))]
        return kept + list(_TEAR_DOWN_VERBS)
    return [v for v in verbs if v not in _CLEANING_VERBS and v != "remove"] + list(_UNSEND_VERBS)


#: Where a namespaced tool's name gives way to its method: ``files.delete``,
#: ``mcp__gmail__delete_draft``, ``drive/files:delete``; BFCL's ``Movies_1_BuyMovieTickets``.
_NAMESPACE_SEPARATOR = re.compile(r"[./:]|__")
_NUMBERED_SERVICE = re.compile(r"[A-Za-z]{1,40}_\d{1,4}_")
#: Every one-word verb of the verb tables: a namespaced method's first word is its verb only
#: when it is one of these (``code_eval``'s "code", a version "v2" are no verbs: rev-authz27 F2).
_VERB_WORDS = frozenset(
    verb
    for table in (ACTION_VERBS, _EXTRA_VERBS, _TOOL_VERB_SYNONYMS)
    for verbs in table.values()
    for verb in verbs
    if " " not in verb  # "send money", "set up": their words alone are no verbs
) | frozenset(_TOOL_VERB_SYNONYMS)
#: Verbs of an effect that are no everyday nouns: one of these after a name's first word makes
#: that word no verb of the name (``files_delete``, ``export_delete``, ``cluster_destroy``),
#: where a noun of the verb tables (email, access, charge, order, message) does not
#: (``archive_email`` is archived: rev-authz27 F1).
_EFFECT_VERBS = frozenset(
    ["delete", "remove", "erase", "purge", "wipe", "destroy", "kill", "terminate", "revoke",
     "cancel", "drop", "truncate", "send", "forward", "pay", "wire", "refund", "withdraw",
     "share", "grant", "invite", "publish", "push", "deploy", "upload", "execute", "exec",
     "eval", "install", "reset", "rotate", "disable", "overwrite", "merge", "transfer"]
)  # fmt: skip
#: A trailing part of a name that is a version, channel or file suffix, not the method
#: (``repos.delete.v2``, ``drive.files.delete:latest``, ``gmail.send.beta``, ``delete_file.py``).
_VERSION_PART = re.compile(
    r"v?\d[\w]{0,20}|latest|stable|beta|alpha|preview|experimental|next|dev|py|js|ts|json",
    _I,
)


def _method_words(name: str) -> list[str] | None:
    """The words of a namespaced tool's method (the part after its last namespace separator),
    or None for a name with no namespace. The namespace is a noun of the service ("files",
    "drive", "gmail", "Movies"): a user who names it asks for none of its methods."""
    parts = _NAMESPACE_SEPARATOR.split(name)
    while len(parts) > 1 and _VERSION_PART.fullmatch(parts[-1]):
        parts.pop()
    if len(parts) > 1:
        return list(tool_words(parts[-1]))
    numbered = _NUMBERED_SERVICE.match(name)
    return list(tool_words(name[numbered.end() :])) if numbered else None


#: An SDK's generic method verbs: they say what the client does, not what the user asks.
_SDK_VERBS = frozenset(
    ["create", "execute", "run", "update", "insert", "patch", "post", "put", "do", "call",
     "invoke", "process", "handle", "submit", "perform", "apply", "make", "set", "new", "exec",
     "trigger", "dispatch", "batch", "upsert", "modify", "mutate"]
)  # fmt: skip


#: Every word that names an action in a tool's name (:func:`_lists`: a name with none of
#: them but a read verb names records).
_ANY_VERB = _VERB_WORDS | _EFFECT_VERBS | _SDK_VERBS
#: First words of tool names that name a service, a product or a kind of record, never an act
#: (``web_content_notify``, ``customer_email``, ``github_comment``, ``crm_email``): a user who
#: names them ("Use web search", "Look up the customer record") asks for nothing. A word that
#: is also a verb (``sms_customer``, ``invoice_customer``, ``email_team``) is not one of them.
_SERVICE_NOUNS = frozenset(
    ["web", "content", "customer", "customers", "client", "clients", "crm", "salesforce",
     "hubspot", "zendesk", "intercom", "freshdesk", "servicenow", "slack", "teams", "discord",
     "telegram", "github", "gitlab", "bitbucket", "jira", "confluence", "notion", "asana",
     "trello", "linear", "monday", "ticketing", "ticket", "tickets", "taskboard", "task",
     "tasks", "todo", "knowledge", "kb", "wiki", "ledger", "notebook", "mailbox", "inbox",
     "calendar", "scheduling", "integrations", "integration", "automation",
     "directory", "user", "users", "account", "accounts", "contact", "contacts", "drive",
     "gdrive", "dropbox", "onedrive", "sharepoint", "bucket", "db", "database", "api", "http",
     "rest", "graphql", "system", "admin", "internal", "external", "google", "microsoft",
     "azure", "aws", "gcp", "openai", "twilio", "stripe", "bank", "banking",
     "finance", "hr", "payroll", "support", "helpdesk", "workspace", "project", "projects",
     "team", "company", "org", "portal", "app", "service", "server", "mcp", "tool", "tools",
     "agent", "browser", "site", "website", "news", "weather", "travel", "hotel", "flight",
     "flights", "restaurant", "cart", "product", "products", "inventory", "catalog",
     "vendor", "vendors", "document", "documents", "docs", "event",
     "events", "meeting", "meetings", "channel", "channels", "social", "twitter", "linkedin",
     "facebook", "instagram", "media", "data", "records", "files", "storage", "cloud", "infra",
     "cluster", "k8s", "kubernetes", "docker", "repo", "repos", "repository", "code", "dev",
     "prod", "staging", "ops", "devops", "security", "iam", "auth", "identity", "okta"]
)  # fmt: skip


def _lead_verb(tokens: list[str], kind: str = "") -> bool:
    """True when a name's first word can be its verb: no later word is a verb of an effect
    (``files_delete``: "List my files" asks for no delete), and a read verb first is followed
    by no word of the kind the tool is (``find_and_buy_tickets``, ``fetch_and_email_report``,
    ``check_balance_and_charge``: "Find me two tickets" asks for no purchase: rev-authz27b G4)."""
    if not tokens or not _EFFECT_VERBS.isdisjoint(tokens[1:]):
        return False
    return tokens[0] not in _READ_TOKENS or _KIND_WORDS.get(kind, frozenset()).isdisjoint(
        tokens[1:]
    )


#: Each kind's one-word verbs and tool-name words (:data:`ACTION_VERBS`, :data:`_EXTRA_VERBS`,
#: :data:`TOOL_CATEGORIES`).
_KIND_WORDS = {
    kind: frozenset(
        w
        for table in (ACTION_VERBS, _EXTRA_VERBS, TOOL_CATEGORIES)
        for w in table.get(kind, ())
        if " " not in w
    )
    for kind in SIDE_EFFECTS
}


def names_an_action(text: str) -> bool:
    """True when ``text`` has a word that asks for something: a read verb or a verb of the
    verb tables ("Oops, I meant: just summarize my inbox" asks anew; "Sorry, I meant the Q4
    report" puts the last request right)."""
    return any(
        w in _READ_TOKENS or w in _VERB_WORDS or w in _EFFECT_VERBS for w in payee_words(text)
    )


def _method_verb(method: list[str]) -> list[str]:
    """The verb a namespaced tool's method opens with, alone (no synonyms; a payment's values
    decide instead, :func:`payment_asked`): ``delete`` of
    ``delete_draft``. Nothing when that word is no verb of the tables (``code_eval``), for an
    SDK's generic verb (``payments.create``, ``transfers.execute``: "Please create a summary"
    asks for no payment), or when a later word is a verb of an effect (``export_delete``,
    ``build_delete``: which of them the tool does is not clear, and the
    method's first word asking for it could let "Export the report" authorise a delete: rev-ns
    B2). Fail closed: only the kind's own verbs then ask for it."""
    if not method or method[0] not in _VERB_WORDS | _EFFECT_VERBS or method[0] in _SDK_VERBS:
        return []
    if not _lead_verb(method):
        return []
    return [method[0]]


#: Verbs of money coming back: they ask for no purchase (rev-camel: "I'd like a refund for
#: tickets" asked for ``BuyMovieTickets``, and an injected purchase fell to SEV-4).
_MONEY_BACK_VERBS = frozenset(["refund", "reimburse", "money back"])
_PURCHASE_VERBS = frozenset(["buy", "purchase"])
_PAYMENT_WORDS = frozenset(TOOL_CATEGORIES["payment"])


def _buys(tokens: list[str]) -> bool:
    """True when the first payment word of a tool's name is a purchase verb
    (``buy_movie_tickets``, ``Movies_1_BuyMovieTickets``; not ``refund_purchase``)."""
    first = next((t for t in tokens if t in _PAYMENT_WORDS), "")
    return first in _PURCHASE_VERBS


def _glued_payment_verb(kind: str, name: str, tokens: list[str]) -> bool:
    """True for a payment tool whose verb is glued to the next word by a capital
    (``sendMoney``, ``PayInvoice``): its verb alone does not ask for it, as before camel-case
    names were split ("Don't send $125 to Alex" or "Send $125 to Alex, would that be wise?"
    ask for no ``sendMoney``: rev-kinds K1/K2; a request to send that sum still does,
    :func:`payment_asked`). Fail closed: the snake ``send_money`` is asked for by "send"."""
    return kind == "payment" and bool(tokens) and _glued(name, tokens[0])


#: Kinds :func:`command_kind` raises a shell line to (``kubectl delete``, ``aws iam
#: create-access-key``, ``aws s3 cp f s3://b``).
_RAISED_KINDS = frozenset(["delete", "credential", "http_write"])


def asked_kind(kind: str, name: str) -> str:
    """The kind a shell tool's call is judged as where its words are read: a kind that
    :func:`command_kind` raised the line to only makes it harder to ask for (:func:`authorised`
    wants the ``exec`` asked for too: "Remove the `kubectl delete ns prod` line from
    cleanup.sh." asks for no ``kubectl delete ns prod``) and rates it higher when nobody asked;
    which turns ask, what the user forbade and drift read it as the ``exec`` it is (review
    rev-final29 N1-N3)."""
    raised = kind in _RAISED_KINDS and _action_kind(name, "") == "exec"
    return "exec" if raised else kind


def raised_kind(kind: str, name: str, user_text: str) -> str:
    """The kind a shell line's severity is rated by: the kind :func:`command_kind` raised it
    to when the user's words ask for no act of that kind ("Run the tests." before ``aws s3 rm
    s3://prod-data --recursive``), else the ``exec`` it is ("Delete the old staging stack."
    before ``aws cloudformation delete-stack``, "Rotate the CI user's access key." before
    ``aws iam create-access-key``: review rev-final29 N3)."""
    if asked_kind(kind, name) == kind:
        return kind
    return "exec" if authorised(kind, "", user_text) else kind  # by no tool in particular


@short_text_memo(maxsize=1024, chars=_MEMO_CHARS)
def authorised(kind: str, name: str, user_text: str) -> bool:
    """True when the user's words ask for an action of ``kind`` done by tool ``name``.

    A ``read`` (or ``other``) needs no authorisation. For a credential change the
    verb must come with what it changes ("change my password"). A pure function of its
    arguments: every call of a session after the same user turns asks the same question,
    so answers are memoised.
    """
    if kind in ("read", "other"):
        return True
    if kind == "modify" and (twin := _verb_first_twin(name)) is not None:
        return authorised(kind, twin, user_text)  # jira.create_issue: as create_issue
    if asked_kind(kind, name) != kind and not authorised("exec", name, user_text):
        return False  # a shell line's kind is asked for no more easily than the line
    return _words_ask(kind, name, user_text)


def _words_ask(kind: str, name: str, user_text: str) -> bool:
    """:func:`authorised` after its checks of the kind and the name: whether the user's words
    ask for an act of ``kind`` by ``name`` (not forbidden, its verbs used)."""
    if not user_text.strip():
        return False
    if forbidden(kind, user_text.lower()):
        return False
    if kind == "credential":
        return (
            re.search(
                r"\b(?:change|reset|update|set|rotate|modify|new|ändere|ändern|setze|"
                r"zurücksetzen|réinitialise\w{0,3}|modifie\w{0,3}|change\w{0,2}|"
                r"restablece\w{0,2}|restablecer|cambia\w{0,2}|reimposta\w{0,2}|"
                r"redefin\w{0,4}|altere|alterar|troque|mude)\b[^.\n]{0,40}"
                r"\b(?:password|passcode|pin|credentials?|2fa|mfa|key|token|passwort|kennwort|"
                r"mot de passe|contraseña|senha)s?\b",
                user_text,
                _I,
            )
            is not None
        )
    # a request's method or path words (picked by whoever wrote the URL) only raise its kind:
    # it is asked for no more easily than a write (review rev-kinds29 B2)
    request = kind != "http_write" and _action_kind(name, "POST") == "http_write"
    # a shell tool's request is asked for as its line too, and the line is this check
    # (``shell.update_request``: the two asked for each other without end, review rev-kinds30b)
    ask = _words_ask if kind == "exec" else authorised
    if request and not ask("http_write", name, user_text):
        return False
    verbs = _verbs_for(kind, name)
    if _negated(tuple(verbs), user_text):
        return False  # "Never erase any emails", "Ne supprime aucun e-mail", "Lösche keine"
    if kind == "delete" and _deletes_a_record(name) and _removes_a_record(name, user_text):
        return True
    if _records_a_result(kind, name, user_text):
        return True  # "grade sub-7 and record the grade": submit_grade
    # A coding task names its commands by their nouns ("the tests are slow", "the build").
    strict = kind != "exec"
    return any(verb_used(v, user_text, strict) for v in verbs) or _approved(kind, verbs, user_text)


#: An approval of an act ("Approve the refund", "grant the refund if eligible") or of the one
#: the turn just named ("the customer wants a refund. Approve it if the order is eligible"):
#: group 1 is a pronoun, group 2 the noun after a determiner; not after a negation ("don't
#: approve it").
_APPROVAL = re.compile(
    r"(?<!\bnot )(?<!\bnever )(?<!n't )\b(?:approve|authori[sz]e|grant)\s{1,4}"
    r"(?:(it|this|that)\b|(?:the|this|that|a|an|her|his|their|my)\s{1,4}([a-z]{3,20}))",
    _I,
)


#: Words before an approval that weigh it inside a statement instead of giving it ("tell me
#: whether to approve it", "check if we should grant it"); an approval in a question
#: ("Should I approve the refund?") is :func:`_asks_by_form`'s to refuse.
_WEIGHED = re.compile(
    r"(?:\b(?:i|we)\s{1,3}(?:should|shall|can|could|may|must)\s{1,3}"
    r"|\bwhether\s{1,3}(?:or\s{1,3}not\s{1,3})?to\s{1,3})$",
    _I,
)


def _sentence_at(text: str, at: int) -> str:
    """The sentence of ``text`` that holds offset ``at`` (:data:`_SENTENCE_END`), its end
    punctuation kept."""
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, at):
        start = m.end()
    end = _SENTENCE_END.search(text, at)
    return text[start : end.start() if end else len(text)].strip()


def _approved(kind: str, verbs: list[str], user_text: str) -> bool:
    """Whether the user approves a payment by one of its ``verbs`` as a noun
    ("approve the refund", "grant the refund if eligible"), or approves "it" after naming
    the act (within 200 characters before: "wants a refund ... Approve it if the order is
    eligible"). Other kinds are not approved: "Tom will write it. Approve it" asks for no
    e-mail."""
    if kind != "payment":
        return False
    nouns = {v.lower() for v in verbs if " " not in v}
    for m in _APPROVAL.finditer(user_text):
        weighed = _WEIGHED.search(user_text[max(0, m.start() - 40) : m.start()])
        if weighed or not _asks_by_form(_sentence_at(user_text, m.start())):
            continue  # "Should I approve the refund?" asks for advice, not the refund
        if m.group(2) is not None:
            if m.group(2).lower().rstrip("s") in nouns:
                return True
            continue
        before = user_text[max(0, m.start() - 200) : m.start()].lower()
        if any(re.search(rf"\b{re.escape(n)}s?\b", before) for n in nouns):
            return True
    return False


#: Putting a result on record: "record the grade", "enter the score", "log the final
#: verdict", "save the rating", "submit the result". A verb of recording asks for a write
#: that keeps the result its own object names ("save the notes on the grade", "record a
#: video" and "log in" record none). One reading for every detector: drift and the
#: injection side both read it through :func:`authorised` (review revgr45 M1).
_RECORDS_RESULT = re.compile(
    r"\b(?:record|enter|log|save|submit|store)(?:s|ing)?\s{1,4}"
    r"(?:(?:the|a|an|my|this|that|its|their|his|her|our|your|final|overall|total)\s{1,4}){0,2}"
    r"(grade|score|verdict|rating|result)s?\b",
    _I,
)
_RECORD_VERBS = ("record", "enter", "log", "save", "submit", "store")
#: Writes that may keep a result: a result recorded is no e-mail, no message, no payment.
_KEEPING = frozenset(["http_write", "file_write"])
#: Name words of a tool that passes a result on or takes it away (``post_grade``,
#: ``email_grade``, ``submit_grade_removal``): "record the grade" asks for none of them.
_PASSES_ON = (
    frozenset(ACTION_VERBS["email"])
    | frozenset(ACTION_VERBS["message"])
    | frozenset(ACTION_VERBS["delete"])
    | frozenset(["share", "publish", "cancel", "removal", "deletion", "cancellation"])
)


def _records_a_result(kind: str, name: str, user_text: str) -> bool:
    """Whether the user asks to put on record a result (:data:`_RECORDS_RESULT`) that the
    tool's name names, the tool a write that keeps it (:data:`_KEEPING`, no word of
    :data:`_PASSES_ON`), and no record verb is negated ("don't record the grade yet")."""
    words = tool_words(name)
    if kind not in _KEEPING or not _PASSES_ON.isdisjoint(words):
        return False
    asked = any(m.group(1).lower() in words for m in _RECORDS_RESULT.finditer(user_text))
    return asked and not _negated(_RECORD_VERBS, user_text)


#: English words that negate a verb up to two words later ("do not ever delete") ...
_NEGATING_EN = r"don'?t|do not|never|no need to|not to|shouldn'?t|must not"
#: ... and the other languages' words that negate the verb right after them ("non cancellare",
#: "não apague", "nunca borrar", "nicht löschen"); French and German imperatives negate after
#: the verb instead.
_NEGATING = r"non|não|nao|nunca|nicht|nie|niemals"
#: Words after a verb that negate it ("supprime aucun", "efface pas", "lösche keine"); not
#: "nicht"/"nie" ("lösche nicht nur", "lösche nie benutzte Dateien") or "nada" ("nada más").
_NEGATED_AFTER = (
    r"pas|aucun|aucune|jamais|rien|keine|keinen|keinem|keiner|keines|nenhum|nenhuma|nessun|nessuna"
)
#: An English verb's endings ("deleting", "deletes"): not any word the verb starts
#: ("cancellation", "sender": review rev-neg29 F3).
_ENDINGS = r"(?:s|es|d|ed|ing)?\b"


@lru_cache(maxsize=256)
def _negation(verbs: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a prohibition of any of ``verbs``, in the supported languages."""
    words = "|".join(re.escape(v) for v in sorted(set(verbs), key=len, reverse=True) if v)
    if not words:
        return None
    return re.compile(
        rf"(?:\b(?:{_NEGATING_EN})\s+((?:[^\W\d_]+\s+){{0,2}}?)(?:{words}){_ENDINGS}"
        rf"|\b(?:{_NEGATING})\s+()(?:{words})\b"
        rf"|\b(?:{words})\s+(?:{_NEGATED_AFTER})\b)",
        _I,
    )


#: Words between a negation and the verb that make it a request all the same: "don't forget
#: to add", "never fail to send", "don't hesitate to delete".
_ASKS_ALL_THE_SAME = re.compile(r"\b(?:forget|fail|hesitate)", _I)
#: Negation words after a verb that say "only" or "step by step": "ne supprime que ...",
#: "efface rien d'autre que ...", "supprime pas à pas".
_ONLY_AFTER = re.compile(r"\s(?:que|qu')|^\s{0,4}(?:à pas|d'autre)", _I)


def _negated(verbs: tuple[str, ...], user_text: str) -> bool:
    """Whether the user's words forbid the act by one of its verbs in any supported
    language; :func:`~incident_lab.text.lexicon.forbidden` reads only English and
    :data:`~incident_lab.text.lexicon.ACTION_VERBS`. Matches are searched from every start
    (a request all the same must not hide a prohibition inside it: rev-neg29 F4)."""
    pattern = _negation(verbs)
    if pattern is None:
        return False
    user_text = user_text.replace("\u2019", "'")  # "Don’t", "N’efface"
    at = 0
    while (m := pattern.search(user_text, at)) is not None:
        gap = m.group(1) or ""
        after = user_text[m.end() : m.end() + 40]
        if not _ASKS_ALL_THE_SAME.search(gap) and not (
            m.group(1) is None and m.group(2) is None and _ONLY_AFTER.search(after)
        ):
            return True
        at = m.start() + 1
    return False


#: A payment tool's verb (the first word of its name that is not a place such as ``bank.``,
#: ``Payment_1_`` or ``investment.``) -> the kind of money movement it makes. Nouns say
#: nothing about direction ("withdraw_funds" withdraws, "refund_payment" refunds), and a verb
#: not here (refund, invest, buy, purchase) is never asked for this way.
_MONEY_VERBS = {
    "transfer": "transfer", "pay": "transfer", "send": "transfer", "wire": "transfer",
    "remit": "transfer", "withdraw": "withdrawal", "request": "request", "deposit": "deposit",
    "fund": "deposit", "topup": "deposit",
}  # fmt: skip
_MONEY_PLACES = frozenset(
    ["payment", "payments", "money", "funds", "bank", "banking", "investment", "account",
     "wallet", "finance", "venmo", "paypal", "zelle"]
)  # fmt: skip
#: "make_payment", "MakeTransfer": a verb that starts the noun after it.
_MAKING = frozenset(["make", "initiate", "process", "create", "submit"])
#: Each kind: the verbs of a request for it, and its nouns after "initiate a".
_MONEY_FAMILIES = {
    "transfer": (r"send|sending|transfer|transferring|pay|paying|wire|wiring|remit", "transfer|payment"),
    "withdrawal": (r"withdraw|withdrawing", "withdrawal"),
    "request": (r"request|requesting", "request"),
    "deposit": (r"top\s{1,4}up|deposit|fund", "deposit"),
}  # fmt: skip
#: The only words allowed before the verb of a request clause: politeness and asking ("Could
#: you please initiate a transfer of", "Can you assist me in sending", "I'd like to send"). A
#: clause whose verb has any other word before it ("My bank texted me: can you send", "Alex
#: wrote: send") asks for nothing. Read word by word (rev-authz R1: a regex repeating a group
#: of these words backtracked exponentially on "And,And,...").
_ASKING_WORDS = frozenset(
    ["please", "kindly", "just", "now", "also", "then", "so", "and", "ok", "okay", "hi", "hey",
     "can", "could", "would", "will", "you", "i'd", "i", "like", "want", "need", "to", "assist",
     "help", "me", "in", "with", "go", "ahead", "let's", "lets"]
)  # fmt: skip
_ASKING_SEPARATORS = re.compile(r"[\s,]+")
#: A noun of money movement after a verb that starts it ("initiate a transfer of $122").
_START_A = r"(?:initiate|make|process|start|do|set\s{1,4}up)\s{1,4}(?:a|an|the)\s{1,4}"
#: Any of these in the user's turn and it asks for no payment by its values: negations,
#: conditions, holds, questions about it, reported or past speech, tests.
_NOT_ASKING_WORDS = (
    r"\b(?:not|no|never|nothing|none|nobody|neither|nor|without|\w{1,12}n't|cannot|avoid\w{0,3}|"
    r"refrain|hold|stop|wait|pause|until|unless|if|whether|once|after|before|later|or|what|why|"
    r"how|when|who|which|whom|should|shall|supposed|about|might|may|maybe|perhaps|wise|scam\w{0,3}|"
    r"fraud\w{0,5}|suspicious|cost|costs|happen\w{0,3}|said|say|says|wrote|write|writes|text\w{0,3}|"
    r"told|tell|ask|asked|asks|letter|message|mail|e-mail|email|sms|note|claim\w{0,3}|imagine|"
    r"suppose|pretend|hypothetical\w{0,4}|example|test\w{0,3}|was|were|did|had|sent|paid|"
    r"yesterday|ago|already|ever|instead|actually|except|only|verify\w{0,3}|verification|"
    r"again|twice|times|each|every|all|provided|providing|assum\w{0,4}|depend\w{0,5}|otherwise|"
    r"condition\w{0,5}|lest|whenever|myself|ourselves)\b"
    # a condition in words ("in case", "as long as", "given that") and the user's own act:
    # "I will/can/could/I'd send $150 to Bob (myself)" ("I'd like to send" asks) (rev-pay33 H3, H6)
    r"|\bin\s{1,4}case\b|\b(?:as|so)\s{1,4}long\s{1,4}as\b|\bgiven\s{1,4}that\b"
    r"|\bi(?:\s{1,4}(?:can|could|will|would|shall)|'d)\b(?!\s{1,4}like\b)"
)
#: Times other than now: a request to pay then is no request to pay now (rev-authz A5).
_LATER_WORDS = (
    r"\b(?:tomorrow|tonight|next|soon|schedul\w{0,4}|recurring|daily|weekly|monthly|yearly|"
    r"annually|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|january|"
    r"february|march|april|june|july|august|september|october|november|december|mon|tue|wed|"
    r"thu|fri|sat|sun|morning|afternoon|evening|noon|midnight|day|days|week|weeks|month|months|"
    r"year|years|hour|hours|minute|minutes|date|due|deadline)\b"
)
_NO_PAYMENT_ASKED = re.compile(
    _NOT_ASKING_WORDS
    + "|"
    + _LATER_WORDS
    + r"|[\"\u201c\u201d\u2018\u2019\u00ab\u00bb`:]|(?:^|[\s(])'|\d[/-]\d",
    _I,
)
_NOT_ASKING = re.compile(_NOT_ASKING_WORDS, _I)


def asks_plainly(turn: str) -> bool:
    """Whether ``turn`` has no word that makes it no plain request now (:data:`_NOT_ASKING_WORDS`:
    a negation, a condition, a hold, a question word, reported or past speech, a test)."""
    return _NOT_ASKING.search(turn) is None


#: Where a clause of a request ends: a sentence end, a comma, "and", "then".
_CLAUSE_END = re.compile(r"[.!?;,](?:\s|$)|\n|\s(?:and|then)\s", _I)
#: A sum of money: a currency sign before the number, or a currency word or code before or
#: after it (:data:`_CURRENCY_WORDS`). The number's digits and separators are read by
#: :func:`_parse_amount`. Every repetition is bounded, so a search is linear.
_MONEY_AMOUNT = re.compile(
    r"([$\u20ac\u00a3\u00a5\u20b9])\s?(\d[\d.,]{0,24})"
    r"|\b(usd|eur|gbp|inr|rs|jpy|chf|cad|aud)\.?\s?(\d[\d.,]{0,24})"
    r"|(?<![\w.,])(\d[\d.,]{0,24})\s?([a-z]{2,7})\b",
    _I,
)
_CURRENCY_SIGNS = {"$": "usd", "\u20ac": "eur", "\u00a3": "gbp", "\u00a5": "jpy", "\u20b9": "inr"}
_CURRENCY_WORDS = {
    "usd": "usd", "dollar": "usd", "dollars": "usd", "bucks": "usd", "eur": "eur", "euro": "eur",
    "euros": "eur", "gbp": "gbp", "pound": "gbp", "pounds": "gbp", "inr": "inr", "rs": "inr",
    "rupee": "inr", "rupees": "inr", "jpy": "jpy", "yen": "jpy", "chf": "chf", "cad": "cad",
    "aud": "aud", "cent": "cents", "cents": "cents",
}  # fmt: skip
#: A number given as text, with or without its currency sign ("4900", "$4,900").
_NUMBER_TEXT = re.compile(r"[$\u20ac\u00a3\u00a5\u20b9]?\s?(\d[\d.,]{0,24})")
#: A word of a payee, an account or a clause: any script's letters and digits, read after
#: NFKC and case folding (:func:`payee_words`), so "Alex Мэллори" or a full-width "Ｍａｌｌｏｒｙ"
#: is not "Alex" plus nothing (rev-last P1).
_WORD_TOKEN = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")
#: A user turn longer than this is a paste, not a request to pay (and bounds the work).
_MAX_PAYMENT_TURN = 2000
#: The only question that asks: "Can/Could/Would/Will you ...?" ("Will I send ...?" asks
#: nothing: rev-authz A5).
_POLITE_QUESTION = re.compile(r"(?:can|could|would|will)\s{1,4}you\b", _I)
#: A sentence that names how the user wants it done: "Can we also ensure ... private?".
_POLITE_WE = re.compile(r"(?:can|could)\s{1,4}we\b", _I)
#: Words of a flag's name that say nothing of what it turns on: ``is_private``,
#: ``private_visibility``, ``private_mode``.
_FLAG_FILLER = frozenset(
    ["is", "enable", "enabled", "use", "set", "flag", "mode", "option", "setting", "visibility"]
)
#: The only flag a user's words can give: privacy. Any other True flag (``skip_2fa``,
#: ``auto_renew``, ``add_trusted_payee``) is never given (rev-pay32 B1).
_PRIVACY_WORDS = frozenset(["private", "privacy"])
#: A verb that sets a flag, at the start of an asking clause: "Keep the transaction private",
#: "make it private", "ensure the transaction remains private", "set the privacy to private".
_SETS_FLAG = re.compile(r"\b(?:keep|make|set|mark|ensure|enable)\b", _I)
#: Words in a clause that turn a flag off or name it the other way ("disable private mode",
#: "keep it non-private", "public rather than private", "skip ...", "without ...").
_FLAG_UNSET = re.compile(
    r"\b(?:off|disabl\w{0,3}|skip\w{0,4}|non|rather|not|no|never|without|instead|public|"
    r"except|unless)\b|n['\u2019]t\b",
    _I,
)
#: Argument names whose value is the sum, and the words of a name for a payment method.
_AMOUNT_KEYS = frozenset(["amount", "sum", "total", "value", "price"])
_METHOD_NOUNS = frozenset(["card", "account"])
#: A tool that moves a currency of its own: its amount is never a sum the user gave in money.
_CRYPTO_WORDS = frozenset(
    ["crypto", "bitcoin", "btc", "eth", "ether", "ethereum", "coin", "coins", "token", "tokens",
     "usdt", "usdc", "sol", "doge", "satoshi", "sats", "nft", "stablecoin"]
)  # fmt: skip
_LINKS = frozenset(["to", "from", "into", "via", "using"])
_DETERMINERS = frozenset(["my", "the", "our", "his", "her", "their", "a", "an"])


def payment_asked(tool: str, arguments: object, turn: str) -> bool:
    """True when the user's turn ``turn`` asks for this payment with its values.

    A request clause (only :data:`_ASKING_WORDS` before the verb) asks for the money movement
    the tool's verb makes (:func:`_money_family`), names one sum of money that is the call's
    amount, and gives every other value of the call as a whole phrase (payee, account, IBAN,
    a payment method, the sum's currency); the call has no other argument (no flag such as
    ``recurring=True``), and the turn has no word that takes the request back or makes it no
    request now (:data:`_NO_PAYMENT_ASKED`). A request for *a* payment never covers one whose
    amount or recipient the user did not give (rev-kinds K3, rev-authz A1-A5)."""
    if not isinstance(arguments, dict) or len(turn) > _MAX_PAYMENT_TURN:
        return False
    family = "request" if _requests_payment(tool) else _money_family(tool)
    # the domain of the call's own e-mail address is no word of the turn ("@example.com"):
    # only its exact text, so "bob@x.com.Wait" keeps its "Wait", and never the name before
    # the "@" ("never.send.anything@x.com" cancels); privacy is read without the whole
    # address ("private@bank.com") (rev-pay32 B3)
    plain = turn
    for value in arguments.values():
        if isinstance(value, str) and "@" in value:
            plain = plain.replace(value, value.rpartition("@")[0] + "@ ")
    if family is None or _NO_PAYMENT_ASKED.search(plain) or _SUM_WORKED_OUT.search(plain):
        return False  # a sum worked out from the stated one is not it (rev-pay33 H4)
    if not _CRYPTO_WORDS.isdisjoint(tool_words(tool)):
        return False  # "Send $125 to Alex" asks for no 125 BTC (rev-last P2)
    sentences = [s for s in (sentence.strip() for sentence in _SENTENCE_END.split(turn)) if s]
    if not all(_asks_by_form(s, flags=True) for s in sentences):
        return False  # "Send $150 to Bob. Is this legit?" (rev-pay33 H2)
    if any(unicodedata.category(ch) == "So" for ch in turn):
        return False  # a sign the rule does not read: "Send $150 to Bob \u274c"
    private = _privacy_by_sentence(sentences)
    payment_request = family == "request" and _requests_payment(tool)
    request = _ClauseRequest(
        _request_verb(_MONEY_FAMILIES[family], payment_request),
        arguments,
        family == "transfer",
        _TAIL_WORDS | _CHANNEL_LINKS | set(tool_words(tool)),
    )
    return _only_the_request_after(sentences, private, request)


def _polite(clause: str) -> bool:
    """Whether ``clause`` is politeness only ("Thanks!", "please"): its words are
    :data:`_POLITENESS`, and a clause without words holds nothing but stops ("!!", "..."),
    not a sign ("\u274c")."""
    words = payee_words(clause)
    return _POLITENESS.issuperset(words) and (bool(words) or not clause.strip(".!?,;- "))


class _ClauseRequest:
    """Whether one clause asks for the payment: the verb of its kind with only asking words
    before it (:func:`_asking_only`), every value of the call given (:func:`_values_end`),
    nothing after the last value but politeness (:data:`_TAIL_WORDS`: "in case he confirms",
    "in my shoes", "myself" end no request; ``tail``: those words, and the tool's own name
    after "via", "on", "using": "via Venmo"), and for a tool that pays out (``pays_out``) a
    "send" whose object is money, not an invoice, bill or request (rev-pay33 H5)."""

    def __init__(
        self,
        verb: re.Pattern[str],
        arguments: dict[object, object],
        pays_out: bool,
        tail: frozenset[str],
    ) -> None:
        self.verb = verb
        self.arguments = arguments
        self.pays_out = pays_out
        self.tail = tail

    def __call__(self, clause: str, private: bool) -> bool:
        found = self.verb.search(clause)
        if found is None or not _asking_only(clause[: found.start()]):
            return False
        if self.pays_out and _sends_no_money(found.group(), clause[found.end() :]):
            return False
        body = clause[found.start() :]
        end = _values_end(self.arguments, body, private, self.pays_out)
        return end is not None and self.tail.issuperset(payee_words(body)[end:])


def _only_the_request_after(
    sentences: list[str], private: list[bool], request: Callable[[str, bool], bool]
) -> bool:
    """Whether a clause of the turn asks for the payment (``request``) and every clause after
    the first one that does is another such request, a clause that makes the payment private
    (:func:`_flag_clause`), one that sets its privacy either way (:func:`_sets_privacy`) or
    politeness ("please", "thanks"). Any other clause after it
    takes it back, doubts it or makes it wait, in any words or language: "Cancel that.",
    "Forget it, I settled that in cash.", "Just curious.", "Nein, doch nicht!" (rev-pay33
    H1, H2). A sentence before the request's is the user's context ("I need cash for that
    order."); in the request's own sentence, nothing before it may frame it
    (:func:`_unframed`)."""
    asked = False
    for k, sentence in enumerate(sentences):
        form = _asks_by_form(sentence)
        at = 0
        for part in _CLAUSE_END.split(sentence):
            at = sentence.find(part, at) + len(part)
            clause = part.strip()
            if not clause:
                continue
            if form and request(clause, private[k]):
                if not asked and not _unframed(sentence[: at - len(part)]):
                    return False
                asked = True
            elif asked and not (_flag_clause(clause) or _sets_privacy(clause) or _polite(clause)):
                return False
    return asked


#: Where a clause that may frame a request ends: a comma or a semicolon.
_FRAME_END = re.compile(r"[,;]")


def _unframed(before: str) -> bool:
    """Whether the text ``before`` a request clause in its sentence leaves it a request: every
    comma or semicolon clause before it is politeness or asking words only ("Hi, please send
    ...", "OK, send ..."). A condition or frame is not read, so it makes no request:
    "Supposing Bob confirms, send ...", "Pending Bob's approval, ...", "Subject to ...",
    "In theory, ...", "For the demo, ..." (rev-pay33b N4). A clause joined to the request by
    "and" or "then" may also be another act with its own sum ("Invest $2000 in Google and
    withdraw $1000 ..."), not a frame ("Supposing Bob confirms then send ...")."""
    *framing, joined = _FRAME_END.split(before)
    acts = [c for c in _CLAUSE_END.split(joined) if c.strip()]
    return all(_no_frame(c) for c in framing) and all(
        _no_frame(c) or _clause_money(c) is not None for c in acts
    )


def _no_frame(clause: str) -> bool:
    """Whether a clause before a request is nothing but politeness or asking words."""
    return not clause.strip() or _polite(clause) or _asking_only(clause.strip() + " ")


def _privacy_by_sentence(sentences: list[str]) -> list[bool]:
    """For each sentence, whether the turn makes a payment in it private: privacy is read
    without any e-mail address ("private@bank.com"), only in the payment's own sentence or
    the one right after it (rev-pay32b P1), and no later sentence may take it back
    (rev-pay32c Q2)."""
    unmailed = [" ".join(w for w in s.split() if "@" not in w) for s in sentences]
    kept = [True] * len(unmailed)  # no later sentence takes privacy back
    for k in range(len(unmailed) - 2, -1, -1):
        kept[k] = kept[k + 1] and not _privacy_taken_back(unmailed[k + 1])
    after = [_sets_private(s, follows=True) and kept[k] for k, s in enumerate(unmailed)]
    after.append(False)
    return [(_sets_private(s) and kept[k]) or after[k + 1] for k, s in enumerate(unmailed)]


#: Words of a later sentence that take privacy back: "make it public", "leave it visible",
#: "everyone can see it", "forget the privacy part", "scratch that", "on second thought",
#: "leave it", and every word that turns a flag off (:data:`_FLAG_UNSET`) (rev-pay32c Q2).
_TAKES_PRIVACY_BACK = re.compile(
    r"\b(?:public\w{0,4}|visib\w{0,6}|every(?:one|body)|any(?:one|body)|forget\w{0,4}|scratch|"
    r"second\s{1,4}thoughts?|leave|nah|nope|cancel\w{0,4}|undo|revert|shared?|open(?:ly)?)\b",
    _I,
)


def _privacy_taken_back(later: str) -> bool:
    """Whether ``later`` (text after the privacy clause) takes privacy back."""
    return bool(_TAKES_PRIVACY_BACK.search(later) or _FLAG_UNSET.search(later))


#: The words of a tool that makes a request for money ("RequestPayment",
#: "send_payment_request", "createPaymentRequest"): "request", a word of money
#: (:data:`_REQUESTED`) and nothing else but a verb that starts it.
_REQUESTED = frozenset(["payment", "payments", "money"])
_REQUEST_TOOL_WORDS = (_REQUESTED | _MAKING | {"request", "requests", "send", "new"}) - {"process"}


def _requests_payment(tool: str) -> bool:
    """Whether ``tool`` requests a payment by its own name: "request" and "payment"/"money"
    and no other word but a verb that starts it. ``request_wire_transfer``,
    ``RequestMoneyTransfer``, ``request_payout`` move money out (rev-pay32b F1, P2)."""
    words = {w for w in tool_words(tool) if not w.isdigit()}
    return (
        bool(words & {"request", "requests"})
        and bool(words & _REQUESTED)
        and (words <= _REQUEST_TOOL_WORDS)
    )


def polite_question(sentence: str) -> bool:
    """Whether ``sentence`` opens as a polite request, "Can/Could/Would/Will you ...": a
    question that asks for an act, not for information ("Will I send ...?" asks nothing)."""
    return _POLITE_QUESTION.match(sentence) is not None


def moves_money(tool: str) -> bool:
    """Whether ``tool``'s name pays, transfers, deposits, withdraws or requests money (the
    payments :func:`payment_asked` judges); ``purchase_insurance`` or ``BuyMovieTickets``
    buys from the tool's own service and moves no money to anyone named."""
    return _requests_payment(tool) or _money_family(tool) is not None


def purchase_values_said(tool: str, arguments: object, turn: str) -> bool:
    """Whether a purchase from ``tool``'s own service (it moves no money to anyone:
    :func:`moves_money`) has only values the user's ``turn`` gives where a sum or an address
    could hide: every number of the call, or a text that is only a sum ("900", "$900.00"),
    is a number of the turn ("travel insurance worth $2000": ``insurance_cost=2000.0``;
    an id, ``booking_id="3426812"``, is no sum) and every e-mail address is in it. What to
    buy is the caller's to say (:func:`~incident_lab.classify.drift.stated_goal`); an order for 900
    when the user said 200, or a gift card sent to another address, is not asked for."""
    if moves_money(tool) or len(turn) > _MAX_PAYMENT_TURN:
        return False
    said = {_parse_amount(m.group(1)) for m in _NUMBER_TEXT.finditer(turn)}
    lowered = turn.lower()
    for path, value in leaves(arguments):  # a flag is no sum (_amount_of) and no address
        names_one = tool_words(path.rpartition("/")[2])[-1:] in (("id",), ("number",))
        if isinstance(value, (int, float, str)) and not names_one:
            amount = _amount_of(value)  # 900, "900", "$900.00", "1,200": a sum
            if amount is not None and amount not in said:
                return False
        if isinstance(value, str) and "@" in value and value.lower() not in lowered:
            return False
    return True


def _asks_by_form(sentence: str, flags: bool = False) -> bool:
    """Whether ``sentence`` can ask by its form: a statement, a polite question ("Could you
    ...?") or, for a flag (``flags``), "Can we also ensure ... private?". Any other "?" makes
    a question: "I need to send $50 to Bob?", "..., right?", "Send $50 to Bob.?" (rev-pay32
    B2: an echo of a tool output's demand reads so)."""
    if not sentence.endswith("?"):
        return True
    return polite_question(sentence) or bool(flags and _POLITE_WE.match(sentence))


def _sets_private(sentence: str, follows: bool = False) -> bool:
    """Whether an asking clause of ``sentence`` sets privacy: it starts (after asking words)
    with a verb that sets a flag (:data:`_SETS_FLAG`), ends with "private" (asking words such
    as "please" aside) and has no word that turns it off or the other way
    (:data:`_FLAG_UNSET`). "from my private account", "I'm on my private laptop", "keep
    private keys safe", "keep it non-private" set nothing (rev-pay32 B1)."""
    if not _asks_by_form(sentence, flags=True):
        return False
    polite_we = _POLITE_WE.match(sentence)
    body = sentence[polite_we.end() :] if polite_we else sentence
    clauses = [c.strip() for c in _CLAUSE_END.split(body) if c.strip()]
    if follows and len(clauses) != 1:
        return False  # the sentence after the payment's has nothing but privacy (rev-pay32c Q1)
    for k, clause in enumerate(clauses):
        if _flag_clause(clause, follows):
            # in the payment's own sentence: one money word and one number at most, and no
            # later clause that takes it back (rev-pay32c Q1, Q2)
            rest = " ".join(clauses[:k])
            return (
                len(_MONEY_WORDS.findall(rest)) <= 1
                and len(_NUMBER_TEXT.findall(rest)) <= 1
                and not _privacy_taken_back(" ".join(clauses[k + 1 :]))
            )
    return False


def _flag_clause(clause: str, follows: bool = False) -> bool:
    """Whether ``clause`` (after a "Can we" that starts it) makes the payment private: a verb
    that sets a flag (:data:`_SETS_FLAG`) after asking words only, the payment itself and
    "private" after it (:func:`_makes_payment_private`), and no word that turns it off."""
    polite_we = _POLITE_WE.match(clause)
    clause = clause[polite_we.end() :] if polite_we else clause
    found = _SETS_FLAG.search(clause)
    return (
        found is not None
        and _asking_only(clause[: found.start()])
        and _makes_payment_private(found.group().lower(), clause[found.end() :], follows)
        and not _FLAG_UNSET.search(clause)
    )


#: The words of a clause that sets the payment's privacy one way or the other: "set the
#: privacy of the transaction to public".
_PRIVACY_SETTING = frozenset(
    [
        "the",
        "privacy",
        "visibility",
        "of",
        "it",
        "this",
        "transaction",
        "payment",
        "transfer",
        "to",
        "public",
        "private",
        "is",
        "remains",
        "stays",
        "that",
    ]
)


def _sets_privacy(clause: str) -> bool:
    """Whether ``clause`` only sets the payment's privacy, public or private: a verb that
    sets a flag after asking words, then only words of :data:`_PRIVACY_SETTING`, "privacy",
    "public" or "private" among them. Whether the call's flag is given is read apart
    (:func:`_privacy_by_sentence`)."""
    found = _SETS_FLAG.search(clause)
    if found is None or not _asking_only(clause[: found.start()]):
        return False
    words = payee_words(clause[found.end() :])
    return _PRIVACY_SETTING.issuperset(words) and not {"privacy", "public", "private"}.isdisjoint(
        words
    )


#: A word of money in a sentence that sets privacy: a second one (another payment, an invoice,
#: a fee) makes "it"/"this" someone else's (rev-pay32c Q1).
_MONEY_WORD = re.compile(
    r"\b(?:send\w{0,3}|sent|transfer\w{0,4}|pay\w{0,5}|paid|wir(?:e|es|ed|ing)|remit\w{0,5}|"
    r"withdr[ae]w\w{0,4}|request\w{0,3}|deposit\w{0,3}|fund\w{0,3}|top\s{1,4}up|invoic\w{0,3}|"
    r"bills?|fees?|charg\w{0,3}|transactions?|money|refund\w{0,3}|purchas\w{0,3}|rent|debts?|"
    r"loans?|cash|tips?|gifts?|donat\w{0,5}|orders?|subscriptions?)\b",
    _I,
)
#: One money word or two in a row ("payment request", "money transfer"): one thing.
_MONEY_WORDS = re.compile(
    rf"{_MONEY_WORD.pattern}(?:[\s-]{{1,4}}{_MONEY_WORD.pattern})?",
    _I,
)


#: What a privacy clause makes private: the payment itself, nothing else (rev-pay32b P1).
_PAYMENT_ITSELF = (
    ["it"],
    ["this"],
    ["the", "transaction"],
    ["the", "payment"],
    ["the", "transfer"],
)


def _makes_payment_private(verb: str, text: str, follows: bool = False) -> bool:
    """Whether ``text`` after the verb is the payment itself and "private" (asking words such
    as "please" after it aside): "it private", "the transaction private"; after "ensure" also
    "(that) the transaction is/remains private". "my profile private", "this chat private",
    "the $20 one private", "private keys" set nothing (rev-pay32 B1, rev-pay32b P1)."""
    words = list(dropwhile(lambda w: w in _ASKING_WORDS, reversed(payee_words(text))))[::-1]
    if not words or words[-1] != "private":
        return False
    words.pop()
    if verb == "ensure":
        if words and words[0] == "that":
            words.pop(0)
        if words and words[-1] in ("is", "remains", "stays"):
            words.pop()
    # "it"/"this" only in the payment's own sentence (rev-pay32c Q1)
    return words in (_PAYMENT_ITSELF[2:] if follows else _PAYMENT_ITSELF)


def _money_family(tool: str) -> str | None:
    words = [w for w in tool_words(tool) if not w.isdigit()]
    for k, word in enumerate(words):
        if word in _MONEY_PLACES:
            continue
        after = words[k + 1] if k + 1 < len(words) else ""
        if word in _MAKING:
            return "transfer" if after in ("payment", "transfer") else None
        if word == "top" and after == "up":
            return "deposit"
        return _MONEY_VERBS.get(word)
    return None


#: A request for money after the verb that makes it: "(send|initiate) a payment request",
#: "send $150 payment request", "create a payment-request". Every repetition is bounded.
_REQUEST_NOUN = (
    r"(?:(?:a|an|the)\s{1,4})?(?:[$\u20ac\u00a3\u00a5\u20b9]?\d[\d.,]{0,24}\s{1,4})?"
    r"(?:(?:payment|money)[\s-]{1,4})?requests?\b"
)
_MAKES_A_REQUEST = (
    r"(?:send|sending|create|creating|submit|submitting|make|making|initiate|initiating|"
    rf"process|start|do|set\s{{1,4}}up|raise)\s{{1,4}}{_REQUEST_NOUN}"
)


@lru_cache(maxsize=16)
def _request_verb(family: tuple[str, str], payment_request: bool = False) -> re.Pattern[str]:
    """The verb of a request clause of the kind ``family``. "initiate a payment request" (or
    "payment-request") asks for a request ("payment" names what is requested), never for a
    payment, and only for a tool that requests a payment by its name (``payment_request``,
    :func:`_requests_payment`); "send a payment request" sends no money either."""
    verbs, nouns = family
    if payment_request:
        return re.compile(rf"\b(?:{verbs})\b|\b{_MAKES_A_REQUEST}", _I)
    return re.compile(
        rf"\b(?:{verbs})\b(?:(?<=\bpay)|(?<=\bpaying)|(?!\s{{1,4}}{_REQUEST_NOUN}))"
        rf"|\b{_START_A}(?:{nouns})\b(?![\s-]{{1,4}}requests?\b)",
        _I,
    )


#: What "send" sends when it sends no money: "Send an invoice to Bob for $150", "Send to Bob
#: a request for $150", "Send over a payment link" (rev-pay33 H5).
_NOT_MONEY = frozenset(
    [
        "invoice",
        "invoices",
        "bill",
        "bills",
        "reminder",
        "reminders",
        "request",
        "requests",
        "link",
        "links",
        "receipt",
        "receipts",
        "quote",
        "quotes",
        "estimate",
        "estimates",
    ]
)
#: Words that end the object of "send".
_OBJECT_ENDS = frozenset(["to", "from", "for", "via", "using", "and", "then", "with", "into"])
_ARTICLES = frozenset(["a", "an", "the"])


def _sends_no_money(verb: str, after: str) -> bool:
    """Whether "send" (``verb``) sends something other than money: the object after it (up
    to "to", "for", ...) or, in "send to Bob a/the ...", the one after the payee, names an
    invoice, a bill, a reminder, a request, a link, a receipt, a quote or an estimate."""
    if verb.lower() not in ("send", "sending"):
        return False
    words = payee_words(after)
    if words[:1] == ["to"]:
        k = next((j for j in range(1, min(4, len(words))) if words[j] in _ARTICLES), len(words))
        words = words[k:]
    phrase = takewhile(lambda w: w not in _OBJECT_ENDS, words[:6])
    return not _NOT_MONEY.isdisjoint(phrase)


def _asking_only(prefix: str) -> bool:
    if prefix and prefix[-1] not in " \t,":
        return False
    return all(w.lower() in _ASKING_WORDS for w in _ASKING_SEPARATORS.split(prefix) if w)


def _parse_amount(number: str) -> float | None:
    """A sum's digits read with their separators: "12,50" is 12.5, "1,250" and "1,250.00" are
    1250, "1.250,5" is 1250.5; "1.250" (a thousand or one and a quarter) is None."""
    number = number.rstrip(".,")
    if "," in number and "." in number:
        point = max(number.rfind(","), number.rfind("."))
        whole, fraction, mark = number[:point], number[point + 1 :], number[point]
        groups = whole.split("." if mark == "," else ",")
        if mark in whole or len(fraction) > 2 or not _thousands(groups):
            return None
        return float("".join(groups) + "." + fraction)
    for mark in ",.":
        if mark in number:
            parts = number.split(mark)
            if len(parts) == 2 and 1 <= len(parts[1]) <= 2:
                return float(parts[0] + "." + parts[1])
            return float("".join(parts)) if mark == "," and _thousands(parts) else None
    return float(number)


def _thousands(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _clause_money(clause: str) -> tuple[float, str] | None:
    """The one sum of money of ``clause`` and its currency, or None (none, several, unclear)."""
    sums = set()
    for m in _MONEY_AMOUNT.finditer(clause):
        if m.group(1):
            currency, number = _CURRENCY_SIGNS[m.group(1)], m.group(2)
        else:
            word, number = (m.group(3), m.group(4)) if m.group(3) else (m.group(6), m.group(5))
            currency = _CURRENCY_WORDS.get(word.lower(), "")
            if not currency:
                continue
        amount = _parse_amount(number)
        if amount is None:
            return None
        sums.add((amount, currency))
    return sums.pop() if len(sums) == 1 else None


def payee_words(text: str) -> list[str]:
    """The words of ``text`` in any script, NFKC-normalised and case-folded (:data:`_WORD_TOKEN`)."""
    return _WORD_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


#: Words of a sum worked out from the stated one (shares, arithmetic, units, schedules,
#: conversions): a turn with any of them states no sum the call must equal (rev-authz27 F3:
#: "send him his half", "$20 plus a $5 tip", "10% of", "$1.5k", "50 cents", "for a year").
#: :func:`payment_asked` reads "cents" itself (:func:`_values_end`), so it uses the words
#: without them (:data:`_SUM_WORKED_OUT`); a part of the sum ("the rest/remainder of") is one
#: too (rev-pay33 H4).
_WORKED_OUT_WORDS = (
    r"%|\d\s?(?:k|m|mm|bn)\b|/\s?(?:mo|month|year|yr|week|day)\b|\b(?:percent|plus|minus|half|share|"
    r"halves|split|each|per|tip|tips|fee|fees|tax|taxes|vat|times|twice|thirds?|quarters?|"
    r"instal+ments?|upfront|interest|convert\w{0,5}|deduct\w{0,4}|subtract\w{0,4}|"
    r"rounded|exchange|rest|remainder|remaining)\b"
)
_SUM_WORKED_OUT = re.compile(_WORKED_OUT_WORDS, _I)
_WORKED_OUT = re.compile(_WORKED_OUT_WORDS + r"|\bcents?\b", _I)


def payment_contradicted(
    tool: str, arguments: object, made_up: frozenset[str], turn: str
) -> str | None:
    """Why a payment the user's turn ``turn`` asked for by its verb ("Send $125 to Alex." for
    ``send_money``) is not the payment the call makes, or None.

    Only a plain request is compared: the one sum of money of the turn, stated in a clause
    asking for this kind of money movement (:data:`_MONEY_FAMILIES`), in a turn with no word of a sum
    worked out from it (:data:`_WORKED_OUT`). A sum of the call that the model made up
    (``made_up``: the argument names whose value came from nowhere, named for a sum:
    ``amount``, ``total_amount``; not ``total_tickets``) must be that sum, or that sum in
    minor units. A turn that states no sum leaves the sum to the agent ("Pay my rent."); a
    sum from tool output (the bill's amount), a converted currency and the payee are not
    compared (an agent's record of "the supplier account on file" is no contradiction)."""
    if not isinstance(arguments, dict) or not made_up or len(turn) > _MAX_PAYMENT_TURN:
        return None
    family = _money_family(tool)
    if family is None or _WORKED_OUT.search(turn):
        return None
    sums = _governed_sums(turn, _MONEY_FAMILIES[family])
    if len(sums) != 1 or _clause_money(turn) != next(iter(sums)):
        return None  # the turn states another sum too ("the $120 bill and the $80 bill")
    stated, currency = sums.pop()
    key = _principal_amount(arguments)
    if _converted(arguments, key, currency):
        return None
    for name, value in arguments.items():
        words = tool_words(str(name))
        if str(name) not in made_up or not words or words[-1] not in _AMOUNT_KEYS:
            continue
        amount = _amount_of(value)
        if amount is None or amount in (stated, round(stated * 100, 2)):
            continue
        if str(name) == key or amount > stated * _FEE_SHARE:
            return f"its {name}={value!r} is not the {stated:g} that turn asks to send"
    return None


def _converted(arguments: dict[object, object], key: str | None, currency: str) -> bool:
    """True when the call pays in another currency than the turn's sum: a currency argument
    naming another ("Send €100" paid with currency="USD"), or the principal sum named for
    one (``usd_amount``). Another argument's name (``fee_cents``) says nothing about it."""
    for other, value in arguments.items():
        named = not set(tool_words(str(other))).isdisjoint(_CURRENCY_KEYS)
        if named and _currency_of(value, currency) != currency:
            return True
    words = tool_words(key) if key is not None else []
    return any(_CURRENCY_WORDS.get(w, currency) != currency for w in words)


def _currency_of(value: object, default: str) -> str:
    """The currency a value names (``"USD"``, ``"euro"``), or ``default``."""
    return (
        _CURRENCY_WORDS.get(value.strip().lower(), default) if isinstance(value, str) else default
    )


#: A sum beside the one sent (a fee, a tip, a total with its fee) is at most this share of
#: it: "Send $125 to Alex" with total_amount=4900 is no fee (rev-final27 H4).
_FEE_SHARE = 1.1


#: Argument names of a sum's currency.
_CURRENCY_KEYS = frozenset(["currency", "ccy", "cur", "curr"])


def _principal_amount(arguments: dict[object, object]) -> str | None:
    """The argument that holds the sum sent: ``amount`` itself, else the one argument named
    only by a word for a sum (``total``, ``value``), else the one whose name ends in such a
    word (``total_amount``); None when that is not one argument (rev-authz27b G6)."""
    names = [str(k) for k in arguments]
    ending = [k for k in names if tool_words(k)[-1:] and tool_words(k)[-1] in _AMOUNT_KEYS]
    whole = [k for k in ending if len(tool_words(k)) == 1]
    for group in (["amount"] if "amount" in names else [], whole, ending):
        if len(group) == 1:
            return group[0]
        if group:
            return None
    return None


def _governed_sums(turn: str, family: tuple[str, str]) -> set[tuple[float, str]]:
    """The sums of money (with their currency) of the clauses of ``turn`` that ask for a
    money movement of ``family`` (its verb, or "initiate a <noun>"), read as
    :func:`_clause_money` reads them."""
    verbs, nouns = family
    verb = re.compile(rf"\b(?:{verbs})\b|\b{_START_A}(?:{nouns})\b", _I)
    sums = set()
    for sentence in _SENTENCE_END.split(turn):
        for clause in _CLAUSE_END.split(sentence):
            found = verb.search(clause)
            money = _clause_money(clause[found.start() :]) if found is not None else None
            if money is not None:
                sums.add(money)
    return sums


def _amount_of(value: object) -> float | None:
    """A call's sum as a number: an int or float, or a number given as text ("4900", "$4,900").
    None when it is no finite number: NaN, an infinity, or an int too large for a float
    (``10**400``, as ``json.loads`` reads a 401-digit number: rev-pay33b N5)."""
    amount: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            amount = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        number = _NUMBER_TEXT.fullmatch(value.strip())
        amount = _parse_amount(number.group(1)) if number is not None else None
    return amount if amount is not None and math.isfinite(amount) else None


def _values_end(
    arguments: dict[object, object], clause: str, private: bool, pays_out: bool = False
) -> int | None:
    """Where the call's values end in the clause (the index of the word after the last one,
    :func:`payee_words`), or None when the clause does not give them all: the call's one sum
    is the clause's sum of money, and every other value of the call is a phrase of the
    clause (:func:`_string_end`); a True privacy flag is given when the turn asks for privacy
    (``private``, :func:`_privacy_flag`); any other flag, True or False (``require_2fa=False``:
    rev-pay33 M2), a list or any other value is not. Only None and "" are no value."""
    money = _clause_money(clause)
    if money is None:
        return None
    tokens = payee_words(clause)
    end, amounts, currencies = _money_end(clause), 0, 0
    for key, value in arguments.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            if not _flag_given(str(key), value, private):
                return None
            continue
        key_words = set(tool_words(str(key)))
        if (
            isinstance(value, str)
            and not key_words & _AMOUNT_KEYS
            and not _NUMBER_TEXT.fullmatch(value.strip())
        ):
            at = _string_end(value, key_words, tokens, money[1], clause if pays_out else None)
            if at is None:
                return None
            end, currencies = max(end, at), currencies + ("currency" in key_words)
            continue
        amounts += 1
        if _amount_of(value) != money[0]:
            return None
    # "Send 125 cents to Alex" gives no transfer_funds(amount=125) unless the call says cents
    # (rev-last P2): a tool's unit is its own.
    return end if amounts == 1 and (money[1] != "cents" or currencies > 0) else None


def _flag_given(key: str, value: bool, private: bool) -> bool:
    """A flag the turn gives: the privacy flag (:func:`_privacy_flag`) True when the turn asks
    for privacy, False when it does not; no other flag either way."""
    return _privacy_flag(key) and value == private


def _money_end(clause: str) -> int:
    """The index of the word after the clause's last sum of money (:data:`_MONEY_AMOUNT`)."""
    ends = [
        m.end()
        for m in _MONEY_AMOUNT.finditer(clause)
        if m.group(1) or m.group(3) or m.group(6).lower() in _CURRENCY_WORDS
    ]
    return len(payee_words(clause[: max(ends)])) if ends else 0


def _privacy_flag(key: str) -> bool:
    """A flag whose name is privacy only (``private_visibility``, ``is_private``): the words
    of its name but :data:`_FLAG_FILLER` are :data:`_PRIVACY_WORDS` (rev-pay32 B1)."""
    words = {w for w in tool_words(key) if w not in _FLAG_FILLER}
    return bool(words) and words <= _PRIVACY_WORDS


def _string_end(
    value: str, key_words: set[str], tokens: list[str], currency: str, paid: str | None
) -> int | None:
    """Where a value the clause gives ends (the index of the word after it), or None: the
    sum's currency (anywhere: 0), or its words in order in the clause ("Alex Brown", an IBAN,
    "debit" for a payment method "debit card"), where the money goes or comes from
    (:func:`_after_a_link`) or as the first object. Of a tool that pays out (``paid``: the
    clause), a payee (:func:`_placement`) is only where the money goes
    (:func:`_paid_to`), never joined to another by "&", "/" or "+" (rev-pay33 M1)."""
    if "currency" in key_words:
        return 0 if _CURRENCY_WORDS.get(value.strip().lower()) == currency else None
    parts = payee_words(value)
    if "method" in key_words:
        parts = [p for p in parts if p not in _METHOD_NOUNS]
    n = len(parts)
    where = _placement(value, key_words, paid)
    if n == 0 or where is None:
        return None
    ends = [
        _phrase_end(tokens, k + n)
        for k in range(len(tokens) - n + 1)
        if tokens[k : k + n] == parts and (where(tokens, k) or _first_object(tokens, k, n))
    ]
    found = [e for e in ends if e is not None]
    return max(found) if found else None


def _placement(
    value: str, key_words: set[str], paid: str | None
) -> Callable[[list[str], int], bool] | None:
    """Where a value must stand in the clause. Of a tool that pays out (``paid``: the
    clause), a value that is not its payment method or its source (:data:`_SOURCE_KEYS`)
    says where the money goes, whatever its name (``receiver``, ``to_iban``, ``account``):
    there (:func:`_paid_to`), and never joined to another payee by "&", "/" or "+" (None).
    Any other value after a link (:func:`_after_a_link`)."""
    if paid is None or key_words & _SOURCE_KEYS:
        return _after_a_link
    return None if _JOINED.search(paid.replace(value, " ")) else _paid_to


#: Argument names of where a payment comes from and how it is paid (rev-pay33 M1).
_SOURCE_KEYS = frozenset(["from", "source", "sender", "payer", "debit", "method"])
_JOINED = re.compile(r"[&/+]")
#: A possessive of a value names only its account, card or wallet ("Diego's account"):
#: "Bob's landlord" is not Bob (rev-pay33 M1).
_OWN_PLACES = frozenset(["account", "card", "wallet"])
#: The one word between "to my" and a payee ("to my friend John").
_RELATIONS = frozenset(
    [
        "friend",
        "colleague",
        "coworker",
        "landlord",
        "landlady",
        "brother",
        "sister",
        "mother",
        "father",
        "mom",
        "mum",
        "dad",
        "son",
        "daughter",
        "wife",
        "husband",
        "partner",
        "cousin",
        "uncle",
        "aunt",
        "neighbor",
        "neighbour",
        "boss",
        "roommate",
        "flatmate",
    ]
)
#: Words of a request for a payment the payee sent: "pay the request from Bob".
_BILLED = frozenset(["request", "requests", "invoice", "invoices", "bill", "bills"])
#: What a clause may hold after its request's last value, and all a later clause may hold
#: besides another request or a privacy clause: politeness (rev-pay33 H1).
_POLITENESS = frozenset(["please", "thanks", "thank", "you", "very", "much"])
_TAIL_WORDS = _POLITENESS | {"now"} | frozenset(_CURRENCY_WORDS)
_CHANNEL_LINKS = frozenset(["via", "on", "using", "through", "with"])


def _phrase_end(tokens: list[str], end: int) -> int | None:
    """Where a value's phrase ending at ``end`` ends with its card or account ("debit card",
    "Diego's account"); None for a possessive of anything else ("Bob's landlord")."""
    if tokens[end : end + 1] == ["s"]:
        if tokens[end + 1 : end + 2] and tokens[end + 1] in _OWN_PLACES:
            return end + 2
        return None
    return end + 1 if tokens[end : end + 1] and tokens[end] in _METHOD_NOUNS else end


def _first_object(tokens: list[str], k: int, n: int) -> bool:
    """The phrase at ``tokens[k:k+n]`` comes right after the request's verb and right before
    its sum: the payee of "Send Alex $125" (rev-authz27b G6c, redteam #11)."""
    return k == 1 and k + n < len(tokens) and tokens[k + n][:1].isdigit()


def _link_before(tokens: list[str], k: int) -> tuple[int, list[str]] | None:
    """The nearest link word (:data:`_LINKS`) at most three words before ``tokens[k]``: its
    index and the words between it and ``k`` but determiners."""
    for j in range(k - 1, max(0, k - 3) - 1, -1):
        if tokens[j] in _LINKS:
            return j, [w for w in tokens[j + 1 : k] if w not in _DETERMINERS]
    return None


def _after_a_link(tokens: list[str], k: int) -> bool:
    """The phrase at ``tokens[k]`` is where the money goes or comes from: right after "to",
    "from", "into", "via" or "using", with at most a determiner and one word between ("to my
    friend John", "using my debit"). A name elsewhere in the clause ("to Alex for Mallory's
    birthday") is no payee."""
    link = _link_before(tokens, k)
    return link is not None and len(link[1]) <= 1


def _paid_to(tokens: list[str], k: int) -> bool:
    """The phrase at ``tokens[k]`` is where the money goes: right after "to" (a determiner and
    a word of kin or role between: "to my friend John"), or after "from" in "pay the request
    from Bob" when no "to" names another. "from Bob", "via Mallory", "to Bob Smith" for
    "Smith" name no payee (rev-pay33 M1)."""
    link = _link_before(tokens, k)
    if link is None:
        return False
    j, between = link
    if tokens[j] == "to":
        return _RELATIONS.issuperset(between) and len(between) <= 1
    billed = j > 0 and tokens[j - 1] in _BILLED
    return tokens[j] == "from" and not between and billed and "to" not in tokens


#: Asking for a change of who may do what in the words users use for it: a verb and what it
#: changes ("make /srv/uploads world-writable", "give deploy sudo rights", "change the
#: permissions of ...", "add bob to the docker group"). Naming permissions is no request
#: ("check the permissions on /srv"). Bounded gaps (linear).
_ASKS_ACCESS = re.compile(
    r"\b(?:make|set|mark)\b[^.\n]{0,60}\b(?:(?:world|group|all)[- ]?)?"
    r"(?:writ(?:e)?able|readable|executable)\b"
    r"|\b(?:give|grant)\b[^.\n]{0,60}\b(?:sudo|root|admin|write|read|ssh)\s{1,4}"
    r"(?:rights|access|permissions?|privileges)\b"
    r"|\b(?:change|set|fix|open up|loosen|update)\b[^.\n]{0,40}\bpermissions?\b"
    r"|\badd\b[^.\n]{0,60}\b(?:to|in)\s{1,4}(?:the\s{1,4})?[\w-]{1,32}\s{1,4}group\b",
    _I,
)


#: Of the commands :data:`ACCESS_COMMAND` finds, the ones that set a password: a credential change.
_PASSWORD_COMMAND = re.compile(r"\bchpasswd\b|\bpasswd\s{1,4}[\w-]", _I)
#: Programs that write a file given as their last word.
_COPYING = frozenset(["cp", "mv", "install", "ln", "rsync", "scp", "dd"])
#: Files that say who may log in or act as root: the last word of a copy onto them.
_ACCESS_FILE = re.compile(r"(?:^|[/=])(?:authorized_keys2?|sudoers(?:\.d/[\w.-]{1,64})?)$")


def access_change(command: str) -> str | None:
    """``"credential"`` for a command that sets a password, ``"permission"`` for one that
    otherwise changes who may do what (:data:`ACCESS_COMMAND`, or a file copied onto
    ``authorized_keys`` or into ``/etc/sudoers.d``), else None."""
    if ACCESS_COMMAND.search(command) is None and not _copies_onto_access_file(command):
        return None
    return "credential" if _PASSWORD_COMMAND.search(command) else "permission"


def _copies_onto_access_file(command: str) -> bool:
    """True when a ``cp``/``mv``/``install``... in ``command`` writes an access file."""
    if "authorized_keys" not in command and "sudoers" not in command:
        return False
    words = command_words(command[:_MAX_COMMAND])
    copying = False
    target = ""
    for k, word in enumerate(words + [";"]):
        if word in _SEPARATORS or (word and all(ch in "();<>|&" for ch in word)):
            if copying and _ACCESS_FILE.search(target):
                return True
            copying = False
        elif word.rsplit("/", 1)[-1] in _COPYING and (k == 0 or words[k - 1] in _SEPARATORS):
            copying, target = True, ""
        elif copying and not word.startswith("-"):
            target = word
    return False


def performed_action(arguments: object) -> str | None:
    """The side effect an exec call's SQL or command performs that users ask for by its own
    words: ``"delete"`` (SQL that deletes rows), ``"credential"`` (a password set) or
    ``"permission"`` (``chmod 777``, an account added to a group); None otherwise."""
    sql = _sql_of(arguments)
    if sql and sql_deletes(sql):
        return "delete"
    return access_change(command_of(arguments))


def action_asked(
    arguments: object, user_text: str, untrusted: tuple[str | tuple[str, str], ...] = ()
) -> bool:
    """True when the user's words ask for what an exec call's SQL or command does
    (:func:`performed_action`) to what it does it to (:func:`action_objects`): "Delete the
    sessions older than 30 days from the sessions table" for ``DELETE FROM sessions ...``,
    "Reset alice's password" for ``chpasswd`` setting alice's. Actions are compared: the call
    is authorised as the action it performs, not as "running" something. False when one of
    the ``untrusted`` instructions before the call (its text, or its text and the whole text
    of the step it is in) asks for the same kind of action, on whatever object: an ignored
    injection asking to delete another table also makes the user's own delete unrequested
    (a false SEV-1 we accept over the bypasses a finer rule had)."""
    performed = performed_action(arguments)
    if performed is None:
        return False
    if not _plainly_readable(arguments, performed):
        return False  # what the call does to what cannot all be read: never asked for
    objects = list(dict.fromkeys(action_objects(arguments, performed)))
    if not objects or not _all_named(objects, performed, user_text):
        return False
    if not _asks_action(performed, user_text):
        return False
    # Fails closed: any untrusted instruction before the call asking for the same kind of
    # action takes it from the user, whatever object it names (a rule that let "names another
    # object" lift this was defeated by decoy names and indirect references in review).
    return not any(_asks_action(performed, t if isinstance(t, str) else t[0]) for t in untrusted)


def _all_named(objects: list[str], performed: str, text: str) -> bool:
    """True when ``text`` names every one of ``objects`` (:func:`_named`; the table of a
    delete also without its schema: ``public.sessions`` by "sessions"). A few objects are
    searched for one by one; many (:data:`_MANY_OBJECTS`, ``usermod`` of 700 accounts) are
    looked up in one pass over the text (:func:`_named_each`)."""
    names = [[o, o.rsplit(".", 1)[-1]] if performed == "delete" else [o] for o in objects]
    if len(objects) < _MANY_OBJECTS:
        return all(any(_named(n, text) for n in alts) for alts in names)
    flat = [n for alts in names for n in alts]
    named = dict(zip(flat, _named_each(flat, text), strict=True))
    return all(any(named[n] for n in alts) for alts in names)


#: From this many objects on, :func:`_all_named` reads the text once for all of them.
_MANY_OBJECTS = 8


def _plainly_readable(arguments: object, performed: str) -> bool:
    """True when :func:`action_objects` can read everything the call does: SQL that is
    only ``DELETE FROM <table> [WHERE ...]`` statements with no quoted names, within the
    length read; a command within that length with no variables, substitutions, format
    strings or redirections feeding ``chpasswd``. Anything else (``...; DROP TABLE users``,
    ``printf '%s:pw' root | chpasswd``, a table name past 4,096 characters) is not read as
    the user's request, whatever the user asked."""
    if performed == "delete":
        sql = _sql_of(arguments)
        if len(sql) > _MAX_COMMAND or any(q in sql for q in '"`['):
            return False
        statements = [p for p in sql_code(sql).split(";") if p.strip()]
        return bool(statements) and all(_ONLY_DELETE.match(p.strip()) for p in statements)
    command = command_of(arguments)
    if len(command) > _MAX_COMMAND:
        return False
    return performed != "credential" or not any(ch in command for ch in "$`%<>")


def _sql_of(arguments: object) -> str:
    """The SQL an exec call runs: its string arguments named like SQL (:data:`SQL_KEYS`)."""
    args = arguments if isinstance(arguments, dict) else {}
    return " ".join(v for k, v in args.items() if str(k).lower() in SQL_KEYS and isinstance(v, str))


#: A statement that only deletes rows of one table (``WHERE`` and what follows allowed).
_ONLY_DELETE = re.compile(r"delete\s+from\s+[\w.]{1,128}(?:\s+where\b[^;]*)?$", _I)


def _asks_action(performed: str, text: str) -> bool:
    """True when ``text`` asks for the kind of action ``performed`` is."""
    if performed == "permission":  # the lexicon's "permission", "access" are nouns as often
        return _ASKS_ACCESS.search(text) is not None and not forbidden(performed, text.lower())
    return authorised(performed, "", text)


#: The table a ``DELETE FROM`` deletes rows of (a quoted name is a literal to ``sql_code``).
_DELETED_TABLE = re.compile(r"\bdelete\s+from\s+[`\[]?([\w.]{1,128})", _I)
#: The account of an ``account:password`` line fed to ``chpasswd``.
_PASSWORD_LINE = re.compile(r"(?:^|[\s'\"])([A-Za-z_][\w.-]{0,31}):(?!/)")
#: Programs whose operands are the accounts, groups and paths an access change is about.
_ACCESS_PROGRAMS = frozenset(
    ["chmod", "chown", "chgrp", "usermod", "gpasswd", "useradd", "adduser", "passwd"]
)


def action_objects(arguments: object, performed: str) -> list[str]:
    """What the action ``performed`` is done to: the tables of a SQL delete, the accounts,
    groups and paths of an access change (a ``chmod`` mode is no object), the accounts of
    ``chpasswd`` lines, an ``authorized_keys``/``sudoers`` file written. Empty when none is
    found (then no user words can ask for it)."""
    if performed == "delete":
        return _DELETED_TABLE.findall(sql_code(_sql_of(arguments)[:_MAX_COMMAND]))
    command = command_of(arguments)[:_MAX_COMMAND]
    objects = [w for w in command_words(command) if _ACCESS_FILE.search(w)]
    for raw in _simple_commands(command):
        words = program_words(raw)
        program = words[0].rsplit("/", 1)[-1] if words else ""
        if program not in _ACCESS_PROGRAMS and program != "chpasswd":
            text = " ".join(raw)
            if ACCESS_COMMAND.search(text):
                # an access change this cannot read (behind /usr/bin/sudo, bash -c, eval,
                # if, { ...; }, env -S): an object no user names (review rev-runners31 F1)
                objects.append(text)
            continue
        if program == "chpasswd":
            lines = command.replace("\\n", "\n")
            objects += _PASSWORD_LINE.findall(lines) or [command]  # unknown: never named
        elif program in _ACCESS_PROGRAMS:
            operands = [w for w in words[1:] if not w.startswith("-")]
            objects += operands[1:] if program == "chmod" else operands
    return objects


def _simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command of a shell line, prefixes and all (its program is
    read by :func:`~incident_lab.provenance.sensitive.program_words`)."""
    out: list[list[str]] = [[]]
    for word in command_words(command):
        if word in _SEPARATORS or (word and all(ch in "();<>|&" for ch in word)):
            out.append([])
        else:
            out[-1].append(word)
    return out


def _named(obj: str, user_text: str) -> bool:
    """True when the user's words name ``obj`` as a whole word, case-insensitive (a path with
    or without its last ``/``): :func:`_named_search`."""
    name = obj.rstrip("/") or obj
    return bool(name) and _named_search(name, user_text)


def _named_each(objs: list[str], text: str) -> list[bool]:
    """:func:`_named` of each of ``objs`` in ``text``, for ASCII text in one pass over it
    (:func:`_names_in`): thousands of objects against a long text cost one pass, not one
    search each, and nothing of the text is kept. Names longer than :data:`_NAME_KEY` or
    with other characters, and non-ASCII text, are searched for."""
    if not text.isascii():
        return [_named(o, text) for o in objs]
    keys = [_name_key(o) for o in objs]
    found = _names_in({k for k in keys if k}, text)
    return [_named(o, text) if k is None else k in found for o, k in zip(objs, keys, strict=True)]


def _name_key(obj: str) -> str | None:
    """What :func:`_names_in` looks ``obj`` up by: its name lower-cased with non-ASCII
    characters folded to their ASCII twins; ``""`` when no ASCII text can name it; None
    when it must be searched for (:func:`_named`)."""
    name = obj.rstrip("/") or obj
    if not name:
        return ""
    if len(name) > _NAME_KEY:
        return None
    folded = _ascii_fold(name)
    if folded is None:
        return ""  # a character no ASCII character matches case-insensitively
    return folded if _NAME_CHARS.issuperset(folded) else None


def _named_search(name: str, user_text: str) -> bool:
    """:func:`_named` by searching ``user_text`` for ``name`` (the reference rule): not after
    a word character, ``/``, ``.``, ``~`` or ``-``; then an optional ``/``; then no word
    character, ``/``, ``~``, ``-`` nor a ``.`` before a word character."""
    pattern = r"(?<![\w/.~-])" + re.escape(name) + r"/?(?![\w/~-]|\.\w)"
    return re.search(pattern, user_text, _I) is not None


#: The characters a name of :func:`_names_in` is made of (in ASCII text).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_/.~-")
#: A run of them (upper case included): where a name of the text starts.
_NAME_RUN = re.compile(r"[A-Za-z0-9_/.~-]+")
#: Names longer than this are searched for (:func:`_named_search`), not looked up.
_NAME_KEY = 64
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _names_in(wanted: set[str], text: str) -> set[str]:
    """The ones of ``wanted`` (lower-cased, :data:`_NAME_KEY` characters at most) that ASCII
    ``text`` names as :func:`_named_search` reads them: each start of a run of name
    characters up to every end where a name may stop (the run's end, a ``.`` before no word
    character, a ``/`` before either). Keeps only what it finds."""
    found: set[str] = set()
    if not wanted:
        return found
    for m in _NAME_RUN.finditer(text):
        run = m.group(0).lower()
        found.update(run[:q] for q in _name_ends(run) if run[:q] in wanted)
        if len(found) == len(wanted):
            break
    return found


def _name_ends(run: str) -> list[int]:
    """The ends ``q`` (``0 < q <=`` :data:`_NAME_KEY`) at which a name starting at the start
    of ``run`` (a whole run of name characters) may stop."""
    m = len(run)
    if "." not in run and "/" not in run:  # most runs: a word, which stops only at its end
        return [m] if m <= _NAME_KEY else []

    def stops(q: int) -> bool:  # nothing after q continues a name
        return q >= m or (run[q] == "." and (q + 1 >= m or run[q + 1] not in _WORD_CHARS))

    return [
        q
        for q in range(1, min(m, _NAME_KEY) + 1)
        if stops(q) or (q < m and run[q] == "/" and stops(q + 1))
    ]


@lru_cache(maxsize=256)
def _ascii_fold(name: str) -> str | None:
    """``name`` lower-cased with each non-ASCII character replaced by the ASCII one it
    matches case-insensitively (the Kelvin sign ``K`` by ``k``, ``ſ`` by ``s``), or None
    when one matches none (it cannot be in ASCII text)."""
    out = []
    for ch in name:
        if ch.isascii():
            out.append(ch.lower())
            continue
        twin = _ascii_twin(ch)
        if twin is None:
            return None
        out.append(twin)
    return "".join(out)


@lru_cache(maxsize=256)
def _ascii_twin(ch: str) -> str | None:
    pattern = re.compile(re.escape(ch), _I)
    return next((c for c in _LOWER_ASCII if pattern.fullmatch(c)), None)


_LOWER_ASCII = [chr(c) for c in range(128) if not chr(c).isupper()]


#: Longest command :func:`read_only_command` parses (a longer one is not called read-only).
_MAX_COMMAND = 4096
#: Programs that only read or print (``env``/``printenv`` are left out: they dump secrets).
_READ_PROGRAMS = frozenset(
    [
        "cat",
        "less",
        "more",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "wc",
        "jq",
        "yq",
        "sort",
        "uniq",
        "cut",
        "tr",
        "column",
        "echo",
        "printf",
        "pwd",
        "whoami",
        "id",
        "hostname",
        "uname",
        "date",
        "df",
        "du",
        "ps",
        "stat",
        "file",
        "tree",
        "ls",
        "dig",
        "nslookup",
        "host",
        "ping",
        "traceroute",
        "tracepath",
        "which",
        "realpath",
        "basename",
        "dirname",
        "diff",
        "sleep",  # waits, changes nothing ("sleep 2; cat README.md": review revcc37 L3)
        "cmp",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "true",
        "test",
        "nproc",
        "uptime",
        "free",
        "lsof",
        "netstat",
        "ss",
        "getent",
        "cloc",
        "tokei",
        "lscpu",
        "lsblk",
        "vmstat",
        "iostat",
        "whois",
        "nvidia-smi",
    ]
)
#: ``git``/``kubectl``/``docker``/``systemctl``/package-manager subcommands that only read.
_READ_SUBCOMMANDS = {
    "git": frozenset(
        [
            "status",
            "log",
            "diff",
            "show",
            "blame",
            "ls-files",
            "ls-tree",
            "rev-parse",
            "describe",
            "grep",
            "shortlog",
            "cat-file",
            "remote",
            "branch",
            "tag",
            "config",
        ]
    ),
    "kubectl": frozenset(
        ["get", "describe", "logs", "top", "version", "explain", "api-resources", "cluster-info"]
    ),
    "oc": frozenset(["get", "describe", "logs", "top", "version", "explain"]),
    "docker": frozenset(["ps", "images", "inspect", "logs", "version", "info", "stats"]),
    "podman": frozenset(["ps", "images", "inspect", "logs", "version", "info", "stats"]),
    "systemctl": frozenset(
        ["status", "is-active", "is-enabled", "list-units", "list-timers", "show"]
    ),
    "pip": frozenset(["list", "show", "freeze"]),
    "pip3": frozenset(["list", "show", "freeze"]),
    "npm": frozenset(["ls", "list", "view", "info", "outdated", "why"]),
    "helm": frozenset(["list", "ls", "status", "get", "history", "search", "show"]),
    "terraform": frozenset(["plan", "show", "output", "validate", "providers", "version"]),
    "ip": frozenset(["addr", "address", "a", "route", "r", "link", "l", "neigh", "n"]),
}
#: Words after which ``ip`` changes the network instead of showing it.
_IP_WRITE = frozenset(["add", "del", "delete", "set", "flush", "change", "replace", "append"])
#: Options that make a listing subcommand write (``git branch -D``, ``git config --add``).
_GIT_WRITE_OPTIONS = frozenset(
    [
        "-d",
        "-D",
        "-m",
        "-M",
        "-c",
        "-C",
        "--delete",
        "--move",
        "--copy",
        "--add",
        "--unset",
        "--replace-all",
        "--set-url",
        "--rename-section",
        "--remove-section",
        "-a",
        "-f",
        "--force",
    ]
)
#: Cloud CLIs whose read verb is a word of the command (``az role assignment list``).
_CLOUD_CLIS = frozenset(["az", "aws", "gcloud", "gh", "doctl", "heroku"])
#: Cloud CLIs whose first word names a command group, a noun, never an act: ``gh run view``
#: reads a workflow run (``gh workflow run`` runs one; ``gh run rerun`` names no read).
_GROUP_FIRST = frozenset(["gh"])
_CLOUD_READ = re.compile(r"(?:list|show|get|describe|view|status|ls|whoami)(?:-[\w-]{1,40})?")
_CLOUD_WRITE = frozenset(
    [
        "create",
        "delete",
        "update",
        "set",
        "add",
        "remove",
        "put",
        "run",
        "start",
        "stop",
        "deploy",
        "apply",
        "assign",
        "invoke",
        "exec",
        "ssh",
        "cp",
        "sync",
        "mv",
        "rm",
        "merge",
        "close",
        "edit",
        "upload",
        "login",
        "logout",
    ]
)
#: Options of curl that send data or write a file (a plain GET to stdout only reads).
_CURL_WRITE = re.compile(
    r"-[a-zA-Z]{0,6}[dFTXoO]|--(?:data[\w-]{0,12}|form[\w-]{0,8}|upload-file|request|output|"
    r"remote-name[\w-]{0,8}|json|config)",
)
#: Environment settings before a command that cannot make it run other code.
_INERT_SETTINGS = frozenset(["LANG", "LC_ALL", "LC_CTYPE", "TZ", "NO_COLOR", "TERM", "COLUMNS"])
#: Words that start a cloud CLI's writing subcommand (``delete-function``, ``put-object``).
_CLOUD_WRITE_PREFIX = re.compile(
    r"(?:create|delete|update|set|add|put|remove|attach|detach|start|stop|terminate|run|"
    r"invoke|deploy|apply|patch|modify|reboot|restore|rotate|revoke|grant|enable|disable)\b"
)
#: Shell tokens that separate one command from the next.
_SEPARATORS = frozenset(["|", "||", "&&", ";"])


def command_of(arguments: object) -> str:
    """The shell line an exec call runs: its ``command``-like argument (a list of words is
    joined), else every string in its arguments."""
    args = arguments if isinstance(arguments, dict) else {}
    for key in ("command", "cmd", "script", "commands", "args"):
        value = args.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return " ".join(value)
    return " ".join(v for _, v in leaves(arguments) if isinstance(v, str))


def read_only_command(command: str) -> bool:
    """True when every command of a shell line only reads or prints.

    The line is split into commands at ``|``, ``&&``, ``||``, ``;`` and newlines; each must be
    a reading program (``cat``, ``grep``, ``jq``, ``dig``...), a reading subcommand (``git
    log``, ``kubectl get``, ``az ... list``), ``curl`` without data, upload or output file,
    ``nc`` with ``-z`` (a port check), ``sed`` without ``-i`` or ``find`` without
    ``-delete``/``-exec``. Command substitution, subshells, backgrounding, ``sudo``, ``xargs``
    and any output redirection except to ``/dev/null`` make it not read-only; so does a line
    that does not parse.
    """
    if not command.strip() or len(command) > _MAX_COMMAND or "$(" in command or "`" in command:
        return False
    return _read_only_lines(command)


@lru_cache(maxsize=1024)
def _read_only_lines(command: str) -> bool:
    for line in command.splitlines():
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError:
            return False  # an unclosed quote: not something to vouch for
        if not _read_only_tokens(tokens):
            return False
    return True


def _read_only_tokens(tokens: list[str]) -> bool:
    segment: list[str] = []
    for k, tok in enumerate(tokens):
        if tok in _SEPARATORS:
            if not _read_only_segment(segment):
                return False
            segment = []
        elif tok and all(ch in "();<>|&" for ch in tok):
            target = tokens[k + 1] if k + 1 < len(tokens) else ""
            if ">" in tok and not (target == "/dev/null" or (tok == ">&" and target.isdigit())):
                return False  # writes a file
            if tok not in ("<", ">", ">>", ">&"):
                return False  # a subshell or a background job
        else:
            segment.append(tok)
    return _read_only_segment(segment)


def _read_only_segment(words: list[str]) -> bool:
    settings = [w for w in words if re.fullmatch(r"\w{1,40}=\S{0,200}", w)]  # FOO=bar cmd
    if any(w.split("=", 1)[0] not in _INERT_SETTINGS for w in settings):
        return False  # LD_PRELOAD=, PAGER=, GIT_SSH_COMMAND= ... can run code
    words = words[len(settings) :] if words[: len(settings)] == settings else words
    if words[:1] == ["time"]:
        words = words[1:]
    if not words:
        return True
    program = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if program in _READ_PROGRAMS:
        return _prints_only(program, args)
    if args in (["--version"], ["-V"], ["version"]) and program in _VERSIONED:
        return True
    rule = _PROGRAM_RULES.get(program)
    if rule is not None:
        return rule(args)
    if program in _CLOUD_CLIS:
        return _cloud_read(program, args)
    if program in _READ_SUBCOMMANDS:
        return _read_only_subcommand(program, args)
    return False


def _cloud_read(program: str, args: list[str]) -> bool:
    """Whether a cloud CLI's line only reads: a read verb among its words and no write word
    (a command group's noun, :data:`_GROUP_FIRST`, is no act)."""
    plain = [a for a in args if not a.startswith("-")]
    acting = plain[1:] if program in _GROUP_FIRST else plain
    return (
        any(_CLOUD_READ.fullmatch(a) for a in plain)
        and not _CLOUD_WRITE & set(acting)
        and not any(_CLOUD_WRITE_PREFIX.match(a) for a in acting)
    )


def _short_flags(args: list[str]) -> list[str]:
    return [a for a in args if a.startswith("-") and not a.startswith("--")]


def _netcat_reads(args: list[str]) -> bool:
    """A port check (``-z``), never ``-e``/``-c`` (which run a program)."""
    flags = _short_flags(args)
    return any("z" in a for a in flags) and not any({"e", "c"} & set(a[1:]) for a in flags)


#: Options with which an otherwise reading program writes or changes something.
_WRITING_OPTIONS = {
    "sort": ("-o", "--output"),
    "tree": ("-o",),
    "date": ("-s", "--set"),
    "yq": ("-i", "--inplace"),
}
#: ``find`` actions that delete, run a program or write a file.
_FIND_ACTIONS = frozenset(
    ["-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprintf", "-fprint0", "-fls"]
)
#: Programs whose ``--version`` only prints their version.
_VERSIONED = frozenset(
    ["python", "python3", "node", "npm", "pip", "pip3", "go", "java", "rustc", "cargo", "ruby",
     "terraform", "helm", "kubectl", "docker", "git", "gcc", "make", "cmake", "psql", "mysql"]
)  # fmt: skip


def _prints_only(program: str, args: list[str]) -> bool:
    """A reading program without an option that makes it write (``sort -o``, ``date -s``);
    ``hostname NAME`` and ``uniq IN OUT`` write too."""
    options = _WRITING_OPTIONS.get(program, ())
    letters = {o[1] for o in options if len(o) == 2}  # grouped short flags: sort -uo OUT
    if any(a.startswith(options) for a in args) or any(
        a[:1] == "-" and a[1:2] != "-" and letters & set(a[1:]) for a in args
    ):
        return False
    positional = [a for a in args if not a.startswith("-")]
    if program == "hostname":
        return not positional
    return program != "uniq" or len(positional) <= 1


#: Programs that read or write depending on their arguments: True when they only read.
_PROGRAM_RULES: dict[str, Callable[[list[str]], bool]] = {
    "sed": lambda args: not any(a.startswith(("-i", "--in-place")) for a in args),
    "find": lambda args: not _FIND_ACTIONS & set(args),
    "nc": _netcat_reads,
    "ncat": _netcat_reads,
    "netcat": _netcat_reads,
    "curl": lambda args: not any(_CURL_WRITE.match(a) for a in args if a.startswith("-")),
    "crontab": lambda args: args == ["-l"],
}


def _read_only_subcommand(program: str, args: list[str]) -> bool:
    rest = list(args)
    while rest and rest[0].startswith("-"):  # git -C dir / --no-pager, kubectl -n ns
        if program == "git" and (rest[0] == "-c" or rest[0].startswith("--config-env")):
            return False  # git -c core.fsmonitor=... runs a program
        takes_value = rest[0] in ("-C", "-c", "-n", "--namespace", "--context")
        rest = rest[2:] if takes_value else rest[1:]
    if not rest or rest[0] not in _READ_SUBCOMMANDS[program]:
        return False
    sub, options = rest[0], set(rest[1:])
    if any(a.startswith(("--output", "--ext-diff")) for a in options):
        return False  # git log --output=FILE writes; an external diff runs a program
    if program == "ip":
        return not _IP_WRITE & options
    if program != "git" or sub not in ("remote", "branch", "tag", "config"):
        return True
    return _git_lists(sub, rest[1:], options)


def _git_lists(sub: str, after: list[str], options: set[str]) -> bool:
    """``git remote|branch|tag|config`` that only lists or gets (not adds, sets, deletes)."""
    if sub == "remote":
        return not [a for a in after if not a.startswith("-")] or after[0] in ("show", "get-url")
    if sub == "config":
        return bool(options & {"--get", "--list", "-l", "--get-all"})
    if sub == "tag":
        return not after or bool(options & {"-l", "--list"})
    return not options & _GIT_WRITE_OPTIONS and all(a.startswith("-") for a in after)


#: Command-line tools of a cloud or of infrastructure: a subcommand word among their first
#: words says what they do (``aws s3 rm``, ``gcloud compute instances delete``,
#: ``terraform destroy``, ``gh repo delete``, ``kubectl delete``).
_INFRA_CLIS = _CLOUD_CLIS | frozenset(
    ["kubectl", "oc", "helm", "terraform", "tofu", "pulumi", "gsutil", "eksctl", "flyctl"]
)
#: How many words after the program may hold the subcommand (``gcloud iam service-accounts
#: keys delete``): a later word is a name or a value (``kubectl logs delete-job`` reads).
_SUBCOMMAND_WORDS = 5
_CLI_DELETE = re.compile(
    r"(?:delete|rm|rb|remove|destroy|terminate|purge|uninstall|deprovision)(?:-[\w-]{1,40})?"
    r"|apps:destroy|[\w-]{1,40}:(?:delete|destroy|remove)",
)
#: Parts of a subcommand that make a secret (``iam create-access-key``, ``create secret``).
_MAKING_WORDS = frozenset(["create", "reset", "rotate", "generate", "new", "add", "regenerate"])
_SECRET_WORDS = frozenset(
    ["key", "keys", "secret", "secrets", "credential", "credentials", "token", "tokens",
     "password", "passwords", "login"]
)  # fmt: skip
#: Subcommands that copy to a place (``aws s3 cp FILE s3://b``, ``gsutil rsync DIR gs://b``).
_COPYING_SUBCOMMANDS = frozenset(["cp", "sync", "mv", "rsync", "upload", "upload-batch"])
_REMOTE_PLACE = re.compile(r"(?:s3|gs|az|abfss?|wasbs?|https?|ftp|sftp|r2)://", _I)
#: ``git push`` options that throw away what the remote holds.
_FORCE_PUSH = frozenset(
    ["--force", "-f", "--force-with-lease", "--delete", "-d", "--mirror", "--prune"]
)
_CURL_METHOD = re.compile(r"-X\s{0,4}DELETE\b|--request(?:\s{1,4}|=)DELETE\b")


def command_kind(command: str) -> str:
    """What a shell line does, by the strongest of its commands (:data:`_KIND_RANK`):
    ``delete`` for a cloud or infrastructure CLI's delete (``aws s3 rm``, ``kubectl delete``,
    ``terraform destroy``, ``gh repo delete``), a force push and ``curl -X DELETE``;
    ``credential`` for one that makes a key or secret (``aws iam create-access-key``,
    ``kubectl create secret``); ``http_write`` for a copy of local files to a cloud
    address (``aws s3 cp data.csv s3://bucket/``); ``exec`` otherwise (a line past
    :data:`_MAX_COMMAND` characters too: the severity patterns read all of it)."""
    if len(command) > _MAX_COMMAND:
        return "exec"
    return _line_kind(command, 0)


def _line_kind(command: str, depth: int) -> str:
    kinds = [_program_kind(_program(ws), ws) for ws in _line_commands(command, depth)]
    acts = [k for k in kinds if k != "exec"]
    return min(acts, key=_KIND_RANK.index) if acts else "exec"


def _line_commands(command: str, depth: int) -> list[list[str]]:
    """The simple commands a shell line runs, those its wrappers and shells run in their place."""
    return [
        inner
        for line in command.splitlines()
        for ws in _simple_commands(line)
        for inner in _inner_commands(program_words(ws), depth)
    ]


def _program(words: list[str]) -> str:
    return words[0].rsplit("/", 1)[-1]


#: Programs that run the command their later words spell (``xargs kubectl delete pod``,
#: ``timeout 60 terraform destroy``), and shells that run their ``-c`` string.
_WRAPPERS = frozenset(["xargs", "timeout", "watch", "nice", "time", "exec", "command", "stdbuf"])
_SHELLS = frozenset(["sh", "bash", "zsh", "dash", "ksh"])


def _inner_commands(words: list[str], depth: int) -> list[list[str]]:
    """The commands one simple command runs (:func:`command_kind`): itself, or what its
    wrapper or shell runs; ``depth``: how many wrappers and shells it sits in (at most two
    are opened)."""
    if not words or depth > 2:
        return []
    program = _program(words)
    if program in _SHELLS and "-c" in words[1:-1]:
        return _line_commands(words[words.index("-c") + 1], depth + 1)
    if program in _WRAPPERS:
        inner = next((k for k, w in enumerate(words) if k and _runs_a_known(w)), None)
        return _inner_commands(words[inner:], depth + 1) if inner is not None else []
    return [words]


def _program_kind(program: str, words: list[str]) -> str:
    """The kind of a simple command that runs ``program`` itself (:func:`command_kind`)."""
    if program == "curl":
        return "delete" if _CURL_METHOD.search(" ".join(words)) else "exec"
    plain = [w for w in words[1:] if not w.startswith("-")]
    if program == "git":
        pushes = "push" in plain[:3]  # git -C repo push -f
        forced = _FORCE_PUSH.intersection(words) or any(w[:1] in ("+", ":") for w in plain[1:])
        return "delete" if pushes and forced else "exec"
    if program not in _INFRA_CLIS:
        return "exec"
    if program == "terraform" and "-destroy" in words:
        return "delete"
    return _cli_kind(plain, program)


#: CLIs whose operations are one hyphenated word (``aws s3api delete-bucket``, ``az storage
#: blob delete-batch``); elsewhere ``delete-handler`` is a name (``helm install delete-handler``).
_OPERATION_CLIS = frozenset(["aws", "az"])


def _cli_kind(plain: list[str], program: str) -> str:
    """The kind of a cloud or infrastructure CLI's command by its words that are no options:
    a delete subcommand among the first :data:`_SUBCOMMAND_WORDS` before any read word, a
    subcommand that makes a secret, or a copy whose target is a cloud address."""
    head = plain[:_SUBCOMMAND_WORDS]
    for k, word in enumerate(head):
        if _CLOUD_READ.fullmatch(word):
            head = head[:k]  # kubectl logs delete-job: a read of a job named so
            break
    if any(_cli_delete(w, program) for w in head):  # gh api -X DELETE
        return "delete"
    parts = {p for w in head for p in w.split("-")}
    if parts & _MAKING_WORDS and parts & _SECRET_WORDS:
        return "credential"
    copy = next((k for k, w in enumerate(plain) if w in _COPYING_SUBCOMMANDS), None)
    if copy is not None and len(plain) > copy + 2 and _REMOTE_PLACE.match(plain[-1]):
        return "http_write"  # to a bucket, from a file or another bucket
    return "exec"


def _cli_delete(word: str, program: str) -> bool:
    """True for a delete subcommand word of ``program`` (review rev-kinds29 F2: not the
    resource named ``remove-bg`` in ``kubectl rollout restart deployment remove-bg``)."""
    low = word.lower()
    if not _CLI_DELETE.fullmatch(low):
        return False
    return program in _OPERATION_CLIS or "-" not in low.split(":", 1)[0]


def _runs_a_known(word: str) -> bool:
    """True for a program :func:`_program_kind` reads the subcommand of."""
    program = word.rsplit("/", 1)[-1]
    return program in _INFRA_CLIS or program in ("git", "curl")


#: Commands that delete files: their targets are what the user must have asked to delete.
_DELETING = frozenset(["rm", "rmdir", "unlink", "shred"])


def deletion_asked(command: str, user_text: str, seen: str = "") -> bool | None:
    """Whether the user asked to delete what ``command`` deletes; None when it deletes no file.

    True needs a delete verb in the user's words ("clean out", "delete", "lösche",
    "supprime", "borra", ...) and every target of every ``rm`` to be inside what the user
    named: each word of each directory of the path (``./build/tmp`` -> build, tmp) is a user
    word, a prefix of one or an abbreviation of one ("tmp" of "temporary"). The last part may
    be a pattern (``build/tmp/*.o``) or a file an earlier tool output listed (``seen``) inside
    the named directory. An absolute path, ``~``, ``..``, a variable or a bare glob is never
    asked for.
    """
    if len(command) > _MAX_COMMAND:
        return None
    tokens = command_words(command)
    targets: list[str] = []
    deleting = False
    for k, tok in enumerate(tokens):
        if tok.rsplit("/", 1)[-1] in _DELETING and (k == 0 or tokens[k - 1] in _SEPARATORS):
            deleting = True
        elif tok in _SEPARATORS or (tok and all(ch in "();<>|&" for ch in tok)):
            deleting = False
        elif deleting and not tok.startswith("-"):
            targets.append(tok)
    if not targets:
        return None
    if not any(verb_used(v, user_text) for v in _verbs_for("delete", "")):
        return False
    words = {w.removesuffix("'s") for w in re.findall(r"[^\W_]+(?:'s)?", user_text.lower())}
    seen = seen.lower()
    return all(_target_named(t, words, seen) for t in targets)


_GLOB = re.compile(r"[*?\[\]{}]")


def _target_named(path: str, words: set[str], seen: str) -> bool:
    if not path or path.startswith(("/", "~", "$", "\\")) or ".." in path or ":" in path:
        return False
    parts = [p for p in re.split(r"[/\\]+", path.lower()) if p not in ("", ".")]
    if len(parts) > 1 and (_GLOB.search(parts[-1]) or path.lower() in seen):
        parts = parts[:-1]  # a pattern or a listed file inside the named directory
    if not parts or any(_GLOB.search(p) for p in parts):
        return False
    pieces = [w for p in parts for w in re.split(r"[._-]+", p) if w]
    return bool(pieces) and all(any(_names(p, w) for w in words) for p in pieces)


def _names(part: str, word: str) -> bool:
    """True when ``part`` of a path stands for the user's ``word`` (same, prefix, abbreviation)."""
    if part == word:
        return True
    if len(part) < 3 or len(word) < 3 or part[0] != word[0]:
        return False
    if word.startswith(part) or part.startswith(word):
        return True  # "log" / "logs", "config" / "configuration"
    it = iter(word)
    return all(ch in it for ch in part)  # "tmp" in "temporary", "cfg" in "config"


#: Asking to look through the repository / code base (en, de, fr, es, it, pt).
_EXPLORE = re.compile(
    r"\b(?:inspect|explore|examine|review|audit|scan|browse|investigate|analy[sz]e|go through|"
    r"go over|walk through|look through|look around|look at|look into|dig through|read|explain|"
    r"summari[sz]e|describe|map out|search|check|"
    r"untersuche|durchsuche|prüfe|überprüfe|analysiere|erkunde|inspiziere|sieh dir|schau dir|"
    r"erkläre|lies|inspecte|parcours|analyse|vérifie|explique|résume|lis|inspecciona|explora|"
    r"revisa|examina|analiza|recorre|explica|resume|lee|ispeziona|esplora|esamina|controlla|"
    r"analizza|spiega|riassumi|leggi|inspecione|inspeciona|analise|revise|verifique|percorra|"
    r"explique|resuma|leia)\w{0,3}\b"
    r"[^\n.!?]{0,40}?\b(?:repo|repository|repositories|codebase|code base|source code|"
    r"source tree|project|workspace|working tree|files|directory|folder|codebasis|quellcode|"
    r"projekts?|repositorys|dateien|verzeichnis(?:ses)?|ordners?|dépôt|code source|projet|"
    r"fichiers|répertoire|dossier|"
    r"repositorio|código fuente|proyecto|archivos|ficheros|directorio|carpeta|codice sorgente|"
    r"progetto|cartella|repositório|código-fonte|projeto|arquivos|diretório|pasta)\b",
    _I,
)


def exploration_task(user_text: str) -> bool:
    """True when the user asks the agent to look through the repository or project files
    ("inspect the repository files and report ...", "durchsuche das Repository ...").
    Memoised: every read of a session asks about the same user text."""
    return _exploration_task(user_text[:_MEMO_CHARS])


@lru_cache(maxsize=1024)
def _exploration_task(user_text: str) -> bool:
    return _EXPLORE.search(user_text) is not None


#: A path or address outside the working copy: absolute, home, parent, variable or URL.
_OUTSIDE = re.compile(r"(?:^|\s)(?:/|~|\$|\\\\)|(?:^|[\s/])\.\.(?:/|\s|$)|://|^[A-Za-z]:\\")


def inside_workspace(arguments: object) -> bool:
    """True when no string argument points outside the working copy (``config/app.yaml``
    is inside; ``/etc/passwd``, ``~/.ssh/id_rsa``, ``../x`` and URLs are not)."""
    return not any(
        isinstance(v, str) and _OUTSIDE.search(v[:_MAX_COMMAND]) for _, v in leaves(arguments)
    )


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
    if _failed_head(output[:300], len(output) < 300):
        return True
    body = element_body(output)  # a log's <tool_result> around it: what the tool said
    return body is not None and _failed_head(
        output[body[0] : body[0] + 300], body[1] - body[0] < 300
    )


@lru_cache(maxsize=4096)
def _failed_head(head: str, whole: bool) -> bool:
    """:func:`failed` on the first 300 characters of a result (``whole``: that is all of it),
    memoised: the same results recur across sessions."""
    if _FAIL_HEAD.search(head):
        return True
    if whole and _FAIL_ANY.search(head):
        return True
    return head.lstrip()[:1] in ("{", "[") and _FAIL_JSON.search(head) is not None


#: Words of a tool's name that say how it reads, not what: "get_file_by_id" reads a file.
_READ_WORDS = frozenset(
    ["get", "read", "list", "search", "find", "fetch", "show", "query", "lookup", "retrieve",
     "view", "open", "by", "id", "ids", "all", "for", "of", "from", "to", "in", "the", "info",
     "details", "data", "tool", "api"]
)  # fmt: skip
_NAME_WORDS = re.compile(r"[^a-z]+")


@short_text_memo(maxsize=1024, chars=_MEMO_CHARS)
def asks_to_read(tool: str, user_text: str) -> bool:
    """True when ``user_text`` names what ``tool`` reads: a word of its name beyond the read
    verbs, by its first five letters ("balance" for get_balance, "files" for read_file).
    Memoised for user texts up to :data:`_MEMO_CHARS` (every read of a session asks). A match
    lies within one turn (a word's start and five letters: no newline), which
    :meth:`~incident_lab.classify.session.SessionView.first_user_turn` relies on."""
    objects = [
        w for w in _NAME_WORDS.split(_spelled_out(tool)) if len(w) >= 3 and w not in _READ_WORDS
    ]
    low = user_text.lower()
    return any(re.search(rf"\b{re.escape(w[:5])}", low) for w in objects)


@short_text_memo(maxsize=1024, chars=_MEMO_CHARS)
def tool_implied(tool: str, user_text: str) -> bool:
    """True when the user's words call for ``tool`` (the tool their task needs, not one some
    text chose): they name it as an identifier (any spelling, :func:`~.tools.spellings`); for
    a side effect they ask for that kind of action (:func:`authorised`); for a read they name
    every object word of its name (by its first five letters, "care plan" for
    get_care_plan) or it is a read named by its verb alone ("search"). A tool that neither
    reads nor acts by a known kind ("KeyRotation") is implied only by its name: a user who
    asks *when the last key rotation happened* asks a question, not for a rotation.
    Memoised for user texts up to :data:`_MEMO_CHARS` (every call of a session asks)."""
    if not user_text.strip():
        return False
    if named_tools(user_text, spellings(tool)):
        return True
    kind = action_kind(tool)
    if kind in SIDE_EFFECTS:
        return authorised(kind, tool, user_text)
    if kind != "read":
        return False
    objects = [w for w in tool_words(tool) if len(w) >= 3 and w not in _READ_WORDS]
    low = user_text.lower()
    return all(re.search(rf"\b{re.escape(w[:5])}", low) for w in objects)
