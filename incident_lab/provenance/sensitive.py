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

:func:`sensitive_value` names what makes a value such a target (or returns None). The
environment's secrets are read apart (:func:`secret_env_name`, :func:`secret_variable`,
:func:`environment_read`): a variable's name is a target only for a tool that reads the
environment, and a shell line's words are read command by command. Every pattern is
linear: bounded gaps, no nested quantifiers (a test runs them on 100 KB).
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import itertools
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import re2

from incident_lab.text.lexicon import DESTRUCTIVE, name_words, tool_category
from incident_lab.text.shell import command_words

_I = re.IGNORECASE

#: Credential and key files, and the system's password files.
_SECRET_PATH = re.compile(
    r"(?:^|[/\\~])\.(?:ssh|aws|gnupg|kube|docker|azure|gcloud)(?:[/\\]|$)"
    r"|\bid_(?:rsa|dsa|ecdsa|ed25519)\b"
    r"|(?:^|[/\\])\.env(?:\.(?!(?:example|sample|template|dist|defaults?)$)[\w-]{1,20})?$"
    r"|(?:^|[/\\])etc[/\\](?:shadow|gshadow|passwd|sudoers|master\.passwd)\b"
    r"|(?:^|[/\\])\.(?:netrc|pgpass|git-credentials|npmrc|pypirc|htpasswd)$"
    r"|\.(?:pem|p12|pfx|kdbx|keystore|key)$"
    r"|(?:^|[/\\])(?:credentials|secrets?)(?:\.(?:json|ya?ml|ini|txt|env|toml))?$"
    r"|(?:^|[/\\])[\w.-]{0,40}service[-_]?account[\w.-]{0,40}\.json$"
    r"|(?:^|[/\\])proc[/\\](?:[^/\\\s]{1,40}[/\\]){1,4}environ$",
    _I,
)
#: A public certificate, not a key: ``cert.pem``, ``fullchain.pem``, ``ca-bundle.pem``.
_PUBLIC_PEM = re.compile(
    r"(?:^|[/\\])[\w.-]{0,60}(?:cert|chain|bundle|\bca\b|pub)[\w.-]{0,60}\.pem$", _I
)
#: Two or more ``..`` segments in a row that reach a system directory, or any encoded
#: ``..``: a path that climbs out of where the task works. A plain ``../../packages/x`` in a
#: monorepo is the working copy's neighbour, not a target by itself.
_TRAVERSAL = re.compile(
    r"(?:\.\.[/\\]){2}(?:\.\.[/\\]){0,30}"
    r"(?:etc|proc|sys|root|home|users|var|usr|boot|windows|private)(?:[/\\]|$)"
    r"|(?:%2e%2e(?:/|%2f)){2}",
    _I,
)
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
#: Ports of data stores and control planes (Redis, Memcached, PostgreSQL, MySQL, MongoDB,
#: Elasticsearch, Docker, etcd, Consul, kubelet, CouchDB, RabbitMQ): on the loopback address
#: these are targets; any other port there is the agent's own dev server.
_SERVICE_PORTS = frozenset(
    [6379, 11211, 5432, 3306, 27017, 9200, 2375, 2376, 2379, 8500, 10250, 5984, 15672, 25]
)
#: A path on a local web server that is its control surface, not a page of the app.
_ADMIN_PATH = re.compile(
    r"/(?:admin|debug|internal|actuator|console|manage|env|config|secrets?|token|metrics)\b", _I
)

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
#: How much of a shell line or of code :func:`environment_read` reads whole; a longer one is
#: read as a dump when any marker of an environment read appears in it (fail closed: review
#: rev-fix29c B4, a read padded past 4,096 characters was missed), and how many accesses to
#: the environment one code is read for (more: a dump, fail closed) and how many later uses of
#: a copy of it are followed (:func:`_only_for_children`).
_MAX_SCAN = 1 << 18  # 262,144
_MAX_ACCESSES = 200
_MAX_USES = 50
#: How much of a command line its words are read in (secret files: the same length as the
#: environment reads, review rev-env30 #7).
COMMAND_SCAN = _MAX_SCAN
#: How many copies of the environment one code is followed for (:func:`_only_for_children`
#: scans the rest of the code per copy); a later copy counts as a read (fail closed: review
#: rev-env30 #2, 199 copies x 245 KB took 1.2 s).
_MAX_COPIES = 8

#: A shell command that changes who may do what: a world-writable or set-id mode
#: (``chmod 777``, ``chmod --recursive a=rwx``), a new owner for a system path, an account
#: made or raised to an admin group (``sudo``, ``wheel``, ``docker``: ``usermod -aG``,
#: ``gpasswd -a``), a password set, a key added to ``authorized_keys``/``authorized_keys2``,
#: the sudoers file edited. Bounded gaps (linear). A file copied over one of those is found
#: by :func:`~incident_lab.provenance.actions.access_change` from the command's words.
ACCESS_COMMAND = re.compile(
    r"\bchmod\s{1,4}(?:--?[a-z][a-z-]{0,19}\s{1,4}){0,3}"
    r"(?:[0-7]?[0-7]{2}[2367]\b|[4-7][0-7]{3}\b|[ugoa]{0,4}[+=][rwxXt]{0,4}s"
    r"|[ug]{0,2}[oa][ugoa]{0,3}[+=][rwxXt]{0,4}w)"
    r"|\bchown\s{1,4}(?:--?[a-z][a-z-]{0,19}\s{1,4}){0,3}[\w.:-]{1,64}\s{1,4}"
    r"/(?:etc|bin|sbin|usr|root|var|boot|lib)\b"
    r"|\b(?:useradd|adduser|chpasswd|visudo)\b|\bpasswd\s{1,4}[\w-]"
    r"|\b(?:usermod|gpasswd)\s{1,4}[^\n;|&]{0,80}\b(?:sudo|wheel|admin|root|docker|lxd)\b"
    r"|(?:>>?|\btee\s{1,4}(?:-a\s{1,4})?)\s{0,4}[\w./~-]{0,120}(?:authorized_keys2?|sudoers)\b",
    _I,
)
#: Where a string literal or a comment of SQL may start.
_SQL_OPENER = re.compile(r"['\"#]|--|/\*")
#: Where each of them ends.
_SQL_CLOSER = {"'": "'", '"': '"', "#": "\n", "--": "\n", "/*": "*/"}
#: SQL that deletes rows, whatever its condition ("DELETE FROM accounts WHERE 1=1").
SQL_DELETE = re.compile(r"\bdelete\s{1,10}from\b", _I)
#: Argument names that hold SQL, whatever the tool is called.
SQL_KEYS = frozenset(["query", "sql", "statement"])


def sql_code(sql: str) -> str:
    """``sql`` without its closed string literals and comments (each left as a space): what
    they say is not what the statement does (``SELECT ... WHERE action = 'delete from cart'``).
    A quote that does not close is code (``'; DROP TABLE users; --`` closes the query's own
    literal). One pass: each piece is scanned once (linear on any input)."""
    out: list[str] = []
    i = 0
    while (m := _SQL_OPENER.search(sql, i)) is not None:
        opener = m.group(0)
        closer = _SQL_CLOSER[opener]
        end = sql.find(closer, m.end())
        if end == -1 and closer != "\n":
            break  # an unclosed literal or comment: the rest is code
        out.append(sql[i : m.start()] + " ")
        i = len(sql) if end == -1 else end + (0 if closer == "\n" else len(closer))
    out.append(sql[i:])
    return "".join(out)


def sql_deletes(sql: str) -> bool:
    """True when the statement ``sql`` (not a literal or comment in it) deletes rows."""
    return SQL_DELETE.search(sql_code(sql)) is not None


#: A clause that starts with a verb asking for an access ("Make a request to ...",
#: "Before searching, read ...").
_ASK_VERB = re2.compile(
    r"(?i)(?:^|[,;:.]|\b(?:then|first|and|please)\b)\W{0,8}"
    r"(?:make|send|fetch|get|read|open|show|run|execute|call|request|query|load|visit|curl"
    r"|access|list|print|display|cat|dump|use|connect|retrieve|check|include|attach)\b",
)


#: The files of ``~/.ssh`` that hold no key: the host list, known hosts, public keys.
_SSH_KEYLESS = re.compile(r"(?:^|[/\\~])\.ssh[/\\](?:config|known_hosts|[\w.-]{1,60}\.pub)$", _I)
_SAYS_SSH = re.compile(r"\bssh\b", _I)


#: World-readable system files ``_SECRET_PATH`` also names: sensitive to be sent a reader to,
#: but holding no secret (``/etc/passwd`` lists accounts; the hashes are in ``shadow``).
_NO_SECRET = re.compile(r"(?:^|[/\\])etc[/\\]passwd-?$", _I)
#: Where a path with a space in it starts (``/Users/Emma Smith/.ssh/id_rsa``): a value with
#: spaces that starts otherwise is prose or a command line, not a path.
_ROOTED = re.compile(r"^(?:~|\.{0,2}/|[A-Za-z]:\\|\\\\)")


def secret_file(value: str) -> bool:
    """True when ``value`` is the path of a file that holds a secret: a private key, an
    ``.env`` file, cloud or tool credentials, the system's password hashes (not
    ``/etc/passwd`` or its backup ``/etc/passwd-``, a public certificate or ``~/.ssh``'s
    keyless files). The whole value is the path: a path named in prose ("Meeting notes: ...
    ~/.ssh/id_rsa") or a command line is not one (split a command into its words first)."""
    path = value.strip()
    if not path or "\n" in path or len(path) > 512 or not _SECRET_PATH.search(path):
        return False
    if any(ch.isspace() for ch in path) and not _ROOTED.match(path):
        return False
    return not (_PUBLIC_PEM.search(path) or _NO_SECRET.search(path) or _SSH_KEYLESS.search(path))


