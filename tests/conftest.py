"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def torch_one_thread():
    """The machine is shared: keep torch to one thread in a module, and restore it afterwards."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def torch_seed():
    """Every test starts from the same torch random state."""
    import torch

    torch.manual_seed(0)
