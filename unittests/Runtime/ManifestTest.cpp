//===- ManifestTest.cpp - Tests of the runtime's manifest parser -*- C++
//-*-===//
//
// The manifest parser and the launch-geometry expressions, sizes bound to
// argument shapes, and the runtime's behaviour without a CUDA driver.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Manifest.h"
#include "celeris-c/Runtime.h"

#include <algorithm>
#include <fstream>
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

constexpr const char *kDecodeWithoutWorkspaceSize = R"(celeris-artifact 1
kernel decode
  workspace
end
)";

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
  arg memref<4:bf16> q shape ?x?x?x128
  arg i64 Sq
  arg f32 scale
  arg memref<1:f32> lse
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
  ASSERT_EQ(k.args.size(), 4u);
  EXPECT_EQ(k.args[0].kind, ArgKind::MemRef);
  EXPECT_EQ(k.args[0].rank, 4u);
  EXPECT_EQ(k.args[0].elementType, "bf16");
  const int64_t dyn = KernelArg::kDynamic;
  EXPECT_EQ(k.args[0].shape, (std::vector<int64_t>{dyn, dyn, dyn, 128}));
  EXPECT_TRUE(k.args[3].shape.empty());
  EXPECT_EQ(k.args[1].kind, ArgKind::I64);
  EXPECT_EQ(k.args[2].name, "scale");
  EXPECT_EQ(k.grid[0]->evaluate({{"Sq", 129}}, error), 2);
  EXPECT_EQ(k.sharedBytes->evaluate({}, error), 32768);
}

// A runtime-owned workspace (the decode kernels' partial results) is sized
// by an expression of the sizes and is no argument; the schedule comment on
// the kernel line is ignored.
TEST(Manifest, ParsesWorkspace) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(R"(celeris-artifact 1
kernel decode  # #celeris.gpu_schedule<kernel = attention_decode>
  binary decode.cubin
  symbol decode
  grid max(1,min(32,ceildiv(Sk,128))) Hkv B
  block 32 1 1
  shared 75072
  workspace B*Hkv*max(1,min(32,ceildiv(Sk,128)))*8192
  arg memref<4:bf16> k
  size B k 0
  size Hkv k 1
  size Sk k 2
end
)",
                                              error);
  ASSERT_TRUE(m) << error;
  const KernelSpec &k = m->kernels[0];
  EXPECT_EQ(k.name, "decode");
  ASSERT_EQ(k.args.size(), 1u);
  ASSERT_TRUE(k.workspaceBytes);
  EXPECT_EQ(
      k.workspaceBytes->evaluate({{"B", 2}, {"Hkv", 8}, {"Sk", 1000}}, error),
      2 * 8 * 8 * 8192);
  EXPECT_EQ(k.grid[0]->evaluate({{"Sk", 100000}}, error), 32);

  m = Manifest::parse(kDecodeWithoutWorkspaceSize, error);
  EXPECT_FALSE(m);
  EXPECT_EQ(error, "manifest line 3: expected an expression");
}

// `result` lines give an output's shape in terms of the inputs', so that a
// caller can allocate it; they are checked against the arguments.
TEST(Manifest, ParsesResultShapes) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(R"(celeris-artifact 1
kernel attention
  binary a.cubin
  symbol attention
  grid 1 1 1
  block 32 1 1
  shared 0
  result out q[0] q[1]*q[2] 128
  arg memref<4:bf16> q
  arg memref<3:bf16> out
end
)",
                                              error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->kernels[0].results.size(), 1u);
  const ResultShape &out = m->kernels[0].results[0];
  EXPECT_EQ(out.arg, 1u);
  EXPECT_EQ(out.text, "q[0] q[1]*q[2] 128");
  ASSERT_EQ(out.dims.size(), 3u);
  ASSERT_EQ(out.dims[0].factors.size(), 1u);
  ASSERT_EQ(out.dims[1].factors.size(), 2u);
  EXPECT_EQ(out.dims[1].factors[0].arg, 0);
  EXPECT_EQ(out.dims[1].factors[0].dim, 1u);
  EXPECT_EQ(out.dims[1].factors[1].dim, 2u);
  ASSERT_EQ(out.dims[2].factors.size(), 1u);
  EXPECT_EQ(out.dims[2].factors[0].arg, -1);
  EXPECT_EQ(out.dims[2].factors[0].extent, 128);

  struct Case {
    const char *result, *message;
  } cases[] = {
      {"result x q[0]",
       "manifest line 3: result 'x' is no memref argument of kernel 'k'"},
      {"result out q[0]", "manifest line 3: result 'out' has 1 dimensions, but "
                          "the memref has rank 2"},
      {"result out q[2] 4", "manifest line 3: dimension 'q[2]' of result 'out' "
                            "reads no dimension of a "
                            "memref argument"},
      {"result out q[0] four", "manifest line 3: bad dimension 'four' of "
                               "result 'out', expected ARG[DIM] or an "
                               "extent, or their product"},
      {"result out q[0] q[1]*", "manifest line 3: bad dimension 'q[1]*' of "
                                "result 'out', expected ARG[DIM] or an "
                                "extent, or their product"},
      {"result out q[0] q[1]*q[5]", "manifest line 3: dimension 'q[1]*q[5]' "
                                    "of result 'out' reads no dimension of a "
                                    "memref argument"},
  };
  for (const Case &c : cases) {
    std::string text = std::string("celeris-artifact 1\nkernel k\n") +
                       c.result +
                       "\nbinary k.cubin\nsymbol k\ngrid 1 1 1\nshared 0\n"
                       "arg memref<2:f32> q\narg memref<2:f32> out\nend\n";
    EXPECT_FALSE(Manifest::parse(text, error)) << c.result;
    EXPECT_EQ(error, c.message);
  }
}

