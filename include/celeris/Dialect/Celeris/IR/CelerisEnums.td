//===- CelerisEnums.td - Celeris enum attributes -----------*- tablegen -*-===//
//
// Enumerations used by Celeris ops and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISENUMS_TD
#define CELERIS_DIALECT_CELERIS_IR_CELERISENUMS_TD

include "celeris/Dialect/Celeris/IR/CelerisDialect.td"
include "mlir/IR/EnumAttr.td"

/// The node kinds of the mask algebra.
def Celeris_MaskKind : I32EnumAttr<"MaskKind", "kind of a mask node", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"All", 1, "all">,
    I32EnumAttrCase<"Causal", 2, "causal">,
    I32EnumAttrCase<"Window", 3, "window">,
    I32EnumAttrCase<"Sink", 4, "sink">,
    I32EnumAttrCase<"Dilated", 5, "dilated">,
    I32EnumAttrCase<"Strided", 6, "strided">,
    I32EnumAttrCase<"BlockCausal", 7, "block_causal">,
    I32EnumAttrCase<"Prefix", 8, "prefix">,
    I32EnumAttrCase<"Chunked", 9, "chunked">,
    I32EnumAttrCase<"Global", 10, "global">,
    I32EnumAttrCase<"Union", 11, "union">,
    I32EnumAttrCase<"Intersect", 12, "intersect">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}

def Celeris_DecayKind : I32EnumAttr<"DecayKind", "decay of a recurrence", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Head", 1, "head">,
    I32EnumAttrCase<"Scalar", 2, "scalar">,
    I32EnumAttrCase<"Vector", 3, "vector">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}
def Celeris_DecayKindAttr : EnumAttr<Celeris_Dialect, Celeris_DecayKind, "decay">;

def Celeris_UpdateKind : I32EnumAttr<"UpdateKind", "state update of a recurrence", [
    I32EnumAttrCase<"Additive", 0, "additive">,
    I32EnumAttrCase<"Delta", 1, "delta">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}
def Celeris_UpdateKindAttr : EnumAttr<Celeris_Dialect, Celeris_UpdateKind, "update">;

def Celeris_ScoreFunc : I32EnumAttr<"ScoreFunc", "router score function", [
    I32EnumAttrCase<"Softmax", 0, "softmax">,
    I32EnumAttrCase<"Sigmoid", 1, "sigmoid">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}
def Celeris_ScoreFuncAttr : EnumAttr<Celeris_Dialect, Celeris_ScoreFunc, "score_func"> {
  let assemblyFormat = "$value";
}

def Celeris_RoutingMode : I32EnumAttr<"RoutingMode", "who chooses in routing", [
    I32EnumAttrCase<"TokenChoice", 0, "token_choice">,
    I32EnumAttrCase<"ExpertChoice", 1, "expert_choice">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}
def Celeris_RoutingModeAttr : EnumAttr<Celeris_Dialect, Celeris_RoutingMode, "routing"> {
  let assemblyFormat = "$value";
}


def Celeris_KernelFamily : I32EnumAttr<"KernelFamily",
    "GPU kernel family of an op", [
    I32EnumAttrCase<"AttentionPrefill", 0, "attention_prefill">,
    I32EnumAttrCase<"AttentionDecode", 1, "attention_decode">,
    I32EnumAttrCase<"RecurrenceChunk", 2, "recurrence_chunk">,
    I32EnumAttrCase<"RecurrenceStep", 3, "recurrence_step">,
    I32EnumAttrCase<"RecurrenceSequential", 4, "recurrence_sequential">,
    I32EnumAttrCase<"ScanBlocked", 5, "scan_blocked">,
    I32EnumAttrCase<"SelectiveScan", 6, "selective_scan">,
    I32EnumAttrCase<"GroupedGemm", 7, "grouped_gemm">,
    I32EnumAttrCase<"MoeRoute", 8, "moe_route">,
    I32EnumAttrCase<"MoeDispatch", 9, "moe_dispatch">,
    I32EnumAttrCase<"MoeCombine", 10, "moe_combine">,
    I32EnumAttrCase<"LoopNest", 11, "loop_nest">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}

def Celeris_TensorCoreKind : I32EnumAttr<"TensorCoreKind",
    "tensor-core instructions of a GPU kernel", [
    I32EnumAttrCase<"MmaSync", 0, "mma_sync">,
    I32EnumAttrCase<"Wgmma", 1, "wgmma">]> {
  let cppNamespace = "::mlir::celeris";
  let genSpecializedAttr = 0;
}

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISENUMS_TD
