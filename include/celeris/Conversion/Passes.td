//===- Passes.td - Celeris conversion passes ---------------*- tablegen -*-===//
//
// Passes that lower Celeris ops to other dialects.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_PASSES_TD
#define CELERIS_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertCelerisToLinalg : Pass<"convert-celeris-to-linalg"> {
  let summary = "Lower Celeris ops to their reference form in linalg/tensor/arith";
  let description = [{
    The reference lowering: each op becomes the direct, untiled computation
    of its documented semantics on tensors (linalg.generic, tensor, scf,
    arith, math), accumulating in f32. It is the correctness oracle of the
    tiled and GPU lowerings, not a fast path. Composite ops are decomposed
    into primitives first (the `celeris-decompose-composites` patterns).

    `celeris.attention` lowers to linalg.generic ops: the scaled (and
    soft-capped, ALiBi-biased) scores `[B, Hq, Sq, Sk]` with the structured
    mask evaluated from `linalg.index` positions (never materialised as a
    tensor input) and the data-dependent terms (segment ids, kv lengths,
    varlen offsets, block layouts) added to the predicate, the row maximum,
    the exponentials and their row sum, and the normalised product with the
    values. Grouped-query heads are read through the index map
    `h floordiv (Hq / Hkv)`. A row without any allowed key yields output 0
    and `lse = -inf`. Recurrences and scans become `scf.for` loops over the
    sequence; routing and dispatch use stable ranks and prefix sums.

    An op form no pattern handles is reported as an error on the op and
    fails the pass.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisTileAttention : Pass<"celeris-tile-attention"> {
  let summary = "Tile celeris.attention into FlashAttention's online softmax";
  let description = [{
    The target-independent tiled algorithm of `celeris.attention`, on
    tensors and scf so that it runs on the CPU and the GPU lowering can map
    the same loops: an `scf.forall` over (batch, query head, query tile)
    and, inside, an `scf.for` over key/value tiles carrying the running row
    maximum `m`, row sum `l` and unnormalised output `acc` (f32).

    Each key/value tile is classified against the structured mask over its
    query and key positions (`buildTileClassification`; constant when the
    bounds are): an empty tile is skipped, a full one computes its scores
    without mask math, and only a partial one evaluates the mask. The
    update is the online softmax

    ```
    m' = max(m, rowmax(s))
    p  = s == -inf ? 0 : exp(s - m')
    c  = m' == -inf ? 1 : exp(m - m')
    l' = c * l + rowsum(p)
    acc' = c * acc + p v
    ```

    and at the end `out = l == 0 ? 0 : acc / l`,
    `lse = l == 0 ? -inf : m + log(l)`.

    Forms it does not tile yet (ALiBi, segment ids, varlen, block layouts,
    kv_lengths, page tables, dynamic head counts) are left untouched for
    `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", /*default=*/"64",
           "Query rows per tile">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"64",
           "Key/value rows per tile">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisChunkRecurrence : Pass<"celeris-chunk-recurrence"> {
  let summary = "Rewrite celeris.recurrence into its chunkwise-parallel form";
  let description = [{
    Replaces each `celeris.recurrence` (every decay kind, additive and delta
    updates) by an `scf.for` over chunks of `chunk` tokens (the last one
    shorter when `chunk` does not divide the sequence) that carries the f32
    state `[B, H, Dk, Dv]`. Within a chunk, with `G` the cumulative log
    decay, the output is `scale ((Q exp(G)) S_prev + ((Q K^T) (.) exp(G_i -
    G_j), j <= i) U)` and the state `exp(G_last) S_prev + (K exp(G_last -
    G))^T U`, as `linalg.generic` contractions on tensors. `U = V` for the
    additive update; for the delta rule the UT/WY transform gives the
    pseudo-values `U = T V - T (K exp(G)) S_prev` with `T = (I + A)^-1
    diag(beta)`, `A = tril(diag(beta) (K K^T (.) exp(G_i - G_j)), -1)`,
    solved by forward substitution over the chunk's rows (an inner scf.for).
    Target independent; runs before `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"64",
           "Tokens per chunk (positive)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisBlockScan : Pass<"celeris-block-scan"> {
  let summary = "Rewrite celeris.scan into a blocked scan";
  let description = [{
    Replaces each `celeris.scan` (forward or reverse, any axis, optional
    initial value) by a blocked scan in f32 over blocks of `block`
    positions along the axis (the last one shorter when `block` does not
    divide it): a local scan from zero per block, which also forms the
    running product of `a` (independent across blocks); then, sequentially
    over blocks, the carry into each block and the fix-up `h = h_local +
    prod(a) carry` of its positions. Target independent; runs before
    `convert-celeris-to-linalg`.
  }];
  let options = [
    Option<"block", "block", "int64_t", /*default=*/"64",
           "Positions per block (positive)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CelerisOutlineKernels
    : Pass<"celeris-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Give each Celeris op of a function of several its own "
                "function, called from a program";
  let description = [{
    The GPU lowering turns a function that is one Celeris op into one
    kernel. A function that holds several (a MoE layer as routing,
    dispatch, grouped matmuls and combine; an attention layer feeding a
    recurrence) becomes a *program*: each of its Celeris ops moves into a
    new function `@<function>_<op>` together with the ops that compute its
    operands from the function's arguments and the other Celeris ops'
    results (the elementwise math a kernel applies as it loads), and is
    replaced by a `func.call` of it. The function is left holding the
    calls and its return, marked `celeris.program`:

    ```mlir
    func.func @moe(%logits: tensor<256x16xf32>, %x: tensor<256x128xbf16>, ...)
        -> tensor<256x128xbf16> attributes {celeris.program} {
      %weights, %experts = call @moe_route(%logits)
          : (tensor<256x16xf32>) -> (tensor<256x4xf32>, tensor<256x4xi32>)
      ...
    }
    ```

    `convert-celeris-to-gpu` lowers each called function to a kernel and
    the program to the launches that run them, with buffers for the results
    passed between them. Functions with one Celeris op are left alone. An
    op of a program's function that computes no Celeris op's operand (a
    result computed after the last kernel) is an error naming it.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def CelerisLowerTensorMapParams
    : Pass<"celeris-lower-tensor-map-params", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Pass the tensor maps of lowered kernels by value";
  let description = [{
    A kernel that copies tiles with the tensor memory accelerator takes its
    tensor maps as trailing `!llvm.ptr` arguments, counted by the kernel
    attribute `celeris.tensor_map_params`; the runtime passes each as a
    128-byte parameter (the manifest's `tensor_map` lines). After
    `convert-gpu-to-nvvm`, this pass makes those parameters of every kernel
    `llvm.func` of the module what the hardware reads a tensor map from: a
    `byval` array of 128 bytes aligned to 64 and marked
    `nvvm.grid_constant`, so that the kernel addresses the parameter in
    place (PTX `.param .align 64 .b8 [128]`, read through `cvta.param`). It
    runs between `convert-gpu-to-nvvm` and the module's serialisation;
    `celeris-lower-to-nvvm` places it there.

    ```mlir
    // Before:
    llvm.func @gemm(..., %map: !llvm.ptr)
        attributes {celeris.tensor_map_params = 1 : i64, nvvm.kernel}
    // After:
    llvm.func @gemm(..., %map: !llvm.ptr {llvm.align = 64 : i64,
                                          llvm.byval = !llvm.array<128 x i8>,
                                          nvvm.grid_constant})
        attributes {nvvm.kernel}
    ```

    A count larger than the function's parameters, or a counted parameter
    that is not a pointer, is an error.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect"];
}

def CelerisSelectGPUSchedule
    : Pass<"celeris-select-gpu-schedule", "::mlir::ModuleOp"> {
  let summary = "Choose the GPU kernel schedule of every Celeris op";
  let description = [{
    Records on every `celeris.attention` and `celeris.recurrence` of the
    module's functions the `#celeris.gpu_schedule` it will run with, as the discardable attribute
    `celeris.gpu_schedule`: the kernel family, the tensor-core instructions,
    warps, key/value tile, pipeline stages and CTAs per SM.

    The family follows from the op: `attention_decode` (split-KV
    flash-decoding: the query heads of a KV head packed into 16 rows, 4 warps
    of `mma_sync` sharing each 64-key tile, 3 stages) when its query length
    is static and at most 16 and it has no segment ids, varlen offsets or
    block layout; `attention_prefill` otherwise. For prefill the starting
    point is a schedule already on the op (written by hand) or else the
    per-chip cost model (measured on H100, docs/performance.md): on sm_90a
    `wgmma`, 128-key tiles, two stages, 8 warps (two warpgroups) at head dim
    128, 4 warps and three CTAs per SM at head dim 64, 4 warps and 64-key
    tiles at head dim 256; elsewhere `mma_sync` with 64-key tiles and two
    stages. The options override single fields; this is the one place where
    a schedule is chosen. Fields no option fixes are fitted to the op: 64-key
    tiles with segment ids, at most two CTAs per SM with ALiBi or softcap,
    tiles that divide a block layout's blocks. For decode only decode-warps,
    kv-tile, kv-stages and min-ctas-per-sm apply; q-tile and
    tensor-cores=wgmma are errors there. A schedule that cannot run on the
    chip (no wgmma before sm_90a, head dim 256 without wgmma, more shared
    memory than a CTA or an SM has, a register cap below what the kernel
    needs) is an error at the op.

    A `celeris.recurrence` gets `recurrence_step` for a static length of 1
    (4 warps over 32 state columns), `recurrence_chunk` for the forms the
    chunked kernel runs (8 warps of `mma_sync`, chunks of 64 tokens, 2
    stages, one CTA per SM), and `recurrence_sequential` for the others (4
    warps over 32 state columns, token by token); a recurrence family
    written on the op by hand is kept. A `celeris.scan` gets `scan_blocked`
    and a `celeris.selective_scan` `selective_scan` (8 warps over 32
    channels, runs of 8 tokens). Of the options only
    kv-tile, kv-stages and min-ctas-per-sm apply to it (and each family has
    one valid form so far); q-tile, decode-warps and tensor-cores=wgmma are
    errors there.

    A `celeris.grouped_matmul` gets `grouped_gemm` (two `wgmma`
    warpgroups over 128 rows; 256 output columns in 4 stages where the last
    column tile wastes at most a tenth, else 128 or 64 columns in 3 stages
    with two CTAs per SM); q-tile (64 or 128 rows), kv-tile (64, 128 or 256
    columns), kv-stages and min-ctas-per-sm apply, tensor-cores=mma.sync
    and decode-warps are errors. `celeris.route`, `celeris.dispatch` and
    `celeris.combine` get `moe_route`, `moe_dispatch` and `moe_combine` (8
    warps on the CUDA cores; expert-choice routing 16 warps per expert); of
    the options only min-ctas-per-sm applies to them, and the others are
    left to the ops they apply to.

    ```mlir
    // celeris-opt --celeris-select-gpu-schedule="q-tile=64"
    %o = celeris.attention %q, %k, %v {celeris.gpu_schedule =
        #celeris.gpu_schedule<kernel = attention_prefill, tensor_cores = wgmma,
          warps = 4, kv_tile = 128, stages = 2, min_ctas_per_sm = 1>} : ...
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target chip: sm_80, sm_86, sm_89, sm_90 or sm_90a">,
    Option<"tensorCores", "tensor-cores", "std::string",
           /*default=*/"\"auto\"",
           "Tensor-core instructions: auto (the schedule on the op, else the "
           "cost model: wgmma on sm_90a, mma.sync elsewhere), mma.sync or "
           "wgmma">,
    Option<"qTile", "q-tile", "int64_t", /*default=*/"0",
           "Query rows per CTA, 64 or 128 (16 per warp); 0 keeps the choice">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"0",
           "Keys per K/V tile, 64 or 128 (decode also 32); output columns "
           "of a grouped GEMM tile, 64, 128 or 256; 0 keeps the choice">,
    Option<"kvStages", "kv-stages", "int64_t", /*default=*/"0",
           "Shared-memory K/V stages: 2 with mma.sync, 2 or 3 with wgmma, 2 "
           "to 4 for decode; 0 keeps the choice">,
    Option<"decodeWarps", "decode-warps", "int64_t", /*default=*/"0",
           "Warps of a decode CTA, 1, 2 or 4 (each takes a share of every "
           "key tile); 0 keeps the choice">,
    Option<"minCtasPerSm", "min-ctas-per-sm", "int64_t", /*default=*/"-1",
           "CTAs per SM ptxas must fit (caps registers), 0 for none; -1 "
           "keeps the choice">,
  ];
}

def ConvertCelerisToGPU : Pass<"convert-celeris-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower functions of celeris.attention or celeris.recurrence "
                "to NVIDIA GPU kernels";
  let description = [{
    Every `func.func` that holds a Celeris op must be exactly one
    `celeris.attention` or `celeris.recurrence` whose operands are the
    function's arguments and whose results it returns; it becomes the kernel `gpu.func @<name>` of
    `gpu.module @kernels` (the module becomes a `gpu.container_module`) and
    the function is erased. Functions without Celeris ops are left alone.

    The kernel is the one the op's `celeris.gpu_schedule` names (run
    `celeris-select-gpu-schedule` first; the `celeris-gpu` pipeline does),
    composed from the GPU kernel layer (docs/pipelines/gpu-kernel-layer.md):
    FlashAttention forward on `wgmma` (sm_90a: warpgroups of 64 query rows,
    K/V tiles in 128-byte-swizzled shared memory fed by `cp.async` through an
    mbarrier pipeline, S = Q·Kᵀ with both operands in shared memory, O += P·V
    with P in registers) or on `mma.sync` (sm_80+: `ldmatrix` fragments,
    CTA-barrier pipeline). Both run the online softmax in base 2 in f32.

    Fixed at compile time: head dim (64, 128, or 256 with wgmma), element
    type (bf16, f16),
    the mask (every primitive and combinator of `#celeris.mask`; the kernel
    visits only the key tiles the mask reaches and does mask math only on
    partial tiles), `query_offset` (default `Sk - Sq`, or `lens[b] - Sq`
    with `kv_lengths`), scale (default `1/sqrt(D)`), softcap, and which
    data-dependent structure the op has: ALiBi slopes, `kv_lengths`, segment
    ids (tiles whose ids cannot meet are skipped), `varlen` packed sequences
    (one CTA per query tile of each sequence), a block layout (its blocks
    are the visited key tiles). Query head `h` reads key/value head
    `h * Hkv / Hq`. Kernel arguments, in order: `q`, `k`, `v`,
    `alibi_slopes`, `q_segment_ids`/`kv_segment_ids`,
    `cu_seqlens_q`/`cu_seqlens_kv`, `block_counts`/`block_indices`,
    `kv_lengths` (each when present), `out`, `lse` (when returned), memrefs
    with the function's static extents (the runtime enforces them). The kernel carries its launch geometry for the artifact
    manifest:

    ```mlir
    celeris.launch = {grid = ["ceildiv(Sq,128)", "Hq", "B"],
                      block = array<i32: 256, 1, 1>, shared = "164896",
                      sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}
    ```

    A `celeris.recurrence` becomes the `recurrence_chunk` kernel
    (docs/pipelines/gpu-recurrence.md): grid (H, B), one CTA per sequence
    and head walks its chunks of 64 tokens with the f32 state in registers;
    per chunk Q·Kᵀ with the decay mask, P·V and Q·S' on `mma_sync`, and the
    state update (weighted K)ᵀ·V with the keys read transposed by
    `ldmatrix.trans`. It implements the additive and delta updates (the
    delta rule through each chunk's UT transform: a forward substitution
    on the chunk's keys, then U = T (V - diag(gates) K S') takes V's place)
    with decay `none`, `head` or `scalar`, bf16/f16 operands and key/value
    dims 64 or 128, with initial and final states. Every other form
    (per-key decay, f32 operands, other dims) becomes the `recurrence_sequential`
    kernel: grid (ceil(Dv / 32), H, B), token by token with the f32 state in
    registers, a warp per 8 state columns and 4 key-row groups, the column
    sums by warp shuffles; key dims a multiple of 4 up to 256, value dims a
    multiple of 8. With a static length of 1 (a decode step) it becomes the
    `recurrence_step` kernel instead: every decay and update kind, any float
    type, a lane per state column on the CUDA cores, the f32 state read and
    written once. Kernel arguments, in order: `q`, `k`, `v`, `decay`, `beta`,
    `initial_state` (each when present), `out`, `final_state` (when
    returned).

    A `celeris.scan` becomes the `scan_blocked` kernel and a
    `celeris.selective_scan` the `selective_scan` kernel
    (docs/pipelines/gpu-recurrence.md): grid (ceil(channels / 32)), a lane
    per channel, 8 warps over runs of 8 tokens of each 64-token block, the
    runs' aggregates folded through double-buffered shared memory; the
    selective scan forms `exp(delta A)` and `delta B u` per token in
    registers (up to 16 states). Every operand of a scan, and the decay and
    beta of a recurrence, may be computed from one argument by elementwise
    `arith`/`math` ops, which the kernel applies as it loads each element.

    The MoE primitives (`celeris.route`, `celeris.dispatch`,
    `celeris.grouped_matmul`, `celeris.combine`) become the `moe_route`,
    `moe_dispatch`, `grouped_gemm` and `moe_combine` kernels
    (docs/pipelines/gpu-moe.md).

    A function marked `celeris.program` (by `celeris-outline-kernels`: calls
    of functions of one Celeris op each) becomes, once its callees are
    kernels, a private declaration taking its arguments and then its
    results as memrefs, with `celeris.arg_names` and a `celeris.program`
    record of its launches: each a kernel and what its arguments are bound
    to (an argument or result of the program, or a buffer between launches),
    every buffer's name, type and shape and every result's shape as
    products of the arguments' extents, composed from the kernels' result
    shapes. `celeris-compile` writes it as a manifest `program`
    (docs/pipelines/gpu-artifacts.md).

    Unsupported forms (page tables, other head dims or element types,
    recurrence dims no kernel takes, functions with other ops) are errors at
    the op.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target chip: sm_80, sm_86, sm_89, sm_90 or sm_90a">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // CELERIS_CONVERSION_PASSES_TD