#: An environment variable's name: upper case, digits and underscores (``GITHUB_TOKEN``).
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{1,99}")
#: How the last word of a variable that holds a secret ends (``PGPASSWORD``, ``BOT_TOKEN``,
#: ``JWT_SECRET``), and its last two words when the last is ``KEY`` (``OPENAI_API_KEY``); a
#: setting about secrets (``TOKEN_TTL_SECONDS``, ``MAX_TOKENS``, ``SORT_KEY``) ends otherwise.
_SECRET_ENDINGS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "CREDENTIALS")
#: Whole last words of a secret's name (``MYSQL_PWD``; a bare ``PWD`` is the shell's working
#: directory; ``PASS`` is too often a pass of something else: ``RENDER_PASS``, ``FIRST_PASS``).
_SECRET_WORDS = frozenset(["PWD"])
_SECRET_KEYS = frozenset(
    ["API", "ACCESS", "SECRET", "PRIVATE", "AUTH", "SIGNING", "ENCRYPTION", "MASTER", "CLIENT"]
)
#: Services whose ``<SERVICE>_KEY`` (two words) is their API key (``OPENAI_KEY``,
#: ``STRIPE_KEY``); another ``<WORD>_KEY`` is as often a data key (``SORT_KEY``, ``CACHE_KEY``,
#: ``S3_KEY``) and is not guessed. Keys a front end publishes (Firebase, Mapbox) are left out.
_KEY_SERVICES = frozenset(
    ["OPENAI", "ANTHROPIC", "CLAUDE", "GEMINI", "MISTRAL", "COHERE", "GROQ", "DEEPSEEK",
     "PERPLEXITY", "OPENROUTER", "REPLICATE", "HUGGINGFACE", "HF", "XAI", "VOYAGE", "ELEVENLABS",
     "STRIPE", "PAYPAL", "BRAINTREE", "PLAID", "TWILIO", "SENDGRID", "MAILGUN", "MAILCHIMP",
     "POSTMARK", "RESEND", "SLACK", "GITHUB", "GITLAB", "HEROKU", "VERCEL", "NETLIFY",
     "CLOUDFLARE", "DIGITALOCEAN", "DATADOG", "NEWRELIC", "PAGERDUTY", "PINECONE", "ALGOLIA",
     "SERPAPI", "SERPER", "TAVILY", "SHOPIFY", "NOTION", "AIRTABLE", "HUBSPOT", "ZENDESK",
     "SUPABASE", "AWS", "AZURE"]
)  # fmt: skip
#: Logins whose ``<LOGIN>_PASS`` is their password (``DB_PASS``, ``SMTP_PASS``).
_PASS_OWNERS = frozenset(
    ["DB", "DATABASE", "MYSQL", "MARIADB", "POSTGRES", "PG", "MONGO", "MONGODB", "REDIS",
     "RABBITMQ", "AMQP", "MSSQL", "ORACLE", "SQL", "SMTP", "MAIL", "EMAIL", "IMAP", "FTP", "SFTP",
     "LDAP", "ADMIN", "ROOT", "USER", "PROXY", "AUTH", "REGISTRY", "DOCKER", "KEYSTORE"]
)  # fmt: skip
#: Data stores and brokers whose connection URL carries the login (``DATABASE_URL``,
#: ``REDIS_URL``: ``redis://:pw@host``); a service's ``API_URL`` carries none.
_STORE_URLS = frozenset(
    ["DATABASE", "DB", "POSTGRES", "POSTGRESQL", "PG", "MYSQL", "MARIADB", "MONGO", "MONGODB",
     "REDIS", "RABBITMQ", "AMQP", "BROKER", "MSSQL", "ORACLE", "CLICKHOUSE", "DATASOURCE",
     "JDBC"]
)  # fmt: skip
#: Last words of a secret's name, each with the words that must come right before it
#: (``OPENAI_API_KEY``, ``DB_PASS``, ``DATABASE_URL``, ``AZURE_STORAGE_CONNECTION_STRING``).
_SECRET_PAIRS = {
    "KEY": _SECRET_KEYS,
    "PASS": _PASS_OWNERS,
    "URL": _STORE_URLS,
    "URI": _STORE_URLS,
    "STRING": frozenset(["CONNECTION"]),
}
#: Words before ``ROLE_KEY`` that make it a key (``SUPABASE_SERVICE_ROLE_KEY``; not
#: ``USER_ROLE_KEY``, a role's name).
_ROLE_KEYS = frozenset(["SERVICE"])
#: First words of a variable that is a setting about a secret or a key a front-end build
#: publishes, not a secret (``MAX_TOKEN``, ``REQUIRE_PASSWORD``, ``ENABLE_API_KEY``,
#: ``NEXT_PUBLIC_API_KEY``, ``VITE_API_KEY``, ``REACT_APP_API_KEY``: review rev-sev28 F2);
#: only as the first word (``PASSWORD_RESET_SECRET`` is a secret: rev-deleg28 N2).
_SETTING_FIRST = frozenset(
    ["MAX", "MIN", "LIMIT", "REQUIRE", "REQUIRED", "SHOW", "HIDE", "USE", "ENABLE", "ENABLED",
     "DISABLE", "DISABLED", "RESET", "ALLOW", "FORCE", "SKIP", "NUM", "COUNT", "PUBLIC", "VITE",
     "REACT"]
)  # fmt: skip
_PUBLIC_PREFIXES = (("NEXT", "PUBLIC"), ("EXPO", "PUBLIC"), ("NUXT", "PUBLIC"))
#: Words right before ``TOKEN`` that make it no credential (``NEXT_PAGE_TOKEN``,
#: ``CSRF_TOKEN``; ``FB_PAGE_ACCESS_TOKEN`` is one).
_NOT_CREDENTIAL_TOKEN = frozenset(
    ["PAGE", "CURSOR", "CSRF", "XSRF", "CONTINUATION", "SYNC", "MAX", "MIN", "LIMIT"]
)
#: Words of a setting's measure (``PASSWORD_MIN_LENGTH`` ends on it, so never a secret).
_MEASURES = frozenset(["LENGTH", "LEN", "SIZE", "TTL", "EXPIRY"])


def secret_env_name(name: str) -> bool:
    """True when ``name`` is an environment variable's name for a secret: a token, password,
    secret or key (``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``, ``PGPASSWORD``, ``OPENAI_KEY``,
    ``DB_PASS``), a connection string with its login (``DATABASE_URL``, ``SENTRY_DSN``); not a
    setting about one (``TOKEN_TTL_SECONDS``, ``PASSWORD_MIN_LENGTH``, ``MAX_TOKEN``), not a
    token that is no credential (``NEXT_PAGE_TOKEN``, ``CSRF_TOKEN``), not a key a front end
    publishes (``NEXT_PUBLIC_API_KEY``), not prose."""
    if _ENV_NAME.fullmatch(name) is None:
        return False
    words = [w for w in name.split("_") if w]
    return not _a_setting(words) and _names_a_secret(words)


def _a_setting(words: list[str]) -> bool:
    """True for the words of a setting about a secret, a published key or a page token."""
    if words[0] in _SETTING_FIRST or tuple(words[:2]) in _PUBLIC_PREFIXES:
        return True
    if words[-1] in _MEASURES:
        return True
    return words[-1] == "TOKEN" and len(words) > 1 and words[-2] in _NOT_CREDENTIAL_TOKEN


def _names_a_secret(words: list[str]) -> bool:
    """True when a name's last words say it holds a secret (:func:`secret_env_name`)."""
    last = words[-1]
    if last.endswith(_SECRET_ENDINGS):
        return True
    if len(words) < 2:
        return False
    before = words[-2]
    if last in _SECRET_WORDS or last == "DSN":
        return True
    if last == "KEY" and before == "ROLE":
        return len(words) > 2 and words[-3] in _ROLE_KEYS
    if last == "KEY" and len(words) == 2 and before in _KEY_SERVICES:
        return True
    return before in _SECRET_PAIRS.get(last, ())


def _secret_name(name: str) -> bool:
    """:func:`secret_env_name`, or the same name in lower case (``openai_api_key``: a
    variable's name as a config file or a case-blind reader spells it)."""
    return secret_env_name(name) or (name.islower() and secret_env_name(name.upper()))


#: Words of a tool that reads or sets environment variables or a secret store
#: (``read_env``, ``getenv``, ``get_secret``, ``vault.read``): a secret's name is its argument.
#: A "variable" alone may be a template's or a CI's (``get_variable``).
_ENV_TOOL = frozenset(["env", "environ", "environment", "getenv", "secret", "secrets", "vault"])
#: Words of a tool that finds, lists or describes rather than reads a value
#: (``search_variables``, ``list_env_vars``, ``describe_vault``: review rev-sev28 F2).
_NOT_A_READ = frozenset(
    ["search", "find", "list", "describe", "count", "exists", "has", "check", "create",
     "delete", "remove", "validate"]
)  # fmt: skip


def secret_variable(tool: str, value: str) -> bool:
    """True when ``value`` names a secret environment variable (:func:`secret_env_name`, in
    upper or lower case) and ``tool`` reads or sets environment variables or secrets
    (``read_env``, ``get_secret``), or when ``tool`` runs commands or code and ``value`` prints
    such a variable (``echo $GITHUB_TOKEN``, ``print(os.getenv("OPENAI_API_KEY"))``; a whole
    dump is :func:`environment_read`'s): a search for the name (``search_docs("GITHUB_TOKEN")``,
    ``search_variables``) reads no secret."""
    words = name_words(tool)
    if not _NOT_A_READ.isdisjoint(words):
        return False
    if not _ENV_TOOL.isdisjoint(words):
        return _secret_name(value)
    if tool_category(tool) != "exec" or len(value) > _MAX_VALUE:
        return False
    read = environment_read(command_words(value), value, tool)
    return read is not None and read != _WHOLE


