"""Boxoffice: a server-rendered ticketing box office with a CRM."""

import os
import sys

# Piccolo finds its engine and apps through this module, wherever the process was started from.
os.environ.setdefault("PICCOLO_CONF", "boxoffice.piccolo_conf")

# httpx (Stripe's HTTP client here) imports its command-line tool whenever rich and pygments are
# installed, as Litestar's own CLI makes them: about 4 MiB in every process, none of which runs it.
# A module marked absent is skipped, and httpx carries on without its CLI.
sys.modules.setdefault("httpx._main", None)
