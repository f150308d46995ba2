from pathlib import Path

from piccolo.conf.apps import AppConfig

from boxoffice.sales.tables import (
    Admission,
    Event,
    Hold,
    Order,
    OrderLine,
    OrderNote,
    Payment,
    Performance,
    Refund,
    StripeEvent,
    Ticket,
    TicketsPdf,
    TicketType,
    Venue,
)

APP_CONFIG = AppConfig(
    app_name="sales",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Venue,
        Event,
        Performance,
        TicketType,
        Hold,
        Order,
        OrderLine,
        Ticket,
        Payment,
        Refund,
        OrderNote,
        StripeEvent,
        Admission,
        TicketsPdf,
    ],
)
