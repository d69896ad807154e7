"""Procedural landscapes: ground reflectance around a place, as numpy arrays.

A landscape is a function of the ground position in metres from a place's centre, so every
product over the same place shows the same coast, river, fields, roads and town whatever its
sensor, resolution or geometry. Details finer than two pixels are left out (no aliasing), and
every random choice comes from a hash of the seed and a lattice position: deterministic.
"""

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

# Hash constants (large odd numbers): lattice position and seed to a 32-bit value.
_PRIMES = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D], dtype=np.uint64)
_MASK = np.uint64(0xFFFFFFFF)


class Cover(IntEnum):
    """Land covers; their reflectance is a row of REFLECTANCE."""

    deep_water = 0
    shallow_water = 1
    sand = 2
    green_crop = 3
    ripe_crop = 4
    bare_soil = 5
    forest = 6
    grass = 7
    roof = 8
    road = 9
    cloud = 10


# Top-of-atmosphere reflectance in blue, green, red, near infrared, short-wave infrared.
REFLECTANCE = np.array(
    [
        [0.060, 0.045, 0.025, 0.015, 0.010],
        [0.080, 0.085, 0.060, 0.030, 0.012],
        [0.250, 0.290, 0.330, 0.370, 0.420],
        [0.040, 0.085, 0.045, 0.420, 0.200],
        [0.090, 0.150, 0.200, 0.300, 0.330],
        [0.100, 0.140, 0.190, 0.240, 0.320],
        [0.030, 0.055, 0.030, 0.300, 0.130],
        [0.050, 0.090, 0.070, 0.330, 0.220],
        [0.120, 0.135, 0.150, 0.190, 0.240],
        [0.140, 0.145, 0.150, 0.160, 0.190],
        [0.720, 0.740, 0.750, 0.760, 0.600],
    ],
    dtype=np.float32,
)
BANDS = ("blue", "green", "red", "nir", "swir")
# Terracotta tiles against grey concrete.
TILE_TINT = np.array([0.75, 0.85, 1.3, 1.0, 1.05], dtype=np.float32)
# Fields of a place: which covers, in which proportions.
TEMPERATE = {Cover.green_crop: 4, Cover.ripe_crop: 3, Cover.bare_soil: 2, Cover.grass: 2}
TROPICAL = {Cover.forest: 5, Cover.green_crop: 3, Cover.grass: 2, Cover.bare_soil: 1}
ARID = {Cover.bare_soil: 5, Cover.grass: 2, Cover.ripe_crop: 2, Cover.sand: 1}


@dataclass(frozen=True)
class Terrain:
    """What a place's ground is made of, in a few numbers."""

    seed: int
    sea_azimuth: float | None = None
    """Direction of the sea from the centre, degrees clockwise from north; None inland."""
    coast_distance: float = 0.0
    """Metres from the centre to the coast, towards the sea."""
    river_azimuth: float | None = None
    """Direction in which a river crosses the centre; None without a river."""
    town_radius: float = 1500.0
    town_offset: tuple[float, float] = (0.0, 0.0)
    """Metres east and north from the centre to the town's."""
    field_azimuth: float = 20.0
    """Orientation of the field patchwork."""
    fields: dict[Cover, int] | None = None
    forest: float = 0.25
    """Share of the land under woods (0-1)."""
    wetland: float = 0.0
    """Share of the land under ponds and lagoons (0-1)."""


