//===- Manifest.h - Celeris artifact manifests ------------------*- C++ -*-===//
//
// The manifest of a Celeris artifact: for each kernel, its binary, symbol,
// argument list and launch geometry as expressions of named runtime sizes,
// so one artifact serves every sequence length. Plain text, one directive
// per line:
//
//   celeris-artifact 1
//   kernel attention_fwd
//     binary attention.cubin
//     symbol attention_fwd_kernel
//     grid ceildiv(Sq,128) Hq B
//     block 128 1 1
//     shared 49152
//     arg memref<4:bf16> q shape ?x?x?x128
//                       (an MLIR memref descriptor: 3 + 2 * rank params;
//                        the optional shape gives its static extents, `?`
//                        for dynamic, and a launch must match them)
//     arg ptr workspace
//     arg i64 Sq
//     size B q 0        (size B is dimension 0 of the shape of q)
//     size Hq q 1
//     size Sq q 2
//     result out q[0] q[1] q[2] 128
//                       (optional: the shape of output argument out in terms
//                        of the inputs', so a caller can allocate it; a
//                        dimension may be a product, `x[0]*x[1]`)
//     workspace 4*B*Hq   (optional: bytes of scratch memory the runtime
//                         owns and passes as a last, hidden argument, a
//                         memref<?xi8> descriptor; zero when first
//                         allocated, and a kernel that counts on zeros
//                         leaves it zero)
//     tensor_map w box 1x64x64 swizzle 128
//                       (optional, repeated: a TMA tensor map over memref
//                        argument w, encoded at launch from its descriptor
//                        and passed by value, 128 bytes aligned to 64, after
//                        the other parameters and the workspace, in the
//                        order of these lines; the box is the tile one copy
//                        moves, an extent per dimension of w, and swizzle
//                        the shared-memory swizzle in bytes, 0 or 128)
//     step histogram_scan   (optional, repeated: a further kernel of the
//       grid 1 1 1           same binary the launch runs after the ones
//       block 1024 1 1       before it, on the same stream, with the same
//       shared 0             arguments, sizes and workspace; its own
//                            geometry follows)
//   end
//
// A program is a function of several kernels: launched by name like a
// kernel, it runs its launches in order on one stream, passing
// intermediate results through buffers the runtime owns:
//
//   program moe
//     arg memref<2:f32> logits shape ?x64     (its arguments and results,
//     arg memref<2:bf16> x shape ?x2048        as a kernel's; memrefs only)
//     arg memref<2:bf16> out shape ?x2048
//     result out x[0] 2048
//     buffer experts memref<2:i32> logits[0] 8
//                       (an intermediate result: its type and its extents
//                        in terms of the program's arguments)
//     view tokens memref<2:bf16> heads x[0] 2048
//                       (a buffer or argument seen with another shape of
//                        the same elements: a reshape between kernels)
//     launch moe_route logits weights experts
//                       (a kernel of the manifest and what each of its
//                        arguments is bound to: a program argument or a
//                        buffer of the same rank and element type)
//   end
//
// Expressions: integers, size names, + - * / (floor division), ceildiv,
// min, max and parentheses, without spaces. A `size` line binds a name to a
// dimension of a memref argument, so the caller need not pass it. No
// dependency beyond the C++ standard library: the runtime runs where no LLVM
// is installed.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_RUNTIME_MANIFEST_H
#define CELERIS_LIB_RUNTIME_MANIFEST_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace celeris::runtime {

/// An integer expression over named sizes.
class SizeExpr {
public:
  /// Parses `text`; on failure returns null and sets `error`.
  static std::unique_ptr<SizeExpr> parse(const std::string &text,
                                         std::string &error);
  virtual ~SizeExpr() = default;
  /// Evaluates with `sizes`; an unknown name or a division by zero sets
  /// `error` and returns nullopt.
  virtual std::optional<int64_t>
  evaluate(const std::map<std::string, int64_t> &sizes,
           std::string &error) const = 0;
};

enum class ArgKind { Pointer, I32, I64, F32, MemRef };

struct KernelArg {
  ArgKind kind;
  std::string name;
  /// The rank and element type (f32, bf16, i32, ...) of a MemRef argument.
  unsigned rank = 0;
  std::string elementType;
  /// The extents a MemRef argument must have, one a dimension, kDynamic
  /// where any goes; empty when the manifest gives no shape.
  std::vector<int64_t> shape;
  static constexpr int64_t kDynamic = -1;
};

/// A named size read at launch from the shape of a memref argument.
struct SizeBinding {
  std::string name;
  /// The index in KernelSpec::args of a MemRef argument, and a dimension
  /// below its rank.
  unsigned arg;
  unsigned dim;
};

/// The shape of an output argument in terms of the inputs': per dimension
/// a product of extents and dimensions of memref arguments.
struct ResultShape {
  /// The index in KernelSpec::args of the output (a MemRef argument).
  unsigned arg;
  struct Factor {
    /// A MemRef argument's index, or -1 for `extent`.
    int arg = -1;
    unsigned dim = 0;
    int64_t extent = 0;
  };
  struct Dim {
    std::vector<Factor> factors;
  };
  std::vector<Dim> dims;
  /// As the manifest writes it: `q[0] q[1] 128`, `x[0]*x[1]`.
  std::string text;
};

/// A tensor map the runtime encodes over a memref argument at each launch.
struct TensorMapSpec {
  /// The index in KernelSpec::args of a MemRef argument.
  unsigned arg = 0;
  /// The extents of the tile one copy moves, a dimension of the memref
  /// each, outermost first (as the memref's shape).
  std::vector<int64_t> box;
  /// The shared-memory swizzle, 0 or 128 bytes.
  int64_t swizzleBytes = 0;
};

