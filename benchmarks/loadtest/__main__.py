"""`python -m benchmarks.loadtest client --plan P --out O`: the load test's client process."""

import sys

from benchmarks.loadtest.client import main

sys.exit(main())
