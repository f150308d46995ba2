from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.crm.tables import Contact, ContactNote, ContactTag, DismissedDuplicate, Tag

APP_CONFIG = AppConfig(
    app_name="crm",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Contact, ContactNote, Tag, ContactTag, DismissedDuplicate],
)
