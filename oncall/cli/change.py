"""`oncall recurring` and `oncall change propose`: from repeated incidents to a reviewed fix."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall.cli.common import user_errors
from oncall.cli.index import INDEX_HELP
from oncall.cli.triage import OutputFormat
from oncall.errors import InputError

if TYPE_CHECKING:
    from oncall.change.history import IncidentRecord, IndexedSources
    from oncall.change.recurrence import Recurrence

app = typer.Typer(help="Propose reviewed changes that remove recurring causes.",
                  no_args_is_help=True)

HISTORY_HELP = "Past-incident records (folders or files; `oncall postmortem` writes them). " \
               "Default: the incident records in the knowledge index (--index)."
AUDIT_HELP = "The audit log (default: ~/.local/share/oncall/audit.jsonl)."


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    from oncall.sources.fields import parse_rfc3339

    parsed = parse_rfc3339(value)
    if parsed is None:
        raise InputError("--now", f"{value!r} is not an RFC 3339 time")
    return parsed


def _history(paths: list[Path] | None, audit: Path | None, index: Path | None,
             flag: str) -> tuple[list[IncidentRecord], IndexedSources | None]:
    """The records at `paths`; without paths (or with --index) also those the knowledge
    index knows. `flag` names how paths are given, for the error when there are none."""
    from oncall.audit import AuditLog
    from oncall.change.history import indexed_sources, load_history

    if audit is not None and not audit.exists():
        raise InputError(str(audit), "no such audit log", field="--audit")
    indexed = None
    if not paths or index is not None:
        indexed = indexed_sources(index)
        if not paths and not indexed.found and not indexed.missing:
            what = "no knowledge index" if not indexed.exists else \
                "no incident records in the knowledge index"
            raise InputError(indexed.location, f"{what}; give {flag}, or record incidents with "
                             "`oncall postmortem` or `oncall index PATH`")
    log = AuditLog(audit)
    records = load_history(list(paths or []), log if log.path.exists() else None,
                           indexed.found if indexed is not None else ())
    return records, indexed


def _missing_note(indexed: IndexedSources | None) -> str | None:
    if indexed is None or not indexed.missing:
        return None
    return (f"{len(indexed.missing)} indexed incident record(s) not found on disk, skipped "
            f"(moved or deleted; re-run `oncall index` on their folder to forget them)")


def recurring_command(
    history: Annotated[list[Path] | None, typer.Argument(help=HISTORY_HELP)] = None,
    index: Annotated[Path | None, typer.Option("--index", help=INDEX_HELP)] = None,
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days.")] = 90,
    min_count: Annotated[int, typer.Option("--min-count", min=2, help="Incidents per cluster.")]
    = 2,
    now: Annotated[str | None, typer.Option("--now", help="Evaluate at this time.")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Recurring causes (same service, same kind, alike causes), ranked by total impact."""
    from oncall.change.recurrence import find_recurring

    with user_errors():
        moment = _now(now)
        records, indexed = _history(history, audit, index, "HISTORY paths")
        found = find_recurring(records, moment, days, min_count)
    if output_format is OutputFormat.json:
        body = {"records": len(records),
                "index": indexed.location if indexed is not None else None,
                "missing_records": len(indexed.missing) if indexed is not None else 0,
                "recurring": [_rec_dict(r) for r in found]}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    note = _missing_note(indexed)
    if not found:
        console.print(Text(f"no recurring cause among {len(records)} incident record(s) in "
                           f"the last {days} days"))
        if note:
            console.print(Text(note), soft_wrap=True)
        return
    table = Table(title=Text(f"{len(found)} recurring cause(s) in {len(records)} record(s)"),
                  title_justify="left")
    for name in ("cluster", "service", "kind", "n", "impact", "MTTR", "incidents"):
        table.add_column(name, overflow="fold")
    for rec in found:
        impact = f"${rec.total_revenue:,.0f}, {rec.total_users:,.0f} users"
        mttr = f"{rec.mean_minutes:.0f} min" if rec.mean_minutes is not None else "-"
        table.add_row(Text(rec.id), Text(rec.service), Text(rec.kind), str(rec.count),
                      Text(impact), mttr, Text(", ".join(i.id for i in rec.incidents)))
    console.print(table)
    if note:
        console.print(Text(note), soft_wrap=True)


def _rec_dict(rec: Recurrence) -> dict[str, Any]:
    return {"id": rec.id, "service": rec.service, "kind": rec.kind, "count": rec.count,
            "total_minutes": round(rec.total_minutes, 1),
            "mean_minutes": None if rec.mean_minutes is None else round(rec.mean_minutes, 1),
            "total_revenue": rec.total_revenue, "total_users": rec.total_users,
            "incidents": [{"id": i.id, "day": i.day.strftime("%Y-%m-%d"), "path": i.path,
                           "root_cause": i.root_cause} for i in rec.incidents]}


