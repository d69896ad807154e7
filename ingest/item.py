"""The STAC 1.1 item of an ingested product."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling

from ingest.bands import CanonicalBand
from ingest.footprint import bbox, geometry
from ingest.model import Geometry, Product
from ingest.storage import multihash

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GEOTIFF_MEDIA_TYPE = "image/tiff; application=geotiff"
BINARY = "application/octet-stream"
# The role of an asset that is a delivered file as archived, published where it lies.
ORIGINAL = "original"
# Items catalogued from their metadata alone carry this property until their COG is made.
RELAY_PROPERTY = "dinamis:relay"
CATALOGUED = "catalogued"
# The extension of each field prefix the items use. An item declares only the extensions
# whose fields it carries: the sat and view schemas fail an item that has none of theirs.
# Versions are those whose published schemas the tests validate against (tests/schemas/).
# eo v1.1.0 and projection v1.2.0 rather than eo v2.0.0 and projection v2.0.0: the v2 schemas
# forbid `eo:bands` and `proj:epsg`, which the loaders in use read (odc-stac through pystac's
# eo extension, stackstac, GDAL 3.6's STACIT driver). The STAC 1.1 `bands` carry the same band
# fields in the eo v2 form for STAC 1.1 clients.
EXTENSIONS = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "view": "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "proj": "https://stac-extensions.github.io/projection/v1.2.0/schema.json",
    "raster": "https://stac-extensions.github.io/raster/v2.0.0-beta.1/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.1.0/schema.json",
    "product": "https://stac-extensions.github.io/product/v0.1.0/schema.json",
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
}
# The render extension's one field has no prefix.
RENDER_EXTENSION = "https://stac-extensions.github.io/render/v2.0.0/schema.json"
# The eo v1.1 band fields (``common_name`` ...), which eo v2 spells ``eo:common_name`` ...
EO_BAND_FIELDS = ("common_name", "center_wavelength", "full_width_half_max", "solar_illumination")
# Pixels read to estimate statistics: the COG's overviews make this cheap at any size.
STATISTICS_SIZE = 1024


@dataclass(frozen=True)
class Sidecars:
    """Delivered files published next to the COG as assets of their own."""

    metadata: Path
    preview: Path | None = None
    rpc: Path | None = None
    icon: Path | None = None

    def files(self) -> list[Path]:
        return [p for p in (self.metadata, self.preview, self.rpc, self.icon) if p is not None]

    def moved_to(self, folder: Path) -> "Sidecars":
        return Sidecars(
            *(
                folder / p.name if p else None
                for p in (self.metadata, self.preview, self.rpc, self.icon)
            )
        )


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def statistics(cog: Path) -> list[dict[str, float]]:
    with rasterio.open(cog) as src:
        scale = max(1.0, max(src.width, src.height) / STATISTICS_SIZE)
        shape = (src.count, max(1, int(src.height / scale)), max(1, int(src.width / scale)))
        data = src.read(out_shape=shape, masked=True, resampling=Resampling.nearest)
    stats = []
    for band in data:
        values = band.compressed()
        if values.size == 0:
            stats.append({})
            continue
        low, high = np.percentile(values, [2, 98])
        stats.append(
            {
                "minimum": float(values.min()),
                "maximum": float(values.max()),
                "mean": round(float(values.mean()), 3),
                "percentile_2": float(low),
                "percentile_98": float(high),
            }
        )
    return stats


def renders(bands: list[CanonicalBand], stats: list[dict[str, float]]) -> dict[str, Any]:
    """Per-item renders with rescale from this scene's statistics, which titiler-pgstac reads."""

    def rescale(index: int) -> list[float]:
        low = stats[index].get("percentile_2", 0.0)
        return [low, max(stats[index].get("percentile_98", 1.0), low + 1)]

    common = [b.definition.get("eo:common_name") for b in bands]
    base = {"assets": ["data"], "resampling": "bilinear"}
    if len(bands) == 1 or common[:3] != ["red", "green", "blue"]:
        renders = {
            "grey": {**base, "title": "Grey", "asset_bidx": "data|1", "rescale": [rescale(0)]}
        }
    else:
        renders = {
            "true-color": {
                **base,
                "title": "True colour",
                "asset_bidx": "data|1,2,3",
                "rescale": [rescale(i) for i in range(3)],
            }
        }
    if "nir" in common and {"red", "green"} <= set(common):
        order = [common.index(name) for name in ("nir", "red", "green")]
        renders["false-color"] = {
            **base,
            "title": "False colour infrared",
            "asset_bidx": "data|" + ",".join(str(i + 1) for i in order),
            "rescale": [rescale(i) for i in order],
        }
    return renders


