"""Which of the real sample products of tests/data ingest as a whole.

Left out, with the reason: the dimap2 ``single_component`` sample has no Dataset_Extent (no
footprint) and placeholder angles; ``primary_rpc_center_h`` has no Strip_Source and a
placeholder RPC; ``shareloc`` holds an RPC file only.
"""

import shutil
from pathlib import Path

READY = ("gdal-autotest/dimap2/vhr2020_ms_fs/VOL_PNEO.XML",)
# GDAL's SPOT 4 scene: IMAGERY.TIF is a VRT reading rgbsmall.tif from its own folder, while
# the sample keeps rgbsmall.tif one level up, as GDAL's test suite copies it before opening.
SPOT_SCENE = ("gdal-autotest/dimap", ("METADATA.DIM", "IMAGERY.TIF"), "gdal-autotest/rgbsmall.tif")


def sample_paths(samples_dir: Path, staging_dir: Path) -> list[Path]:
    """Ingestible sample products; the SPOT scene is assembled under ``staging_dir``."""
    paths = [samples_dir / p for p in READY if (samples_dir / p).is_file()]
    folder, files, image = SPOT_SCENE
    if all((samples_dir / folder / f).is_file() for f in files) and (samples_dir / image).is_file():
        staged = staging_dir / "spot4-scene-1a"
        staged.mkdir(parents=True, exist_ok=True)
        for source in [*(samples_dir / folder / f for f in files), samples_dir / image]:
            shutil.copy2(source, staged / source.name)
        paths.append(staged / "METADATA.DIM")
    return paths