@app.command("propose")
def propose(
    target: Annotated[str, typer.Argument(help="A cluster id from `oncall recurring`, or an "
                                          "incident record id.")],
    repo: Annotated[Path, typer.Option("--repo", help="The config / IaC git repository.")],
    history: Annotated[
        list[Path] | None, typer.Option("--history", "-H", help=HISTORY_HELP)
    ] = None,
    index: Annotated[Path | None, typer.Option("--index", help=INDEX_HELP)] = None,
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="policy.yaml (autonomy, windows, approvers).")
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="FILE[#DOC]:dotted.path=VALUE instead of the built-in fix."),
    ] = None,
    base: Annotated[str, typer.Option("--base", help="Branch (or commit) to start from; the pull "
                                    "request targets this branch.")]
    = "HEAD",
    branch: Annotated[str | None, typer.Option("--branch", help="New branch name.")] = None,
    push_remote: Annotated[
        str | None, typer.Option("--push", help="Push the branch to this remote.")
    ] = None,
    github: Annotated[
        str | None, typer.Option("--github", help="OWNER/REPO: open a PR (GITHUB_TOKEN).")
    ] = None,
    gitlab: Annotated[
        str | None, typer.Option("--gitlab", help="PROJECT path: open an MR (GITLAB_TOKEN).")
    ] = None,
    api: Annotated[str | None, typer.Option("--api", help="Forge API base URL.")] = None,
    audit: Annotated[Path | None, typer.Option("--audit", help=AUDIT_HELP)] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="History window in days.")] = 90,
    now: Annotated[str | None, typer.Option("--now", help="Governance time (RFC 3339).")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff; create nothing.")]
    = False,
) -> None:
    """Draft the fix, commit it on a new branch, and open a pull request for review."""
    from oncall.audit import AuditLog
    from oncall.change import propose as p
    from oncall.change.git import open_repo
    from oncall.change.remedies import NoFix

    with user_errors():
        _check_forge(github, gitlab, api)
        moment = _now(now)
        policy = _policy(policy_file)
        log = AuditLog(audit)
        records, indexed = _history(history, None, index, "--history")
        note = _missing_note(indexed)
        if note:
            typer.echo(f"oncall: {note}", err=True)
        rec = _target(target, records, moment, days)
        try:
            reason = p.check_governance(policy, moment)
        except p.ChangeRefused as refused:
            if not dry_run:
                log.append("rejection", {"recurrence": rec.id, "reason": str(refused)},
                           incident=rec.id)
            raise
        git_repo = open_repo(repo)
        token_env, token = _forge_token(github, gitlab)
        explicit = p.bind_explicit([p.parse_set(s, git_repo.root) for s in set_values or []],
                                   git_repo, base)
        target_branch = _base_branch(git_repo, base) if token else None
        try:
            proposal = p.build_proposal(rec, git_repo, base, branch, explicit, policy)
        except NoFix as missing:
            raise InputError(str(repo), str(missing), field="--set") from None
        typer.echo(f"{rec.id}: {proposal.fix.summary} ({reason})")
        typer.echo(proposal.diff.rstrip("\n"))
        if dry_run:
            typer.echo("dry run: no branch, no commit, no pull request")
            return
        p.commit(git_repo, proposal)
        p.record(log, "proposal", proposal, reason=reason)
        typer.echo(f"committed {proposal.commit[:12] if proposal.commit else ''} on branch "
                   f"{proposal.branch} (your checkout is untouched)")
    _publish(git_repo, proposal, policy, push_remote, github, gitlab, api, log,
             token_env, token, target_branch)


def _check_forge(github: str | None, gitlab: str | None, api: str | None) -> None:
    """One forge at most, and an --api URL that requests can be sent to, checked before
    anything is read or written."""
    if github and gitlab:
        raise InputError("--gitlab", "give --github OWNER/REPO or --gitlab GROUP/PROJECT, "
                         "not both (one change is reviewed in one place)")
    if api is not None:
        from oncall.config import BadURL, check_url

        try:
            check_url(api)
        except BadURL as exc:
            raise InputError("--api", str(exc)) from None


def _forge_token(github: str | None, gitlab: str | None) -> tuple[str, str]:
    """The token variable the forge asked for, and its value ("" when unset)."""
    token_env = "GITHUB_TOKEN" if github else "GITLAB_TOKEN" if gitlab else ""
    return token_env, os.environ.get(token_env, "") if token_env else ""


