// RUN: celeris-opt %s -celeris-select-gpu-schedule -convert-celeris-to-gpu -canonicalize -cse -split-input-file | FileCheck %s

// Every mask primitive and combinator lowers through the same prefill
// kernel: its parameters reach the key ranges, the tile classification and
// the per-element predicate (MaskBuilder), never new kernel code.

// CHECK-LABEL: gpu.func @window(
// CHECK-DAG: arith.constant 37 : index
// CHECK-DAG: arith.constant 5 : index
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @window(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <window<left = 37, right = 5>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @sink(
// CHECK-DAG: arith.constant 3 : index
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @sink(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <sink<3>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @dilated(
// CHECK-DAG: arith.floordivsi %{{.+}}, %c48
// CHECK-DAG: arith.constant 48 : index
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @dilated(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <dilated<rate = 2, segment = 48>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @strided(
// CHECK-DAG: arith.floordivsi %{{.+}}, %c6
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @strided(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <strided<6>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @block_causal(
// CHECK-DAG: arith.floordivsi %{{.+}}, %c24
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @block_causal(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <block_causal<24>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @prefix(
// CHECK-DAG: arith.constant 11 : index
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @prefix(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <prefix<11>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @chunked(
// CHECK-DAG: arith.floordivsi %{{.+}}, %c40
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @chunked(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <chunked<40>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @global(
// CHECK-DAG: arith.cmpi eq, %{{.+}}, %c9
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @global(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <global<[0, 9]>> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @union(
// CHECK-DAG: arith.constant 3 : index
// CHECK-DAG: arith.constant 37 : index
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @union(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <union(sink<3>, window<left = 37, right = 0>)> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// CHECK-LABEL: gpu.func @intersect(
// CHECK-DAG: arith.floordivsi %{{.+}}, %c40
// CHECK-DAG: nvvm.wgmma.mma_async
func.func @intersect(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %o = celeris.attention %q, %k, %v mask <intersect(causal, chunked<40>)> : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}
