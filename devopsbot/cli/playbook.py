"""``python -m devopsbot playbook ...``: submit, show, approve, reject, list, coverage and audit playbooks.

Nothing heavy is imported at module level: the CLI's parser is built on every start.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from incident.errors import InvalidValue

COVERAGE_GAPS_EXIT = 1  # `playbook coverage` found services without an approved playbook


def _read(path: str) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InvalidValue("file", f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InvalidValue("file", f"{path} is not UTF-8 (byte at offset {error.start})") from None


def _line(found: Any) -> str:
    v = found.version
    return (f"{v.service} v{v.version}  {found.state.value:<10} {found.approvals}/{found.needed} approvals  "
            f"owner {v.owner}, last tested {v.last_tested.isoformat()}, by {v.author.name} "
            f"{v.submitted_at:%Y-%m-%d %H:%M} UTC")


def _run(args: argparse.Namespace) -> int:
    from devopsbot.cli.common import actor as _actor
    from devopsbot.cli.common import with_container as _with_container
    from incident.playbook_commands import ApprovePlaybook, RejectPlaybook, SubmitPlaybook
    from services import playbooks

    text = _read(args.file) if args.playbook_action == "submit" else ""
    actor = _actor(args.actor)

    async def work(container: Any) -> int:
        deps = container.dependencies
        action = args.playbook_action
        if action == "submit":
            version = await container.bus.handle(SubmitPlaybook(args.service, text, actor))
            print(f"Submitted {version.service} v{version.version}; it needs "
                  f"{deps.policy.playbooks.approvals_required} approval(s) by someone other than {actor.name}.")
        elif action in ("approve", "reject"):
            # An operator at the CLI acts with full authority, but never approves their own version.
            found = await container.bus.handle(
                ApprovePlaybook(args.service, args.version, actor, enforce_roles=False) if action == "approve" else
                RejectPlaybook(args.service, args.version, actor, args.comment or "", enforce_roles=False))
            print(_line(found))
        elif action == "show":
            found = await playbooks.show(deps, args.service, args.version)
            print(_line(found))
            print()
            print(found.version.text)
        elif action == "list":
            listed = await playbooks.listing(deps, args.service or "")
            print("\n".join(_line(v) for v in listed) or "No playbooks yet.")
        elif action == "audit":
            for event in await deps.playbooks.audit(args.service):
                print(f"{event.at:%Y-%m-%d %H:%M:%S} UTC  v{event.version}  {event.kind:<9} {event.actor.name}"
                      + (f": {event.detail}" if event.detail else ""))
        else:
            missing = await playbooks.coverage(deps)
            print("Services without an approved, unexpired playbook: " + ", ".join(missing) if missing else
                  "Every service has an approved, unexpired playbook.")
            return COVERAGE_GAPS_EXIT if missing else 0
        return 0

    return asyncio.run(_with_container(work))


def register(subparsers: Any) -> None:
    playbook = subparsers.add_parser("playbook", help="service playbooks: versioned, verified, approved by another")
    playbook.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    actions = playbook.add_subparsers(dest="playbook_action", required=True)
    submit = actions.add_parser("submit", help="submit a new version from a Markdown file")
    submit.add_argument("service")
    submit.add_argument("file")
    show = actions.add_parser("show", help="the approved version (else the latest), or the version given")
    show.add_argument("service")
    show.add_argument("version", type=int, nargs="?")
    approve = actions.add_parser("approve", help="approve a version (not your own)")
    approve.add_argument("service")
    approve.add_argument("version", type=int)
    reject = actions.add_parser("reject", help="reject a version, saying why")
    reject.add_argument("service")
    reject.add_argument("version", type=int)
    reject.add_argument("--comment", required=True)
    listing = actions.add_parser("list", help="every version and its state")
    listing.add_argument("service", nargs="?")
    audit = actions.add_parser("audit", help="every state change of a service's playbook: who, when, which version")
    audit.add_argument("service")
    actions.add_parser("coverage", help="services without an approved, unexpired playbook (exit status 1 if any)")
    playbook.set_defaults(run=_run)
