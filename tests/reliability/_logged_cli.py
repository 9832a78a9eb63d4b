"""`tui-vault` with every logger at DEBUG on stderr and warnings shown (for the leak scan).

tui-vault has no logging switch of its own; this turns on the root logger, so whatever any
library (asyncio, urllib3, hvac, botocore, keyring) logs lands on stderr to be searched.
"""

from __future__ import annotations

import logging
import sys
import warnings

logging.basicConfig(
    level=logging.DEBUG, stream=sys.stderr, format="LOG %(name)s %(levelname)s %(message)s"
)
warnings.simplefilter("default")

from tui_vault.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
