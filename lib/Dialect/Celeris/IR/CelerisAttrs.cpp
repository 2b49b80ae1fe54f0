//===- CelerisAttrs.cpp - Celeris attributes --------------------*- C++ -*-===//
//
// Parsing, printing, verification and evaluation of `#celeris.mask`.
//
// Textual form (one node):
//   primitive   ::= `all` | `none` | `causal` | `sink<n>` | `strided<s>`
//                 | `block_causal<b>` | `prefix<n>` | `chunked<c>`
//                 | `window<left = l, right = r>`
//                 | `dilated<rate = r, segment = w>` | `global<[t, ...]>`
//   combinator  ::= (`union` | `intersect`) `(` mask (`,` mask)+ `)`
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::celeris;

#include "celeris/Dialect/Celeris/IR/CelerisEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.cpp.inc"

void CelerisDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Named constructors
//===----------------------------------------------------------------------===//

MaskAttr MaskAttr::getAll(MLIRContext *ctx) { return get(ctx, MaskKind::All); }
MaskAttr MaskAttr::getNone(MLIRContext *ctx) {
  return get(ctx, MaskKind::None);
}
MaskAttr MaskAttr::getCausal(MLIRContext *ctx) {
  return get(ctx, MaskKind::Causal);
}
MaskAttr MaskAttr::getWindow(MLIRContext *ctx, int64_t left, int64_t right) {
  return get(ctx, MaskKind::Window, {left, right});
}
MaskAttr MaskAttr::getUnion(MLIRContext *ctx, ArrayRef<MaskAttr> operands) {
  return get(ctx, MaskKind::Union, {}, operands);
}
MaskAttr MaskAttr::getIntersect(MLIRContext *ctx, ArrayRef<MaskAttr> operands) {
  return get(ctx, MaskKind::Intersect, {}, operands);
}

//===----------------------------------------------------------------------===//
// Parameter signatures
//===----------------------------------------------------------------------===//

namespace {
/// How a node kind spells its integer parameters.
struct ParamSignature {
  /// Names of keyword parameters (`window<left = 1, right = 0>`); a single
  /// unnamed parameter when empty and `count` is 1.
  SmallVector<StringRef, 2> names;
  /// Number of parameters; -1 for a non-empty list (`global`).
  int count;
};
} // namespace

