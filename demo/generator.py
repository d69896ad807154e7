"""Demo products as a satellite would deliver them: landscapes turned into each sensor's digital
numbers, written as DIMAP deliveries by the project's product generator (ingest.testing)."""

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from demo.landscape import BANDS, scene
from demo.places import PLACES, DemoProduct
from ingest.testing import SWH_BANDS, band_groups, make_dimap1_product, make_dimap2_product

# Each band as a mix of the landscape's reflectances (blue, green, red, nir, swir).
_B, _G, _R, _N, _S = np.eye(len(BANDS), dtype=np.float32)
BAND_RESPONSE = {
    "B0": _B,
    "B1": _G,
    "B2": _R,
    "B3": _N,
    "B": _B,
    "G": _G,
    "R": _R,
    "NIR": _N,
    "RE": 0.6 * _R + 0.4 * _N,
    "DB": 1.1 * _B,
    "P": 0.2 * _B + 0.35 * _G + 0.3 * _R + 0.15 * _N,
    "XS1": _G,
    "XS2": _R,
    "XS3": _N,
    "SWIR": _S,
    "PAN": 0.5 * _G + 0.5 * _R,
}
# Light scattered by the air, strongest in the blue: what makes raw imagery look hazy.
HAZE = np.array([0.03, 0.018, 0.009, 0.004, 0.001], dtype=np.float32)
# Reflectance to digital numbers: 12-bit Airbus sensors (a 0-3000 stretch shows 0-0.33),
# 8-bit SPOT 1-5 scenes.
GAIN = {12: (9000.0, 0.0, 4.0), 8: (600.0, 10.0, 0.8)}


def seed_of(product: DemoProduct, base: int) -> int:
    text = f"{base}:{product.mission}{product.index}:{product.acquired:%Y%m%d%H%M}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def digital_numbers(reflectance: np.ndarray, bands: list[str], nbits: int, seed: int) -> np.ndarray:
    """The sensor's bands (in ``bands`` order) from a landscape, with a little sensor noise."""
    gain, offset, noise = GAIN[nbits]
    response = np.stack([BAND_RESPONSE[b] for b in bands])
    radiance = np.tensordot(response, reflectance + HAZE[:, None, None], axes=1)
    speckle = np.random.default_rng(seed).normal(0, noise, radiance.shape).astype(np.float32)
    # 0 is the products' no-data value: imagery starts at 1.
    return np.clip(radiance * gain + offset + speckle, 1, 2**nbits - 1).round()


def delivery_name(product: DemoProduct) -> str:
    return f"{product.mission}{product.index}_{product.acquired:%Y%m%d%H%M}_{product.level}"


def write_product(product: DemoProduct, folder: Path, size: int, base_seed: int) -> Path:
    """Write one delivery into a folder of its own under ``folder``; return what
    ``dinamis ingest`` takes."""
    place = PLACES[product.place]
    seed = seed_of(product, base_seed)
    terrain = replace(place.terrain, seed=place.terrain.seed + base_seed)
    folder = folder / delivery_name(product)
    season = (product.acquired.timetuple().tm_yday / 365.25 + (place.center[1] < 0) / 2) % 1
    reflectance = scene(terrain, size, size, product.gsd, season, product.cloud_cover, seed)
    folder.mkdir(parents=True, exist_ok=True)
    common = {
        "center": place.center,
        "width": size,
        "height": size,
        "gsd": product.gsd,
        "acquired": product.acquired,
    }
    if product.mission == "SWH":
        bands = SWH_BANDS[product.spectral]
        return make_dimap1_product(
            folder,
            mission_index=int(product.index),
            sensor=product.spectral,
            level=product.level,
            incidence=product.incidence,
            image=digital_numbers(reflectance, bands, 8, seed),
            **common,
        )
    bands = [b for group in band_groups(product.mission, product.spectral) for b in group]
    return make_dimap2_product(
        folder,
        mission=product.mission,
        mission_index=product.index,
        spectral=product.spectral,
        level=product.level,
        tiles=(2, 2) if product.level == "ORT" else (1, 1),
        cloud_cover=product.cloud_cover,
        incidence=product.incidence,
        image=digital_numbers(reflectance, bands, 12, seed),
        **common,
    )