/// What cuTensorMapEncodeTiled takes for one tensor map of a launch, in the
/// driver's order: innermost dimension first.
struct TensorMapEncoding {
  /// False for an empty memref: the kernel reads nothing through the map,
  /// which the runtime passes zeroed.
  bool encode = true;
  unsigned rank = 0;
  /// CUtensorMapDataType.
  int dataType = 0;
  void *address = nullptr;
  uint64_t dims[5] = {};
  /// Bytes between consecutive indices of dimensions 1 .. rank - 1.
  uint64_t strides[4] = {};
  uint32_t box[5] = {};
  /// CUtensorMapSwizzle.
  int swizzle = 0;
};

/// One kernel a launch runs: its symbol and geometry.
struct KernelLaunch {
  std::string symbol;
  std::unique_ptr<SizeExpr> grid[3];
  unsigned block[3] = {1, 1, 1};
  std::unique_ptr<SizeExpr> sharedBytes;
};

/// An intermediate result of a program, in memory the runtime owns.
struct ProgramBuffer {
  /// Its name, rank and element type (a MemRef argument's fields).
  KernelArg type;
  /// Its extents, products of the program's arguments' extents.
  std::vector<ResultShape::Dim> dims;
  /// For a view, what it shows with its own shape: an argument's index
  /// (>= 0) or an earlier buffer's `b` as `-1 - b`; kNotAView otherwise.
  int viewOf = kNotAView;
  static constexpr int kNotAView = -(1 << 30);
};

/// One launch of a program: a kernel and what its arguments are bound to.
struct ProgramLaunch {
  std::string kernel;
  /// The kernel's index in Manifest::kernels.
  unsigned kernelIndex = 0;
  /// Per kernel argument: a program argument's index (>= 0), or a buffer's
  /// index `b` as `-1 - b`.
  std::vector<int> operands;
};

struct ProgramSpec {
  std::vector<ProgramBuffer> buffers;
  std::vector<ProgramLaunch> launches;
};

struct KernelSpec : KernelLaunch {
  std::string name;
  /// Set for a program: what it launches. A program has no binary, symbol
  /// or geometry of its own.
  std::unique_ptr<ProgramSpec> program;
  std::string binary;
  /// Kernels a launch runs after this one, in order.
  std::vector<KernelLaunch> steps;
  /// Bytes of the runtime-owned workspace, or null when the kernel has none.
  std::unique_ptr<SizeExpr> workspaceBytes;
  std::vector<KernelArg> args;
  std::vector<SizeBinding> sizes;
  std::vector<ResultShape> results;
  /// Tensor maps passed after the other parameters, in order.
  std::vector<TensorMapSpec> tensorMaps;

  /// The encoding of tensor map `map` for a launch with `args`; nullopt
  /// with `error` set when the memref cannot be described by one (a stride
  /// not a multiple of 16 bytes, a non-unit innermost stride, an extent
  /// past the hardware's limits).
  std::optional<TensorMapEncoding> encodeTensorMap(const TensorMapSpec &map,
                                                   void *const *args,
                                                   std::string &error) const;

  /// Whether the memref arguments of a launch with `args` have the static
  /// extents of their `shape`; otherwise returns false and sets `error`.
  bool checkExtents(void *const *args, std::string &error) const;

  /// Whether the data of every non-empty memref argument of a launch with
  /// `args` starts 16-byte aligned; otherwise returns false and sets
  /// `error`.
  bool checkAlignment(void *const *args, std::string &error) const;

  /// The named sizes of a launch with `args` (one pointer per argument, as
  /// celeris_launch takes them): those bound to memref shapes, read from the
  /// descriptors, and those `given` by the caller. A given size that is also
  /// bound must agree; otherwise returns nullopt and sets `error`.
  std::optional<std::map<std::string, int64_t>>
  bindSizes(void *const *args, const std::map<std::string, int64_t> &given,
            std::string &error) const;
};

/// Bytes of an element of a memref as the manifest names its type ("bf16"),
/// or 0 for a type the runtime does not know.
int64_t elementBytes(const std::string &type);

/// Extent `dim` of the MLIR memref descriptor at `descriptor`.
int64_t descriptorExtent(const void *descriptor, unsigned dim);

/// Stride (in elements) of dimension `dim` of the MLIR memref descriptor of
/// rank `rank` at `descriptor`.
int64_t descriptorStride(const void *descriptor, unsigned rank, unsigned dim);

/// The address of the first element of the memref descriptor at
/// `descriptor` (its aligned pointer plus offset), of `elementBytes` each.
uint64_t descriptorStart(const void *descriptor, int64_t elementBytes);

/// Where the memref a launch with `args` binds to one of `results` has an
/// extent other than the one its shape gives.
struct ResultMismatch {
  const ResultShape *result;
  unsigned dim;
  int64_t have, want;
};
/// The first such place, or nullopt when every result has its shape.
std::optional<ResultMismatch>
findResultMismatch(const std::vector<ResultShape> &results, void *const *args);

/// The extent `dim` has in a launch with `args` (one pointer per argument,
/// as celeris_launch takes them; the memref arguments it reads non-null).
int64_t evaluateExtent(const ResultShape::Dim &dim, void *const *args);

struct Manifest {
  std::vector<KernelSpec> kernels;
  /// Parses a manifest; on failure returns nullopt and sets `error` to a
  /// message naming the line.
  static std::optional<Manifest> parse(const std::string &text,
                                       std::string &error);
};

} // namespace celeris::runtime

#endif // CELERIS_LIB_RUNTIME_MANIFEST_H
