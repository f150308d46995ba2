"""Piccolo's configuration, for its migration tooling: the process's engine and every app with tables
and migrations. The app itself never imports it (see `boxoffice.db.current_engine`)."""

from piccolo.conf.apps import AppRegistry

from boxoffice.db import current_engine

DB = current_engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "boxoffice.sales.piccolo_app",
        "boxoffice.auth.piccolo_app",
        "boxoffice.mail.piccolo_app",
        "boxoffice.crm.piccolo_app",
        "boxoffice.venue.piccolo_app",
        "boxoffice.marketing.piccolo_app",
        "boxoffice.privacy.piccolo_app",
    ]
)
