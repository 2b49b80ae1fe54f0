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

#include "celeris/ExecutionEngine/HostFunction.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>

using namespace mlir::celeris;
using llvm::SmallString;
using llvm::SmallVector;
using llvm::StringRef;
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

/// Reports an error from the host function library and fails.
int fail(llvm::Error err) {
  error() << llvm::toString(std::move(err)) << "\n";
  return 1;
}

/// The .npy descr of each element type ('<V2' is how ml_dtypes.bfloat16
/// saves).
StringRef getNpyDescr(HostElementType type) {
  switch (type) {
  case HostElementType::F16:
    return "<f2";
  case HostElementType::BF16:
    return "<V2";
  case HostElementType::F32:
    return "<f4";
  case HostElementType::F64:
    return "<f8";
  case HostElementType::I1:
    return "|b1";
  case HostElementType::I8:
    return "|i1";
  case HostElementType::I16:
    return "<i2";
  case HostElementType::I32:
    return "<i4";
  case HostElementType::I64:
    return "<i8";
  }
  llvm_unreachable("unknown host element type");
}

bool isFloat(HostElementType type) {
  return type == HostElementType::F16 || type == HostElementType::BF16 ||
         type == HostElementType::F32 || type == HostElementType::F64;
}

const llvm::fltSemantics &getHalfSemantics(HostElementType type) {
  return type == HostElementType::F16 ? llvm::APFloat::IEEEhalf()
                                      : llvm::APFloat::BFloat();
}

/// Stores `value` as one element of `type` at `dst`.
void storeFloat(HostElementType type, double value, char *dst) {
  if (type == HostElementType::F64) {
    std::memcpy(dst, &value, 8);
  } else if (type == HostElementType::F32) {
    float f = static_cast<float>(value);
    std::memcpy(dst, &f, 4);
  } else {
    llvm::APFloat ap(value);
    bool losesInfo;
    ap.convert(getHalfSemantics(type), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
    uint16_t bits = static_cast<uint16_t>(ap.bitcastToAPInt().getZExtValue());
    std::memcpy(dst, &bits, 2);
  }
}

/// Loads one element of `type` at `src` as a double (for printing).
double loadAsDouble(HostElementType type, const char *src) {
  switch (type) {
  case HostElementType::F64: {
    double d;
    std::memcpy(&d, src, 8);
    return d;
  }
  case HostElementType::F32: {
    float f;
    std::memcpy(&f, src, 4);
    return f;
  }
  case HostElementType::F16:
  case HostElementType::BF16: {
    uint16_t bits;
    std::memcpy(&bits, src, 2);
    llvm::APFloat ap(getHalfSemantics(type), llvm::APInt(16, bits));
    bool losesInfo;
    ap.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
    return ap.convertToDouble();
  }
  case HostElementType::I1:
  case HostElementType::I8:
    return static_cast<int8_t>(*src);
  case HostElementType::I16: {
    int16_t x;
    std::memcpy(&x, src, 2);
    return x;
  }
  case HostElementType::I32: {
    int32_t x;
    std::memcpy(&x, src, 4);
    return x;
  }
  case HostElementType::I64: {
    int64_t x;
    std::memcpy(&x, src, 8);
    return static_cast<double>(x);
  }
  }
  llvm_unreachable("unknown host element type");
}

void storeInt(HostElementType type, int64_t value, char *dst) {
  // Little-endian: the low bytes of the int64 are the narrower integer.
  std::memcpy(dst, &value, getHostElementByteSize(type));
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

/// An input argument: a dense row-major buffer (8-byte aligned).
struct Buffer {
  SmallVector<int64_t> shape;
  std::vector<uint64_t> storage;

  char *data() { return reinterpret_cast<char *>(storage.data()); }

  void allocate(llvm::ArrayRef<int64_t> dims, size_t elementSize) {
    shape.assign(dims.begin(), dims.end());
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    storage.assign((n * elementSize + 7) / 8 + 1, 0);
  }
};

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

std::optional<Buffer> loadInput(unsigned index, const HostTensorType &type) {
  const std::string &path = inputs[index];
  auto array = ::celeris::npy::read(path);
  if (!array) {
    error() << "input " << index << ": " << llvm::toString(array.takeError())
            << "\n";
    return std::nullopt;
  }
  StringRef descr = getNpyDescr(type.elementType);
  if (array->descr != descr) {
    error() << "input " << index << " ('" << path << "'): dtype '"
            << array->descr << "' does not match argument type " << type.str()
            << " (expects '" << descr << "')\n";
    return std::nullopt;
  }
  if (array->shape.size() != type.shape.size()) {
    error() << "input " << index << " ('" << path << "'): rank "
            << array->shape.size() << " (shape " << formatShape(array->shape)
            << ") does not match argument type " << type.str() << "\n";
    return std::nullopt;
  }
  for (auto [d, expected] : llvm::enumerate(type.shape)) {
    if (expected != HostTensorType::kDynamic && expected != array->shape[d]) {
      error() << "input " << index << " ('" << path << "'): shape "
              << formatShape(array->shape) << " does not match argument type "
              << type.str() << " in dimension " << d << "\n";
      return std::nullopt;
    }
  }
  Buffer buffer;
  buffer.allocate(array->shape, getHostElementByteSize(type.elementType));
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

  std::optional<Buffer> draw(unsigned index, const HostTensorType &type) {
    SmallVector<int64_t> shape(type.shape);
    for (int64_t &d : shape) {
      if (d != HostTensorType::kDynamic)
        continue;
      if (dynamicSize < 0) {
        error() << "argument " << index << " of type " << type.str()
                << " has dynamic dimensions: pass --dynamic-size=N with "
                   "--seed, or pass --input files\n";
        return std::nullopt;
      }
      d = dynamicSize;
    }
    HostElementType element = type.elementType;
    size_t size = getHostElementByteSize(element);
    Buffer buffer;
    buffer.allocate(shape, size);
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    char *dst = buffer.data();
    for (int64_t i = 0; i < n; ++i, dst += size) {
      if (isFloat(element))
        storeFloat(element, normal(), dst);
      else if (element == HostElementType::I1)
        storeInt(element, rng() & 1, dst);
      else
        storeInt(
            element,
            lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo)),
            dst);
    }
    return buffer;
  }
};

