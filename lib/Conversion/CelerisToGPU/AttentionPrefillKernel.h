//===- AttentionPrefillKernel.h - The attention prefill family --*- C++ -*-===//
//
// What the prefill kernel family needs to know about one celeris.attention,
// and the builder of its kernel.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONPREFILLKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONPREFILLKERNEL_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>

namespace mlir::celeris {

/// A celeris.attention as the kernel sees it; what is fixed at compile time.
struct AttentionKernelSpec {
  GPUScheduleAttr schedule;
  /// Kernel argument types: memrefs with the function's static extents.
  MemRefType query, key, value, output, lse, alibiSlopes, kvLengths;
  MemRefType qSegmentIds, kvSegmentIds, cuSeqlensQ, cuSeqlensKv;
  MemRefType blockCounts, blockIndices;
  /// [query block, key block] of the block layout.
  SmallVector<int64_t, 2> blockSize;
  MaskAttr mask;
  /// query_offset when given; else Sk - Sq (kv_lengths: lens[b] - Sq).
  std::optional<int64_t> queryOffset;
  double scale;
  std::optional<double> softcap;
  /// Bytes of dynamic shared memory the launch reserves.
  int64_t sharedBytes = 0;

  int64_t getHeadDim() const { return query.getDimSize(3); }
  Type getElementType() const { return query.getElementType(); }
};

/// Dynamic shared memory of the prefill kernel of `schedule`: the Q tile,
/// the stages of K and V tiles, the list of key tiles (`tileList`: with
/// segment ids), the mbarriers and alignment slack.
int64_t getAttentionPrefillSharedBytes(GPUScheduleAttr schedule,
                                       int64_t headDim, bool tileList = false);

/// Adds the kernel `name` computing `spec` to `module`.
FailureOr<gpu::GPUFuncOp>
buildAttentionPrefillKernel(gpu::GPUModuleOp module, StringRef name,
                            Location loc, const AttentionKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_ATTENTIONPREFILLKERNEL_H
