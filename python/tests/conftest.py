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


@pytest.fixture(autouse=True, scope="session")
def private_compile_cache(tmp_path_factory):
    """The tests' compiles go to a cache of their own, never the user's."""
    old = os.environ.get("CELERIS_CACHE_DIR")
    os.environ["CELERIS_CACHE_DIR"] = str(tmp_path_factory.mktemp("celeris-cache"))
    yield
    if old is None:
        os.environ.pop("CELERIS_CACHE_DIR", None)
    else:
        os.environ["CELERIS_CACHE_DIR"] = old
