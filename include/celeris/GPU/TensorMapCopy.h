//===- TensorMapCopy.h - Tiles copied by the tensor memory accelerator ----===//
//
// TMA copies (sm_90): one thread starts the copy of a whole tile from
// global to shared memory, and the copy completes on an mbarrier by the
// bytes it wrote. The copy reads through a tensor map, a 128-byte
// descriptor of the global tensor that the runtime encodes at each launch
// over one of the kernel's memref arguments (the manifest's `tensor_map`
// line) and passes by value after the other parameters: the kernel takes it
// as an `!llvm.ptr` argument, which celeris-lower-tensor-map-params turns
// into a grid-constant `byval` parameter after the NVVM lowering.
//
// With a 128-byte swizzle a copy writes the Swizzle128B layout of
// SharedTile: a box whose innermost extent spans 128 bytes (64 2-byte
// elements) lands as one column block, its destination 1024-byte aligned.
// Elements outside the tensor read as zeros and still count as written.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_TENSORMAPCOPY_H
#define CELERIS_GPU_TENSORMAPCOPY_H

#include "celeris/GPU/SharedTile.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::celeris {

/// The kernel attribute counting its trailing tensor-map arguments.
constexpr StringLiteral kTensorMapParamsAttrName = "celeris.tensor_map_params";

/// Appends to `kernel`, whose `celeris.launch` is set, a tensor map over
/// its memref argument `source` (by index) with the 128-byte swizzle, and
/// records it in the launch (`tensor_maps`: the argument's name from
/// `celeris.arg_names`, the box and the swizzle). `box` has an extent per
/// dimension of the argument, outermost first. Returns the new argument.
BlockArgument addTensorMapArgument(gpu::GPUFuncOp kernel, unsigned source,
                                   ArrayRef<int64_t> box);

/// Starts the copy of the box at `coordinates` (index values, a dimension
/// of the tensor each, outermost first) through `tensorMap` into shared
/// memory at element offset `elementOffset` (a multiple of 512: 1024
/// bytes), completing on the mbarrier `barrier` (!llvm.ptr<3>).
void copyTensorTile(KernelBuilder &b, const SharedMemory &smem, Value tensorMap,
                    Value elementOffset, ValueRange coordinates, Value barrier);

/// Starts the copies of `tile` (Swizzle128B, 2-byte elements) at element
/// offset `tileOffset`: rows [row0, row0 + tile.rows) and columns [column0,
/// column0 + tile.columns) of the tensor at `outer` indices, one 64-column
/// block a copy, through `tensorMap` (whose box is 1 x ... x tile.rows x 64),
/// completing on `barrier`.
void copySwizzledTile(KernelBuilder &b, const SharedMemory &smem,
                      Value tensorMap, const SharedTile &tile, Value tileOffset,
                      ValueRange outer, Value row0, Value column0,
                      Value barrier);

} // namespace mlir::celeris

#endif // CELERIS_GPU_TENSORMAPCOPY_H
