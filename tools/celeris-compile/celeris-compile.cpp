//===- celeris-compile.cpp - Write a GPU artifact for a module --*- C++ -*-===//
//
// The compile driver of the GPU path: lowers every gpu.module of the input
// to NVVM and a binary (cubin through ptxas, or PTX), then writes an
// artifact directory the Celeris runtime loads: one binary file per
// gpu.module and a manifest (see lib/Runtime/Manifest.h) listing each
// kernel's symbol, argument ABI and launch geometry.
//
// A module of model IR (any `celeris` op) first goes through the
// `celeris-gpu` pipeline, which turns its functions into such kernels for
// `--chip`; `--schedule` overrides fields of the schedules the cost model
// chooses.
//
// A kernel states its launch geometry as expressions of named runtime sizes
// in a `celeris.launch` attribute, so one artifact serves every size:
//
//   gpu.func @saxpy(%a: f32, %x: memref<?xf32>) kernel attributes {
//     celeris.launch = {grid = ["ceildiv(N,256)", "1", "1"],
//                       block = array<i32: 256, 1, 1>, shared = "0"},
//     celeris.arg_names = ["a", "x"]}
//
// An optional `sizes = {N = "x[0]"}` in `celeris.launch` binds a size to a
// dimension of a memref argument, so the runtime reads it from the shape
// instead of the caller passing it. An optional `workspace = "EXPR"` asks
// the runtime for EXPR bytes of scratch memory: the kernel's last argument
// is then a `memref<?xi8>` the runtime passes itself (it is not in the
// manifest's argument list).
//
// An optional `steps = ["histogram", "scatter"]` names further kernels of
// the same gpu.module that a launch runs after this one, in order, with the
// same arguments (they must take the same types), sizes and workspace;
// each has a `celeris.launch` of its own giving its grid, block and shared
// memory. They appear in the manifest as `step` sections of this kernel,
// not as kernels of their own.
//
// An optional `results = {out = ["q[0]", "128"]}` gives an output
// argument's shape in terms of the inputs' (`result out q[0] 128` in the
// manifest; a dimension may be a product, "x[0]*x[1]"), so that a caller
// can allocate it.
//
// The manifest notes the schedule of each kernel in a comment on its
// `kernel` line, so which kernel family an op became is on record.
//
// The argument ABI follows from the signature: a memref becomes a memref
// descriptor argument (`memref<RANK:ELEMENT>`, identity layout: the caller
// passes dense row-major data), f32/i32/i64/index scalars pass by value.
// A memref with static dimensions adds `shape ?x?x?x128` (`?` dynamic), so
// the runtime rejects arguments whose extents the kernel was not built for.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "celeris/GPU/TensorMapCopy.h"
#include "celeris/InitAllDialects.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required);
static cl::opt<std::string> outputDir("o", cl::desc("Artifact directory"),
                                      cl::value_desc("dir"), cl::Required);
static cl::opt<std::string> chip("chip", cl::desc("Target chip"),
                                 cl::init("sm_90a"));
static cl::opt<std::string> features("features", cl::desc("PTX features"),
                                     cl::init("+ptx80"));
static cl::opt<std::string>
    format("format",
           cl::desc("Binary format: 'bin' (cubin, needs ptxas) or 'isa' "
                    "(PTX, JIT-compiled by the driver at load)"),
           cl::init("bin"));
static cl::opt<int> optLevel("opt-level", cl::desc("LLVM optimization level"),
                             cl::init(3));
static cl::opt<std::string>
    schedule("schedule",
             cl::desc("Overrides of the kernel schedules the cost model "
                      "chooses, as options of celeris-select-gpu-schedule "
                      "(e.g. \"q-tile=64 tensor-cores=mma.sync\")"),
             cl::init(""));

