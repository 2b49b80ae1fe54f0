//===- celeris-run.cpp - Run a tensor function on the CPU -------*- C++ -*-===//
//
// Lowers the entry function of an MLIR file (func/linalg/tensor/arith/math/
// scf on ranked tensors) for the host, JIT-compiles it with
// mlir::ExecutionEngine and calls it on inputs read from .npy files or drawn
// from a seed. Results are written as .npy files.
//
//   celeris-run model.mlir --input=a.npy --input=b.npy --output-dir=out
//   celeris-run model.mlir --seed=0 --print
//
// Seeded inputs: one std::mt19937_64 stream seeded with N fills every
// argument in order (row-major). Floating-point elements are standard normal
// (Box-Muller on two 53-bit uniforms, then rounded to the element type);
// integer elements are uniform in [lo, hi) of --int-range (default 0,8);
// i1 elements are uniform in {0, 1}. Dynamic dimensions take --dynamic-size.
//
// The lowering runs --pre-pipeline, an optional textual pass pipeline on the
// module, then the celeris-cpu pipeline (Celeris ops to linalg, reference or
// --tiled, then bufferization and conversion to LLVM).
//
//===----------------------------------------------------------------------===//

#include "NpyIO.h"

#include "celeris/InitAllDialects.h"
#include "celeris/InitAllPasses.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>

using namespace mlir;
namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

static cl::OptionCategory runCategory("celeris-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required, cl::cat(runCategory));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Entry function (default: the only public function, "
                       "else 'main')"),
              cl::cat(runCategory));
static cl::list<std::string>
    inputs("input",
           cl::desc(".npy file of one argument; repeat once per argument, in "
                    "order"),
           cl::cat(runCategory));
static cl::opt<uint64_t>
    seed("seed",
         cl::desc("Draw every input from this seed (floats: standard normal; "
                  "ints: uniform in --int-range)"),
         cl::cat(runCategory));
static cl::opt<std::string>
    intRange("int-range",
             cl::desc("lo,hi: seeded integers are uniform in [lo, hi)"),
             cl::init("0,8"), cl::cat(runCategory));
static cl::opt<int64_t> dynamicSize(
    "dynamic-size",
    cl::desc("Size of every dynamic dimension of a seeded argument"),
    cl::init(-1), cl::cat(runCategory));
static cl::opt<std::string>
    outputDir("output-dir", cl::desc("Write result i to DIR/out{i}.npy"),
              cl::cat(runCategory));
static cl::opt<bool> printValues("print",
                                 cl::desc("Print the values of every result"),
                                 cl::cat(runCategory));
static cl::opt<std::string> prePipeline(
    "pre-pipeline",
    cl::desc("Textual pass pipeline run on the module before the celeris-cpu "
             "pipeline (e.g. 'celeris-simplify-masks')"),
    cl::cat(runCategory));
static cl::opt<bool> tiled(
    "tiled",
    cl::desc("Lower Celeris ops through the tiled algorithms (celeris-cpu "
             "pipeline option tiled=true)"),
    cl::cat(runCategory));
