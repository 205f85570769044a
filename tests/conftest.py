"""Shared test set-up: headless Qt, few CPU threads, no user settings touched."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402

# Tests are many small models: two threads avoid oversubscribing a 2-core CI machine.
torch.set_num_threads(2)