/// MLIR's StridedMemRefType, as a launch passes a memref argument.
template <int Rank> struct Descriptor {
  void *allocated = nullptr, *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[Rank] = {};
  int64_t strides[Rank] = {};
};

// `size` lines may precede the `arg` lines they name.
constexpr const char *kBoundManifest = R"(celeris-artifact 1
kernel attention_fwd
  binary attention.cubin
  symbol attention_fwd_kernel
  grid ceildiv(Sq,128) Hq B
  block 128 1 1
  shared Sq*4
  size Sq q 2
  arg f32 scale
  arg memref<4:bf16> q
  size B q 0
  size Hq q 1
end
)";

TEST(Manifest, ParsesSizeBindings) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kBoundManifest, error);
  ASSERT_TRUE(m) << error;
  const std::vector<SizeBinding> &sizes = m->kernels[0].sizes;
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[0].name, "Sq");
  EXPECT_EQ(sizes[0].arg, 1u);
  EXPECT_EQ(sizes[0].dim, 2u);
  EXPECT_EQ(sizes[2].name, "Hq");
  EXPECT_EQ(sizes[2].dim, 1u);
}

TEST(Manifest, BindsSizesFromShapes) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kBoundManifest, error);
  ASSERT_TRUE(m) << error;
  const KernelSpec &kernel = m->kernels[0];
  float scale = 0.125f;
  Descriptor<4> q;
  int64_t shape[4] = {2, 16, 1000, 64};
  std::copy(shape, shape + 4, q.sizes);
  void *args[] = {&scale, &q};

  std::optional<std::map<std::string, int64_t>> sizes =
      kernel.bindSizes(args, {}, error);
  ASSERT_TRUE(sizes) << error;
  EXPECT_EQ(*sizes, (std::map<std::string, int64_t>{
                        {"B", 2}, {"Hq", 16}, {"Sq", 1000}}));
  EXPECT_EQ(kernel.grid[0]->evaluate(*sizes, error), 8);

  // Given sizes that agree, and ones no binding names, are accepted.
  sizes = kernel.bindSizes(args, {{"Sq", 1000}, {"window", 7}}, error);
  ASSERT_TRUE(sizes) << error;
  EXPECT_EQ(sizes->at("window"), 7);
  EXPECT_EQ(sizes->at("Sq"), 1000);

  EXPECT_FALSE(kernel.bindSizes(args, {{"Hq", 32}}, error));
  EXPECT_EQ(error, "size 'Hq' was given as 32 but argument 'q' has 16 in "
                   "dimension 1");

  void *nullArgs[] = {&scale, nullptr};
  EXPECT_FALSE(kernel.bindSizes(nullArgs, {}, error));
  EXPECT_EQ(error, "argument 'q' is null");
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
      {"celeris-artifact 1\nkernel k\ngrid 1 2\n",
       "line 3: grid needs 3 expressions"},
      {"celeris-artifact 1\nkernel k\narg memref<x:f32> q\n",
       "line 3: bad memref argument 'memref<x:f32>'"},
      {"celeris-artifact 1\nkernel k\nlaunch\n",
       "line 3: 'launch' in kernel 'k' (only a program has launch lines)"},
      {"celeris-artifact 1\nkernel k\nbogus\n",
       "line 3: unknown directive 'bogus'"},
      {"celeris-artifact 1\nkernel k\nsize N x\n",
       "line 3: expected 'size <name> <memref argument> <dimension>'"},
      {"celeris-artifact 1\nkernel k\nsize N x -1\n",
       "line 3: expected 'size <name> <memref argument> <dimension>'"},
      {"celeris-artifact 1\nkernel k\nsize 2N x 0\n",
       "line 3: expected 'size <name> <memref argument> <dimension>'"},
      {"celeris-artifact 1\nkernel k\nsize N x 0\nsize N y 0\n",
       "line 4: size 'N' is bound twice in kernel 'k'"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid N 1 1\n"
       "shared 0\nsize N z 0\narg memref<1:f32> x\nend\n",
       "line 7: size 'N' reads 'z', which is no argument of kernel 'k'"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid N 1 1\n"
       "shared 0\narg i64 n\nsize N n 0\nend\n",
       "line 8: size 'N' reads 'n', which is not a memref argument"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid N 1 1\n"
       "shared 0\narg memref<2:f32> x\nsize N x 2\nend\n",
       "line 8: size 'N' reads dimension 2 of 'x', which has rank 2"},
      {"celeris-artifact 1\nkernel k\narg memref<2:f32> x shape ?x0\n",
       "line 3: bad shape '?x0' of argument 'x'"},
      {"celeris-artifact 1\nkernel k\narg memref<2:f32> x shape ?x\n",
       "line 3: bad shape '?x' of argument 'x'"},
      {"celeris-artifact 1\nkernel k\narg memref<2:f32> x shape 4xn\n",
       "line 3: bad shape '4xn' of argument 'x'"},
      {"celeris-artifact 1\nkernel k\narg memref<2:f32> x shape\n",
       "line 3: expected 'shape <extents>' after argument 'x'"},
      {"celeris-artifact 1\nkernel k\narg memref<2:f32> x extents ?x4\n",
       "line 3: expected 'shape <extents>' after argument 'x'"},
      {"celeris-artifact 1\nkernel k\narg i64 n shape 4\n",
       "line 3: argument 'n' has a shape but is no memref"},
      {"celeris-artifact 1\nkernel k\nblock 1 1 1\n"
       "arg memref<4:bf16> q shape ?x128\n",
       "line 4: shape '?x128' of argument 'q' has 2 extents, but the memref "
       "has rank 4"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Manifest::parse(c.text, error)) << c.text;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got '" << error << "' for:\n"
        << c.text;
  }
}

