//===- MaskAttrTest.cpp - Tests of #celeris.mask ----------------*- C++ -*-===//
//
// Parsing, printing, evaluation and simplification of the structured mask.
// Simplification is checked against brute-force evaluation: a simplified
// mask must allow exactly the same (query, key) pairs as the original on
// every position of the grid (of the extent, when one is given).
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

class MaskAttrTest : public ::testing::Test {
protected:
  MaskAttrTest() { ctx.getOrLoadDialect<CelerisDialect>(); }

  MaskAttr parse(StringRef body) {
    std::string text = ("#celeris.mask<" + body + ">").str();
    return llvm::dyn_cast_or_null<MaskAttr>(parseAttribute(text, &ctx));
  }

  static std::string print(MaskAttr mask) { return unittest::printMask(mask); }

  /// Whether `a` and `b` allow the same pairs for queries at
  /// [pBegin, pEnd) and keys at [0, kvLen).
  static bool equivalent(MaskAttr a, MaskAttr b, int64_t pBegin, int64_t pEnd,
                         int64_t kvLen) {
    for (int64_t p = pBegin; p < pEnd; ++p)
      for (int64_t j = 0; j < kvLen; ++j)
        if (a.allows(p, j) != b.allows(p, j))
          return false;
    return true;
  }

  MLIRContext ctx;
};

TEST_F(MaskAttrTest, PrintsWhatItParses) {
  for (StringRef body : {
           "all",
           "none",
           "causal",
           "window<left = 128, right = 0>",
           "sink<4>",
           "dilated<rate = 2, segment = 8>",
           "strided<64>",
           "block_causal<16>",
           "prefix<100>",
           "chunked<256>",
           "global<[0, 17, 42]>",
           "union(causal, sink<4>, global<[3]>)",
           "intersect(causal, union(sink<4>, window<left = 1023, right = 0>))",
       }) {
    MaskAttr mask = parse(body);
    ASSERT_TRUE(mask) << body.str();
    EXPECT_EQ(print(mask), ("#celeris.mask<" + body + ">").str());
  }
}

TEST_F(MaskAttrTest, RejectsMalformedMasks) {
  // The parser reports the error through the context's diagnostic handler;
  // silence it, the test only needs the null result.
  ScopedDiagnosticHandler silence(&ctx, [](Diagnostic &) { return success(); });
  for (StringRef body : {
           "causa",                          // unknown primitive
           "window<128, 0>",                 // missing keywords
           "window<left = -1, right = 0>",   // negative extent
           "sink<0>",                        // non-positive parameter
           "dilated<rate = 3, segment = 8>", // segment not a multiple
           "global<[]>",                     // no token
           "global<[4, 2]>",                 // not increasing
           "union(causal)",                  // one operand
           "intersect()",                    // none
           "causal<1>",                      // parameters on causal
       })
    EXPECT_FALSE(parse(body)) << body.str();
}

