//===- Runtime.cpp - The Celeris GPU runtime --------------------*- C++ -*-===//
//
// Implements celeris-c/Runtime.h over the CUDA driver API, which is opened
// with dlopen so that the library loads (and reports a clear error) on a
// machine without a driver. Only the handful of driver entry points the
// runtime needs are declared here, with the driver's stable C ABI.
//
//===----------------------------------------------------------------------===//

#include "celeris-c/Runtime.h"
#include "Manifest.h"

#include <dlfcn.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

using namespace celeris::runtime;

namespace {

// The driver's ABI: handles are opaque pointers, results are ints.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUdeviceptr = unsigned long long;
constexpr int kMaxDynamicSharedSizeBytes = 8; // CU_FUNC_ATTRIBUTE_...

/// The driver entry points, resolved once per process.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  /// Null where the driver predates tensor maps (CUDA 12): only kernels
  /// that take one need it.
  CUresult (*cuTensorMapEncodeTiled)(void *, int, unsigned, void *,
                                     const uint64_t *, const uint64_t *,
                                     const uint32_t *, const uint32_t *, int,
                                     int, int, int);
};

/// A CUtensorMap: 128 opaque bytes, aligned to 64.
struct alignas(64) TensorMap {
  uint64_t words[16];
};

thread_local std::string lastError;

int fail(std::string message) {
  lastError = std::move(message);
  return 1;
}

/// Opens the driver; null with lastError set when there is none.
const Driver *openDriver() {
  static Driver driver;
  static std::string openError;
  static bool opened = [] {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      lib = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      openError = "no CUDA driver: could not open libcuda.so.1 (" +
                  std::string(dlerror()) +
                  "); the Celeris GPU runtime needs an NVIDIA driver";
      return false;
    }
    bool ok = true;
    auto resolve = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      if (!fn && ok) {
        openError = std::string("the CUDA driver has no entry point ") + name;
        ok = false;
      }
    };
    resolve(driver.cuInit, "cuInit");
    resolve(driver.cuDeviceGet, "cuDeviceGet");
    resolve(driver.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    resolve(driver.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    resolve(driver.cuCtxSetCurrent, "cuCtxSetCurrent");
    resolve(driver.cuCtxSynchronize, "cuCtxSynchronize");
    resolve(driver.cuModuleLoadData, "cuModuleLoadData");
    resolve(driver.cuModuleUnload, "cuModuleUnload");
    resolve(driver.cuModuleGetFunction, "cuModuleGetFunction");
    resolve(driver.cuFuncSetAttribute, "cuFuncSetAttribute");
    resolve(driver.cuLaunchKernel, "cuLaunchKernel");
    resolve(driver.cuGetErrorString, "cuGetErrorString");
    resolve(driver.cuMemAlloc, "cuMemAlloc_v2");
    resolve(driver.cuMemFree, "cuMemFree_v2");
    resolve(driver.cuMemsetD8, "cuMemsetD8_v2");
    driver.cuTensorMapEncodeTiled =
        reinterpret_cast<decltype(driver.cuTensorMapEncodeTiled)>(
            dlsym(lib, "cuTensorMapEncodeTiled"));
    return ok;
  }();
  if (!opened) {
    lastError = openError;
    return nullptr;
  }
  return &driver;
}

/// Sets lastError for a failed driver call; returns whether it succeeded.
bool check(const Driver &driver, CUresult result, const std::string &what) {
  if (result == 0)
    return true;
  const char *message = nullptr;
  driver.cuGetErrorString(result, &message);
  lastError = what + " failed: " + (message ? message : "unknown error") +
              " (CUresult " + std::to_string(result) + ")";
  return false;
}

} // namespace

struct CelerisRuntime {
  const Driver *driver;
  CUdevice device;
  CUcontext context;
};

struct CelerisModule {
  CelerisRuntime *runtime; // Null for a module of celeris_module_load_manifest.
  Manifest manifest;
  std::vector<CUmodule> modules;
  std::vector<CUfunction> functions; // One per manifest kernel.
  /// The functions of each kernel's steps, in order.
  std::vector<std::vector<CUfunction>> stepFunctions;
  /// The workspace of each kernel that has one (0: none yet), and its bytes.
  std::vector<CUdeviceptr> workspaces;
  std::vector<int64_t> workspaceBytes;
};

