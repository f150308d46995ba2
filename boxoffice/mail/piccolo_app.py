from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.mail.tables import MailWorker, OutboxAttachment, OutboxMessage

APP_CONFIG = AppConfig(
    app_name="mail",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[MailWorker, OutboxMessage, OutboxAttachment],
)
