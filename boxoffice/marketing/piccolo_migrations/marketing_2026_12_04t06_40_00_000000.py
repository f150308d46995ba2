from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Find a contact's latest consent on a channel from one index"

# An audience is every contact whose latest e-mail consent is a grant: one lookup of this index a contact,
# reading the newest entry first, instead of sorting their consent history.
INDEX = (
    "CREATE INDEX consent_record_latest ON consent_record (contact, channel, recorded_at DESC, id DESC)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketing", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(INDEX)

    async def drop():
        await engine_finder().run_ddl("DROP INDEX consent_record_latest")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