static cl::list<std::string>
    sharedLibs("shared-libs", cl::desc("Extra libraries the JIT may call"),
               cl::CommaSeparated, cl::cat(runCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::init(2), cl::Prefix,
                                  cl::cat(runCategory));
static cl::opt<bool>
    printLowered("print-lowered",
                 cl::desc("Print the module after the host lowering"),
                 cl::cat(runCategory));

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
llvm::raw_ostream &error() { return llvm::errs() << "celeris-run: error: "; }

/// Exits after an error message was printed (the tool is built without
/// exceptions; nothing needs unwinding before exit).
[[noreturn]] void exitWithFailure() {
  llvm::outs().flush();
  llvm::errs().flush();
  std::exit(1);
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// The element types the runner can move in and out of .npy files.
struct ElementKind {
  const char *descr; // .npy descr ('<V2' is how ml_dtypes.bfloat16 saves)
  const char *name;
  size_t size;
  bool isFloat;
};

std::optional<ElementKind> getElementKind(Type type) {
  if (type.isF16())
    return ElementKind{"<f2", "f16", 2, true};
  if (type.isBF16())
    return ElementKind{"<V2", "bf16", 2, true};
  if (type.isF32())
    return ElementKind{"<f4", "f32", 4, true};
  if (type.isF64())
    return ElementKind{"<f8", "f64", 8, true};
  if (type.isSignlessInteger(1))
    return ElementKind{"|b1", "i1", 1, false};
  if (type.isSignlessInteger(8))
    return ElementKind{"|i1", "i8", 1, false};
  if (type.isSignlessInteger(16))
    return ElementKind{"<i2", "i16", 2, false};
  if (type.isSignlessInteger(32))
    return ElementKind{"<i4", "i32", 4, false};
  if (type.isSignlessInteger(64))
    return ElementKind{"<i8", "i64", 8, false};
  return std::nullopt;
}

/// Stores `value` as one element of `type` at `dst`.
void storeFloat(Type type, double value, char *dst) {
  if (type.isF64()) {
    std::memcpy(dst, &value, 8);
  } else if (type.isF32()) {
    float f = static_cast<float>(value);
    std::memcpy(dst, &f, 4);
  } else {
    llvm::APFloat ap(value);
    bool losesInfo;
    ap.convert(type.isF16() ? llvm::APFloat::IEEEhalf()
                            : llvm::APFloat::BFloat(),
               llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    uint16_t bits = static_cast<uint16_t>(ap.bitcastToAPInt().getZExtValue());
    std::memcpy(dst, &bits, 2);
  }
}

/// Loads one element of `type` at `src` as a double (for printing).
double loadAsDouble(Type type, const char *src) {
  if (type.isF64()) {
    double d;
    std::memcpy(&d, src, 8);
    return d;
  }
  if (type.isF32()) {
    float f;
    std::memcpy(&f, src, 4);
    return f;
  }
  if (type.isF16() || type.isBF16()) {
    uint16_t bits;
    std::memcpy(&bits, src, 2);
    llvm::APFloat ap(type.isF16() ? llvm::APFloat::IEEEhalf()
                                  : llvm::APFloat::BFloat(),
                     llvm::APInt(16, bits));
    bool losesInfo;
    ap.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
    return ap.convertToDouble();
  }
  unsigned width = type.getIntOrFloatBitWidth();
  int64_t v = 0;
  switch (width) {
  case 1:
  case 8:
    v = static_cast<int8_t>(*src);
    break;
  case 16: {
    int16_t x;
    std::memcpy(&x, src, 2);
    v = x;
    break;
  }
  case 32: {
    int32_t x;
    std::memcpy(&x, src, 4);
    v = x;
    break;
  }
  default:
    std::memcpy(&v, src, 8);
  }
  return static_cast<double>(v);
}

void storeInt(Type type, int64_t value, char *dst) {
  size_t size = getElementKind(type)->size;
  // Little-endian: the low bytes of the int64 are the narrower integer.
  std::memcpy(dst, &value, size);
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

/// A dense row-major buffer plus the memref descriptor the JIT-compiled code
/// reads: {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Buffer {
  std::vector<int64_t> shape;
  std::vector<uint64_t> storage; // 8-byte aligned
  std::vector<int64_t> descriptor;

  char *data() { return reinterpret_cast<char *>(storage.data()); }

  void allocate(llvm::ArrayRef<int64_t> dims, size_t elementSize) {
    shape.assign(dims.begin(), dims.end());
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    storage.assign((n * elementSize + 7) / 8 + 1, 0);
  }

  void makeDescriptor() {
    int64_t rank = shape.size();
    descriptor.assign(3 + 2 * rank, 0);
    descriptor[0] = reinterpret_cast<int64_t>(data());
    descriptor[1] = reinterpret_cast<int64_t>(data());
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      descriptor[3 + i] = shape[i];
      descriptor[3 + rank + i] = stride;
      stride *= shape[i];
    }
  }
};

//===----------------------------------------------------------------------===//
// Entry function and inputs
//===----------------------------------------------------------------------===//

/// Erases the functions that the entry cannot reach, so that a module with
/// several models runs one of them without lowering the others.
void eraseUnreachableFunctions(ModuleOp module, func::FuncOp entry) {
  bool erased = true;
  while (erased) {
    erased = false;
    for (auto func :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (func == entry || !SymbolTable::symbolKnownUseEmpty(func, module))
        continue;
      func.erase();
      erased = true;
    }
  }
}

func::FuncOp findEntry(ModuleOp module) {
  if (!entryName.empty()) {
    auto func = module.lookupSymbol<func::FuncOp>(entryName);
    if (!func || func.isExternal()) {
      error() << "entry function '" << entryName << "' not found in '"
              << inputFile << "'\n";
      exitWithFailure();
    }
    return func;
  }
  SmallVector<func::FuncOp> publicFuncs;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      publicFuncs.push_back(func);
  if (publicFuncs.size() == 1)
    return publicFuncs.front();
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    if (!main.isExternal())
      return main;
  if (publicFuncs.empty())
    error() << "no public function with a body in '" << inputFile
            << "' to run\n";
  else
    error() << "cannot choose the entry function: '" << inputFile << "' has "
            << publicFuncs.size()
            << " public functions and none is 'main'; pass --entry=<name>\n";
  exitWithFailure();
}

/// Checks that `type` (argument or result `index`) is a ranked tensor of a
/// supported element type.
RankedTensorType checkTensorType(Type type, StringRef what, unsigned index) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getEncoding()) {
    error() << what << " " << index << " has unsupported type "
            << typeToString(type)
            << " (celeris-run takes and returns ranked tensors without "
               "encoding)\n";
    exitWithFailure();
  }
  if (!getElementKind(tensor.getElementType())) {
    error() << what << " " << index << " has unsupported element type "
            << typeToString(tensor.getElementType()) << " in "
            << typeToString(type)
            << " (supported: f16, bf16, f32, f64, i1, i8, i16, i32, i64)\n";
    exitWithFailure();
  }
  return tensor;
}

