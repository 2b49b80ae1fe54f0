//===- GPUCostModel.cpp - Kernel schedules per chip ----------------------===//
//
// The cost model is a table of measured schedules (H100 SXM, bf16,
// docs/performance.md), not a formula: what decides the speed of these
// kernels is how many warps an SM keeps resident to hide each warp's serial
// S = QK^T -> softmax -> PV chain, and that follows from registers per
// thread and shared memory per CTA in ways only a measurement settles.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/GPUCostModel.h"
#include "AttentionKernel.h"

#include "celeris/GPU/SharedTile.h"
#include "celeris/GPU/TilePipeline.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::celeris;

// CUDA C++ Programming Guide, "Technical Specifications per Compute
// Capability".
static const NvidiaChip kChips[] = {
    {"sm_80", false, 166912, 167936, 108},
    {"sm_86", false, 101376, 102400, 82},
    {"sm_89", false, 101376, 102400, 128},
    {"sm_90", false, 232448, 233472, 132},
    {"sm_90a", true, 232448, 233472, 132},
};

/// The driver reserves 1 KB of shared memory per resident CTA.
static constexpr int64_t kSharedReservedPerCta = 1024;
static constexpr int64_t kRegistersPerSm = 65536;
static constexpr int64_t kMaxRegistersPerThread = 255;

std::optional<NvidiaChip> mlir::celeris::lookupNvidiaChip(StringRef name) {
  const NvidiaChip *chip = llvm::find_if(
      kChips, [&](const NvidiaChip &c) { return c.name == name; });
  if (chip == std::end(kChips))
    return std::nullopt;
  return *chip;
}

StringRef mlir::celeris::getSupportedNvidiaChipNames() {
  return "sm_80, sm_86, sm_89, sm_90, sm_90a";
}

LogicalResult mlir::celeris::verifyGPUScheduleOverrides(
    const GPUScheduleOverrides &overrides,
    function_ref<InFlightDiagnostic()> emitError) {
  if (overrides.tensorCores != "auto" && overrides.tensorCores != "mma.sync" &&
      overrides.tensorCores != "wgmma")
    return emitError() << "tensor-cores must be auto, mma.sync or wgmma; got '"
                       << overrides.tensorCores << "'";
  if (overrides.queryTile != 0 && overrides.queryTile != 64 &&
      overrides.queryTile != 128)
    return emitError() << "q-tile must be 64 or 128 (16 rows per warp, 4 or "
                          "8 warps), or 0 to keep the choice; got "
                       << overrides.queryTile;
  if (overrides.kvTile != 0 && overrides.kvTile != 32 &&
      overrides.kvTile != 64 && overrides.kvTile != 128 &&
      overrides.kvTile != 256)
    return emitError() << "kv-tile must be 32 (decode only), 64, 128 or 256 "
                          "(grouped GEMM only), or 0 to keep the choice; got "
                       << overrides.kvTile;
  if (overrides.kvStages < 0 || overrides.kvStages == 1 ||
      overrides.kvStages > 4)
    return emitError() << "kv-stages must be 2 to 4 (4 for decode only), or "
                          "0 to keep the choice; got "
                       << overrides.kvStages;
  if (overrides.decodeWarps != 0 && overrides.decodeWarps != 1 &&
      overrides.decodeWarps != 2 && overrides.decodeWarps != 4)
    return emitError() << "decode-warps must be 1, 2 or 4, or 0 to keep the "
                          "choice; got "
                       << overrides.decodeWarps;
  if (overrides.minCtasPerSm < -1)
    return emitError() << "min-ctas-per-sm must be 0 (no cap) or positive, "
                          "or -1 to keep the choice; got "
                       << overrides.minCtasPerSm;
  return success();
}

