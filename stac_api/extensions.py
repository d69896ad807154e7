"""The extension set: stac-fastapi-pgstac's defaults, with sort advertised for older clients."""

from stac_fastapi.extensions.sort import SearchSortExtension, SortConformanceClasses
from stac_fastapi.pgstac.models.extensions import Extensions

from stac_api.settings import ApiSettings
from stac_api.validation import SortablesClient

# pystac-client (and QGIS through it) match the sort conformance class against v1.0.x only
# and warn that a v1.1.0-only API "does not conform to SORT"; the request body is the same.
SORT_V1_0 = "https://api.stacspec.org/v1.0.0/item-search#sort"


def extensions(settings: ApiSettings) -> Extensions:
    return Extensions(
        settings=settings,
        search_map={
            "sort": SearchSortExtension(
                client=SortablesClient(),
                conformance_classes=[
                    SortConformanceClasses.ITEM_SEARCH_SORT,
                    SortConformanceClasses.ITEM_SEARCH_SORTABLES,
                    SORT_V1_0,
                ],
            )
        },
    )
