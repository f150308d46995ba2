from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-21T12:23:50:002439"
VERSION = "1.38.0"
DESCRIPTION = "A merged contact names the contact it was merged into"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Contact",
        tablename="contact",
        column_name="merged_into",
        db_column_name="merged_into",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": "self",
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