/// Writes `text` to a manifest named after the running test (CTest runs the
/// tests in parallel).
std::string writeManifest(const std::string &text) {
  std::string path =
      testing::TempDir() +
      testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
  std::ofstream(path) << text;
  return path;
}

// A module read from its manifest alone checks launches without a driver.
TEST(Runtime, ChecksLaunchesOfAManifestOnlyModule) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(celeris_module_load_manifest(writeManifest(kBoundManifest).c_str(),
                                         &module),
            0)
      << celeris_last_error();
  ASSERT_EQ(celeris_kernel_num_sizes(module, "attention_fwd"), 3);
  EXPECT_EQ(celeris_kernel_num_sizes(module, "nope"), -1);
  const char *name, *arg;
  int dim;
  ASSERT_EQ(celeris_kernel_size(module, "attention_fwd", 2, &name, &arg, &dim),
            0);
  EXPECT_STREQ(name, "Hq");
  EXPECT_STREQ(arg, "q");
  EXPECT_EQ(dim, 1);
  EXPECT_NE(celeris_kernel_size(module, "attention_fwd", 3, &name, &arg, &dim),
            0);

  float scale = 1.0f;
  Descriptor<4> q;
  int64_t shape[4] = {3, 8, 300, 64};
  std::copy(shape, shape + 4, q.sizes);
  void *args[] = {&scale, &q};
  int64_t grid[3], shared;
  ASSERT_EQ(celeris_launch_geometry(module, "attention_fwd", nullptr, nullptr,
                                    0, args, 2, grid, &shared),
            0)
      << celeris_last_error();
  EXPECT_EQ(grid[0], 3);
  EXPECT_EQ(grid[1], 8);
  EXPECT_EQ(grid[2], 3);
  EXPECT_EQ(shared, 1200);

  const char *names[] = {"B"};
  int64_t values[] = {4};
  EXPECT_NE(celeris_launch_geometry(module, "attention_fwd", names, values, 1,
                                    args, 2, grid, &shared),
            0);
  EXPECT_STREQ(celeris_last_error(),
               "kernel 'attention_fwd': size 'B' was given as 4 but argument "
               "'q' has 3 in dimension 0");

  EXPECT_NE(celeris_launch(module, "attention_fwd", nullptr, nullptr, 0, args,
                           2, nullptr),
            0);
  EXPECT_NE(std::string(celeris_last_error()).find("without a runtime"),
            std::string::npos)
      << celeris_last_error();
  celeris_module_unload(module);
}