namespace {

/// A kernel's symbol and launch geometry.
struct LaunchEntry {
  std::string symbol;
  std::string grid[3];
  int block[3] = {1, 1, 1};
  std::string shared = "0";
};

/// One kernel's manifest entry, read before lowering.
struct KernelEntry : LaunchEntry {
  std::string module;
  /// The kernels a launch runs after this one.
  std::vector<LaunchEntry> steps;
  std::string workspace;               // Empty: none.
  std::string schedule;                // The #celeris.gpu_schedule, if any.
  std::vector<std::string> args;       // "<kind> <name>[ shape <extents>]"
  std::vector<std::string> sizes;      // "<name> <arg> <dim>"
  std::vector<std::string> results;    // "<arg> <ARG[DIM] or extent>..."
  std::vector<std::string> tensorMaps; // "<arg> box <AxB> swizzle <bytes>"
};

/// A program's manifest entry: a function of several kernels, read from
/// the `celeris.program` record of convert-celeris-to-gpu.
struct ProgramEntry {
  std::string name;
  std::vector<std::string> args;     // "<kind> <name>[ shape <extents>]"
  std::vector<std::string> results;  // "<arg> <dims>..."
  std::vector<std::string> buffers;  // "buffer <name> <kind> <dims>..." or
                                     // "view <name> <kind> <source> <dims>..."
  std::vector<std::string> launches; // "<kernel> <arg or buffer>..."
};

/// The manifest kind of a kernel argument type, or empty if unsupported.
std::string argKind(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type)) {
    // Kernels index identity-layout memrefs as dense row-major arrays.
    if (!memref.getLayout().isIdentity())
      return "";
    std::string element;
    llvm::raw_string_ostream os(element);
    os << memref.getElementType();
    return "memref<" + std::to_string(memref.getRank()) + ":" + element + ">";
  }
  if (type.isF32())
    return "f32";
  if (type.isInteger(32))
    return "i32";
  if (type.isInteger(64) || type.isIndex())
    return "i64";
  return "";
}

/// The ` shape ?x128` suffix of a memref argument with static dimensions,
/// or empty when every dimension is dynamic.
std::string argShape(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || llvm::all_of(memref.getShape(), ShapedType::isDynamic))
    return "";
  std::string shape = " shape";
  for (auto [d, extent] : llvm::enumerate(memref.getShape()))
    shape += (d ? "x" : " ") + (ShapedType::isDynamic(extent)
                                    ? std::string("?")
                                    : std::to_string(extent));
  return shape;
}

/// `dims`, an array of dimension strings, as the manifest's words.
FailureOr<std::string> readDims(Attribute dims) {
  auto array = dyn_cast_or_null<ArrayAttr>(dims);
  if (!array)
    return failure();
  std::string words;
  for (Attribute dim : array) {
    auto text = dyn_cast<StringAttr>(dim);
    if (!text || text.getValue().empty() || text.getValue().contains(' '))
      return failure();
    words += " " + text.str();
  }
  return words;
}

