from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.venue.tables import PolicyDocument, SiteSetting

APP_CONFIG = AppConfig(
    app_name="venue",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[SiteSetting, PolicyDocument],
)
