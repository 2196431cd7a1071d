"""moto's server, with its CloudFormation clock set back MOTO_STACKS_AGE_DAYS days.

AWS does not let anyone choose a stack's creation time, and moto stamps it with its own clock, so a
stack deployed to moto in a test is always minutes old. The usage check (docs/usage.md) judges only
stacks older than its window; this launcher makes moto's CloudFormation models believe it is that many
days earlier, and changes nothing else (CloudWatch, the tagging API and every other service keep the
real clock). Used by test/e2e/moto-usage.e2e.test.ts; a departure listed in docs/testing.md.
"""

import os
import sys
from datetime import timedelta

import moto.cloudformation.models as cloudformation
from moto.core.utils import utcnow

DAYS = float(os.environ.get("MOTO_STACKS_AGE_DAYS", "0"))
cloudformation.utcnow = lambda: utcnow() - timedelta(days=DAYS)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