/// Reads the `celeris.program` record on `func` (see ProgramToGPU.cpp):
/// its launches, buffers and results.
FailureOr<ProgramEntry> readProgram(func::FuncOp func, DictionaryAttr record) {
  ProgramEntry entry;
  entry.name = func.getSymName().str();
  auto bad = [&](const Twine &what) {
    return func.emitError()
           << "'celeris.program' of @" << entry.name << ": " << what;
  };
  auto names = func->getAttrOfType<ArrayAttr>("celeris.arg_names");
  ArrayRef<Type> types = func.getArgumentTypes();
  if (!names || names.size() != types.size())
    return bad("needs 'celeris.arg_names', a name for each argument");
  for (auto [type, name] : llvm::zip(types, names)) {
    std::string kind = argKind(type);
    auto text = dyn_cast<StringAttr>(name);
    if (!isa<MemRefType>(type) || kind.empty() || !text)
      return bad("its arguments must be named identity-layout memrefs");
    entry.args.push_back(kind + " " + text.str() + argShape(type));
  }
  auto results = record.getAs<DictionaryAttr>("results");
  auto buffers = record.getAs<ArrayAttr>("buffers");
  auto launches = record.getAs<ArrayAttr>("launches");
  if (!results || !buffers || !launches)
    return bad("needs 'results', 'buffers' and 'launches'");
  for (NamedAttribute result : results) {
    FailureOr<std::string> dims = readDims(result.getValue());
    if (failed(dims))
      return bad("result '" + result.getName().getValue() +
                 "' needs an array of dimension strings");
    entry.results.push_back(result.getName().str() + *dims);
  }
  for (Attribute attr : buffers) {
    auto buffer = dyn_cast<DictionaryAttr>(attr);
    auto name = buffer ? buffer.getAs<StringAttr>("name") : nullptr;
    auto type = buffer ? buffer.getAs<TypeAttr>("type") : nullptr;
    FailureOr<std::string> dims =
        buffer ? readDims(buffer.get("shape")) : FailureOr<std::string>();
    if (!name || !type || !isa<MemRefType>(type.getValue()) ||
        argKind(type.getValue()).empty() || failed(dims))
      return bad("each buffer needs a name, a memref type and a shape");
    // A view names what it shows.
    auto view = buffer.getAs<StringAttr>("view");
    entry.buffers.push_back((view ? "view " : "buffer ") + name.str() + " " +
                            argKind(type.getValue()) +
                            (view ? " " + view.str() : "") + *dims);
  }
  for (Attribute attr : launches) {
    auto launch = dyn_cast<DictionaryAttr>(attr);
    auto kernel = launch ? launch.getAs<SymbolRefAttr>("kernel") : nullptr;
    FailureOr<std::string> args =
        launch ? readDims(launch.get("args")) : FailureOr<std::string>();
    if (!kernel || failed(args))
      return bad("each launch needs a kernel and the names of its arguments");
    entry.launches.push_back(kernel.getLeafReference().str() + *args);
  }
  return entry;
}

/// Reads the optional `sizes = {NAME = "ARG[DIM]", ...}` of `launch`: named
/// sizes the runtime binds to memref argument shapes at launch.
LogicalResult readSizes(gpu::GPUFuncOp func, DictionaryAttr launch,
                        ArrayRef<std::string> argNames, KernelEntry &entry) {
  Attribute attr = launch.get("sizes");
  if (!attr)
    return success();
  auto sizes = dyn_cast<DictionaryAttr>(attr);
  if (!sizes)
    return func.emitError()
           << "'celeris.launch' sizes of kernel '" << func.getName()
           << "' must be a dictionary of \"ARG[DIM]\" strings";
  for (NamedAttribute size : sizes) {
    StringRef name = size.getName().getValue();
    auto error = [&] {
      InFlightDiagnostic diag = func.emitError();
      diag << "size '" << name << "' of kernel '" << func.getName() << "' ";
      return diag;
    };
    if (name.empty() || llvm::isDigit(name.front()) ||
        !llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; }))
      return error() << "does not have an identifier name";
    auto text = dyn_cast<StringAttr>(size.getValue());
    StringRef arg, rest;
    unsigned dim = 0;
    if (text)
      std::tie(arg, rest) = text.getValue().split('[');
    if (!text || arg.empty() || !rest.consume_back("]") ||
        rest.getAsInteger(10, dim))
      return error() << "must be a string \"ARG[DIM]\", got "
                     << size.getValue();
    const auto *it = llvm::find(argNames, arg);
    if (it == argNames.end())
      return error() << "reads '" << arg
                     << "', which is no argument of the kernel";
    Type type = func.getArgumentTypes()[it - argNames.begin()];
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref)
      return error() << "reads '" << arg << "', which is not a memref but "
                     << type;
    if (dim >= memref.getRank())
      return error() << "reads dimension " << dim << " of '" << arg
                     << "', which has rank " << memref.getRank();
    entry.sizes.push_back(name.str() + " " + arg.str() + " " +
                          std::to_string(dim));
  }
  return success();
}