Buffer loadInput(unsigned index, RankedTensorType type) {
  const std::string &path = inputs[index];
  auto array = ::celeris::npy::read(path);
  if (!array) {
    error() << "input " << index << ": " << llvm::toString(array.takeError())
            << "\n";
    exitWithFailure();
  }
  ElementKind kind = *getElementKind(type.getElementType());
  if (array->descr != kind.descr) {
    error() << "input " << index << " ('" << path << "'): dtype '"
            << array->descr << "' does not match argument type "
            << typeToString(type) << " (expects '" << kind.descr << "')\n";
    exitWithFailure();
  }
  if (static_cast<int64_t>(array->shape.size()) != type.getRank()) {
    error() << "input " << index << " ('" << path << "'): rank "
            << array->shape.size() << " (shape " << formatShape(array->shape)
            << ") does not match argument type " << typeToString(type) << "\n";
    exitWithFailure();
  }
  for (auto [d, expected] : llvm::enumerate(type.getShape())) {
    if (!ShapedType::isDynamic(expected) && expected != array->shape[d]) {
      error() << "input " << index << " ('" << path << "'): shape "
              << formatShape(array->shape) << " does not match argument type "
              << typeToString(type) << " in dimension " << d << "\n";
      exitWithFailure();
    }
  }
  Buffer buffer;
  buffer.allocate(array->shape, kind.size);
  std::memcpy(buffer.data(), array->data.data(), array->data.size());
  return buffer;
}

struct SeededInputs {
  std::mt19937_64 rng;
  int64_t lo, hi;

  double uniform() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
  double normal() {
    double u1 = static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53; // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

  Buffer draw(unsigned index, RankedTensorType type) {
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t &d : shape) {
      if (!ShapedType::isDynamic(d))
        continue;
      if (dynamicSize < 0) {
        error() << "argument " << index << " of type " << typeToString(type)
                << " has dynamic dimensions: pass --dynamic-size=N with "
                   "--seed, or pass --input files\n";
        exitWithFailure();
      }
      d = dynamicSize;
    }
    Type elementType = type.getElementType();
    ElementKind kind = *getElementKind(elementType);
    Buffer buffer;
    buffer.allocate(shape, kind.size);
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    char *dst = buffer.data();
    for (int64_t i = 0; i < n; ++i, dst += kind.size) {
      if (kind.isFloat)
        storeFloat(elementType, normal(), dst);
      else if (elementType.isSignlessInteger(1))
        storeInt(elementType, rng() & 1, dst);
      else
        storeInt(
            elementType,
            lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo)),
            dst);
    }
    return buffer;
  }
};

//===----------------------------------------------------------------------===//
// Lowering
//===----------------------------------------------------------------------===//

