"""Procedural landscapes: deterministic, smooth like imagery, with the coast and clouds where
the terrain and the cloud cover say."""

import numpy as np
import pytest

from demo.landscape import BANDS, Terrain, clouds, fractal, ground, scene

NIR = BANDS.index("nir")
COAST = Terrain(seed=5, sea_azimuth=180, coast_distance=0, town_radius=300)


def test_same_seed_same_picture_other_seed_other_picture() -> None:
    first = scene(COAST, 200, 150, 5.0, 0.5, 20, cloud_seed=1)
    assert first.shape == (len(BANDS), 150, 200)
    np.testing.assert_array_equal(first, scene(COAST, 200, 150, 5.0, 0.5, 20, cloud_seed=1))
    other = Terrain(seed=6, sea_azimuth=180, coast_distance=0, town_radius=300)
    assert not np.array_equal(first, scene(other, 200, 150, 5.0, 0.5, 20, cloud_seed=1))
    assert not np.array_equal(first, scene(COAST, 200, 150, 5.0, 0.5, 20, cloud_seed=2))


def test_noise_is_smooth_and_spans_its_range() -> None:
    axis = np.arange(400, dtype=np.float32)
    noise = fractal(1, axis, axis, 200, 4)
    assert noise.min() < -0.3 and noise.max() > 0.3 and np.abs(noise).max() <= 1
    # Neighbours alike, far pixels not: texture, not salt and pepper.
    near = np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]
    far = np.corrcoef(noise[:, :-200].ravel(), noise[:, 200:].ravel())[0, 1]
    assert near > 0.95 and abs(far) < 0.5


@pytest.mark.parametrize("gsd", [0.5, 2.0, 20.0])
def test_sea_lies_where_the_terrain_puts_it(gsd: float) -> None:
    image = ground(COAST, 300, 300, gsd, 0.5)
    # Sea to the south: the bottom rows are water (dark in the near infrared), the top land.
    assert image[NIR, -5:].mean() < 0.05
    assert image[NIR, :5].mean() > 0.1
    assert ((image >= 0) & (image <= 1)).all()


def test_pictures_look_like_imagery_at_every_resolution() -> None:
    inland = Terrain(seed=9, river_azimuth=30, town_radius=800)
    for gsd in (0.5, 2.0, 6.0, 20.0):
        red = ground(inland, 400, 400, gsd, 0.4)[BANDS.index("red")]
        assert red.std() / red.mean() > 0.1, gsd  # not flat
        assert len(np.unique(red)) > 1000, gsd
        near = np.corrcoef(red[:, :-1].ravel(), red[:, 1:].ravel())[0, 1]
        assert near > 0.8, gsd  # not noise


@pytest.mark.parametrize("cover", [0.0, 10.0, 45.0])
def test_clouds_cover_the_stated_share(cover: float) -> None:
    opacity, shadow = clouds(3, 300, 300, 6.0, cover)
    assert (opacity > 0.5).mean() * 100 == pytest.approx(cover, abs=3)
    assert (shadow > 0).any() == (cover > 0)
