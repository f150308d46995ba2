from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.marketing.tables import Campaign, CampaignRecipient, ConsentQuestion, ConsentRecord

APP_CONFIG = AppConfig(
    app_name="marketing",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[ConsentQuestion, ConsentRecord, Campaign, CampaignRecipient],
    migration_dependencies=["boxoffice.crm.piccolo_app"],
)
