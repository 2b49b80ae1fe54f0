//===- CombineKernel.cpp - The moe_combine kernel family ------------------===//
//
// celeris.combine on the CUDA cores: CTA (t, x) sums, for token t, the
// weighted expert rows row_map[t, :] names over 256 V columns (8 warps, V
// consecutive columns a thread, loaded as one vector: V = 8 where the row
// width allows it). Each output element is the sum over the slots in slot
// order, in f32: deterministic, and no atomics.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kThreads = 256;

/// Columns a thread sums: 8 when they are a row's 16-byte (or wider)
/// vector, else the widest power of two dividing the static row width.
int64_t getVectorWidth(MemRefType y) {
  int64_t columns = y.getDimSize(1);
  if (ShapedType::isDynamic(columns))
    return 1;
  for (int64_t width : {8, 4, 2})
    if (columns % width == 0)
      return width;
  return 1;
}

void emitCombineKernel(gpu::GPUFuncOp kernel, const CombineKernelSpec &spec) {
  using Pred = arith::CmpIPredicate;
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  Value y = kernel.getArgument(0), weights = kernel.getArgument(1),
        rowMap = kernel.getArgument(2), out = kernel.getArgument(3);
  int64_t width = getVectorWidth(spec.y);
  Type elementType = spec.y.getElementType();
  auto f32Vector = VectorType::get({width}, b.getF32Type());
  auto rowVector = VectorType::get({width}, elementType);
  // Rows are whole vectors apart, and the runtime checks that the tensors
  // start 16-byte aligned.
  llvm::MaybeAlign align(
      std::min<int64_t>(16, width * elementType.getIntOrFloatBitWidth() / 8));

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value token = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value column = b.mul(
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::y), kThreads), tid),
      width);
  Value columns = memref::DimOp::create(b, y, 1);
  Value rows = memref::DimOp::create(b, y, 0);
  Value slots = memref::DimOp::create(b, rowMap, 1);
  b.ifThen(b.cmp(Pred::slt, column, columns), [&] {
    Value zeros = arith::ConstantOp::create(
        b, f32Vector, DenseElementsAttr::get(f32Vector, 0.0f));
    auto sum =
        scf::ForOp::create(b, b.idx(0), slots, b.idx(1), ValueRange{zeros});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(sum.getBody());
      Value j = sum.getInductionVar();
      Value acc = sum.getRegionIterArgs()[0];
      Value row = b.toIndex(memref::LoadOp::create(b, rowMap, {token, j}));
      // Dropped slots (-1), and rows a bad map points outside y, add
      // nothing.
      Value kept =
          b.andI(b.cmp(Pred::sge, row, b.idx(0)), b.cmp(Pred::slt, row, rows));
      auto add = scf::IfOp::create(b, TypeRange{f32Vector}, kept,
                                   /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard ifGuard(b);
        b.setInsertionPointToStart(add.thenBlock());
        Value weight = loadAsF32(b, b.getLoc(), weights, {token, j});
        Value values =
            vector::LoadOp::create(b, rowVector, y, ValueRange{row, column},
                                   /*nontemporal=*/false, align);
        if (!elementType.isF32())
          values = arith::ExtFOp::create(b, f32Vector, values);
        Value splat = vector::BroadcastOp::create(b, f32Vector, weight);
        scf::YieldOp::create(
            b, ValueRange{vector::FMAOp::create(b, values, splat, acc)});
        b.setInsertionPointToStart(add.elseBlock());
        scf::YieldOp::create(b, ValueRange{acc});
      }
      scf::YieldOp::create(b, add.getResults());
    }
    Value result = sum.getResult(0);
    if (!elementType.isF32())
      result = arith::TruncFOp::create(b, rowVector, result);
    vector::StoreOp::create(b, result, out, ValueRange{token, column},
                            /*nontemporal=*/false, align);
  });
  gpu::ReturnOp::create(b);
}

} // namespace

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildCombineKernel(gpu::GPUModuleOp module, StringRef name,
                                  Location loc, const CombineKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  FailureOr<gpu::GPUFuncOp> created = createKernel(module, name, loc,
                                                   {{spec.y, "y"},
                                                    {spec.weights, "weights"},
                                                    {spec.rowMap, "row_map"},
                                                    {spec.out, "out"}},
                                                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;
  NamedAttrList sizes;
  sizes.append("T", builder.getStringAttr("row_map[0]"));
  std::string columns = std::to_string(spec.y.getDimSize(1));
  if (spec.y.isDynamicDim(1)) {
    sizes.append("F", builder.getStringAttr("y[1]"));
    columns = "F";
  }
  int64_t perCta = kThreads * getVectorWidth(spec.y);
  NamedAttrList launch = getKernelLaunch(
      builder, {"T", "ceildiv(" + columns + "," + std::to_string(perCta) + ")"},
      kThreads, /*sharedBytes=*/0);
  launch.append("sizes", sizes.getDictionary(ctx));
  NamedAttrList results;
  results.append("out", builder.getStrArrayAttr({"row_map[0]", "y[1]"}));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  emitCombineKernel(kernel, spec);
  return kernel;
}