/// Reads the optional `results = {OUT = ["ARG[DIM]" or "EXTENT", ...]}` of
/// `launch`: the shape of each output argument in terms of the inputs', so
/// that a caller can allocate the outputs.
LogicalResult readResults(gpu::GPUFuncOp func, DictionaryAttr launch,
                          ArrayRef<std::string> argNames,
                          ArrayRef<Type> argTypes, KernelEntry &entry) {
  Attribute attr = launch.get("results");
  if (!attr)
    return success();
  auto results = dyn_cast<DictionaryAttr>(attr);
  if (!results)
    return func.emitError()
           << "'celeris.launch' results of kernel '" << func.getName()
           << "' must be a dictionary of shape arrays";
  for (NamedAttribute result : results) {
    StringRef name = result.getName().getValue();
    auto error = [&] {
      InFlightDiagnostic diag = func.emitError();
      diag << "result '" << name << "' of kernel '" << func.getName() << "' ";
      return diag;
    };
    const auto *out = llvm::find(argNames, name);
    if (out == argNames.end())
      return error() << "is no argument of the kernel";
    auto outType = dyn_cast<MemRefType>(argTypes[out - argNames.begin()]);
    auto dims = dyn_cast<ArrayAttr>(result.getValue());
    if (!outType || !dims || dims.size() != size_t(outType.getRank()))
      return error() << "must be a memref argument with one \"ARG[DIM]\" or "
                        "extent string per dimension";
    std::string line = name.str();
    for (Attribute dim : dims) {
      auto text = dyn_cast<StringAttr>(dim);
      if (!text || text.getValue().empty() || text.getValue().ends_with("*"))
        return error() << "has a dimension that is neither an extent nor "
                          "\"ARG[DIM]\" nor their product: "
                       << dim;
      SmallVector<StringRef> factors;
      text.getValue().split(factors, '*');
      for (StringRef factor : factors) {
        StringRef arg, rest;
        unsigned index = 0, extent = 0;
        if (!factor.getAsInteger(10, extent))
          continue;
        std::tie(arg, rest) = factor.split('[');
        if (!rest.consume_back("]") || rest.getAsInteger(10, index))
          return error() << "has a dimension that is neither an extent nor "
                            "\"ARG[DIM]\" nor their product: "
                         << dim;
        const auto *source = llvm::find(argNames, arg);
        auto sourceType =
            source == argNames.end()
                ? MemRefType()
                : dyn_cast<MemRefType>(argTypes[source - argNames.begin()]);
        if (!sourceType || index >= sourceType.getRank())
          return error() << "reads dimension " << index << " of '" << arg
                         << "', which is no memref argument of that rank";
      }
      line += " " + text.str();
    }
    entry.results.push_back(line);
  }
  return success();
}

/// Reads the symbol, grid, block and shared memory of `func`'s launch.
LogicalResult readGeometry(gpu::GPUFuncOp func, DictionaryAttr launch,
                           LaunchEntry &entry) {
  entry.symbol = func.getName().str();
  auto grid = launch.getAs<ArrayAttr>("grid");
  auto block = launch.getAs<DenseI32ArrayAttr>("block");
  if (!grid || grid.size() != 3 || !block || block.size() != 3)
    return func.emitError("'celeris.launch' needs grid = [3 expression "
                          "strings] and block = array<i32: x, y, z>");
  for (int d = 0; d < 3; ++d) {
    auto expr = dyn_cast<StringAttr>(grid[d]);
    if (!expr || expr.getValue().contains(' '))
      return func.emitError("grid expressions must be strings without spaces");
    entry.grid[d] = expr.str();
    entry.block[d] = block[d];
  }
  if (auto shared = launch.getAs<StringAttr>("shared"))
    entry.shared = shared.str();
  return success();
}

