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

def ConvertCelerisToGPU : Pass<"convert-celeris-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower functions of celeris.attention to NVIDIA GPU kernels";
  let description = [{
    Every `func.func` that holds a Celeris op must be exactly one
    `celeris.attention` whose query, key and value are the function's
    arguments and whose results it returns; it becomes the kernel
    `gpu.func @<name>` of `gpu.module @kernels` (the module becomes a
    `gpu.container_module`) and the function is erased. Functions without
    Celeris ops are left alone.

    Two kernels implement it. On sm_90a, warpgroup tensor cores (`wgmma`):
    warpgroups of 64 query rows (two at head dim 128, one at head dim 64)
    share 128-key K/V tiles that `cp.async`
    writes, with the 128-byte swizzle, into two shared-memory stages
    synchronised by mbarriers; S = Q·Kᵀ reads both operands from shared
    memory through matrix descriptors and O += P·V takes P from registers.
    On sm_80 and newer, FlashAttention-2 with warp-level tensor cores:
    query tiles of 16 rows per warp, 64-key K/V tiles loaded with
    `cp.async` (zero-filled past the sequence) into one or two shared-memory
    stages, `ldmatrix` fragments, `mma.sync.m16n8k16`. Both accumulate in
    f32, keep P in registers, and run the online softmax in base 2 with the
    PTX `ex2`/`lg2` approximations. Everything is fixed at compile
    time: head dim (64 or 128), element type, `causal` or `all` mask (after
    `simplifyMask`; causal is bottom-right aligned, the default
    `query_offset`), scale (default `1/sqrt(D)`), and whether `lse` is
    written. Query head `h` reads key/value head `h * Hkv / Hq` (GQA, equal
    to `h / (Hq / Hkv)`), with the head counts from the argument shapes.

    Kernel arguments: `q`, `k`, `v`, `out` as `memref<?x?x?xDxT>`
    (`[B, H, S, D]`, dense row-major) and, when the op returns it, `lse` as
    `memref<?x?x?xf32>`. The kernel carries its launch geometry for the
    artifact manifest (here the sm_90a default at head dim 128):

    ```mlir
    celeris.launch = {grid = ["ceildiv(Sq,128)", "Hq", "B"],
                      block = array<i32: 256, 1, 1>, shared = "164896",
                      sizes = {B = "q[0]", Hq = "q[1]", Sq = "q[2]"}}
    ```

    The schedule comes from a per-chip cost model of measured schedules
    (sm_90a: wgmma, 128-key tiles, two stages, a 128-row tile at head dim
    128 and a 64-row one at head dim 64; elsewhere
    mma.sync with, at head dim 128, a 64-row tile, 4 warps, one stage and,
    at head dim 64, a 128-row tile, 8 warps, two stages, 2 CTAs per SM);
    the options override it.
    Unsupported forms (other masks or query offsets, ALiBi, softcap, segment
    ids, varlen, block layouts, kv_lengths, page tables, other head dims or
    element types, functions with other ops) are errors at the op.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target chip: sm_80, sm_86, sm_89, sm_90 or sm_90a">,
    Option<"tensorCores", "tensor-cores", "std::string",
           /*default=*/"\"auto\"",
           "Tensor-core instructions: auto (cost model: wgmma on sm_90a, "
           "mma.sync elsewhere), mma.sync or wgmma">,
    Option<"qTile", "q-tile", "int64_t", /*default=*/"0",
           "Query rows per CTA, 64 or 128 (16 per warp); 0 = cost model">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"0",
           "Keys per K/V tile: 64, or 128 with wgmma; 0 = cost model">,
    Option<"kvStages", "kv-stages", "int64_t", /*default=*/"0",
           "Shared-memory K/V stages: 1 or 2 with mma.sync, 2 or 3 with "
           "wgmma (3 pipelines the scores of the next tile); 0 = cost model">,
    Option<"minCtasPerSm", "min-ctas-per-sm", "int64_t", /*default=*/"0",
           "CTAs per SM ptxas must fit (caps registers); 0 = cost model">,
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