TEST_F(MaskAttrTest, VerifierRejectsMalformedNodesBuiltInCpp) {
  // Malformed nodes that the parser cannot produce, only the C++ API.
  std::string message;
  auto emitError = [&]() { return mlir::emitError(UnknownLoc::get(&ctx)); };
  ScopedDiagnosticHandler capture(&ctx, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  MaskAttr causal = MaskAttr::getCausal(&ctx);
  MaskAttr sink = MaskAttr::get(&ctx, MaskKind::Sink, {4});
  EXPECT_FALSE(MaskAttr::getChecked(emitError, &ctx, MaskKind::Union,
                                    ArrayRef<int64_t>{1},
                                    ArrayRef<MaskAttr>{causal, sink}));
  EXPECT_EQ(message, "mask 'union' takes no parameters");
  EXPECT_FALSE(MaskAttr::getChecked(emitError, &ctx, MaskKind::Causal,
                                    ArrayRef<int64_t>{},
                                    ArrayRef<MaskAttr>{sink}));
  EXPECT_EQ(message, "mask primitive 'causal' takes no mask operands");
  EXPECT_FALSE(MaskAttr::getChecked(emitError, &ctx, MaskKind::Window,
                                    ArrayRef<int64_t>{4},
                                    ArrayRef<MaskAttr>{}));
  EXPECT_EQ(message, "mask 'window' expects 2 parameter(s), got 1");
}

TEST_F(MaskAttrTest, EvaluatesPrimitives) {
  EXPECT_TRUE(parse("causal").allows(5, 5));
  EXPECT_FALSE(parse("causal").allows(5, 6));
  MaskAttr window = parse("window<left = 2, right = 1>");
  EXPECT_FALSE(window.allows(10, 7));
  EXPECT_TRUE(window.allows(10, 8));
  EXPECT_TRUE(window.allows(10, 11));
  EXPECT_FALSE(window.allows(10, 12));
  EXPECT_TRUE(parse("sink<4>").allows(100, 3));
  EXPECT_FALSE(parse("sink<4>").allows(100, 4));
  MaskAttr dilated = parse("dilated<rate = 2, segment = 8>");
  EXPECT_TRUE(dilated.allows(10, 12));  // same segment, even offsets
  EXPECT_FALSE(dilated.allows(10, 11)); // odd key offset
  EXPECT_FALSE(dilated.allows(10, 2));  // other segment
  EXPECT_TRUE(parse("strided<4>").allows(9, 1));
  EXPECT_FALSE(parse("strided<4>").allows(9, 2));
  EXPECT_TRUE(parse("block_causal<4>").allows(4, 7));
  EXPECT_FALSE(parse("block_causal<4>").allows(3, 4));
  EXPECT_TRUE(parse("prefix<8>").allows(2, 7));
  EXPECT_FALSE(parse("prefix<8>").allows(9, 10));
  EXPECT_TRUE(parse("chunked<4>").allows(5, 7));
  EXPECT_FALSE(parse("chunked<4>").allows(5, 3));
  EXPECT_TRUE(parse("global<[3]>").allows(3, 50));
  EXPECT_TRUE(parse("global<[3]>").allows(50, 3));
  EXPECT_FALSE(parse("global<[3]>").allows(50, 4));
  // Queries before position 0 (negative offsets) use floor semantics.
  EXPECT_FALSE(parse("block_causal<4>").allows(-1, 0));
  EXPECT_TRUE(parse("chunked<4>").allows(-1, -4));
}

TEST_F(MaskAttrTest, SimplifiesTheAlgebra) {
  auto simplified = [&](StringRef body) {
    return print(simplifyMask(parse(body)));
  };
  EXPECT_EQ(simplified("union(causal, all)"), "#celeris.mask<all>");
  EXPECT_EQ(simplified("intersect(sink<4>, none)"), "#celeris.mask<none>");
  EXPECT_EQ(simplified("intersect(causal, all)"), "#celeris.mask<causal>");
  EXPECT_EQ(simplified("union(causal, causal)"), "#celeris.mask<causal>");
  EXPECT_EQ(simplified("union(sink<4>, union(causal, strided<8>))"),
            "#celeris.mask<union(strided<8>, prefix<4>)>");
  EXPECT_EQ(simplified("intersect(causal, window<left = 64, right = 64>)"),
            "#celeris.mask<window<left = 64, right = 0>>");
  EXPECT_EQ(simplified("union(causal, window<left = 64, right = 0>)"),
            "#celeris.mask<causal>");
  EXPECT_EQ(simplified("union(window<left = 8, right = 0>, "
                       "window<left = 2, right = 3>)"),
            "#celeris.mask<window<left = 8, right = 3>>");
  EXPECT_EQ(simplified("block_causal<1>"), "#celeris.mask<causal>");
  EXPECT_EQ(simplified("strided<1>"), "#celeris.mask<all>");
  EXPECT_EQ(simplified("dilated<rate = 1, segment = 64>"),
            "#celeris.mask<chunked<64>>");
  EXPECT_EQ(simplified("union(global<[1, 5]>, global<[2, 5]>)"),
            "#celeris.mask<global<[1, 2, 5]>>");
  // Operand order does not matter.
  EXPECT_EQ(simplifyMask(parse("union(strided<8>, chunked<4>)")),
            simplifyMask(parse("union(chunked<4>, strided<8>)")));
}

TEST_F(MaskAttrTest, SimplifiesOverAStaticExtent) {
  auto simplified = [&](StringRef body, MaskExtent extent) {
    return print(simplifyMask(parse(body), extent));
  };
  MaskExtent square{0, 512, 512};
  // A window covering the whole sequence, intersected with causal.
  EXPECT_EQ(
      simplified("intersect(causal, window<left = 4096, right = 7>)", square),
      "#celeris.mask<causal>");
  EXPECT_EQ(simplified("window<left = 511, right = 511>", square),
            "#celeris.mask<all>");
  EXPECT_EQ(simplified("window<left = 510, right = 511>", square),
            "#celeris.mask<window<left = 510, right = 511>>");
  EXPECT_EQ(simplified("union(causal, sink<512>)", square),
            "#celeris.mask<all>");
  EXPECT_EQ(simplified("chunked<512>", square), "#celeris.mask<all>");
  EXPECT_EQ(simplified("global<[600]>", square), "#celeris.mask<none>");
  // Decode: one query after 4096 cached keys sees all of them under causal.
  EXPECT_EQ(simplified("causal", MaskExtent{4096, 4097, 4097}),
            "#celeris.mask<all>");
  // ... but not under a window.
  EXPECT_EQ(simplified("intersect(causal, window<left = 1023, right = 0>)",
                       MaskExtent{4096, 4097, 4097}),
            "#celeris.mask<window<left = 1023, right = 0>>");
}

TEST_F(MaskAttrTest, SimplificationPreservesSemantics) {
  std::random_device seed;
  unsigned s = seed();
  std::mt19937 rng(s);
  for (int trial = 0; trial < 3000; ++trial) {
    MaskAttr mask = unittest::randomMask(&ctx, rng, 3);
    MaskAttr simplified = simplifyMask(mask);
    ASSERT_TRUE(equivalent(mask, simplified, -4, 16, 16))
        << "seed " << s << ": " << print(mask) << " became "
        << print(simplified);
    // Simplification is idempotent.
    ASSERT_EQ(simplifyMask(simplified), simplified) << print(mask);

    // Over an extent: queries at [offset, offset + sq), keys [0, sk).
    int64_t sq = std::uniform_int_distribution<int64_t>(1, 12)(rng);
    int64_t sk = std::uniform_int_distribution<int64_t>(1, 12)(rng);
    int64_t offset = std::uniform_int_distribution<int64_t>(-3, 12)(rng);
    MaskExtent extent{offset, offset + sq, sk};
    MaskAttr inExtent = simplifyMask(mask, extent);
    ASSERT_TRUE(equivalent(mask, inExtent, offset, offset + sq, sk))
        << "seed " << s << ": " << print(mask) << " became " << print(inExtent)
        << " over queries [" << offset << ", " << offset + sq << ") and " << sk
        << " keys";
  }
}

} // namespace