FailureOr<KernelEntry> readKernel(gpu::GPUModuleOp module,
                                  gpu::GPUFuncOp func) {
  KernelEntry entry;
  entry.module = module.getName().str();
  auto launch = func->getAttrOfType<DictionaryAttr>("celeris.launch");
  if (!launch)
    return func.emitError("kernel has no 'celeris.launch' attribute: the "
                          "artifact needs its launch geometry");
  if (failed(readGeometry(func, launch, entry)))
    return failure();
  if (Attribute steps = launch.get("steps")) {
    auto names = dyn_cast<ArrayAttr>(steps);
    if (!names)
      return func.emitError("'celeris.launch' steps must be an array of "
                            "kernel names");
    for (Attribute name : names) {
      auto symbol = dyn_cast<StringAttr>(name);
      auto step = symbol ? module.lookupSymbol<gpu::GPUFuncOp>(symbol)
                         : gpu::GPUFuncOp();
      if (!step || !step.isKernel())
        return func.emitError()
               << "step " << name << " of kernel '" << func.getName()
               << "' is no kernel of its gpu.module";
      if (step.getArgumentTypes() != func.getArgumentTypes())
        return func.emitError()
               << "step '" << symbol.getValue() << "' of kernel '"
               << func.getName() << "' must take the kernel's argument types";
      auto stepLaunch = step->getAttrOfType<DictionaryAttr>("celeris.launch");
      LaunchEntry geometry;
      if (!stepLaunch || failed(readGeometry(step, stepLaunch, geometry)))
        return step.emitError("a step needs a 'celeris.launch' with its "
                              "grid, block and shared memory");
      entry.steps.push_back(geometry);
    }
  }
  ArrayRef<Type> argTypes = func.getArgumentTypes();
  // Tensor maps come last: the runtime encodes them, the caller passes
  // none.
  if (auto count =
          func->getAttrOfType<IntegerAttr>(celeris::kTensorMapParamsAttrName)) {
    auto maps = launch.getAs<ArrayAttr>("tensor_maps");
    if (!maps || static_cast<int64_t>(maps.size()) != count.getInt() ||
        count.getInt() > static_cast<int64_t>(argTypes.size()))
      return func.emitError()
             << "'" << celeris::kTensorMapParamsAttrName
             << "' must count the entries of the 'celeris.launch' "
                "tensor_maps, the kernel's last arguments";
    for (Attribute map : maps) {
      auto record = dyn_cast<DictionaryAttr>(map);
      auto source = record ? record.getAs<StringAttr>("source") : StringAttr();
      auto box =
          record ? record.getAs<DenseI64ArrayAttr>("box") : DenseI64ArrayAttr();
      auto swizzle =
          record ? record.getAs<IntegerAttr>("swizzle") : IntegerAttr();
      if (!source || !box || !swizzle)
        return func.emitError("a 'celeris.launch' tensor map needs a source "
                              "argument name, a box and a swizzle");
      std::string line = source.str() + " box ";
      for (auto [i, extent] : llvm::enumerate(box.asArrayRef()))
        line += (i ? "x" : "") + std::to_string(extent);
      line += " swizzle " + std::to_string(swizzle.getInt());
      entry.tensorMaps.push_back(line);
    }
    argTypes = argTypes.drop_back(count.getInt());
  }
  if (Attribute workspace = launch.get("workspace")) {
    auto bytes = dyn_cast<StringAttr>(workspace);
    auto last =
        argTypes.empty() ? MemRefType() : dyn_cast<MemRefType>(argTypes.back());
    if (!bytes || bytes.getValue().contains(' ') || !last ||
        last.getRank() != 1 || !last.getElementType().isInteger(8) ||
        !last.getLayout().isIdentity())
      return func.emitError(
          "'celeris.launch' workspace must be an expression string without "
          "spaces, and the kernel's last argument a memref<?xi8> for it");
    entry.workspace = bytes.str();
    argTypes = argTypes.drop_back();
  }
  if (Attribute schedule = func->getAttr("celeris.gpu_schedule")) {
    llvm::raw_string_ostream os(entry.schedule);
    os << schedule;
  }
  auto names = func->getAttrOfType<ArrayAttr>("celeris.arg_names");
  std::vector<std::string> argNames;
  for (auto [i, type] : llvm::enumerate(argTypes)) {
    std::string kind = argKind(type);
    if (kind.empty())
      return func.emitError()
             << "kernel argument #" << i << " has type " << type
             << ", which the runtime ABI lacks (memrefs "
                "with the identity layout, f32, i32, i64 "
                "and index)";
    std::string name = "arg" + std::to_string(i);
    if (names && i < names.size())
      if (auto n = dyn_cast<StringAttr>(names[i]))
        name = n.str();
    entry.args.push_back(kind + " " + name + argShape(type));
    argNames.push_back(name);
  }
  if (failed(readSizes(func, launch, argNames, entry)) ||
      failed(readResults(func, launch, argNames, argTypes, entry)))
    return failure();
  return entry;
}

