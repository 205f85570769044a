"""`python -m ganstudio.bench.gui [--quick] [--only ...]`; also the child process of the first-image probe."""

import sys

from ganstudio.bench.gui import main

sys.exit(main())