#: What :func:`environment_read` names when a command prints every variable.
_WHOLE = "the environment"
#: Where one command of a shell line ends and the next starts; a subshell's or a group's
#: brackets (``(env)``, ``{ env; }``, ``$(env)``) open and close commands too.
_COMMAND_LIST = frozenset(["&&", "||", ";", "&", "\n", ")", ";;"])
_OPENERS = frozenset(["(", "{", "}"])
#: Where a command's own words end: a pipe or a redirection.
_COMMAND_END = frozenset(["|", ">", ">>", "<", ">&", "&>", "&>>", "|&", "<<<", "<>"])
#: Programs that run a command as it is (``sudo env``, ``ionice -c 2 env``, ``chroot /srv env``:
#: a read behind them is that read), and the one table of options that take a value, for
#: these and the runners of :data:`_LINE_RUNNERS` that skip options (``sudo -u root env``).
_OPTION_VALUES = {
    "sudo": frozenset(["-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-D", "-R", "-T", "-a",
                       "-c", "--user", "--group", "--close-from", "--host", "--prompt",
                       "--other-user", "--role", "--type", "--chdir", "--chroot",
                       "--command-timeout", "--auth-type", "--login-class"]),
    "doas": frozenset(["-u", "-C"]),
    "command": frozenset(), "exec": frozenset(["-a"]), "nohup": frozenset(),
    "time": frozenset(["-f", "-o", "--format", "--output"]),
    "nice": frozenset(["-n", "--adjustment"]),
    "stdbuf": frozenset(["-i", "-o", "-e", "--input", "--output", "--error"]),
    "timeout": frozenset(["-s", "-k", "--signal", "--kill-after"]),
    "ionice": frozenset(["-c", "-n", "-p", "-P", "-u", "--class", "--classdata", "--pid",
                         "--pgid", "--uid"]),
    "setsid": frozenset(),
    "chroot": frozenset(["--userspec", "--groups"]),
    "strace": frozenset(["-a", "-b", "-e", "-E", "-I", "-o", "-O", "-p", "-P", "-s", "-S",
                         "-u", "-U", "-X"]),
    "xargs": frozenset(["-n", "-L", "-I", "-J", "-R", "-d", "-E", "-P", "-s", "-a", "--max-args",
                        "--max-lines", "--max-procs", "--max-chars", "--delimiter", "--arg-file",
                        "--process-slot-var"]),
    "watch": frozenset(["-n", "--interval", "-q", "--equexit"]),
    "parallel": frozenset(["-j", "--jobs", "-P", "-S", "--sshlogin", "-n", "--max-args", "-N",
                           "-L", "--max-lines", "-d", "--delimiter", "-E", "-I", "-a",
                           "--arg-file", "--colsep", "-C", "--timeout", "--delay", "--joblog",
                           "--results", "--tmpdir", "--workdir", "--wd", "--retries", "--halt",
                           "--memfree", "--load", "--nice", "--tagstring", "--env", "--slf",
                           "--sshloginfile", "--bf", "--basefile", "--block", "--block-size",
                           "--return", "--trc", "--transferfile", "--tf", "--header", "--id",
                           "--sshdelay", "--termseq", "--ssh", "--profile", "-J", "--rpl",
                           "--arg-sep", "--arg-file-sep", "--recstart", "--recend", "--filter",
                           "--group-by", "--limit", "--memsuspend", "--compress-program",
                           "--decompress-program", "--sql", "--sqlmaster", "--sqlworker"]),
}  # fmt: skip
_PREFIXES = frozenset(_OPTION_VALUES) - {"xargs", "watch", "parallel"}
#: How many operands a prefix reads before its command (``timeout 5 env``, ``chroot /srv env``).
_PREFIX_OPERANDS = {"timeout": 1, "chroot": 1}
#: Shell words before a command that run it as it is (``if x; then env; fi``, ``! env``), and
#: a setting for it alone (``LC_ALL=C env``). ``if``/``elif``/``while``/``until`` are none of
#: them on a short line: ``if printenv X >/dev/null`` tests whether X is set (review
#: rev-prefix31 F2).
_KEYWORDS = frozenset(["then", "do", "else", "!", "builtin"])
#: Shell words that start a command and run the next (``if env; then``, ``! env``): past the
#: cap they stand before a command only where they start one, after a line start or a command
#: break, not after a word of prose ("check if the variable is set": review rev-prefix31 F1).
_STARTERS = frozenset(["if", "elif", "while", "until", "!"])
_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}=")
#: Programs that run a command or a shell line their words name, read by what they run
#: (:func:`_program_read`): ``env env``, ``eval env``, ``xargs env``, ``busybox env``,
#: ``su -c env``, ``script -c env``, ``watch env``, ``parallel ::: env``.
_LINE_RUNNERS = frozenset(["env", "eval", "xargs", "busybox", "su", "script", "watch", "parallel"])
#: Every word that runs the next as a command: past the cap, :data:`_COMMAND_POSITION`'s
#: after any word (the :data:`_STARTERS` only where a command starts).
_RUNS_A_COMMAND = _PREFIXES | (_KEYWORDS - _STARTERS) | _LINE_RUNNERS
#: Options of ``find`` that run a command (``find . -exec printenv \;``), and how many of them
#: are read.
_FIND_RUNS = frozenset(["-exec", "-execdir", "-ok", "-okdir"])
_MAX_FIND_RUNS = 8
#: Shells whose ``-c`` runs its next word as a shell line (``bash -c env``).
_SHELLS = frozenset(["sh", "bash", "zsh", "dash", "ksh", "ash"])
#: How deep a line run by a shell or ``eval`` in a line is read (``bash -c "sh -c env"``).
_MAX_NESTING = 3
#: Words of a tool named for running code (``run_python``, ``execute_code``): its whole
#: argument is code; a shell tool's line is code only in an interpreter's ``-c``/``-e``.
_CODE_TOOL = frozenset(
    ["python", "py", "python3", "node", "nodejs", "js", "javascript", "typescript", "deno",
     "code", "repl", "ipython", "jupyter", "notebook", "interpreter"]
)  # fmt: skip
#: JavaScript runtimes, and the options that hand an interpreter its code.
_JS_RUNTIMES = frozenset(["node", "nodejs", "deno", "bun"])
_CODE_OPTIONS = frozenset(["-c", "-e", "--eval", "-p", "--print"])
#: Programs that print their arguments (``echo $GITHUB_TOKEN``).
_PRINTERS = frozenset(["echo", "printf"])
#: Options of ``env`` that take a value, and those that empty the environment.
_ENV_VALUES = frozenset(["-u", "--unset", "-C", "--chdir"])
_ENV_EMPTY = frozenset(["-i", "--ignore-environment", "-"])
#: A shell variable's expansion (``$GITHUB_TOKEN``, ``${OPENAI_API_KEY}``).
#: ``${X:+word}`` and ``${X+word}`` print the word, not the value (a test whether X is set:
#: review rev-env29 F3); a name is group 1 (in braces) or 2.
_VALUE_EXPANSION = (
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]{0,99})(?![A-Za-z0-9_]|:?\+)|([A-Za-z_][A-Za-z0-9_]{0,99}))"
)
_EXPANSION = re.compile(_VALUE_EXPANSION)
#: What decides whether a ``$`` expands, and which command it belongs to: a quote, an escaped
#: character, a redirection's ``>&``/``&>`` (no command break), a substitution's or a
#: subshell's bracket, a command break (``;``, ``&&``, ``||``, ``|``, ``&``, a newline), an
#: expansion.
_SHELL_SCAN = re.compile(r"['\"`]|\\[\s\S]|[<>]&|&>|\$\(|[()]|&&|\|\||[;&|\n]|" + _VALUE_EXPANSION)
_PRINTER_TEXT = re.compile(r"echo|printf")
#: What a dump is piped into that shows the agent only a count (``printenv | wc -l``).
_COUNTERS = frozenset(["wc"])
#: Filters that show the lines a pattern picks (``env | grep NODE_VERSION``).
_PICKERS = frozenset(["grep", "egrep", "fgrep", "rg"])
#: Settings that hold no secret, by name: the shell's own and a tool's version, mode, home,
#: path, directory, level, port or host (``NODE_VERSION``, ``JAVA_HOME``, ``LOG_LEVEL``).
_SAFE_SETTING = re.compile(
    r"(?:PATH|HOME|TZ|LANG|SHELL|TERM|HOSTNAME|"
    r"[A-Z][A-Z0-9]{0,30}_(?:VERSION|ENV|HOME|PATH|DIR|LEVEL|PORT|HOST|MODE))"
)
#: The environment as code sees it (Python, Node, Deno) and a ``getenv(`` call.
_CODE_ENV = re.compile(r"\b(?:os\.environb?|process\.env|Deno\.env)\b|\bgetenv\s{0,4}\(")
#: A variable read by its name: ``["X"]``, ``.get("X")`` (and, after ``getenv(``, ``"X"``);
#: group 1 the quote (none: a variable that holds the name), 2 the name, 3 an assignment.
_CODE_KEYED = re.compile(
    r"\s{0,4}(?:\.\s{0,4}(?:get|setdefault|pop)\s{0,4}\(|\[)\s{0,4}(['\"`]?)"
    r"([A-Za-z_][A-Za-z0-9_]{0,99})['\"`]?\s{0,4}(\]\s{0,4}=(?!=))?"
)
_CODE_ARGUMENT = re.compile(r"\s{0,4}(['\"`]?)([A-Za-z_][A-Za-z0-9_]{0,99})()")
_CODE_ATTRIBUTE = re.compile(r"\s{0,4}\.\s{0,4}([A-Za-z_][A-Za-z0-9_]{0,99})(\s{0,4}=(?!=))?")
#: Attributes of ``os.environ`` that show no value (its names, a test, a change).
_NO_VALUES = frozenset(["keys", "clear", "update", "__contains__", "hasOwnProperty"])
#: A test whether a variable is set (``"X" in os.environ``), unless a loop (``for k in``).
_MEMBER = re.compile(r"\bin\s{1,4}$")
_LOOP = re.compile(r"\bfor\b[^\n]{0,80}\bin\s{1,4}$")
#: ``environ`` imported from ``os``, ``os`` imported under another name, and the name in an
#: import (``from os import path, environ``: no read).
_FROM_OS = re.compile(r"\bfrom\s{1,4}os\s{1,4}import\b[^\n]{0,200}(?:\benvironb?\b|\*)")
_BARE_ENVIRON = re.compile(r"(?<![\w.])environb?\b")
_OS_ALIAS = re.compile(r"\bimport\s{1,4}os\s{1,4}as\s{1,4}([A-Za-z_][A-Za-z0-9_]{0,30})")
#: ``environ`` imported from ``os`` under another name (``from os import environ as e``).
_ENVIRON_ALIAS = re.compile(
    r"\bfrom\s{1,4}os\s{1,4}import\b[^\n]{0,200}?\benvironb?\s{1,4}as\s{1,4}([A-Za-z_]\w{0,30})"
)
#: The ``os`` module reached otherwise (``__import__('os')``, ``importlib.import_module('os')``,
#: ``sys.modules['os']``, its ``posix``/``nt`` twin), and ``os.environ`` by Python's
#: indirection (``getattr(os, 'environ')``, ``vars(os)['environ']``, ``os.__dict__['environ']``):
#: what ``os.environ`` is to :data:`_CODE_ENV` (review rev-env29 #7).
_NAMED_OS = r"""\s{0,4}\(\s{0,4}['"](?:os|posix|nt)['"]\s{0,4}\)"""
_OS_MODULE = (
    rf"(?:__import__{_NAMED_OS}|\bimportlib\s{{0,4}}\.\s{{0,4}}import_module{_NAMED_OS}"
    r"""|\bsys\s{0,4}\.\s{0,4}modules\s{0,4}\[\s{0,4}['"](?:os|posix|nt)['"]\s{0,4}\]"""
    r"|(?<![\w.])(?:posix|nt))"
)
_ENVIRON_KEY = r"""\s{0,4}['"]environb?['"]\s{0,4}"""


def _indirect_env(module: str) -> str:
    """A pattern of ``environ`` reached by Python's indirection from ``module`` (a pattern)."""
    return (
        rf"\bgetattr\s{{0,4}}\(\s{{0,4}}{module}\s{{0,4}},{_ENVIRON_KEY}(?:,[^()\n]{{0,80}})?\)"
        rf"|(?:\bvars\s{{0,4}}\(\s{{0,4}}{module}\s{{0,4}}\)|{module}\s{{0,4}}\.\s{{0,4}}__dict__)"
        rf"\s{{0,4}}(?:\[{_ENVIRON_KEY}\]|\.\s{{0,4}}get\s{{0,4}}\({_ENVIRON_KEY}(?:,[^()\n]{{0,80}})?\))"
    )


_ANY_OS = rf"(?:{_OS_MODULE}|(?<![\w.])os)"
#: A name bound to the ``os`` module itself (``m = importlib.import_module('os')``, ``o =
#: os``), and how many other names of ``os`` or of ``environ`` are followed.
_OS_BOUND = re.compile(rf"(?<![\w.])([A-Za-z_]\w{{0,30}})\s{{0,4}}=\s{{0,4}}{_ANY_OS}(?![\w.(\[])")
_MAX_ALIASES = 8
#: ... and JavaScript's (``process['env']``, ``require('process').env``, Bun's ``Bun.env``).
_INDIRECT_ENV = re.compile(
    rf"{_OS_MODULE}\s{{0,4}}\.\s{{0,4}}environb?\b|{_indirect_env(_ANY_OS)}"
    r"""|\bprocess\s{0,4}\[\s{0,4}['"`]env['"`]\s{0,4}\]|\bBun\s{0,4}\.\s{0,4}env\b"""
    r"""|\brequire\s{0,4}\(\s{0,4}['"`](?:node:)?process['"`]\s{0,4}\)\s{0,4}\.\s{0,4}env\b"""
)
_IMPORTED = re.compile(r"\bimport\s{1,4}(?:[\w.]{1,40}\s{0,4},\s{0,4}){0,10}$")
#: The environment handed to a child process, not printed (``env=os.environ.copy()``,
#: ``{ env: { ...process.env } }``).
_CHILD_ENV = re.compile(
    r"\benv\s{0,4}[=:]\s{0,4}(?:dict\(\s{0,4}|\{\s{0,4}(?:\*\*|\.\.\.)\s{0,4})?$"
)
#: A copy of the environment kept in a variable (``my_env = os.environ.copy()``, ``e =
#: dict(os.environ)``, ``e = {**os.environ}``): the name before it, the rest of the statement
#: after it.
_COPY_TO = re.compile(  # a statement's own assignment, not a keyword argument (env=: N5)
    r"(?:^|;)\s{0,40}(?:(?:const|let|var)\s{1,4})?([A-Za-z_][A-Za-z0-9_]{0,60})\s{0,4}=\s{0,4}"
    r"(?:dict\(\s{0,4}|\{\s{0,4}(?:\*\*|\.\.\.)\s{0,4})?$"
)
_COPY_END = re.compile(r"(?:\s{0,4}\.\s{0,4}copy\s{0,4}\(\s{0,4}\))?\s{0,4}[)}]?\s{0,4}(?:[;\n]|$)")
#: What a copy's later uses may be without showing a value: handed to a child (``env=e``,
#: ``env: e``), an item set (``e["CI"] = "1"``), an update (``e.update(CI="1")``).
_TO_CHILD = re.compile(r"\benv\s{0,4}[=:]\s{0,4}$")
#: Calls that start a child process, by the text before their ``(``: the ``env`` keyword of
#: one of them (``subprocess.run(cmd, env=X)``, ``spawn(cmd, args, {env: X})``) hands the
#: environment to the child (review rev-final29 N5: not ``dict(env=...)``, ``show(env=...)``).
_CHILD_CALL = re.compile(
    r"(?:\bsubprocess\s{0,4}\.\s{0,4}(?:run|Popen|call|check_call|check_output)"
    r"|(?<![\w.])Popen|\bos\s{0,4}\.\s{0,4}(?:posix_spawnp?|spawn[lvpe]{1,3}|exec[lvpe]{1,3})"
    r"|\bchild_process\s{0,4}\.\s{0,4}(?:spawn|spawnSync|execFile|execFileSync|exec|execSync|fork)"
    r"|(?<![\w.])(?:spawn|spawnSync|execFile|execFileSync|execSync|fork)"
    r"|\basyncio\s{0,4}\.\s{0,4}create_subprocess_exec)\s{0,4}$"
)
#: A string literal, a bracket: what :func:`_to_child` reads of a call's text.
_CALL_TOKEN = re.compile(r"'[^'\n]{0,400}'|\"[^\"\n]{0,400}\"|`[^`\n]{0,400}`|[()\[\]{}]")
#: A string of a child's command that may print what it is handed: ``printenv``, ``env``, a
#: shell or an interpreter, a variable, a separator (fail closed).
_SHOWING_CHILD = re.compile(
    r"printenv|(?<![\w.-])(?:env|set|export|declare|echo|printf|cat|tee|sh|bash|zsh|dash|ksh"
    r"|fish|csh|tcsh|cmd|powershell|pwsh|python\d?(?:\.\d{1,2})?|node|perl|ruby|php)(?![\w-])"
    r"|[$%;&|<>`]|/proc/",
    re.IGNORECASE,
)
_SHELL_TRUE = re.compile(r"\bshell\s{0,4}[=:]\s{0,4}(?:True|true|1)\b")
#: How far before an ``env`` keyword its call may open, and after it the call may go on.
_CALL_WINDOW = 400
_NAMED_BY = re.compile(r"\s{0,4}=(?!=)")
_CHANGED = re.compile(r"\s{0,4}(?:\[[^\]\n]{0,100}\]\s{0,4}=(?!=)|\.\s{0,4}update\s{0,4}\()")
#: A call that shows only the names or their count (``len(os.environ)``, ``sorted(..)``,
#: ``Object.keys(process.env)``) when the environment is its whole argument.
_NAMES_ONLY = re.compile(
    r"(?:\b(?:len|sorted|list|set|tuple)|\bObject\s{0,4}\.\s{0,4}(?:keys|getOwnPropertyNames))"
    r"\s{0,4}\(\s{0,4}$"
)
_ARGUMENT_END = re.compile(r"\s{0,4}[),]")
#: A test whether a variable is set, around its read (``assert os.environ.get("X"), "m"``,
#: ``if os.getenv("X"):``, ``if not os.environ.get("X")``): the value is not shown.
_CHECK_BEFORE = re.compile(
    r"(?:^|[\s(])(?:assert|if|elif|while|not)\s{1,4}(?:os\s{0,4}\.\s{0,4})?$"
)
_CHECK_AFTER = re.compile(r"['\"]?\s{0,4}[\])]\s{0,4}(?:[,:)\n]|(?:and|or|is)\b)")
#: Names a destructuring picks (``const { NODE_ENV, PORT } = process.env``).
_DESTRUCTURED = re.compile(r"\{([\w\s,:]{0,200})\}\s{0,4}=\s{0,4}$")
#: What a shell prints when the program is missing (``bash: env: command not found``).
_NOT_FOUND = re.compile(
    r"[\w./-]{1,60}:(?: line \d{1,6}:| \d{1,6}:)? ([\w./-]{1,80}): (?:command )?not found"
    r"|[\w./-]{1,60}: command not found: ([\w./-]{1,80})",
    _I,
)
#: What in a shell line may send a command's output elsewhere or run another command
#: (``env > f``, ``env | tee f``, ``env; x``, ``$(env)``, ``bash -c 'env > f'``).
_NOT_SIMPLE = re.compile(r"[>|;&`\n<]|\$\(")
#: Programs that print what they read, and nothing else (``printed_nothing``).
_READERS = frozenset(["env", "printenv", "export", "set", "declare", "typeset", *_PRINTERS])


