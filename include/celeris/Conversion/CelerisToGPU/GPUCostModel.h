//===- GPUCostModel.h - Kernel schedules per chip ---------------*- C++ -*-===//
//
// The per-chip cost model of the GPU kernels: the NVIDIA targets and their
// limits, the schedule (#celeris.gpu_schedule) the model picks for an op,
// overrides of single fields, and the checks a schedule must pass on a
// chip (tensor cores, shared memory, register cap).
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOGPU_GPUCOSTMODEL_H
#define CELERIS_CONVERSION_CELERISTOGPU_GPUCOSTMODEL_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace mlir::celeris {

/// An NVIDIA target (mma.sync m16n8k16 and cp.async need sm_80 or newer)
/// with the per-CTA and per-SM limits a schedule must fit.
struct NvidiaChip {
  StringRef name;
  /// Whether the chip runs wgmma (the architecture-specific sm_90a).
  bool hasWgmma;
  /// Shared memory a CTA may reserve (the opt-in maximum), in bytes.
  int64_t maxSharedPerBlock;
  /// Shared memory of an SM, in bytes.
  int64_t sharedPerSm;
  /// SMs of the chip's reference part (A100, RTX 3090, RTX 4090, H100 SXM):
  /// how many CTAs split-KV decoding aims to keep busy.
  int64_t smCount;
};

/// The chip called `name` (sm_80, sm_86, sm_89, sm_90, sm_90a), if
/// supported.
std::optional<NvidiaChip> lookupNvidiaChip(StringRef name);

/// The chip names lookupNvidiaChip accepts, comma separated, for messages.
StringRef getSupportedNvidiaChipNames();

/// Fields of a schedule to override; unset fields keep the choice.
struct GPUScheduleOverrides {
  /// "auto", "mma.sync" or "wgmma".
  std::string tensorCores = "auto";
  int64_t queryTile = 0, kvTile = 0, kvStages = 0;
  /// Warps of a decode CTA (1, 2 or 4); 0 keeps the choice.
  int64_t decodeWarps = 0;
  /// -1 keeps the choice.
  int64_t minCtasPerSm = -1;

  bool operator==(const GPUScheduleOverrides &other) const {
    return tensorCores == other.tensorCores && queryTile == other.queryTile &&
           kvTile == other.kvTile && kvStages == other.kvStages &&
           decodeWarps == other.decodeWarps &&
           minCtasPerSm == other.minCtasPerSm;
  }
  bool operator!=(const GPUScheduleOverrides &other) const {
    return !(*this == other);
  }
};

/// Checks the override values on their own.
LogicalResult
verifyGPUScheduleOverrides(const GPUScheduleOverrides &overrides,
                           function_ref<InFlightDiagnostic()> emitError);

/// The cost model: the fastest measured schedule of kernel `family` for
/// `headDim` and `elementType` on `chip`, with `tensorCores` forced when
/// given (prefill only: decode is always mma.sync).
GPUScheduleAttr
getDefaultAttentionSchedule(MLIRContext *ctx, const NvidiaChip &chip,
                            KernelFamily family, int64_t headDim,
                            Type elementType,
                            std::optional<TensorCoreKind> tensorCores = {});

/// The head dim of the attention kernels' tiles for an op of head dim
/// `headDim`: 64 for a multiple of 8 below it (the prefill kernel pads the
/// rows with zeros: the scores and the stored columns are the op's), else
/// the head dim itself.
inline int64_t getAttentionTileHeadDim(int64_t headDim) {
  return headDim > 0 && headDim < 64 && headDim % 8 == 0 ? 64 : headDim;
}

/// `start` (a schedule on the op, or null for the cost model's; one of
/// another family counts as null) with `overrides` applied, checked
/// against `chip`, for kernel `family`.
FailureOr<GPUScheduleAttr>
selectAttentionSchedule(MLIRContext *ctx, const NvidiaChip &chip,
                        KernelFamily family, int64_t headDim, Type elementType,
                        GPUScheduleAttr start,
                        const GPUScheduleOverrides &overrides,
                        function_ref<InFlightDiagnostic()> emitError);

/// The schedule of a recurrence or scan kernel of `family`
/// (recurrence_chunk, recurrence_sequential, recurrence_step, scan_blocked
/// or selective_scan): `start` (a schedule on the op, or
/// null; one of another family counts as null) or the model's, with the
/// overrides that apply to it (kv-tile: the chunk length or the state
/// columns of a CTA, kv-stages, min-ctas-per-sm; the attribute verifier
/// checks the values); tensor-cores=wgmma, q-tile and decode-warps are
/// errors.
FailureOr<GPUScheduleAttr>
selectRecurrenceSchedule(MLIRContext *ctx, KernelFamily family,
                         GPUScheduleAttr start,
                         const GPUScheduleOverrides &overrides,
                         function_ref<InFlightDiagnostic()> emitError);

/// The schedule of a mixture-of-experts kernel of `family` (grouped_gemm,
/// moe_route, moe_dispatch or moe_combine): `start` (a schedule on the op,
/// or null; one of another family counts as null) or the model's, with the
/// overrides that apply. grouped_gemm takes q-tile (64 or 128 rows a tile),
/// kv-tile (its output columns; the model takes the widest of 128 and 64
/// dividing `outputColumns`), kv-stages and min-ctas-per-sm, and is checked
/// against `chip` (wgmma, shared memory); the others take only
/// min-ctas-per-sm and leave the rest to the ops they apply to.
FailureOr<GPUScheduleAttr>
selectMoESchedule(MLIRContext *ctx, const NvidiaChip &chip, KernelFamily family,
                  int64_t outputColumns, GPUScheduleAttr start,
                  const GPUScheduleOverrides &overrides,
                  function_ref<InFlightDiagnostic()> emitError);

/// Bytes of shared memory a grouped_gemm CTA of `schedule` reserves.
int64_t getGroupedGemmSharedBytes(GPUScheduleAttr schedule);

/// Whether `schedule` can run the attention kernel of `headDim` on
/// `chip`: its tensor cores exist there, its shared memory (with the key
/// tile list of segment ids when `tileList`) fits a CTA, and its CTAs per
/// SM fit the registers (without a cap below what the kernel needs) and the
/// shared memory of an SM.
LogicalResult checkAttentionSchedule(
    const NvidiaChip &chip, GPUScheduleAttr schedule, int64_t headDim,
    function_ref<InFlightDiagnostic()> emitError, bool tileList = false);

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_CELERISTOGPU_GPUCOSTMODEL_H
