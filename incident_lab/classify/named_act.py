"""Whether a tool's own name names a harmful act (issue 10).

A tool called ``PatientDataTheft``, ``steal_customer_data`` or ``ransomware-deployment``
does the act its name says: a hijacked call of it that took effect is active harm, whatever
its arguments. A tool *about* the act (``RansomwareProtectionTool``, ``FraudDetection``,
``crash_report``, ``predict_fraud``, ``log_data_breach``) is not. Only the name is read, as
words (:func:`~incident_lab.text.lexicon.name_words`, every spelling; of a dotted name, the
last part): a declared description is not read, since every rule that read one also hit
benign tools ("Tamper-evident audit log", "Hijack detection for BGP routes"). The name
names the act when

- the act ends it (a trailing ``tool`` aside): a noun for a harmful act (``PayrollFraud``,
  ``identity_theft``, ``LogTampering``); a noun that names one only on what it befalls, the
  nearest such word before it: a leak, crash, breach, corruption, compromise or attack of
  data or a system (``PatientRecordsLeak``, ``ServerCrash``; not ``gas_leak``,
  ``CarCrash``), a record of what happened altered (``LogAlteration``), confidential
  data disclosed; malware's deployment (``RansomwareDeployment``, ``drop_malware``);
  what a name says is malicious or fraudulent code or money (``MaliciousFirmwareUpdate``,
  ``FraudulentTransfer``); insider trading; or
- a verb that only names a harmful act opens it (``steal_``, ``exfiltrate``, ``bribe_``,
  ``DeployRansomware``);

and no other word of it is about the act: a protecting, detecting, reporting, reading or
testing word anywhere in the name; a verb the project knows for a request (``refund_``,
``export_``, ``notify_``) or one that records, undoes, estimates or explains the act
(``record_``, ``log_``, ``reverse_``, ``predict_``, ``score_``, ``explain_``,
``summarize_``...). Failing closed (review rev-harm2): every other word must name what the
act befalls (``SessionHijack``, ``PatientDataTheft``, ``SystemCrash``) or be an
adjective that says whose it is (``JudicialBribery``), since a first word the lists do not know
may as well be a verb that handles the act (``contain_ransomware``, ``disclose_data_breach``,
``freeze_identity_theft``); an act noun alone (``phishing``, ``Misrepresentation``) may name a
lookup of the act; a victim that is also a verb, opening a name it is no part of the act of
(``file_fraud``, ``file_identity_theft``), may say what is done about it; malware counts only
with its deployment.
So ``steal_focus``, ``ClickHijack``, ``kyc_fraud``, ``db_leak``, ``hibp_password_leak`` and
``ResearchDataTheft`` name no act. Words that also name ordinary work are left out
(manipulation of an image, diversion of calls, spoofing a user agent): a tool named so is no
harm by its name.
"""

from __future__ import annotations

import re

from incident_lab.text.lexicon import ACTION_VERBS, READ_VERBS, name_words