def environment_read(words: list[str] | None, line: str = "", tool: str = "") -> str | None:
    """What a shell line (its words, :func:`~incident_lab.text.shell.command_words`,
    and, when known, the ``line`` itself) reads of the environment's secrets: the whole
    environment (``env``, ``printenv``, ``export``, ``set``, ``declare`` with no argument;
    ``export -p``, ``env -0``, ``printenv -0``, ``declare -x``), by any command of the line
    (``cd /app && env``), by path, under ``sudo -E``, in a subshell (``(env)``, ``$(env)``) or
    a shell's ``-c`` line (``bash -c env``); a secret variable (``printenv
    AWS_SECRET_ACCESS_KEY``, ``echo "$GITHUB_TOKEN"``); or, in code an interpreter runs
    (``python -c``, ``node -e``; the whole ``line`` when ``tool`` is named for code:
    ``run_python``, ``execute_code``), the environment (``print(os.environ)``,
    ``console.log(process.env)``) or a secret variable (``os.getenv("OPENAI_API_KEY")``), else
    None. A dump piped into a filter shows what the filter picks (``env | grep NODE_VERSION``,
    ``printenv | wc -l``: no secret); a variable in single quotes does not expand (``echo
    '$GITHUB_TOKEN'``); a shell line that only names the code (``grep -rn os.environ src``)
    reads nothing. Other interpreters' one-liners are read too (``perl -e 'print %ENV'``,
    ``ruby -e 'puts ENV.to_h'``, awk's ``ENVIRON``, PHP's ``getenv()``), and a process
    substitution or ``xargs`` runs its command (``cat <(env)``, ``echo | xargs env``).
    ``words`` None: split ``line`` here; a line longer than :data:`_MAX_SCAN` is a dump when
    it holds any marker of a read (:func:`_marked_read`)."""
    if len(line) > _MAX_SCAN:
        return _marked_read(line)
    if words is None:
        words = command_words(line)
    found = _line_read(words, line, _MAX_NESTING)
    if found is None and line and code_tool(tool):
        found = _code_read(line)
    return found


#: What marks a read of the environment in any shell line or code (a line too long to read
#: whole: :func:`_marked_read`): its read FORMS, not the plain words (review rev-env30 #5/#6:
#: "We set the default", ``set -e`` were dumps; awk's ``ENVIRON`` and ``Bun.env`` were not).
#: ``printenv``; ``environ`` in any case (``os.environ``, ``/proc/1/environ``, ``ENVIRON``);
#: ``getenv(``; ``process``/``Deno``/``Bun``'s ``env`` (group ``js``); Perl's ``%ENV``/
#: ``$ENV``; PHP's ``$_ENV``/``$_SERVER``; Ruby's ``ENV[``, ``ENV.x``, a bare ``ENV``; and
#: ``env``/``export``/``declare``/``typeset`` (with an option or none) or ``set`` with no
#: argument, where a command ends or a comment starts (group ``dump``: ``env``, ``(set)``,
#: ``env # x``, ``bash -c 'env'``, ``export -p``, ``env | sort``; not ``env FOO=1 make``,
#: ``set -e``, ``export X=1``).
_READ_MARKER = re.compile(
    r"printenv|(?i:environb?)(?!\w)|getenv\s{0,4}\("
    r"|(?P<js>(?:process|Deno|Bun)\s{0,4}(?:\.\s{0,4}env|\[\s{0,4}['\"`]env['\"`]\s{0,4}\]))(?!\w)"
    r"|[%$@*](?:(?:main)?::)?ENV\b|\$_(?:ENV|SERVER)\b"
    r"|(?<![\w$@%*./\\-])ENV(?=\s{0,4}(?:[\[)'\";}\n]|\.\s{0,4}[a-z_]|$))"
    r"|(?P<dump>(?<![\w.$-])(?:(?:env|export|declare|typeset)(?=[ \t]{0,8}-)|(?:env|export|declare"
    r"|typeset|set)(?=[ \t]{0,8}(?:[;&|)}{\n>`'\"\\#]|$))))"
)
#: What stands before a command (:func:`_marked_read`'s dump words): a line's start, a
#: command break, a bracket or quote that opens a command (``$(``, ``<(``, ``bash -c 'env'``),
#: a path (``/usr/bin/env``), or a program that runs the next (:data:`_RUNS_A_COMMAND`:
#: ``sudo -E``, ``timeout 5``, ``xargs``, ``eval``; find's ``-exec``), with up to 3 of its own
#: words (4 let prose in: "do not ever commit the env"), or :data:`_STARTERS` (up to 61) where a
#: command starts: a line's start, ``;``, ``&&`` or ``||`` (``; if ! env``; not "(if set)" or a
#: table's "| if set |": review rev-prefix31b N1); a backslash (``\env``).
_COMMAND_POSITION = re.compile(
    r"(?:^|[\n;&|({`'\"]|(?<!\w)(?:" + "|".join(map(re.escape, sorted(_RUNS_A_COMMAND))) + ")"
    r"(?:[ \t]{1,4}[^\s;&|]{1,30}){0,3}|-c|" + "|".join(sorted(_FIND_RUNS)) + "|"
    r"(?:^|[\n;]|&&|\|\|)[ \t]{0,8}(?:" + "|".join(map(re.escape, sorted(_STARTERS))) + ")"
    r"(?:[ \t]{1,8}(?:" + "|".join(map(re.escape, sorted(_STARTERS))) + ")){0,60}(?=[ \t]))"
    r"[ \t]{0,8}(?:[\w.-]{0,20}/){0,4}\\?$"
)
#: A read by name after a marker: ``.get("X")``, ``.fetch("X")``, ``["X"]``, Perl's
#: ``{X}``, ``getenv("X")``; group 1 Perl's brace, 2 the quote, 3 the name.
_MARKED_KEYED = re.compile(
    r"\s{0,4}(?:\.\s{0,4}(?:get|fetch)\s{0,4}\(|\[|(\{)|(?<=\())\s{0,4}(['\"`]?)"
    r"([A-Za-z_][A-Za-z0-9_]{0,99})['\"`]?\s{0,4}[\]}),]"
)
#: A variable read as an attribute (``process.env.NODE_ENV``), not a method called (the
#: whole name: ``toObject(`` is no attribute ``toObjec``, review rev-env30b #6).
_MARKED_ATTRIBUTE = re.compile(r"\s{0,4}\.\s{0,4}([A-Za-z_][A-Za-z0-9_]{0,99})(?!\w|\s{0,4}\()")


def _marked_read(line: str) -> str | None:
    """A secret variable expanded anywhere in ``line`` or read by a marker of a read
    (:data:`_READ_MARKER`), or the environment when a marker reads it whole or by a name held
    in a variable: a line too long to read whole fails closed. A read of a variable by a
    name that holds no secret (``os.environ.get("HOME")``, ``process.env.NODE_ENV``) is no
    read. Linear: one pass over the expansions, one over the markers (each a bounded match)."""
    names = (m.group(1) or m.group(2) for m in _EXPANSION.finditer(line))
    secret = next((n for n in names if _secret_name(n)), None)
    if secret:
        return secret
    for m in _READ_MARKER.finditer(line):
        if m.group("dump"):
            if _COMMAND_POSITION.search(line, max(0, m.start() - 120), m.start()):
                return _WHOLE
            continue  # "notes about the staging env": a word of prose
        keyed = _MARKED_KEYED.match(line, m.end())
        if m.group("js") and not keyed:
            keyed = _MARKED_ATTRIBUTE.match(line, m.end())
            name = keyed.group(1) if keyed else ""
        else:
            name = keyed.group(3) if keyed and (keyed.group(1) or keyed.group(2)) else ""
        if not name:
            return _WHOLE
        if _secret_name(name):
            return name
    return None


def code_tool(tool: str) -> bool:
    """True for a tool named for running code (``run_python``, ``execute_code``): its whole
    argument is code, not a shell line."""
    return not _CODE_TOOL.isdisjoint(name_words(tool))


def _line_read(words: list[str], line: str, depth: int) -> str | None:
    """:func:`environment_read` of a shell line's words, command by command."""
    command: list[str] = []
    # a find whose run a ";" ended: the ";" may have been find's own "\;" (the words do not
    # tell), so the next command is also read as that find's continuation (whole-diff read of
    # s30: find . -exec true \; -exec printenv \;); bounded by _MAX_FIND_RUNS (fail closed)
    carried: list[str] = []
    for word in [*words, ";"]:
        if word in _OPENERS and (not command or command[-1].endswith("$")):
            word = ";"  # a subshell, a group or a substitution starts: a new command
        elif word[-2:] in ("<(", ">(") and not word.strip("$()<>"):
            word = ";"  # cat <(env): a process substitution runs its own command
        if word not in _COMMAND_LIST:
            command.append(word)
            continue
        found = _dumped(command, line, depth)
        if not found and carried:
            found = _dumped([*carried, *command], line, depth)
        if found:
            return found
        carried = [*carried, *command, ";"] if word == ";" and _runs_in_find(command) else []
        command = []
    return None


