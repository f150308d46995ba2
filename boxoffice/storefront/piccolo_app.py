from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.storefront.tables import PolicyDocument, SiteSetting

APP_CONFIG = AppConfig(
    app_name="storefront",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[SiteSetting, PolicyDocument],
)
