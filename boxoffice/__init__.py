"""Boxoffice: a server-rendered ticketing box office with a CRM.

The packages are layered (README, Layout; checked by import-linter in `make lint`): pages over services
over tables, and no package imports one above it. One loop is allowed, between the three domain peers:
a sale makes or finds a contact (sales -> crm) and records the buyer's marketing answer (sales ->
marketing); a contact's record shows their orders and consent (crm -> sales, crm -> marketing); a
campaign's audience is contacts who bought (marketing -> crm, marketing -> sales). Each is a real
question one asks of the other, and splitting them further would only move the loop into a fourth
package that all three import.
"""

import os
import sys

# Piccolo finds its engine and apps through this module, wherever the process was started from.
os.environ.setdefault("PICCOLO_CONF", "boxoffice.piccolo_conf")

# httpx (Stripe's HTTP client here) imports its command-line tool whenever rich and pygments are
# installed, as Litestar's own CLI makes them: about 4 MiB in every process, none of which runs it.
# A module marked absent is skipped, and httpx carries on without its CLI.
sys.modules.setdefault("httpx._main", None)
