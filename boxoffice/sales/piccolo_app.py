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
    PerformanceSeat,
    PlanSeat,
    Refund,
    SalesSummary,
    SeatingPlan,
    StripeEvent,
    Ticket,
    TicketsPdf,
    TicketType,
    Venue,
    ZonePrice,
)

APP_CONFIG = AppConfig(
    app_name="sales",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Venue,
        SeatingPlan,
        PlanSeat,
        Event,
        Performance,
        TicketType,
        Hold,
        PerformanceSeat,
        ZonePrice,
        Order,
        OrderLine,
        Ticket,
        Payment,
        Refund,
        OrderNote,
        StripeEvent,
        Admission,
        TicketsPdf,
        SalesSummary,
    ],
)