def _hash(seed: int, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """A uniform value in [0, 1) per integer lattice position."""
    # Through int64: a negative float cast straight to uint64 differs between platforms.
    h = ix.astype(np.int64).view(np.uint64) * _PRIMES[0]
    h = h + iy.astype(np.int64).view(np.uint64) * _PRIMES[1]
    h = (h + np.uint64(seed) * _PRIMES[2]) & _MASK
    h ^= h >> np.uint64(15)
    h = (h * _PRIMES[1]) & _MASK
    h ^= h >> np.uint64(13)
    h = (h * _PRIMES[2]) & _MASK
    h ^= h >> np.uint64(16)
    return (h & np.uint64(0xFFFFFF)).astype(np.float32) / np.float32(0x1000000)


def _axis(coordinates: np.ndarray, wavelength: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Lattice cell (from 0) and smoothstep weight of each coordinate, and the first cell."""
    scaled = coordinates / np.float32(wavelength)
    cell = np.floor(scaled)
    t = scaled - cell
    first = int(cell.min())
    return cell.astype(np.int64) - first, (t * t * (3 - 2 * t)).astype(np.float32), first


def value_noise(seed: int, x: np.ndarray, y: np.ndarray, wavelength: float) -> np.ndarray:
    """Smooth noise in [-1, 1], features ``wavelength`` metres apart, on the grid of the
    1-D coordinates ``x`` (columns) and ``y`` (rows)."""
    i, sx, left = _axis(x, wavelength)
    j, sy, bottom = _axis(y, wavelength)
    cols = np.arange(left, left + int(i.max()) + 2) + (1 << 20)
    rows = np.arange(bottom, bottom + int(j.max()) + 2) + (1 << 20)
    lattice = _hash(seed, cols[None, :], rows[:, None])
    # Separable interpolation: along rows on the small lattice, then along columns.
    by_row = lattice[j] + (lattice[j + 1] - lattice[j]) * sy[:, None]
    left_values = by_row[:, i]
    return (left_values + (by_row[:, i + 1] - left_values) * sx[None, :]) * 2 - 1


def fractal(
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    largest: float,
    smallest: float,
    roughness: float = 0.5,
) -> np.ndarray:
    """Octaves of value noise from ``largest`` down to ``smallest`` metres, about [-1, 1];
    octaves weighing under 2 % of the first are left out (invisible, and they cost)."""
    total = np.zeros((y.size, x.size), dtype=np.float32)
    amplitude, norm, wavelength, octave = 1.0, 0.0, largest, 0
    while (wavelength >= smallest and amplitude >= 0.02) or octave == 0:
        octave_noise = value_noise(seed + 101 * octave, x, y, wavelength)
        octave_noise *= np.float32(amplitude)
        total += octave_noise
        norm += amplitude
        amplitude *= roughness
        wavelength /= 2
        octave += 1
    return total / np.float32(norm)


def _line(distance: np.ndarray, width: float, gsd: float) -> np.ndarray:
    """Coverage (0-1) of a pixel by a line ``width`` metres wide at ``distance`` from it."""
    return np.clip((width / 2 - np.abs(distance)) / gsd + 0.5, 0, 1).astype(np.float32, copy=False)


def _mix(base: np.ndarray, cover: Cover | np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``base`` (modified in place) blended towards ``cover`` by ``weight`` (0-1) per pixel."""
    colour = REFLECTANCE[cover] if isinstance(cover, Cover) else cover
    colour = colour[:, None, None] if colour.ndim == 1 else colour
    change = colour - base
    change *= weight[None]
    base += change
    return base


def _grid(width: int, height: int, gsd: float) -> tuple[np.ndarray, np.ndarray]:
    """Metres east of the centre per column and north of it per row (pixel centres)."""
    east = (np.arange(width, dtype=np.float32) + 0.5 - width / 2) * np.float32(gsd)
    north = (height / 2 - np.arange(height, dtype=np.float32) - 0.5) * np.float32(gsd)
    return east, north


def ground(terrain: Terrain, width: int, height: int, gsd: float, season: float) -> np.ndarray:
    """Reflectance (5 bands as BANDS, rows, columns) of ``width`` x ``height`` pixels of
    ``gsd`` metres centred on the place; ``season`` (0-1, 0.5 = summer) ripens the crops."""
    seed = terrain.seed
    ex, ny = _grid(width, height, gsd)
    east, north = ex[None, :], ny[:, None]
    fine = max(2 * gsd, 4.0)

    def noise(offset: int, largest: float, smallest: float, roughness: float = 0.5):
        return fractal(seed + offset, ex, ny, largest, max(fine, smallest), roughness)

    # One fine grain for tree crowns, swell and the texture of everything: no two pixels alike.
    grain = noise(19, 200, 0)
    # Boundaries wander a little, so nothing looks ruled.
    warp_e = east + 60 * noise(1, 1600, 100)
    warp_n = north + 60 * noise(2, 1600, 100)

    # Field patchwork: rows of fields of varying widths along a rotated grid.
    angle = math.radians(terrain.field_azimuth)
    along = warp_e * math.cos(angle) + warp_n * math.sin(angle)
    across = -warp_e * math.sin(angle) + warp_n * math.cos(angle)
    depth = 170.0
    row = np.floor(across / depth)
    row_width = 90 + 260 * _hash(seed + 3, row, row)
    shifted = along + 1000 * _hash(seed + 4, row, row)
    column = np.floor(shifted / row_width)
    palette = terrain.fields or TEMPERATE
    covers = list(palette)
    shares = np.cumsum([palette[c] for c in covers], dtype=np.float32)
    kind = np.searchsorted(shares / shares[-1], _hash(seed + 5, column, row), side="right")
    kind = kind.clip(0, len(covers) - 1)
    # Crops are green in spring, ripe in late summer.
    green, ripe = REFLECTANCE[Cover.green_crop], REFLECTANCE[Cover.ripe_crop]
    colours = REFLECTANCE[covers].copy()
    colours[[c is Cover.green_crop for c in covers]] = ripe + (green - ripe) * max(
        0.0, 1 - abs(season - 0.35) * 2.5
    )
    image = np.stack([band[kind] for band in colours.T])
    image *= (0.85 + 0.3 * _hash(seed + 6, column, row))[None]
    if gsd <= 2.5:  # crop rows, where pixels are small enough to show them
        image *= (1 + 0.06 * np.sin(along * (2 * math.pi / 7.0)) * (kind == 0))[None]
    # Hedges and tracks along field edges.
    to_row_edge = np.abs(across - (row + 0.5) * depth) - depth / 2
    to_field_edge = np.abs(shifted - (column + 0.5) * row_width) - row_width / 2
    hedge = np.maximum(_line(to_row_edge, 8, gsd), _line(to_field_edge, 5, gsd))
    image = _mix(image, Cover.forest, hedge * 0.7)

    # Woods: large blobs with a crown texture.
    woods = np.clip((noise(7, 3000, 20) + (2 * terrain.forest - 1) * 0.45) / 0.08, 0, 1)
    crowns = 1 + 0.3 * grain
    image = _mix(image, REFLECTANCE[Cover.forest][:, None, None] * crowns[None], woods)

    # Town: blocks of roofs (tiles or concrete) and streets, thinning out from the centre.
    town_e, town_n = east - terrain.town_offset[0], north - terrain.town_offset[1]
    distance = np.sqrt(town_e * town_e + town_n * town_n)
    urban = np.clip((1 - distance / terrain.town_radius + 0.4 * noise(9, 1200, 50)) * 3, 0, 1)
    block_e, block_n = np.floor(warp_e / 70), np.floor(warp_n / 55)
    tiles = (_hash(seed + 11, block_e, block_n) < 0.45)[None]
    tint = np.where(tiles, TILE_TINT[:, None, None], 1)
    roof = REFLECTANCE[Cover.roof][:, None, None] * tint
    roof = roof * (0.6 + 0.8 * _hash(seed + 10, block_e, block_n))[None]
    # Buildings of about 18 m, with gardens between them where the town thins out.
    lot_e, lot_n = np.floor(warp_e / 18), np.floor(warp_n / 18)
    built = _hash(seed + 20, lot_e, lot_n) < 0.35 + 0.6 * urban
    garden = np.where(_hash(seed + 21, lot_e, lot_n) < 0.75, Cover.grass, Cover.forest)
    lots = np.where(built[None], roof, np.moveaxis(REFLECTANCE[garden], -1, 0))
    image = _mix(image, lots, urban)
    streets = np.maximum(
        _line(np.abs(warp_e - (block_e + 0.5) * 70) - 35, 12, gsd),
        _line(np.abs(warp_n - (block_n + 0.5) * 55) - 27.5, 10, gsd),
    )
    image = _mix(image, Cover.road, streets * urban)

    # Main roads: three crossing the area, and along some rows of fields.
    roads = _line(to_row_edge, 10, gsd) * (_hash(seed + 14, row, row) < 0.2)
    bends = 20 * noise(13, 2000, 200)
    for k in range(3):
        heading = math.radians(360 * float(_hash(seed + 12, np.array(k), np.array(0))))
        away = 1600 * (float(_hash(seed + 12, np.array(k), np.array(1))) - 0.5)
        sideways = east * math.cos(heading) - north * math.sin(heading) - away
        roads = np.maximum(roads, _line(sideways + bends * (k - 1), 14, gsd))
    image = _mix(image, Cover.road, roads)

    # Water: ponds and lagoons, a river with its riverside woods, the sea, beach and shallows.
    water = np.zeros_like(urban)
    if terrain.wetland:
        water = np.clip((noise(15, 2500, 20) + (2 * terrain.wetland - 1) * 0.45) / 0.05, 0, 1)
    if terrain.river_azimuth is not None:
        heading = math.radians(terrain.river_azimuth)
        downstream = east * math.sin(heading) + north * math.cos(heading)
        sideways = east * math.cos(heading) - north * math.sin(heading)
        # A meander is a function of the distance downstream only: computed along a line.
        course = np.arange(downstream.min() - gsd, downstream.max() + 2 * gsd, gsd, np.float32)
        bend = 500 * fractal(seed + 16, course, np.zeros(1, np.float32), 4000, 200)[0]
        offset = sideways - np.interp(downstream, course, bend).astype(np.float32)
        image = _mix(image, Cover.forest, _line(offset, 260, gsd) * 0.8)
        water = np.maximum(water, _line(offset, 140, gsd))
    image = _mix(image, Cover.shallow_water, water)
    if terrain.sea_azimuth is not None:
        heading = math.radians(terrain.sea_azimuth)
        seaward = east * math.sin(heading) + north * math.cos(heading) - terrain.coast_distance
        # Bays and capes, the coast passing ``coast_distance`` from the centre all the same.
        bays = 3000 * noise(17, 16000, 10, roughness=0.55)
        origin = np.zeros(1, np.float32)
        at_centre = fractal(seed + 17, origin, origin, 16000, max(fine, 10), 0.55)
        seaward = seaward + bays - 3000 * at_centre
        image = _mix(image, Cover.sand, np.clip((seaward + 60) / gsd + 0.5, 0, 1))
        shallow, deep = REFLECTANCE[Cover.shallow_water], REFLECTANCE[Cover.deep_water]
        sea = shallow[:, None, None] + (deep - shallow)[:, None, None] * np.clip(
            seaward / 600, 0, 1
        )
        sea *= (1 + 0.08 * grain)[None]
        image = _mix(image, sea, np.clip(seaward / gsd + 0.5, 0, 1))
    image *= (1 + 0.07 * grain)[None]
    return image


def clouds(
    seed: int, width: int, height: int, gsd: float, cover: float
) -> tuple[np.ndarray, np.ndarray]:
    """Opacity of clouds covering ``cover`` percent of the image, and of their shadows."""
    if cover <= 0:
        empty = np.zeros((height, width), dtype=np.float32)
        return empty, empty
    east, north = _grid(width, height, gsd)
    size = max(width, height) * gsd
    density = fractal(seed, east, north, size / 2, max(2 * gsd, size / 400), roughness=0.6)
    threshold = np.quantile(density[::4, ::4], 1 - min(cover, 100) / 100)
    # Half opaque at the threshold: the share of mostly cloudy pixels is the cover.
    opacity = np.clip((density - threshold) / 0.12 + 0.5, 0, 1)
    shift = max(1, round(size * 0.02 / gsd))
    shadow = np.zeros_like(opacity)
    shadow[shift:, shift:] = opacity[:-shift, :-shift]
    return opacity, np.clip(shadow - opacity, 0, 1)


def scene(
    terrain: Terrain,
    width: int,
    height: int,
    gsd: float,
    season: float,
    cloud_cover: float,
    cloud_seed: int,
) -> np.ndarray:
    """Ground with clouds and their shadows: what a satellite sees, as reflectance."""
    image = ground(terrain, width, height, gsd, season)
    opacity, shadow = clouds(cloud_seed, width, height, gsd, cloud_cover)
    image *= 1 - 0.4 * shadow[None]
    return _mix(image, Cover.cloud, opacity)
