# One image for the STAC API, the tiler, the portal and the command line (ingest, migrations).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

# gdalwarp ortho-rectifies raw scenes in `dinamis worker` (Debian's GDAL command-line tools);
# proj-data holds the EGM96 geoid grid that turns SRTM-like DEM heights into ellipsoidal ones.
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin proj-data \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY dinamis ./dinamis
COPY stac_api ./stac_api
COPY tiler ./tiler
COPY ingest ./ingest
COPY access ./access
COPY orders ./orders
COPY portal ./portal
COPY stats ./stats
COPY coverages ./coverages
COPY demo ./demo
COPY jobs ./jobs
COPY ortho ./ortho
COPY collections ./collections
# Editable so that the package finds collections/ beside it, as in a checkout.
RUN pip install -e . \
    && useradd --system --uid 1000 dinamis \
    && mkdir -p /var/lib/dinamis/storage && chown -R dinamis /var/lib/dinamis
USER dinamis

EXPOSE 8081 8082 8083
CMD ["dinamis", "--help"]