static ParamSignature getParamSignature(MaskKind kind) {
  switch (kind) {
  case MaskKind::Window:
    return {{"left", "right"}, 2};
  case MaskKind::Dilated:
    return {{"rate", "segment"}, 2};
  case MaskKind::Sink:
  case MaskKind::Strided:
  case MaskKind::BlockCausal:
  case MaskKind::Prefix:
  case MaskKind::Chunked:
    return {{}, 1};
  case MaskKind::Global:
    return {{}, -1};
  case MaskKind::None:
  case MaskKind::All:
  case MaskKind::Causal:
  case MaskKind::Union:
  case MaskKind::Intersect:
    return {{}, 0};
  }
  llvm_unreachable("unknown mask kind");
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

LogicalResult MaskAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               MaskKind kind, ArrayRef<int64_t> params,
                               ArrayRef<MaskAttr> operands) {
  StringRef name = stringifyMaskKind(kind);
  bool combinator = kind == MaskKind::Union || kind == MaskKind::Intersect;
  if (combinator) {
    if (operands.size() < 2)
      return emitError() << "mask '" << name
                         << "' expects at least 2 operands, got "
                         << operands.size();
    if (!params.empty())
      return emitError() << "mask '" << name << "' takes no parameters";
    return success();
  }
  if (!operands.empty())
    return emitError() << "mask primitive '" << name
                       << "' takes no mask operands";

  ParamSignature sig = getParamSignature(kind);
  if (sig.count >= 0 && static_cast<int>(params.size()) != sig.count)
    return emitError() << "mask '" << name << "' expects " << sig.count
                       << " parameter(s), got " << params.size();
  switch (kind) {
  case MaskKind::Window:
    if (params[0] < 0 || params[1] < 0)
      return emitError() << "mask 'window' expects non-negative left and "
                            "right extents, got left = "
                         << params[0] << ", right = " << params[1];
    break;
  case MaskKind::Dilated:
    if (params[0] < 1 || params[1] < 1)
      return emitError() << "mask 'dilated' expects a positive rate and "
                            "segment, got rate = "
                         << params[0] << ", segment = " << params[1];
    if (params[1] % params[0] != 0)
      return emitError() << "mask 'dilated' expects the segment (" << params[1]
                         << ") to be a multiple of the rate (" << params[0]
                         << ")";
    break;
  case MaskKind::Sink:
  case MaskKind::Strided:
  case MaskKind::BlockCausal:
  case MaskKind::Prefix:
  case MaskKind::Chunked:
    if (params[0] < 1)
      return emitError() << "mask '" << name
                         << "' expects a positive parameter, got " << params[0];
    break;
  case MaskKind::Global:
    if (params.empty())
      return emitError() << "mask 'global' expects at least one token";
    for (auto [i, token] : llvm::enumerate(params)) {
      if (token < 0)
        return emitError() << "mask 'global' expects non-negative token "
                              "positions, got "
                           << token;
      if (i > 0 && params[i - 1] >= token)
        return emitError() << "mask 'global' expects strictly increasing "
                              "token positions, got "
                           << params[i - 1] << " before " << token;
    }
    break;
  default:
    break;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Parsing and printing
//===----------------------------------------------------------------------===//

static FailureOr<MaskAttr> parseMaskNode(AsmParser &parser) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<MaskKind> kind = symbolizeMaskKind(keyword);
  if (!kind) {
    parser.emitError(loc) << "unknown mask '" << keyword
                          << "'; expected one of all, none, causal, window, "
                             "sink, dilated, strided, block_causal, prefix, "
                             "chunked, global, union, intersect";
    return failure();
  }
  auto emitError = [&] { return parser.emitError(loc); };

  if (*kind == MaskKind::Union || *kind == MaskKind::Intersect) {
    SmallVector<MaskAttr> operands;
    if (parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Paren, [&]() -> ParseResult {
              FailureOr<MaskAttr> operand = parseMaskNode(parser);
              if (failed(operand))
                return failure();
              operands.push_back(*operand);
              return success();
            }))
      return failure();
    return MaskAttr::getChecked(emitError, ctx, *kind, ArrayRef<int64_t>{},
                                operands);
  }

  ParamSignature sig = getParamSignature(*kind);
  SmallVector<int64_t> params;
  if (sig.count != 0) {
    if (parser.parseLess())
      return failure();
    if (sig.count < 0) {
      if (parser.parseCommaSeparatedList(
              AsmParser::Delimiter::Square, [&]() -> ParseResult {
                return parser.parseInteger(params.emplace_back());
              }))
        return failure();
    } else if (sig.names.empty()) {
      if (parser.parseInteger(params.emplace_back()))
        return failure();
    } else {
      for (auto [i, name] : llvm::enumerate(sig.names)) {
        if ((i > 0 && parser.parseComma()) || parser.parseKeyword(name) ||
            parser.parseEqual() || parser.parseInteger(params.emplace_back()))
          return failure();
      }
    }
    if (parser.parseGreater())
      return failure();
  }
  return MaskAttr::getChecked(emitError, ctx, *kind, params,
                              ArrayRef<MaskAttr>{});
}

Attribute MaskAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FailureOr<MaskAttr> mask = parseMaskNode(parser);
  if (failed(mask) || parser.parseGreater())
    return {};
  return *mask;
}

static void printMaskNode(AsmPrinter &printer, MaskAttr mask) {
  printer << stringifyMaskKind(mask.getKind());
  if (mask.isCombinator()) {
    printer << '(';
    llvm::interleaveComma(mask.getOperands(), printer,
                          [&](MaskAttr m) { printMaskNode(printer, m); });
    printer << ')';
    return;
  }
  ParamSignature sig = getParamSignature(mask.getKind());
  ArrayRef<int64_t> params = mask.getParams();
  if (sig.count == 0)
    return;
  printer << '<';
  if (sig.count < 0) {
    printer << '[';
    llvm::interleaveComma(params, printer);
    printer << ']';
  } else if (sig.names.empty()) {
    printer << params[0];
  } else {
    llvm::interleaveComma(
        llvm::zip(sig.names, params), printer, [&](auto pair) {
          printer << std::get<0>(pair) << " = " << std::get<1>(pair);
        });
  }
  printer << '>';
}

