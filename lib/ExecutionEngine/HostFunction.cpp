//===- HostFunction.cpp - A tensor function JIT-compiled for the host -----===//
//
// Parse, pick the entry, check its type, lower through celeris-cpu, JIT with
// mlir::ExecutionEngine, and call through the C interface wrapper with memref
// descriptors built over the caller's buffers.
//
//===----------------------------------------------------------------------===//

#include "celeris/ExecutionEngine/HostFunction.h"

#include "celeris/InitAllDialects.h"
#include "celeris/InitAllPasses.h"
#include "celeris/Pipelines/Pipelines.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::celeris;

//===----------------------------------------------------------------------===//
// Element and tensor types
//===----------------------------------------------------------------------===//

namespace {
struct ElementInfo {
  HostElementType type;
  const char *name;
  size_t size;
};
constexpr ElementInfo kElements[] = {
    {HostElementType::F16, "f16", 2}, {HostElementType::BF16, "bf16", 2},
    {HostElementType::F32, "f32", 4}, {HostElementType::F64, "f64", 8},
    {HostElementType::I1, "i1", 1},   {HostElementType::I8, "i8", 1},
    {HostElementType::I16, "i16", 2}, {HostElementType::I32, "i32", 4},
    {HostElementType::I64, "i64", 8},
};

const ElementInfo &getInfo(HostElementType type) {
  return kElements[static_cast<unsigned>(type)];
}

std::optional<HostElementType> getHostElementType(Type type) {
  std::string name;
  llvm::raw_string_ostream os(name);
  type.print(os);
  return parseHostElementType(name);
}
} // namespace

llvm::StringRef mlir::celeris::getHostElementTypeName(HostElementType type) {
  return getInfo(type).name;
}

size_t mlir::celeris::getHostElementByteSize(HostElementType type) {
  return getInfo(type).size;
}

std::optional<HostElementType>
mlir::celeris::parseHostElementType(llvm::StringRef name) {
  for (const ElementInfo &info : kElements)
    if (name == info.name)
      return info.type;
  return std::nullopt;
}

std::string HostTensorType::str() const {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += (d == kDynamic ? std::string("?") : std::to_string(d)) + "x";
  return s + getHostElementTypeName(elementType).str() + ">";
}

int64_t HostTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

namespace {
llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
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

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// LLVM's native target and the pass registry (for textual pre-pipelines)
/// are process-wide; set them up once.
void initializeProcessOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    mlir::registerAllPasses();
    mlir::celeris::registerAllPasses();
  });
}

/// Erases the functions that the entry cannot reach, so that a module with
/// several models compiles one of them without lowering the others.
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

llvm::Expected<func::FuncOp> findEntry(ModuleOp module, StringRef entryName,
                                       StringRef bufferName) {
  if (!entryName.empty()) {
    auto func = module.lookupSymbol<func::FuncOp>(entryName);
    if (!func || func.isExternal())
      return makeError("entry function '" + entryName + "' not found in '" +
                       bufferName + "'");
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
    return makeError("no public function with a body in '" + bufferName +
                     "' to run");
  std::string names;
  for (func::FuncOp func : publicFuncs)
    names += (names.empty() ? "" : ", ") + func.getSymName().str();
  return makeError("cannot choose the entry function: '" + bufferName +
                   "' has " + llvm::Twine(publicFuncs.size()) +
                   " public functions and none is 'main'; name one of " +
                   names);
}

/// The host type of argument or result `index` of type `type`.
llvm::Expected<HostTensorType> getHostTensorType(Type type, StringRef what,
                                                 unsigned index) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getEncoding())
    return makeError(what + " " + llvm::Twine(index) +
                     " has unsupported type " + typeToString(type) +
                     " (host functions take and return ranked tensors "
                     "without encoding)");
  std::optional<HostElementType> element =
      getHostElementType(tensor.getElementType());
  if (!element)
    return makeError(
        what + " " + llvm::Twine(index) + " has unsupported element type " +
        typeToString(tensor.getElementType()) + " in " + typeToString(type) +
        " (supported: f16, bf16, f32, f64, i1, i8, i16, i32, "
        "i64)");
  HostTensorType result{{}, *element};
  for (int64_t d : tensor.getShape())
    result.shape.push_back(ShapedType::isDynamic(d) ? HostTensorType::kDynamic
                                                    : d);
  return result;
}

