//===- ManifestTest.cpp - Tests of the runtime's manifest parser -*- C++ -*-===//
//
// The manifest parser and the launch-geometry expressions, and the runtime's
// behaviour without a CUDA driver.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Manifest.h"
#include "celeris-c/Runtime.h"

#include <gtest/gtest.h>

using namespace celeris::runtime;

namespace {

std::optional<int64_t> eval(const std::string &text,
                            const std::map<std::string, int64_t> &sizes) {
  std::string error;
  std::unique_ptr<SizeExpr> expr = SizeExpr::parse(text, error);
  EXPECT_TRUE(expr) << text << ": " << error;
  if (!expr)
    return std::nullopt;
  return expr->evaluate(sizes, error);
}

TEST(SizeExpr, Evaluates) {
  std::map<std::string, int64_t> sizes = {{"Sq", 1000}, {"B", 2}, {"H", 16}};
  EXPECT_EQ(eval("ceildiv(Sq,128)", sizes), 8);
  EXPECT_EQ(eval("ceildiv(Sq,8)", sizes), 125);
  EXPECT_EQ(eval("B*H", sizes), 32);
  EXPECT_EQ(eval("Sq/128+1", sizes), 8);
  EXPECT_EQ(eval("(Sq-1)/128", sizes), 7);
  EXPECT_EQ(eval("min(Sq,64)*max(B,3)", sizes), 192);
  EXPECT_EQ(eval("2-5/2", sizes), 0);
  EXPECT_EQ(eval("0-7/2", sizes), -3);
  EXPECT_EQ(eval("(0-7)/2", sizes), -4);
}

TEST(SizeExpr, ReportsErrors) {
  std::string error;
  EXPECT_FALSE(SizeExpr::parse("ceildiv(Sq)", error));
  EXPECT_NE(error.find("expected ','"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(SizeExpr::parse("Sq+", error));
  EXPECT_NE(error.find("expected a value"), std::string::npos) << error;
  error.clear();
  std::unique_ptr<SizeExpr> expr = SizeExpr::parse("Sq/B", error);
  ASSERT_TRUE(expr);
  EXPECT_FALSE(expr->evaluate({{"Sq", 4}}, error));
  EXPECT_EQ(error, "no value was given for size 'B'");
  EXPECT_FALSE(expr->evaluate({{"Sq", 4}, {"B", 0}}, error));
  EXPECT_EQ(error, "division by zero in a launch-geometry expression");
}

TEST(Manifest, Parses) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(R"(# an artifact
celeris-artifact 1
kernel attention_fwd
  binary attention.cubin
  symbol attention_fwd_kernel
  grid ceildiv(Sq,128) Hq B
  block 128 1 1
  shared 2*16384
  arg memref<4:bf16> q
  arg i64 Sq
  arg f32 scale
end
)",
                                              error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->kernels.size(), 1u);
  const KernelSpec &k = m->kernels[0];
  EXPECT_EQ(k.name, "attention_fwd");
  EXPECT_EQ(k.binary, "attention.cubin");
  EXPECT_EQ(k.symbol, "attention_fwd_kernel");
  EXPECT_EQ(k.block[0], 128u);
  ASSERT_EQ(k.args.size(), 3u);
  EXPECT_EQ(k.args[0].kind, ArgKind::MemRef);
  EXPECT_EQ(k.args[0].rank, 4u);
  EXPECT_EQ(k.args[0].elementType, "bf16");
  EXPECT_EQ(k.args[1].kind, ArgKind::I64);
  EXPECT_EQ(k.args[2].name, "scale");
  EXPECT_EQ(k.grid[0]->evaluate({{"Sq", 129}}, error), 2);
  EXPECT_EQ(k.sharedBytes->evaluate({}, error), 32768);
}

TEST(Manifest, RejectsMalformedInput) {
  struct Case {
    const char *text;
    const char *message;
  } cases[] = {
      {"", "empty manifest"},
      {"celeris-artifact 2\n", "line 1: expected 'celeris-artifact 1'"},
      {"celeris-artifact 1\nbinary x\n", "line 2: 'binary' outside a kernel"},
      {"celeris-artifact 1\nkernel k\n", "kernel 'k' has no 'end'"},
      {"celeris-artifact 1\nkernel k\nend\n",
       "line 3: kernel 'k' needs binary, symbol, grid and shared"},
      {"celeris-artifact 1\nkernel k\nblock 0 1 1\n",
       "line 3: block needs 3 positive integers"},
      {"celeris-artifact 1\nkernel k\narg u8 x\n",
       "line 3: unknown argument kind 'u8'"},
      {"celeris-artifact 1\nkernel k\ngrid 1 ceildiv(a 1\n",
       "line 3: bad expression 'ceildiv(a': expected ',' in ceildiv"},
      {"celeris-artifact 1\nkernel k\ngrid 1 2\n", "line 3: grid needs 3 expressions"},
      {"celeris-artifact 1\nkernel k\narg memref<x:f32> q\n",
       "line 3: bad memref argument 'memref<x:f32>'"},
      {"celeris-artifact 1\nkernel k\nlaunch\n",
       "line 3: unknown directive 'launch'"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Manifest::parse(c.text, error)) << c.text;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got '" << error << "' for:\n"
        << c.text;
  }
}

TEST(Runtime, ExplainsAMissingDriver) {
  CelerisRuntime *runtime = nullptr;
  if (celeris_runtime_create(0, &runtime) == 0) {
    celeris_runtime_destroy(runtime);
    GTEST_SKIP() << "a CUDA driver is present";
  }
  std::string message = celeris_last_error();
  EXPECT_FALSE(message.empty());
  // Without a driver the message says so; with a driver but no device it
  // names the failed driver call.
  EXPECT_TRUE(message.find("no CUDA driver") != std::string::npos ||
              message.find("failed:") != std::string::npos)
      << message;
}

} // namespace
