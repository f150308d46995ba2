"""Every staff page: one module a menu entry, wired in `backoffice.router` behind the staff guard.

A page module reads its form, calls one service and renders what it answers; the rules live in the
domain packages, never here."""
