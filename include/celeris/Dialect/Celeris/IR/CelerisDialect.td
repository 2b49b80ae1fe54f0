//===- CelerisDialect.td - Celeris dialect definition ------*- tablegen -*-===//
//
// The `celeris` dialect: tensor-level ops for the building blocks of efficient
// LLM architectures.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Celeris_Dialect : Dialect {
  let name = "celeris";
  let cppNamespace = "::mlir::celeris";
  let summary = "Ops for efficient LLM architectures: attention, recurrences, "
                "scans and mixture-of-experts";
  let description = [{
    Celeris models the building blocks of efficient large language model
    architectures as tensor-level ops with value semantics and precise
    semantics:

    * attention with grouped/multi-query heads, a structured mask algebra
      (`#celeris.mask`), document ids, varlen offsets, block-sparse layouts,
      kv lengths and paged KV caches;
    * block-layout builders (static, from a mask; dynamic, top-k of block
      scores);
    * the gated delta-rule family of matrix-state recurrences (linear
      attention, RetNet, Mamba-2, GLA, DeltaNet, Gated DeltaNet);
    * a first-order elementwise scan (selective scans, RG-LRU, HGRN);
    * mixture-of-experts routing, dispatch, grouped matmul and combine;
    * composites (MoE layer, NSA, Mamba-1 selective scan, MLA) that decompose
      into the primitives.

    Ops accept `f32`, `f16` and `bf16` tensors with static or dynamic
    dimensions. Recurrent states and softmax statistics are always `f32`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

/// Base class of every Celeris op.
class Celeris_Op<string mnemonic, list<Trait> traits = []>
    : Op<Celeris_Dialect, mnemonic, traits>;

/// Base class of every Celeris attribute.
class Celeris_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Celeris_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_TD
