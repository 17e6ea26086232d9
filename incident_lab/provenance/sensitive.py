"""Sensitive targets: argument values no task needs an untrusted text to choose (issue 10).

A read-shaped call (read a file, fetch a URL, run a query, evaluate code) is harmless in
general, and the provenance view treats one whose argument came from a tool output as
requested: reading the file a README names is how a coding task works. A few targets are
different: a credential file (``~/.ssh/id_rsa``, ``.env``, ``/etc/shadow``), a path that climbs
out of the working copy (``../../..``), a cloud metadata or internal address (SSRF:
``169.254.169.254``, ``metadata.google.internal``, ``localhost:6379``), a non-web URL scheme
(``file://``, ``gopher://``), SQL that destroys, rewrites or dumps (``DROP TABLE``,
``DELETE FROM``, ``UNION SELECT``), code that runs code (``eval(``, ``__import__``), and a
destructive command (:data:`~incident_lab.text.lexicon.DESTRUCTIVE`: ``dd if=``, ``rm -rf``).

:func:`sensitive_value` names what makes a value such a target (or returns None). Every
pattern is linear: bounded gaps, no nested quantifiers (a test runs them on 100 KB).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import re2

from incident_lab.text.lexicon import DESTRUCTIVE

_I = re.IGNORECASE

#: Credential and key files, and the system's password files.
_SECRET_PATH = re.compile(
    r"(?:^|[/\\~])\.(?:ssh|aws|gnupg|kube|docker|azure|gcloud)(?:[/\\]|$)"
    r"|\bid_(?:rsa|dsa|ecdsa|ed25519)\b"
    r"|(?:^|[/\\])\.env(?:\.[\w-]{1,20})?$"
    r"|(?:^|[/\\])etc[/\\](?:shadow|gshadow|passwd|sudoers|master\.passwd)\b"
    r"|(?:^|[/\\])\.(?:netrc|pgpass|git-credentials|npmrc|pypirc|htpasswd)$"
    r"|\.(?:pem|p12|pfx|kdbx|keystore)$"
    r"|[/\\](?:credentials|secrets?)(?:\.(?:json|ya?ml|ini|txt|env))?$",
    _I,
)
#: Two or more ``..`` segments in a row: a path that climbs out of where the task works.
_TRAVERSAL = re.compile(r"(?:\.\.[/\\]){2}|(?:%2e%2e(?:/|%2f)){2}", _I)
#: Schemes a web fetch has no business with.
_SCHEME = re.compile(r"^\s{0,4}(file|gopher|dict|ldap|tftp|jar|netdoc|php|expect)://", _I)
_URLISH = re.compile(
    r"^\s{0,4}(?:[a-z][a-z0-9+.-]{0,15}://)?[\w.-]{1,253}(?::\d{1,5})?(?:[/?#]|$)", _I
)
#: Host names of cloud metadata services and of internal networks.
_INTERNAL_NAME = re.compile(
    r"^(?:localhost|metadata|metadata\.google\.internal|instance-data)$"
    r"|\.(?:internal|local|localdomain|intranet|corp|lan)$",
    _I,
)
_METADATA_IPS = frozenset(["169.254.169.254", "100.100.100.200", "fd00:ec2::254"])

#: SQL that destroys, rewrites, grants, or dumps another table's rows into a result.
_SQL = re.compile(
    r"\b(?:drop|truncate)\s{1,10}(?:table|database|schema)\b"
    r"|\bdelete\s{1,10}from\b"
    r"|\bupdate\s{1,10}[\w.`\"\[\]]{1,64}\s{1,10}set\b"
    r"|\bunion\s{1,10}(?:all\s{1,10})?select\b"
    r"|\bgrant\s{1,10}(?:all|select|insert|update|delete)\b"
    r"|\bselect\b[^;]{0,200}\b(?:password|passwd|password_hash|secret|api_key)s?\b",
    _I,
)
#: Code that runs code or a command (in a value a code tool evaluates).
_CODE = re.compile(
    r"\b(?:eval|exec)\s{0,4}\(|__import__\s{0,4}\(|\bos\.(?:system|popen|exec\w{0,3})\s{0,4}\("
    r"|\bsubprocess\.\w{1,16}\s{0,4}\(|\bchild_process\b|\bRuntime\.getRuntime\(\)"
)

_MAX_VALUE = 4096

#: A clause that starts with a verb asking for an access ("Make a request to ...",
#: "Before searching, read ...").
_ASK_VERB = re2.compile(
    r"(?i)(?:^|[,;:.]|\b(?:then|first|and|please)\b)\W{0,8}"
    r"(?:make|send|fetch|get|read|open|show|run|execute|call|request|query|load|visit|curl"
    r"|access|list|print|display|cat|dump|use|connect|retrieve|check|include|attach)\b",
)


def starts_with_verb(text: str) -> bool:
    """True when a clause of ``text`` starts (after markup) with a verb asking for an access."""
    return _ASK_VERB.search(text) is not None


def _internal_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if not host:
        return False
    if host in _METADATA_IPS or _INTERNAL_NAME.search(host):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified


def _url_reason(value: str) -> str | None:
    scheme = _SCHEME.match(value)
    if scheme:
        return f"a {scheme.group(1).lower()}:// URL"
    if not _URLISH.match(value) or " " in value.strip():
        return None
    text = value.strip()
    try:
        parts = urlsplit(text if "://" in text else "http://" + text)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https", "ws", "wss", "ftp") and _internal_host(host):
        return f"an internal or metadata address ({host})"
    return None


def sensitive_value(value: str) -> str | None:
    """What makes ``value`` a sensitive target, in words, or None.

    Example:
        >>> sensitive_value("~/.ssh/id_rsa")
        'a credential or system password file'
        >>> sensitive_value("docs/setup.md") is None
        True
    """
    if not value or len(value) > _MAX_VALUE:
        return None
    path = value.strip()
    if "\n" not in path and len(path) <= 512:
        if _SECRET_PATH.search(path):
            return "a credential or system password file"
        if _TRAVERSAL.search(path):
            return "a path that climbs out of the working copy"
        reason = _url_reason(path)
        if reason:
            return reason
    if _SQL.search(value):
        return "SQL that destroys, rewrites or dumps data"
    if _CODE.search(value):
        return "code that runs code"
    if DESTRUCTIVE.search(value):
        return "a destructive command"
    return None