// Sizes neither bound nor given are reported as before bindings existed.
TEST(Runtime, ReportsSizesNeitherBoundNorGiven) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(celeris_module_load_manifest(
                writeManifest("celeris-artifact 1\nkernel k\nbinary b\n"
                              "symbol k\ngrid ceildiv(N,256) M 1\nshared 0\n"
                              "arg memref<1:f32> x\nsize N x 0\nend\n")
                    .c_str(),
                &module),
            0)
      << celeris_last_error();
  Descriptor<1> x;
  x.sizes[0] = 1000;
  void *args[] = {&x};
  int64_t grid[3], shared;
  EXPECT_NE(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0);
  EXPECT_STREQ(celeris_last_error(),
               "kernel 'k': no value was given for size 'M'");
  const char *names[] = {"M"};
  int64_t values[] = {5};
  ASSERT_EQ(celeris_launch_geometry(module, "k", names, values, 1, args, 1,
                                    grid, &shared),
            0)
      << celeris_last_error();
  EXPECT_EQ(grid[0], 4);
  EXPECT_EQ(grid[1], 5);
  celeris_module_unload(module);
}

// A kernel compiled for a static extent rejects descriptors of another.
TEST(Runtime, ChecksStaticExtents) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(celeris_module_load_manifest(
                writeManifest("celeris-artifact 1\nkernel k\nbinary b\n"
                              "symbol k\ngrid B 1 1\nshared 0\n"
                              "arg memref<4:bf16> q shape ?x?x?x128\n"
                              "size B q 0\nend\n")
                    .c_str(),
                &module),
            0)
      << celeris_last_error();
  Descriptor<4> q;
  int64_t shape[4] = {2, 16, 300, 64};
  std::copy(shape, shape + 4, q.sizes);
  void *args[] = {&q};
  int64_t grid[3], shared;
  EXPECT_NE(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0);
  EXPECT_STREQ(celeris_last_error(), "kernel 'k': argument 'q' has extent 64 "
                                     "in dimension 3, the kernel needs 128");
  q.sizes[3] = 128;
  ASSERT_EQ(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0)
      << celeris_last_error();
  EXPECT_EQ(grid[0], 2);
  celeris_module_unload(module);
}

// Two kernels and a program that runs them with a buffer between them.
constexpr const char *kProgram = R"(celeris-artifact 1
kernel scale
  binary kernels.cubin
  symbol scale
  grid N 1 1
  block 256 1 1
  shared 0
  arg memref<2:bf16> x
  arg memref<2:f32> y
  size N x 0
  result y x[0] x[1]*2
end
program twice
  arg memref<2:bf16> x shape ?x64
  arg memref<1:f32> out
  result out x[0]*x[1]*2
  buffer scaled memref<2:f32> x[0] x[1]*2
  launch scale x scaled
  launch sum scaled out
end
kernel sum
  binary kernels.cubin
  symbol sum
  grid 1 1 1
  block 32 1 1
  shared 0
  arg memref<2:f32> y
  arg memref<1:f32> out
  result out y[0]*y[1]
end
)";

TEST(Manifest, ParsesPrograms) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kProgram, error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->kernels.size(), 3u);
  const KernelSpec &program = m->kernels[1];
  ASSERT_TRUE(program.program);
  EXPECT_EQ(program.args.size(), 2u);
  ASSERT_EQ(program.results.size(), 1u);
  EXPECT_EQ(program.results[0].text, "x[0]*x[1]*2");
  ASSERT_EQ(program.program->buffers.size(), 1u);
  const ProgramBuffer &buffer = program.program->buffers[0];
  EXPECT_EQ(buffer.type.name, "scaled");
  EXPECT_EQ(buffer.type.rank, 2u);
  EXPECT_EQ(buffer.type.elementType, "f32");
  ASSERT_EQ(buffer.dims.size(), 2u);
  EXPECT_EQ(buffer.dims[1].factors.size(), 2u);
  // The second launch names a kernel defined after the program.
  ASSERT_EQ(program.program->launches.size(), 2u);
  EXPECT_EQ(program.program->launches[0].kernelIndex, 0u);
  EXPECT_EQ(program.program->launches[0].operands, (std::vector<int>{0, -1}));
  EXPECT_EQ(program.program->launches[1].kernelIndex, 2u);
  EXPECT_EQ(program.program->launches[1].operands, (std::vector<int>{-1, 1}));
}

