// RUN: celeris-opt %s -test-celeris-kernel-blocks -canonicalize -cse -split-input-file | FileCheck %s

// Two stages with mbarriers: thread 0 initialises full[0..1] and
// empty[0..1] for 128 arrivals. Producing item n waits for the release of
// item n - 2 (parity (n / 2 + 1) % 2 on empty[n % 2]) and arrives on
// full[n % 2] when the thread's copies land; consuming waits for parity
// (n / 2) % 2 on full[n % 2], then fences for the async proxy; releasing
// arrives on empty[n % 2].
// CHECK-LABEL: gpu.func @mbarrier
// CHECK: scf.if
// CHECK-COUNT-4: nvvm.mbarrier.init %{{.+}}, %c128_i32
// CHECK: gpu.barrier
// CHECK: %[[STAGE:.+]] = arith.remui %arg0, %c2 : index
// CHECK: %[[ROUND:.+]] = arith.divui %arg0, %c2 : index
// CHECK: %[[NEXT:.+]] = arith.addi %[[ROUND]], %c1 : index
// CHECK: %[[FREE:.+]] = arith.remui %[[NEXT]], %c2 : index
// CHECK: %[[EMPTY:.+]] = llvm.inttoptr %{{.+}} : i32 to !llvm.ptr<3>
// CHECK: nvvm.mbarrier.try_wait.parity %[[EMPTY]], %{{.+}}, %c10000000_i32
// CHECK: %[[FULL:.+]] = llvm.inttoptr %{{.+}} : i32 to !llvm.ptr<3>
// CHECK: nvvm.cp.async.mbarrier.arrive %[[FULL]] {noinc = true}
// CHECK: arith.remui %[[ROUND]], %c2 : index
// CHECK: nvvm.mbarrier.try_wait.parity %[[FULL]]
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: nvvm.mbarrier.arrive %[[EMPTY]]
// CHECK: nvvm.cp.async.wait.group 0
gpu.module @blocks {
  gpu.func @mbarrier(%n: index) kernel attributes {celeris.test_block = "pipeline-mbarrier"} {
    gpu.return
  }
}

// -----

// CTA barriers (sm_80): one cp.async group per item; waiting for item n
// leaves stages - 2 groups in flight, then a CTA barrier.
// CHECK-LABEL: gpu.func @cta
// CHECK-NOT: nvvm.mbarrier
// CHECK: gpu.barrier
// CHECK: nvgpu.device_async_create_group
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: gpu.barrier
// CHECK-NOT: nvvm.fence.proxy
gpu.module @blocks {
  gpu.func @cta(%n: index) kernel attributes {celeris.test_block = "pipeline-cta-barrier"} {
    gpu.return
  }
}

// -----

// Released by warps: the empty barriers expect a warp's arrival (128 / 32),
// the full ones every thread's copies; lane 0 arrives after the warp
// converges.
// CHECK-LABEL: gpu.func @by_warp
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c128_i32
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c4_i32
// CHECK: gpu.barrier
// CHECK: nvvm.bar.warp.sync %c-1_i32
// CHECK: scf.if
// CHECK: nvvm.mbarrier.arrive
gpu.module @blocks {
  gpu.func @by_warp(%n: index) kernel attributes {celeris.test_block = "pipeline-release-by-warp"} {
    gpu.return
  }
}

// -----

// Fed by tensor maps: full[s] expects one arrival (the producing thread's,
// with the bytes of the item's copies), empty[s] a warp's; thread 0
// initialises them and fences so the async proxy sees them. Producing item
// n waits for the release of item n - 2, expects 8192 bytes on full[n % 2]
// and copies into it; consuming waits for parity (n / 2) % 2 and needs no
// proxy fence (TMA writes through the async proxy); nothing to drain.
// CHECK-LABEL: gpu.func @tensor_maps
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c1_i32
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c4_i32
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: %[[EMPTY:.+]] = llvm.inttoptr %{{.+}} : i32 to !llvm.ptr<3>
// CHECK: nvvm.mbarrier.try_wait.parity %[[EMPTY]]
// CHECK: %[[FULL:.+]] = llvm.inttoptr %{{.+}} : i32 to !llvm.ptr<3>
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[FULL]], %c8192_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %arg1, %[[FULL]], box[
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NOT: nvvm.fence.proxy
// CHECK: nvvm.mbarrier.arrive
// CHECK-NOT: nvvm.cp.async.wait.group
gpu.module @blocks {
  gpu.func @tensor_maps(%n: index, %map: !llvm.ptr) kernel attributes {celeris.test_block = "pipeline-tensor-maps"} {
    gpu.return
  }
}

// -----

// Gathered and fed by tensor maps: full[s] expects the 32 copying threads'
// cp.async arrivals and one with the bytes of the TMA copies; a copying
// thread reads its rows' tokens once, before the item (one a pass, 16
// passes of 4 rows), waits for the release of item n - 2, and the first
// of them expects 8192 bytes and copies by TMA before all copy their rows
// with cp.async and arrive as they land. Consumers wait, then fence for
// wgmma (cp.async writes through the generic proxy).
// CHECK-LABEL: gpu.func @copies_and_tensor_maps
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c33_i32
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.+}}, %c4_i32
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: gpu.barrier
// CHECK-COUNT-16: memref.load %arg3
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: scf.if
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.+}}, %c8192_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %arg1,
// CHECK-COUNT-16: nvgpu.device_async_copy %arg2
// CHECK: nvvm.cp.async.mbarrier.arrive %{{.+}} {noinc = true}
// CHECK: scf.if
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>
gpu.module @blocks {
  gpu.func @copies_and_tensor_maps(%n: index, %map: !llvm.ptr, %rows: memref<?x64xbf16>,
                                   %tokens: memref<64xi32>) kernel
      attributes {celeris.test_block = "pipeline-copies-and-tensor-maps"} {
    gpu.return
  }
}