GPUScheduleAttr mlir::celeris::getDefaultAttentionSchedule(
    MLIRContext *ctx, const NvidiaChip &chip, KernelFamily family,
    int64_t headDim, Type elementType,
    std::optional<TensorCoreKind> tensorCores) {
  if (family == KernelFamily::AttentionDecode) {
    // Four warps of mma.sync share each 64-key tile (16 keys each) over 16
    // packed query rows, two stages: 74 KB of shared memory at D = 128,
    // three CTAs per SM, about 165 registers, 0 spills.
    (void)headDim;
    return GPUScheduleAttr::get(ctx, family, TensorCoreKind::MmaSync,
                                /*warps=*/int64_t(4), /*kvTile=*/int64_t(64),
                                /*stages=*/int64_t(2),
                                /*minCtasPerSm=*/int64_t(0));
  }
  // One table for bf16 and f16: f16 runs the same instruction shapes with
  // the same registers. sm_80/86/89 are unmeasured; the mma.sync schedule
  // uses only sm_80 features.
  (void)elementType;
  TensorCoreKind kind = tensorCores.value_or(
      chip.hasWgmma ? TensorCoreKind::Wgmma : TensorCoreKind::MmaSync);
  if (kind == TensorCoreKind::Wgmma) {
    // sm_90a, H100, same process as the peers (docs/performance.md):
    //  - D = 128: two warpgroups (128 query rows) share each 128-key tile,
    //    one CTA per SM (about 210 registers, 0 spills): B2 H16 S8192 full
    //    415-480 TFLOP/s; 64-key tiles 386-450, one warpgroup 275.
    //  - D = 64: one warpgroup, three CTAs per SM (a cap of 168 registers;
    //    166 used, 0 spills): B8 H32 S2048 full 252 TFLOP/s with 181
    //    registers and two CTAs per SM.
    if (headDim == 64)
      return GPUScheduleAttr::get(ctx, KernelFamily::AttentionPrefill, kind, 4,
                                  128, 2, 3);
    //  - D = 256: O alone is 128 registers a thread: one warpgroup and
    //    64-key tiles (160 KB of shared memory).
    if (headDim == 256)
      return GPUScheduleAttr::get(ctx, KernelFamily::AttentionPrefill, kind, 4,
                                  64, 2, 1);
    return GPUScheduleAttr::get(ctx, KernelFamily::AttentionPrefill, kind, 8,
                                128, 2, 1);
  }
  // mma.sync: at D = 64 a 128-row tile (a cap of 128 registers for 2 CTAs
  // per SM spills a few bytes), at D = 128 a 64-row tile; registers free.
  if (headDim == 64)
    return GPUScheduleAttr::get(ctx, KernelFamily::AttentionPrefill, kind, 8,
                                64, 2, 0);
  return GPUScheduleAttr::get(ctx, KernelFamily::AttentionPrefill, kind, 4, 64,
                              2, 0);
}

/// Registers per thread the kernel needs without spilling. wgmma: S and P
/// (kvTile / 2 + kvTile / 4) and O (D / 2) plus about 40 (measured 171 at
/// D = 64, 209 at D = 128 with 128-key tiles). mma.sync: Q (D / 4), S
/// (kvTile / 2) and O (D / 2) plus about 32 (D = 64 fits 128 with 0
/// spills).
static int64_t getRequiredRegisters(GPUScheduleAttr schedule, int64_t headDim) {
  int64_t kv = schedule.getKvTile();
  if (schedule.getTensorCores() == TensorCoreKind::MmaSync)
    return headDim / 4 + kv / 2 + headDim / 2 + 32;
  return kv / 2 + kv / 4 + headDim / 2 + 40;
}

