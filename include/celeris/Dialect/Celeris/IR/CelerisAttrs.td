//===- CelerisAttrs.td - Celeris attributes ----------------*- tablegen -*-===//
//
// The structured attention mask: an algebra of positional predicates that is
// never materialised as a tensor; and the GPU schedule of an op.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "celeris/Dialect/Celeris/IR/CelerisEnums.td"
include "mlir/IR/AttrTypeBase.td"

def Celeris_MaskAttr : Celeris_Attr<"Mask", "mask"> {
  let summary = "Structured attention mask";
  let description = [{
    A mask is a predicate `allowed(p, j)` over a query position `p` and a key
    position `j`; attention only mixes values whose predicate holds. Query
    positions are absolute: row `i` of the query sits at `p = i + query_offset`
    (see `celeris.attention`), so a decode step or a chunk of a long prefill
    uses the same mask as the full sequence.

    Primitives (all parameters are integers):

    | syntax | allowed(p, j) | used by |
    |---|---|---|
    | `all` | true | bidirectional encoders, diffusion LMs |
    | `none` | false | (identity of `union`) |
    | `causal` | j <= p | decoder LMs |
    | `window<left = l, right = r>` | p - l <= j <= p + r | sliding window (Mistral, Longformer) |
    | `sink<n>` | j < n | attention sinks (StreamingLLM) |
    | `dilated<rate = r, segment = w>` | p / w == j / w and (p mod w) mod r == 0 and (j mod w) mod r == 0 | LongNet dilated attention |
    | `strided<s>` | (p - j) mod s == 0 | Sparse Transformer strided heads |
    | `block_causal<b>` | j / b <= p / b | BD3-LM block diffusion, blockwise decoding |
    | `prefix<n>` | j <= p or j < n | prefix LM (bidirectional prefix) |
    | `chunked<c>` | p / c == j / c | chunked local attention (Llama 4) |
    | `global<[t0, t1, ...]>` | p in T or j in T | global tokens (Longformer, BigBird) |

    Combinators take two or more masks: `union(m0, m1, ...)` allows a pair
    when any operand does, `intersect(m0, m1, ...)` when all do. For example
    StreamingLLM decoding over a KV cache with four sink tokens and a window
    of 1024 is

    ```mlir
    #celeris.mask<intersect(causal, union(sink<4>, window<left = 1023, right = 0>))>
    ```

    In an op's assembly the mask prints in its short form, `mask <causal>`.
    The full form `#celeris.mask<causal>` is accepted there too, except
    right before the op's `:` type list, where, like any dialect attribute,
    it would take the `:` as the start of its own type.

    Masks canonicalise (`simplifyMask`): nested combinators flatten, operands
    are deduplicated and sorted, `all` absorbs a union and `none` an
    intersection, and algebraic identities fold, e.g.
    `intersect(causal, window<left = l, right = r>)` is
    `window<left = l, right = 0>` and `union(causal, sink<n>)` is `prefix<n>`.
    When the attention shapes are static, primitives that cover every
    (query, key) pair of the problem become `all` and a window whose left
    side reaches the first key becomes `causal`.
  }];
  let parameters = (ins
    "::mlir::celeris::MaskKind":$kind,
    OptionalArrayRefParameter<"int64_t">:$params,
    OptionalArrayRefParameter<"::mlir::celeris::MaskAttr">:$operands);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let constBuilderCall = "$0";
  let builders = [
    AttrBuilder<(ins "::mlir::celeris::MaskKind":$kind,
                     CArg<"::llvm::ArrayRef<int64_t>", "{}">:$params), [{
      return $_get($_ctxt, kind, params, ::llvm::ArrayRef<MaskAttr>{});
    }]>
  ];
  let extraClassDeclaration = [{
    /// Named constructors of the primitives and combinators.
    static MaskAttr getAll(::mlir::MLIRContext *ctx);
    static MaskAttr getNone(::mlir::MLIRContext *ctx);
    static MaskAttr getCausal(::mlir::MLIRContext *ctx);
    static MaskAttr getWindow(::mlir::MLIRContext *ctx, int64_t left,
                              int64_t right);
    static MaskAttr getUnion(::mlir::MLIRContext *ctx,
                             ::llvm::ArrayRef<MaskAttr> operands);
    static MaskAttr getIntersect(::mlir::MLIRContext *ctx,
                                 ::llvm::ArrayRef<MaskAttr> operands);

    /// Whether this node is `union` or `intersect`.
    bool isCombinator() const {
      return getKind() == MaskKind::Union || getKind() == MaskKind::Intersect;
    }
    /// Evaluates the predicate at query position `p` and key position `j`.
    bool allows(int64_t p, int64_t j) const;
    /// Whether the mask depends on the query position at all (`sink`, `all`
    /// and `none` do not).
    bool dependsOnQueryPosition() const;
  }];
}


