//===- ScanKernel.h - The blocked scan kernels ------------------*- C++ -*-===//
//
// What the scan_blocked (celeris.scan) and selective_scan
// (celeris.selective_scan) kernels need to know about their op, and their
// builders. Internal to the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_SCANKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_SCANKERNEL_H

#include "OperandPrologue.h"

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>

namespace mlir::celeris {

/// A celeris.scan as the kernel sees it.
struct ScanKernelSpec {
  GPUScheduleAttr schedule;
  /// Kernel argument types (memrefs with the function's static extents; a
  /// with a prologue has its argument's type); initial is null when absent.
  MemRefType a, b, initial, h;
  /// The elementwise math the function applies to the arguments a, b and
  /// initial come from, applied by the kernel as it loads them.
  std::optional<OperandPrologue> aPrologue, bPrologue, initialPrologue;
  int64_t axis = 0;
  bool reverse = false;
};

/// A celeris.selective_scan as the kernel sees it.
struct SelectiveScanKernelSpec {
  GPUScheduleAttr schedule;
  /// Kernel argument types; D, z, deltaBias and lastState are null when
  /// absent.
  MemRefType u, delta, A, Bmat, C, D, z, deltaBias, y, lastState;
  /// Prologues of the operands read element by element (all but none).
  std::optional<OperandPrologue> uPrologue, deltaPrologue, APrologue,
      BmatPrologue, CPrologue, DPrologue, zPrologue, deltaBiasPrologue;
  bool deltaSoftplus = false;

  int64_t getStateDim() const { return A.getDimSize(1); }
};

/// Adds the kernel `name` computing `spec` to `module`. Arguments: a, b,
/// initial (when present), h.
FailureOr<gpu::GPUFuncOp> buildScanKernel(gpu::GPUModuleOp module,
                                          StringRef name, Location loc,
                                          const ScanKernelSpec &spec);

/// Adds the kernel `name` computing `spec` to `module`. Arguments: u, delta,
/// A, B, C, D, z, delta_bias (each when present), y, last_state (when
/// returned).
FailureOr<gpu::GPUFuncOp>
buildSelectiveScanKernel(gpu::GPUModuleOp module, StringRef name, Location loc,
                         const SelectiveScanKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_SCANKERNEL_H