TEST(Manifest, RejectsMalformedPrograms) {
  auto withProgram = [](const std::string &body) {
    return std::string(kProgram).substr(
               0, std::string(kProgram).find("program twice")) +
           "program p\n" + body + "end\n";
  };
  struct Case {
    std::string text;
    const char *message;
  } cases[] = {
      {withProgram("arg f32 a\n"),
       "line 14: argument 'a' of program 'p' must be a memref<RANK:ELEMENT>"},
      {withProgram("arg memref<2:bf16> x\nbuffer x memref<1:f32> 4\n"),
       "line 15: 'x' names two things in program 'p'"},
      {withProgram("buffer b memref<1:q9> 4\n"),
       "line 14: buffer 'b' has element type 'q9', which the runtime cannot "
       "size"},
      {withProgram("buffer b memref<2:f32> 4\n"),
       "line 14: buffer 'b' has 1 dimensions, but its memref has rank 2"},
      {withProgram("buffer b memref<1:f32> y[0]\n"),
       "line 14: dimension 'y[0]' of buffer 'b' reads no dimension of a "
       "memref argument"},
      {withProgram("grid 1 1 1\n"),
       "line 14: 'grid' in program 'p' (a program has arg, result, buffer, "
       "view and launch lines)"},
      {withProgram("arg memref<2:bf16> x\nlaunch scale x y\n"),
       "line 15: launch of 'scale' passes 'y', which is no argument or "
       "buffer of program 'p'"},
      {withProgram("arg memref<2:bf16> x\nlaunch nothing x\n"),
       "line 15: program 'p' launches 'nothing', which is no kernel of the "
       "manifest"},
      {withProgram("arg memref<2:bf16> x\nlaunch scale x\n"),
       "line 15: program 'p' passes 1 arguments to kernel 'scale', which "
       "takes 2"},
      {withProgram("arg memref<2:bf16> x\narg memref<2:bf16> y\n"
                   "launch scale x y\n"),
       "line 16: program 'p' passes 'y' (memref<2:bf16>) as argument 'y' of "
       "kernel 'scale', which needs a memref of the same rank and element "
       "type"},
      {withProgram("arg memref<2:f32> y\narg memref<1:f32> out\n"
                   "buffer b memref<2:bf16> 4 4\nlaunch scale b y\n"),
       "line 17: program 'p' reads buffer 'b' before a launch writes it"},
      {withProgram("arg memref<2:bf16> x\n"),
       "line 15: program 'p' launches no kernel"},
      {withProgram("arg memref<2:bf16> x\narg memref<2:f32> y\n"
                   "arg memref<2:f32> z\nresult z x[0] x[1]\n"
                   "launch scale x y\n"),
       "line 19: program 'p' has a result 'z' that no launch writes"},
      {std::string(kProgram) + "kernel scale\n",
       "line 31: 'scale' is defined twice"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Manifest::parse(c.text, error)) << c.text;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got: " << error << "\nwanted: " << c.message;
  }
}

// A view is a buffer or argument seen with another shape: a reshape
// between two kernels.
/// kProgram's two kernels, then a program of views.
const std::string kViewProgram =
    std::string(kProgram).substr(0,
                                 std::string(kProgram).find("program twice")) +
    std::string(kProgram).substr(std::string(kProgram).find("kernel sum")) +
    R"(program flat
  arg memref<3:bf16> x shape ?x4x16
  arg memref<1:f32> out
  result out x[0]*128
  view rows memref<2:bf16> x x[0]*4 16
  buffer scaled memref<2:f32> x[0]*4 32
  view wide memref<2:f32> scaled x[0] 128
  launch scale rows scaled
  launch sum wide out
end
)";

TEST(Manifest, ParsesViews) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kViewProgram, error);
  ASSERT_TRUE(m) << error;
  const ProgramSpec &program = *m->kernels[2].program;
  ASSERT_EQ(program.buffers.size(), 3u);
  EXPECT_EQ(program.buffers[0].viewOf, 0); // the argument x
  EXPECT_EQ(program.buffers[1].viewOf, ProgramBuffer::kNotAView);
  EXPECT_EQ(program.buffers[2].viewOf, -2); // the buffer scaled
  // Reading `wide` reads `scaled`, which the first launch writes.
  EXPECT_EQ(program.launches[1].operands, (std::vector<int>{-3, 1}));

  struct Case {
    std::string from, to;
    const char *message;
  } cases[] = {
      {"view wide memref<2:f32> scaled", "view wide memref<2:f32> nothing",
       "view 'wide' shows 'nothing', which is no argument or earlier buffer "
       "of program 'flat'"},
      {"view wide memref<2:f32> scaled", "view wide memref<2:bf16> scaled",
       "view 'wide' of 'scaled' has element type 'bf16', its source 'f32'"},
      {"  launch scale rows scaled\n", "",
       "program 'flat' reads buffer 'wide' before a launch writes it"},
  };
  for (const Case &c : cases) {
    std::string text = kViewProgram;
    text.replace(text.find(c.from), c.from.size(), c.to);
    EXPECT_FALSE(Manifest::parse(text, error)) << text;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got: " << error << "\nwanted: " << c.message;
  }
}

