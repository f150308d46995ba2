from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T13:03:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "A picture has one rendition per width"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX picture_rendition_picture_width ON picture_rendition (picture, width)"
        )

    async def drop():
        await engine_finder().run_ddl("DROP INDEX picture_rendition_picture_width")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
