//===- MaskTileClassificationTest.cpp - Tests of classifyTile ---*- C++ -*-===//
//
// classifyTile must never be wrong: Empty only if MaskAttr::allows rejects
// every pair of the tile, Full only if it accepts every pair. That is
// checked by brute force on random masks and random tiles, including
// negative query positions and tiles too large to be settled by
// enumeration, so the interval rules themselves are exercised. Precision
// (that the rules decide what they claim to decide) is checked on large
// tiles of each primitive.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include "RandomMask.h"

#include <gtest/gtest.h>
#include <random>

using namespace mlir;
using namespace mlir::celeris;

namespace {

class MaskTileClassificationTest : public ::testing::Test {
protected:
  MaskTileClassificationTest() { ctx.getOrLoadDialect<CelerisDialect>(); }

  MaskAttr parse(StringRef body) {
    std::string text = ("#celeris.mask<" + body + ">").str();
    return llvm::dyn_cast_or_null<MaskAttr>(parseAttribute(text, &ctx));
  }

  /// Classifies the tile of queries [p, p + tq) and keys [j, j + tk).
  TileClass classify(StringRef body, int64_t p, int64_t tq, int64_t j,
                     int64_t tk) {
    MaskAttr mask = parse(body);
    EXPECT_TRUE(mask) << body.str();
    return classifyTile(mask, p, p + tq, j, j + tk);
  }

  MLIRContext ctx;
};

std::string print(MaskAttr mask) { return unittest::printMask(mask); }

TEST_F(MaskTileClassificationTest, IsNeverWrong) {
  std::random_device seed;
  unsigned s = seed();
  std::mt19937 rng(s);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t decided = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    MaskAttr mask = unittest::randomMask(&ctx, rng, 2);
    // Tiles up to 40 x 40, so most exceed the enumeration limit; query
    // positions start before 0 as under a negative query offset.
    int64_t p0 = pick(-30, 30), tq = pick(1, 40);
    int64_t j0 = pick(0, 30), tk = pick(1, 40);
    TileClass c = classifyTile(mask, p0, p0 + tq, j0, j0 + tk);
    if (c == TileClass::Partial)
      continue;
    ++decided;
    for (int64_t p = p0; p < p0 + tq; ++p)
      for (int64_t j = j0; j < j0 + tk; ++j)
        ASSERT_EQ(mask.allows(p, j), c == TileClass::Full)
            << "seed " << s << ": " << print(mask) << " classified "
            << (c == TileClass::Full ? "Full" : "Empty") << " on queries ["
            << p0 << ", " << p0 + tq << ") keys [" << j0 << ", " << j0 + tk
            << ") but allows(" << p << ", " << j << ") is "
            << mask.allows(p, j);
  }
  // The check is vacuous if nothing is ever decided.
  EXPECT_GT(decided, 1000) << "seed " << s;
}

TEST_F(MaskTileClassificationTest, DecidesLargeTilesOfPrimitives) {
  using TC = TileClass;
  // 64 x 64 tiles: far beyond enumeration, decided by the interval rules.
  EXPECT_EQ(classify("causal", 64, 64, 0, 64), TC::Full);
  EXPECT_EQ(classify("causal", 64, 64, 64, 64), TC::Partial);
  EXPECT_EQ(classify("causal", 64, 64, 128, 64), TC::Empty);
  EXPECT_EQ(classify("causal", -64, 64, 0, 64), TC::Empty);
  EXPECT_EQ(classify("window<left = 200, right = 0>", 512, 64, 0, 64),
            TC::Empty);
  EXPECT_EQ(classify("window<left = 200, right = 0>", 512, 64, 448, 64),
            TC::Full);
  EXPECT_EQ(classify("window<left = 200, right = 0>", 512, 64, 320, 64),
            TC::Partial);
  EXPECT_EQ(classify("sink<64>", 500, 64, 0, 64), TC::Full);
  EXPECT_EQ(classify("sink<64>", 500, 64, 64, 64), TC::Empty);
  EXPECT_EQ(classify("prefix<128>", 0, 64, 64, 64), TC::Full);
  EXPECT_EQ(classify("prefix<128>", 0, 64, 128, 64), TC::Empty);
  EXPECT_EQ(classify("block_causal<64>", 64, 64, 64, 64), TC::Full);
  EXPECT_EQ(classify("block_causal<64>", 64, 64, 128, 64), TC::Empty);
  EXPECT_EQ(classify("chunked<128>", 128, 64, 192, 64), TC::Full);
  EXPECT_EQ(classify("chunked<128>", 128, 64, 0, 64), TC::Empty);
  EXPECT_EQ(classify("chunked<128>", -64, 64, 0, 64), TC::Empty);
  EXPECT_EQ(classify("strided<1>", 0, 64, 0, 64), TC::Full);
  EXPECT_EQ(classify("strided<200>", 0, 64, 100, 64), TC::Empty);
  EXPECT_EQ(classify("dilated<rate = 1, segment = 64>", 0, 64, 0, 64),
            TC::Full);
  EXPECT_EQ(classify("dilated<rate = 2, segment = 64>", 0, 64, 64, 64),
            TC::Empty);
  EXPECT_EQ(classify("global<[3, 30]>", 64, 64, 64, 64), TC::Empty);
  EXPECT_EQ(classify("global<[3, 30]>", 64, 64, 0, 64), TC::Partial);
  EXPECT_EQ(classify("all", 0, 64, 0, 64), TC::Full);
  EXPECT_EQ(classify("none", 0, 64, 0, 64), TC::Empty);
  // An empty rectangle allows nothing.
  EXPECT_EQ(classify("all", 0, 0, 0, 64), TC::Empty);
}

TEST_F(MaskTileClassificationTest, CombinesOperands) {
  using TC = TileClass;
  StringRef sinkWindow =
      "intersect(causal, union(sink<4>, window<left = 200, right = 0>))";
  EXPECT_EQ(classify(sinkWindow, 512, 64, 64, 64), TC::Empty);
  EXPECT_EQ(classify(sinkWindow, 512, 64, 448, 64), TC::Full);
  EXPECT_EQ(classify(sinkWindow, 512, 64, 0, 64), TC::Partial);
  EXPECT_EQ(classify("union(causal, sink<4>)", 64, 64, 0, 64), TC::Full);
  EXPECT_EQ(classify("union(chunked<64>, sink<4>)", 128, 64, 64, 64),
            TC::Empty);
  EXPECT_EQ(classify("intersect(causal, chunked<64>)", 128, 64, 128, 64),
            TC::Partial);
  // Small undecided tiles are settled exactly: neither operand covers this
  // 1 x 2 tile, but every pair is on the dilated grid or in the sink.
  EXPECT_EQ(
      classify("union(dilated<rate = 2, segment = 8>, sink<2>)", 0, 1, 1, 2),
      TC::Full);
}

} // namespace