def Celeris_GPUScheduleAttr : Celeris_Attr<"GPUSchedule", "gpu_schedule"> {
  let summary = "How an op runs on an NVIDIA GPU";
  let description = [{
    The schedule of the kernel an op becomes: the kernel family, the
    tensor-core instructions (`mma_sync` on sm_80 and newer, `wgmma` on
    sm_90a), the warps of a CTA (16 query rows each; with `wgmma`, groups of
    four form warpgroups of 64 rows), the keys of a key/value tile, the
    shared-memory stages of the key/value pipeline, and the CTAs per SM that
    the register allocation must fit (0 asks for no bound beyond one CTA:
    attention and grouped GEMM kernels still cap their registers so that
    one CTA fits an SM).

    Families: `attention_prefill` (4 or 8 warps, 64- or 128-key tiles),
    `attention_decode` (split-KV flash-decoding: one warp of `mma_sync` over
    16 packed rows of query heads and positions, 32-, 64- or 128-key tiles,
    2 to 4 stages) and `recurrence_chunk` (the chunkwise form of
    `celeris.recurrence`: one CTA of 8 warps of `mma_sync` walks the chunks
    of one sequence and head with the state on chip; `kv_tile` is the chunk
    length, 64, and its tiles are double-buffered), `recurrence_step`
    (one token of `celeris.recurrence`, a decode step: 4 warps over 32
    value columns of the state, on the CUDA cores; `kv_tile` is the columns
    of a CTA, `stages` 1, `tensor_cores` unused and `mma_sync`) and
    `recurrence_sequential` (`celeris.recurrence` token by token, every
    decay and update kind: warps of 8 state columns by 4 key-row groups, 4
    warps a CTA, on the CUDA cores; `kv_tile` is the columns of a CTA, 32,
    `stages` 2: the next token loads while the current one is computed),
    `scan_blocked` (`celeris.scan`) and `selective_scan`
    (`celeris.selective_scan`): a lane per channel, 32 channels a CTA, 8
    warps over consecutive runs of `kv_tile` = 8 tokens of a block, their
    carries combined through `stages` = 2 shared-memory buffers;
    `grouped_gemm` (`celeris.grouped_matmul` over ragged expert segments:
    `wgmma` warpgroups of 64 rows, 4 or 8 warps for 64 or 128 rows a tile,
    `kv_tile` the output columns of a tile, 64, 128 or 256, and `stages` the
    2 to 6 shared-memory buffers of 64-deep operand tiles); `moe_route`,
    `moe_dispatch` and `moe_combine` (routing, the permutation by expert and
    the weighted combine on the CUDA cores: 8 warps, `kv_tile` 32, 1 stage,
    `tensor_cores` unused and `mma_sync`; expert-choice routing runs 16
    warps per expert whatever the schedule says); `loop_nest` (a linalg op
    of a program on the CUDA cores, a thread per parallel point with the
    reductions looped inside it; the same fixed fields).

    `celeris-select-gpu-schedule` chooses it from the per-chip cost model and
    records it on the op as the discardable attribute `celeris.gpu_schedule`;
    its options override single fields. `convert-celeris-to-gpu` builds the
    kernel the attribute names, so a schedule written by hand in the IR is
    honoured as it is.

    ```mlir
    %out = celeris.attention %q, %k, %v mask <causal>
        {celeris.gpu_schedule = #celeris.gpu_schedule<kernel = attention_prefill,
            tensor_cores = wgmma, warps = 8, kv_tile = 128, stages = 2,
            min_ctas_per_sm = 1>} : ...
    ```
  }];
  let parameters = (ins
    EnumParameter<Celeris_KernelFamily>:$kernel,
    EnumParameter<Celeris_TensorCoreKind>:$tensor_cores,
    "int64_t":$warps,
    "int64_t":$kv_tile,
    "int64_t":$stages,
    "int64_t":$min_ctas_per_sm);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The name of the discardable attribute that carries it on an op.
    static ::llvm::StringRef getAttrName() { return "celeris.gpu_schedule"; }
    /// Query rows of a CTA: 16 per warp.
    int64_t getQueryTile() const { return 16 * getWarps(); }
    int64_t getThreads() const { return 32 * getWarps(); }
  }];
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISATTRS_TD