TEST(Runtime, ChecksViews) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(celeris_module_load_manifest(writeManifest(kViewProgram).c_str(),
                                         &module),
            0)
      << celeris_last_error();
  Descriptor<3> x;
  Descriptor<1> out;
  x.sizes[0] = 3;
  x.sizes[1] = 4;
  x.sizes[2] = 16;
  out.sizes[0] = 384;
  void *args[] = {&x, &out};
  EXPECT_NE(
      celeris_launch(module, "flat", nullptr, nullptr, 0, args, 2, nullptr), 0);
  EXPECT_STREQ(celeris_last_error(),
               "cannot launch 'flat': the module was loaded from its "
               "manifest alone, without a runtime");
  celeris_module_unload(module);
  // A view must show as many elements as its source has.
  std::string text = kViewProgram;
  std::string from = "scaled x[0] 128";
  text.replace(text.find(from), from.size(), "scaled x[0] 100");
  ASSERT_EQ(celeris_module_load_manifest(writeManifest(text).c_str(), &module),
            0)
      << celeris_last_error();
  out.sizes[0] = 384;
  EXPECT_NE(
      celeris_launch(module, "flat", nullptr, nullptr, 0, args, 2, nullptr), 0);
  EXPECT_STREQ(celeris_last_error(),
               "program 'flat': view 'wide' has 300 elements, what it shows "
               "384");
  celeris_module_unload(module);
}

// A program is launched by name like a kernel: its arguments are checked,
// its outputs' shapes too, and it has no geometry of its own.
TEST(Runtime, ChecksProgramLaunches) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(
      celeris_module_load_manifest(writeManifest(kProgram).c_str(), &module), 0)
      << celeris_last_error();
  EXPECT_EQ(celeris_module_num_kernels(module), 3);
  EXPECT_STREQ(celeris_module_kernel_name(module, 1), "twice");
  EXPECT_EQ(celeris_kernel_num_args(module, "twice"), 2);
  EXPECT_EQ(celeris_kernel_num_results(module, "twice"), 1);
  Descriptor<2> x;
  Descriptor<1> out;
  x.sizes[0] = 3;
  x.sizes[1] = 32;
  out.sizes[0] = 192;
  void *args[] = {&x, &out};
  int64_t grid[3], shared;
  EXPECT_NE(celeris_launch_geometry(module, "twice", nullptr, nullptr, 0, args,
                                    2, grid, &shared),
            0);
  EXPECT_STREQ(celeris_last_error(),
               "'twice' is a program of 2 launches, with no geometry of its "
               "own");
  EXPECT_NE(
      celeris_launch(module, "twice", nullptr, nullptr, 0, args, 1, nullptr),
      0);
  EXPECT_STREQ(celeris_last_error(),
               "program 'twice': takes 2 arguments, got 1");
  EXPECT_NE(
      celeris_launch(module, "twice", nullptr, nullptr, 0, args, 2, nullptr),
      0);
  EXPECT_STREQ(celeris_last_error(),
               "program 'twice': argument 'x' has extent 32 in dimension 1, "
               "the kernel needs 64");
  x.sizes[1] = 64;
  EXPECT_NE(
      celeris_launch(module, "twice", nullptr, nullptr, 0, args, 2, nullptr),
      0);
  EXPECT_STREQ(celeris_last_error(),
               "program 'twice': result 'out' has extent 192 in dimension 0, "
               "its shape (x[0]*x[1]*2) gives 384");
  out.sizes[0] = 384;
  EXPECT_NE(
      celeris_launch(module, "twice", nullptr, nullptr, 0, args, 2, nullptr),
      0);
  EXPECT_STREQ(celeris_last_error(),
               "cannot launch 'twice': the module was loaded from its "
               "manifest alone, without a runtime");
  celeris_module_unload(module);
}