LogicalResult addPipeline(PassManager &pm, StringRef pipeline, StringRef what) {
  pipeline = pipeline.trim();
  StringRef original = pipeline;
  // Accept both 'a,b' and 'builtin.module(a,b)'.
  if (pipeline.consume_front("builtin.module(")) {
    if (!pipeline.consume_back(")")) {
      error() << "malformed " << what << " '" << original
              << "' (unbalanced parentheses)\n";
      return failure();
    }
  }
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    error() << "invalid " << what << ": " << message << "\n";
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Printing results
//===----------------------------------------------------------------------===//

void printValuesOf(Type elementType, llvm::ArrayRef<int64_t> shape,
                   const char *data, size_t elementSize) {
  llvm::outs() << "  ";
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (shape.empty()) {
    llvm::outs() << llvm::format("%g", loadAsDouble(elementType, data)) << "\n";
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    // Open a bracket for every dimension starting at this element.
    int64_t stride = 1, opens = 0;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      stride *= shape[d];
      if (i % stride == 0)
        ++opens;
    }
    if (i)
      llvm::outs() << ", ";
    for (int64_t k = 0; k < opens; ++k)
      llvm::outs() << "[";
    llvm::outs() << llvm::format(
        "%g", loadAsDouble(elementType, data + i * elementSize));
    stride = 1;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      stride *= shape[d];
      if ((i + 1) % stride == 0)
        llvm::outs() << "]";
    }
  }
  if (n == 0)
    llvm::outs() << "[]";
  llvm::outs() << "\n";
}

