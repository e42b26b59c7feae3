"""LLM assist: drafts, explanations and answers over what triage already found.

Nothing here is needed for triage: with no model configured no call is made and the
output stays deterministic. Only `oncall.llm.client` imports litellm, and only when a
call is about to be made, because importing it costs seconds. Every request passes one
choke point (`LlmClient.complete`) that redacts secrets and records the call; the
model's answers are data too: they are validated, cited and never executed.
"""

from oncall.llm.settings import LLMSettings, NotConfigured

__all__ = ["LLMSettings", "NotConfigured"]