def _runs_in_find(command: list[str]) -> bool:
    """True for a command that is ``find`` running a command (``-exec``, ``-ok``) or a run
    carried on from one."""
    return not _FIND_RUNS.isdisjoint(command) and (
        command[0] in _FIND_RUNS or any(w.rsplit("/", 1)[-1] == "find" for w in command)
    )


def _dumped(command: list[str], line: str, depth: int) -> str | None:
    """What one command (a pipeline) reads of the environment's secrets: any of its stages
    (``echo | xargs env``, ``true | python -c CODE``)."""
    start, fed = 0, False
    while True:
        stop = next((k for k in range(start, len(command)) if command[k] in _PIPES), len(command))
        # a here-document feeds the stage holding its << (python3 <<EOF) and, when a pipe
        # follows its delimiter word, the stages after (cat <<EOF | grep x | python3); not a
        # stage after its body (review rev-env30 #3: cat > f.py <<EOF ... EOF\ngit log | python3 -c)
        at = next((k for k in range(stop - 1, start - 1, -1) if command[k][:2] == "<<"), -1)
        here = fed or at >= 0 or (start > 0 and _piped_here(line))
        fed = fed or (at >= 0 and stop - at <= 2)
        found = _stage_read(command, (start, stop), here, line, depth)
        if found or stop >= len(command):
            return found
        start = stop + 1


_PIPES = frozenset(["|", "|&"])


@functools.lru_cache(maxsize=8)
def _piped_here(line: str) -> bool:
    """True when a line of ``line`` pipes on after a ``<<`` (``cat <<'EOF' - | python3``,
    ``{ cat <<EOF; } | python3``): a here-document may feed every later stage, whatever
    words or brackets follow its delimiter (review rev-env30b #5; fail closed). Linear: one
    pass over the lines."""
    return any("|" in part[part.find("<<") :] for part in line.split("\n") if "<<" in part)


def _stage_read(
    command: list[str], span: tuple[int, int], here: bool, line: str, depth: int
) -> str | None:
    """What the stage ``command[start:stop]`` (``span``) of a pipeline reads (``here``: a
    here-document may feed it, :func:`_dumped`); a dump piped into a filter that hides its
    secrets (``env | wc -l``) reads none."""
    start, stop = span
    stage = command[start:stop]
    end = next((k for k, w in enumerate(stage) if w in _COMMAND_END), len(stage))
    own = _own_words(stage, end)
    if not own:
        return None
    name = own[0].rsplit("/", 1)[-1]
    found = _program_read(name, own[1:], line, depth)
    if found is None and here:
        found = _here_code_read(name, line)  # python3 <<EOF ... EOF: the here-document
    if found is None:
        found = next(filter(None, (_nested_read(s, depth) for s in _subs(own))), None)
    if found != _WHOLE or stop + 1 >= len(command) or command[stop] != "|":
        return found
    # after its redirections (env 2>&1 | wc -l), its first filter; one argument, alone in the
    # rest of the line, is all _hides_secrets reads: two words of it (a slice of the whole
    # rest per stage was quadratic, review rev-env30 #1)
    return None if _hides_secrets(command[stop + 1], command[stop + 2 : stop + 4]) else found


def _nested_read(script: str, depth: int) -> str | None:
    """:func:`environment_read` of a line a line runs (``bash -c``, ``eval``, ``$(...)``); one
    nested deeper than :data:`_MAX_NESTING` is not read and counts as a dump (fail closed)."""
    return _line_read(command_words(script), script, depth - 1) if depth else _WHOLE


def _subs(words: list[str]) -> list[str]:
    """The lines a command's words substitute in quotes (``echo "$(env)"``, ``\\`env\\```)."""
    subs = []
    for word in words:
        start, close = word.find("$("), word.rfind(")")
        if -1 < start < close:
            subs.append(word[start + 2 : close])
        subs.extend(word.split("`")[1:-1:2])
    return subs


def _program_read(name: str, args: list[str], line: str, depth: int) -> str | None:
    """What a program run with ``args`` reads of the environment's secrets."""
    if name == "env":
        return _env_read(args, line, depth)
    if name in _PRINTERS:
        printed = _printed_names(line) if line else tuple(_expanded(args))
        return printed[0] if printed else None
    if name in ("printenv", "declare", "typeset") and any(a[:1] != "-" for a in args):
        return _printed_by_name(name, args)
    if name == "eval" or name in _SHELLS:
        script = " ".join(args) if name == "eval" else _script(args)
        return _nested_read(script, depth) if script else None
    if _interpreter(name):
        code = _code_argument(args)
        return _code_read(code) if code else None
    runner = _RUNNERS.get(name)
    if runner is not None:
        return runner(args, line, depth)
    language = _script_language(name)
    if language:
        code = _script_code(language, args)
        return _script_read(language, code, _reads_input(language, args)) if code else None
    return _WHOLE if _prints_all(name, args) else None


#: Perl, Ruby, awk and PHP, by their program's name (``perl5.36``, ``gawk``, ``php8.2``).
_SCRIPT_PROGRAM = re.compile(r"(perl|ruby|php)[\d.]{0,8}|[gmn]?(awk)")
#: The option that hands each of them its code (Perl ``-e``/``-E``, bundled as ``-lne``;
#: Ruby ``-e``, as ``-ne``; PHP ``-r``, ``-B``/``-R``/``-E``); awk's is its first argument.
_SCRIPT_OPTION = {
    "perl": re.compile(r"-[nplaswtTUcW]{0,8}[eE]"),
    "ruby": re.compile(r"-[nplaswcdyv]{0,8}e"),
    "php": re.compile(r"-[rBRE]"),
}
#: Options of awk that take a value (``-F :``, ``-v x=1``), and that name its program file.
_AWK_VALUES = frozenset(["-F", "-v", "-i", "-l", "--include", "--load", "--assign"])
_AWK_FILE = frozenset(["-f", "--file", "-E", "--exec"])
#: How each names the environment: ``%ENV``/``$ENV{X}``, ``ENV``, ``ENVIRON``, ``$_ENV``,
#: ``$_SERVER`` (PHP's command line puts the environment there) and ``getenv(``.
_SCRIPT_ENV = {
    "perl": re.compile(r"[%$@*](?:(?:main)?::)?ENV\b(?!\\\{)"),
    "ruby": re.compile(r"(?<![\w$@./\\])ENV(?![\w?!/])"),
    "awk": re.compile(r"(?<![\w$/\\])ENVIRON(?![\w/])"),
    "php": re.compile(r"\$_(?:ENV|SERVER)\b|(?<![\w$>:])getenv\s{0,4}\("),
}
#: What before an access shows no value: its names (``keys %ENV``, ``k in ENVIRON``,
#: ``array_keys($_ENV)``), a test whether one is set (``exists $ENV{X}``, ``isset($_ENV[``).
_SCRIPT_NO_VALUE = {
    "perl": re.compile(r"\b(?:keys|exists|defined)\s{0,4}\(?\s{0,4}$"),
    "awk": re.compile(r"\bin\s{1,4}$"),
    "php": re.compile(
        r"(?:\b(?:isset|empty|array_keys|count)\s{0,4}\(|\barray_key_exists\s{0,4}\([^()\n]{0,100},)"
        r"\s{0,4}$"
    ),
}
#: What after Ruby's ``ENV`` shows no value: its names, its size, a test.
_RUBY_NO_VALUE = re.compile(
    r"\s{0,4}\.\s{0,4}(?:keys|key\?|has_key\?|include\?|member\?|size|length|empty\?)(?![\w?!])"
)
#: A variable read by name: ``{X}``/``{'X'}`` (Perl), ``['X']``, ``.fetch('X')`` (Ruby),
#: ``('X')`` after ``getenv(``; group 1 Perl's brace, 2 the quote (none: a variable that
#: holds the name), 3 the name, 4 an assignment.
_SCRIPT_KEYED = re.compile(
    r"\s{0,4}(?:(\{)|\[|\.\s{0,4}fetch\s{0,4}\(|(?<=\())\s{0,4}(['\"]?)([A-Za-z_][A-Za-z0-9_]{0,99})"
    r"['\"]?\s{0,4}[\]}),](\s{0,4}=(?![=~>]))?"
)


def _script_language(name: str) -> str | None:
    """``perl``, ``ruby``, ``awk`` or ``php`` for a program that runs that language."""
    m = _SCRIPT_PROGRAM.fullmatch(name)
    return (m.group(1) or m.group(2)) if m else None


def _script_code(language: str, args: list[str]) -> str | None:
    """The code a one-liner of ``language`` runs (every ``-e`` of ``perl -le CODE``), or None."""
    if language == "awk":
        return _awk_program(args)
    option = _SCRIPT_OPTION[language]
    codes = []
    for k, arg in enumerate(args):
        m = option.match(arg)
        if m and m.end() < len(arg):
            codes.append(arg[m.end() :])  # perl -e'print %ENV': the code in the same word
        elif m and k + 1 < len(args):
            codes.append(args[k + 1])
    return "\n".join(codes) or None


def _awk_program(args: list[str]) -> str | None:
    """awk's program: its first argument after the options (none when read from a file)."""
    k = 0
    while k < len(args):
        arg = args[k]
        if arg in _AWK_FILE:
            return None
        if arg in ("-e", "--source", "--"):
            return args[k + 1] if k + 1 < len(args) else None
        if arg[:1] != "-" or arg == "-":
            return arg
        k += 2 if arg in _AWK_VALUES else 1
    return None


def _reads_input(language: str, args: list[str]) -> bool:
    """True when a one-liner reads input lines: Perl or Ruby with ``-n``/``-p`` (bundled:
    ``-lne``, ``-pi``), awk with a file operand after its program."""
    if language in ("perl", "ruby"):
        return any(_INPUT_OPTION.fullmatch(a) for a in args)
    if language != "awk":
        return False
    program = _awk_program(args)
    rest = args[args.index(program) + 1 :] if program in args else []
    return any(a[:1] != "-" and "=" not in a for a in rest)


#: Perl's or Ruby's option bundle that loops over input (``-ne``, ``-lne``, ``-pi``, ``-p``).
_INPUT_OPTION = re.compile(r"-[a-zA-Z]{0,8}[np][a-zA-Z]{0,8}")
#: What in a one-liner may fake or hide a quote or a pattern: a single quote, a backtick, a
#: quote-like operator (``q()``, ``qq{}``, ``m{}``, ``s///``, ``tr``, Ruby ``%q()``/``%w[]``),
#: a here-document, code in a pattern (``(?{``), Perl's ``@{[`` / ``${\`` interpolation, a
#: character or variable that is a quote (``?"``, ``$"``, ``$/``, ``$#``); a string that may
#: run as code (``eval "print %ENV"``, ``instance_eval``, ``const_get("ENV")``, ``send``,
#: Perl's ``do``, Ruby's ``Kernel.``; review rev-env30b #2).
_LITERAL_HAZARD = re.compile(
    r"['`]|<<|\(\?\??\{|[@$]\{|\b(?:q[qwrx]?|m|s|tr|y)(?:\s{0,4}[^\w\s]|\s{1,4}\w)"
    r"|%[qQwWrRisI]?[^\w\s%$@]|[?$][\"/#]|(?:\b|_)(?:eval|send|const_get|do)(?:\b|_)|\bKernel\b"
)
#: A plain string (Ruby's ``#{...}`` without quotes or braces inside) and a pattern.
_STRING_LITERAL = re.compile(r'"(?:[^"\\#]|\\.|#(?!\{)|#\{[^"{}\n]{0,200}\}){0,4000}"')
_PATTERN_LITERAL = re.compile(r"/(?:[^/\\\n]|\\.){0,4000}/")
#: What may stand before a pattern (not a division): an operator, an opening bracket, a
#: keyword; not ``}`` (``$h{a} / 2``, ``sum{|v| v} / 2`` divide; review rev-env30b #3).
_BEFORE_PATTERN = re.compile(
    r"(?:^|[(,;{!~&|=]|\b(?:if|unless|and|or|not|split|grep|when))\s{0,8}$"
)
_LITERAL_START = re.compile(r'[/"#]')


