"""SQL pieces of the indicator core that must give what the Python libraries give, on both backends."""

import random

import h3
from sqlalchemy import String, literal, select, union_all

from server.indicators.sql import h3_parent


def test_h3_parent_in_sql_is_h3_cell_to_parent(db):
    """Cells of every resolution, each taken at every resolution in the database: the parent when the cell is
    finer (``h3.cell_to_parent``), the cell itself otherwise."""
    rng = random.Random(8)
    cells = [
        h3.latlng_to_cell(rng.uniform(-80, 80), rng.uniform(-180, 180), resolution)
        for _ in range(12)
        for resolution in (0, 3, 5, 6, 7, 8, 9, 12, 15)
    ]
    table = union_all(*(select(literal(cell, String).label("cell")) for cell in cells)).subquery("cells")
    for resolution in range(16):
        found = dict(db.session.execute(select(table.c.cell, h3_parent(table.c.cell, resolution))).all())
        for cell in cells:
            expected = h3.cell_to_parent(cell, resolution) if h3.get_resolution(cell) > resolution else cell
            assert found[cell] == expected, (cell, resolution)