LogicalResult mlir::celeris::checkAttentionSchedule(
    const NvidiaChip &chip, GPUScheduleAttr schedule, int64_t headDim,
    function_ref<InFlightDiagnostic()> emitError, bool tileList) {
  if (schedule.getTensorCores() == TensorCoreKind::Wgmma && !chip.hasWgmma)
    return emitError() << "wgmma needs sm_90a, not " << chip.name;
  // The decode kernel's warps take 16 keys each, which leaves the registers
  // Q and O need at head dim 256 (255, 0 spills).
  bool decode = schedule.getKernel() == KernelFamily::AttentionDecode;
  if (!decode && schedule.getTensorCores() == TensorCoreKind::MmaSync &&
      headDim > 128)
    return emitError() << "head dim " << headDim
                       << " needs the wgmma kernels (sm_90a): the mma.sync "
                          "kernel's Q and O fragments alone would take "
                       << headDim / 4 + headDim / 2
                       << " registers a thread and spill";
  int64_t shared = getAttentionSharedBytes(schedule, headDim, tileList);
  if (shared > chip.maxSharedPerBlock)
    return emitError() << "the schedule needs " << shared
                       << " bytes of shared memory, more than the "
                       << chip.maxSharedPerBlock << " a CTA may have on "
                       << chip.name;
  int64_t ctas = schedule.getMinCtasPerSm();
  if (ctas == 0)
    return success();
  // Registers are allocated per warp in units of 256, i.e. 8 per thread.
  int64_t cap =
      std::min(kMaxRegistersPerThread,
               kRegistersPerSm / (schedule.getThreads() * ctas) / 8 * 8);
  int64_t required = getRequiredRegisters(schedule, headDim);
  if (cap < required)
    return emitError() << "min_ctas_per_sm = " << ctas
                       << " caps the registers at " << cap << " per thread ("
                       << schedule.getThreads() << " threads per CTA), below "
                       << "the " << required << " that the head dim " << headDim
                       << " kernel needs: it would spill";
  int64_t perSm = ctas * (shared + kSharedReservedPerCta);
  if (perSm > chip.sharedPerSm)
    return emitError() << "min_ctas_per_sm = " << ctas << " needs " << perSm
                       << " bytes of shared memory per SM (" << shared
                       << " per CTA and " << kSharedReservedPerCta
                       << " reserved), more than the " << chip.sharedPerSm
                       << " of " << chip.name;
  return success();
}

FailureOr<GPUScheduleAttr> mlir::celeris::selectAttentionSchedule(
    MLIRContext *ctx, const NvidiaChip &chip, KernelFamily family,
    int64_t headDim, Type elementType, GPUScheduleAttr start,
    const GPUScheduleOverrides &overrides,
    function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyGPUScheduleOverrides(overrides, emitError)))
    return failure();
  if (start && start.getKernel() != family)
    start = {};
  if (family == KernelFamily::AttentionDecode) {
    // The fields that shape a decode CTA are fixed: one warp of mma.sync.
    if (overrides.tensorCores == "wgmma")
      return emitError() << "tensor-cores=wgmma does not apply to the "
                            "attention_decode kernel (16 packed query rows "
                            "run mma.sync on every chip)";
    if (overrides.queryTile)
      return emitError() << "q-tile does not apply to the attention_decode "
                            "kernel (its CTAs take 16 packed query rows)";
    if (!start)
      start =
          getDefaultAttentionSchedule(ctx, chip, family, headDim, elementType);
    auto schedule = GPUScheduleAttr::getChecked(
        emitError, ctx, family, TensorCoreKind::MmaSync,
        overrides.decodeWarps ? overrides.decodeWarps : start.getWarps(),
        overrides.kvTile ? overrides.kvTile : start.getKvTile(),
        overrides.kvStages ? overrides.kvStages : start.getStages(),
        overrides.minCtasPerSm >= 0 ? overrides.minCtasPerSm
                                    : start.getMinCtasPerSm());
    if (!schedule ||
        failed(checkAttentionSchedule(chip, schedule, headDim, emitError)))
      return failure();
    return schedule;
  }
  std::optional<TensorCoreKind> kind;
  if (overrides.tensorCores == "wgmma")
    kind = TensorCoreKind::Wgmma;
  else if (overrides.tensorCores == "mma.sync")
    kind = TensorCoreKind::MmaSync;
  if (kind == TensorCoreKind::Wgmma && !chip.hasWgmma)
    return emitError() << "tensor-cores=wgmma needs sm_90a, not " << chip.name;
  // A change of family starts from the model's schedule of that family.
  if (!start || (kind && start.getTensorCores() != *kind))
    start = getDefaultAttentionSchedule(ctx, chip, family, headDim, elementType,
                                        kind);
  int64_t warps =
      overrides.queryTile ? overrides.queryTile / 16 : start.getWarps();
  int64_t kvTile = overrides.kvTile ? overrides.kvTile : start.getKvTile();
  int64_t stages = overrides.kvStages ? overrides.kvStages : start.getStages();
  int64_t ctas = start.getMinCtasPerSm();
  if (overrides.minCtasPerSm >= 0)
    ctas = overrides.minCtasPerSm;
  else if (warps != start.getWarps() || kvTile != start.getKvTile())
    // The model's register cap was measured for its own tile.
    ctas = start.getTensorCores() == TensorCoreKind::Wgmma ? 1 : 0;
  auto schedule = GPUScheduleAttr::getChecked(emitError, ctx, family,
                                              start.getTensorCores(), warps,
                                              kvTile, stages, ctas);
  if (!schedule ||
      failed(checkAttentionSchedule(chip, schedule, headDim, emitError)))
    return failure();
  return schedule;
}