def _band(canonical: CanonicalBand, stats: dict[str, float]) -> dict[str, Any]:
    band, definition = canonical.band, canonical.definition
    out: dict[str, Any] = {
        "name": definition["name"],
        "description": definition.get("description"),
        "eo:common_name": definition.get("eo:common_name"),
        "eo:center_wavelength": band.center_wavelength or definition.get("eo:center_wavelength"),
        "eo:full_width_half_max": band.full_width_half_max
        or definition.get("eo:full_width_half_max"),
        "eo:solar_illumination": band.solar_illumination,
        "raster:scale": band.scale,
        "raster:offset": band.offset,
        "statistics": {k: v for k, v in stats.items() if k in ("minimum", "maximum", "mean")}
        or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _eo_band(band: dict[str, Any]) -> dict[str, Any]:
    """A band in the eo v1.1 ``eo:bands`` form (unprefixed fields) that the loaders read."""
    fields = ("name", "description", *(f"eo:{f}" for f in EO_BAND_FIELDS))
    return {k.removeprefix("eo:"): v for k, v in band.items() if k in fields}


def _projection(cog: Path) -> dict[str, Any]:
    with rasterio.open(cog) as src:
        if src.crs is None:
            return {"proj:code": None, "proj:epsg": None, "proj:shape": [src.height, src.width]}
        epsg = src.crs.to_epsg()
        return {
            "proj:code": f"EPSG:{epsg}" if epsg else None,
            "proj:epsg": epsg,
            **({} if epsg else {"proj:wkt2": src.crs.to_wkt()}),
            "proj:shape": [src.height, src.width],
            "proj:transform": list(src.transform)[:6],
            "proj:bbox": list(src.bounds),
        }


def _prefixes(value: Any) -> set[str]:
    """The prefixes of the ``prefix:name`` keys anywhere in ``value``."""
    if isinstance(value, dict):
        own = {key.split(":", 1)[0] for key in value if ":" in key}
        return own.union(*(_prefixes(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_prefixes(v) for v in value))
    return set()


def _extensions(properties: dict[str, Any], assets: dict[str, Any]) -> list[str]:
    used = _prefixes([properties, assets])
    declared = [uri for prefix, uri in EXTENSIONS.items() if prefix in used]
    return declared + ([RENDER_EXTENSION] if "renders" in properties else [])


def product_properties(
    product: Product, collection: dict[str, Any], *, created: datetime, updated: datetime
) -> dict[str, Any]:
    """What the metadata says of the acquisition, as STAC properties (None values included)."""
    angles = product.angles
    properties: dict[str, Any] = {
        "datetime": _iso(product.datetime),
        "start_datetime": _iso(product.start_datetime) if product.start_datetime else None,
        "end_datetime": _iso(product.end_datetime) if product.end_datetime else None,
        "title": product.name,
        "platform": product.platform,
        "constellation": product.constellation,
        "instruments": [product.instrument],
        "gsd": product.gsd,
        "eo:cloud_cover": product.cloud_cover,
        "eo:snow_cover": product.snow_cover,
        "view:incidence_angle": angles.incidence,
        "view:off_nadir": angles.off_nadir,
        "view:azimuth": angles.azimuth,
        "view:sun_azimuth": angles.sun_azimuth,
        "view:sun_elevation": angles.sun_elevation,
        "sat:absolute_orbit": product.absolute_orbit,
        "processing:level": product.processing_level,
        "product:type": product.spectral_processing,
        "license": collection["license"],
        "providers": collection.get("providers"),
        "created": _iso(created),
        "updated": _iso(updated),
        "dinamis:geometry": product.geometry.value,
    }
    if product.copyright:
        properties["dinamis:copyright"] = product.copyright
    return properties


def build_item(
    product: Product,
    item_id: str,
    collection: dict[str, Any],
    bands: list[CanonicalBand],
    cog: Path,
    sidecars: Sidecars,
    source_checksum: str,
    *,
    thumbnail: Path,
    created: datetime,
    updated: datetime,
) -> dict[str, Any]:
    """The item of ``product`` in ``collection`` (its JSON: the item takes its licence, licence
    links and providers). ``created`` is when the item was first published, ``updated`` now."""
    with rasterio.open(cog) as src:
        dtype = src.dtypes[0]
    stats = statistics(cog)
    properties = {
        **product_properties(product, collection, created=created, updated=updated),
        "renders": renders(bands, stats),
        "dinamis:source_checksum": source_checksum,
    }
    data_title = "Image (Cloud Optimized GeoTIFF)"
    if product.geometry is Geometry.sensor:
        data_title += ", sensor geometry: " + ("RPC" if sidecars.rpc else "GCPs")
    band_list = [_band(b, s) for b, s in zip(bands, stats, strict=True)]
    assets: dict[str, Any] = {
        "thumbnail": _file_asset(
            thumbnail, "image/png", "Thumbnail of the default rendering", ["thumbnail"]
        ),
        "data": {
            "href": str(cog),
            "type": COG_MEDIA_TYPE,
            "title": data_title,
            "roles": ["data"],
            "data_type": dtype,
            "raster:bits_per_sample": product.nbits,
            **({"nodata": product.nodata} if product.nodata is not None else {}),
            "bands": band_list,
            "eo:bands": [_eo_band(b) for b in band_list],
            # On the asset, not the item: the quicklooks have a grid of their own, and
            # STACIT would take item-level fields for theirs.
            **_projection(cog),
            "file:size": cog.stat().st_size,
            "file:checksum": multihash(cog),
        },
        **sidecar_assets(sidecars),
    }
    return _feature(product, item_id, collection, properties, assets)


def sidecar_assets(sidecars: Sidecars, checksum: bool = True) -> dict[str, Any]:
    """Assets of the delivered metadata and quicklooks; ``checksum`` reads each file whole."""
    assets = {
        "metadata": _file_asset(
            sidecars.metadata, "application/xml", "Original DIMAP metadata", ["metadata"], checksum
        )
    }
    # The producer's own quicklooks are published too, but the item's `thumbnail` is ours:
    # every item has one, in one format, transparent outside the footprint and drawn like the
    # item's tiles, where delivered JPEGs vary by mission and have opaque borders.
    if sidecars.preview:
        assets["overview"] = _file_asset(
            sidecars.preview,
            "image/jpeg",
            "Quicklook delivered with the product",
            ["overview"],
            checksum,
        )
    if sidecars.icon:
        assets["icon"] = _file_asset(
            sidecars.icon,
            "image/jpeg",
            "Thumbnail delivered with the product",
            ["thumbnail"],
            checksum,
        )
    if sidecars.rpc:
        assets["rpc"] = _file_asset(
            sidecars.rpc,
            "application/xml",
            "Rational polynomial coefficients",
            ["metadata", "rpc"],
            checksum,
        )
    return assets


def _feature(
    product: Product,
    item_id: str,
    collection: dict[str, Any],
    properties: dict[str, Any],
    assets: dict[str, Any],
) -> dict[str, Any]:
    properties = {k: v for k, v in properties.items() if v is not None}
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": _extensions(properties, assets),
        "id": item_id,
        "collection": collection["id"],
        "geometry": geometry(product.footprint),
        "bbox": bbox(product.footprint),
        "properties": properties,
        "links": [link for link in collection.get("links", []) if link["rel"] == "license"],
        "assets": assets,
    }


def catalogue_item(
    product: Product,
    item_id: str,
    collection: dict[str, Any],
    sidecars: Sidecars,
    *,
    created: datetime,
    updated: datetime,
) -> dict[str, Any]:
    """The item of ``product`` from its metadata alone, its delivered files as assets where
    they lie: no pixel is read, so that an archive is catalogued at the speed of its XML. The
    COG comes later (``ingest.tasks``) and replaces it, keeping the ``original`` assets."""
    properties = {
        **product_properties(product, collection, created=created, updated=updated),
        RELAY_PROPERTY: CATALOGUED,
    }
    tiles = product.tiles
    images = {
        ("image" if len(tiles) == 1 else f"image-r{t.row}c{t.col}"): _file_asset(
            t.path,
            GEOTIFF_MEDIA_TYPE if t.path.suffix.lower() in (".tif", ".tiff") else BINARY,
            "Delivered image, as archived"
            + (" (sensor geometry: tie points in the metadata)" if product.gcps else ""),
            ["data", ORIGINAL],
            checksum=False,
        )
        for t in tiles
    }
    assets = {**images, **sidecar_assets(sidecars, checksum=False)}
    return _feature(product, item_id, collection, properties, assets)


def originals(item: dict[str, Any] | None) -> dict[str, Any]:
    """The assets of ``item`` that are delivered files published where they lie."""
    assets = (item or {}).get("assets", {})
    return {key: asset for key, asset in assets.items() if ORIGINAL in asset.get("roles", [])}


def _file_asset(
    path: Path, media_type: str, title: str, roles: list[str], checksum: bool = True
) -> dict[str, Any]:
    return {
        "href": str(path),
        "type": media_type,
        "title": title,
        "roles": roles,
        "file:size": path.stat().st_size,
        **({"file:checksum": multihash(path)} if checksum else {}),
    }
