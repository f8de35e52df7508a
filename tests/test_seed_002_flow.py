"""Seed 002's bash flow, as a bash script driving the real `accord` executable, on SQLite and PostgreSQL:
request a commit gate, three teams vote (docs-team advisory), tally; the veto, and its lifting by its holder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from accord.bootstrap import build_services
from tests.support import World

BIN = str(Path(sys.executable).parent)

SCRIPT = r"""
set -u
# core-development agent initiates a commit gate check
REQUEST_ID=$(ACCORD_TOKEN=$CORE accord gate request "commit-gate" '{
  "branch": "feat/new-middleware",
  "files_changed": ["core/rules/agent-middleware-law.md", "core/scripts/tool-proxy.sh"],
  "blast_score": 2,
  "description": "Add tool-proxy.sh middleware layer"
}' --group swarm)
echo "Request opened: $REQUEST_ID"

# security-team agent reviews and votes; qa-team votes after running tests; docs-team advisory vote
ACCORD_TOKEN=$SEC accord gate vote "$REQUEST_ID" yes
TEST_RESULT=$(true && echo "yes" || echo "no")
ACCORD_TOKEN=$QA accord gate vote "$REQUEST_ID" "$TEST_RESULT"
ACCORD_TOKEN=$DOCS accord gate vote "$REQUEST_ID" yes

# Tally the result: exit 0 = approved, 1 = rejected, 2 = vetoed
ACCORD_TOKEN=$CORE accord gate tally "commit-gate"
echo "tally exit: $?"

# security-team discovered a gate bypass in the PR: issue veto
ACCORD_TOKEN=$SEC accord gate vote "$REQUEST_ID" no --comment "gate bypass in tool-proxy.sh"
ACCORD_TOKEN=$CORE accord gate tally "commit-gate"
echo "tally exit: $?"
ACCORD_TOKEN=$CORE accord inbox recv --type VETO

# nobody else lifts it: not qa-team, not the advisory docs-team, not the requester
ACCORD_TOKEN=$QA accord gate vote "$REQUEST_ID" yes --comment "tests pass"
ACCORD_TOKEN=$DOCS accord gate vote "$REQUEST_ID" yes
ACCORD_TOKEN=$CORE accord gate vote "$REQUEST_ID" yes
echo "requester vote exit: $?"
ACCORD_TOKEN=$CORE accord gate tally "commit-gate"
echo "tally exit: $?"

# Veto is lifted only by security-team itself
ACCORD_TOKEN=$SEC accord gate vote "$REQUEST_ID" yes
ACCORD_TOKEN=$CORE accord gate wait "commit-gate" --timeout 30
echo "wait exit: $?"
"""


def test_seed_002_bash_flow(store_url: str, tmp_path: Path) -> None:
    services = build_services(store_url)
    try:
        world = World(services)
        world.group(
            "swarm",
            {
                "core-development": {},
                "security-team": {"veto": True},
                "qa-team": {},
                "docs-team": {"advisory": True},
            },
        )
    finally:
        services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ACCORD_DATABASE_URL=store_url,
        CORE=world.tokens["core-development"],
        SEC=world.tokens["security-team"],
        QA=world.tokens["qa-team"],
        DOCS=world.tokens["docs-team"],
    )
    done = subprocess.run(["bash", "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    lines = done.stdout.splitlines()
    request_id = lines[0].removeprefix("Request opened: ")
    assert request_id.startswith("prop_")
    exits = [line for line in lines if " exit: " in line]
    assert exits == ["tally exit: 0", "tally exit: 2", "requester vote exit: 77", "tally exit: 2", "wait exit: 0"]
    assert lines[1:4] == [
        "recorded: yes (gate pending)",
        "recorded: yes (gate approved)",
        "recorded: yes (gate approved)",
    ]
    assert f"{request_id}  commit-gate: approved" in lines
    assert "votes: security-team yes, qa-team yes, docs-team yes (advisory, not counted)" in lines
    assert "replaced: no (gate vetoed)" in lines
    assert "vetoed by security-team: gate bypass in tool-proxy.sh" in lines  # the holder and its reason
    assert "VETO issued by security-team on 'commit-gate': gate bypass in tool-proxy.sh" in lines
    assert lines.count("replaced: yes (gate vetoed)") == 2  # qa-team and docs-team could not lift it
    assert "replaced: yes (gate approved)" in lines  # security-team did
    assert f"{request_id}  commit-gate: approved (closed)" in lines  # the requester's wait closed it
    assert done.stderr.splitlines() == [
        f"error: core-development is not an eligible voter of {request_id}: the requester may not vote on its own gate"
    ]
