"""What the device checks and the benchmark need to know about an attention
kernel of an artifact: head dim, element type, whether the mask and scale
are fixed at compile time, whether it writes lse, and how to launch it."""

import math
import re

import torch

LOG2E = 1.0 / math.log(2.0)


def head_dim(kernel):
    """The head dim in a kernel's name ("_d<D>")."""
    return int(re.search(r"_d(\d+)", kernel).group(1))


class Kernel:
    """What the manifest and the name say about an attention kernel. Kernels
    compiled from model IR (convert-celeris-to-gpu) fix the mask and the
    scale at compile time: the name says "causal" or "full", the scale is
    the op's default 1/sqrt(D), and lse is an argument only if the op
    returns it. Hand-written kernels take scale_log2e, causal and group."""

    def __init__(self, module, name):
        self.name = name
        args = {a[0]: a for a in module.kernels[name]}
        self.d = head_dim(name)
        self.dtype = {"bf16": torch.bfloat16, "f16": torch.float16}[args["q"][3]]
        self.runtime_flags = "causal" in args
        self.has_lse = "lse" in args
        words = name.split("_")
        self.fixed_causal = (None if self.runtime_flags else
                             "causal" in words if "causal" in words or "full" in words
                             else None)
        assert self.runtime_flags or self.fixed_causal is not None, name

    def launch(self, module, q, k, v, out, lse, scale, causal, stream=None):
        args = dict(q=q, k=k, v=v, out=out)
        if self.has_lse:
            args["lse"] = lse
        if self.runtime_flags:
            args.update(scale_log2e=scale * LOG2E, causal=int(causal),
                        group=q.shape[1] // k.shape[1])
        module.launch(self.name, **args,
                      sizes={"Sq": q.shape[2], "Hq": q.shape[1], "B": q.shape[0]},
                      stream=stream)
