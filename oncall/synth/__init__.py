"""Seeded scenario generator: realistic, physically consistent incidents in the scenario format.

`python -m oncall.synth examples --out examples` writes the bundled examples;
`python -m oncall.synth evals --out evals --seed 20261125 --count 48` writes the
evaluation corpus. Same seed, same bytes: everything random comes from
`random.Random(<seed string>)`, never from the clock.

Modules: templates/topology (worlds), faults (root causes), signals (metrics engine),
traces, logs, alerts (rules and noise), changes (decoys), policy, knowledge, render
(wire formats), cases (what to generate), build (one case end to end).
"""

from oncall.synth.build import build
from oncall.synth.cases import CaseSpec, eval_mix, examples

__all__ = ["CaseSpec", "build", "eval_mix", "examples"]