LogicalResult writeFile(const std::string &path, StringRef bytes) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "celeris-compile: error: " << error << "\n";
    return failure();
  }
  file->os() << bytes;
  file->keep();
  return success();
}

int compile() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  celeris::registerAllDialects(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << "celeris-compile: error: " << error << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // Model IR: its functions become the kernels read below.
  WalkResult celerisOp = module->walk([](Operation *op) {
    return isa<celeris::CelerisDialect>(op->getDialect())
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (celerisOp.wasInterrupted()) {
    PassManager kernelPm(&context);
    celeris::GPUPipelineOptions kernelOptions;
    kernelOptions.chip = chip;
    kernelOptions.schedule = schedule;
    if (failed(celeris::buildGPUPipeline(
            kernelPm, kernelOptions, [](const Twine &message) {
              llvm::errs() << "celeris-compile: error: --schedule: " << message
                           << "\n";
              return failure();
            })))
      return 1;
    // The passes have reported, at the ops, what they cannot lower.
    if (failed(kernelPm.run(*module)))
      return 1;
  }

  // Programs: their records are read and the declarations carrying them
  // dropped before the NVVM lowering, which has no use for them.
  std::vector<ProgramEntry> programs;
  for (auto func : llvm::to_vector(module->getOps<func::FuncOp>())) {
    auto record = func->getAttrOfType<DictionaryAttr>("celeris.program");
    if (!record)
      continue;
    FailureOr<ProgramEntry> entry = readProgram(func, record);
    if (failed(entry))
      return 1;
    programs.push_back(*entry);
    func.erase();
  }

  std::vector<KernelEntry> kernels;
  bool ok = true;
  module->walk([&](gpu::GPUModuleOp gpuModule) {
    // Steps run as part of the kernel naming them, not on their own.
    llvm::StringSet<> steps;
    gpuModule.walk([&](gpu::GPUFuncOp func) {
      if (auto launch = func->getAttrOfType<DictionaryAttr>("celeris.launch"))
        if (auto names = launch.getAs<ArrayAttr>("steps"))
          for (Attribute name : names)
            if (auto symbol = dyn_cast<StringAttr>(name))
              steps.insert(symbol.getValue());
    });
    gpuModule.walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel() || steps.contains(func.getName()))
        return;
      FailureOr<KernelEntry> entry = readKernel(gpuModule, func);
      if (failed(entry))
        ok = false;
      else
        kernels.push_back(*entry);
    });
  });
  if (!ok)
    return 1;
  if (kernels.empty()) {
    llvm::errs() << "celeris-compile: error: '" << inputFile
                 << "' has no gpu.module kernel\n";
    return 1;
  }
  if (format != "bin" && format != "isa") {
    llvm::errs() << "celeris-compile: error: --format must be 'bin' or "
                    "'isa', got '"
                 << format << "'\n";
    return 1;
  }

  gpu::GPUToNVVMPipelineOptions options;
  options.cubinChip = chip;
  options.cubinFeatures = features;
  options.cubinFormat = format;
  options.optLevel = optLevel;
  PassManager pm(&context);
  celeris::buildNVVMLoweringPipeline(pm, options);
  if (failed(pm.run(*module))) {
    llvm::errs() << "celeris-compile: error: lowering to " << chip
                 << " failed\n";
    return 1;
  }

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
    llvm::errs() << "celeris-compile: error: cannot create '" << outputDir
                 << "': " << ec.message() << "\n";
    return 1;
  }
  std::map<std::string, std::string> binaries; // gpu.module -> file name
  std::string extension = format == "bin" ? ".cubin" : ".ptx";
  for (auto binary : module->getOps<gpu::BinaryOp>()) {
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    std::string file = binary.getName().str() + extension;
    if (failed(writeFile(outputDir + "/" + file, object.getObject())))
      return 1;
    binaries[binary.getName().str()] = file;
  }

  std::string manifest;
  llvm::raw_string_ostream os(manifest);
  os << "# Written by celeris-compile from "
     << llvm::sys::path::filename(inputFile) << " for " << chip
     << ".\nceleris-artifact 1\n";
  for (const KernelEntry &k : kernels) {
    os << "kernel " << k.symbol;
    if (!k.schedule.empty())
      os << "  # " << k.schedule;
    os << "\n  binary " << binaries[k.module] << "\n  symbol " << k.symbol
       << "\n  grid " << k.grid[0] << " " << k.grid[1] << " " << k.grid[2]
       << "\n  block " << k.block[0] << " " << k.block[1] << " " << k.block[2]
       << "\n  shared " << k.shared << "\n";
    if (!k.workspace.empty())
      os << "  workspace " << k.workspace << "\n";

    for (const std::string &arg : k.args)
      os << "  arg " << arg << "\n";
    for (const std::string &size : k.sizes)
      os << "  size " << size << "\n";
    for (const std::string &result : k.results)
      os << "  result " << result << "\n";
    for (const std::string &map : k.tensorMaps)
      os << "  tensor_map " << map << "\n";
    for (const LaunchEntry &step : k.steps)
      os << "  step " << step.symbol << "\n    grid " << step.grid[0] << " "
         << step.grid[1] << " " << step.grid[2] << "\n    block "
         << step.block[0] << " " << step.block[1] << " " << step.block[2]
         << "\n    shared " << step.shared << "\n";
    os << "end\n";
  }
  for (const ProgramEntry &p : programs) {
    os << "program " << p.name << "\n";
    for (const std::string &arg : p.args)
      os << "  arg " << arg << "\n";
    for (const std::string &result : p.results)
      os << "  result " << result << "\n";
    for (const std::string &buffer : p.buffers)
      os << "  " << buffer << "\n";
    for (const std::string &launch : p.launches)
      os << "  launch " << launch << "\n";
    os << "end\n";
  }
  if (failed(writeFile(outputDir + "/manifest.txt", manifest)))
    return 1;
  llvm::outs() << "wrote " << kernels.size() << " kernel(s)";
  if (!programs.empty())
    llvm::outs() << " and " << programs.size() << " program(s)";
  llvm::outs() << " for " << chip << " to " << outputDir << "\n";
  // What each program runs.
  for (const ProgramEntry &p : programs) {
    llvm::outs() << "  " << p.name << ": program of";
    for (const std::string &launch : p.launches)
      llvm::outs() << " " << StringRef(launch).split(' ').first;
    llvm::outs() << "\n";
  }
  // Which kernel each op became (prefill or decode, and its schedule).
  for (const KernelEntry &k : kernels)
    if (!k.schedule.empty())
      llvm::outs() << "  " << k.symbol << ": " << k.schedule << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "Celeris compile driver: GPU artifacts\n");
  return compile();
}