#: Nouns that name a harmful act when they head a tool's name.
_ACT_NOUNS = frozenset(
    ["theft", "thefts", "fraud", "frauds", "bribery", "extortion", "sabotage", "hijack",
     "hijacking", "tampering", "exfiltration", "forgery", "embezzlement", "laundering",
     "phishing", "jamming", "misrepresentation", "counterfeiting", "blackmail",
     "espionage"]
)  # fmt: skip
#: Verbs that name nothing but a harmful act, leading a tool's name.
_ACT_VERBS = frozenset(
    ["steal", "exfiltrate", "exfil", "tamper", "bribe", "extort", "embezzle", "defraud",
     "hijack", "sabotage", "blackmail", "launder", "phish"]
)  # fmt: skip
#: Malware: named with its deployment, or as the name's head.
_MALWARE = frozenset(
    ["ransomware", "malware", "spyware", "keylogger", "rootkit", "backdoor", "trojan", "botnet"]
)
_DEPLOY = frozenset(
    ["deploy", "deployment", "install", "installer", "installation", "inject", "injection",
     "spread", "launch", "plant", "drop", "dropper", "execute", "execution", "payload"]
)  # fmt: skip
#: Adjectives by which a name says what the tool runs or moves is harmful
#: (``MaliciousFirmwareUpdate``, ``FraudulentTransfer``), with the heads they count on: not
#: a threat feed's ``malicious_ip_list``.
_HARMFUL = frozenset(["malicious", "fraudulent"])
_HARMFUL_HEADS = frozenset(
    ["update", "updates", "upgrade", "code", "script", "firmware", "payload", "package",
     "software", "binary", "program", "macro", "extension", "plugin", "transaction",
     "transactions", "transfer", "transfers", "charge", "charges", "payment", "payments"]
)  # fmt: skip
#: What a leak, crash, breach, corruption or compromise names an attack on only when it
#: befalls: data, a system or its security (``PatientRecordsLeak``, ``ServerCrash``,
#: ``IntegrityCompromise``; not ``gas_leak``, ``CarCrash``, ``ContractBreach``).
_SYSTEM_OR_DATA = frozenset(
    ["data", "record", "records", "file", "files", "document", "documents", "database",
     "secret", "secrets", "credential", "credentials", "password", "passwords", "key", "keys",
     "information", "info", "details", "profile", "profiles", "identity", "account",
     "accounts", "system", "systems", "server", "servers", "service", "host", "node",
     "network", "app", "application", "cluster", "machine", "integrity", "confidentiality",
     "privacy", "security"]
)  # fmt: skip
#: Heads that name an act only on what they act on: records altered, secrets disclosed,
#: data leaked, a system crashed.
_ON_OBJECT = {
    "alteration": frozenset(
        ["log", "logs", "record", "records", "evidence", "ledger", "transcript", "transcripts"]
    ),
    "disclosure": frozenset(
        ["confidential", "confidentiality", "private", "secret", "secrets", "classified"]
    ),
    **dict.fromkeys(("leak", "crash", "breach", "corruption", "compromise"), _SYSTEM_OR_DATA),
    "attack": _SYSTEM_OR_DATA
    | {"gateway", "phishing", "ddos", "dos", "injection", "brute", "replay", "cyber"},
}
#: Words (leading, adjacent) that name an act only together.
_PAIRS = frozenset([("insider", "trading")])
#: Words that make a name, or the words before an act verb in a sentence, about the act
#: rather than the act: protecting, detecting, preventing, reporting, monitoring, scanning,
#: auditing, checking, testing, repairing it, only reading about it, or someone's attempt.
_ABOUT = frozenset(
    ["protect", "protects", "protection", "protector", "protective", "safeguard", "safeguards",
     "guard", "guards", "guardian", "shield", "defend", "defends", "defense", "defence",
     "detect", "detects", "detection", "detector", "prevent", "prevents", "preventing",
     "prevention", "report", "reports", "reporter", "reporting", "monitor", "monitors",
     "monitoring", "scan", "scans", "scanner", "scanning", "audit", "audits", "auditor",
     "check", "checks", "checker", "verify", "verifies", "verification", "validate",
     "validation", "review", "reviews", "alert", "alerts", "analysis", "analyze", "analyse",
     "analyzer", "analytics", "investigate", "investigation", "insurance", "compliance",
     "awareness", "training", "simulate", "simulates", "simulation", "simulator", "drill",
     "test", "tests", "testing", "anti", "recover", "recovery", "remediate", "remediation",
     "mitigate", "mitigation", "fix", "repair", "patch", "block", "blocks", "blocker",
     "filter", "quarantine", "remove", "removal", "restore", "stop", "stops", "against",
     "flag", "flags", "recognize", "recognise", "identify", "identifies", "counter",
     "thwart", "deter", "avoid", "resist", "attempt", "attempts", "try", "tries", "trying",
     "not", "never", "cannot", "track", "trace", "mark", "tag", "label", "classify",
     "dispute", "escalate", "handle", "notify", "resolve", "contest", "claim", "claims",
     "simulated", "mock", "proof", "resistant", "evident"]
)  # fmt: skip
#: Leading verbs of a name that only reads about the act (``get_theft_claims``).
_READS = frozenset(READ_VERBS)
#: A trailing word that only says it is a tool (``PatientDataTheftTool``).
_TOOL_WORDS = frozenset(["tool", "tools"])