void MaskAttr::print(AsmPrinter &printer) const {
  printer << '<';
  printMaskNode(printer, *this);
  printer << '>';
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

/// Floor division and modulo, so that positions before 0 (negative query
/// offsets) still fall into well-defined blocks.
static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static int64_t floorMod(int64_t a, int64_t b) { return a - floorDiv(a, b) * b; }

bool MaskAttr::allows(int64_t p, int64_t j) const {
  ArrayRef<int64_t> params = getParams();
  switch (getKind()) {
  case MaskKind::None:
    return false;
  case MaskKind::All:
    return true;
  case MaskKind::Causal:
    return j <= p;
  case MaskKind::Window:
    return p - params[0] <= j && j <= p + params[1];
  case MaskKind::Sink:
    return j < params[0];
  case MaskKind::Dilated: {
    int64_t rate = params[0], segment = params[1];
    return floorDiv(p, segment) == floorDiv(j, segment) &&
           floorMod(p, segment) % rate == 0 && floorMod(j, segment) % rate == 0;
  }
  case MaskKind::Strided:
    return floorMod(p - j, params[0]) == 0;
  case MaskKind::BlockCausal:
    return floorDiv(j, params[0]) <= floorDiv(p, params[0]);
  case MaskKind::Prefix:
    return j <= p || j < params[0];
  case MaskKind::Chunked:
    return floorDiv(p, params[0]) == floorDiv(j, params[0]);
  case MaskKind::Global:
    return llvm::is_contained(params, p) || llvm::is_contained(params, j);
  case MaskKind::Union:
    return llvm::any_of(getOperands(),
                        [&](MaskAttr m) { return m.allows(p, j); });
  case MaskKind::Intersect:
    return llvm::all_of(getOperands(),
                        [&](MaskAttr m) { return m.allows(p, j); });
  }
  llvm_unreachable("unknown mask kind");
}

bool MaskAttr::dependsOnQueryPosition() const {
  switch (getKind()) {
  case MaskKind::None:
  case MaskKind::All:
  case MaskKind::Sink:
    return false;
  case MaskKind::Union:
  case MaskKind::Intersect:
    return llvm::any_of(getOperands(),
                        [](MaskAttr m) { return m.dependsOnQueryPosition(); });
  default:
    return true;
  }
}

//===----------------------------------------------------------------------===//
// GPUScheduleAttr
//===----------------------------------------------------------------------===//

LogicalResult
GPUScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        KernelFamily kernel, TensorCoreKind tensorCores,
                        int64_t warps, int64_t kvTile, int64_t stages,
                        int64_t minCtasPerSm) {
  if (kernel == KernelFamily::RecurrenceStep) {
    // A state column a lane, the key rows split over 4 warps.
    if (tensorCores != TensorCoreKind::MmaSync || warps != 4 || kvTile != 32 ||
        stages != 1)
      return emitError() << "gpu_schedule: recurrence_step kernels are 4 warps "
                            "over 32 state columns in 1 stage (tensor_cores "
                            "mma_sync, unused), got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores) << ", "
                         << kvTile << " columns, " << stages << " stage(s)";
  } else if (kernel == KernelFamily::ScanBlocked ||
             kernel == KernelFamily::SelectiveScan) {
    // 32 channels a CTA, a lane each; 8 warps take consecutive runs of
    // kv_tile tokens of a block and combine their carries through
    // double-buffered shared memory.
    if (tensorCores != TensorCoreKind::MmaSync || warps != 8 || kvTile != 8 ||
        stages != 2)
      return emitError() << "gpu_schedule: " << stringifyKernelFamily(kernel)
                         << " kernels are 8 warps over 32 channels, 8 tokens "
                            "a warp, 2 stages (tensor_cores mma_sync, unused), "
                            "got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores) << ", "
                         << kvTile << " tokens, " << stages << " stage(s)";
  } else if (kernel == KernelFamily::GroupedGemm) {
    // Warpgroups of 64 rows over 64-deep operand tiles in shared memory.
    if (tensorCores != TensorCoreKind::Wgmma || (warps != 4 && warps != 8))
      return emitError() << "gpu_schedule: grouped_gemm kernels are 4 or 8 "
                            "warps of wgmma (tiles of 64 or 128 rows), got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores);
    if (kvTile != 64 && kvTile != 128 && kvTile != 256)
      return emitError() << "gpu_schedule: grouped_gemm kv_tile (the output "
                            "columns of a tile) must be 64, 128 or 256, got "
                         << kvTile;
    if (stages < 2 || stages > 6)
      return emitError() << "gpu_schedule: grouped_gemm kernels stream their "
                            "operand tiles through 2 to 6 stages, got "
                         << stages;
  } else if (kernel == KernelFamily::MoeRoute ||
             kernel == KernelFamily::MoeDispatch ||
             kernel == KernelFamily::MoeCombine ||
             kernel == KernelFamily::LoopNest) {
    if (tensorCores != TensorCoreKind::MmaSync || warps != 8 || kvTile != 32 ||
        stages != 1)
      return emitError() << "gpu_schedule: " << stringifyKernelFamily(kernel)
                         << " kernels are 8 warps on the CUDA cores (kv_tile "
                            "32, 1 stage, tensor_cores mma_sync, unused), got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores) << ", "
                         << kvTile << ", " << stages << " stage(s)";
  } else if (kernel == KernelFamily::RecurrenceSequential) {
    // Warps of 8 state columns x 4 key-row groups, 4 a CTA; the next
    // token's operands load while the current one is computed.
    if (tensorCores != TensorCoreKind::MmaSync || warps != 4 || kvTile != 32 ||
        stages != 2)
      return emitError() << "gpu_schedule: recurrence_sequential kernels are "
                            "4 warps over 32 state columns in 2 stages "
                            "(tensor_cores mma_sync, unused), got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores) << ", "
                         << kvTile << " columns, " << stages << " stage(s)";
  } else if (kernel == KernelFamily::RecurrenceChunk) {
    // One form so far: the state of one (sequence, head), up to 128 x 128
    // f32, spread over 8 warps' registers; chunks of 64 tokens.
    if (tensorCores != TensorCoreKind::MmaSync || warps != 8 || kvTile != 64 ||
        stages != 2)
      return emitError() << "gpu_schedule: recurrence_chunk kernels are 8 "
                            "warps of mma_sync over chunks of 64 tokens in 2 "
                            "stages, got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores)
                         << ", chunks of " << kvTile << ", " << stages
                         << " stage(s)";
  } else if (kernel == KernelFamily::AttentionDecode) {
    // A decode CTA is 1, 2 or 4 warps of mma_sync over 16 packed query rows,
    // each warp taking a W-th of every key tile: the rows are too few for a
    // warpgroup, and K/V bandwidth, not the tensor cores, bounds it.
    if (tensorCores != TensorCoreKind::MmaSync ||
        (warps != 1 && warps != 2 && warps != 4))
      return emitError() << "gpu_schedule: attention_decode kernels are 1, 2 "
                            "or 4 warps of mma_sync (16 packed query rows), "
                            "got "
                         << warps << " warp(s) of "
                         << stringifyTensorCoreKind(tensorCores);
    if (kvTile != 32 && kvTile != 64 && kvTile != 128)
      return emitError() << "gpu_schedule: kv_tile must be 32, 64 or 128, got "
                         << kvTile;
    if (kvTile / warps < 16)
      return emitError() << "gpu_schedule: attention_decode warps take at "
                            "least 16 keys of a tile each: kv_tile "
                         << kvTile << " is too small for " << warps << " warps";
    if (stages < 2 || stages > 4)
      return emitError() << "gpu_schedule: attention_decode kernels stream "
                            "their key/value tiles through 2 to 4 stages, got "
                         << stages;
  } else {
    if (warps != 4 && warps != 8)
      return emitError() << "gpu_schedule: warps must be 4 or 8 (query tiles "
                            "of 64 or 128 rows), got "
                         << warps;
    if (kvTile != 64 && kvTile != 128)
      return emitError() << "gpu_schedule: kv_tile must be 64 or 128, got "
                         << kvTile;
    if (tensorCores == TensorCoreKind::Wgmma && (stages < 2 || stages > 3))
      return emitError()
             << "gpu_schedule: wgmma kernels keep the next key/value "
                "tile in flight: stages must be 2 or 3, got "
             << stages;
    if (tensorCores == TensorCoreKind::MmaSync && stages != 2)
      return emitError() << "gpu_schedule: mma_sync kernels double-buffer "
                            "their key/value tiles: stages must be 2, got "
                         << stages;
  }
  if (minCtasPerSm < 0)
    return emitError() << "gpu_schedule: min_ctas_per_sm must be 0 (free) or "
                          "positive, got "
                       << minCtasPerSm;
  return success();
}
