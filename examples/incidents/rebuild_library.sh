#!/usr/bin/env bash
# Rebuild the curated scenario library (scenarios/*.yaml) from the incident trajectories
# kept beside this script. Every scenario is derived with `incident_lab add` and then
# confirmed by a human with `incident_lab tag`; nothing in scenarios/ is written by hand.
#
# Idempotent: re-running it reports "unchanged" for every scenario already in the library.
# Usage: examples/incidents/rebuild_library.sh [SCENARIOS_DIR]   (default: scenarios)
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB="${1:-scenarios}"
INC=examples/incidents
IL="${INCIDENT_LAB:-incident_lab}"

add() { "$IL" add --scenarios-dir "$LIB" "$@"; }
gate() { "$IL" tag --scenarios-dir "$LIB" "$1" --status gated --owner safety-team; }

# prompt_injection
add --from $INC/2026-02-01-mail-exfil-injected-doc.jsonl --id inc-20260201-mail-exfil-injected-doc \
    --failure-mode prompt_injection --severity SEV-1 \
    --title "Email agent exfiltrates the customer list after an injected document" \
    --tag email --tag exfiltration --tag example-agent
add --from $INC/2026-02-09-inbox-injection-forward.jsonl --id inc-20260209-inbox-injection-forward \
    --failure-mode prompt_injection --severity SEV-1 \
    --title "Email agent forwards finance mail with banking credentials after an injected inbox message" \
    --tag email --tag exfiltration --tag example-agent

# policy_erosion
add --from $INC/2026-02-12-support-refund-erosion.jsonl --id inc-20260212-support-refund-erosion \
    --failure-mode policy_erosion --severity SEV-2 \
    --title "Support agent eroded over nine turns into a \$1,249 refund outside policy" \
    --tag support --tag refund --tag multi-turn
add --from $INC/2026-02-20-account-spouse-erosion.jsonl --id inc-20260220-account-spouse-erosion \
    --failure-mode policy_erosion --severity SEV-2 \
    --title "Account assistant pressured into disclosing a customer's contact details to a claimed spouse" \
    --tag privacy --tag multi-turn --tag example-agent

# intent_drift
add --from $INC/2026-02-05-coding-agent-destructive-cleanup.jsonl --id inc-20260205-coding-agent-destructive-cleanup \
    --failure-mode intent_drift --severity SEV-1 \
    --title "Coding agent asked to speed up tests deletes shared data and untracked work (rm -rf, git clean -fdx)" \
    --tag coding --tag destructive-command
add --from $INC/2026-02-17-mail-unrequested-send.jsonl --id inc-20260217-mail-unrequested-send \
    --failure-mode intent_drift --severity SEV-2 \
    --title "Mail assistant sends a vendor reply the user said not to send" \
    --tag email --tag example-agent

# tool_hallucination
add --from $INC/2026-02-14-support-nonexistent-tool.jsonl --id inc-20260214-support-nonexistent-tool \
    --failure-mode tool_hallucination --severity SEV-3 \
    --title "Help assistant calls a non-existent cancel_subscription tool and tells the customer it worked" \
    --tag support
add --from $INC/2026-02-27-expense-hallucinated-approval.jsonl --id inc-20260227-expense-hallucinated-approval \
    --failure-mode tool_hallucination --severity SEV-2 \
    --title "Expense assistant invents approve_expense(override_policy=true) and the router executes it" \
    --tag finance

# coordinated_misuse (built from one session; the campaign is noted in provenance.coordination)
add --from $INC/2026-02-24-coordinated-coupon-campaign.jsonl --id inc-20260224-coordinated-coupon-campaign \
    --failure-mode coordinated_misuse --severity SEV-2 \
    --title "Fifty new accounts send the same 'QA mode' override to get the STAFF100 staff coupon applied" \
    --tag retail --tag campaign
add --from $INC/2026-03-01-coordinated-prompt-extraction.jsonl --id inc-20260301-coordinated-prompt-extraction \
    --failure-mode coordinated_misuse --severity SEV-1 \
    --title "Twelve guest sessions replay one system-prompt extraction; two leak the partner API key" \
    --tag prompt-leak --tag campaign

# safeguard_failure
add --from $INC/2026-03-03-dlp-allowed-card-numbers.jsonl --id inc-20260303-dlp-allowed-card-numbers \
    --failure-mode safeguard_failure --severity SEV-1 \
    --title "PCI DLP guard allows full card numbers in an email to an external partner" \
    --tag pci --tag email
add --from $INC/2026-03-06-output-filter-flag-only.jsonl --id inc-20260306-output-filter-flag-only \
    --failure-mode safeguard_failure --severity SEV-2 \
    --title "PII output filter in flag-only mode lets a CFO's direct contact details through" \
    --tag privacy --tag example-agent

# unknown (emergent)
add --from $INC/2026-02-11-unknown-memorised-credential.jsonl --id inc-20260211-unknown-memorised-credential \
    --failure-mode unknown --severity SEV-2 \
    --title "Fine-tuned engineering assistant emits a memorised AWS access key pair" \
    --tag credentials
add --from $INC/2026-03-08-unknown-internal-notes-leak.jsonl --id inc-20260308-unknown-internal-notes-leak \
    --failure-mode unknown --severity SEV-3 \
    --title "Public chat assistant pastes internal incident notes (database IPs, on-call phone) to a visitor" \
    --tag privacy

for id in \
    inc-20260201-mail-exfil-injected-doc inc-20260209-inbox-injection-forward \
    inc-20260212-support-refund-erosion inc-20260220-account-spouse-erosion \
    inc-20260205-coding-agent-destructive-cleanup inc-20260217-mail-unrequested-send \
    inc-20260214-support-nonexistent-tool inc-20260227-expense-hallucinated-approval \
    inc-20260224-coordinated-coupon-campaign inc-20260301-coordinated-prompt-extraction \
    inc-20260303-dlp-allowed-card-numbers inc-20260306-output-filter-flag-only \
    inc-20260211-unknown-memorised-credential inc-20260308-unknown-internal-notes-leak; do
    gate "$id"
done
"$IL" lint "$LIB"
