//===- PtxInstructions.cpp - PTX that no MLIR 22 op expresses -----------===//
//
// Inline PTX in AT&T operand syntax ($0, $1, ...), volatile. The wgmma
// accumulators are tied operands ("=f" outputs, "0".."n-1" inputs), so the
// instruction reads and writes the same registers.
//
//===----------------------------------------------------------------------===//

#include "celeris/GPU/PtxInstructions.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <string>

using namespace mlir;
using namespace mlir::celeris;

/// Volatile inline PTX returning `n` f32 values.
static SmallVector<Value> asmFloats(KernelBuilder &b, StringRef text,
                                    StringRef constraints, ValueRange operands,
                                    int64_t n) {
  SmallVector<Type> types(n, b.getF32Type());
  auto structType = LLVM::LLVMStructType::getLiteral(b.getContext(), types);
  Value result =
      LLVM::InlineAsmOp::create(
          b, structType, operands, text, constraints, /*has_side_effects=*/true,
          /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
          LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
          ArrayAttr())
          .getResult(0);
  SmallVector<Value> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, result, i));
  return out;
}

SmallVector<Value> ptx::wgmmaRegisterA(KernelBuilder &b, Type elementType,
                                       ArrayRef<Value> accumulators,
                                       ArrayRef<Value> aRegisters,
                                       Value bDescriptor, bool accumulate,
                                       bool transposeB) {
  int64_t n = accumulators.size();
  std::string regs, constraints;
  for (int64_t i = 0; i < n; ++i) {
    regs += (i ? ", $" : "$") + std::to_string(i);
    constraints += "=f,";
  }
  for (int64_t i = 0; i < n; ++i)
    constraints += std::to_string(i) + ",";
  std::string type = elementType.isBF16() ? "bf16" : "f16";
  std::string text = "wgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(2 * n) + "k16.f32." + type + "." + type +
                     " {" + regs + "}, {";
  SmallVector<Value> operands(accumulators);
  int64_t next = 2 * n;
  for (auto [i, reg] : llvm::enumerate(aRegisters)) {
    text += (i ? ", $" : "$") + std::to_string(next++);
    constraints += "r,";
    operands.push_back(reg);
  }
  text += "}, $" + std::to_string(next++) + ", ";
  constraints += "l";
  operands.push_back(bDescriptor);
  // scale-d (0: D = A B), scale-a, scale-b, transpose-b.
  text += accumulate ? "1, 1, 1" : "0, 1, 1";
  text += transposeB ? ", 1;" : ", 0;";
  return asmFloats(b, text, constraints, operands, n);
}

SmallVector<Value> ptx::fenceRegisters(KernelBuilder &b,
                                       ArrayRef<Value> values) {
  int64_t n = values.size();
  std::string constraints;
  for (int64_t i = 0; i < n; ++i)
    constraints += "=f,";
  for (int64_t i = 0; i < n; ++i)
    constraints += std::to_string(i) + (i + 1 < n ? "," : "");
  return asmFloats(b, "", constraints, values, n);
}

Value ptx::tanhApprox(KernelBuilder &b, Value x) {
  return LLVM::InlineAsmOp::create(
             b, b.getF32Type(), ValueRange{x}, "tanh.approx.f32 $0, $1;",
             "=f,f", /*has_side_effects=*/false, /*is_align_stack=*/false,
             LLVM::tailcallkind::TailCallKind::None,
             LLVM::AsmDialectAttr::get(b.getContext(),
                                       LLVM::AsmDialect::AD_ATT),
             ArrayAttr())
      .getResult(0);
}