// A launch may run several kernels in order (dispatch: count, scan, rank,
// rows): `step` sections give each one's symbol and geometry.
TEST(Manifest, ParsesSteps) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(R"(celeris-artifact 1
kernel dispatch
  binary kernels.cubin
  symbol dispatch
  grid ceildiv(T*K,4096) 1 1
  block 256 1 1
  shared 2048
  workspace 4*64*(ceildiv(T*K,4096)+1)
  arg memref<2:i32> experts
  size T experts 0
  size K experts 1
  step dispatch_scan
    grid 1 1 1
    block 1024 1 1
    shared 128
  step dispatch_rows
    grid ceildiv(T*K,8) 1 1
    block 256 1 1
    shared 0
end
)",
                                              error);
  ASSERT_TRUE(m) << error;
  const KernelSpec &k = m->kernels[0];
  ASSERT_EQ(k.steps.size(), 2u);
  EXPECT_EQ(k.symbol, "dispatch");
  EXPECT_EQ(k.block[0], 256u);
  EXPECT_EQ(k.steps[0].symbol, "dispatch_scan");
  EXPECT_EQ(k.steps[0].block[0], 1024u);
  EXPECT_EQ(k.steps[0].grid[0]->evaluate({}, error), 1);
  EXPECT_EQ(k.steps[1].symbol, "dispatch_rows");
  EXPECT_EQ(k.steps[1].grid[0]->evaluate({{"T", 100}, {"K", 8}}, error), 100);
  EXPECT_EQ(k.steps[1].sharedBytes->evaluate({}, error), 0);

  struct Case {
    const char *text;
    const char *message;
  } cases[] = {
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid 1 1 1\n"
       "shared 0\nstep s\nblock 1 1 1\nend\n",
       "line 9: step 's' of kernel 'k' needs grid and shared"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid 1 1 1\n"
       "shared 0\nstep s\ngrid 1 1 1\nshared 0\narg i32 n\nend\n",
       "line 10: 'arg' after a step of kernel 'k' (a step has only grid, "
       "block and shared)"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\nstep s\n",
       "line 5: kernel 'k' needs binary, symbol, grid and shared"},
      {"celeris-artifact 1\nkernel k\nbinary b\nsymbol k\ngrid 1 1 1\n"
       "shared 0\nstep\n",
       "line 7: expected a step's symbol name"},
  };
  for (const Case &c : cases) {
    EXPECT_FALSE(Manifest::parse(c.text, error)) << c.text;
    EXPECT_EQ(error, std::string("manifest line ") + (c.message + 5)) << c.text;
  }
}

// The kernels move data in 16-byte vectors: a tensor that starts elsewhere
// is refused with a message, not a misaligned-address fault.
TEST(Runtime, ChecksAlignment) {
  CelerisModule *module = nullptr;
  ASSERT_EQ(celeris_module_load_manifest(
                writeManifest("celeris-artifact 1\nkernel k\nbinary b\n"
                              "symbol k\ngrid N 1 1\nshared 0\n"
                              "arg memref<2:bf16> x\nsize N x 0\nend\n")
                    .c_str(),
                &module),
            0)
      << celeris_last_error();
  alignas(16) static char storage[64];
  Descriptor<2> x;
  x.allocated = x.aligned = storage;
  x.sizes[0] = 2;
  x.sizes[1] = 8;
  x.offset = 1; // 2 bytes in.
  void *args[] = {&x};
  int64_t grid[3], shared;
  EXPECT_NE(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0);
  EXPECT_STREQ(celeris_last_error(),
               "kernel 'k': argument 'x' starts at an address that is not a "
               "multiple of 16 bytes; the kernels move data in 16-byte vectors "
               "(pass a tensor that owns its storage, or a copy)");
  x.offset = 8; // 16 bytes in.
  EXPECT_EQ(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0)
      << celeris_last_error();
  // An empty tensor is never read: any address goes.
  x.offset = 1;
  x.sizes[0] = 0;
  EXPECT_EQ(celeris_launch_geometry(module, "k", nullptr, nullptr, 0, args, 1,
                                    grid, &shared),
            0)
      << celeris_last_error();
  celeris_module_unload(module);
}

TEST(Runtime, ExplainsAMissingManifest) {
  CelerisModule *module = nullptr;
  EXPECT_NE(celeris_module_load_manifest("/nonexistent/manifest.txt", &module),
            0);
  EXPECT_STREQ(celeris_last_error(),
               "cannot open manifest '/nonexistent/manifest.txt'");
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

namespace {

constexpr const char *kTensorMapManifest = R"(celeris-artifact 1
kernel gemm
  binary g.cubin
  symbol gemm
  grid 1 1 1
  shared 0
  arg memref<2:bf16> x shape ?x2048
  arg memref<3:bf16> w
  tensor_map x box 128x64 swizzle 128
  tensor_map w box 1x64x64 swizzle 128
end
)";

} // namespace

TEST(Manifest, ParsesTensorMaps) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kTensorMapManifest, error);
  ASSERT_TRUE(m) << error;
  const KernelSpec &k = m->kernels[0];
  ASSERT_EQ(k.tensorMaps.size(), 2u);
  EXPECT_EQ(k.tensorMaps[0].arg, 0u);
  EXPECT_EQ(k.tensorMaps[0].box, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(k.tensorMaps[0].swizzleBytes, 128);
  EXPECT_EQ(k.tensorMaps[1].arg, 1u);
  EXPECT_EQ(k.tensorMaps[1].box, (std::vector<int64_t>{1, 64, 64}));
}