//===----------------------------------------------------------------------===//
// Printing results
//===----------------------------------------------------------------------===//

void printValuesOf(const HostTensor &tensor) {
  llvm::outs() << "  ";
  const char *data = static_cast<const char *>(tensor.data.get());
  size_t elementSize = getHostElementByteSize(tensor.elementType);
  llvm::ArrayRef<int64_t> shape = tensor.shape;
  int64_t n = tensor.getNumElements();
  if (shape.empty()) {
    llvm::outs() << llvm::format("%g", loadAsDouble(tensor.elementType, data))
                 << "\n";
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
        "%g", loadAsDouble(tensor.elementType, data + i * elementSize));
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
  auto source = llvm::MemoryBuffer::getFile(inputFile);
  if (!source) {
    error() << "cannot open input file '" << inputFile
            << "': " << source.getError().message() << "\n";
    return 1;
  }

  HostFunctionOptions options;
  options.entry = entryName;
  options.prePipeline = prePipeline;
  options.tiled = tiled;
  options.optLevel = optLevel;
  options.sharedLibs.assign(sharedLibs.begin(), sharedLibs.end());
  std::string lowered;
  if (printLowered)
    options.loweredModule = &lowered;
  auto function =
      HostFunction::compile((*source)->getBuffer(), inputFile, options);
  if (!function)
    return fail(function.takeError());
  HostFunction &fn = **function;
  if (printLowered)
    llvm::outs() << lowered;

  // Inputs.
  llvm::ArrayRef<HostTensorType> argTypes = fn.getArgumentTypes();
  std::vector<Buffer> args;
  if (!inputs.empty()) {
    if (inputs.size() != argTypes.size()) {
      error() << "'" << fn.getName() << "' takes " << argTypes.size()
              << " argument(s) but " << inputs.size()
              << " --input file(s) were given\n";
      return 1;
    }
    for (auto [i, t] : llvm::enumerate(argTypes)) {
      std::optional<Buffer> buffer = loadInput(i, t);
      if (!buffer)
        return 1;
      args.push_back(std::move(*buffer));
    }
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
    for (auto [i, t] : llvm::enumerate(argTypes)) {
      std::optional<Buffer> buffer = drawer.draw(i, t);
      if (!buffer)
        return 1;
      args.push_back(std::move(*buffer));
    }
  } else {
    error() << "'" << fn.getName() << "' takes " << argTypes.size()
            << " argument(s): pass one --input=file.npy per argument or "
               "--seed=N\n";
    return 1;
  }
  SmallVector<HostTensorRef> argRefs;
  for (Buffer &b : args)
    argRefs.push_back({b.data(), b.shape});

  auto runStart = std::chrono::steady_clock::now();
  auto results = fn.call(argRefs);
  double runMs = std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - runStart)
                     .count();
  if (!results)
    return fail(results.takeError());

  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
      error() << "cannot create output directory '" << outputDir
              << "': " << ec.message() << "\n";
      return 1;
    }
  }
  for (auto [i, result] : llvm::enumerate(*results)) {
    llvm::outs() << "out" << i << ": shape=" << formatShape(result.shape)
                 << " dtype=" << getHostElementTypeName(result.elementType);
    if (!outputDir.empty()) {
      SmallString<256> path(outputDir);
      llvm::sys::path::append(path, "out" + std::to_string(i) + ".npy");
      size_t bytes =
          result.getNumElements() * getHostElementByteSize(result.elementType);
      if (llvm::Error err =
              ::celeris::npy::write(path, getNpyDescr(result.elementType),
                                    result.shape, result.data.get(), bytes)) {
        llvm::outs().flush();
        return fail(std::move(err));
      }
      llvm::outs() << " -> " << path;
    }
    llvm::outs() << "\n";
    if (printValues)
      printValuesOf(result);
  }
  llvm::outs() << llvm::format("compile: %.3f ms (lowering %.3f ms, jit %.3f "
                               "ms)\n",
                               fn.getLoweringMs() + fn.getJitMs(),
                               fn.getLoweringMs(), fn.getJitMs());
  llvm::outs() << llvm::format("time: %.3f ms\n", runMs);
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "celeris-run: JIT-compile and run a tensor "
                              "function on the CPU\n");
  return run();
}
