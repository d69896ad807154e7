"""The home page and the how-to pages."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from portal.web import WebDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(page: WebDep) -> HTMLResponse:
    return page.render("home.html")


@router.get("/help/qgis", response_class=HTMLResponse)
async def qgis(page: WebDep) -> HTMLResponse:
    return page.render("qgis.html")
