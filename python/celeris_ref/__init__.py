"""Independent float64 numpy reference implementations of the Celeris ops
(for differential testing; shares no code with the compiler)."""

from .masks import (normalize, allowed_scalar, allowed_matrix, mask_matrix,
                    format_mask, parse_mask, as_mask)
from .attention import (attention, mask_block_layout, topk_blocks, nsa, mla,
                        masked_softmax_row)
from .recurrence import recurrence, scan, selective_scan
from .moe import (route, dispatch, dispatch_map, gather_rows, grouped_matmul,
                  combine, moe)

__all__ = [
    "normalize", "allowed_scalar", "allowed_matrix", "mask_matrix",
    "format_mask", "parse_mask", "as_mask",
    "attention", "mask_block_layout", "topk_blocks", "nsa", "mla",
    "masked_softmax_row",
    "recurrence", "scan", "selective_scan",
    "route", "dispatch", "dispatch_map", "gather_rows", "grouped_matmul",
    "combine", "moe",
]
