//===- AttentionKernelConfig.h - Tiles of the GPU attention -----*- C++ -*-===//
//
// The per-target cost model of the attention kernels: tensor-core family
// (mma.sync on sm_80+, wgmma on sm_90a), query tile (warps), key/value tile
// and stages, and register cap for a chip, head dim and element type, and
// the checks that pass options overriding it must meet.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELCONFIG_H
#define CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELCONFIG_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace mlir::celeris {

/// The tensor-core instructions a kernel is built on.
enum class TensorCoreKind {
  /// Warp-level mma.sync m16n8k16 with ldmatrix fragments (sm_80+).
  MmaSync,
  /// Warpgroup-level wgmma with shared-memory descriptors (sm_90a only).
  Wgmma,
};

/// An NVIDIA target of the kernel (mma.sync m16n8k16 and cp.async need
/// sm_80 or newer) with the per-CTA and per-SM limits the schedule must fit.
struct NvidiaChip {
  StringRef name;
  /// Whether the chip runs wgmma (the architecture-specific sm_90a).
  bool hasWgmma;
  /// Shared memory a CTA may reserve (the opt-in maximum), in bytes.
  int64_t maxSharedPerBlock;
  /// Shared memory of an SM, in bytes.
  int64_t sharedPerSm;
};

/// The chip called `name` (sm_80, sm_86, sm_89, sm_90, sm_90a), if
/// supported.
std::optional<NvidiaChip> lookupNvidiaChip(StringRef name);

/// The chip names lookupNvidiaChip accepts, comma separated, for messages.
StringRef getSupportedNvidiaChipNames();

/// The schedule of one attention kernel.
struct AttentionKernelConfig {
  TensorCoreKind tensorCores = TensorCoreKind::MmaSync;
  /// Warps per CTA; each owns 16 query rows, so the query tile is 16 * warps
  /// (with wgmma, warpgroups of 4 warps own 64 rows each).
  int64_t warps = 4;
  /// Keys per key/value tile.
  int64_t kvTile = 64;
  /// Shared-memory buffers for K/V tiles: 1, or 2 to load tile j+1 while
  /// tile j is computed.
  int64_t stages = 1;
  /// CTAs per SM that ptxas must fit (nvvm.minctasm, which caps the
  /// registers at 65536 / (threads * minCtasPerSm)); 0 leaves it free.
  int64_t minCtasPerSm = 0;
  /// Bytes of dynamic shared memory.
  int64_t sharedBytes = 0;

  int64_t queryTile() const { return 16 * warps; }
  int64_t threads() const { return 32 * warps; }
};

/// Values of the pass options; 0 leaves the field to the cost model.
struct AttentionKernelOverrides {
  /// "auto" (the cost model), "mma.sync" or "wgmma".
  std::string tensorCores = "auto";
  int64_t queryTile = 0;
  int64_t kvTile = 0;
  int64_t kvStages = 0;
  int64_t minCtasPerSm = 0;
};

/// Dynamic shared memory of the kernel: max(2 * kvTile * stages,
/// kvTile + queryTile) rows of headDim + 8 elements (the padding keeps the
/// eight rows of an ldmatrix phase in distinct bank groups).
int64_t getAttentionSharedBytes(int64_t headDim, int64_t elementBytes,
                                int64_t queryTile, int64_t kvTile,
                                int64_t stages);

/// Dynamic shared memory of the wgmma kernel: the Q tile, `stages` stages
/// of K and V tiles (2-byte elements), two mbarriers per stage and 1 KB to
/// align the base to the 128-byte swizzle's 1024-byte period.
int64_t getWgmmaAttentionSharedBytes(int64_t headDim, int64_t queryTile,
                                     int64_t kvTile, int64_t stages);

/// The cost model: the fastest measured schedule for `headDim` (64 or 128)
/// and `elementType` (bf16 or f16) on `chip`.
AttentionKernelConfig getDefaultAttentionKernelConfig(const NvidiaChip &chip,
                                                      int64_t headDim,
                                                      Type elementType);

/// Checks the option values on their own (allowed tiles, stages, CTAs).
LogicalResult
verifyAttentionKernelOverrides(const AttentionKernelOverrides &overrides,
                               function_ref<InFlightDiagnostic()> emitError);

/// The cost model's schedule with `overrides` applied, or failure (reported
/// through `emitError`) when the combination cannot run well on `chip`: a
/// register cap below what the fragments need, or more CTAs per SM than its
/// shared memory holds.
FailureOr<AttentionKernelConfig>
selectAttentionKernelConfig(const NvidiaChip &chip, int64_t headDim,
                            Type elementType,
                            const AttentionKernelOverrides &overrides,
                            function_ref<InFlightDiagnostic()> emitError);

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELCONFIG_H
