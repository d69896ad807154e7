"""The STAPI products of the rules: each with the order parameters its requests take (bounds
from the rules, so the published schema is what the checks enforce)."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints, create_model
from stapi_pydantic import OpportunityProperties, OrderParameters, Provider, Queryables

from orders.rules import Family, Kind, ProductRules, View

GEOJSON_POLYGON = "https://geojson.org/schema/Polygon.json"
GEOJSON_MULTIPOLYGON = "https://geojson.org/schema/MultiPolygon.json"
PROVIDERS = [
    Provider(
        name="DINAMIS",
        roles=["host", "processor"],
        url="https://dinamis.data-terra.org",
    ),
    Provider(
        name="Airbus Defence and Space",
        roles=["producer", "licensor"],
        url="https://www.intelligence-airbusds.com",
    ),
]

SceneId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PassProperties(OpportunityProperties):
    """An opportunity: one pass of a satellite over the area of interest."""

    platform: str
    view_incidence_angle: float = Field(alias="view:incidence_angle")
    view_azimuth: float = Field(alias="view:azimuth")
    culmination: str


class NoQueryables(Queryables):
    """Opportunities and orders take no CQL2 filter: constraints are order parameters."""


def parameters_model(product: ProductRules, purpose_chars: int) -> type[OrderParameters]:
    """The order parameters of ``product``, with the rules' bounds; ``purpose`` is free text
    of at most ``purpose_chars`` characters."""
    fields: dict[str, Any] = {
        "purpose": (
            str | None,
            Field(
                None,
                max_length=purpose_chars,
                description="What the images are for (the programme reports its uses).",
            ),
        )
    }
    if product.kind is Kind.ARCHIVE:
        fields["scenes"] = (
            list[SceneId],
            Field(
                min_length=1,
                max_length=product.max_scenes,
                description="Ids of scenes of the provider's archive collection to produce.",
            ),
        )
    else:
        fields["view"] = (
            View,
            Field(View.MONO, description="mono, stereo (2 images) or tristereo (3 images)."),
        )
        fields["max_cloud_cover"] = (
            int,
            Field(20, ge=0, le=100, description="Cloud cover (%) above which a try fails."),
        )
        fields["max_incidence_angle"] = (
            float,
            Field(
                min(30.0, product.max_incidence_angle),
                gt=0,
                le=product.max_incidence_angle,
                description="Largest incidence angle (degrees) of an acceptable acquisition.",
            ),
        )
        if product.family is Family.SPOT:
            fields["attempts"] = (
                int,
                Field(
                    1,
                    ge=1,
                    le=product.max_attempts,
                    description="Acquisition tries to programme (each counts, successful or not).",
                ),
            )
    name = "".join(part.capitalize() for part in product.id.split("-")) + "Parameters"
    return create_model(name, __base__=OrderParameters, **fields)
