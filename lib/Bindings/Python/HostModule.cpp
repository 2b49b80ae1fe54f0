//===- HostModule.cpp - Python extension over HostFunction ----------------===//
//
// The `_celeris_host` extension: compiles a tensor function for the host and
// calls it on NumPy arrays. Buffers cross as unsigned integer arrays of the
// element width (NumPy has no bfloat16 and no DLPack code for it); the
// Python side (celeris.host) views them with the real dtype and does the
// user-facing checks.
//
//===----------------------------------------------------------------------===//

#include "celeris/ExecutionEngine/HostFunction.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <stdexcept>

namespace nb = nanobind;
using namespace mlir::celeris;

namespace {
using HostArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

/// Throws the message of `err` as a RuntimeError.
template <typename T> T unwrap(llvm::Expected<T> value) {
  if (!value)
    throw std::runtime_error(llvm::toString(value.takeError()));
  return std::move(*value);
}

/// (shape with None for dynamic extents, element type name).
nb::tuple describe(const HostTensorType &type) {
  nb::list shape;
  for (int64_t d : type.shape)
    shape.append(d == HostTensorType::kDynamic ? nb::none() : nb::int_(d));
  return nb::make_tuple(nb::tuple(shape),
                        getHostElementTypeName(type.elementType).str());
}

/// The inverse of describe.
HostTensorType parseDescription(nb::handle description) {
  auto [shape, element] =
      nb::cast<std::pair<nb::object, std::string>>(description);
  std::optional<HostElementType> type = parseHostElementType(element);
  if (!type)
    throw std::runtime_error("unknown element type '" + element + "'");
  HostTensorType result{{}, *type};
  for (nb::handle d : shape)
    result.shape.push_back(d.is_none() ? HostTensorType::kDynamic
                                       : nb::cast<int64_t>(d));
  return result;
}

nb::list describeAll(llvm::ArrayRef<HostTensorType> types) {
  nb::list list;
  for (const HostTensorType &type : types)
    list.append(describe(type));
  return list;
}

/// The unsigned integer dtype of `bytes` bytes.
nb::dlpack::dtype getRawDtype(size_t bytes) {
  return nb::dlpack::dtype{static_cast<uint8_t>(nb::dlpack::dtype_code::UInt),
                           static_cast<uint8_t>(8 * bytes), 1};
}

nb::list call(const HostFunction &fn, const std::vector<HostArray> &arrays) {
  llvm::ArrayRef<HostTensorType> types = fn.getArgumentTypes();
  if (arrays.size() != types.size())
    throw std::runtime_error(
        "'" + fn.getName().str() + "' takes " + std::to_string(types.size()) +
        " argument(s), got " + std::to_string(arrays.size()));
  llvm::SmallVector<HostTensorRef> args;
  for (auto [i, array] : llvm::enumerate(arrays)) {
    size_t expected = getHostElementByteSize(types[i].elementType);
    if (array.itemsize() != expected)
      throw std::runtime_error("argument " + std::to_string(i) + ": " +
                               std::to_string(array.itemsize()) +
                               "-byte elements for " + types[i].str());
    HostTensorRef ref{array.data(), {}};
    for (size_t d = 0; d < array.ndim(); ++d)
      ref.shape.push_back(array.shape(d));
    args.push_back(std::move(ref));
  }
  std::vector<HostTensor> results;
  {
    nb::gil_scoped_release release;
    auto called = fn.call(args);
    if (!called) {
      nb::gil_scoped_acquire acquire;
      throw std::runtime_error(llvm::toString(called.takeError()));
    }
    results = std::move(*called);
  }
  nb::list list;
  for (HostTensor &result : results) {
    void *data = result.data.release();
    nb::capsule owner(data, [](void *p) noexcept { std::free(p); });
    std::vector<size_t> shape(result.shape.begin(), result.shape.end());
    list.append(nb::ndarray<nb::numpy>(
                    data, shape.size(), shape.data(), owner, nullptr,
                    getRawDtype(getHostElementByteSize(result.elementType)))
                    .cast());
  }
  return list;
}
} // namespace

NB_MODULE(_celeris_host, m) {
  m.doc() = "Tensor functions JIT-compiled for the host (Celeris CPU path)";
  m.def("host_target", &HostFunction::getHostTarget,
        "The triple, CPU and features object code is compiled for.");
  nb::class_<HostFunction>(m, "HostFunction")
      .def_static(
          "compile",
          [](const std::string &source, const std::string &bufferName,
             const std::string &entry, const std::string &prePipeline,
             bool tiled, unsigned optLevel,
             const std::vector<std::string> &sharedLibs, bool keepObject) {
            HostFunctionOptions options;
            options.entry = entry;
            options.prePipeline = prePipeline;
            options.tiled = tiled;
            options.optLevel = optLevel;
            options.sharedLibs = sharedLibs;
            options.keepObject = keepObject;
            std::unique_ptr<HostFunction> fn;
            {
              nb::gil_scoped_release release;
              auto compiled =
                  HostFunction::compile(source, bufferName, options);
              nb::gil_scoped_acquire acquire;
              fn = unwrap(std::move(compiled));
            }
            return fn;
          },
          nb::arg("source"), nb::arg("buffer_name"), nb::arg("entry") = "",
          nb::arg("pre_pipeline") = "", nb::arg("tiled") = false,
          nb::arg("opt_level") = 2,
          nb::arg("shared_libs") = std::vector<std::string>(),
          nb::arg("keep_object") = false,
          "Parses, lowers and JIT-compiles one function of `source`.")
      .def_static(
          "load",
          [](const std::string &path, const std::string &name,
             nb::list arguments, nb::list results,
             const std::vector<std::string> &sharedLibs) {
            std::vector<HostTensorType> argumentTypes, resultTypes;
            for (nb::handle a : arguments)
              argumentTypes.push_back(parseDescription(a));
            for (nb::handle r : results)
              resultTypes.push_back(parseDescription(r));
            return unwrap(HostFunction::load(path, name, argumentTypes,
                                             resultTypes, sharedLibs));
          },
          nb::arg("path"), nb::arg("name"), nb::arg("arguments"),
          nb::arg("results"),
          nb::arg("shared_libs") = std::vector<std::string>(),
          "Loads object code written by write_object, with the name and "
          "types it was compiled with.")
      .def(
          "write_object",
          [](const HostFunction &fn, const std::string &path) {
            if (llvm::Error err = fn.writeObject(path))
              throw std::runtime_error(llvm::toString(std::move(err)));
          },
          nb::arg("path"))
      .def_prop_ro("name",
                   [](const HostFunction &fn) { return fn.getName().str(); })
      .def_prop_ro("arguments",
                   [](const HostFunction &fn) {
                     return describeAll(fn.getArgumentTypes());
                   })
      .def_prop_ro("results",
                   [](const HostFunction &fn) {
                     return describeAll(fn.getResultTypes());
                   })
      .def_prop_ro("lowering_ms", &HostFunction::getLoweringMs)
      .def_prop_ro("jit_ms", &HostFunction::getJitMs)
      .def("call", &call, nb::arg("arrays"),
           "Calls the function on C-contiguous arrays whose items have the "
           "argument element widths; returns the results as unsigned "
           "integer arrays of the result element widths.");
}
