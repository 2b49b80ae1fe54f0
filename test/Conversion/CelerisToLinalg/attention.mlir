// RUN: celeris-opt %s -convert-celeris-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// GQA (8 query heads over 2 KV heads) with a causal mask and lse: scores,
// mask from linalg.index, row max, guarded exponentials, row sum, weighted
// values, normalisation, lse.

// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func @gqa_causal
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<2x8x16x32xbf16>, tensor<2x2x24x32xbf16>)
// CHECK:         arith.extf
// CHECK:       linalg.generic
// CHECK:         linalg.index 2
// CHECK:         linalg.index 3
// CHECK:         arith.cmpi sle
// CHECK:         arith.select
// CHECK:       arith.maximumf
// CHECK:       math.exp
// CHECK:       linalg.generic
// CHECK:         arith.addf
// CHECK:       linalg.generic
// CHECK:       linalg.generic
// CHECK:         arith.divf
// CHECK:         arith.truncf
// CHECK:       linalg.generic
// CHECK:         math.log
// CHECK-NOT:   celeris.attention
func.func @gqa_causal(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x2x24x32xbf16>, %v: tensor<2x2x24x32xbf16>)
    -> (tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x8x16x32xbf16>, tensor<2x2x24x32xbf16>, tensor<2x2x24x32xbf16>
      -> tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>
  return %o, %lse : tensor<2x8x16x32xbf16>, tensor<2x8x16xf32>
}

// -----

// Dynamic sequence lengths: the default query offset Sk - Sq is computed
// from tensor.dim; an unmasked op evaluates no predicate.
// CHECK-LABEL: func @dynamic
// CHECK:       tensor.dim
// CHECK:       arith.subi
// CHECK:       arith.floordivsi
// CHECK-LABEL: func @unmasked
// CHECK-NOT:   linalg.index
func.func @dynamic(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %o = celeris.attention %q, %k, %k mask <intersect(causal, chunked<128>)>
      : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32> -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}
func.func @unmasked(%q: tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32> {
  %o = celeris.attention %q, %q, %q : tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32> -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// -----

// ALiBi: slope[h] (read through (d1)) times the key-minus-query distance,
// added after scaling and before the mask select.
// CHECK-DAG: #[[HEAD:.+]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @alibi
// CHECK-SAME:    (%{{.*}}: tensor<1x4x8x32xf32>, %[[SLOPES:.+]]: tensor<4xf32>)
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[HEAD]], #{{.+}}]
// CHECK-SAME:    ins(%{{.*}}, %[[SLOPES]] : tensor<1x4x8x8xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[S:.+]]: f32, %[[SLOPE:.+]]: f32, %{{.*}}: f32):
// CHECK:         [[SCALED:%.+]] = arith.mulf %[[S]]
// CHECK:         [[I:%.+]] = linalg.index 2
// CHECK:         [[J:%.+]] = linalg.index 3
// CHECK:         [[DIST:%.+]] = arith.subi [[J]], [[I]]
// CHECK:         [[DISTI:%.+]] = arith.index_cast [[DIST]] : index to i64
// CHECK:         [[DISTF:%.+]] = arith.sitofp [[DISTI]] : i64 to f32
// CHECK:         [[BIAS:%.+]] = arith.mulf %[[SLOPE]], [[DISTF]]
// CHECK:         [[BIASED:%.+]] = arith.addf [[SCALED]], [[BIAS]]
// CHECK:         [[CAUSAL:%.+]] = arith.cmpi sle, [[J]], [[I]]
// CHECK:         arith.select [[CAUSAL]], [[BIASED]]
func.func @alibi(%q: tensor<1x4x8x32xf32>, %s: tensor<4xf32>) -> tensor<1x4x8x32xf32> {
  %o = celeris.attention %q, %q, %q alibi(%s : tensor<4xf32>) mask <causal>
      : tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32> -> tensor<1x4x8x32xf32>
  return %o : tensor<1x4x8x32xf32>
}

// -----

// Segment ids: q_ids through (d0, d2), kv_ids through (d0, d3), compared
// for equality.
// CHECK-DAG: #[[QROW:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-DAG: #[[KROW:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-LABEL: func @segment_ids
// CHECK-SAME:    (%{{.*}}: tensor<1x4x8x64xf32>, %[[QIDS:.+]]: tensor<1x8xi32>, %[[KVIDS:.+]]: tensor<1x8xi32>)
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[QROW]], #[[KROW]], #{{.+}}]
// CHECK-SAME:    ins(%{{.*}}, %[[QIDS]], %[[KVIDS]] :
// CHECK:       ^bb0(%{{.*}}: f32, %[[QID:.+]]: i32, %[[KVID:.+]]: i32, %{{.*}}: f32):
// CHECK:         [[SAME:%.+]] = arith.cmpi eq, %[[QID]], %[[KVID]] : i32
// CHECK:         arith.select [[SAME]]
func.func @segment_ids(%q: tensor<1x4x8x64xf32>, %qids: tensor<1x8xi32>, %kvids: tensor<1x8xi32>) -> tensor<1x4x8x64xf32> {
  %o = celeris.attention %q, %q, %q segment_ids(%qids, %kvids : tensor<1x8xi32>, tensor<1x8xi32>)
      : tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32> -> tensor<1x4x8x64xf32>
  return %o : tensor<1x4x8x64xf32>
}

