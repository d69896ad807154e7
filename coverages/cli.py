"""Operator commands for coverages, mounted as ``dinamis coverage ...``."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from coverages import store
from coverages.build import build
from coverages.settings import CoverageSettings
from coverages.store import CoverageError, NotFoundError
from dinamis.database import EmbeddedDatabaseError, database_url
from dinamis.settings import get_settings

app = typer.Typer(
    help="National coverages (e.g. SPOT 6/7 2020 over France) served as one layer at every "
    "zoom: declare them, build their low-resolution pyramid, list, drop.",
    no_args_is_help=True,
)

CoverageId = Annotated[str, typer.Argument(help="Coverage id, e.g. spot-6-7-2020.")]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def _url() -> str:
    try:
        return database_url(get_settings())
    except EmbeddedDatabaseError as error:
        raise _fail(str(error)) from error


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (CoverageError, NotFoundError) as error:
        raise _fail(str(error)) from error


@app.command("declare")
def declare(
    coverage_id: CoverageId,
    title: Annotated[str, typer.Option(help="What users see, e.g. 'SPOT 6/7 2020 France'.")],
    collection: Annotated[
        list[str] | None, typer.Option(help="Collection of the items (repeat for several).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Items acquired that year (UTC).")] = None,
    cql2_filter: Annotated[
        str | None,
        typer.Option("--filter", help='CQL2 filter, text or JSON (e.g. "eo:cloud_cover < 10").'),
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Hash of a search registered on the tiler (/searches).")
    ] = None,
    asset: Annotated[str, typer.Option(help="The items' image asset.")] = "data",
) -> None:
    """Declare a coverage (or redefine it) from a collection and a year, a CQL2 filter, or a
    saved search. Build its pyramid next: `dinamis coverage build ID`."""
    collections = collection or []
    with _refusals(), psycopg.connect(_url()) as conn:
        if search:
            if year is not None or cql2_filter or collections:
                raise CoverageError("--search stands alone: no --collection, --year or --filter")
            body = store.saved_search(conn, search)
        elif year is not None:
            if len(collections) != 1 or cql2_filter:
                raise CoverageError("--year needs exactly one --collection, and no --filter")
            body = store.year_search(collections[0], year)
        elif cql2_filter:
            body = store.filter_search(collections, cql2_filter)
        else:
            raise CoverageError("say which items: --collection and --year, --filter or --search")
        coverage = store.declare(conn, coverage_id, title, body, asset)
    typer.echo(f"coverage {coverage.id} declared (search {coverage.search_hash})")


@app.command("list")
def list_coverages() -> None:
    """The coverages, their pyramid (zoom, items, when built) and its file."""
    with psycopg.connect(_url()) as conn:
        coverages = store.list_all(conn)
    if not coverages:
        typer.echo("no coverage declared (dinamis coverage declare --help)")
    for c in coverages:
        p = c.pyramid
        built = (
            f"pyramid zoom 0-{p.zoom}, {p.item_count} items, built {p.built_at:%Y-%m-%d %H:%M} "
            f"in {p.build_seconds:.0f} s"
            if p
            else "not built"
        )
        typer.echo(f"{c.id}\t{c.title}\t{','.join(c.collections) or 'any collection'}\t{built}")


@app.command("build")
def build_command(
    coverage_ids: Annotated[
        list[str] | None, typer.Argument(help="Coverages to build (default: every one).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Rebuild even when the items have not changed.")
    ] = False,
) -> None:
    """Build the pyramid of coverages whose items changed since their last build (or that
    have none): the job to run after ingesting, or nightly."""
    url = _url()
    settings = CoverageSettings()
    if not coverage_ids:
        with psycopg.connect(url) as conn:
            coverage_ids = [c.id for c in store.list_all(conn)]
    failed = 0
    for coverage_id in coverage_ids:
        # One coverage that cannot be built does not hold up the others.
        try:
            _build_one(url, coverage_id, settings, force)
        except (CoverageError, NotFoundError) as error:
            typer.secho(f"{coverage_id}: error: {error}", err=True, fg="red")
            failed += 1
    if failed:
        raise typer.Exit(1)


def _build_one(url: str, coverage_id: str, settings: CoverageSettings, force: bool) -> None:
    with Progress(
        TextColumn(f"{coverage_id} [progress.description]{{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("reading items", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        outcome = build(url, coverage_id, settings, force=force, progress=advance)
    for reason in outcome.skipped:
        typer.secho(f"{coverage_id}: left out {reason}", err=True, fg="yellow")
    if outcome.pyramid is None:
        typer.echo(f"{coverage_id}: up to date (its items have not changed)")
        return
    p = outcome.pyramid
    typer.echo(
        f"{coverage_id}: pyramid of {p.item_count} items, zoom 0-{p.zoom}, built in "
        f"{p.build_seconds:.1f} s ({Path(p.path).stat().st_size / 1e6:,.1f} MB)"
    )


@app.command("drop")
def drop(coverage_id: CoverageId) -> None:
    """Forget a coverage and delete its pyramid (its items stay in the catalogue)."""
    with _refusals():
        with psycopg.connect(_url()) as conn:
            coverage = store.drop(conn, coverage_id)
        if coverage.pyramid:
            # Its folder: the pyramid and the one it replaced.
            shutil.rmtree(Path(coverage.pyramid.path).parent, ignore_errors=True)
    typer.echo(f"coverage {coverage_id} dropped")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="coverage")