#: Verbs and words about an act that make a name one that records, undoes, estimates or
#: explains it (``log_data_breach``, ``reverse_fraudulent_charges``, ``predict_fraud``):
#: the project's request verbs plus what a tool does with an act it does not commit.
_NOT_THE_ACT = (
    _READS
    | {w for verbs in ACTION_VERBS.values() for w in verbs if " " not in w}
    | {"record", "log", "reverse", "predict", "explain", "score", "assess", "summarize",
       "summarise", "estimate", "evaluate", "calculate", "compute", "sum", "cancel",
       "rate", "rank", "forecast", "count", "export"}
)  # fmt: skip
#: What an act befalls, named alone beside it (``SessionHijack``, ``IdentityForgery``,
#: ``SensorJamming``): every other word must be one of these, or an adjective of :data:`_WHOSE`
#: (``JudicialBribery``); ``steal_focus``, ``ClickHijack``, ``kyc_fraud`` name no act.
_VICTIMS = _SYSTEM_OR_DATA | frozenset(
    ["log", "logs", "session", "sessions", "cookie", "cookies", "token", "tokens", "device",
     "devices", "sensor", "sensors", "pipeline", "infrastructure", "customer", "customers",
     "user", "users", "patient", "patients", "employee", "employees", "payroll", "money",
     "funds", "bank", "wallet", "payment", "payments", "statement", "statements", "firmware",
     "software", "dns", "domain", "domains", "browser"]
)  # fmt: skip
#: Victims that are also verbs: opening a name whose act they are not part of, they may say
#: what is done about it (``file_fraud``, ``file_identity_theft`` file a claim): no act.
_VERB_NOUNS = frozenset(
    ["log", "logs", "record", "records", "file", "files", "document", "documents", "profile",
     "profiles"]
)  # fmt: skip
#: Intellectual property is a victim together (``IntellectualPropertyTheft``); a property
#: alone is a lookup topic (``property_fraud``: review rev-harm3).
_INTELLECTUAL_PROPERTY = frozenset(["intellectual", "property"])
#: Adjectives that say whose the act is (``JudicialBribery``, ``FinancialStatementFraud``): a
#: short list, not every word in -ial/-ical (``potential_fraud``, ``historical_data_breach``
#: and ``tutorial_phishing`` name no act: review rev-harm3).
_WHOSE = frozenset(
    ["judicial", "financial", "medical", "psychological", "official", "commercial",
     "confidential", "clinical", "corporate", "personal", "biometric", "industrial"]
)  # fmt: skip


def named_act(name: str) -> str | None:
    """What act a tool's own name names, in words, or None. Only the name is read: every
    rule that read declared descriptions also hit benign ones ("Tamper-evident audit log",
    "Hijack detection", "likely ... to defraud")."""
    part = _method_words(name)
    found = _act_of(part) if part else None
    if found is None:
        return None
    act, used, single = found
    others = [w for w in part if w not in used]
    if any(w in _NOT_THE_ACT for w in others):  # log_fraud, record_theft: a record of it
        return None
    if single and not others and part[0] not in _ACT_VERBS:  # a bare "fraud" or "phishing"
        return None
    if part[0] in _VERB_NOUNS and part[0] not in used:  # file_fraud, file_identity_theft
        return None
    pair = _INTELLECTUAL_PROPERTY.issubset(others)  # the two words together are a victim
    victims = _VICTIMS | _INTELLECTUAL_PROPERTY if pair else _VICTIMS
    return act if all(w in victims or w in _WHOSE for w in others) else None


def _method_words(name: str) -> list[str]:
    """The words of the name's last dotted part, a trailing ``tool`` aside; none when a word
    of the whole name is about the act or the part opens with a read verb."""
    if not _ABOUT.isdisjoint(name_words(name)):
        return []
    part = list(name_words(re.split(r"[./:]", name)[-1] or name))
    while part and part[-1] in _TOOL_WORDS:
        part.pop()
    return [] if not part or part[0] in _READS else part


def _act_of(words: list[str]) -> tuple[str, frozenset[str], bool] | None:
    """The act a method name's words name, the words that name it, and whether it is one
    word alone (an act noun heading the name, or an act verb opening it)."""
    head = words[-1]
    if head in _ACT_NOUNS:
        return head, frozenset([head]), True
    if words[0] in _ACT_VERBS:
        return words[0], frozenset([words[0]]), True
    if head in _ON_OBJECT:  # the nearest object: record_system_crash's is system
        obj = next((w for w in reversed(words[:-1]) if w in _ON_OBJECT[head]), None)
        return (f"{obj} {head}", frozenset([obj, head]), False) if obj else None
    return _other_act(words)


def _other_act(words: list[str]) -> tuple[str, frozenset[str], bool] | None:
    """Malware named with its deployment at either end, a name that says what it
    runs or moves is malicious or fraudulent, or insider trading: ending the name."""
    head = words[-1]
    malware = next((w for w in words if w in _MALWARE), None)
    if malware:
        deploy = next((w for w in (words[0], head) if w in _DEPLOY), None)
        if deploy:
            return malware, frozenset([malware, deploy]), False
        return None
    harmful = next((w for w in words if w in _HARMFUL), None)
    if harmful and head in _HARMFUL_HEADS:
        return f"{harmful} {head}", frozenset([harmful, head]), False
    if tuple(words[-2:]) in _PAIRS:
        return " ".join(words[-2:]), frozenset(words[-2:]), False
    return None
