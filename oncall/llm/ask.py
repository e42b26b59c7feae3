"""Answers to an engineer's question, from the incident and the knowledge only.

An answer counts as known only when the model says so *and* cites at least one source
it was given and none it was not. Anything else is reported as "not known from the
context", with the model's own account of what is missing when it gave one: a
confident answer without sources is exactly what an on-call engineer must not get.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.llm.client import Completion, LlmClient
from oncall.llm.context import Context, check_citations, defuse
from oncall.llm.schemas import AskOut, parse, schema_text
from oncall.llm.templates import load_prompt, messages
from oncall.model import ACTIONS

MAX_QUESTION_CHARS = 2000


@dataclass(slots=True)
class Answer:
    known: bool
    text: str  # the answer when known; else what the model said is missing (may be "")
    citations: list[str] = field(default_factory=list)
    note: str = ""  # why an answer was not taken as known
    raw: str = ""  # the model's text as received, for --format json and debugging


def ask(client: LlmClient, question: str, context: Context) -> tuple[Answer, Completion]:
    prompt = load_prompt("ask")
    msgs = messages(prompt, context.nonce, ", ".join(ACTIONS),
                    question=defuse(question, MAX_QUESTION_CHARS).replace("\n", " "),
                    schema=schema_text(AskOut), data=context.render())
    completion = client.complete("ask", [load_prompt("system"), prompt], msgs, json_mode=True)
    return check_answer(completion.text, context), completion


def check_answer(text: str, context: Context) -> Answer:
    out, why = parse(text, AskOut)
    if out is None:
        # Small local models often answer in prose despite JSON mode: judge the prose.
        if why.startswith("not JSON") and text.strip():
            return _judge(text.strip(), True, context, text)
        return Answer(False, "", note=f"model output invalid ({why})", raw=text)
    return _judge(out.answer, out.known, context, text)


def _judge(answer: str, claims_known: bool, context: Context, raw: str) -> Answer:
    good, unknown = check_citations(answer, context.ids(), context.quoted())
    if not claims_known:
        return Answer(False, answer, good, note="the model says the context does not answer "
                      "this", raw=raw)
    if unknown:
        return Answer(False, "", note=f"the answer cited sources that were not given "
                      f"({', '.join(unknown[:5])}), so it is not shown", raw=raw)
    if not good:
        return Answer(False, "", note="the answer cited no source, so it is not shown", raw=raw)
    return Answer(True, answer, good, raw=raw)