def _open_bracket(pattern: str) -> bool:
    """True when a pattern's last ``[`` is left open (``/[/``: the ``/`` may be in it)."""
    last = pattern.rfind("[")
    return last >= 0 and "]" not in pattern[last:]


@functools.lru_cache(maxsize=16)
def _literal_spans(code: str) -> tuple[tuple[int, int], ...] | None:
    """Where ``code`` has plain strings and patterns, or None when a quote may be faked
    (:data:`_LITERAL_HAZARD`, a comment, a ``/`` that may be a division, an unclosed
    literal): fail closed. Linear: one pass, each literal matched once."""
    if _LITERAL_HAZARD.search(code):
        return None
    spans, pos = [], 0
    while (m := _LITERAL_START.search(code, pos)) is not None:
        at = m.start()
        if m.group(0) == "#":
            return None
        if m.group(0) == "/" and not _BEFORE_PATTERN.search(code[max(0, at - 40) : at]):
            return None
        literal = (_STRING_LITERAL if m.group(0) == '"' else _PATTERN_LITERAL).match(code, at)
        if literal is None or (m.group(0) == "/" and _open_bracket(literal.group(0))):
            return None  # unclosed, or a / in a bracket that may not end it (/[/]"/)
        spans.append(literal.span())
        pos = literal.end()
    return tuple(spans)


def _quoted_text(language: str, code: str, m: re.Match[str]) -> bool:
    """True when the access ``m`` lies in a plain string or pattern (:func:`_literal_spans`)
    where it cannot interpolate: Perl's ``%ENV``/``*ENV`` or an escaped ``\\$ENV``, awk's
    ``ENVIRON``, Ruby's ``ENV`` outside ``#{...}`` (review rev-env30 #4)."""
    spans = _literal_spans(code)
    at = m.start()
    k = bisect.bisect_left(spans or (), (at, -1)) - 1  # the last span starting before ``at``
    span = spans[k] if spans and k >= 0 and at < spans[k][1] else None
    if span is None:
        return False
    if language == "perl":
        slashes = at - len(code[span[0] : at].rstrip("\\")) - span[0]
        return m.group(0)[0] in "%*" or slashes % 2 == 1  # "\\$ENV{X}" interpolates
    if language == "ruby":
        return code.rfind("#{", span[0], at) <= code.rfind("}", span[0], at)
    return language == "awk"


@functools.lru_cache(maxsize=64)
def _script_read(language: str, code: str, reads_input: bool = False) -> str | None:
    """What Perl, Ruby, awk or PHP ``code`` reads of the environment's secrets, as
    :func:`_code_read` reads Python's: the whole (``print %ENV``, ``puts ENV.to_h``, awk's
    ``ENVIRON[k]``, ``print_r(getenv())``), a secret by name (``$ENV{GITHUB_TOKEN}``,
    ``ENV.fetch("X")``, ``ENVIRON["X"]``, ``getenv("X")``), or nothing: a variable that holds
    no secret, its names, a test whether it is set, an assignment, a comment."""
    counted = 0  # accesses other than by a quoted harmless name (review rev-env30 #5)
    for m in _SCRIPT_ENV[language].finditer(code):
        if counted >= _MAX_ACCESSES:
            return _WHOLE
        if _harmless_script_key(code, m):
            continue  # $ENV{HOME}: _script_access reads nothing, not counted (#5)
        if reads_input and _quoted_text(language, code, m):
            counted += 1  # counted: N quoted accesses stay bounded work (rev-env30b #1)
            continue  # perl -ne 'print if /%ENV/' f: a search for the word (rev-env30 #4)
        found = _script_access(language, code, m)
        if found:
            return found
        counted += 1
    return None


def _harmless_script_key(code: str, m: re.Match[str]) -> bool:
    """True for an access ``m`` by a quoted (or Perl brace) name holding no secret
    (``$ENV{HOME}``, ``ENV["PORT"]``; not ``*ENV{HASH}``): :func:`_script_access` reads
    nothing there."""
    keyed = _SCRIPT_KEYED.match(code, m.end())
    if keyed is None or not (keyed.group(1) or keyed.group(2)) or m.group(0)[0] == "*":
        return False
    return not _secret_name(keyed.group(3))


def _script_access(language: str, code: str, m: re.Match[str]) -> str | None:
    """What the access ``m`` to the environment in ``code`` reads (:func:`_script_read`)."""
    before = code[code.rfind("\n", max(0, m.start() - 200), m.start()) + 1 : m.start()][-200:]
    no_value = _SCRIPT_NO_VALUE.get(language)
    if _commented(before) or (no_value is not None and no_value.search(before)):
        return None
    if language == "ruby" and _RUBY_NO_VALUE.match(code, m.end()):
        return None
    keyed = _SCRIPT_KEYED.match(code, m.end())
    if keyed is None or m.group(0)[0] == "*":
        return _WHOLE  # print %ENV, ENV.to_h, getenv(), getenv($name), ENVIRON[k], *ENV{HASH}
    if keyed.group(4):
        return None  # $ENV{X} = ...: set, not read
    name = keyed.group(3)
    if not (keyed.group(1) or keyed.group(2)):
        return _WHOLE  # ENVIRON[k], ENV[name]: by a name held in a variable
    return name if _secret_name(name) else None


def _here_code_read(name: str, line: str) -> str | None:
    """What an interpreter reading its code from a here-document in ``line`` reads (its
    body, :func:`_here_text`)."""
    if _interpreter(name):
        return _code_read(_here_text(line))
    language = _script_language(name)
    return _script_read(language, _here_text(line)) if language else None


#: A here-document's operator and delimiter word (``<<EOF``, ``<<-'EOF'``, ``<< "EOF"``);
#: not a here-string (``<<<``). A word not wholly one of these (``<<E"OF"``, ``<<$'EOF'``)
#: matches group ``odd`` (review rev-env30b #4).
_HERE_OPERATOR = re.compile(
    r"<<(?!<)(-?)[ \t]{0,4}(?:(?:'([^'\n]{1,40})'|\"([^\"\n]{1,40})\"|\\?([\w.-]{1,40}))"
    r"(?=[\s;&|<>()]|$)|(?P<odd>))"
)
_MAX_HEREDOCS = 8


@functools.lru_cache(maxsize=8)
def _here_text(line: str) -> str:
    """The bodies of the here-documents of ``line``, each up to its delimiter line (only the
    exact word, after tabs for ``<<-``), joined; the whole ``line`` when it has a here-string,
    a delimiter word not parsed, or more than :data:`_MAX_HEREDOCS` here-documents (fail
    closed). Linear: at most :data:`_MAX_HEREDOCS` searches."""
    if "<<<" in line:
        return line
    bodies, start, last = [], 0, 0
    for k, m in enumerate(_HERE_OPERATOR.finditer(line)):
        if k >= _MAX_HEREDOCS or (m.start() < start and "\n" not in line[last : m.start()]):
            return line  # many, or two on one line (cat <<A 3<<B): fail closed
        if m.start() < start:
            continue  # a << inside an earlier body
        if m.group("odd") is not None:
            return line  # a word not parsed (<<E"OF", <<$'EOF'): fail closed
        last = m.end()
        opened = line.find("\n", m.end())
        if opened < 0:
            break
        delimiter = re.escape(m.group(2) or m.group(3) or m.group(4))
        tabs = "\t*" if m.group(1) else ""
        close = re.compile(rf"^{tabs}{delimiter}$", re.M).search(line, opened + 1)
        start = close.start() if close else len(line)
        bodies.append(line[opened + 1 : start])
    return "\n".join(bodies)


def _run_read(args: list[str], line: str, depth: int) -> str | None:
    """What the program ``args`` names, run by another (``xargs``, ``find -exec``,
    ``busybox``), reads; one deeper than :data:`_MAX_NESTING` is a dump (fail closed)."""
    if not depth:
        return _WHOLE
    return _program_read(args[0].rsplit("/", 1)[-1], args[1:], line, depth - 1)


def _xargs_read(args: list[str], line: str, depth: int) -> str | None:
    """What ``xargs`` with ``args`` runs reads (``echo | xargs env``: the environment); its
    input may name any variable for ``printenv`` (fail closed: all of them)."""
    args = _after_options("xargs", args)
    if not args:
        return None  # xargs echoes its input
    if args[0].rsplit("/", 1)[-1] == "printenv":
        return _WHOLE
    return _run_read(args, line, depth)


def _find_read(args: list[str], line: str, depth: int) -> str | None:
    """What the commands ``find`` runs (``-exec printenv ;``, ``-execdir env {} +``) read."""
    runs = [k for k, a in enumerate(args[:-1]) if a in _FIND_RUNS]
    if len(runs) > _MAX_FIND_RUNS:
        return _WHOLE  # more than it follows: fail closed (whole-diff read of s30)
    for k in runs:
        end = next((j for j in range(k + 1, len(args)) if args[j] in ("+", ";")), len(args))
        found = _run_read(args[k + 1 : end], line, depth) if end > k + 1 else None
        if found:
            return found
    return None


def _busybox_read(args: list[str], line: str, depth: int) -> str | None:
    """What the applet ``busybox`` runs reads (``busybox env``, ``busybox sh -c env``)."""
    return _run_read(args, line, depth) if args and args[0][:1] != "-" else None


def _command_option_read(args: list[str], line: str, depth: int) -> str | None:
    """What the shell line ``su`` or ``script`` runs reads (``-c LINE``, ``--command=LINE``,
    ``-C``/``--session-command``); none: a session, no read."""
    script = _script(args)
    for k, arg in enumerate(args):
        option, _, value = arg.partition("=")
        if option in ("--command", "--session-command", "-C"):
            script = value or (args[k + 1] if k + 1 < len(args) else "")
    return _nested_read(script, depth) if script else None


def _watch_read(args: list[str], line: str, depth: int) -> str | None:
    """What ``watch`` runs reads: its operands, joined as the shell line it runs."""
    rest = _after_options("watch", args)
    return _nested_read(" ".join(rest), depth) if rest else None


def _parallel_read(args: list[str], line: str, depth: int) -> str | None:
    """What GNU ``parallel`` runs reads: its command (the words before ``:::``) with its
    arguments as a shell line, or, with none, each argument after ``:::`` as one; ``printenv``
    may be fed any name (all of them)."""
    rest = _after_options("parallel", args)
    end = next((k for k, a in enumerate(rest) if a.startswith(":::")), len(rest))
    if end and rest[0].rsplit("/", 1)[-1] == "printenv":
        return _WHOLE
    lines = [" ".join(a for a in rest if a[:3] != ":::")] if end else rest[1:]
    return next(filter(None, (_nested_read(s, depth) for s in lines)), None)


_RUNNERS: dict[str, Callable[[list[str], str, int], str | None]] = {
    "xargs": _xargs_read,
    "find": _find_read,
    "busybox": _busybox_read,
    "su": _command_option_read,
    "script": _command_option_read,
    "watch": _watch_read,
    "parallel": _parallel_read,
}


def _printed_by_name(name: str, args: list[str]) -> str | None:
    """The secret variable ``printenv NAME`` or ``declare -p NAME`` prints (``declare NAME``
    without ``-p`` declares it, prints nothing)."""
    if name == "printenv" or "p" in "".join(a for a in args if a[:1] == "-"):
        return next((a for a in args if _secret_name(a)), None)
    return None


