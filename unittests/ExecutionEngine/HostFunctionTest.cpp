//===- HostFunctionTest.cpp - The host JIT as a library -------------------===//
//
// HostFunction as an embedder uses it: compile a function, call it on its
// buffers, keep its object code and load it back, and every error as an
// llvm::Error with a message.
//
//===----------------------------------------------------------------------===//

#include "celeris/ExecutionEngine/HostFunction.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <vector>

using namespace mlir::celeris;

namespace {
constexpr const char *kScaleAdd = R"mlir(
func.func @scale_add(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %s = arith.addf %a, %b : tensor<?x3xf32>
  %r = arith.mulf %s, %a : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
)mlir";

std::string errorOf(llvm::Error err) { return llvm::toString(std::move(err)); }

/// Calls `fn` on a and b ([rows, 3]) and checks (a + b) * a.
void expectScaleAdd(const HostFunction &fn, int64_t rows) {
  std::vector<float> a(rows * 3), b(rows * 3);
  for (int64_t i = 0; i < rows * 3; ++i) {
    a[i] = 0.5f * i;
    b[i] = 1.0f - i;
  }
  auto results = fn.call({{a.data(), {rows, 3}}, {b.data(), {rows, 3}}});
  ASSERT_TRUE(bool(results)) << errorOf(results.takeError());
  ASSERT_EQ(results->size(), 1u);
  const HostTensor &out = (*results)[0];
  EXPECT_EQ(out.elementType, HostElementType::F32);
  ASSERT_EQ(out.shape, (llvm::SmallVector<int64_t>{rows, 3}));
  const float *data = static_cast<const float *>(out.data.get());
  for (int64_t i = 0; i < rows * 3; ++i)
    EXPECT_EQ(data[i], (a[i] + b[i]) * a[i]) << i;
}

TEST(HostFunction, CompilesAndCalls) {
  auto fn = HostFunction::compile(kScaleAdd, "scale_add.mlir", {});
  ASSERT_TRUE(bool(fn)) << errorOf(fn.takeError());
  EXPECT_EQ((*fn)->getName(), "scale_add");
  ASSERT_EQ((*fn)->getArgumentTypes().size(), 2u);
  EXPECT_EQ((*fn)->getArgumentTypes()[0].str(), "tensor<?x3xf32>");
  EXPECT_EQ((*fn)->getResultTypes()[0].str(), "tensor<?x3xf32>");
  expectScaleAdd(**fn, 4);
  expectScaleAdd(**fn, 0);
}

TEST(HostFunction, ChecksArguments) {
  auto fn = HostFunction::compile(kScaleAdd, "scale_add.mlir", {});
  ASSERT_TRUE(bool(fn)) << errorOf(fn.takeError());
  float x[6] = {};
  EXPECT_EQ(errorOf((*fn)->call({{x, {2, 3}}}).takeError()),
            "'scale_add' takes 2 argument(s), got 1");
  EXPECT_EQ(errorOf((*fn)->call({{x, {2, 3}}, {x, {3, 2}}}).takeError()),
            "argument 1: shape [3, 2] does not match tensor<?x3xf32> in "
            "dimension 1");
  EXPECT_EQ(errorOf((*fn)->call({{x, {6}}, {x, {2, 3}}}).takeError()),
            "argument 0: rank 1 (shape [6]) does not match tensor<?x3xf32>");
}

TEST(HostFunction, ReportsCompileErrorsWithLocations) {
  auto bad = HostFunction::compile("func.func @f(", "bad.mlir", {});
  ASSERT_FALSE(bool(bad));
  std::string message = errorOf(bad.takeError());
  EXPECT_NE(message.find("cannot parse 'bad.mlir':\nbad.mlir:1:"),
            std::string::npos)
      << message;
  HostFunctionOptions options;
  options.entry = "missing";
  auto missing = HostFunction::compile(kScaleAdd, "scale_add.mlir", options);
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(errorOf(missing.takeError()),
            "entry function 'missing' not found in 'scale_add.mlir'");
  options.entry.clear();
  options.optLevel = 4;
  auto level = HostFunction::compile(kScaleAdd, "scale_add.mlir", options);
  ASSERT_FALSE(bool(level));
  EXPECT_EQ(errorOf(level.takeError()),
            "the optimization level must be 0, 1, 2 or 3, got 4");
}

TEST(HostFunction, ObjectCodeLoadsBack) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("celeris-host", "o", path));
  HostFunctionOptions options;
  options.keepObject = true;
  auto fn = HostFunction::compile(kScaleAdd, "scale_add.mlir", options);
  ASSERT_TRUE(bool(fn)) << errorOf(fn.takeError());
  ASSERT_FALSE(bool((*fn)->writeObject(path)));
  auto loaded = HostFunction::load(path, "scale_add", (*fn)->getArgumentTypes(),
                                   (*fn)->getResultTypes(), {});
  ASSERT_TRUE(bool(loaded)) << errorOf(loaded.takeError());
  expectScaleAdd(**loaded, 5);
  // A loaded function has no object code of its own to write.
  EXPECT_NE(errorOf((*loaded)->writeObject(path)).find("loaded from object"),
            std::string::npos);
  auto wrongName = HostFunction::load(path, "other", {}, {}, {});
  ASSERT_FALSE(bool(wrongName));
  EXPECT_NE(errorOf(wrongName.takeError()).find("has no function 'other'"),
            std::string::npos);
  llvm::sys::fs::remove(path);
  auto gone = HostFunction::load(path, "scale_add", {}, {}, {});
  ASSERT_FALSE(bool(gone));
  EXPECT_NE(errorOf(gone.takeError()).find("cannot read"), std::string::npos);
}

TEST(HostFunction, WithoutKeepObjectThereIsNothingToWrite) {
  auto fn = HostFunction::compile(kScaleAdd, "scale_add.mlir", {});
  ASSERT_TRUE(bool(fn)) << errorOf(fn.takeError());
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("celeris-host", "o", path));
  llvm::Error err = (*fn)->writeObject(path);
  EXPECT_NE(errorOf(std::move(err)).find("keepObject"), std::string::npos);
  llvm::sys::fs::remove(path);
}

TEST(HostFunction, HostTargetNamesTripleAndCpu) {
  std::string target = HostFunction::getHostTarget();
  EXPECT_EQ(std::count(target.begin(), target.end(), '/'), 2) << target;
}
} // namespace