def _base_branch(repo: Any, base: str) -> str:
    """The branch the pull request targets: the one `--base` names (a local branch, or a
    remote-tracking one like `origin/release`), or the current branch when `--base` is
    left at HEAD. A tag, a commit or a detached HEAD is refused: a review needs a branch."""
    full = str(repo.git("rev-parse", "--symbolic-full-name", base, check=False)).strip()
    full = full.splitlines()[0] if full else ""
    name = ""
    if full.startswith("refs/heads/"):
        name = full.removeprefix("refs/heads/")
    elif full.startswith("refs/remotes/"):
        name = full.removeprefix("refs/remotes/").partition("/")[2]
    if name and name != "HEAD":
        return name
    if base == "HEAD":
        raise InputError("--base", "HEAD is detached, so there is no branch for the pull "
                         "request to target; give --base BRANCH")
    what = "a tag" if full.startswith("refs/tags/") else "not a branch"
    raise InputError("--base", f"{base!r} is {what}; a pull request targets a branch: give "
                     "--base BRANCH")


def _publish(repo: Any, proposal: Any, policy: Any, push_remote: str | None,
             github: str | None, gitlab: str | None, api: str | None, log: Any,
             token_env: str, token: str, target_branch: str | None) -> None:
    from oncall.change import propose as p
    from oncall.change.git import push

    forge = "github" if github else "gitlab" if gitlab else None
    remote = push_remote or ("origin" if forge and token else None)
    with user_errors():
        if remote:
            push(repo, remote, proposal.branch)
            typer.echo(f"pushed {proposal.branch} to {remote}")
    title, _, body = proposal.message.partition("\n")
    if not (forge and token and target_branch):
        if forge:
            typer.echo(f"no {token_env} in the environment: open the pull request by hand")
        _description(proposal)
        return
    import httpx

    from oncall.change import forge as f

    kind = "pull request" if forge == "github" else "merge request"
    try:
        with httpx.Client(timeout=f.TIMEOUT, follow_redirects=False) as client:
            if forge == "github":
                opened = f.github_pull_request(
                    client, str(github), token, head=proposal.branch, base=target_branch,
                    title=title, body=body.strip(), reviewers=list(policy.approver_groups),
                    api=api or f.GITHUB_API)
            else:
                opened = f.gitlab_merge_request(
                    client, str(gitlab), token, head=proposal.branch, base=target_branch,
                    title=title, body=body.strip(), api=api or f.GITLAB_API)
    except f.ForgeError as failed:
        reason = str(failed)
        p.record(log, "note", proposal, forge=forge, target=target_branch, failed=reason)
        sys.stderr.write(f"oncall: {reason}\n")
        look = (f"it may have been opened: look for an open {kind} from that branch, else "
                if failed.maybe_created else "")
        sys.stderr.write(f"oncall: branch {proposal.branch} pushed to {remote}; {look}open "
                         f"the {kind} into {target_branch} by hand with the description "
                         "below\n")
        _description(proposal)
        raise typer.Exit(code=1) from None
    proposal.opened = opened
    where = opened.url or f"#{opened.number}"
    p.record(log, "note", proposal, forge=forge, target=target_branch, opened=opened.url,
             number=opened.number, reviewers=list(opened.reviewers_requested),
             **({"failed": opened.reviewers_error} if opened.reviewers_error else {}))
    if opened.reviewers_error:
        typer.echo(f"opened {where} (#{opened.number}) into {target_branch}; oncall never "
                   "merges")
        wanted = ", ".join(policy.approver_groups)
        sys.stderr.write(f"oncall: {opened.reviewers_error}\n")
        sys.stderr.write(f"oncall: {kind} #{opened.number} is open ({where}) but the "
                         f"reviewers were not requested: request {wanted} by hand\n")
        raise typer.Exit(code=1)
    typer.echo(f"opened {where} into {target_branch}; reviewers requested: "
               f"{', '.join(opened.reviewers_requested) or 'none'}; oncall never merges")


def _description(proposal: Any) -> None:
    typer.echo("---- pull request description ----")
    typer.echo(proposal.message.rstrip("\n"))


def _policy(path: Path | None) -> Any:
    from oncall.model import Policy
    from oncall.sources.policy import read_policy_file

    return Policy() if path is None else read_policy_file(path)[1]


def _target(target: str, records: list[IncidentRecord], now: datetime,
            days: int) -> Recurrence:
    from oncall.change.recurrence import Recurrence, find_recurring

    for rec in find_recurring(records, now, days, min_count=2):
        if rec.id == target:
            return rec
    for record in records:
        if record.id == target:
            return Recurrence(id=record.id, service=record.service, kind=record.kind,
                              incidents=[record])
    raise InputError(target, "is neither a recurring cluster (see `oncall recurring`) nor an "
                     "incident record in the history", field="TARGET")