def _interpreter(name: str) -> bool:
    """True for a program that runs Python or JavaScript code (``python3``, ``node``)."""
    return name.startswith("python") or name in _JS_RUNTIMES


def _code_argument(args: list[str]) -> str | None:
    """The code an interpreter's option runs (``python -c CODE``, ``node -e CODE``,
    ``deno eval CODE``), or None."""
    if args[:1] == ["eval"] and len(args) > 1:
        return args[1]
    return next((args[k + 1] for k, a in enumerate(args[:-1]) if a in _CODE_OPTIONS), None)


def _env_read(args: list[str], line: str, depth: int) -> str | None:
    """What ``env`` with ``args`` reads: its options, then settings (``FOO=1``), then the
    program it runs (``env FOO=1 printenv``), or the environment when it runs none. A loop,
    not a recursion, over ``env env ...``."""
    name = "env"
    while name == "env":
        k = 0
        while k < len(args) and args[k][:1] == "-":
            if args[k] in _ENV_EMPTY:
                return None  # env -i: an empty environment
            k += 2 if args[k] in _ENV_VALUES else 1
        while k < len(args) and "=" in args[k][1:]:
            k += 1
        if k >= len(args):
            return _WHOLE
        name, args = args[k].rsplit("/", 1)[-1], args[k + 1 :]
    return _program_read(name, args, line, depth)


def _script(args: list[str]) -> str | None:
    """The line a shell's ``-c`` runs (``bash -lc "env"``), or None."""
    for k, arg in enumerate(args[:-1]):
        if arg[:1] == "-" and arg[1:2] != "-" and "c" in arg:
            return args[k + 1]
    return None


def _expanded(args: list[str]) -> list[str]:
    """The secret variables expanded in ``args`` (``$GITHUB_TOKEN``, ``${openai_api_key}``)."""
    names = (m.group(1) or m.group(2) for a in args for m in _EXPANSION.finditer(a))
    return [n for n in names if _secret_name(n)]


@functools.lru_cache(maxsize=32)
def _printed_names(line: str) -> tuple[str, ...]:
    """The secret variables a printer (``echo``, ``printf``) of ``line`` expands: each command
    (split where the shell splits one, outside quotes and substitutions) whose words include
    a printer, and the names that expand in it (outside single quotes, unescaped). One pass
    (review rev-env29 F5); quoting is each command's (F4: ``echo '$X'; test -n "$X"`` prints
    no value); an unclosed single quote, which may be one nested where the scan does not
    follow (``"$(echo "'")"``), quotes nothing (fail closed)."""
    names: list[str] = []
    found: list[str] = []
    start = i = 0
    nesting = _Nesting()
    while (m := _SHELL_SCAN.search(line, i)) is not None:
        token, i = m.group(0), m.end()
        if token == "'" and not nesting.double:
            i = line.find("'", i) + 1 or i  # unclosed: no quote (fail closed)
        elif token[0] == "$" and token != "$(":
            found.append(m.group(1) or m.group(2))
        elif nesting.breaks(token):
            names.extend(_printed(line[start : m.start()], found))
            found, start = [], i
    names.extend(_printed(line[start:], found))
    return tuple(dict.fromkeys(names))


class _Nesting:
    """Where a shell scan is: in double quotes, backticks, or ``depth`` brackets deep."""

    def __init__(self) -> None:
        self.double = self.tick = False
        self.depth = 0

    def breaks(self, token: str) -> bool:
        """Note ``token``; True when it ends a command at the top of the line."""
        if token == '"':
            self.double = not self.double
        elif token == "`":
            self.tick = not self.tick
        elif token == "$(" or (token == "(" and not self.double):
            self.depth += 1
        elif token == ")":
            self.depth = max(0, self.depth - 1)
        elif token in _COMMAND_LIST or token in ("|", "||"):
            return not (self.depth or self.double or self.tick)
        return False


def _printed(command: str, names: list[str]) -> list[str]:
    """The secret ``names`` expanded in ``command`` when it runs a printer."""
    secret = [n for n in names if _secret_name(n)]
    return secret if secret and _prints(command) else []


def _prints(command: str) -> bool:
    """True when a command's text runs a printer (``echo``, ``/bin/printf``, ``ech''o``)."""
    if _PRINTER_TEXT.search(command):
        return True
    return any(w.rsplit("/", 1)[-1] in _PRINTERS for w in command_words(command))


def _hides_secrets(program: str, args: list[str]) -> bool:
    """True when a dump piped into ``program`` shows the agent no secret: a count (``wc``), or
    the lines of one setting known to hold none (``grep NODE_VERSION``, ``grep PATH``: a
    :data:`_SAFE_SETTING`); an inverted, partial or other pattern shows secrets
    (``grep -v PATH``, ``grep AWS``, ``grep STRIPE``, ``grep =``, ``grep -i token``: reviews
    rev-deleg28 N1, rev-final28 N3), and ``head``/``awk`` show everything."""
    if program in _COUNTERS:
        return True
    if program not in _PICKERS or len(args) != 1:
        return False
    return _SAFE_SETTING.fullmatch(args[0]) is not None


def _own_words(command: list[str], end: int) -> list[str]:
    """A command's words before ``end`` (its pipe or redirection), without the stream number
    of a redirection (``env 2>/dev/null``) or a prefix that runs it as it is (``sudo -E``)."""
    own = command[:end]
    if own and own[-1].isdigit() and end < len(command) and command[end] != "|":
        own = own[:-1]
    k = 0  # walked by index: a copy of the rest per prefix is quadratic (rev-prefix31 F3)
    while k < len(own):
        prefix = own[k].rsplit("/", 1)[-1]  # /usr/bin/sudo is sudo (review rev-runners31)
        if prefix not in _PREFIXES:
            if own[k] in _KEYWORDS or _SETTING.match(own[k]):
                k += 1  # then env, ! env, LC_ALL=C env: the command runs as it is
                continue
            break
        if prefix == "command" and own[k + 1 : k + 2] in (["-v"], ["-V"]):
            return []  # command -v env: where env is, not its output
        k = _options_end(prefix, own, k + 1)
        k += _PREFIX_OPERANDS.get(prefix, 0)  # timeout 5 env, chroot /srv env
    return own[k:]


def program_words(words: list[str]) -> list[str]:
    """A simple command's words from its program on: without what runs it as it is before
    it (:data:`_PREFIXES` with their options and operands, shell keywords, ``NAME=value``
    settings, ``env`` with its options and settings: ``sudo -u root chmod 600 f``,
    ``timeout 5 env FOO=1 chmod ...``). The one reading of such prefixes, for the other
    modules (``actions`` reads the objects of an access change after them)."""
    own = _own_words(words, len(words))
    k = 0  # walked by index: a copy per env is quadratic (review rev-runners31 F3)
    while k < len(own) and own[k].rsplit("/", 1)[-1] == "env":
        k += 1
        while k < len(own) and own[k][:1] == "-":
            if own[k][:2] == "-S" or own[k].startswith("--split-string"):
                return []  # env -S'LINE': it runs a line of its own (review rev-runners31 F2)
            k += 2 if own[k] in _ENV_VALUES else 1
        while k < len(own) and "=" in own[k][1:]:
            k += 1
        if k < len(own) and (own[k] in _PREFIXES or own[k] in _KEYWORDS):
            own, k = _own_words(own[k:], len(own) - k), 0  # env sudo -u root ...
    return own[k:]


def _after_options(program: str, args: list[str]) -> list[str]:
    """``args`` of ``program`` after its options (:func:`_options_end`)."""
    return args[_options_end(program, args, 0) :]


def _options_end(program: str, args: list[str], k: int) -> int:
    """Where the options of ``program`` that start at ``args[k]`` end (:data:`_OPTION_VALUES`:
    ``-u root``; as getopt reads a bundle, ``-Eu root`` ends in one that takes the next word,
    ``-uroot`` not)."""
    valued = _OPTION_VALUES.get(program, frozenset())
    while k < len(args) and args[k][:1] == "-":
        arg = args[k]
        bundle = "" if arg[:2] == "--" else arg[1:]
        first = next((j for j, ch in enumerate(bundle) if "-" + ch in valued), -1)
        k += 2 if arg in valued or (len(bundle) > 1 and first == len(bundle) - 1) else 1
    return k


def _prints_all(name: str, args: list[str]) -> bool:
    """True for a command that prints every variable: ``env``, ``printenv``, ``export``,
    ``set``, ``declare``, ``typeset`` alone, ``export -p``, ``printenv -0``, ``declare -x``
    (``declare -f`` prints functions)."""
    if not args:
        return name in ("env", "printenv", "export", "set", "declare", "typeset")
    if name == "export":
        return args == ["-p"]
    if name == "printenv":
        return args in (["-0"], ["--null"])
    flags = "".join(a.lstrip("-") for a in args)
    return name in ("declare", "typeset") and set(flags) <= set("pxg")


@functools.lru_cache(maxsize=64)
def _code_read(code: str) -> str | None:
    """What code reads of the environment's secrets: the whole of it (``print(os.environ)``,
    ``dict(os.environ)``, ``os.environ.items()``, ``JSON.stringify(process.env)``), or a
    secret variable by name (``os.environ["GITHUB_TOKEN"]``, ``process.env.OPENAI_API_KEY``);
    one read by a name held in a variable (``os.getenv(name)``) may be any of them. A
    variable that holds no secret (``os.environ.get("DEBUG")``, ``process.env.NODE_ENV``), a
    test whether one is set (``"X" in os.environ``), its names (``os.environ.keys()``) or an
    assignment read nothing. The whole code is read (up to :data:`_MAX_SCAN`), for its first
    :data:`_MAX_ACCESSES` accesses (more: the environment, fail closed)."""
    if _past_the_alias_cap(code):
        return _WHOLE  # more names for os or environ than are followed: fail closed
    copies = [0]  # how many copies were followed (:data:`_MAX_COPIES`)
    counted = 0
    for m in _env_accesses(code):
        if counted >= _MAX_ACCESSES:
            return _WHOLE
        if _harmless_keyed(code, m):
            continue  # not counted (review rev-env30 #5: 201 of them were a dump)
        found = _code_access(code, (m.start(), m.end()), m.group(0), copies)
        if found:
            return found
        counted += 1
    return None


def _harmless_keyed(code: str, m: re.Match[str]) -> bool:
    """True for an access ``m`` that reads a variable by a quoted name holding no secret
    (``os.environ.get('LOG_LEVEL')``, ``os.environ['HOME'] = x``): :func:`_code_access`
    reads nothing there, whatever comes before."""
    if m.group(0).endswith("("):
        return False  # getenv(: its argument is read otherwise
    keyed = _CODE_KEYED.match(code, m.end(), m.end() + 160)
    return keyed is not None and bool(keyed.group(1)) and not _secret_name(keyed.group(2))


def _env_accesses(code: str) -> Iterator[re.Match[str]]:
    """Where ``code`` names the environment: :data:`_CODE_ENV`, Python's indirections
    (:data:`_INDIRECT_ENV`: ``getattr(os, 'environ')``, ``vars(os)['environ']``), and
    ``environ`` imported from ``os`` (``from os import environ``, under another name: ``from
    os import environ as e``) or ``os`` under another name (``import os as o``)."""
    yield from _CODE_ENV.finditer(code)
    yield from _INDIRECT_ENV.finditer(code)
    if _FROM_OS.search(code):
        yield from _BARE_ENVIRON.finditer(code)
        for name, end in list(_environ_names(code).items())[:_MAX_ALIASES]:
            word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
            yield from word.finditer(code, end)
    for alias in _os_names(code)[:_MAX_ALIASES]:
        name = re.escape(alias)
        yield from re.finditer(rf"(?<![\w.]){name}\s{{0,4}}\.\s{{0,4}}environb?\b", code)
        yield from re.finditer(_indirect_env(rf"(?<![\w.]){name}"), code)


def _environ_names(code: str) -> dict[str, int]:
    """The names ``environ`` is imported under (``from os import environ as e``), each with
    where its first import ends."""
    names: dict[str, int] = {}
    for m in _ENVIRON_ALIAS.finditer(code):
        if m.group(1) not in ("environ", "environb"):
            names.setdefault(m.group(1), m.end())
    return names