/// Libraries the JIT-compiled code may call: the caller's, then the MLIR C
/// runner utilities (memrefCopy, f16/bf16 conversions) when installed.
llvm::Expected<std::vector<std::string>>
getLibraries(llvm::ArrayRef<std::string> sharedLibs) {
  std::vector<std::string> libPaths(sharedLibs.begin(), sharedLibs.end());
  for (const std::string &lib : libPaths)
    if (!llvm::sys::fs::exists(lib))
      return makeError("shared library '" + lib + "' not found");
  SmallString<256> runnerUtils(CELERIS_MLIR_RUNTIME_DIR);
  llvm::sys::path::append(runnerUtils, "libmlir_c_runner_utils.so");
  if (llvm::sys::fs::exists(runnerUtils))
    libPaths.push_back(std::string(runnerUtils));
  return libPaths;
}

/// The name the ExecutionEngine gives the packed wrapper of the C interface
/// of `name` (mlir::ExecutionEngine::lookupPacked).
std::string getPackedInterfaceName(StringRef name) {
  return ("_mlir__mlir_ciface_" + name).str();
}

llvm::Error addPipeline(PassManager &pm, StringRef pipeline) {
  pipeline = pipeline.trim();
  StringRef original = pipeline;
  // Accept both 'a,b' and 'builtin.module(a,b)'.
  if (pipeline.consume_front("builtin.module(") && !pipeline.consume_back(")"))
    return makeError("malformed pre-pipeline '" + original +
                     "' (unbalanced parentheses)");
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    return makeError("invalid pre-pipeline: " + message);
  return llvm::Error::success();
}
} // namespace

struct HostFunction::Impl {
  std::unique_ptr<MLIRContext> context;
  /// The JIT of a compiled function, or of a loaded object.
  std::unique_ptr<ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> objectJit;
  /// Whether the engine keeps the object code (keepObject).
  bool keepsObject = false;
  /// The C interface wrapper of the entry, in packed form.
  void (*invoke)(void **) = nullptr;
  std::string name;
  SmallVector<HostTensorType> argumentTypes, resultTypes;
  double loweringMs = 0, jitMs = 0;
};

HostFunction::HostFunction(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
HostFunction::~HostFunction() = default;

StringRef HostFunction::getName() const { return impl->name; }
llvm::ArrayRef<HostTensorType> HostFunction::getArgumentTypes() const {
  return impl->argumentTypes;
}
llvm::ArrayRef<HostTensorType> HostFunction::getResultTypes() const {
  return impl->resultTypes;
}
double HostFunction::getLoweringMs() const { return impl->loweringMs; }
double HostFunction::getJitMs() const { return impl->jitMs; }

llvm::Expected<std::unique_ptr<HostFunction>>
HostFunction::compile(StringRef source, StringRef bufferName,
                      const HostFunctionOptions &options) {
  initializeProcessOnce();
  if (options.optLevel > 3)
    return makeError("the optimization level must be 0, 1, 2 or 3, got " +
                     llvm::Twine(options.optLevel));

  llvm::Expected<std::vector<std::string>> libPaths =
      getLibraries(options.sharedLibs);
  if (!libPaths)
    return libPaths.takeError();

  auto impl = std::make_unique<Impl>();
  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  mlir::celeris::registerAllDialects(registry);
  impl->context = std::make_unique<MLIRContext>(registry);
  MLIRContext &context = *impl->context;
  context.loadAllAvailableDialects();

  // Every diagnostic, with its location, goes into the error message.
  std::string diagnostics;
  llvm::raw_string_ostream diagnosticStream(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, bufferName), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagnosticStream);
  auto failWithDiagnostics = [&](const llvm::Twine &message) {
    std::string text = message.str();
    if (!diagnostics.empty())
      text += ":\n" + StringRef(diagnostics).rtrim().str();
    return makeError(text);
  };

  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return failWithDiagnostics("cannot parse '" + bufferName + "'");

  llvm::Expected<func::FuncOp> entry =
      findEntry(*module, options.entry, bufferName);
  if (!entry)
    return entry.takeError();
  impl->name = entry->getSymName().str();
  FunctionType fnType = entry->getFunctionType();
  for (auto [i, t] : llvm::enumerate(fnType.getInputs())) {
    auto type = getHostTensorType(t, "argument", i);
    if (!type)
      return type.takeError();
    impl->argumentTypes.push_back(std::move(*type));
  }
  for (auto [i, t] : llvm::enumerate(fnType.getResults())) {
    auto type = getHostTensorType(t, "result", i);
    if (!type)
      return type.takeError();
    impl->resultTypes.push_back(std::move(*type));
  }

  // Lower.
  auto loweringStart = std::chrono::steady_clock::now();
  eraseUnreachableFunctions(*module, *entry);
  (*entry)->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&context));
  // The arguments are the caller's buffers: bufferization must not write
  // into them (by default it may, for elementwise ops on an argument).
  for (unsigned i = 0, e = entry->getNumArguments(); i < e; ++i)
    entry->setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(&context, false));
  PassManager pm(&context);
  if (!options.prePipeline.empty())
    if (llvm::Error err = addPipeline(pm, options.prePipeline))
      return std::move(err);
  CPUPipelineOptions pipelineOptions;
  pipelineOptions.tiled = options.tiled;
  buildCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return failWithDiagnostics("lowering '" + impl->name +
                               "' for the host failed");
  impl->loweringMs = msSince(loweringStart);
  if (options.loweredModule) {
    llvm::raw_string_ostream os(*options.loweredModule);
    module->print(os);
  }

  // JIT.
  auto jitStart = std::chrono::steady_clock::now();
  SmallVector<StringRef> libRefs(libPaths->begin(), libPaths->end());
  ExecutionEngineOptions engineOptions;
  engineOptions.enableObjectDump = options.keepObject;
  impl->keepsObject = options.keepObject;
  engineOptions.transformer =
      makeOptimizingTransformer(options.optLevel, 0, nullptr);
  engineOptions.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(options.optLevel);
  engineOptions.sharedLibPaths = libRefs;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()));
  impl->engine = std::move(*engine);
  auto invoke = impl->engine->lookupPacked("_mlir_ciface_" + impl->name);
  if (!invoke)
    return makeError("JIT compilation failed: " +
                     llvm::toString(invoke.takeError()));
  impl->invoke = *invoke;
  impl->jitMs = msSince(jitStart);
  return std::unique_ptr<HostFunction>(new HostFunction(std::move(impl)));
}

