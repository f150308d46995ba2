from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.auth.tables import AuditEntry, LoginAttempt, RecoveryCode, Role, StaffSession, StaffUser

APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Role, StaffUser, RecoveryCode, StaffSession, LoginAttempt, AuditEntry],
)
