//===- TilePipeline.h - N-stage shared-memory pipeline ----------*- C++ -*-===//
//
// A ring of `stages` shared-memory buffers that the threads of a CTA fill
// with cp.async and then read. Item n (the n-th tile a loop visits) lives in
// stage n % stages; the loop produces item n + stages - 1 while it consumes
// item n.
//
// Two ways to synchronise:
//  - MBarrier (sm_90): per stage a full and an empty mbarrier, each
//    expecting every thread. A thread's copies arrive on full[s] when they
//    land (cp.async.mbarrier.arrive.noinc); a thread arrives on empty[s]
//    when it finished reading. No CTA-wide barrier in the loop, so warps and
//    warpgroups drift apart and one's arithmetic overlaps another's loads and
//    tensor-core work. The copies are generic-proxy writes that wgmma reads
//    through the async proxy: consumers fence after observing full[s].
//  - TensorMemoryAccess (sm_90): full[s] expects one arrival, that of the
//    thread that starts the item's TMA copies (produceByTensorMaps), and the
//    bytes they write; empty[s] as with MBarrier. The copies write through
//    the async proxy, which wgmma reads: no fence.
//  - CopiesAndTensorMaps (sm_90): an item is part gathered by cp.async,
//    part copied by TMA: full[s] expects the cp.async arrivals of the
//    `copyingThreads` threads that gather and the one arrival, with the
//    bytes, of the thread among them that starts the TMA copies
//    (produceWithTensorMaps). Consumers fence as with MBarrier.
//  - CtaBarrier (sm_80): cp.async groups, waited with cp.async.wait_group,
//    then a CTA barrier; the barrier also certifies that every thread is done
//    with the stage the next load overwrites.
//
// Phases: item n completes full[n % stages] for the (n / stages)-th time,
// so consumers wait for parity (n / stages) % 2; its producer waits for the
// release of item n - stages, parity (n / stages + 1) % 2, which for
// n < stages is the parity before the first phase and passes at once.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_TILEPIPELINE_H
#define CELERIS_GPU_TILEPIPELINE_H

#include "celeris/GPU/SharedTile.h"

namespace mlir::celeris {

enum class PipelineSync {
  MBarrier,
  TensorMemoryAccess,
  CopiesAndTensorMaps,
  CtaBarrier
};

class TilePipeline {
public:
  /// `barrierBytes` is the byte offset in `smem` of 16 * stages bytes for
  /// the mbarriers (unused with CtaBarrier). With `releaseByWarp`, one lane
  /// of each warp marks an item read for the warp (releaseByWarp), so the
  /// empty barriers take a 32nd of the arrivals. `copyingThreads` is the
  /// number of threads that gather each item of a CopiesAndTensorMaps
  /// pipeline.
  TilePipeline(const SharedMemory &smem, PipelineSync sync, int64_t stages,
               int64_t threads, int64_t barrierBytes,
               bool releaseByWarp = false, int64_t copyingThreads = 0);

  /// Bytes of shared memory the mbarriers take.
  static int64_t getBarrierBytes(int64_t stages) { return 16 * stages; }

  /// Initialises the barriers (thread 0) and makes that visible to the CTA.
  void initialize(KernelBuilder &b, Value threadId);
  /// The stage of item `n` (index).
  Value stageOf(KernelBuilder &b, Value n) const;
  /// Produces item `n`: waits until its stage is free, runs `issue(stage)`,
  /// which starts the cp.async copies of this thread and returns their
  /// tokens, and commits them to the item.
  void produce(KernelBuilder &b, Value n,
               function_ref<SmallVector<Value>(Value stage)> issue);
  /// Produces item `n` with TMA copies, on one thread: waits until its
  /// stage is free, expects `bytes` on full[stage] and runs `issue(stage,
  /// full)`, which starts copies of `bytes` in all completing on `full`.
  void produceByTensorMaps(KernelBuilder &b, Value n, int64_t bytes,
                           function_ref<void(Value stage, Value full)> issue);
  /// Produces item `n` of a CopiesAndTensorMaps pipeline; every copying
  /// thread calls it. Each waits until the stage is free and runs
  /// `copy(stage)`, which starts its cp.async copies; the thread where
  /// `startsTensorMaps` holds first expects `bytes` on full[stage] and runs
  /// `issue(stage, full)`, which starts TMA copies of `bytes` in all.
  void produceWithTensorMaps(KernelBuilder &b, Value n, int64_t bytes,
                             Value startsTensorMaps,
                             function_ref<SmallVector<Value>(Value stage)> copy,
                             function_ref<void(Value stage, Value full)> issue);
  /// Waits until item `n` landed and is visible to this thread (and, with
  /// `forTensorCores`, to wgmma's async proxy).
  void waitFull(KernelBuilder &b, Value n, bool forTensorCores);
  /// Marks item `n` read by this thread.
  void release(KernelBuilder &b, Value n);
  /// Marks item `n` read by this warp (a pipeline built with releaseByWarp;
  /// every lane of the warp calls it, `laneId` is its lane).
  void releaseByWarp(KernelBuilder &b, Value n, Value laneId);
  /// Waits for every copy of this thread: none may write shared memory
  /// after the kernel exits.
  void drain(KernelBuilder &b);

  int64_t getStages() const { return stages; }

private:
  Value barrier(KernelBuilder &b, int64_t kind, Value stage) const;
  void waitParity(KernelBuilder &b, Value barrier, Value parity);
  void waitFree(KernelBuilder &b, Value n, Value stage);
  /// Arrives on full[stage] expecting `bytes` of TMA copies, then runs
  /// `issue(stage, full)`, which starts them.
  void issueTensorMaps(KernelBuilder &b, Value stage, int64_t bytes,
                       function_ref<void(Value stage, Value full)> issue);

  const SharedMemory &smem;
  PipelineSync sync;
  int64_t stages, threads, barrierBytes;
  bool byWarp;
  int64_t copyingThreads;
};

} // namespace mlir::celeris

#endif // CELERIS_GPU_TILEPIPELINE_H
