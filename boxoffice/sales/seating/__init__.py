"""Reserved seating: venues' seating plans, each seated performance's own copy of one, and seat states.

The tables are the sales app's (`sales.tables`: `SeatingPlan`, `PlanSeat`, `PerformanceSeat`,
`ZonePrice`), because a seat is what a hold takes and a ticket admits."""
