"""Command line: `python -m oncall.synth examples|evals --out DIR [--seed N] [--count N]`.

Writes one directory per case and, for evals, a README with the mix. Only the case
directories it generates are replaced; anything else under --out (other corpora,
thresholds) is left alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oncall.synth import build, eval_mix, examples, render
from oncall.synth.build import DesignUnsatisfied
from oncall.synth.cases import CaseSpec
from oncall.synth.knowledge import runbook_files
from oncall.synth.readme import eval_readme

DEFAULT_SEED = 20261125
RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"


def generate(
    specs: list[CaseSpec], out: Path, runbooks: Path, quiet: bool = False
) -> dict[str, dict[str, str]]:
    available = runbook_files(runbooks)
    done: dict[str, dict[str, str]] = {}
    for spec in specs:
        files = build(spec, available)
        render.write(out / spec.name, files)
        done[spec.name] = files
        if not quiet:
            size = sum(len(v.encode("utf-8")) for v in files.values())
            print(f"{spec.name}: {len(files)} files, {size // 1024} KB")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oncall.synth", description=__doc__)
    parser.add_argument("what", choices=("examples", "evals"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument(
        "--runbooks",
        type=Path,
        default=RUNBOOKS,
        help="runbook corpus to copy knowledge/runbooks from",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except DesignUnsatisfied as exc:
        print(f"oncall.synth: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.what == "examples":
        generate(examples(), args.out, args.runbooks, args.quiet)
        return 0
    specs = eval_mix(args.seed, args.count)
    done = generate(specs, args.out, args.runbooks, args.quiet)
    (args.out / "README.md").write_text(
        eval_readme(specs, done, args.seed, args.count), encoding="utf-8", newline="\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
