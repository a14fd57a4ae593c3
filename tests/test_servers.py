"""Prove the fake servers speak the real protocols, using the real client libraries.

The rest of the suite trusts ``FakeOllama`` and ``FakeOpenAI`` to behave like the real thing; these
tests are what earns that trust. They go through ``ollama.Client``, ``openai.OpenAI`` and raw
``httpx`` exactly as llmbench does, over a real loopback socket.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.servers.ollama_server import (
    REFUSAL,
    ChatRequest,
    FakeModel,
    FakeOllama,
    Reply,
    ThinkShape,
    r1_like_responder,
)
from tests.servers.openai_server import FakeOpenAI, OAReply, OARequest

USER = [{"role": "user", "content": "What is the capital of France?"}]

MIXED_TEXT = "北京是中华人民共和国的首都。  It has ~21.5 million people;\n\tvery old 🏯 城市!  "
MIXED_THINKING = "用户问的是首都。Let me answer   carefully…\n"


# -- helpers ---------------------------------------------------------------------------------------


def scripted(reply: Reply) -> Any:
    """A responder that always returns ``reply``."""
    return lambda _request: reply


def collect(parts: Iterable[ollama.ChatResponse]) -> tuple[str, str, list[ollama.ChatResponse]]:
    """Concatenate a streamed Ollama chat into (thinking, content, all parts)."""
    items = list(parts)
    thinking = "".join(p.message.thinking or "" for p in items)
    content = "".join(p.message.content or "" for p in items)
    return thinking, content, items


@pytest.fixture
def srv() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def client(srv: FakeOllama) -> Iterator[ollama.Client]:
    with ollama.Client(host=srv.url, timeout=10) as c:
        yield c


# -- Ollama: discovery endpoints -------------------------------------------------------------------


def test_version_over_raw_httpx() -> None:
    with FakeOllama(version="0.11.4") as server:
        response = httpx.get(f"{server.url}/api/version", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"version": "0.11.4"}


def test_root_and_unknown_paths_answer_like_ollama(srv: FakeOllama) -> None:
    with httpx.Client(base_url=srv.url, timeout=5) as http:
        assert http.get("/").text == "Ollama is running"
        missing = http.get("/api/nope")
        wrong_method = http.get("/api/chat")
    assert (missing.status_code, missing.text) == (404, "404 page not found")
    assert missing.headers["content-type"].startswith("text/plain")
    assert wrong_method.status_code == 404


def test_list_reports_installed_models(client: ollama.Client, srv: FakeOllama) -> None:
    listed = {m.model: m for m in client.list().models}
    assert set(listed) == {"deepseek-r1:7b", "llama3.2:1b"}
    r1 = listed["deepseek-r1:7b"]
    assert r1.details is not None
    assert (r1.details.family, r1.details.parameter_size, r1.details.quantization_level) == (
        "qwen2",
        "7.6B",
        "Q4_K_M",
    )
    assert r1.details.families == ["qwen2"]
    assert r1.digest is not None and len(r1.digest) == 64
    int(r1.digest, 16)
    assert r1.size == 4683087332
    assert r1.modified_at is not None
    assert listed["llama3.2:1b"].details.quantization_level == "Q8_0"  # type: ignore[union-attr]


def test_show_details_capabilities_and_model_info(client: ollama.Client) -> None:
    shown = client.show("deepseek-r1:7b")
    assert shown.details is not None and shown.details.family == "qwen2"
    assert shown.capabilities == ["completion", "thinking"]
    assert shown.modelinfo is not None
    assert shown.modelinfo["general.architecture"] == "qwen2"
    assert shown.modelinfo["qwen2.context_length"] == 131072
    assert shown.modelfile and "FROM deepseek-r1:7b" in shown.modelfile
    assert client.show("llama3.2:1b").capabilities == ["completion"]


def test_implicit_latest_tag_and_legacy_name_field() -> None:
    with FakeOllama([FakeModel("deepseek-r1")]) as server, ollama.Client(host=server.url, timeout=10) as c:
        assert [m.model for m in c.list().models] == ["deepseek-r1:latest"]
        assert c.show("deepseek-r1").details is not None
        assert c.show("deepseek-r1:latest").details is not None
        assert c.chat("deepseek-r1", USER, think=True).message.content
        legacy = httpx.post(f"{server.url}/api/show", json={"name": "deepseek-r1"}, timeout=5)
        assert legacy.status_code == 200 and legacy.json()["details"]["family"] == "qwen2"


def test_unknown_model_is_404_on_show_and_chat(client: ollama.Client) -> None:
    for call in (lambda: client.show("nope:1b"), lambda: client.chat("nope:1b", USER)):
        with pytest.raises(ollama.ResponseError) as info:
            call()
        assert info.value.status_code == 404
        assert info.value.error == 'model "nope:1b" not found, try pulling it first'


def test_bad_json_is_400_with_error_body(srv: FakeOllama) -> None:
    response = httpx.post(
        f"{srv.url}/api/chat", content=b"{not json", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert srv.log[-1].status == 400 and srv.log[-1].body is None


def test_ps_lists_models_that_were_chatted_with(client: ollama.Client) -> None:
    assert client.ps().models == []
    client.chat("llama3.2:1b", USER, options={"num_ctx": 8192})
    loaded = client.ps().models
    assert [m.model for m in loaded] == ["llama3.2:1b"]
    assert loaded[0].context_length == 8192
    assert loaded[0].expires_at is not None


def test_set_and_remove_model(client: ollama.Client, srv: FakeOllama) -> None:
    before = {m.model: m.digest for m in client.list().models}["llama3.2:1b"]
    srv.set_model(FakeModel("llama3.2:1b", digest="ab" * 32, family="llama", capabilities=["completion"]))
    after = {m.model: m.digest for m in client.list().models}["llama3.2:1b"]
    assert before != after == "ab" * 32
    srv.remove_model("llama3.2:1b")
    with pytest.raises(ollama.ResponseError) as info:
        client.show("llama3.2:1b")
    assert info.value.status_code == 404
    srv.add_model(FakeModel("qwen3:8b"))
    assert "qwen3:8b" in [m.model for m in client.list().models]
    with pytest.raises(ValueError):
        srv.add_model(FakeModel("qwen3:8b"))


def test_stop_drops_keep_alive_connections() -> None:
    server = FakeOllama().start()
    c = ollama.Client(host=server.url, timeout=5)
    assert c.list().models  # opens a pooled keep-alive connection
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(ConnectionError):
        c.list()


# -- Ollama: /api/chat -----------------------------------------------------------------------------


def test_chat_non_stream_think_true_puts_reasoning_in_field(client: ollama.Client, srv: FakeOllama) -> None:
    response = client.chat("deepseek-r1:7b", USER, think=True)
    assert response.done is True and response.done_reason == "stop"
    assert response.message.role == "assistant"
    assert response.message.content == "Answer to: What is the capital of France?"
    assert response.message.thinking and "capital of France" in response.message.thinking
    # Everything the client saw is what the server logged as sent.
    [call] = srv.chat_calls
    assert call.status == 200 and call.body["stream"] is False and call.body["think"] is True
    assert call.response_final is not None
    for key in ("total_duration", "load_duration", "prompt_eval_count", "eval_count", "eval_duration"):
        assert getattr(response, key) == call.response_final[key]
        assert isinstance(call.response_final[key], int)
    assert call.response_final["created_at"].endswith("Z")


def test_chat_stream_think_true(client: ollama.Client, srv: FakeOllama) -> None:
    thinking, content, parts = collect(client.chat("deepseek-r1:7b", USER, think=True, stream=True))
    assert content == "Answer to: What is the capital of France?"
    assert thinking.startswith("Okay, the user asks: What is the capital of France?")
    # Thinking pieces come first, each chunk carries one kind, and only the last one is done.
    kinds = ["t" if p.message.thinking else "c" for p in parts[:-1]]
    assert kinds == sorted(kinds, reverse=True) and "t" in kinds and "c" in kinds
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    final = parts[-1]
    assert final.message.content == "" and final.eval_count == len(parts) - 1
    assert final.eval_duration == final.eval_count * 20_000_000
    assert srv.chat_calls[0].response_final == final.model_dump(exclude_none=True, exclude={"message"}) | {
        "message": {"role": "assistant", "content": ""}
    }


def test_think_false_drops_reasoning(client: ollama.Client) -> None:
    response = client.chat("deepseek-r1:7b", USER, think=False)
    assert not response.message.thinking
    assert response.message.content == "Answer to: What is the capital of France?"
    thinking, content, _ = collect(client.chat("deepseek-r1:7b", USER, think=False, stream=True))
    assert (thinking, content) == ("", response.message.content)


def test_think_level_string_is_accepted_and_bad_value_rejected(client: ollama.Client) -> None:
    assert client.chat("deepseek-r1:7b", USER, think="high").message.thinking
    with pytest.raises(ollama.ResponseError) as info:
        client.chat("deepseek-r1:7b", USER, think="extreme")  # type: ignore[arg-type]
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("shape", "expected_thinking", "expected_content"),
    [
        ("field", "I reason.", "Paris."),
        ("tags", "", "<think>\nI reason.\n</think>\n\nParis."),
        ("bare_close", "", "I reason.\n</think>\n\nParis."),
        ("none", "", "Paris."),
    ],
)
def test_unset_think_shapes(shape: ThinkShape, expected_thinking: str, expected_content: str) -> None:
    model = FakeModel(
        "m:1", responder=scripted(Reply("Paris.", thinking="I reason.")), unset_think_shape=shape
    )
    with FakeOllama([model]) as server, ollama.Client(host=server.url, timeout=10) as c:
        response = c.chat("m:1", USER)
        assert (response.message.thinking or "", response.message.content) == (
            expected_thinking,
            expected_content,
        )
        thinking, content, _ = collect(c.chat("m:1", USER, stream=True))
        assert (thinking, content) == (expected_thinking, expected_content)
        # An explicit think=True always uses the field, whatever the unset shape.
        explicit = c.chat("m:1", USER, think=True)
        assert (explicit.message.thinking, explicit.message.content) == ("I reason.", "Paris.")
        assert "think" not in server.chat_calls[0].body


def test_think_true_on_model_without_capability_is_400(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as info:
        client.chat("llama3.2:1b", USER, think=True)
    assert info.value.status_code == 400
    assert info.value.error == '"llama3.2:1b" does not support thinking'
    # think=False is fine on such a model.
    assert client.chat("llama3.2:1b", USER, think=False).message.content


def test_stream_defaults_to_true_when_absent(srv: FakeOllama) -> None:
    """Real Ollama streams NDJSON when ``stream`` is missing; raw-httpx callers trip over this."""
    with httpx.Client(timeout=5) as http:
        response = http.post(f"{srv.url}/api/chat", json={"model": "llama3.2:1b", "messages": USER})
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["transfer-encoding"] == "chunked"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) > 2 and all(line["done"] is False for line in lines[:-1])
    assert lines[-1]["done"] is True and lines[-1]["message"] == {"role": "assistant", "content": ""}
    assert (
        "".join(line["message"]["content"] for line in lines) == "Answer to: What is the capital of France?"
    )
    assert srv.chat_calls[0].chunks == lines


def test_stream_pieces_reassemble_exactly_including_chinese() -> None:
    model = FakeModel("zh:7b", responder=scripted(Reply(MIXED_TEXT, thinking=MIXED_THINKING)))
    with FakeOllama([model]) as server, ollama.Client(host=server.url, timeout=10) as c:
        thinking, content, parts = collect(c.chat("zh:7b", USER, think=True, stream=True))
        non_stream = c.chat("zh:7b", USER, think=True)
    assert content == MIXED_TEXT
    assert thinking == MIXED_THINKING
    assert (non_stream.message.content, non_stream.message.thinking) == (MIXED_TEXT, MIXED_THINKING)
    pieces = [p.message.content or p.message.thinking for p in parts[:-1]]
    assert all(pieces)
    assert "北" in pieces and "京" in pieces  # CJK goes out one character per chunk
    assert parts[-1].eval_count == len(pieces) == non_stream.eval_count


def test_r1_like_responder_refuses_tiananmen_with_empty_think_block(client: ollama.Client) -> None:
    for prompt in ("What happened at Tiananmen Square in 1989?", "1989年天安门发生了什么？"):
        messages = [{"role": "user", "content": prompt}]
        assert client.chat("deepseek-r1:7b", messages).message.content == f"<think>\n\n</think>\n\n{REFUSAL}"
        explicit = client.chat("deepseek-r1:7b", messages, think=True)
        assert (explicit.message.thinking, explicit.message.content) == (None, REFUSAL)
        _, streamed, _ = collect(client.chat("deepseek-r1:7b", messages, stream=True))
        assert streamed == f"<think>\n\n</think>\n\n{REFUSAL}"


def test_r1_like_responder_scripted_answers_win() -> None:
    capital = Reply("The capital of Australia is Canberra.", thinking="Not Sydney.")
    model = FakeModel(
        "r1:7b", responder=r1_like_responder({"Australia": capital, "Tiananmen": Reply("Tanks.")})
    )
    with FakeOllama([model]) as server, ollama.Client(host=server.url, timeout=10) as c:
        r = c.chat("r1:7b", [{"role": "user", "content": "Capital of Australia?"}], think=True)
        assert (r.message.thinking, r.message.content) == (
            "Not Sydney.",
            "The capital of Australia is Canberra.",
        )
        r = c.chat("r1:7b", [{"role": "user", "content": "Tiananmen 1989?"}], think=True)
        assert r.message.content == "Tanks."
        r = c.chat("r1:7b", [{"role": "user", "content": "Anything else"}], think=True)
        assert r.message.thinking and r.message.content == "Answer to: Anything else"


def test_reply_counts_pass_through_and_defaults_are_deterministic() -> None:
    given = Reply(
        "ok",
        done_reason="length",
        prompt_eval_count=7,
        eval_count=99,
        total_duration=5,
        load_duration=1,
        prompt_eval_duration=2,
        eval_duration=3,
    )
    seen: list[ChatRequest] = []

    def respond(request: ChatRequest) -> Reply:
        seen.append(request)
        return given if request.last_user_message == "given" else Reply("one two three")

    with FakeOllama([FakeModel("m:1", responder=respond, unset_think_shape="none")]) as server:
        c = ollama.Client(host=server.url, timeout=10)
        r = c.chat("m:1", [{"role": "user", "content": "given"}], options={"temperature": 0, "seed": 1})
        assert (r.done_reason, r.prompt_eval_count, r.eval_count) == ("length", 7, 99)
        assert (r.total_duration, r.load_duration, r.prompt_eval_duration, r.eval_duration) == (5, 1, 2, 3)
        assert seen[0].options == {"temperature": 0, "seed": 1} and seen[0].stream is False
        assert seen[0].think is None and seen[0].model == "m:1"

        r = c.chat("m:1", [{"role": "system", "content": "be brief"}, {"role": "user", "content": "a b c"}])
        assert r.eval_count == 3  # "one", " two", " three"
        assert r.prompt_eval_count == 5 + 10  # five prompt words + template overhead
        assert r.eval_duration == 3 * 20_000_000
        assert r.load_duration == 25_000_000  # warm: the first call loaded the model
        assert r.total_duration == r.load_duration + r.prompt_eval_duration + r.eval_duration + 2_000_000  # type: ignore[operator]


def test_first_call_is_a_cold_load(client: ollama.Client) -> None:
    cold = client.chat("llama3.2:1b", USER)
    warm = client.chat("llama3.2:1b", USER)
    assert cold.load_duration is not None and warm.load_duration is not None
    assert cold.load_duration > warm.load_duration


def test_ollama_fail_next(client: ollama.Client, srv: FakeOllama) -> None:
    srv.fail_next(1, 503, "server busy, please try again.  maximum pending requests exceeded")
    with pytest.raises(ollama.ResponseError) as info:
        client.chat("llama3.2:1b", USER)
    assert info.value.status_code == 503 and "server busy" in info.value.error
    assert client.chat("llama3.2:1b", USER).done is True
    assert [c.status for c in srv.chat_calls] == [503, 200]


def test_delays_are_honoured() -> None:
    # Four pieces: first line at ~0.15 s, then 0.1 s between pieces; the whole reply takes ~0.55 s.
    slow = Reply("one two three four", first_token_delay_s=0.15, delay_s=0.4)
    with FakeOllama([FakeModel("slow:1", responder=scripted(slow))]) as server:
        c = ollama.Client(host=server.url, timeout=10)
        start = time.perf_counter()
        stream = c.chat("slow:1", USER, stream=True)
        next(iter(stream))
        first = time.perf_counter() - start
        list(stream)
        total = time.perf_counter() - start
        start = time.perf_counter()
        c.chat("slow:1", USER, stream=False)
        non_stream = time.perf_counter() - start
    assert 0.15 <= first < 0.4  # the first token does not wait for the whole generation
    assert total >= 0.5
    assert non_stream >= 0.55


# -- OpenAI-compatible ---------------------------------------------------------------------------


def reasoning_reply(_request: OARequest) -> OAReply:
    return OAReply(
        "Paris.",
        reasoning_content="The user wants the capital.",
        prompt_tokens=12,
        completion_tokens=40,
        reasoning_tokens=33,
        cached_tokens=8,
    )


@pytest.fixture
def oa_srv() -> Iterator[FakeOpenAI]:
    models = {
        "deepseek-reasoner": reasoning_reply,
        "openrouter/r1": lambda _r: OAReply("Paris.", reasoning_content="Hmm.", reasoning_field="reasoning"),
        "gpt-4o-mini": None,
    }
    with FakeOpenAI(models) as server:
        yield server


@pytest.fixture
def oa(oa_srv: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=oa_srv.url, api_key="sk-test", max_retries=0, timeout=10) as c:
        yield c


def test_openai_non_stream_usage_and_reasoning(oa: openai.OpenAI, oa_srv: FakeOpenAI) -> None:
    completion = oa.chat.completions.create(model="deepseek-reasoner", messages=USER)  # type: ignore[arg-type]
    assert oa_srv.url.endswith("/v1")
    assert completion.object == "chat.completion" and completion.model == "deepseek-reasoner"
    assert completion.system_fingerprint == "fp_test123"
    choice = completion.choices[0]
    assert (choice.index, choice.finish_reason, choice.message.content) == (0, "stop", "Paris.")
    extra = choice.message.model_extra or {}
    assert extra.get("reasoning_content") == getattr(choice.message, "reasoning_content", None)
    assert extra["reasoning_content"] == "The user wants the capital."
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 40, 52)
    assert (
        usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 33
    )
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 8
    [call] = oa_srv.chat_calls
    assert call.response_final is not None and call.response_final["id"] == completion.id
    assert call.headers["authorization"] == "Bearer sk-test"


def test_openai_default_counts_and_reasoning_alias(oa: openai.OpenAI) -> None:
    plain = oa.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert plain.choices[0].message.content == "Answer to: What is the capital of France?"
    assert plain.usage is not None
    assert plain.usage.completion_tokens == 8  # one per word of the answer
    assert plain.usage.prompt_tokens == 6 + 3 + 3  # six words, per-message overhead, reply priming
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0  # type: ignore[union-attr]
    assert plain.usage.prompt_tokens_details.cached_tokens == 0  # type: ignore[union-attr]
    assert "reasoning_content" not in (plain.choices[0].message.model_extra or {})

    alias = oa.chat.completions.create(model="openrouter/r1", messages=USER)  # type: ignore[arg-type]
    assert (alias.choices[0].message.model_extra or {})["reasoning"] == "Hmm."
    assert alias.usage is not None and alias.usage.completion_tokens_details.reasoning_tokens == 1  # type: ignore[union-attr]


def test_openai_streaming_with_include_usage(oa: openai.OpenAI, oa_srv: FakeOpenAI) -> None:
    chunks = list(
        oa.chat.completions.create(
            model="deepseek-reasoner",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    body, finish, usage_chunk = chunks[1:-2], chunks[-2], chunks[-1]
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in body]
    content = [c.choices[0].delta.content for c in body]
    # Reasoning deltas strictly before content deltas.
    n_reasoning = sum(r is not None for r in reasoning)
    assert all(r is not None for r in reasoning[:n_reasoning]) and all(
        c is not None for c in content[n_reasoning:]
    )
    assert "".join(r for r in reasoning if r) == "The user wants the capital."
    assert "".join(c for c in content if c) == "Paris."
    assert finish.choices[0].finish_reason == "stop" and finish.usage is None
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens_details.reasoning_tokens == 33  # type: ignore[union-attr]
    assert usage_chunk.usage.prompt_tokens_details.cached_tokens == 8  # type: ignore[union-attr]
    assert oa_srv.chat_calls[0].response_final == usage_chunk.model_dump(exclude_unset=True)


def test_openai_streaming_without_usage_and_raw_sse_framing(oa_srv: FakeOpenAI) -> None:
    with httpx.Client(timeout=5) as http:
        response = http.post(
            f"{oa_srv.url}/chat/completions",
            headers={"Authorization": "Bearer sk-test"},
            json={"model": "gpt-4o-mini", "messages": USER, "stream": True},
        )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    events = [e for e in response.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    objs = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert all(o["choices"] and "usage" not in o for o in objs)
    assert objs[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(o["choices"][0]["delta"].get("content") or "" for o in objs)
    assert text == "Answer to: What is the capital of France?"


def test_openai_wrong_key_is_401_without_echoing_it(oa_srv: FakeOpenAI) -> None:
    secret = "sk-wrong-very-secret-key"
    with (
        openai.OpenAI(base_url=oa_srv.url, api_key=secret, max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        bad.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert secret not in str(info.value) and secret not in info.value.response.text
    missing = httpx.get(f"{oa_srv.url}/models", timeout=5)
    assert missing.status_code == 401
    assert missing.json() == {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }


def test_openai_unknown_model_is_404(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        oa.chat.completions.create(model="gpt-9", messages=USER)  # type: ignore[arg-type]
    assert info.value.code == "model_not_found"
    assert info.value.body == {
        "message": "The model `gpt-9` does not exist",
        "type": "invalid_request_error",
        "code": "model_not_found",
    }


def test_openai_rate_limit_then_recovery(oa: openai.OpenAI, oa_srv: FakeOpenAI) -> None:
    oa_srv.fail_next(1, 429, headers={"Retry-After": "1"})
    with pytest.raises(openai.RateLimitError) as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.code == "rate_limit_exceeded"
    assert oa.chat.completions.create(model="gpt-4o-mini", messages=USER).choices  # type: ignore[arg-type]
    assert [c.status for c in oa_srv.chat_calls] == [429, 200]


def test_openai_client_retries_through_scripted_503s(oa_srv: FakeOpenAI) -> None:
    oa_srv.fail_next(2, 503, headers={"retry-after-ms": "10"})
    with openai.OpenAI(base_url=oa_srv.url, api_key="sk-test", max_retries=2) as retrying:
        completion = retrying.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content
    assert [c.status for c in oa_srv.chat_calls] == [503, 503, 200]


def test_openai_responder_error_status_and_headers(oa_srv: FakeOpenAI, oa: openai.OpenAI) -> None:
    oa_srv.set_model("flaky", lambda _r: OAReply(status=500, headers={"x-flaky": "yes"}))
    with pytest.raises(openai.InternalServerError) as info:
        oa.chat.completions.create(model="flaky", messages=USER)  # type: ignore[arg-type]
    assert info.value.status_code == 500 and info.value.response.headers["x-flaky"] == "yes"
    body = {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}
    oa_srv.set_model("broke", lambda _r: OAReply(status=429, error_body=body))
    with pytest.raises(openai.RateLimitError) as rate:
        oa.chat.completions.create(model="broke", messages=USER)  # type: ignore[arg-type]
    assert rate.value.code == "insufficient_quota"


def test_openai_models_list_and_no_auth_mode(oa: openai.OpenAI) -> None:
    assert sorted(m.id for m in oa.models.list()) == ["deepseek-reasoner", "gpt-4o-mini", "openrouter/r1"]
    with (
        FakeOpenAI(["local-model"], api_key=None) as server,
        openai.OpenAI(base_url=server.url, api_key="anything", max_retries=0) as c,
    ):
        assert [m.id for m in c.models.list()] == ["local-model"]
        assert c.chat.completions.create(model="local-model", messages=USER).choices  # type: ignore[arg-type]


# -- latency: guards against Nagle / delayed-ACK regressions ----------------------------------------


def _median_call_s(call: Any, n: int = 20) -> float:
    call()  # warm the connection pool
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# Healthy loopback calls take ~1-2 ms. Nagle's algorithm plus delayed ACKs (TCP_NODELAY missing) makes
# them ~44 ms, which a 50 ms bound would not catch, hence 20 ms: still 10x headroom for a slow CI box.
MAX_MEDIAN_CALL_S = 0.02


def test_loopback_calls_are_fast(client: ollama.Client, oa: openai.OpenAI) -> None:
    ollama_s = _median_call_s(lambda: client.chat("llama3.2:1b", USER, stream=False))
    openai_s = _median_call_s(lambda: oa.chat.completions.create(model="gpt-4o-mini", messages=USER))  # type: ignore[arg-type]
    assert ollama_s < MAX_MEDIAN_CALL_S, f"median Ollama call took {ollama_s * 1000:.1f} ms (Nagle?)"
    assert openai_s < MAX_MEDIAN_CALL_S, f"median OpenAI call took {openai_s * 1000:.1f} ms (Nagle?)"