int run() {
  if (!llvm::sys::fs::exists(inputFile)) {
    error() << "cannot open input file '" << inputFile
            << "': No such file or directory\n";
    return 1;
  }
  if (optLevel > 3) {
    error() << "-O expects 0, 1, 2 or 3, got " << optLevel << "\n";
    return 1;
  }
  if (!inputs.empty() && seed.getNumOccurrences()) {
    error() << "pass either --input files or --seed, not both\n";
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  mlir::celeris::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
  if (!module) {
    error() << "cannot parse '" << inputFile << "'\n";
    return 1;
  }

  func::FuncOp entry = findEntry(*module);
  std::string name = entry.getSymName().str();
  FunctionType fnType = entry.getFunctionType();
  SmallVector<RankedTensorType> argTypes, resultTypes;
  for (auto [i, t] : llvm::enumerate(fnType.getInputs()))
    argTypes.push_back(checkTensorType(t, "argument", i));
  for (auto [i, t] : llvm::enumerate(fnType.getResults()))
    resultTypes.push_back(checkTensorType(t, "result", i));

  // Inputs.
  std::vector<Buffer> args;
  if (!inputs.empty()) {
    if (inputs.size() != argTypes.size()) {
      error() << "'" << name << "' takes " << argTypes.size()
              << " argument(s) but " << inputs.size()
              << " --input file(s) were given\n";
      return 1;
    }
    for (auto [i, t] : llvm::enumerate(argTypes))
      args.push_back(loadInput(i, t));
  } else if (seed.getNumOccurrences() || argTypes.empty()) {
    auto [loText, hiText] = StringRef(intRange).split(',');
    int64_t lo, hi;
    if (loText.trim().getAsInteger(10, lo) ||
        hiText.trim().getAsInteger(10, hi) || hi <= lo) {
      error() << "--int-range expects 'lo,hi' with lo < hi, got '" << intRange
              << "'\n";
      return 1;
    }
    SeededInputs drawer{std::mt19937_64(seed), lo, hi};
    for (auto [i, t] : llvm::enumerate(argTypes))
      args.push_back(drawer.draw(i, t));
  } else {
    error() << "'" << name << "' takes " << argTypes.size()
            << " argument(s): pass one --input=file.npy per argument or "
               "--seed=N\n";
    return 1;
  }
  for (Buffer &b : args)
    b.makeDescriptor();

  // Libraries the JIT-compiled code may call: --shared-libs, then the MLIR C
  // runner utilities (memrefCopy, f16/bf16 conversions) when installed.
  std::vector<std::string> libPaths(sharedLibs.begin(), sharedLibs.end());
  SmallString<256> runtime(CELERIS_MLIR_RUNTIME_DIR);
  llvm::sys::path::append(runtime, "libmlir_c_runner_utils.so");
  if (llvm::sys::fs::exists(runtime))
    libPaths.push_back(std::string(runtime));
  for (const std::string &lib : libPaths) {
    if (!llvm::sys::fs::exists(lib)) {
      error() << "shared library '" << lib << "' not found\n";
      return 1;
    }
  }

  // Lower.
  auto compileStart = std::chrono::steady_clock::now();
  eraseUnreachableFunctions(*module, entry);
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(&context));
  PassManager pm(&context);
  if (!prePipeline.empty() &&
      failed(addPipeline(pm, prePipeline, "--pre-pipeline")))
    return 1;
  mlir::celeris::CPUPipelineOptions pipelineOptions;
  pipelineOptions.tiled = tiled;
  mlir::celeris::buildCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module))) {
    error() << "lowering '" << name << "' for the host failed\n";
    return 1;
  }
  double loweringMs = msSince(compileStart);
  if (printLowered)
    module->print(llvm::outs());

  // JIT.
  auto jitStart = std::chrono::steady_clock::now();
  SmallVector<StringRef> libRefs(libPaths.begin(), libPaths.end());
  ExecutionEngineOptions options;
  options.transformer = makeOptimizingTransformer(optLevel, 0, nullptr);
  options.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(optLevel.getValue());
  options.sharedLibPaths = libRefs;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine) {
    error() << "JIT compilation failed: " << llvm::toString(engine.takeError())
            << "\n";
    return 1;
  }
  std::string cifaceName = "_mlir_ciface_" + name;
  if (auto fn = (*engine)->lookupPacked(cifaceName); !fn) {
    error() << "JIT compilation failed: " << llvm::toString(fn.takeError())
            << "\n";
    return 1;
  }
  double jitMs = msSince(jitStart);

  // Results come back through one out-parameter: the descriptor of the only
  // result, or a struct of all result descriptors (all fields 8 bytes, so
  // they are laid out back to back).
  SmallVector<size_t> resultOffsets;
  size_t resultWords = 0;
  for (RankedTensorType t : resultTypes) {
    resultOffsets.push_back(resultWords);
    resultWords += 3 + 2 * t.getRank();
  }
  std::vector<int64_t> resultStorage(resultWords + 1, 0);
  void *resultPtr = resultStorage.data();
  SmallVector<void *> argPtrs;
  for (Buffer &b : args)
    argPtrs.push_back(b.descriptor.data());
  SmallVector<void *> packed;
  if (!resultTypes.empty())
    packed.push_back(&resultPtr);
  for (void *&p : argPtrs)
    packed.push_back(&p);

  auto runStart = std::chrono::steady_clock::now();
  if (llvm::Error err = (*engine)->invokePacked(cifaceName, packed)) {
    error() << "cannot call '" << name
            << "': " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  double runMs = msSince(runStart);

  // Results. The result buffers are owned by the caller now; they are not
  // freed (a result may alias an argument or a global), the process exits.
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
      error() << "cannot create output directory '" << outputDir
              << "': " << ec.message() << "\n";
      return 1;
    }
  }
  for (auto [i, t] : llvm::enumerate(resultTypes)) {
    const int64_t *desc = resultStorage.data() + resultOffsets[i];
    int64_t rank = t.getRank();
    const char *aligned = reinterpret_cast<const char *>(desc[1]);
    int64_t offset = desc[2];
    SmallVector<int64_t> shape(desc + 3, desc + 3 + rank);
    ElementKind kind = *getElementKind(t.getElementType());
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    // Gather into a dense row-major copy (the strides are the identity
    // layout's, but do not rely on it).
    std::vector<char> dense(n * kind.size);
    SmallVector<int64_t> index(rank, 0);
    for (int64_t e = 0; e < n; ++e) {
      int64_t linear = offset;
      for (int64_t d = 0; d < rank; ++d)
        linear += index[d] * desc[3 + rank + d];
      std::memcpy(dense.data() + e * kind.size, aligned + linear * kind.size,
                  kind.size);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < shape[d])
          break;
        index[d] = 0;
      }
    }
    llvm::outs() << "out" << i << ": shape=" << formatShape(shape)
                 << " dtype=" << kind.name;
    if (!outputDir.empty()) {
      SmallString<256> path(outputDir);
      llvm::sys::path::append(path, "out" + std::to_string(i) + ".npy");
      if (llvm::Error err = ::celeris::npy::write(path, kind.descr, shape,
                                                  dense.data(), dense.size())) {
        llvm::outs().flush();
        error() << llvm::toString(std::move(err)) << "\n";
        return 1;
      }
      llvm::outs() << " -> " << path;
    }
    llvm::outs() << "\n";
    if (printValues)
      printValuesOf(t.getElementType(), shape, dense.data(), kind.size);
  }
  llvm::outs() << llvm::format("compile: %.3f ms (lowering %.3f ms, jit %.3f "
                               "ms)\n",
                               loweringMs + jitMs, loweringMs, jitMs);
  llvm::outs() << llvm::format("time: %.3f ms\n", runMs);
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerAllPasses();
  mlir::celeris::registerAllPasses();
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "celeris-run: JIT-compile and run a tensor "
                              "function on the CPU\n");
  return run();
}
