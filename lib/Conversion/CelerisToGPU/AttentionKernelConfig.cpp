//===- AttentionKernelConfig.cpp - Tiles of the GPU attention ---*- C++ -*-===//
//
// The cost model of the mma.sync attention kernel is a table of measured
// schedules (H100 SXM, bf16, docs/performance.md), not a formula: what
// decides its speed is how many warps an SM keeps resident to hide the
// serial S = QK^T -> softmax -> PV chain of each warp, and that follows from
// registers per thread and shared memory per CTA in ways only a measurement
// settles.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/AttentionKernelConfig.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::celeris;

// CUDA C++ Programming Guide, "Technical Specifications per Compute
// Capability".
static const NvidiaChip kChips[] = {
    {"sm_80", false, 166912, 167936}, {"sm_86", false, 101376, 102400},
    {"sm_89", false, 101376, 102400}, {"sm_90", false, 232448, 233472},
    {"sm_90a", true, 232448, 233472},
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

int64_t mlir::celeris::getAttentionSharedBytes(int64_t headDim,
                                               int64_t elementBytes,
                                               int64_t queryTile,
                                               int64_t kvTile, int64_t stages) {
  // Stage s holds K at rows 2*kvTile*s.. and V right after; the Q tile is
  // staged in the last queryTile rows before the loop.
  int64_t rows = std::max(2 * kvTile * stages, kvTile + queryTile);
  return rows * (headDim + 8) * elementBytes;
}

AttentionKernelConfig mlir::celeris::getDefaultAttentionKernelConfig(
    const NvidiaChip &chip, int64_t headDim, Type elementType) {
  // One table for every chip and for bf16 and f16: the measurements are
  // bf16 on H100 (sm_90a), and f16 runs the same instruction shape with the
  // same registers. sm_80/86/89 are unmeasured; the table is kept there
  // since the kernel uses only sm_80 features and every schedule fits
  // their shared memory.
  (void)elementType;
  AttentionKernelConfig config;
  if (chip.hasWgmma) {
    // sm_90a: wgmma, 128-key K/V tiles in two stages. H100, same process
    // as the peers (docs/performance.md):
    //  - D = 128: two warpgroups (128 query rows) share each K/V tile, one
    //    CTA per SM (205-209 registers, 0 spills): B2 H16 S8192 full
    //    415-441 TFLOP/s, against 260 for the best mma.sync schedule, 386-398
    //    with 64-key tiles and 274-275 with one warpgroup.
    //  - D = 64: one warpgroup (64 rows, 160 registers) so that several
    //    CTAs share an SM: B8 H32 S2048 full 272-315, against 251-284 with
    //    two warpgroups and 240 with mma.sync.
    config.tensorCores = TensorCoreKind::Wgmma;
    config.warps = headDim == 64 ? 4 : 8;
    config.kvTile = 128;
    config.stages = 2;
    config.minCtasPerSm = 1;
    config.sharedBytes = getWgmmaAttentionSharedBytes(
        headDim, config.queryTile(), config.kvTile, config.stages);
    return config;
  }
  if (headDim == 64) {
    // 128-row tile, 8 warps, two stages, 2 CTAs per SM: the register cap of
    // 128 keeps 16 warps resident, 228 TFLOP/s vs 154 with 130 registers
    // and one CTA (B8 H32 S2048, 0 spills).
    config.warps = 8;
    config.stages = 2;
    config.minCtasPerSm = 2;
  } else {
    // D = 128: 64-row tile, 4 warps, one stage (166 registers, 3 CTAs = 12
    // warps per SM) ran 269 TFLOP/s; the 128-row tile with two stages (175
    // registers, 8 warps per SM) 260, and 64 rows with two stages 229 (2
    // CTAs per SM). Fragments need more than 128 registers here, so no cap.
    config.warps = 4;
    config.stages = 1;
    config.minCtasPerSm = 0;
  }
  config.sharedBytes =
      getAttentionSharedBytes(headDim, elementType.getIntOrFloatBitWidth() / 8,
                              config.queryTile(), config.kvTile, config.stages);
  return config;
}

int64_t mlir::celeris::getWgmmaAttentionSharedBytes(int64_t headDim,
                                                    int64_t queryTile,
                                                    int64_t kvTile,
                                                    int64_t stages) {
  return (queryTile + 2 * stages * kvTile) * headDim * 2 + 2 * stages * 8 +
         1024;
}

LogicalResult mlir::celeris::verifyAttentionKernelOverrides(
    const AttentionKernelOverrides &overrides,
    function_ref<InFlightDiagnostic()> emitError) {
  if (overrides.tensorCores != "auto" && overrides.tensorCores != "mma.sync" &&
      overrides.tensorCores != "wgmma")
    return emitError() << "tensor-cores must be auto, mma.sync or wgmma; got '"
                       << overrides.tensorCores << "'";
  if (overrides.queryTile != 0 && overrides.queryTile != 64 &&
      overrides.queryTile != 128)
    return emitError() << "q-tile must be 64 or 128 (16 rows per warp, 4 or "
                          "8 warps), or 0 for the cost model; got "
                       << overrides.queryTile;
  if (overrides.kvTile != 0 && overrides.kvTile != 64 &&
      overrides.kvTile != 128)
    return emitError() << "kv-tile must be 64 or 128, or 0 for the cost "
                          "model; got "
                       << overrides.kvTile;
  if (overrides.kvStages < 0 || overrides.kvStages > 3)
    return emitError() << "kv-stages must be 1, 2 or 3, or 0 for the cost "
                          "model; got "
                       << overrides.kvStages;
  if (overrides.minCtasPerSm < 0)
    return emitError() << "min-ctas-per-sm must be positive, or 0 for the "
                          "cost model; got "
                       << overrides.minCtasPerSm;
  return success();
}

/// Registers per thread the kernel needs without spilling. mma.sync: its
/// fragments, Q (D/4), S and P (32) and O (D/2), plus about 64 for the
/// running max and sum, addresses and loop state (measured: D = 64 fits 128
/// with 0 spills; D = 128 uses 166 to 175 uncapped). wgmma: S (kvTile/2),
/// P (kvTile/4) and O (D/2) plus about 40 (measured 171 at D = 64, 209 at
/// D = 128 with 128-key tiles).
static int64_t getRequiredRegisters(const AttentionKernelConfig &config,
                                    int64_t headDim) {
  if (config.tensorCores == TensorCoreKind::Wgmma)
    return config.kvTile / 2 * (config.stages == 3 ? 2 : 1) +
           config.kvTile / 4 + headDim / 2 + 40;
  return headDim / 4 + 32 + headDim / 2 + 32;
}

/// Checks that `config.minCtasPerSm` CTAs fit an SM's registers (without
/// capping below what the kernel needs) and shared memory.
static FailureOr<AttentionKernelConfig>
checkResidency(const NvidiaChip &chip, int64_t headDim,
               const AttentionKernelConfig &config,
               function_ref<InFlightDiagnostic()> emitError) {
  if (config.minCtasPerSm == 0)
    return config;
  int64_t ctas = config.minCtasPerSm;
  // Registers are allocated per warp in units of 256, i.e. 8 per thread.
  int64_t cap = std::min(kMaxRegistersPerThread,
                         kRegistersPerSm / (config.threads() * ctas) / 8 * 8);
  int64_t required = getRequiredRegisters(config, headDim);
  if (cap < required)
    return emitError() << "min-ctas-per-sm=" << ctas
                       << " caps the registers at " << cap << " per thread ("
                       << config.threads() << " threads per CTA), below the "
                       << required << " that the head dim " << headDim
                       << " kernel needs: it would spill";
  int64_t shared = ctas * (config.sharedBytes + kSharedReservedPerCta);
  if (shared > chip.sharedPerSm)
    return emitError() << "min-ctas-per-sm=" << ctas << " needs " << shared
                       << " bytes of shared memory per SM ("
                       << config.sharedBytes << " per CTA and "
                       << kSharedReservedPerCta << " reserved), more than the "
                       << chip.sharedPerSm << " of " << chip.name;
  return config;
}

FailureOr<AttentionKernelConfig> mlir::celeris::selectAttentionKernelConfig(
    const NvidiaChip &chip, int64_t headDim, Type elementType,
    const AttentionKernelOverrides &overrides,
    function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyAttentionKernelOverrides(overrides, emitError)))
    return failure();
  if (overrides.tensorCores == "wgmma" && !chip.hasWgmma)
    return emitError() << "tensor-cores=wgmma needs sm_90a, not " << chip.name;
  NvidiaChip modelChip = chip;
  if (overrides.tensorCores == "mma.sync")
    modelChip.hasWgmma = false;
  AttentionKernelConfig model =
      getDefaultAttentionKernelConfig(modelChip, headDim, elementType);
  AttentionKernelConfig config = model;
  if (overrides.queryTile)
    config.warps = overrides.queryTile / 16;
  if (overrides.kvStages)
    config.stages = overrides.kvStages;
  if (overrides.kvTile)
    config.kvTile = overrides.kvTile;
  if (config.tensorCores == TensorCoreKind::MmaSync && config.stages > 2)
    return emitError() << "the mma.sync kernel has 1 or 2 K/V stages, got "
                       << config.stages;
  if (config.tensorCores == TensorCoreKind::MmaSync && config.kvTile != 64)
    return emitError() << "the mma.sync kernel uses 64-key tiles: kv-tile "
                          "must be 64 (or 0), got "
                       << config.kvTile;
  if (config.tensorCores == TensorCoreKind::Wgmma) {
    if (config.stages < 2)
      return emitError() << "the wgmma kernel keeps the next K/V tile in "
                            "flight: kv-stages must be 2 or 3 (or 0), got "
                         << config.stages;
    if (overrides.minCtasPerSm)
      config.minCtasPerSm = overrides.minCtasPerSm;
    config.sharedBytes = getWgmmaAttentionSharedBytes(
        headDim, config.queryTile(), config.kvTile, config.stages);
    if (config.sharedBytes > chip.maxSharedPerBlock)
      return emitError() << "the wgmma kernel needs " << config.sharedBytes
                         << " bytes of shared memory, more than the "
                         << chip.maxSharedPerBlock << " a CTA may have on "
                         << chip.name;
    return checkResidency(chip, headDim, config, emitError);
  }
  // The model's register cap was measured for its own tile: another tile
  // gets none unless asked for.
  if (overrides.minCtasPerSm)
    config.minCtasPerSm = overrides.minCtasPerSm;
  else if (config.warps != model.warps || config.stages != model.stages)
    config.minCtasPerSm = 0;
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  config.sharedBytes = getAttentionSharedBytes(
      headDim, elementBytes, config.queryTile(), config.kvTile, config.stages);

  // Every schedule fits a CTA's shared memory on every supported chip (at
  // most 69632 of 101376 bytes).
  assert(config.sharedBytes <= chip.maxSharedPerBlock &&
         "schedule exceeds a CTA's shared memory");
  return checkResidency(chip, headDim, config, emitError);
}
