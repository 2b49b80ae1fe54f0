// RUN: celeris-opt %s -celeris-tile-attention="q-tile=16 kv-tile=32" -split-input-file | FileCheck %s

// GQA (8 query heads over 2 KV heads), causal, bf16, lengths that are not
// multiples of the tiles: a forall over (batch, head, query tile), a loop
// over KV tiles carrying the row max, row sum and accumulator, a run-time
// skip of empty tiles, and mask math only in the partial branch.

// CHECK-DAG:   #[[QK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @gqa_causal
// CHECK-SAME:    %[[Q:[^:]+]]: tensor<2x8x40x32xbf16>, %[[K:[^:]+]]: tensor<2x2x72x32xbf16>
// CHECK:       scf.forall (%[[B:.+]], %[[H:.+]], %[[T:.+]]) in (2, 8, 3) shared_outs
// CHECK-DAG:     %[[G:.+]] = arith.divui %[[H]], %{{.+}} : index
// CHECK-DAG:     %[[ROWS:.+]] = arith.minsi
// CHECK:         tensor.extract_slice %[[Q]][%[[B]], %[[H]], %{{.+}}, 0] [1, 1, %[[ROWS]], 32] [1, 1, 1, 1] : tensor<2x8x40x32xbf16> to tensor<?x32xbf16>
// CHECK:         %[[M0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?xf32>)
// CHECK:         %[[L0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?xf32>)
// CHECK:         %[[A0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x32xf32>)
// CHECK:         %[[R:.+]]:3 = scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[M:.+]] = %[[M0]], %[[L:.+]] = %[[L0]], %[[A:.+]] = %[[A0]])
// The tile is empty when its first key follows its last query position,
// full when its last key precedes its first query position.
// CHECK:           %[[EMPTY:.+]] = arith.cmpi sgt, %[[J0]],
// CHECK:           %[[FULL:.+]] = arith.cmpi sle,
// CHECK:           %[[NEXT:.+]]:3 = scf.if %[[EMPTY]]
// CHECK-NEXT:        scf.yield %[[M]], %[[L]], %[[A]]
// CHECK-NEXT:      } else {
// CHECK:             tensor.extract_slice %[[K]][%[[B]], %[[G]], %[[J0]], 0]
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:               arith.extf
// CHECK:             %[[S:.+]] = scf.if %[[FULL]] -> (tensor<?x?xf32>) {
// CHECK-NOT:           linalg.index
// CHECK:               arith.mulf
// CHECK-NOT:           linalg.index
// CHECK:             } else {
// CHECK:               linalg.index 0
// CHECK:               linalg.index 1
// CHECK:               arith.cmpi sle
// CHECK:               arith.select
// CHECK:             }
// CHECK:             arith.maximumf
// CHECK:             math.exp
// CHECK:             math.exp
// CHECK:             scf.yield
// CHECK:           scf.yield %[[NEXT]]#0, %[[NEXT]]#1, %[[NEXT]]#2
// CHECK:         arith.divf
// CHECK:         arith.truncf
// CHECK:         math.log
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:   celeris.attention
func.func @gqa_causal(%q: tensor<2x8x40x32xbf16>, %k: tensor<2x2x72x32xbf16>, %v: tensor<2x2x72x32xbf16>)
    -> (tensor<2x8x40x32xbf16>, tensor<2x8x40xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x8x40x32xbf16>, tensor<2x2x72x32xbf16>, tensor<2x2x72x32xbf16>
      -> tensor<2x8x40x32xbf16>, tensor<2x8x40xf32>
  return %o, %lse : tensor<2x8x40x32xbf16>, tensor<2x8x40xf32>
}

// -----

// Static causal, one tile each way, on the diagonal: the classification
// folds to Partial, so there is no loop and no scf.if, only the masked path.

// CHECK-LABEL: func @static_diagonal
// CHECK:       scf.forall
// CHECK-NOT:     scf.for
// CHECK-NOT:     scf.if
// CHECK:         linalg.index 0
// CHECK:         arith.cmpi sle
// CHECK-NOT:     scf.if
// CHECK:         scf.forall.in_parallel
func.func @static_diagonal(%q: tensor<1x2x16x32xf32>, %k: tensor<1x2x16x32xf32>, %v: tensor<1x2x16x32xf32>)
    -> tensor<1x2x16x32xf32> {
  %o = celeris.attention %q, %k, %v mask <causal>
      : tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>
      -> tensor<1x2x16x32xf32>
  return %o : tensor<1x2x16x32xf32>
}