FailureOr<GPUScheduleAttr> mlir::celeris::selectRecurrenceSchedule(
    MLIRContext *ctx, KernelFamily family, GPUScheduleAttr start,
    const GPUScheduleOverrides &overrides,
    function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyGPUScheduleOverrides(overrides, emitError)))
    return failure();
  StringRef name = stringifyKernelFamily(family);
  bool chunk = family == KernelFamily::RecurrenceChunk;
  if (overrides.tensorCores == "wgmma")
    return emitError() << "tensor-cores=wgmma does not apply to the " << name
                       << " kernel (it runs "
                       << (chunk ? "mma.sync)" : "on the CUDA cores)");
  if (overrides.queryTile || overrides.decodeWarps)
    return emitError() << (overrides.queryTile ? "q-tile" : "decode-warps")
                       << " does not apply to the " << name << " kernel ("
                       << (chunk ? "8 warps over chunks of 64 tokens)"
                           : family == KernelFamily::ScanBlocked ||
                                   family == KernelFamily::SelectiveScan
                               ? "8 warps over 32 channels)"
                               : "4 warps over 32 state columns)");
  if (!start || start.getKernel() != family) {
    if (family == KernelFamily::RecurrenceStep)
      // A lane per state column, 4 warps over the key rows: the state is
      // read and written once, coalesced (32 columns of f32 a row).
      start = GPUScheduleAttr::get(ctx, family, TensorCoreKind::MmaSync,
                                   /*warps=*/4, /*kvTile=*/32, /*stages=*/1,
                                   /*minCtasPerSm=*/0);
    else if (family == KernelFamily::ScanBlocked ||
             family == KernelFamily::SelectiveScan)
      // A lane per channel, 8 warps over runs of 8 tokens of a block.
      start = GPUScheduleAttr::get(ctx, family, TensorCoreKind::MmaSync,
                                   /*warps=*/8, /*kvTile=*/8, /*stages=*/2,
                                   /*minCtasPerSm=*/0);
    else if (family == KernelFamily::RecurrenceSequential)
      // Warps of 8 columns x 4 row groups, independent of each other; the
      // next token's operands in flight while one is computed.
      start = GPUScheduleAttr::get(ctx, family, TensorCoreKind::MmaSync,
                                   /*warps=*/4, /*kvTile=*/32, /*stages=*/2,
                                   /*minCtasPerSm=*/0);
    else
      // 8 warps hold a 128 x 128 f32 state at 64 registers a thread; one
      // CTA per SM (157 KB of shared memory at Dk = Dv = 128).
      start = GPUScheduleAttr::get(ctx, family, TensorCoreKind::MmaSync,
                                   /*warps=*/8, /*kvTile=*/64, /*stages=*/2,
                                   /*minCtasPerSm=*/1);
  }
  auto schedule = GPUScheduleAttr::getChecked(
      emitError, ctx, family, start.getTensorCores(), start.getWarps(),
      overrides.kvTile ? overrides.kvTile : start.getKvTile(),
      overrides.kvStages ? overrides.kvStages : start.getStages(),
      overrides.minCtasPerSm >= 0 ? overrides.minCtasPerSm
                                  : start.getMinCtasPerSm());
  if (!schedule)
    return failure();
  return schedule;
}

int64_t mlir::celeris::getGroupedGemmSharedBytes(GPUScheduleAttr schedule) {
  // Per stage a (16 warps-rows x 64) A tile and a 64 x kv_tile B tile of
  // 2-byte elements, then a full and an empty mbarrier per stage.
  int64_t rows = 16 * schedule.getWarps();
  int64_t stage = 2 * 64 * (rows + schedule.getKvTile());
  return SharedMemory::getReservedBytes(
      schedule.getStages() * stage +
      TilePipeline::getBarrierBytes(schedule.getStages()));
}

