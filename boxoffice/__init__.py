"""Boxoffice: a server-rendered ticketing box office with a CRM."""

import os

# Piccolo finds its engine and apps through this module, wherever the process was started from.
os.environ.setdefault("PICCOLO_CONF", "boxoffice.piccolo_conf")
