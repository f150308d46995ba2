from __future__ import annotations

import pytest

from tests.support.staff import TestStaff, make_staff


@pytest.fixture
async def marketing_staff(database) -> TestStaff:
    """A staff member of the Marketing role, who writes and sends the campaigns."""
    return await make_staff("marketing", name="Mo Marketing")
