"""A tiny random-weight `deepseek2` GGUF (the V2-Lite architecture), legacy or MLA layout.

Dimensions are toy-sized but every tensor and key llama.cpp's deepseek2 loader reads is there:
MLA attention without q compression (as in V2-Lite), one dense leading block, then mixture-of-
experts blocks with a shared expert. Legacy files carry attn_kv_b; MLA files (llama.cpp 2025+)
carry attn_k_b / attn_v_b and attention.key_length_mla / value_length_mla.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# 27 layers: llama.cpp recognises V2-Lite (no q compression) by its layer count.
N_EMBD, N_LAYER, N_HEAD, LEAD = 64, 27, 4, 1
NOPE, ROPE, V_HEAD, KV_LORA = 16, 16, 16, 32
N_FF, N_EXPERT, N_USED, FF_EXP, N_SHARED = 128, 4, 2, 32, 1
CTX_TRAIN = 163840


def build(path: Path, *, mla: bool) -> Path:
    import gguf

    from coderd.testing import synthetic_vocab

    tokens, types, merges, ids = synthetic_vocab.build_vocab(fim=True)
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(path, "deepseek2")
    w.add_name("synthetic-deepseek-coder-v2-lite-base")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(CTX_TRAIN)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(1 if mla else N_HEAD)
    w.add_rope_dimension_count(ROPE)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_vocab_size(n_vocab)
    w.add_leading_dense_block_count(LEAD)
    w.add_kv_lora_rank(KV_LORA)
    w.add_expert_feed_forward_length(FF_EXP)
    w.add_expert_count(N_EXPERT)
    w.add_expert_used_count(N_USED)
    w.add_expert_shared_count(N_SHARED)
    w.add_expert_weights_scale(1.0)
    if mla:
        w.add_key_length(KV_LORA + ROPE)
        w.add_value_length(KV_LORA)
        w.add_key_length_mla(NOPE + ROPE)
        w.add_value_length_mla(V_HEAD)
    else:
        w.add_key_length(NOPE + ROPE)
        w.add_value_length(V_HEAD)
    T = gguf.GGUFValueType
    w.add_key_value("tokenizer.ggml.model", "gpt2", T.STRING)
    w.add_key_value("tokenizer.ggml.pre", "deepseek-llm", T.STRING)
    w.add_key_value("tokenizer.ggml.tokens", tokens, T.ARRAY, T.STRING)
    w.add_key_value("tokenizer.ggml.token_type", types, T.ARRAY, T.INT32)
    w.add_key_value("tokenizer.ggml.merges", merges, T.ARRAY, T.STRING)
    w.add_key_value("tokenizer.ggml.bos_token_id", ids["bos"], T.UINT32)
    w.add_key_value("tokenizer.ggml.eos_token_id", ids["eos"], T.UINT32)
    w.add_key_value("tokenizer.ggml.add_bos_token", True, T.BOOL)

    rng = np.random.default_rng(0)

    def t(name: str, *shape: int, norm: bool = False) -> None:
        data = (
            np.ones(shape, np.float32)
            if norm
            else (rng.standard_normal(shape) * 0.02).astype(np.float32)
        )
        w.add_tensor(name, data)

    t("token_embd.weight", n_vocab, N_EMBD)
    for i in range(N_LAYER):
        b = f"blk.{i}."
        t(b + "attn_norm.weight", N_EMBD, norm=True)
        t(b + "attn_q.weight", N_HEAD * (NOPE + ROPE), N_EMBD)
        t(b + "attn_kv_a_mqa.weight", KV_LORA + ROPE, N_EMBD)
        t(b + "attn_kv_a_norm.weight", KV_LORA, norm=True)
        if mla:
            t(b + "attn_k_b.weight", N_HEAD, KV_LORA, NOPE)
            t(b + "attn_v_b.weight", N_HEAD, V_HEAD, KV_LORA)
        else:
            t(b + "attn_kv_b.weight", N_HEAD * (NOPE + V_HEAD), KV_LORA)
        t(b + "attn_output.weight", N_EMBD, N_HEAD * V_HEAD)
        t(b + "ffn_norm.weight", N_EMBD, norm=True)
        if i < LEAD:
            t(b + "ffn_gate.weight", N_FF, N_EMBD)
            t(b + "ffn_up.weight", N_FF, N_EMBD)
            t(b + "ffn_down.weight", N_EMBD, N_FF)
        else:
            t(b + "ffn_gate_inp.weight", N_EXPERT, N_EMBD)
            t(b + "ffn_gate_exps.weight", N_EXPERT, FF_EXP, N_EMBD)
            t(b + "ffn_up_exps.weight", N_EXPERT, FF_EXP, N_EMBD)
            t(b + "ffn_down_exps.weight", N_EXPERT, N_EMBD, FF_EXP)
            t(b + "ffn_gate_shexp.weight", FF_EXP * N_SHARED, N_EMBD)
            t(b + "ffn_up_shexp.weight", FF_EXP * N_SHARED, N_EMBD)
            t(b + "ffn_down_shexp.weight", N_EMBD, FF_EXP * N_SHARED)
    t("output_norm.weight", N_EMBD, norm=True)
    t("output.weight", n_vocab, N_EMBD)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
