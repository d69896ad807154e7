"""The ``orthorectify`` process: its OGC description and the checks of a request, made at
submission so that a request that cannot succeed is refused at once (4xx) with the reason."""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rasterio.crs import CRS
from rasterio.errors import CRSError
from starlette.concurrency import run_in_threadpool

from access import store as access_store
from access.dependencies import get_access
from dinamis.refusal import N_
from jobs.processes import InputError, Process, Submission
from ortho.publish import check_terms
from ortho.scene import Scene, SceneError, dem_heights, read_scene
from ortho.settings import OrthoSettings
from ortho.tasks import abandon
from ortho.vertical import undulation

# "collection/item", or the item's URL (…/collections/{collection}/items/{item}).
ITEM_REFERENCE = re.compile(r"^(?:.*/collections/)?([^/\s]+)/(?:items/)?([^/\s]+)$")


class OrthoInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(
        max_length=1000,
        description="The raw (level 1A) scene: 'collection/item' or the item's URL.",
    )
    crs: str | None = Field(
        default=None,
        max_length=5000,
        description="Target projected CRS in metres (EPSG code); default: the scene's UTM zone.",
    )
    resolution: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Output pixel size in metres; default: the scene's ground sample distance.",
    )
    dem: str | None = Field(
        default=None,
        max_length=100,
        description="Elevation model (one configured on this server) or 'none' (flat terrain).",
    )
    resampling: Literal["nearest", "bilinear", "cubic", "cubicspline", "lanczos", "average"] = (
        Field(default="cubic", description="Resampling of the raw pixels.")
    )


def _target_crs(requested: str | None, scene: Scene) -> str:
    if requested is None:
        return f"EPSG:{scene.utm().to_epsg()}"
    try:
        crs = CRS.from_user_input(requested)
    except CRSError as error:
        raise InputError(
            400, N_("crs: unknown coordinate reference system (%(error)s)"), error=str(error)
        ) from None
    if not crs.is_projected or (crs.linear_units or "").lower() not in ("metre", "meter"):
        raise InputError(
            400, N_("crs: %(crs)s is not a projected CRS in metres"), crs=requested[:200]
        )
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _resolution(requested: float | None, scene: Scene, settings: OrthoSettings) -> float:
    resolution = requested or float(scene.item.get("properties", {}).get("gsd") or 10.0)
    extent = scene.extent_m()
    if resolution < settings.min_resolution:
        raise InputError(
            400,
            N_("resolution: %(asked)s m is finer than %(finest)s m"),
            asked=f"{resolution:g}",
            finest=f"{settings.min_resolution:g}",
        )
    if resolution >= extent:
        raise InputError(
            400,
            N_("resolution: %(asked)s m is larger than the scene (%(extent)s m)"),
            asked=f"{resolution:g}",
            extent=f"{extent:,.0f}",
        )
    if (extent / resolution) ** 2 > settings.max_pixels:
        raise InputError(
            400,
            N_(
                "resolution: %(asked)s m makes an image of about %(side)s pixels a side, more "
                "than this server writes (%(most)s pixels)"
            ),
            asked=f"{resolution:g}",
            side=f"{(extent / resolution):,.0f}",
            most=f"{settings.max_pixels:,}",
        )
    return resolution


def _dem_name(requested: str | None, scene: Scene, settings: OrthoSettings) -> str:
    name = requested or settings.default_dem or next(iter(settings.dems), "none")
    try:
        dem = settings.dem(name)
    except KeyError:
        offered = ", ".join([*settings.dems, "none"])
        raise InputError(
            400,
            N_("dem: no elevation model '%(dem)s' (offered: %(offered)s)"),
            dem=name,
            offered=offered,
        ) from None
    if dem is not None:
        dem_heights(dem, scene.bbox)  # refuses a DEM that does not cover the scene
        if name in settings.dem_crs:
            undulation(settings.dem_crs[name], *scene.centre)  # refuses heights GDAL cannot shift
    return name


async def prepare(submission: Submission) -> dict[str, Any]:
    """The normalised inputs of a request, or :class:`InputError` saying what is wrong."""
    settings = OrthoSettings()
    try:
        inputs = OrthoInputs.model_validate(submission.inputs)
    except ValidationError as error:
        raise InputError(
            400,
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()),
        ) from None
    match = ITEM_REFERENCE.match(inputs.item)
    if match is None:
        raise InputError(400, N_("item: expected 'collection/item' or an item URL"))
    collection, item_id = match.groups()
    access = get_access(submission.request)
    decision = await access.decide(submission.principal, collection)
    if not decision.allowed:
        raise InputError(decision.status, decision.reason)
    licences = await access.licences()
    item = await access.run(access_store.get_item, collection, item_id)
    if item is None:
        raise InputError(
            404,
            N_("item: no item '%(item)s' in collection '%(collection)s'"),
            item=item_id,
            collection=collection,
        )

    def check() -> dict[str, Any]:
        check_terms(collection, settings.collection, licences)
        scene = read_scene(item, access.settings.storage_roots)
        return {
            "collection": collection,
            "item": item_id,
            "crs": _target_crs(inputs.crs, scene),
            "resolution": _resolution(inputs.resolution, scene, settings),
            "dem": _dem_name(inputs.dem, scene, settings),
            "resampling": inputs.resampling,
        }

    try:
        return await run_in_threadpool(check)
    except SceneError as error:
        raise InputError.because(400, error) from None


def choices() -> dict[str, list[str]]:
    """The DEMs offered, the one used when a request names none first."""
    settings = OrthoSettings()
    default = settings.default_dem or next(iter(settings.dems), "none")
    return {"dem": [default, *(name for name in [*settings.dems, "none"] if name != default)]}


def results(result: dict[str, Any], base_url: str) -> dict[str, Any]:
    url = f"{base_url}/collections/{result['collection']}/items/{result['item']}"
    return {"ortho": {"href": url, "type": "application/geo+json"}}


def _inputs() -> dict[str, Any]:
    schema = OrthoInputs.model_json_schema()
    fields = OrthoInputs.model_fields
    described = {}
    for name, field in fields.items():
        property_schema = {k: v for k, v in schema["properties"][name].items() if k != "title"}
        # Optional means "may be left out" in OGC (minOccurs 0), not "may be null".
        variants = [v for v in property_schema.pop("anyOf", []) if v.get("type") != "null"]
        property_schema.update(variants[0] if variants else {})
        described[name] = {
            "title": name,
            "description": field.description,
            "schema": property_schema,
            "minOccurs": 1 if field.is_required() else 0,
            "maxOccurs": 1,
        }
    return described


PROCESS = Process(
    id="orthorectify",
    title="Ortho-rectification of a raw Spot World Heritage scene",
    description=(
        "Warps a level-1A SPOT 1-5 scene onto a map grid with a digital elevation model "
        "(RPCs fitted to its tie points and viewing geometry), writes a Cloud Optimized "
        "GeoTIFF and publishes it as a STAC item of the open ortho collection, derived from "
        "the raw item; the requester is told by mail."
    ),
    version="1.0.0",
    inputs=_inputs(),
    outputs={
        "ortho": {
            "title": "Ortho-rectified item",
            "description": "The published STAC item (searchable, tileable, downloadable).",
            "schema": {
                "type": "string",
                "format": "uri",
                "contentMediaType": "application/geo+json",
            },
        }
    },
    task="ortho:orthorectify",
    queue=OrthoSettings().queue,
    prepare=prepare,
    results=results,
    abandon=abandon,
    keywords=("SPOT", "Spot World Heritage", "ortho-rectification", "DEM"),
    choices=choices,
)
