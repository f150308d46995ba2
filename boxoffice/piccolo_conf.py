"""Piccolo's configuration: the engine from the settings and every app with tables and migrations."""

from piccolo.conf.apps import AppRegistry

from boxoffice.config import get_settings
from boxoffice.db import engine_for

DB = engine_for(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "boxoffice.sales.piccolo_app",
        "boxoffice.auth.piccolo_app",
        "boxoffice.mail.piccolo_app",
        "boxoffice.crm.piccolo_app",
        "boxoffice.storefront.piccolo_app",
        "boxoffice.marketing.piccolo_app",
    ]
)
