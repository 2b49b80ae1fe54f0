//===- TensorMapCopy.cpp - Tiles copied by the tensor memory accelerator --===//

#include "celeris/GPU/TensorMapCopy.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::celeris;

BlockArgument mlir::celeris::addTensorMapArgument(gpu::GPUFuncOp kernel,
                                                  unsigned source,
                                                  ArrayRef<int64_t> box) {
  MLIRContext *ctx = kernel.getContext();
  Builder builder(ctx);
  auto launch = kernel->getAttrOfType<DictionaryAttr>("celeris.launch");
  assert(launch && "the kernel's launch is recorded first");
  auto names = kernel->getAttrOfType<ArrayAttr>("celeris.arg_names");
  assert(names && source < names.size() && "a named memref argument");
  assert(cast<MemRefType>(kernel.getArgumentTypes()[source]).getRank() ==
             static_cast<int64_t>(box.size()) &&
         "a box extent per dimension");

  unsigned index = kernel.getNumArguments();
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  if (failed(kernel.insertArgument(index, pointer, DictionaryAttr(),
                                   kernel.getLoc())))
    llvm_unreachable("a gpu.func takes any further argument");
  auto count = kernel->getAttrOfType<IntegerAttr>(kTensorMapParamsAttrName);
  kernel->setAttr(kTensorMapParamsAttrName,
                  builder.getI64IntegerAttr(count ? count.getInt() + 1 : 1));

  NamedAttrList map;
  map.append("source", names[source]);
  map.append("box", builder.getDenseI64ArrayAttr(box));
  map.append("swizzle", builder.getI64IntegerAttr(128));
  SmallVector<Attribute> maps;
  if (auto existing = launch.getAs<ArrayAttr>("tensor_maps"))
    maps.append(existing.begin(), existing.end());
  maps.push_back(map.getDictionary(ctx));
  NamedAttrList updated(launch);
  updated.set("tensor_maps", builder.getArrayAttr(maps));
  kernel->setAttr("celeris.launch", updated.getDictionary(ctx));
  return kernel.getArgument(index);
}

void mlir::celeris::copyTensorTile(KernelBuilder &b, const SharedMemory &smem,
                                   Value tensorMap, Value elementOffset,
                                   ValueRange coordinates, Value barrier) {
  MLIRContext *ctx = b.getContext();
  int64_t elementBytes =
      cast<MemRefType>(smem.view().getType()).getElementTypeBitWidth() / 8;
  Value destination =
      smem.pointer(b, b.toI32(b.mul(elementOffset, elementBytes)));
  // The copy names a shared::cluster address; without a cluster a CTA's
  // own shared memory is that window.
  destination = LLVM::AddrSpaceCastOp::create(
      b, LLVM::LLVMPointerType::get(ctx, 7), destination);
  // The tensor map's dimensions run innermost first.
  SmallVector<Value> box;
  for (Value c : llvm::reverse(coordinates))
    box.push_back(b.toI32(c));
  NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
      b, destination, tensorMap, box, barrier, /*im2colOffsets=*/ValueRange{},
      /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
      NVVM::TMALoadModeAttr::get(ctx, NVVM::TMALoadMode::TILE),
      /*isCTAOnly=*/b.getBoolAttr(false), /*group=*/nullptr,
      /*predicate=*/Value());
}

void mlir::celeris::copySwizzledTile(KernelBuilder &b, const SharedMemory &smem,
                                     Value tensorMap, const SharedTile &tile,
                                     Value tileOffset, ValueRange outer,
                                     Value row0, Value column0, Value barrier) {
  assert(tile.layout == TileLayout::Swizzle128B && tile.columns % 64 == 0 &&
         "whole 64-column blocks of the 128-byte swizzle");
  for (int64_t j = 0; j < tile.columns / 64; ++j) {
    SmallVector<Value> at(outer);
    at.append({row0, b.add(column0, j * 64)});
    copyTensorTile(b, smem, tensorMap, b.add(tileOffset, j * tile.rows * 64),
                   at, barrier);
  }
}
