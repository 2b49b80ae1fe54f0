//===- AttentionKernel.h - The attention kernel families --------*- C++ -*-===//
//
// What the attention kernel families (prefill and decode) need to know
// about one celeris.attention, and the builder of its kernel.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNEL_H

#include "celeris/Conversion/CelerisToGPU/GPUCostModel.h"
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/GPU/KernelBuilder.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>

namespace mlir::celeris {

/// The most splits of the key sequence a decode launch uses: the merge
/// reduces them over the lanes of a warp, kMaxDecodeSplits / 32 a lane.
constexpr int64_t kMaxDecodeSplits = 32;

/// A celeris.attention as the kernel sees it; what is fixed at compile time.
struct AttentionKernelSpec {
  GPUScheduleAttr schedule;
  /// Kernel argument types: memrefs with the function's static extents.
  MemRefType query, key, value, output, lse, alibiSlopes, kvLengths;
  MemRefType qSegmentIds, kvSegmentIds, cuSeqlensQ, cuSeqlensKv;
  MemRefType blockCounts, blockIndices, pageTable;
  /// [query block, key block] of the block layout.
  SmallVector<int64_t, 2> blockSize;
  MaskAttr mask;
  /// query_offset when given; else Sk - Sq (kv_lengths: lens[b] - Sq).
  std::optional<int64_t> queryOffset;
  double scale;
  std::optional<double> softcap;
  /// Bytes of dynamic shared memory the launch reserves.
  int64_t sharedBytes = 0;
  /// Decode: the CTAs the chip holds at once (its SMs times the CTAs per SM
  /// the shared memory allows); the split count follows.
  int64_t decodeSlots = 0;

  /// The head dim of the tiles (64 for the op's smaller ones, padded with
  /// zeros) and of the operands.
  int64_t getHeadDim() const {
    return getAttentionTileHeadDim(getSourceHeadDim());
  }
  int64_t getSourceHeadDim() const { return query.getDimSize(3); }
  /// The column from which a padded tile holds zeros (null when the tiles
  /// are the operands' width).
  Value getColumnLimit(KernelBuilder &b) const {
    return getSourceHeadDim() < getHeadDim() ? b.idx(getSourceHeadDim())
                                             : Value();
  }
  bool isDecode() const {
    return schedule.getKernel() == KernelFamily::AttentionDecode;
  }
  /// Whether one thread copies the Q, K and V tiles by TMA (wgmma prefill
  /// over whole, unpadded operands): rows past a sequence then read as
  /// zeros only at the end of the tensor, so not with varlen packing, key
  /// lengths or pages, whose limits fall inside it.
  bool copiesByTensorMaps() const {
    return schedule.getTensorCores() == TensorCoreKind::Wgmma && !isDecode() &&
           !cuSeqlensQ && !kvLengths && !pageTable &&
           getSourceHeadDim() == getHeadDim();
  }
  Type getElementType() const { return query.getElementType(); }
};

/// Dynamic shared memory of the attention kernel of `schedule`: the Q tile,
/// the stages of K and V tiles, the list of key tiles (`tileList`: with
/// segment ids) or the decode merge's weights, the mbarriers and alignment
/// slack.
int64_t getAttentionSharedBytes(GPUScheduleAttr schedule, int64_t headDim,
                                bool tileList = false);

/// Adds the kernel `name` computing `spec` to `module`, of the family its
/// schedule names.
FailureOr<gpu::GPUFuncOp> buildAttentionKernel(gpu::GPUModuleOp module,
                                               StringRef name, Location loc,
                                               const AttentionKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONKERNEL_H