FailureOr<GPUScheduleAttr>
mlir::celeris::selectMoESchedule(MLIRContext *ctx, const NvidiaChip &chip,
                                 KernelFamily family, int64_t outputColumns,
                                 GPUScheduleAttr start,
                                 const GPUScheduleOverrides &overrides,
                                 function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyGPUScheduleOverrides(overrides, emitError)))
    return failure();
  if (family != KernelFamily::GroupedGemm) {
    // One form each, on the CUDA cores: the tile options, which a module
    // mixing these with GEMMs or attention sets for those, do not apply.
    auto schedule = GPUScheduleAttr::getChecked(
        emitError, ctx, family, TensorCoreKind::MmaSync, /*warps=*/int64_t(8),
        /*kvTile=*/int64_t(32), /*stages=*/int64_t(1),
        overrides.minCtasPerSm >= 0 ? overrides.minCtasPerSm : int64_t(0));
    if (!schedule)
      return failure();
    return schedule;
  }
  if (!chip.hasWgmma)
    return emitError() << "the grouped_gemm kernel runs on wgmma, which "
                       << chip.name << " lacks (use sm_90a)";
  if (overrides.tensorCores == "mma.sync" || overrides.decodeWarps)
    return emitError() << (overrides.decodeWarps ? "decode-warps"
                                                 : "tensor-cores=mma.sync")
                       << " does not apply to the grouped_gemm kernel "
                          "(warpgroups of wgmma)";
  if (!start || start.getKernel() != family) {
    // Two warpgroups of 64 rows over 256 output columns (128 accumulator
    // registers a thread, four 48 KB stages) where a last, partly empty
    // tile wastes at most a tenth of the work: H200, E256 d7168 f2048, 482
    // TFLOP/s against 380 with 128 columns. Else 128 or 64 columns, three
    // 32 KB stages, two CTAs an SM (408 against 383 with four stages and
    // one CTA, E64 d2048 f1408).
    int64_t padded = llvm::alignTo(outputColumns, 256);
    if (10 * (padded - outputColumns) <= outputColumns)
      start = GPUScheduleAttr::get(
          ctx, family, TensorCoreKind::Wgmma, /*warps=*/int64_t(8),
          /*kvTile=*/int64_t(256), /*stages=*/int64_t(4),
          /*minCtasPerSm=*/int64_t(1));
    else
      start = GPUScheduleAttr::get(
          ctx, family, TensorCoreKind::Wgmma, /*warps=*/int64_t(8),
          outputColumns % 128 == 0 ? int64_t(128) : int64_t(64),
          /*stages=*/int64_t(3), /*minCtasPerSm=*/int64_t(2));
  }
  int64_t warps = start.getWarps();
  if (overrides.queryTile) {
    if (overrides.queryTile != 64 && overrides.queryTile != 128)
      return emitError() << "q-tile for the grouped_gemm kernel must be 64 "
                            "or 128 rows, got "
                         << overrides.queryTile;
    warps = overrides.queryTile / 16;
  }
  auto schedule = GPUScheduleAttr::getChecked(
      emitError, ctx, family, TensorCoreKind::Wgmma, warps,
      overrides.kvTile ? overrides.kvTile : start.getKvTile(),
      overrides.kvStages ? overrides.kvStages : start.getStages(),
      overrides.minCtasPerSm >= 0 ? overrides.minCtasPerSm
                                  : start.getMinCtasPerSm());
  if (!schedule)
    return failure();
  int64_t shared = getGroupedGemmSharedBytes(schedule);
  int64_t ctas = std::max<int64_t>(schedule.getMinCtasPerSm(), 1);
  if (shared > chip.maxSharedPerBlock || ctas * shared > chip.sharedPerSm)
    return emitError() << "the grouped_gemm schedule needs " << shared
                       << " bytes of shared memory a CTA (" << ctas
                       << " a SM), more than " << chip.name << " has";
  return schedule;
}