extern "C" {

const char *celeris_last_error(void) { return lastError.c_str(); }

int celeris_runtime_create(int device, CelerisRuntime **runtime) {
  const Driver *driver = openDriver();
  if (!driver)
    return 1;
  auto rt = std::make_unique<CelerisRuntime>();
  rt->driver = driver;
  if (!check(*driver, driver->cuInit(0), "cuInit") ||
      !check(*driver, driver->cuDeviceGet(&rt->device, device),
             "cuDeviceGet(" + std::to_string(device) + ")") ||
      !check(*driver,
             driver->cuDevicePrimaryCtxRetain(&rt->context, rt->device),
             "cuDevicePrimaryCtxRetain") ||
      !check(*driver, driver->cuCtxSetCurrent(rt->context), "cuCtxSetCurrent"))
    return 1;
  *runtime = rt.release();
  return 0;
}

void celeris_runtime_destroy(CelerisRuntime *runtime) {
  if (!runtime)
    return;
  runtime->driver->cuDevicePrimaryCtxRelease(runtime->device);
  delete runtime;
}

/// A module of the manifest at `manifestPath` without a runtime or binaries;
/// null with lastError set when the manifest cannot be read.
static std::unique_ptr<CelerisModule> readManifest(const char *manifestPath) {
  std::ifstream file(manifestPath);
  if (!file) {
    fail(std::string("cannot open manifest '") + manifestPath + "'");
    return nullptr;
  }
  std::stringstream text;
  text << file.rdbuf();
  std::string error;
  std::optional<Manifest> manifest = Manifest::parse(text.str(), error);
  if (!manifest) {
    fail(std::string(manifestPath) + ": " + error);
    return nullptr;
  }
  auto result = std::make_unique<CelerisModule>();
  result->runtime = nullptr;
  result->manifest = std::move(*manifest);
  return result;
}

int celeris_module_load_manifest(const char *manifestPath,
                                 CelerisModule **module) {
  std::unique_ptr<CelerisModule> result = readManifest(manifestPath);
  if (!result)
    return 1;
  *module = result.release();
  return 0;
}

int celeris_module_load(CelerisRuntime *runtime, const char *manifestPath,
                        CelerisModule **module) {
  std::unique_ptr<CelerisModule> result = readManifest(manifestPath);
  if (!result)
    return 1;
  std::string dir(manifestPath);
  size_t slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? "" : dir.substr(0, slash + 1);

  result->runtime = runtime;
  const Driver &driver = *runtime->driver;
  for (const KernelSpec &kernel : result->manifest.kernels) {
    if (kernel.program) {
      // A program runs the kernels it names.
      result->functions.push_back(nullptr);
      result->stepFunctions.emplace_back();
      continue;
    }
    std::ifstream binary(dir + kernel.binary, std::ios::binary);
    if (!binary)
      return fail("cannot open kernel binary '" + dir + kernel.binary + "'");
    std::string image((std::istreambuf_iterator<char>(binary)),
                      std::istreambuf_iterator<char>());
    image.push_back('\0'); // PTX images must be NUL-terminated.
    CUmodule cuModule;
    if (!check(driver, driver.cuModuleLoadData(&cuModule, image.data()),
               "loading '" + kernel.binary + "'"))
      return 1;
    result->modules.push_back(cuModule);
    CUfunction function;
    if (!check(driver,
               driver.cuModuleGetFunction(&function, cuModule,
                                          kernel.symbol.c_str()),
               "finding '" + kernel.symbol + "' in '" + kernel.binary + "'"))
      return 1;
    result->functions.push_back(function);
    std::vector<CUfunction> steps;
    for (const KernelLaunch &step : kernel.steps) {
      if (!check(driver,
                 driver.cuModuleGetFunction(&function, cuModule,
                                            step.symbol.c_str()),
                 "finding step '" + step.symbol + "' in '" + kernel.binary +
                     "'"))
        return 1;
      steps.push_back(function);
    }
    result->stepFunctions.push_back(std::move(steps));
  }
  result->workspaces.assign(result->manifest.kernels.size(), 0);
  result->workspaceBytes.assign(result->manifest.kernels.size(), 0);
  *module = result.release();
  return 0;
}

void celeris_module_unload(CelerisModule *module) {
  if (!module)
    return;
  for (CUdeviceptr w : module->workspaces)
    if (w)
      module->runtime->driver->cuMemFree(w);
  for (CUmodule m : module->modules) // None without a runtime.
    module->runtime->driver->cuModuleUnload(m);
  delete module;
}

int celeris_module_num_kernels(const CelerisModule *module) {
  return static_cast<int>(module->manifest.kernels.size());
}

const char *celeris_module_kernel_name(const CelerisModule *module, int index) {
  if (index < 0 || index >= celeris_module_num_kernels(module))
    return nullptr;
  return module->manifest.kernels[index].name.c_str();
}

/// The index of kernel `name` in the manifest, or -1.
static int findKernel(const CelerisModule *module, const char *name) {
  const std::vector<KernelSpec> &kernels = module->manifest.kernels;
  for (size_t i = 0; i < kernels.size(); ++i)
    if (kernels[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int celeris_kernel_num_args(const CelerisModule *module, const char *kernel) {
  int index = findKernel(module, kernel);
  return index < 0
             ? -1
             : static_cast<int>(module->manifest.kernels[index].args.size());
}

int celeris_kernel_arg(const CelerisModule *module, const char *kernel,
                       int index, int *kind, int *rank,
                       const char **elementType, const char **name) {
  int k = findKernel(module, kernel);
  if (k < 0)
    return fail(std::string("the artifact has no kernel '") + kernel + "'");
  const std::vector<KernelArg> &args = module->manifest.kernels[k].args;
  if (index < 0 || index >= static_cast<int>(args.size()))
    return fail("argument index " + std::to_string(index) +
                " out of range for kernel '" + kernel + "'");
  *kind = static_cast<int>(args[index].kind);
  *rank = static_cast<int>(args[index].rank);
  *elementType = args[index].elementType.c_str();
  *name = args[index].name.c_str();
  return 0;
}

int celeris_kernel_num_sizes(const CelerisModule *module, const char *kernel) {
  int index = findKernel(module, kernel);
  return index < 0
             ? -1
             : static_cast<int>(module->manifest.kernels[index].sizes.size());
}

int celeris_kernel_size(const CelerisModule *module, const char *kernel,
                        int index, const char **name, const char **arg,
                        int *dim) {
  int k = findKernel(module, kernel);
  if (k < 0)
    return fail(std::string("the artifact has no kernel '") + kernel + "'");
  const KernelSpec &spec = module->manifest.kernels[k];
  if (index < 0 || index >= static_cast<int>(spec.sizes.size()))
    return fail("size index " + std::to_string(index) +
                " out of range for kernel '" + kernel + "'");
  const SizeBinding &size = spec.sizes[index];
  *name = size.name.c_str();
  *arg = spec.args[size.arg].name.c_str();
  *dim = static_cast<int>(size.dim);
  return 0;
}

int celeris_kernel_num_results(const CelerisModule *module,
                               const char *kernel) {
  int index = findKernel(module, kernel);
  return index < 0
             ? -1
             : static_cast<int>(module->manifest.kernels[index].results.size());
}

int celeris_kernel_result(const CelerisModule *module, const char *kernel,
                          int index, const char **name, const char **shape) {
  int k = findKernel(module, kernel);
  if (k < 0)
    return fail(std::string("the artifact has no kernel '") + kernel + "'");
  const KernelSpec &spec = module->manifest.kernels[k];
  if (index < 0 || index >= static_cast<int>(spec.results.size()))
    return fail("result index " + std::to_string(index) +
                " out of range for kernel '" + kernel + "'");
  *name = spec.args[spec.results[index].arg].name.c_str();
  *shape = spec.results[index].text.c_str();
  return 0;
}

/// The grid and shared memory of `launch` (of kernel `name`) at `sizes`.
static int evaluateGeometry(const KernelLaunch &launch, const std::string &name,
                            const std::map<std::string, int64_t> &sizes,
                            int64_t grid[3], int64_t *sharedBytes) {
  std::string error;
  for (int d = 0; d < 3; ++d) {
    std::optional<int64_t> value = launch.grid[d]->evaluate(sizes, error);
    if (!value)
      return fail("kernel '" + name + "': " + error);
    if (*value < 0 || *value > 0x7fffffff)
      return fail("kernel '" + name + "': grid dimension " + std::to_string(d) +
                  " evaluates to " + std::to_string(*value));
    grid[d] = *value;
  }
  std::optional<int64_t> shared = launch.sharedBytes->evaluate(sizes, error);
  if (!shared)
    return fail("kernel '" + name + "': " + error);
  *sharedBytes = *shared;
  return 0;
}

/// What celeris_launch_geometry computes, and with `workspaceBytes` also
/// the workspace the launch needs (0 for a kernel without one) and with
/// `boundSizes` the sizes, from the same bound sizes.
static int
evaluateLaunch(const CelerisModule *module, const char *kernelName,
               const char *const *sizeNames, const int64_t *sizeValues,
               int numSizes, void **args, int numArgs, int64_t grid[3],
               int64_t *sharedBytes, int64_t *workspaceBytes,
               std::map<std::string, int64_t> *boundSizes = nullptr) {
  int index = findKernel(module, kernelName);
  if (index < 0)
    return fail(std::string("the artifact has no kernel '") + kernelName + "'");
  const KernelSpec &kernel = module->manifest.kernels[index];
  if (kernel.program)
    return fail("'" + kernel.name + "' is a program of " +
                std::to_string(kernel.program->launches.size()) +
                " launches, with no geometry of its own");
  if (numArgs != static_cast<int>(kernel.args.size()))
    return fail("kernel '" + kernel.name + "' takes " +
                std::to_string(kernel.args.size()) + " arguments, got " +
                std::to_string(numArgs));

  std::map<std::string, int64_t> given;
  for (int i = 0; i < numSizes; ++i)
    given[sizeNames[i]] = sizeValues[i];
  std::string error;
  // A kernel built for a static extent would read out of bounds or compute
  // garbage on another.
  if (!kernel.checkExtents(args, error) || !kernel.checkAlignment(args, error))
    return fail("kernel '" + kernel.name + "': " + error);
  std::optional<std::map<std::string, int64_t>> sizes =
      kernel.bindSizes(args, given, error);
  if (!sizes)
    return fail("kernel '" + kernel.name + "': " + error);
  if (evaluateGeometry(kernel, kernel.name, *sizes, grid, sharedBytes))
    return 1;
  if (boundSizes)
    *boundSizes = *sizes;
  if (workspaceBytes) {
    // An empty grid launches nothing and needs no workspace, unless steps
    // follow it.
    *workspaceBytes = 0;
    if (kernel.workspaceBytes &&
        ((grid[0] && grid[1] && grid[2]) || !kernel.steps.empty())) {
      std::optional<int64_t> bytes =
          kernel.workspaceBytes->evaluate(*sizes, error);
      if (!bytes || *bytes < 0)
        return fail("kernel '" + kernel.name +
                    "': workspace: " + (bytes ? "negative size" : error));
      *workspaceBytes = *bytes;
    }
  }
  return 0;
}

int celeris_launch_geometry(const CelerisModule *module, const char *kernelName,
                            const char *const *sizeNames,
                            const int64_t *sizeValues, int numSizes,
                            void **args, int numArgs, int64_t grid[3],
                            int64_t *sharedBytes) {
  return evaluateLaunch(module, kernelName, sizeNames, sizeValues, numSizes,
                        args, numArgs, grid, sharedBytes, nullptr);
}

/// Grows the module-owned device buffer of manifest entry `index` to at
/// least `bytes`: a fresh buffer is zero. Grown (never shrunk) outside any
/// stream's work, since earlier launches may still use the old buffer.
static int reserveScratch(CelerisModule *module, int index, int64_t bytes,
                          const std::string &what) {
  const Driver &driver = *module->runtime->driver;
  CUdeviceptr &buffer = module->workspaces[index];
  int64_t &capacity = module->workspaceBytes[index];
  if (bytes <= capacity)
    return 0;
  if (buffer &&
      (!check(driver, driver.cuCtxSynchronize(),
              "synchronizing before growing the " + what) ||
       !check(driver, driver.cuMemFree(buffer), "freeing the " + what)))
    return 1;
  buffer = 0;
  capacity = 0;
  if (!check(driver, driver.cuMemAlloc(&buffer, bytes),
             "allocating " + std::to_string(bytes) + " bytes of " + what +
                 " for '" + module->manifest.kernels[index].name + "'") ||
      !check(driver, driver.cuMemsetD8(buffer, 0, bytes),
             "clearing the " + what))
    return 1;
  capacity = bytes;
  return 0;
}

static int launchProgram(CelerisModule *module, int index, int numSizes,
                         void **args, int numArgs, void *stream);

int celeris_launch(CelerisModule *module, const char *kernelName,
                   const char *const *sizeNames, const int64_t *sizeValues,
                   int numSizes, void **args, int numArgs, void *stream) {
  int programIndex = findKernel(module, kernelName);
  if (programIndex >= 0 && module->manifest.kernels[programIndex].program)
    return launchProgram(module, programIndex, numSizes, args, numArgs, stream);
  int64_t grid[3], shared, workspaceBytes;
  std::map<std::string, int64_t> sizes;
  if (evaluateLaunch(module, kernelName, sizeNames, sizeValues, numSizes, args,
                     numArgs, grid, &shared, &workspaceBytes, &sizes))
    return 1;
  if (!module->runtime)
    return fail(std::string("cannot launch '") + kernelName +
                "': the module was loaded from its manifest alone, without "
                "a runtime");
  int index = findKernel(module, kernelName);
  const KernelSpec &kernel = module->manifest.kernels[index];
  // An empty grid (a zero-sized problem) is a successful no-op; steps still
  // run (they may write results of a zero-sized input, as zero counts).
  if ((grid[0] == 0 || grid[1] == 0 || grid[2] == 0) && kernel.steps.empty())
    return 0;
  const Driver &driver = *module->runtime->driver;
  // A memref descriptor is passed to the kernel field by field.
  std::vector<void *> params;
  // The workspace's descriptor: allocated and aligned pointer, offset,
  // size, stride.
  int64_t workspace[5] = {0, 0, 0, 0, 1};
  for (size_t i = 0; i < kernel.args.size(); ++i) {
    if (kernel.args[i].kind != ArgKind::MemRef) {
      params.push_back(args[i]);
      continue;
    }
    char *descriptor = static_cast<char *>(args[i]);
    unsigned fields = 3 + 2 * kernel.args[i].rank;
    for (unsigned f = 0; f < fields; ++f)
      params.push_back(descriptor + 8 * f);
  }

  if (kernel.workspaceBytes) {
    // A fresh workspace is zero, as the kernel expects its counters; each
    // launch leaves them zero.
    if (reserveScratch(module, index, workspaceBytes, "workspace"))
      return 1;
    workspace[0] = workspace[1] =
        static_cast<int64_t>(module->workspaces[index]);
    workspace[3] = module->workspaceBytes[index];
    for (int64_t &field : workspace)
      params.push_back(&field);
  }

  // Tensor maps, by value: the driver copies the parameters at launch (and
  // a captured graph keeps them), so they live on this stack.
  std::vector<TensorMap> tensorMaps(kernel.tensorMaps.size());
  for (size_t i = 0; i < kernel.tensorMaps.size(); ++i) {
    std::string error;
    std::optional<TensorMapEncoding> encoding =
        kernel.encodeTensorMap(kernel.tensorMaps[i], args, error);
    if (!encoding)
      return fail("kernel '" + kernel.name + "': " + error);
    // The map of an empty tensor stays zero: the kernel reads none.
    TensorMap &map = tensorMaps[i];
    if (encoding->encode) {
      if (!driver.cuTensorMapEncodeTiled)
        return fail("kernel '" + kernel.name +
                    "' takes tensor maps, and the CUDA driver has no "
                    "cuTensorMapEncodeTiled (it needs a CUDA 12 driver)");
      const uint32_t unitStrides[5] = {1, 1, 1, 1, 1};
      // No interleave, 256-byte L2 promotion, out-of-bounds elements read
      // as zeros.
      if (!check(driver,
                 driver.cuTensorMapEncodeTiled(
                     &map, encoding->dataType, encoding->rank,
                     encoding->address, encoding->dims, encoding->strides,
                     encoding->box, unitStrides, /*interleave=*/0,
                     encoding->swizzle, /*l2Promotion=*/3, /*oobFill=*/0),
                 "encoding the tensor map over argument '" +
                     kernel.args[kernel.tensorMaps[i].arg].name + "' of '" +
                     kernel.name + "'"))
        return 1;
    }
    params.push_back(&map);
  }

  auto run = [&](CUfunction function, const KernelLaunch &launch,
                 const int64_t grid[3], int64_t shared) {
    if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0)
      return true;
    if (shared > 48 * 1024 &&
        !check(driver,
               driver.cuFuncSetAttribute(function, kMaxDynamicSharedSizeBytes,
                                         static_cast<int>(shared)),
               "reserving " + std::to_string(shared) +
                   " bytes of shared memory for '" + launch.symbol + "'"))
      return false;
    return check(
        driver,
        driver.cuLaunchKernel(
            function, static_cast<unsigned>(grid[0]),
            static_cast<unsigned>(grid[1]), static_cast<unsigned>(grid[2]),
            launch.block[0], launch.block[1], launch.block[2],
            static_cast<unsigned>(shared), stream, params.data(), nullptr),
        "launching '" + launch.symbol + "'");
  };
  if (!run(module->functions[index], kernel, grid, shared))
    return 1;
  // The steps, in order on the same stream: each sees what the ones before
  // it wrote.
  for (size_t i = 0; i < kernel.steps.size(); ++i) {
    int64_t stepGrid[3], stepShared;
    if (evaluateGeometry(kernel.steps[i], kernel.name, sizes, stepGrid,
                         &stepShared) ||
        !run(module->stepFunctions[index][i], kernel.steps[i], stepGrid,
             stepShared))
      return 1;
  }
  return 0;
}

/// Runs program `index`: its buffers are carved from one module-owned
/// allocation, each a dense row-major memref, and its launches run in order
/// on `stream`, each checked as celeris_launch checks a kernel's.
static int launchProgram(CelerisModule *module, int index, int numSizes,
                         void **args, int numArgs, void *stream) {
  const KernelSpec &program = module->manifest.kernels[index];
  const std::string name = "program '" + program.name + "': ";
  if (numArgs != static_cast<int>(program.args.size()))
    return fail(name + "takes " + std::to_string(program.args.size()) +
                " arguments, got " + std::to_string(numArgs));
  if (numSizes != 0)
    return fail(name + "takes no sizes: they come from its arguments' "
                       "shapes");
  std::string error;
  for (int i = 0; i < numArgs; ++i)
    if (!args[i])
      return fail(name + "argument '" + program.args[i].name + "' is null");
  if (!program.checkExtents(args, error) ||
      !program.checkAlignment(args, error))
    return fail(name + error);
  // The outputs' shapes are the caller's to get right: a wrong one would
  // be written out of bounds.
  if (std::optional<ResultMismatch> wrong =
          findResultMismatch(program.results, args))
    return fail(name + "result '" + program.args[wrong->result->arg].name +
                "' has extent " + std::to_string(wrong->have) +
                " in dimension " + std::to_string(wrong->dim) +
                ", its shape (" + wrong->result->text + ") gives " +
                std::to_string(wrong->want));

  // Each buffer's descriptor: pointers, offset, sizes, strides; 256-byte
  // aligned offsets into one allocation.
  const std::vector<ProgramBuffer> &buffers = program.program->buffers;
  std::vector<std::vector<int64_t>> descriptors(buffers.size());
  std::vector<int64_t> offsets(buffers.size());
  int64_t bytes = 0;
  // The elements of an argument or buffer.
  std::vector<int64_t> counts(buffers.size());
  auto elementsOf = [&](int operand) {
    if (operand < 0)
      return counts[-1 - operand];
    int64_t elements = 1;
    for (unsigned i = 0; i < program.args[operand].rank; ++i)
      elements *= descriptorExtent(args[operand], i);
    return elements;
  };
  for (size_t b = 0; b < buffers.size(); ++b) {
    const ProgramBuffer &buffer = buffers[b];
    std::vector<int64_t> &d = descriptors[b];
    unsigned rank = buffer.type.rank;
    d.assign(3 + 2 * rank, 0);
    int64_t elements = 1;
    for (unsigned i = rank; i-- > 0;) {
      d[3 + i] = evaluateExtent(buffer.dims[i], args);
      d[3 + rank + i] = elements;
      elements *= d[3 + i];
    }
    counts[b] = elements;
    if (buffer.viewOf != ProgramBuffer::kNotAView) {
      // Same elements, another shape: a reshape between kernels.
      int64_t source = elementsOf(buffer.viewOf);
      if (source != elements)
        return fail(name + "view '" + buffer.type.name + "' has " +
                    std::to_string(elements) + " elements, what it shows " +
                    std::to_string(source));
      offsets[b] = -1;
      continue;
    }
    offsets[b] = bytes;
    bytes +=
        (elements * elementBytes(buffer.type.elementType) + 255) / 256 * 256;
  }
  if (!module->runtime)
    return fail("cannot launch '" + program.name +
                "': the module was loaded from its manifest alone, without "
                "a runtime");
  if (reserveScratch(module, index, bytes, "program buffers"))
    return 1;
  for (size_t b = 0; b < buffers.size(); ++b) {
    int64_t address;
    if (offsets[b] >= 0) {
      address = static_cast<int64_t>(module->workspaces[index]) + offsets[b];
    } else {
      // A view starts where what it shows starts (its aligned pointer and
      // offset; sources are dense).
      int viewOf = buffers[b].viewOf;
      const int64_t *source = viewOf >= 0
                                  ? static_cast<const int64_t *>(args[viewOf])
                                  : descriptors[-1 - viewOf].data();
      address =
          source[1] + source[2] * elementBytes(buffers[b].type.elementType);
    }
    descriptors[b][0] = descriptors[b][1] = address;
  }

  for (const ProgramLaunch &launch : program.program->launches) {
    std::vector<void *> kernelArgs;
    for (int operand : launch.operands)
      kernelArgs.push_back(operand >= 0 ? args[operand]
                                        : descriptors[-1 - operand].data());
    // The buffers' shapes were composed from the kernels' result shapes
    // when compiling; a disagreement would write out of bounds.
    const KernelSpec &kernel = module->manifest.kernels[launch.kernelIndex];
    if (std::optional<ResultMismatch> wrong =
            findResultMismatch(kernel.results, kernelArgs.data()))
      return fail(name + "kernel '" + kernel.name + "' writes '" +
                  kernel.args[wrong->result->arg].name + "' with extent " +
                  std::to_string(wrong->want) + " in dimension " +
                  std::to_string(wrong->dim) +
                  ", but it is bound to a memref of " +
                  std::to_string(wrong->have));
    if (celeris_launch(module, launch.kernel.c_str(), nullptr, nullptr, 0,
                       kernelArgs.data(), static_cast<int>(kernelArgs.size()),
                       stream))
      return fail(name + lastError);
  }
  return 0;
}

int celeris_synchronize(CelerisRuntime *runtime) {
  const Driver &driver = *runtime->driver;
  return check(driver, driver.cuCtxSynchronize(), "cuCtxSynchronize") ? 0 : 1;
}

} // extern "C"
