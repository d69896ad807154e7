"""RPC_*.XML (DIMAP v2 rational function model) to the RPCs GDAL stores in a GeoTIFF."""

from pathlib import Path

from rasterio.rpc import RPC

from ingest.dimapxml import Node
from ingest.model import IngestError

# Pléiades writes the ground→image model as Inverse_Model, Pléiades Neo as GroundtoImage_Values.
MODELS = ("Global_RFM/Inverse_Model", "Global_RFM/GroundtoImage_Values")


def read_rpc(file: Path) -> RPC:
    root = Node.parse(file)
    model = next(
        (node for path in MODELS if (node := root.find(f"Rational_Function_Model/{path}"))),
        None,
    )
    validity = root.find("Rational_Function_Model/Global_RFM/RFM_Validity")
    if model is None or validity is None:
        raise IngestError(f"{file.name}: no ground-to-image model with its validity domain")

    def coefficients(name: str) -> list[float]:
        return [model.required_number(f"{name}_{i}") for i in range(1, 21)]

    return RPC(
        height_off=validity.required_number("HEIGHT_OFF"),
        height_scale=validity.required_number("HEIGHT_SCALE"),
        lat_off=validity.required_number("LAT_OFF"),
        lat_scale=validity.required_number("LAT_SCALE"),
        long_off=validity.required_number("LONG_OFF"),
        long_scale=validity.required_number("LONG_SCALE"),
        # DIMAP counts pixels from 1, GDAL from 0.
        line_off=validity.required_number("LINE_OFF") - 1,
        line_scale=validity.required_number("LINE_SCALE"),
        samp_off=validity.required_number("SAMP_OFF") - 1,
        samp_scale=validity.required_number("SAMP_SCALE"),
        line_num_coeff=coefficients("LINE_NUM_COEFF"),
        line_den_coeff=coefficients("LINE_DEN_COEFF"),
        samp_num_coeff=coefficients("SAMP_NUM_COEFF"),
        samp_den_coeff=coefficients("SAMP_DEN_COEFF"),
    )
