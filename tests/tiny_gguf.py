"""A tiny random-weight llama.cpp model, written on the fly for tests.

`write_tiny_llama(path)` writes a GGUF file (about 0.5 MB) with the "llama"
architecture (2 layers, embedding 64, 4 heads, feed-forward 128, context 4096)
and a SentencePiece-style vocabulary ("llama" tokenizer model) that can spell
any text: the special tokens <unk>, <s>, </s>, the 256 byte-fallback tokens
<0x00>..<0xFF>, and a few dozen common pieces of the spec language. Its
weights are random, so under a grammar it picks nearly uniformly among the
tokens the grammar allows: sampled at temperature 1.0 with many seeds it
walks random paths through the grammar, which is what the constrained
decoding tests want.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_LAYERS = 2
N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_CTX = 4096

# A minimal chat template in the usual Jinja form (the backend renders it with
# messages, add_generation_prompt, bos_token and eos_token).
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

# Words of the spec language (and a few of English). Every prefix of each
# "▁word" is added too, so SentencePiece merging can reach the whole word.
WORDS = (
    "pipeline", "source", "sink", "from", "aggregate", "window", "group", "by", "measures", "having", "where",
    "transform", "filtered", "rolling", "pattern", "dedup", "topn", "partition", "sequence", "define", "key",
    "keep", "first", "limit", "order", "desc", "topic", "format", "avro", "fields", "event_time", "watermark",
    "description", "domain", "count", "sum", "avg", "max", "min", "tumble", "hop", "session", "cumulate",
    "size", "slide", "step", "range", "rows", "mode", "upsert", "string", "long", "double", "timestamp",
    "the", "and", "of", "per", "every",
)
SINGLES = tuple("abcdefghijklmnopqrstuvwxyz") + ("{", "}", "(", ")", "=", ",", ".", "_", "*", '"', ">", "<")

BYTE_TYPE = 6  # gguf.TokenType.BYTE
NORMAL_TYPE = 1
UNKNOWN_TYPE = 2
CONTROL_TYPE = 3


def tiny_vocab() -> tuple[list[str], list[float], list[int]]:
    """(tokens, scores, token types): <unk> <s> </s>, 256 bytes, then pieces (longer pieces score higher)."""
    tokens = ["<unk>", "<s>", "</s>"]
    types = [UNKNOWN_TYPE, CONTROL_TYPE, CONTROL_TYPE]
    scores = [0.0, 0.0, 0.0]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        types.append(BYTE_TYPE)
        scores.append(0.0)
    pieces: list[str] = ["▁", "▁▁"]
    for s in SINGLES:
        if s not in pieces:
            pieces.append(s)
    for w in WORDS:
        word = "▁" + w
        for i in range(2, len(word) + 1):
            if word[:i] not in pieces:
                pieces.append(word[:i])
    for p in pieces:
        tokens.append(p)
        types.append(NORMAL_TYPE)
        scores.append(-100.0 + len(p))  # SentencePiece merges the highest score first: prefer long pieces
    return tokens, scores, types


def write_tiny_llama(path: str | Path, seed: int = 0, chat_template: str | None = CHAT_TEMPLATE) -> Path:
    """Write the tiny random-weight llama model to ``path`` and return the path."""
    import gguf

    path = Path(path)
    rng = np.random.default_rng(seed)
    tokens, scores, types = tiny_vocab()
    n_vocab = len(tokens)

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("pipegen-tiny-test")
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYERS)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_vocab_size(n_vocab)

    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)  # text is tokenized as written: no dummy leading space
    if chat_template:
        w.add_chat_template(chat_template)

    def t(name: str, *shape: int, scale: float = 0.5) -> None:
        # numpy shape is the reverse of ggml's ne: (rows, columns) = (out, in)
        w.add_tensor(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    def ones(name: str) -> None:
        w.add_tensor(name, np.ones(N_EMBD, dtype=np.float32))

    t("token_embd.weight", n_vocab, N_EMBD, scale=1.0)
    for i in range(N_LAYERS):
        ones(f"blk.{i}.attn_norm.weight")
        for proj in ("attn_q", "attn_k", "attn_v", "attn_output"):
            t(f"blk.{i}.{proj}.weight", N_EMBD, N_EMBD, scale=N_EMBD ** -0.5)
        ones(f"blk.{i}.ffn_norm.weight")
        t(f"blk.{i}.ffn_gate.weight", N_FF, N_EMBD, scale=N_EMBD ** -0.5)
        t(f"blk.{i}.ffn_up.weight", N_FF, N_EMBD, scale=N_EMBD ** -0.5)
        t(f"blk.{i}.ffn_down.weight", N_EMBD, N_FF, scale=N_FF ** -0.5)
    ones("output_norm.weight")
    # Small output weights: logits near zero, so sampling is close to uniform among allowed tokens.
    t("output.weight", n_vocab, N_EMBD, scale=0.05)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


if __name__ == "__main__":
    import sys
    import time

    out = write_tiny_llama(sys.argv[1] if len(sys.argv) > 1 else "tiny.gguf")
    import llama_cpp
    from llguidance.llamacpp import lltokenizer_from_vocab

    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=str(out), n_ctx=N_CTX, verbose=False)
    t1 = time.perf_counter()
    tok = lltokenizer_from_vocab(llama_cpp.llama_model_get_vocab(llm.model))
    t2 = time.perf_counter()
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB, {llm.n_vocab()} tokens, load {1000 * (t1 - t0):.1f} ms, "
          f"llguidance tokenizer {1000 * (t2 - t1):.1f} ms")
    text = 'pipeline fraud {\n  description "x"\n}\n'
    ids = llm.tokenize(text.encode(), add_bos=False)
    print(len(text), "chars ->", len(ids), "tokens", [llm.detokenize([i]).decode(errors="replace") for i in ids][:20])
    assert llm.detokenize(ids).decode() == text
