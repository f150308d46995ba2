from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.privacy.tables import (
    Breach,
    BreachNotice,
    CentreSignIn,
    LinkRequest,
    PrivacyRequest,
    RequestAction,
)

APP_CONFIG = AppConfig(
    app_name="privacy",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[CentreSignIn, LinkRequest, PrivacyRequest, RequestAction, Breach, BreachNotice],
    migration_dependencies=["boxoffice.crm.piccolo_app"],
)