// -----

// Varlen: per query row and per key, the count of sequence starts at or
// before it, then the position local to its sequence (offset len_kv -
// len_q read from both offset tensors); the mask sees the local positions,
// and the pair must share a sequence that exists (1 <= count <= 3).
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2, d3) -> (d2)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func @varlen
// CHECK-SAME:    %[[CUQ:[^:]+]]: tensor<4xi32>, %[[CUKV:[^:]+]]: tensor<4xi32>)
// CHECK-DAG:   %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:   %[[C3:.+]] = arith.constant 3 : index
// CHECK:       [[QCOUNT:%.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-SAME:    ins(%[[CUQ]] : tensor<4xi32>) outs(%{{.*}} : tensor<12xindex>)
// CHECK:         arith.cmpi sle
// CHECK:       [[KCOUNT:%.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-SAME:    ins(%[[CUKV]] : tensor<4xi32>) outs(%{{.*}} : tensor<16xindex>)
// CHECK:       [[QPOS:%.+]] = linalg.generic {{.*}}ins([[QCOUNT]] : tensor<12xindex>)
// CHECK:         tensor.extract %[[CUQ]]
// CHECK:         tensor.extract %[[CUKV]]
// CHECK:       [[KPOS:%.+]] = linalg.generic {{.*}}ins([[KCOUNT]] : tensor<16xindex>)
// CHECK:         tensor.extract %[[CUKV]]
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[ROW]], #[[COL]], #[[ROW]], #[[COL]], #{{.+}}]
// CHECK-SAME:    ins(%{{.*}}, [[QCOUNT]], [[KCOUNT]], [[QPOS]], [[KPOS]] :
// CHECK:       ^bb0(%{{.*}}: f32, %[[QC:.+]]: index, %[[KC:.+]]: index, %[[P:.+]]: index, %[[J:.+]]: index, %{{.*}}: f32):
// CHECK:         arith.cmpi sle, %[[J]], %[[P]]
// CHECK:         arith.cmpi eq, %[[QC]], %[[KC]]
// CHECK:         arith.cmpi sge, %[[QC]], %[[C1]]
// CHECK:         arith.cmpi sle, %[[QC]], %[[C3]]
// CHECK:         arith.select
func.func @varlen(%q: tensor<1x2x12x32xf32>, %k: tensor<1x2x16x32xf32>, %cq: tensor<4xi32>, %ck: tensor<4xi32>) -> tensor<1x2x12x32xf32> {
  %o = celeris.attention %q, %k, %k varlen(%cq, %ck : tensor<4xi32>, tensor<4xi32>) mask <causal>
      : tensor<1x2x12x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32> -> tensor<1x2x12x32xf32>
  return %o : tensor<1x2x12x32xf32>
}

// -----

// Block layout with a broadcast batch: the listed-block tensor is an OR
// over the slots below the count, at the layout's shape [1, 4, NQB, NKB];
// the score generic reads it with batch 0 and the block of i and of j.
// CHECK-DAG: #[[LISTED:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d2 floordiv 4, d3 floordiv 8)>
// CHECK-LABEL: func @block_layout
// CHECK-SAME:    %[[COUNTS:[^:]+]]: tensor<1x4x4xi32>, %[[INDICES:[^:]+]]: tensor<1x4x4x3xi32>)
// CHECK:       [[LIST:%.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[COUNTS]], %[[INDICES]] : tensor<1x4x4xi32>, tensor<1x4x4x3xi32>) outs(%{{.*}} : tensor<1x4x4x4xi8>)
// CHECK:       ^bb0(%[[COUNT:.+]]: i32, %[[ENTRY:.+]]: i32, %[[ACC:.+]]: i8):
// CHECK-DAG:     [[KB:%.+]] = linalg.index 3
// CHECK-DAG:     [[SLOT:%.+]] = linalg.index 4
// CHECK-DAG:     [[ENTRYI:%.+]] = arith.index_cast %[[ENTRY]]
// CHECK-DAG:     [[COUNTI:%.+]] = arith.index_cast %[[COUNT]]
// CHECK-DAG:     arith.cmpi eq, [[ENTRYI]], [[KB]]
// CHECK-DAG:     arith.cmpi slt, [[SLOT]], [[COUNTI]]
// CHECK:         arith.ori %[[ACC]]
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[LISTED]], #{{.+}}]
// CHECK-SAME:    ins(%{{.*}}, [[LIST]] : tensor<2x4x16x32xf32>, tensor<1x4x4x4xi8>)
// CHECK:         arith.cmpi ne
// CHECK:         arith.select
func.func @block_layout(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x32x32xf32>, %c: tensor<1x4x4xi32>, %i: tensor<1x4x4x3xi32>) -> tensor<2x4x16x32xf32> {
  %o = celeris.attention %q, %k, %k block_layout(%c, %i : tensor<1x4x4xi32>, tensor<1x4x4x3xi32>) block_size [4, 8]
      : tensor<2x4x16x32xf32>, tensor<2x4x32x32xf32>, tensor<2x4x32x32xf32> -> tensor<2x4x16x32xf32>
  return %o : tensor<2x4x16x32xf32>
}

