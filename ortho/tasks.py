"""The queued ortho-rectification: a worker runs it, reporting progress on the job's run."""

import logging
from typing import Any

import procrastinate
import psycopg

from access import store as access_store
from dinamis.mail import MailSettings
from dinamis.refusal import N_
from dinamis.settings import get_settings
from jobs.reporting import RunReport
from ortho.geometry import GeometryError
from ortho.notify import notify
from ortho.publish import check_terms, publish, remove_partials, target_of
from ortho.scene import SceneError, read_scene
from ortho.settings import OrthoSettings
from ortho.warp import WarpCancelledError, WarpError, WarpOptions

log = logging.getLogger(__name__)

blueprint = procrastinate.Blueprint()


def _item(database_url: str, collection: str, item_id: str, target: str) -> dict[str, Any]:
    """The raw item, if its rectified pixels may be published in collection ``target`` (its
    licence is checked again here: it may have changed since the job was submitted)."""
    with psycopg.connect(database_url) as conn:
        item = access_store.get_item(conn, collection, item_id)
        check_terms(collection, target, access_store.licences_by_collection(conn))
    if item is None:
        raise SceneError(
            N_("the item %(collection)s/%(item)s was removed from the catalogue"),
            collection=collection,
            item=item_id,
        )
    return item


@blueprint.task(name="orthorectify", queue=OrthoSettings().queue, pass_context=True, retry=False)
def orthorectify(context: procrastinate.JobContext, input_hash: str, inputs: dict[str, Any]) -> str:
    """Rectify and publish the scene of ``inputs``; return the published item's id."""
    database_url = context.additional_context["database_url"]
    settings, ortho = get_settings(), OrthoSettings()
    source = f"{inputs['collection']}/{inputs['item']}"
    source_url = f"{settings.api_url}/collections/{inputs['collection']}/items/{inputs['item']}"
    assert context.job.id is not None
    with RunReport(database_url, input_hash, context.job.id) as report:
        report.started()
        try:
            scene = read_scene(
                _item(database_url, inputs["collection"], inputs["item"], ortho.collection),
                [settings.storage],
            )
            target = target_of(scene.item_id, input_hash, settings.storage, ortho.collection)
            options = WarpOptions(
                crs=inputs["crs"],
                resolution=inputs["resolution"],
                resampling=inputs["resampling"],
                dem=ortho.dem(inputs["dem"]),
                dem_crs=ortho.dem_crs.get(inputs["dem"]),
                nodata=scene.nodata,
                threads=ortho.threads,
                memory_mb=ortho.memory_mb,
            )
            publish(
                database_url, scene, target, options, inputs["dem"], source_url,
                report.progress, context.should_abort,
            )  # fmt: skip
        except WarpCancelledError:
            report.failed("cancelled at the requester's demand")
            raise procrastinate.exceptions.JobAborted() from None
        except (SceneError, GeometryError, WarpError, KeyError, OSError) as error:
            reason = str(error) if not isinstance(error, KeyError) else f"unknown DEM {error}"
            report.failed(reason)
            log.warning("ortho-rectification of %s failed: %s", source, reason)
            notify(MailSettings(), [e for _, e in report.requesters()], source, None, reason)
            raise
        item_url = f"{settings.api_url}/collections/{ortho.collection}/items/{target.item_id}"
        report.succeeded(
            {"collection": ortho.collection, "item": target.item_id},
            f"published as {ortho.collection}/{target.item_id}",
        )
        notify(MailSettings(), [e for _, e in report.requesters()], source, item_url)
    return target.item_id


def abandon(input_hash: str, inputs: dict[str, Any]) -> None:
    """Remove the partial file of a run whose worker died."""
    target = target_of(
        inputs["item"], input_hash, get_settings().storage, OrthoSettings().collection
    )
    remove_partials(target)
