// Head dim 256 runs on the wgmma kernels only.
// RUN: not celeris-opt %s -celeris-select-gpu-schedule=chip=sm_80 2>&1 | FileCheck %s --check-prefix=D256
// D256: error: GPU schedule: head dim 256 needs the wgmma kernels (sm_90a): the mma.sync kernel's Q and O fragments alone would take 192 registers a thread and spill
func.func @d256(%q: tensor<?x4x?x256xbf16>, %k: tensor<?x4x?x256xbf16>, %v: tensor<?x4x?x256xbf16>) -> tensor<?x4x?x256xbf16> {
  %o = celeris.attention %q, %k, %v mask <causal> : tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16> -> tensor<?x4x?x256xbf16>
  return %o : tensor<?x4x?x256xbf16>
}
