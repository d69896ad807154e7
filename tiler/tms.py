"""The tile matrix sets the tiler serves, each parsed once and shared by every request.

morecantile's ``TileMatrixSets.get`` deep-copies the set on every call (0.4 ms, paid by each
tile in the factories' endpoints and again in the path check), and every copy then rebuilds
its CRS objects. The sets are only read, so one copy serves all threads, as rio-tiler's own
default ``WEB_MERCATOR_TMS`` does.
"""

import attr
import morecantile
from morecantile import TileMatrixSet
from morecantile.defaults import TileMatrixSets


@attr.s(frozen=True)
class SharedTileMatrixSets(TileMatrixSets):
    _parsed: dict[str, TileMatrixSet] = attr.ib(factory=dict, init=False)

    def get(self, identifier: str) -> TileMatrixSet:
        if identifier not in self._parsed:
            self._parsed[identifier] = super().get(identifier)
        return self._parsed[identifier]


TILE_MATRIX_SETS = SharedTileMatrixSets(dict(morecantile.tms.tilematrixsets))