// -----

// Dynamic layout batch/head dims: whether they broadcast is decided at run
// time, by a gather of the listed tensor to [B, Hq, NQB, NKB].
// CHECK-LABEL: func @block_layout_dynamic
// CHECK:       [[LIST:%.+]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x4x4xi8>)
// CHECK:       [[FULL:%.+]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<2x4x4x4xi8>)
// CHECK:         arith.cmpi eq
// CHECK:         arith.select
// CHECK:         tensor.extract [[LIST]]
// CHECK:       linalg.generic {{.*}}ins(%{{.*}}, [[FULL]] : tensor<2x4x16x32xf32>, tensor<2x4x4x4xi8>)
func.func @block_layout_dynamic(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x32x32xf32>, %c: tensor<?x?x4xi32>, %i: tensor<?x?x4x3xi32>) -> tensor<2x4x16x32xf32> {
  %o = celeris.attention %q, %k, %k block_layout(%c, %i : tensor<?x?x4xi32>, tensor<?x?x4x3xi32>) block_size [4, 8]
      : tensor<2x4x16x32xf32>, tensor<2x4x32x32xf32>, tensor<2x4x32x32xf32> -> tensor<2x4x16x32xf32>
  return %o : tensor<2x4x16x32xf32>
}

// -----

// kv_lengths: lens[b] through (d0) bounds the key index and sets the
// default query offset lens[b] - Sq.
// CHECK-DAG: #[[BATCH:.+]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-LABEL: func @kv_lengths
// CHECK-SAME:    %[[LENS:[^:]+]]: tensor<2xi32>)
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[BATCH]], #{{.+}}]
// CHECK-SAME:    ins(%{{.*}}, %[[LENS]] : tensor<2x4x4x64xf32>, tensor<2xi32>)
// CHECK:       ^bb0(%{{.*}}: f32, %[[LEN:.+]]: i32, %{{.*}}: f32):
// CHECK:         [[I:%.+]] = linalg.index 2
// CHECK:         [[LENI:%.+]] = arith.index_cast %[[LEN]]
// CHECK:         [[OFFSET:%.+]] = arith.subi [[LENI]], %{{.+}}
// CHECK:         [[P:%.+]] = arith.addi [[I]], [[OFFSET]]
// CHECK:         [[J:%.+]] = linalg.index 3
// CHECK:         [[CAUSAL:%.+]] = arith.cmpi sle, [[J]], [[P]]
// CHECK:         [[INCACHE:%.+]] = arith.cmpi slt, [[J]], %{{.+}}
// CHECK:         [[BOTH:%.+]] = arith.andi [[CAUSAL]], [[INCACHE]]
// CHECK:         arith.select [[BOTH]]
func.func @kv_lengths(%q: tensor<2x4x4x32xf32>, %k: tensor<2x4x64x32xf32>, %l: tensor<2xi32>) -> tensor<2x4x4x32xf32> {
  %o = celeris.attention %q, %k, %k kv_lengths(%l : tensor<2xi32>) mask <causal>
      : tensor<2x4x4x32xf32>, tensor<2x4x64x32xf32>, tensor<2x4x64x32xf32> -> tensor<2x4x4x32xf32>
  return %o : tensor<2x4x4x32xf32>
}

// -----

