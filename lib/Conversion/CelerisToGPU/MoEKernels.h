//===- MoEKernels.h - The mixture-of-experts kernels ------------*- C++ -*-===//
//
// What the grouped_gemm (celeris.grouped_matmul), moe_route
// (celeris.route), moe_dispatch (celeris.dispatch) and moe_combine
// (celeris.combine) kernels need to know about their op, and their
// builders. Internal to the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_MOEKERNELS_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_MOEKERNELS_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>

namespace mlir::celeris {

/// A celeris.grouped_matmul: y[N, f] from x[N, d], w[E, d, f] and the
/// cumulative end offsets of the E row groups.
struct GroupedGemmKernelSpec {
  GPUScheduleAttr schedule;
  MemRefType x, w, offsets, y;
  /// The gather form's source_rows [N] (null without): x is then [T, d] and
  /// row i of the product reads x[source_rows[i]].
  MemRefType sourceRows;
  /// The up projection of the swiglu form (null without): a tile's kv_tile
  /// accumulator columns are then half gate, half up, and it writes
  /// silu(gate) * up, kv_tile / 2 columns of y.
  MemRefType wUp;
};

/// A token-choice celeris.route: weights and experts [T, k] from logits
/// [T, E] and an optional selection bias [E].
struct RouteKernelSpec {
  GPUScheduleAttr schedule;
  MemRefType logits, bias, weights, experts;
  int64_t k = 1;
  bool sigmoid = false, renormalize = false;
  /// Group-limited selection (0: none).
  int64_t numGroups = 0, topkGroups = 0;
  double scalingFactor = 1.0;
  /// Expert choice: the tokens an expert picks (0: token choice). The
  /// results are then weights and indices [E, capacity].
  int64_t capacity = 0;
};

/// A celeris.dispatch: permuted [T k, d], offsets [E] and row_map [T, k]
/// from x [T, d] and experts [T, k]; or a celeris.dispatch_map:
/// source_rows [T k] instead of permuted, and no x.
struct DispatchKernelSpec {
  GPUScheduleAttr schedule;
  MemRefType x, experts, permuted, sourceRows, offsets, rowMap;
  int64_t numExperts = 0;
  std::optional<int64_t> capacity;
};

/// A celeris.combine: out [T, f] from y [N, f], weights and row_map [T, k].
struct CombineKernelSpec {
  GPUScheduleAttr schedule;
  MemRefType y, weights, rowMap, out;
};

/// Adds the kernel `name` computing `spec` to `module`. Arguments: x, w,
/// offsets, source_rows and w_up when present, y.
FailureOr<gpu::GPUFuncOp>
buildGroupedGemmKernel(gpu::GPUModuleOp module, StringRef name, Location loc,
                       const GroupedGemmKernelSpec &spec);
/// Arguments: logits, bias (when present), weights, experts.
FailureOr<gpu::GPUFuncOp> buildRouteKernel(gpu::GPUModuleOp module,
                                           StringRef name, Location loc,
                                           const RouteKernelSpec &spec);
/// Expert-choice routing (`spec.capacity` set). Arguments: logits, bias
/// (when present), weights, indices, and with softmax scores the workspace
/// (the statistics kernel runs first, the select kernel as its step).
FailureOr<gpu::GPUFuncOp> buildExpertChoiceKernel(gpu::GPUModuleOp module,
                                                  StringRef name, Location loc,
                                                  const RouteKernelSpec &spec);
/// Bytes of shared memory an expert-choice select CTA uses for `capacity`.
int64_t getExpertChoiceSharedBytes(int64_t capacity);
/// The largest capacity an expert's picks sort in shared memory.
constexpr int64_t kMaxExpertChoiceCapacity = 16384;

/// Arguments: x, experts, permuted (the map form: experts, source_rows),
/// offsets, row_map, and the workspace.
/// The kernel is the first of the steps the launch runs in order.
FailureOr<gpu::GPUFuncOp> buildDispatchKernel(gpu::GPUModuleOp module,
                                              StringRef name, Location loc,
                                              const DispatchKernelSpec &spec);
/// Arguments: y, weights, row_map, out.
FailureOr<gpu::GPUFuncOp> buildCombineKernel(gpu::GPUModuleOp module,
                                             StringRef name, Location loc,
                                             const CombineKernelSpec &spec);

/// The most experts the routing and dispatch kernels take: a warp holds a
/// token's scores in registers, E / 32 a lane; dispatch keeps per-warp
/// counts of every expert in shared memory.
constexpr int64_t kMaxRoutedExperts = 1024;
/// The most experts a token picks on the GPU (a warp-wide arg-max each).
constexpr int64_t kMaxRoutedTopK = 32;

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_MOEKERNELS_H