llvm::Expected<std::unique_ptr<HostFunction>>
HostFunction::load(StringRef objectPath, StringRef name,
                   llvm::ArrayRef<HostTensorType> argumentTypes,
                   llvm::ArrayRef<HostTensorType> resultTypes,
                   llvm::ArrayRef<std::string> sharedLibs) {
  initializeProcessOnce();
  llvm::Expected<std::vector<std::string>> libPaths = getLibraries(sharedLibs);
  if (!libPaths)
    return libPaths.takeError();
  auto object = llvm::MemoryBuffer::getFile(objectPath);
  if (!object)
    return makeError("cannot read '" + objectPath +
                     "': " + object.getError().message());
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  // The code calls malloc/free and the runner utilities: resolve them in
  // the process and the libraries.
  auto process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return process.takeError();
  dylib.addGenerator(std::move(*process));
  for (const std::string &lib : *libPaths) {
    auto library =
        llvm::orc::DynamicLibrarySearchGenerator::Load(lib.c_str(), prefix);
    if (!library)
      return library.takeError();
    dylib.addGenerator(std::move(*library));
  }
  if (llvm::Error err = (*jit)->addObjectFile(std::move(*object)))
    return makeError("cannot load '" + objectPath +
                     "': " + llvm::toString(std::move(err)));
  auto symbol = (*jit)->lookup(getPackedInterfaceName(name));
  if (!symbol)
    return makeError("'" + objectPath + "' has no function '" + name +
                     "': " + llvm::toString(symbol.takeError()));
  if (llvm::Error err = (*jit)->initialize(dylib))
    return std::move(err);

  auto impl = std::make_unique<Impl>();
  impl->invoke = symbol->toPtr<void (*)(void **)>();
  impl->objectJit = std::move(*jit);
  impl->name = name.str();
  impl->argumentTypes.assign(argumentTypes.begin(), argumentTypes.end());
  impl->resultTypes.assign(resultTypes.begin(), resultTypes.end());
  return std::unique_ptr<HostFunction>(new HostFunction(std::move(impl)));
}

llvm::Error HostFunction::writeObject(StringRef path) const {
  if (!impl->engine)
    return makeError("'" + impl->name +
                     "' was loaded from object code; it has none to write");
  if (!impl->keepsObject)
    return makeError("'" + impl->name +
                     "' kept no object code (compile it with keepObject)");
  // dumpToObjectFile reports its failures on stderr only: check the file.
  llvm::sys::fs::remove(path);
  impl->engine->dumpToObjectFile(path);
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(path, size) || size == 0)
    return makeError("cannot write the object code of '" + impl->name +
                     "' to '" + path + "'");
  return llvm::Error::success();
}

