"""A fake OpenAI-compatible server on loopback, and settings that point at it.

The server records every request (path, headers, decoded JSON body) and answers with
canned chat completions, so a test can check both sides: what oncall sent (the fence
is there, a secret is not) and what it made of the answer. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from oncall.llm.settings import LLMSettings


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    usage: tuple[int, int] = (120, 30)


@dataclass
class FakeLLM:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply('{"answer": "x", "known": false}'))

    def reply(self, *contents: str | Reply) -> None:
        """Queue answers, one per request, in order; the default answers after them."""
        self.replies.extend(c if isinstance(c, Reply) else Reply(c) for c in contents)

    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]

    def sent_text(self) -> str:
        """Everything the server received, as one string (messages of all requests)."""
        return "\n".join(m["content"] for b in self.bodies() for m in b["messages"])


def _handler(fake: FakeLLM, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                fake.requests.append({"path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body})
                reply = fake.replies.pop(0) if fake.replies else fake.default
            if reply.delay:
                time.sleep(reply.delay)
            if reply.status != 200:
                data = json.dumps({"error": {"message": "fake failure", "type": "server"}})
            else:
                data = json.dumps({
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": 1,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.content}}],
                    "usage": {"prompt_tokens": reply.usage[0],
                              "completion_tokens": reply.usage[1],
                              "total_tokens": sum(reply.usage)},
                })
            raw = data.encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    fake = FakeLLM(url=f"http://127.0.0.1:{server.server_port}/v1")
    server.RequestHandlerClass = _handler(fake, threading.Lock())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_llm_env(tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's model settings or writes to their state dir."""
    for name in ("ONCALL_LLM_MODEL", "ONCALL_LLM_API_BASE", "ONCALL_LLM_API_KEY",
                 "ONCALL_LLM_TIMEOUT", "ONCALL_LLM_LOG", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def llm_settings(fake_llm: FakeLLM, tmp_path: Path) -> LLMSettings:
    return LLMSettings(model="openai/fake-model", api_base=fake_llm.url, timeout=5.0,
                       retries=0, log_path=tmp_path / "calls.jsonl")