// Page table: K and V are gathered from the page pools into dense
// [B, Hkv, pages * page_size, D] tensors (page table[b, j / 16], row
// j mod 16, the page clamped into the pool), then attended with GQA.
// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func @paged
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<2x8x1x64xbf16>, %[[POOL:[^:]+]]: tensor<9x2x16x64xbf16>, %{{[^:]+}}: tensor<2xi32>, %[[TABLE:[^:]+]]: tensor<2x4xi32>)
// CHECK-DAG:   %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG:   %[[LAST:.+]] = arith.constant 8 : index
// CHECK:       [[K:%.+]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<2x2x64x64xbf16>)
// CHECK-DAG:     [[B:%.+]] = linalg.index 0
// CHECK-DAG:     [[H:%.+]] = linalg.index 1
// CHECK-DAG:     [[J:%.+]] = linalg.index 2
// CHECK-DAG:     [[D:%.+]] = linalg.index 3
// CHECK:         [[SLOT:%.+]] = arith.divui [[J]], %[[C16]]
// CHECK:         [[ROW:%.+]] = arith.remui [[J]], %[[C16]]
// CHECK:         [[ENTRY:%.+]] = tensor.extract %[[TABLE]][[[B]], [[SLOT]]]
// CHECK:         [[PAGE:%.+]] = arith.index_cast [[ENTRY]]
// CHECK:         [[LO:%.+]] = arith.maxsi [[PAGE]]
// CHECK:         [[CLAMPED:%.+]] = arith.minsi [[LO]], %[[LAST]]
// CHECK:         tensor.extract %[[POOL]][[[CLAMPED]], [[H]], [[ROW]], [[D]]]
// CHECK:       [[V:%.+]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<2x2x64x64xbf16>)
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[KV]], #{{.+}}]
// CHECK-SAME:    ins(%[[Q]], [[K]] : tensor<2x8x1x64xbf16>, tensor<2x2x64x64xbf16>)
// CHECK:       linalg.generic
// CHECK:         arith.cmpi slt
// CHECK:       linalg.generic {{.*}}ins(%{{.*}}, [[V]] : tensor<2x8x1x64xf32>, tensor<2x2x64x64xbf16>)
func.func @paged(%q: tensor<2x8x1x64xbf16>, %k: tensor<9x2x16x64xbf16>, %l: tensor<2xi32>, %t: tensor<2x4xi32>) -> tensor<2x8x1x64xbf16> {
  %o = celeris.attention %q, %k, %k kv_lengths(%l : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      : tensor<2x8x1x64xbf16>, tensor<9x2x16x64xbf16>, tensor<9x2x16x64xbf16> -> tensor<2x8x1x64xbf16>
  return %o : tensor<2x8x1x64xbf16>
}

// -----

// Dynamic head counts: the group Hq / Hkv is a runtime value, so K and V are
// gathered to one head per query head and attended with group 1.
// CHECK-DAG: #[[SAMEHEAD:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-LABEL: func @dynamic_heads
// CHECK-SAME:    (%[[Q:[^:]+]]: tensor<1x?x8x64xf32>, %[[K:[^:]+]]: tensor<1x?x8x64xf32>)
// CHECK-DAG:   [[HQ:%.+]] = tensor.dim %[[Q]], %{{.+}}
// CHECK-DAG:   [[HKV:%.+]] = tensor.dim %[[K]], %{{.+}}
// CHECK:       [[GROUP:%.+]] = arith.divui [[HQ]], [[HKV]]
// CHECK:       [[KG:%.+]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<1x?x8x64xf32>)
// CHECK:         [[H:%.+]] = linalg.index 1
// CHECK:         [[G:%.+]] = arith.divui [[H]], [[GROUP]]
// CHECK:         tensor.extract %[[K]][%{{.+}}, [[G]], %{{.+}}, %{{.+}}]
// CHECK:       linalg.generic {indexing_maps = [#{{.+}}, #[[SAMEHEAD]], #{{.+}}]
// CHECK-SAME:    ins(%[[Q]], [[KG]] :
func.func @dynamic_heads(%q: tensor<1x?x8x64xf32>, %k: tensor<1x?x8x64xf32>) -> tensor<1x?x8x64xf32> {
  %o = celeris.attention %q, %k, %k : tensor<1x?x8x64xf32>, tensor<1x?x8x64xf32>, tensor<1x?x8x64xf32> -> tensor<1x?x8x64xf32>
  return %o : tensor<1x?x8x64xf32>
}

// -----

// A leftover op is reported: celeris.moe decomposes only with a static
// number of experts (celeris.dispatch takes it as an attribute).
func.func @moe_dynamic_experts(%x: tensor<4x16xf32>, %r: tensor<16x?xf32>, %wg: tensor<?x16x32xf32>,
                               %wd: tensor<?x32x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'celeris.moe' op cannot be lowered by convert-celeris-to-linalg: it has no reference lowering yet}}
  %o = celeris.moe %x, %r, %wg, %wg, %wd k 2
      : tensor<4x16xf32>, tensor<16x?xf32>, tensor<?x16x32xf32>, tensor<?x16x32xf32>,
        tensor<?x32x16xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
