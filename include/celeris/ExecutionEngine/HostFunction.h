//===- HostFunction.h - A tensor function JIT-compiled for the host -*- C++
//-*-===//
//
// Compiles one function of an MLIR module on ranked tensors (Celeris ops and
// the upstream tensor dialects) through the celeris-cpu pipeline and
// mlir::ExecutionEngine, and calls it on dense row-major buffers. This is
// the CPU path behind celeris-run and the Python extension; the interface
// names no MLIR type, so embedders need no MLIR headers beyond this one.
//
//   auto fn = HostFunction::compile(source, "model.mlir", options);
//   auto results = (*fn)->call({{q.data(), {2, 8, 64, 64}}, ...});
//
// Results are owned by the caller: the bufferization's ownership-based
// deallocation gives every returned buffer to the caller (a result that is
// an argument or a constant comes back as a copy), and HostTensor frees it.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_EXECUTIONENGINE_HOSTFUNCTION_H
#define CELERIS_EXECUTIONENGINE_HOSTFUNCTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::celeris {

/// The element types a host function takes and returns.
enum class HostElementType { F16, BF16, F32, F64, I1, I8, I16, I32, I64 };

/// "f16", "bf16", "f32", ..., "i64": the MLIR spelling.
llvm::StringRef getHostElementTypeName(HostElementType type);
/// The byte size of one element (i1 takes a byte).
size_t getHostElementByteSize(HostElementType type);
/// Parses an MLIR spelling; nullopt for anything else.
std::optional<HostElementType> parseHostElementType(llvm::StringRef name);

/// The type of an argument or result: extents (kDynamic where the function
/// type has `?`) and element type.
struct HostTensorType {
  static constexpr int64_t kDynamic = INT64_MIN;
  llvm::SmallVector<int64_t> shape;
  HostElementType elementType;

  /// The MLIR spelling, e.g. "tensor<2x?x64xbf16>".
  std::string str() const;
};

/// A caller-owned dense row-major buffer passed as an argument. The callee
/// neither writes nor keeps it.
struct HostTensorRef {
  const void *data;
  llvm::SmallVector<int64_t> shape;
};

/// A result: a dense row-major buffer the caller owns.
struct HostTensor {
  struct Free {
    void operator()(void *p) const { std::free(p); }
  };
  llvm::SmallVector<int64_t> shape;
  HostElementType elementType;
  std::unique_ptr<void, Free> data;

  int64_t getNumElements() const;
};

struct HostFunctionOptions {
  /// The function to compile; empty: the only public function with a body,
  /// else `main`.
  std::string entry;
  /// A textual pass pipeline run before the celeris-cpu pipeline.
  std::string prePipeline;
  /// Lower Celeris ops through the tiled algorithms (celeris-cpu tiled=true).
  bool tiled = false;
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 2;
  /// Libraries the JIT-compiled code may call, beside the MLIR C runner
  /// utilities (which are added when installed).
  std::vector<std::string> sharedLibs;
  /// If set, receives the module after the host lowering.
  std::string *loweredModule = nullptr;
  /// Keep the compiled object code, for writeObject.
  bool keepObject = false;
};

/// One function of a module, lowered and JIT-compiled for the host.
class HostFunction {
public:
  /// Parses `source` (named `bufferName` in diagnostics), lowers and
  /// JIT-compiles the entry function. The error carries every diagnostic
  /// with its location.
  static llvm::Expected<std::unique_ptr<HostFunction>>
  compile(llvm::StringRef source, llvm::StringRef bufferName,
          const HostFunctionOptions &options);
  /// Loads object code written by writeObject (a disk cache: no lowering,
  /// no code generation). The caller vouches for `name` and the types: they
  /// are those the object was compiled with. `sharedLibs` as for compile.
  static llvm::Expected<std::unique_ptr<HostFunction>>
  load(llvm::StringRef objectPath, llvm::StringRef name,
       llvm::ArrayRef<HostTensorType> argumentTypes,
       llvm::ArrayRef<HostTensorType> resultTypes,
       llvm::ArrayRef<std::string> sharedLibs);
  ~HostFunction();

  /// Writes the object code (compiled with keepObject) to `path`.
  llvm::Error writeObject(llvm::StringRef path) const;
  /// The host the object code is for: triple, CPU and its features. Object
  /// code runs only on a host with the same.
  static std::string getHostTarget();

  llvm::StringRef getName() const;
  llvm::ArrayRef<HostTensorType> getArgumentTypes() const;
  llvm::ArrayRef<HostTensorType> getResultTypes() const;
  /// Milliseconds spent lowering and JIT-compiling.
  double getLoweringMs() const;
  double getJitMs() const;

  /// Checks `args` against the argument types (count, rank, static extents)
  /// and calls the function. Thread-compatible: concurrent calls are safe.
  llvm::Expected<std::vector<HostTensor>>
  call(llvm::ArrayRef<HostTensorRef> args) const;

private:
  struct Impl;
  explicit HostFunction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::celeris

#endif // CELERIS_EXECUTIONENGINE_HOSTFUNCTION_H
