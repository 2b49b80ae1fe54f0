//===- TensorCoreMma.h - Tensor-core GEMMs behind one interface -*- C++ -*-===//
//
// Accumulator fragments and the two tensor-core instruction families that
// fill them, mma.sync (a warp, m16n8k16, operands from registers loaded by
// ldmatrix) and wgmma (a warpgroup, m64nNk16, operands from shared memory
// through descriptors or A from registers), behind one interface.
//
// Both give every thread the same accumulator layout, which is what lets
// one kernel body serve both: a warp owns 16 rows of the tile (a warpgroup's
// four warps own 64), and lane l = 4 g + q holds, for each 8-column block n,
//   value 4 n + 0, 1: row g,     columns 8 n + 2 q + {0, 1};
//   value 4 n + 2, 3: row g + 8, columns 8 n + 2 q + {0, 1}.
// The same values, rounded to 16 bits and packed in pairs, are the A
// operand of the next GEMM: k16 chunk c is the registers 4c .. 4c + 3.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_TENSORCOREMMA_H
#define CELERIS_GPU_TENSORCOREMMA_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/GPU/SharedTile.h"

#include <memory>

namespace mlir::celeris {

/// A thread's part of an M x N f32 accumulator tile (see the file comment).
struct AccumulatorFragment {
  SmallVector<Value> values;

  static AccumulatorFragment splat(Value value, int64_t columns) {
    return {SmallVector<Value>(columns / 2, value)};
  }
  int64_t getColumns() const { return 2 * values.size(); }
  /// Which of the thread's two rows (0: g, 1: g + 8) value i belongs to.
  static int64_t rowOf(int64_t i) { return (i % 4) / 2; }
  /// The column of value i, less the lane's 2 q.
  static int64_t columnOf(int64_t i) { return 8 * (i / 4) + i % 2; }
};

/// The lane coordinates of the layout.
struct FragmentLane {
  /// g = lane / 4 and q = lane % 4 (index).
  Value group, quad;
  static FragmentLane get(KernelBuilder &b, Value threadId);
};

enum class RowReduction { Max, Sum };
/// Reduces row `row` (0 or 1) of `fragment` over its columns: this thread's
/// values, then the four lanes of the row (shuffles xor 1, 2).
Value reduceRow(KernelBuilder &b, const AccumulatorFragment &fragment,
                int64_t row, RowReduction kind);
/// Reduces a lane-partial per-row value over the four lanes of the row.
Value reduceAcrossQuad(KernelBuilder &b, Value value, RowReduction kind);
/// `fragment` rounded to `elementType` pairs packed in i32 registers: the A
/// operand of a GEMM by it.
SmallVector<Value> toOperandA(KernelBuilder &b,
                              const AccumulatorFragment &fragment,
                              Type elementType);

/// The A operand of a GEMM: a tile in shared memory, or registers
/// (toOperandA's layout). K-major tiles hold A's rows (rows `rowOffset` on,
/// K along the columns); MN-major tiles hold A transposed (K along the rows,
/// A's rows are the columns `rowOffset` on), as a recurrence's keys are
/// the A operand of its state update K^T V (mma.sync only).
struct MmaOperandA {
  SharedTile tile;
  Value tileOffset, rowOffset;
  SmallVector<Value> registers;
  bool kMajor = true;

  bool inRegisters() const { return !registers.empty(); }
};

/// The B operand, always in shared memory: `kMajor` when the tile holds B
/// transposed (N rows with K along the columns, as keys for Q K^T), else K
/// rows of N columns (values for P V).
struct MmaOperandB {
  SharedTile tile;
  Value tileOffset;
  bool kMajor;
};

/// One family of tensor-core instructions.
class TensorCoreMma {
public:
  virtual ~TensorCoreMma();
  /// `laneId` is the thread's lane in its warp.
  static std::unique_ptr<TensorCoreMma> create(TensorCoreKind kind,
                                               Type elementType,
                                               const SharedMemory &smem,
                                               Value laneId);

  /// Rows of the tile one instruction group covers: 16 (a warp) or 64 (a
  /// warpgroup).
  virtual int64_t getRowsPerUnit() const = 0;
  /// The layout tiles must have in shared memory.
  virtual TileLayout getTileLayout() const = 0;
  /// Prepares an A operand read once and used many times (mma.sync loads it
  /// into registers, all of K; wgmma keeps the descriptor).
  virtual MmaOperandA prepareA(KernelBuilder &b, const MmaOperandA &a) = 0;
  /// acc (+)= A B over K = `depth`, as one asynchronous group: call wait()
  /// before reading acc.
  virtual void multiply(KernelBuilder &b, AccumulatorFragment &acc,
                        const MmaOperandA &a, const MmaOperandB &bOperand,
                        int64_t depth, bool accumulate) = 0;
  /// Waits for the GEMMs issued so far and makes `fragments` valid.
  virtual void wait(KernelBuilder &b,
                    ArrayRef<AccumulatorFragment *> fragments) = 0;
  /// Waits until at most `pending` of the groups issued so far are still
  /// running (wgmma; mma.sync groups complete when issued), so that the
  /// operand tiles of the older ones may be overwritten. No fragment of a
  /// running group may be read.
  virtual void waitUntilPending(KernelBuilder &b, int64_t pending) = 0;

protected:
  TensorCoreMma(Type elementType, const SharedMemory &smem, Value laneId)
      : elementType(elementType), smem(smem), laneId(laneId) {}
  Type elementType;
  const SharedMemory &smem;
  Value laneId;
};

} // namespace mlir::celeris

#endif // CELERIS_GPU_TENSORCOREMMA_H
