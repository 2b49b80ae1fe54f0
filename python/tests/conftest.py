import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))


class Seeded:
    """A fresh random generator whose seed is printed in assertion messages.
    Set CELERIS_REF_SEED to replay a failure."""

    def __init__(self):
        env = os.environ.get("CELERIS_REF_SEED")
        self.seed = int(env) if env else int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self.seed)

    @property
    def msg(self):
        return f"seed={self.seed} (rerun with CELERIS_REF_SEED={self.seed})"


@pytest.fixture
def rs():
    return Seeded()
