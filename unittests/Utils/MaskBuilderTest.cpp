//===- MaskBuilderTest.cpp - Tests of the key-tile ranges -------*- C++ -*-===//
//
// buildKeyTileRanges decides which key tiles a GPU kernel (and a tiled
// loop) visits: a tile it leaves out is never computed, so it must never
// leave out a tile holding an allowed pair. Checked by brute force on random
// masks and random query blocks: the emitted arithmetic is folded to
// constants, then every allowed (query, key) pair's tile must lie in exactly
// one range, and the ranges must be ascending, disjoint and inside the keys.
//
//===----------------------------------------------------------------------===//

#include "celeris/Utils/MaskBuilder.h"
#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/raw_ostream.h"

#include "../Dialect/Celeris/RandomMask.h"

#include <gtest/gtest.h>
#include <random>

using namespace mlir;
using namespace mlir::celeris;

namespace {

class KeyTileRangesTest : public ::testing::Test {
protected:
  KeyTileRangesTest() {
    ctx.loadDialect<CelerisDialect, arith::ArithDialect, func::FuncDialect>();
  }

  /// The ranges for queries [p0, p1) over kvLen keys in tiles of `tile`,
  /// folded to constants.
  std::vector<std::pair<int64_t, int64_t>>
  ranges(MaskAttr mask, int64_t p0, int64_t p1, int64_t kvLen, int64_t tile) {
    OpBuilder b(&ctx);
    Location loc = b.getUnknownLoc();
    auto module = ModuleOp::create(loc);
    b.setInsertionPointToEnd(module.getBody());
    auto func = func::FuncOp::create(b, loc, "f", b.getFunctionType({}, {}));
    b.setInsertionPointToStart(func.addEntryBlock());
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    SmallVector<KeyTileRange> built = buildKeyTileRanges(
        b, loc, mask, constant(p0), constant(p1), constant(kvLen), tile);
    // Keep the results alive through folding.
    SmallVector<Value> results;
    for (const KeyTileRange &r : built)
      results.append({r.begin, r.end});
    func.setType(b.getFunctionType({}, TypeRange(ValueRange(results))));
    func::ReturnOp::create(b, loc, results);
    RewritePatternSet none(&ctx);
    (void)applyPatternsGreedily(func, std::move(none));
    std::vector<std::pair<int64_t, int64_t>> out;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (unsigned i = 0; i < ret.getNumOperands(); i += 2) {
      APInt begin, end;
      bool folded = matchPattern(ret.getOperand(i), m_ConstantInt(&begin)) &&
                    matchPattern(ret.getOperand(i + 1), m_ConstantInt(&end));
      EXPECT_TRUE(folded) << "range " << i / 2 << " did not fold";
      out.push_back({begin.getSExtValue(), end.getSExtValue()});
    }
    module->erase();
    return out;
  }

  MLIRContext ctx;
};

std::string print(MaskAttr mask) { return unittest::printMask(mask); }

TEST_F(KeyTileRangesTest, CoverEveryAllowedPairOnce) {
  std::random_device seed;
  unsigned s = seed();
  std::mt19937 rng(s);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 3000; ++trial) {
    MaskAttr mask = unittest::randomMask(&ctx, rng, 2);
    int64_t tile = pick(1, 6), kvLen = pick(0, 40);
    int64_t p0 = pick(-8, 40), p1 = p0 + pick(1, 12);
    auto rs = ranges(mask, p0, p1, kvLen, tile);
    std::string where = "seed " + std::to_string(s) + ", mask " + print(mask) +
                        ", queries [" + std::to_string(p0) + ", " +
                        std::to_string(p1) + "), " + std::to_string(kvLen) +
                        " keys, tile " + std::to_string(tile);
    int64_t tiles = (kvLen + tile - 1) / tile;
    int64_t previousEnd = 0;
    for (auto [begin, end] : rs) {
      ASSERT_LE(0, begin) << where;
      ASSERT_LE(begin, end) << where;
      ASSERT_LE(end, tiles) << where;
      if (begin < end) {
        ASSERT_LE(previousEnd, begin)
            << "ranges overlap or are unsorted: " << where;
        previousEnd = end;
      }
    }
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t j = 0; j < kvLen; ++j) {
        if (!mask.allows(p, j))
          continue;
        int64_t t = j / tile, hits = 0;
        for (auto [begin, end] : rs)
          hits += begin <= t && t < end;
        ASSERT_EQ(hits, 1) << "allowed pair (" << p << ", " << j << ") in tile "
                           << t << " visited " << hits << " times: " << where;
      }
  }
}

TEST_F(KeyTileRangesTest, SinksAndWindowSkipTheMiddle) {
  // Queries [1000, 1128) under causal n (sinks 4 u window 64): the sink tile
  // and the window's tiles, nothing between.
  auto mask = llvm::cast<MaskAttr>(parseAttribute(
      "#celeris.mask<intersect(causal, union(sink<4>, window<left = 63, "
      "right = 0>))>",
      &ctx));
  auto rs = ranges(mask, 1000, 1128, 2048, 64);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0], std::make_pair(int64_t(0), int64_t(1)));
  EXPECT_EQ(rs[1], std::make_pair(int64_t(14), int64_t(18)));
}

} // namespace
