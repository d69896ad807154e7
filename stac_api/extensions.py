"""The extension set: stac-fastapi-pgstac's defaults, with sort advertised for older clients, the
Query extension's every operator, CQL2 text on POST, free text on items (see filters.py) and
aggregations (aggregation.py)."""

from stac_fastapi.api.models import JSONResponse
from stac_fastapi.extensions import BulkTransactionExtension, TransactionExtension
from stac_fastapi.extensions import filter as stac_filter
from stac_fastapi.extensions.free_text import FreeTextConformanceClasses, FreeTextExtension
from stac_fastapi.extensions.query import QueryConformanceClasses
from stac_fastapi.extensions.sort import SearchSortExtension, SortConformanceClasses
from stac_fastapi.pgstac import extensions as pgstac_extensions
from stac_fastapi.pgstac.extensions.filter import FiltersClient
from stac_fastapi.pgstac.models.extensions import Extensions

from stac_api.aggregation import aggregation_extension
from stac_api.filters import FilterPostRequest, QueryPostRequest
from stac_api.settings import ApiSettings
from stac_api.transactions import ExtentBulkTransactionsClient, ExtentTransactionsClient
from stac_api.validation import SortablesClient

# pystac-client (and QGIS through it) match the sort conformance class against v1.0.x only
# and warn that a v1.1.0-only API "does not conform to SORT"; the request body is the same.
SORT_V1_0 = "https://api.stacspec.org/v1.0.0/item-search#sort"


# stac-fastapi finds extensions by class name (landing and collection links to queryables,
# aggregations), so the subclasses keep their parents' names.
class QueryExtension(pgstac_extensions.QueryExtension):
    POST = QueryPostRequest


class SearchFilterExtension(stac_filter.SearchFilterExtension):
    POST = FilterPostRequest


class ItemCollectionFilterExtension(stac_filter.ItemCollectionFilterExtension):
    POST = FilterPostRequest


class DinamisExtensions(Extensions):
    @property
    def transaction(self) -> list:
        """stac-fastapi-pgstac's transaction extensions, on clients that keep extents true."""
        if not self.settings.enable_transactions_extensions:
            return []
        return [
            TransactionExtension(
                client=ExtentTransactionsClient(),
                settings=self.settings,
                response_class=JSONResponse,
            ),
            BulkTransactionExtension(client=ExtentBulkTransactionsClient()),
        ]


def extensions(settings: ApiSettings) -> Extensions:
    search_filters = {
        "query": QueryExtension(),
        "filter": SearchFilterExtension(client=FiltersClient()),
        "free_text": FreeTextExtension(conformance_classes=[FreeTextConformanceClasses.SEARCH]),
    }
    return DinamisExtensions(
        settings=settings,
        search_map={
            **search_filters,
            "sort": SearchSortExtension(
                client=SortablesClient(),
                conformance_classes=[
                    SortConformanceClasses.ITEM_SEARCH_SORT,
                    SortConformanceClasses.ITEM_SEARCH_SORTABLES,
                    SORT_V1_0,
                ],
            ),
        },
        item_collection_map={
            "query": QueryExtension(conformance_classes=[QueryConformanceClasses.ITEMS]),
            "filter": ItemCollectionFilterExtension(client=FiltersClient()),
            "free_text": FreeTextExtension(conformance_classes=[FreeTextConformanceClasses.ITEMS]),
        },
        extra_map={"aggregation": aggregation_extension(list(search_filters.values()))},
    )