std::string HostFunction::getHostTarget() {
  std::string target = llvm::sys::getProcessTriple() + "/" +
                       llvm::sys::getHostCPUName().str() + "/";
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> enabled;
  for (const auto &feature : features)
    if (feature.getValue())
      enabled.push_back(feature.getKey().str());
  llvm::sort(enabled);
  return target + llvm::join(enabled, ",");
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

namespace {
/// A memref descriptor over a dense row-major buffer: {allocated, aligned,
/// offset, sizes[rank], strides[rank]}, all 8-byte fields.
SmallVector<int64_t> makeDescriptor(const void *data,
                                    llvm::ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  SmallVector<int64_t> descriptor(3 + 2 * rank, 0);
  descriptor[0] = descriptor[1] = reinterpret_cast<int64_t>(data);
  int64_t stride = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    descriptor[3 + i] = shape[i];
    descriptor[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return descriptor;
}

/// Takes the buffer a result descriptor owns. A dense row-major buffer at
/// offset 0 is kept as is; anything else is gathered into a fresh one.
HostTensor takeResult(const int64_t *descriptor, const HostTensorType &type) {
  int64_t rank = type.shape.size();
  size_t elementSize = getHostElementByteSize(type.elementType);
  void *allocated = reinterpret_cast<void *>(descriptor[0]);
  const char *aligned = reinterpret_cast<const char *>(descriptor[1]);
  int64_t offset = descriptor[2];
  HostTensor result;
  result.elementType = type.elementType;
  result.shape.assign(descriptor + 3, descriptor + 3 + rank);
  int64_t n = result.getNumElements();

  bool dense = allocated == aligned && offset == 0;
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0 && dense; --d) {
    dense = result.shape[d] == 1 || descriptor[3 + rank + d] == stride;
    stride *= result.shape[d];
  }
  if (dense) {
    result.data.reset(allocated);
    return result;
  }
  void *copy = std::malloc(std::max<size_t>(1, n * elementSize));
  SmallVector<int64_t> index(rank, 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t linear = offset;
    for (int64_t d = 0; d < rank; ++d)
      linear += index[d] * descriptor[3 + rank + d];
    std::memcpy(static_cast<char *>(copy) + e * elementSize,
                aligned + linear * elementSize, elementSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < result.shape[d])
        break;
      index[d] = 0;
    }
  }
  std::free(allocated);
  result.data.reset(copy);
  return result;
}
} // namespace

llvm::Expected<std::vector<HostTensor>>
HostFunction::call(llvm::ArrayRef<HostTensorRef> args) const {
  if (args.size() != impl->argumentTypes.size())
    return makeError("'" + impl->name + "' takes " +
                     llvm::Twine(impl->argumentTypes.size()) +
                     " argument(s), got " + llvm::Twine(args.size()));
  for (auto [i, arg] : llvm::enumerate(args)) {
    const HostTensorType &type = impl->argumentTypes[i];
    if (arg.shape.size() != type.shape.size())
      return makeError("argument " + llvm::Twine(i) + ": rank " +
                       llvm::Twine(arg.shape.size()) + " (shape " +
                       formatShape(arg.shape) + ") does not match " +
                       type.str());
    for (auto [d, extent] : llvm::enumerate(arg.shape)) {
      if (extent < 0)
        return makeError("argument " + llvm::Twine(i) + ": negative extent " +
                         "in shape " + formatShape(arg.shape));
      if (type.shape[d] != HostTensorType::kDynamic && type.shape[d] != extent)
        return makeError("argument " + llvm::Twine(i) + ": shape " +
                         formatShape(arg.shape) + " does not match " +
                         type.str() + " in dimension " + llvm::Twine(d));
    }
  }

  // Results come back through one out-parameter: the descriptor of the only
  // result, or a struct of all result descriptors (all fields 8 bytes, so
  // they are laid out back to back).
  SmallVector<size_t> resultOffsets;
  size_t resultWords = 0;
  for (const HostTensorType &t : impl->resultTypes) {
    resultOffsets.push_back(resultWords);
    resultWords += 3 + 2 * t.shape.size();
  }
  SmallVector<int64_t> resultStorage(resultWords + 1, 0);
  void *resultPtr = resultStorage.data();
  SmallVector<SmallVector<int64_t>> descriptors;
  for (const HostTensorRef &arg : args)
    descriptors.push_back(makeDescriptor(arg.data, arg.shape));
  SmallVector<void *> argPtrs;
  for (SmallVector<int64_t> &d : descriptors)
    argPtrs.push_back(d.data());
  SmallVector<void *> packed;
  if (!impl->resultTypes.empty())
    packed.push_back(&resultPtr);
  for (void *&p : argPtrs)
    packed.push_back(&p);

  impl->invoke(packed.data());

  std::vector<HostTensor> results;
  for (auto [i, t] : llvm::enumerate(impl->resultTypes))
    results.push_back(takeResult(resultStorage.data() + resultOffsets[i],
                                 impl->resultTypes[i]));
  return results;
}
