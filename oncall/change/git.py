"""Commit a fix on a new branch without touching the engineer's checkout.

The commit is built with git plumbing in a private index (`GIT_INDEX_FILE`): files are
read from the base commit, edited, written as blobs, and a commit is created on a new
branch. The working tree, the real index and the current branch are never changed, so
running `oncall change propose` in a repository with work in progress is safe. git is
always run as an argument list, never through a shell.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from oncall.errors import InputError, OncallError

TIMEOUT = 60
MAX_FILE_BYTES = 2 * 1024 * 1024  # configuration, not data
IDENTITY = {"GIT_AUTHOR_NAME": "oncall", "GIT_AUTHOR_EMAIL": "oncall@localhost",
            "GIT_COMMITTER_NAME": "oncall", "GIT_COMMITTER_EMAIL": "oncall@localhost"}


class GitError(OncallError):
    """git refused; the message carries its first line of stderr."""


@dataclass(frozen=True, slots=True)
class Repo:
    root: Path

    def git(self, *args: str, env: dict[str, str] | None = None, data: bytes | None = None,
            check: bool = True) -> str:
        return self.git_bytes(*args, env=env, data=data, check=check).decode(errors="replace")

    def git_bytes(self, *args: str, env: dict[str, str] | None = None,
                  data: bytes | None = None, check: bool = True) -> bytes:
        merged = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        try:
            done = subprocess.run(["git", "-C", str(self.root), *args], input=data,
                                  capture_output=True, env=merged, timeout=TIMEOUT,
                                  check=False)
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took longer than {TIMEOUT} s") from None
        if check and done.returncode != 0:
            first = (done.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[0]
            raise GitError(f"git {args[0]}: {first}")
        return done.stdout

    def ok(self, *args: str) -> bool:
        try:
            self.git(*args)
        except GitError:
            return False
        return True


def open_repo(path: Path) -> Repo:
    if not path.is_dir():
        raise InputError(str(path), "is not a directory", field="--repo")
    repo = Repo(path)
    if not repo.ok("rev-parse", "--is-inside-work-tree"):
        raise InputError(str(path), "is not a git repository", field="--repo")
    top = repo.git("rev-parse", "--show-toplevel").strip()
    return Repo(Path(top))


def resolve(repo: Repo, rev: str) -> str:
    if not repo.ok("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"):
        raise InputError(str(repo.root), f"no commit {rev!r}", field="--base")
    return repo.git("rev-parse", f"{rev}^{{commit}}").strip()


def files_at(repo: Repo, commit: str, suffixes: tuple[str, ...]) -> dict[str, str]:
    """Text of every tracked file with one of `suffixes` at `commit` (config-sized only)."""
    wanted: list[tuple[str, str]] = []
    for entry in repo.git("ls-tree", "-r", "-l", "-z", commit).split("\0"):
        if "\t" not in entry:
            continue
        info, name = entry.split("\t", 1)
        _, kind, sha, length = info.split()
        if kind == "blob" and name.lower().endswith(suffixes) and length.isdigit() \
                and int(length) <= MAX_FILE_BYTES:
            wanted.append((name, sha))
    if not wanted:
        return {}
    raw = repo.git_bytes("cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in wanted)
                         .encode())
    out: dict[str, str] = {}
    pos = 0
    for name, _sha in wanted:
        header_end = raw.index(b"\n", pos)
        nbytes = int(raw[pos:header_end].split()[2])
        body = raw[header_end + 1:header_end + 1 + nbytes]
        pos = header_end + 1 + nbytes + 1
        try:
            out[name] = body.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return out


def commit_on_branch(repo: Repo, base: str, branch: str, contents: dict[str, str],
                     message: str) -> str:
    """Creates `branch` at a new commit = base + contents; returns the commit id."""
    if repo.ok("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"):
        raise InputError(str(repo.root), f"branch {branch!r} already exists; delete it or "
                         "review the change already proposed", field="--branch")
    if not repo.ok("check-ref-format", "--branch", branch):
        raise InputError(branch, "is not a valid branch name", field="--branch")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        repo.git("read-tree", base, env=env)
        for name, text in sorted(contents.items()):
            blob = repo.git("hash-object", "-w", "--stdin", data=text.encode()).strip()
            mode = _mode(repo, base, name)
            repo.git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{name}", env=env)
        tree = repo.git("write-tree", env=env).strip()
    identity = {} if _has_identity(repo) else IDENTITY
    commit = repo.git("commit-tree", tree, "-p", base, "-F", "-", data=message.encode(),
                      env=identity).strip()
    repo.git("update-ref", f"refs/heads/{branch}", commit, "0" * 40)
    return commit


def push(repo: Repo, remote: str, branch: str) -> None:
    repo.git("push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}")


def remote_url(repo: Repo, remote: str) -> str:
    return repo.git("remote", "get-url", remote).strip()


def _mode(repo: Repo, base: str, name: str) -> str:
    line = repo.git("ls-tree", base, "--", name).strip()
    return line.split()[0] if line else "100644"


def _has_identity(repo: Repo) -> bool:
    return repo.ok("config", "user.email") and repo.ok("config", "user.name")