TEST(Manifest, RejectsMalformedTensorMaps) {
  const std::string head = "celeris-artifact 1\nkernel k\n"
                           "arg memref<2:bf16> x\narg i32 n\n";
  struct Case {
    const char *line;
    const char *message;
  } cases[] = {
      {"tensor_map x 64x64 swizzle 128",
       "line 5: expected 'tensor_map <memref argument> box <extents> "
       "swizzle <0|128>'"},
      {"tensor_map y box 64x64 swizzle 128",
       "line 5: tensor_map over 'y', which is no earlier memref argument of "
       "kernel 'k'"},
      {"tensor_map n box 64 swizzle 0",
       "line 5: tensor_map over 'n', which is no earlier memref argument"},
      {"tensor_map x box 64x? swizzle 128",
       "line 5: bad box '64x?' of the tensor map over 'x'"},
      {"tensor_map x box 64 swizzle 128",
       "line 5: the box of the tensor map over 'x' has 1 extents, but the "
       "memref has rank 2"},
      {"tensor_map x box 512x64 swizzle 128",
       "line 5: box extent 512 of the tensor map over 'x' is past 256"},
      {"tensor_map x box 64x64 swizzle 64",
       "line 5: swizzle of the tensor map over 'x' must be 0 or 128 bytes, "
       "got '64'"},
      {"tensor_map x box 64x128 swizzle 128",
       "line 5: the innermost box extent of the tensor map over 'x' spans "
       "256 bytes; it must be a multiple of 16 and at most the 128 of the "
       "swizzle"},
      {"tensor_map x box 64x4 swizzle 0",
       "line 5: the innermost box extent of the tensor map over 'x' spans 8 "
       "bytes; it must be a multiple of 16"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(Manifest::parse(head + c.line + "\n", error)) << c.line;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got '" << error << "' for: " << c.line;
  }
}

TEST(Manifest, EncodesTensorMaps) {
  std::string error;
  std::optional<Manifest> m = Manifest::parse(kTensorMapManifest, error);
  ASSERT_TRUE(m) << error;
  const KernelSpec &k = m->kernels[0];
  alignas(16) static char storage[64];
  Descriptor<2> x;
  x.allocated = x.aligned = storage;
  x.offset = 8; // 16 bytes in.
  x.sizes[0] = 300;
  x.sizes[1] = 2048;
  x.strides[0] = 2048;
  x.strides[1] = 1;
  Descriptor<3> w;
  w.allocated = w.aligned = storage;
  w.sizes[0] = 1;
  w.sizes[1] = 2048;
  w.sizes[2] = 1408;
  w.strides[0] = 0; // Any stride for a dimension of one index.
  w.strides[1] = 1408;
  w.strides[2] = 1;
  void *args[] = {&x, &w};

  // The driver's order: innermost dimension first, strides in bytes.
  std::optional<TensorMapEncoding> e =
      k.encodeTensorMap(k.tensorMaps[0], args, error);
  ASSERT_TRUE(e) << error;
  EXPECT_TRUE(e->encode);
  EXPECT_EQ(e->rank, 2u);
  EXPECT_EQ(e->dataType, 9); // CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
  EXPECT_EQ(e->swizzle, 3);  // CU_TENSOR_MAP_SWIZZLE_128B
  EXPECT_EQ(e->address, storage + 16);
  EXPECT_EQ(e->dims[0], 2048u);
  EXPECT_EQ(e->dims[1], 300u);
  EXPECT_EQ(e->strides[0], 4096u);
  EXPECT_EQ(e->box[0], 64u);
  EXPECT_EQ(e->box[1], 128u);

  e = k.encodeTensorMap(k.tensorMaps[1], args, error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->dims[2], 1u);
  EXPECT_EQ(e->strides[0], 2816u);
  EXPECT_EQ(e->strides[1], 2048u * 2816u); // The dense stride.

  // An empty tensor is read through no map: none is encoded.
  x.sizes[0] = 0;
  e = k.encodeTensorMap(k.tensorMaps[0], args, error);
  ASSERT_TRUE(e) << error;
  EXPECT_FALSE(e->encode);
  x.sizes[0] = 300;

  // Rows must be contiguous and span a multiple of 16 bytes.
  x.strides[1] = 2;
  EXPECT_FALSE(k.encodeTensorMap(k.tensorMaps[0], args, error));
  EXPECT_EQ(error, "the tensor map over argument 'x': its innermost "
                   "dimension has stride 2; a tensor map needs contiguous "
                   "rows (pass a contiguous tensor)");
  x.strides[1] = 1;
  x.strides[0] = 2052;
  EXPECT_FALSE(k.encodeTensorMap(k.tensorMaps[0], args, error));
  EXPECT_EQ(error,
            "the tensor map over argument 'x': dimension 0 has a stride of "
            "4104 bytes; a tensor map needs a positive multiple of 16 below "
            "2^40 (pass a contiguous tensor whose rows span a multiple of 16 "
            "bytes)");
}
