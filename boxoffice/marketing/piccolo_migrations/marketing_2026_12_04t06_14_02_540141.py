from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-04T06:14:02:540141"
VERSION = "1.38.0"
DESCRIPTION = "Index consent records by question; the ledger's and recipients' single-column indexes make way for composite ones"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="marketing", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ConsentRecord",
        tablename="consent_record",
        column_name="contact",
        db_column_name="contact",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ConsentRecord",
        tablename="consent_record",
        column_name="question",
        db_column_name="question",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="CampaignRecipient",
        tablename="campaign_recipient",
        column_name="campaign",
        db_column_name="campaign",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