// -----

// Static decode (Sq = 1, default offset Sk - 1 = 31): the single tile folds
// to Full, so no mask math is emitted.

// CHECK-LABEL: func @static_decode
// CHECK:       scf.forall
// CHECK-NOT:     scf.if
// CHECK-NOT:     linalg.index
// CHECK-NOT:     arith.cmpi
// CHECK:         math.exp
// CHECK-NOT:     linalg.index
// CHECK:         scf.forall.in_parallel
func.func @static_decode(%q: tensor<1x4x1x32xf32>, %k: tensor<1x4x32x32xf32>, %v: tensor<1x4x32x32xf32>)
    -> tensor<1x4x1x32xf32> {
  %o = celeris.attention %q, %k, %v mask <causal>
      : tensor<1x4x1x32xf32>, tensor<1x4x32x32xf32>, tensor<1x4x32x32xf32>
      -> tensor<1x4x1x32xf32>
  return %o : tensor<1x4x1x32xf32>
}

// -----

// Every query before every key (query_offset -100): the tile folds to
// Empty, no score is computed and the output is the normalised zero state.

// CHECK-LABEL: func @static_empty
// CHECK:       scf.forall
// CHECK-NOT:     arith.mulf
// CHECK-NOT:     math.exp
// CHECK:         arith.divf
// CHECK:         math.log
func.func @static_empty(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>)
    -> (tensor<1x1x8x16xf32>, tensor<1x1x8xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal> query_offset -100
      : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>
      -> tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
  return %o, %lse : tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
}

// -----

// Dynamic lengths: tile counts, tile sizes and the default offset are
// computed at run time.

// CHECK-LABEL: func @dynamic_lengths
// CHECK-DAG:   %[[SQ:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x4x?x32xf32>
// CHECK-DAG:   %[[SK:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x4x?x32xf32>
// CHECK:       %[[NT:.+]] = arith.ceildivsi %[[SQ]]
// CHECK:       scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (1, 4, %[[NT]])
// CHECK:         scf.for
// CHECK:           scf.if
func.func @dynamic_lengths(%q: tensor<1x4x?x32xf32>, %k: tensor<1x4x?x32xf32>, %v: tensor<1x4x?x32xf32>)
    -> tensor<1x4x?x32xf32> {
  %o = celeris.attention %q, %k, %v mask <window<left = 64, right = 0>>
      : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>
      -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}

// -----

// Forms the reference lowering does not handle are left untouched.

// CHECK-LABEL: func @kv_lengths_untouched
// CHECK:       celeris.attention
// CHECK-NOT:   scf.forall
func.func @kv_lengths_untouched(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x4x16x32xbf16>, %l: tensor<2xi32>)
    -> tensor<2x8x16x32xbf16> {
  %o = celeris.attention %q, %k, %k kv_lengths(%l : tensor<2xi32>) mask <causal>
      : tensor<2x8x16x32xbf16>, tensor<2x4x16x32xbf16>, tensor<2x4x16x32xbf16>
      -> tensor<2x8x16x32xbf16>
  return %o : tensor<2x8x16x32xbf16>
}

// -----

// The key/value loop covers only the mask's key range for the query tile:
// a causal sliding window starts at the window's left edge, rounded down to
// a tile boundary, and stops at the diagonal.
// CHECK-LABEL: func @window_key_range
// CHECK:       scf.forall
// CHECK:         %[[LO:.+]] = arith.subi %[[P:.+]], %c255
// CHECK:         %[[CLAMPED:.+]] = arith.maxsi %[[LO]], %c0
// CHECK:         %[[BEGIN:.+]] = arith.minsi %[[CLAMPED]], %[[SK:.+]] : index
// CHECK:         %[[END:.+]] = arith.maxsi %[[BEGIN]], %{{.*}} : index
// CHECK:         %[[TILE:.+]] = arith.divui %[[BEGIN]], %c32
// CHECK:         %[[ALIGNED:.+]] = arith.muli %[[TILE]], %c32
// CHECK:         scf.for %{{.*}} = %[[ALIGNED]] to %[[END]] step %c32
func.func @window_key_range(%q: tensor<1x2x?x64xf32>, %k: tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32> {
  %o = celeris.attention %q, %k, %k mask <window<left = 255, right = 0>>
      : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}