def _os_names(code: str) -> list[str]:
    """The names ``os`` goes by besides its own (``import os as o``, ``o = importlib.import_module('os')``)."""
    found = (
        m.group(1) for m in itertools.chain(_OS_ALIAS.finditer(code), _OS_BOUND.finditer(code))
    )
    return list(dict.fromkeys(a for a in found if a != "os"))


def _past_the_alias_cap(code: str) -> bool:
    """True when ``code`` calls ``os`` or ``environ`` by more names than :data:`_MAX_ALIASES`
    (the ninth would not be followed: whole-diff read of s30)."""
    return len(_os_names(code)) > _MAX_ALIASES or (
        _FROM_OS.search(code) is not None and len(_environ_names(code)) > _MAX_ALIASES
    )


def _code_access(code: str, span: tuple[int, int], what: str, copies: list[int]) -> str | None:
    """What the access to the environment at ``code[start:end]`` (``span``, ``what``) reads:
    nothing in a comment or when handed to a child process (a copy handed on: only for the
    first :data:`_MAX_COPIES` copies, counted in ``copies``)."""
    start, end = span
    before = code[code.rfind("\n", max(0, start - 200), start) + 1 : start][-200:]
    child = _CHILD_ENV.search(before)
    if child and _to_child(code, start - len(before) + child.start()):
        return None
    if _commented(before) or _IMPORTED.search(before):
        return None
    after = code[end : end + 160]
    if _copied_for_children(code, (before, after), end, copies):
        return None
    if what.endswith("("):  # getenv(: getenv() is the whole environment (Java, PHP)
        keyed = _CODE_ARGUMENT.match(after)
        if keyed is None:
            return _WHOLE if after.lstrip()[:1] == ")" else None
    else:
        keyed = _CODE_KEYED.match(after)
    if keyed:
        return _keyed_read(keyed, before, after)
    attribute = _CODE_ATTRIBUTE.match(after)
    if attribute and what.startswith(("process", "Bun")):
        name = attribute.group(1)
        return name if _secret_name(name) and not attribute.group(2) else None
    if attribute:
        return None if attribute.group(1) in _NO_VALUES else _WHOLE
    if _NAMES_ONLY.search(before) and _ARGUMENT_END.match(after):
        return None  # len(os.environ), Object.keys(process.env): its names, no value
    return _bare_access(before)


def _copied_for_children(code: str, around: tuple[str, str], end: int, copies: list[int]) -> bool:
    """True when the access ending at ``code[end]`` (``around``: its line's text before it,
    the text after) is copied into a variable only handed to children (:func:`_only_for_children`),
    for the first :data:`_MAX_COPIES` copies (``copies`` counts them; review rev-env30 #2)."""
    copy = _COPY_TO.search(around[0])
    if copy is None or not _COPY_END.match(around[1]):
        return False
    copies[0] += 1
    return copies[0] <= _MAX_COPIES and _only_for_children(code, copy.group(1), end)


def _keyed_read(keyed: re.Match[str], before: str, after: str) -> str | None:
    """What a read by name (``os.environ["X"]``, ``getenv("X")``: ``keyed`` matched in
    ``after``) reads: nothing when set or only tested (``assert os.environ.get("X"), "m"``),
    everything when the name is held in a variable."""
    if keyed.group(3):
        return None  # os.environ["X"] = ...: set, not read
    name = keyed.group(2)
    if not keyed.group(1):
        return _WHOLE
    checked = _CHECK_BEFORE.search(before) and _CHECK_AFTER.match(after, keyed.end())
    return name if _secret_name(name) and not checked else None


def _only_for_children(code: str, name: str, start: int) -> bool:
    """True when every later use of the variable ``name`` (a copy of the environment) in
    ``code`` hands it to a child process or changes an item: no value is shown (review
    rev-env29 F2: ``my_env = os.environ.copy(); subprocess.run(..., env=my_env)``). Past
    :data:`_MAX_USES` uses, not (fail closed)."""
    uses = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)").finditer(code, start)
    for k, m in enumerate(uses):
        if k >= _MAX_USES:
            return False
        at = m.start()
        if _NAMED_BY.match(code, at + len(name)):
            continue  # env=env: the keyword's name, or the name bound anew, shows nothing
        child = _TO_CHILD.search(code[max(0, at - 40) : at])
        if child and _to_child(code, max(0, at - 40) + child.start()):
            continue
        if not _CHANGED.match(code, at + len(name)):
            return False
    return True


def _commented(before: str) -> bool:
    """True when a comment marker (``#`` or ``//`` at the line's start or after a space) opens
    outside string literals in ``before``, the text before an access on its line (``# never
    print os.environ``; review rev-final29 N5: not ``print('dump #', os.environ)``)."""
    quote, escaped = "", False
    for k, ch in enumerate(before):
        if quote:
            quote = "" if ch == quote and not escaped else quote
            escaped = ch == "\\" and not escaped  # '\' #' is one string (review rev-fix29c B3)
        elif ch in "'\"`":
            quote = ch
        elif (ch == "#" or before.startswith("//", k)) and (k == 0 or before[k - 1].isspace()):
            return True
    return False


def _to_child(code: str, at: int) -> bool:
    """True when the ``env`` keyword at ``code[at]`` is that of a call starting a child
    process (:data:`_CHILD_CALL`: the call's own argument, or a key of an object that is
    one), whose command is written out and cannot show what it is handed
    (:data:`_SHOWING_CHILD`: not ``subprocess.run(['printenv'], env=os.environ)``, nor a
    shell, nor a command held in a variable). Linear: one pass over a bounded window."""
    opened = _child_call_at(code, at)
    if opened < 0 or _own_function(code, opened):
        return False
    if not _WRITTEN_OUT.match(code, opened + 1):
        return False  # subprocess.run(cmd, env=..., encoding='utf-8'): a variable's command
    strings, depth, end = [], 0, at
    for m in _CALL_TOKEN.finditer(code, opened, at + _CALL_WINDOW):
        tok, end = m.group(0), m.end()
        depth += 1 if tok in "([{" else -1 if tok in ")]}" else 0
        if len(tok) > 1:
            strings.append(tok[1:-1])
        if depth == 0:
            break  # the call's closing bracket
    if not strings or _SHELL_TRUE.search(code, opened, end):
        return False  # subprocess.run(cmd, env=...): which child is not written out
    return not any(_SHOWING_CHILD.search(s) for s in strings)


#: A call whose first argument is the command written out: a string, or a list of strings.
_WRITTEN_OUT = re.compile(r"\s{0,8}[\[(]?\s{0,8}['\"`]")
#: The name a call ends on (``spawn`` in ``cp.spawn(``).
_CALLED_NAME = re.compile(r"([A-Za-z_$][\w$]{0,40})\s{0,4}$")


def _own_function(code: str, opened: int) -> bool:
    """Whether the call opened at ``code[opened]`` is of a function the code defines itself
    (``def spawn(cmd, env): print(env)``): no child process (review rev-fix29c B2)."""
    name = _CALLED_NAME.search(code, max(0, opened - 60), opened)
    return name is not None and _defines(code, name.group(1))


@functools.lru_cache(maxsize=256)
def _defines(code: str, name: str) -> bool:
    """Whether ``code`` defines or assigns ``name``; once per code and name (a call per
    ``env=`` keyword must not rescan the code each time)."""
    word = re.escape(name)
    pattern = rf"(?:\bdef|\bfunction|\bclass)\s{{1,4}}{word}\b|(?<![\w.]){word}\s{{0,4}}=[^=]"
    return re.search(pattern, code) is not None


def _child_call_at(code: str, at: int) -> int:
    """Where the ``(`` of the child-starting call (:data:`_CHILD_CALL`) whose argument list
    ``code[at]`` stands in directly is (or in an object that is one of its arguments); -1
    when it stands in no such call. Brackets inside string literals are not counted."""
    start = max(0, at - _CALL_WINDOW)
    stack: list[tuple[str, int]] = []  # open bracket, where (-1: not a child call's)
    for m in _CALL_TOKEN.finditer(code, start, at):
        tok = m.group(0)
        if tok in "([{":
            child = tok == "(" and _CHILD_CALL.search(code, max(start, m.start() - 60), m.start())
            stack.append((tok, m.start() if child else -1))
        elif tok in ")]}" and stack:
            stack.pop()
    if len(stack) > 1 and stack[-1][0] == "{":
        stack.pop()  # spawn(cmd, args, {env: X}): the options object of the call
    return stack[-1][1] if stack and stack[-1][0] == "(" else -1


def _bare_access(before: str) -> str | None:
    """What the environment itself reads, by the text ``before`` it on its line: the names a
    destructuring picks, nothing for a test whether a name is set, else all of it."""
    picked = _DESTRUCTURED.search(before)
    if picked:
        names = (n.split(":")[0].strip() for n in picked.group(1).split(","))
        return next((n for n in names if _secret_name(n)), None)
    if _MEMBER.search(before) and not _LOOP.search(before):
        return None
    return _WHOLE


def printed_nothing(output: str, command: str | None = None, tool: str = "") -> bool:
    """True when a call's recorded output shows its read printed nothing: empty, or the shell
    saying its program is missing (``bash: printenv: command not found``). For a command
    (``command``, not None: a tool that runs commands or code), only when the line is one
    program that prints what it reads (``env``, ``printenv X``, ``echo $X``, under ``sudo``)
    with no redirection, pipe or second command (``env > f``, ``env | tee f``, ``env; x``
    print nothing yet read every secret: review rev-env29 F1), and a missing program is that
    one; code may have written what it read anywhere (fail closed)."""
    text = output.strip()
    if command is not None:
        return _simple_reader(command, tool) is not None and _missing(text, command, tool)
    return not text or (len(text) <= 200 and _NOT_FOUND.fullmatch(text) is not None)


def _simple_reader(command: str, tool: str) -> str | None:
    """The program of a line that is one command printing what it reads, or None."""
    if len(command) > _MAX_VALUE or _NOT_SIMPLE.search(command) or code_tool(tool):
        return None  # a long line's tail is not read: it may redirect the read
    words = command_words(command)
    own = _own_words(words, len(words))
    name = own[0].rsplit("/", 1)[-1] if own and "nohup" not in words else ""  # nohup.out
    if name == "env" and any(a[:1] != "-" and "=" not in a for a in own[1:]):
        return None  # env runs a program: what it does is its own
    return name if name in _READERS else None


def _missing(text: str, command: str, tool: str) -> bool:
    """True when ``text`` is empty or says the program of ``command`` is missing."""
    if not text:
        return True
    found = _NOT_FOUND.fullmatch(text) if len(text) <= 200 else None
    program = (found.group(1) or found.group(2)).rsplit("/", 1)[-1] if found else None
    words = command_words(command)
    return program is not None and (
        program == _simple_reader(command, tool) or (program in _PREFIXES and program == words[0])
    )


def user_topic(value: str, user_text: str) -> bool:
    """True when ``value`` is a keyless file of a tool the user's own words are about ("Set up
    SSH access" and ``~/.ssh/config``): the task names it, though not by its path."""
    return bool(_SSH_KEYLESS.search(value.strip())) and _SAYS_SSH.search(user_text) is not None


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
    if parts.scheme.lower() not in ("http", "https", "ws", "wss", "ftp"):
        return None
    if not _internal_host(host) or own_dev_server(host, parts.port, parts.path):
        return None
    return f"an internal or metadata address ({host})"


def own_dev_server(host: str, port: int | None, path: str) -> bool:
    """True for a page of a web server on the loopback address ("http://localhost:8080/health"
    after "make run"): not a data-store port, not an admin path."""
    name = host.strip("[]").lower()
    try:
        loopback = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    return loopback and port not in _SERVICE_PORTS and not _ADMIN_PATH.search(path)


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
        if _SECRET_PATH.search(path) and not _PUBLIC_PEM.search(path):
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
