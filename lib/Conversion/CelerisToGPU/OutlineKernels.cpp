//===- OutlineKernels.cpp - The celeris-outline-kernels pass ----*- C++ -*-===//
//
// A kernel is the lowering of a function of one Celeris op (FunctionKernel.h
// says why the function is the unit). A function of several becomes a
// program: each op moves, with the ops computing its operands, into a
// function of its own that the program calls.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::celeris {
#define GEN_PASS_DEF_CELERISOUTLINEKERNELS
#include "celeris/Conversion/Passes.h.inc"
} // namespace mlir::celeris

using namespace mlir;
using namespace mlir::celeris;

/// The ops of a program that become kernels: Celeris ops, and linalg ops
/// other than fills (which start another linalg op's output).
bool mlir::celeris::isLoopNestOp(Operation *op) {
  return isa<linalg::LinalgOp>(op) && !isa<linalg::FillOp>(op);
}

static bool isKernelOp(Operation *op) {
  return isa<CelerisDialect>(op->getDialect()) || isLoopNestOp(op);
}

/// A reshape between kernels: the program shows the same buffer with
/// another shape.
static bool isProgramView(Operation *op) {
  return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op);
}

bool mlir::celeris::isProgramCallee(func::FuncOp func) {
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, func->getParentOp());
  return uses && !uses->empty() &&
         llvm::all_of(*uses, [](const SymbolTable::SymbolUse &use) {
           auto caller = use.getUser()->getParentOfType<func::FuncOp>();
           return isa<func::CallOp>(use.getUser()) && caller &&
                  caller->hasAttr(kProgramAttrName);
         });
}

/// Moves `op` and the ops of its function computing its operands (up to the
/// function's arguments and other Celeris ops' results) into a new function
/// named after both, and calls it in `op`'s place.
static void outlineKernelOp(func::FuncOp func, Operation *op,
                            SymbolTable &symbols) {
  Block &block = func.getBody().front();
  BackwardSliceOptions options;
  options.omitUsesFromAbove = false;
  // The filter also admits the root; the calls of ops outlined before this
  // one are kernels of their own, and reshapes stay in the program as
  // views.
  options.filter = [&](Operation *candidate) {
    return candidate == op ||
           (candidate->getBlock() == &block && !isKernelOp(candidate) &&
            !isa<func::CallOp>(candidate) && !isProgramView(candidate));
  };
  SetVector<Operation *> slice;
  (void)getBackwardSlice(op, &slice, options);
  // The values the outlined ops read from outside them, in first-use order.
  SetVector<Value> inputs;
  auto collect = [&](Operation *user) {
    user->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        Operation *def = operand.getDefiningOp();
        bool inside = def ? (slice.contains(def) || user->isAncestor(def))
                          : cast<BlockArgument>(operand).getOwner() != &block;
        if (!inside)
          inputs.insert(operand);
      }
    });
  };
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *sliced : ordered)
    collect(sliced);
  collect(op);

  OpBuilder builder(func);
  // `<function>_<op>`, then `_1`, `_2`, ... for the next ops of a kind.
  std::string base =
      (func.getSymName() + "_" + op->getName().stripDialect()).str();
  std::string name = base;
  for (int i = 1; symbols.lookup(name); ++i)
    name = base + "_" + std::to_string(i);
  auto callee = func::FuncOp::create(
      builder, op->getLoc(), name,
      builder.getFunctionType(TypeRange(inputs.getArrayRef()),
                              op->getResultTypes()));
  callee.setPrivate();
  symbols.insert(callee, Block::iterator(func));
  Block *body = callee.addEntryBlock();
  IRMapping mapping;
  for (auto [input, arg] : llvm::zip(inputs, body->getArguments()))
    mapping.map(input, arg);
  OpBuilder inner = OpBuilder::atBlockEnd(body);
  for (Operation *sliced : ordered)
    inner.clone(*sliced, mapping);
  Operation *moved = inner.clone(*op, mapping);
  func::ReturnOp::create(inner, op->getLoc(), moved->getResults());

  builder.setInsertionPoint(op);
  auto call =
      func::CallOp::create(builder, op->getLoc(), callee, inputs.getArrayRef());
  op->replaceAllUsesWith(call.getResults());
  op->erase();
}

LogicalResult mlir::celeris::outlineKernelFunctions(ModuleOp module) {
  SymbolTable symbols(module);
  bool failedAny = false;
  for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
    if (func.isExternal() || !func.getBody().hasOneBlock() ||
        func->hasAttr(kProgramAttrName))
      continue;
    Block &block = func.getBody().front();
    SmallVector<Operation *> kernelOps;
    bool celeris = false;
    for (Operation &op : block.without_terminator())
      if (isKernelOp(&op)) {
        kernelOps.push_back(&op);
        celeris |= isa<CelerisDialect>(op.getDialect());
      }
    if (kernelOps.size() < 2 || !celeris)
      continue;
    for (Operation *op : kernelOps)
      outlineKernelOp(func, op, symbols);
    // What fed the outlined ops now feeds nothing; anything else left but
    // reshapes (views of buffers) is a computation no kernel does.
    SmallVector<Operation *> ops = llvm::map_to_vector(
        block.without_terminator(), [](Operation &op) { return &op; });
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty() && isPure(op))
        op->erase();
    // Views stay, with the pure ops computing their shapes.
    DenseSet<Operation *> views;
    for (Operation &op : llvm::reverse(block.without_terminator()))
      if (isProgramView(&op) ||
          (isPure(&op) && !op.use_empty() &&
           llvm::all_of(op.getUsers(),
                        [&](Operation *user) { return views.contains(user); })))
        views.insert(&op);
    for (Operation &op : block.without_terminator()) {
      if (isa<func::CallOp>(op) || views.contains(&op))
        continue;
      op.emitError() << "'" << op.getName() << "' of @" << func.getSymName()
                     << " computes no Celeris op's operand: in a function of "
                        "several Celeris ops, each becomes a kernel, and the "
                        "other ops must be elementwise math a kernel applies "
                        "to its operands";
      failedAny = true;
      break;
    }
    func->setAttr(kProgramAttrName, UnitAttr::get(func.getContext()));
  }
  return failure(failedAny);
}

namespace mlir::celeris {
namespace {
struct CelerisOutlineKernelsPass
    : impl::CelerisOutlineKernelsBase<CelerisOutlineKernelsPass> {
  void runOnOperation() override {
    if (failed(outlineKernelFunctions(getOperation())))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::celeris
