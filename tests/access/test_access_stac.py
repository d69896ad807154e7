"""Items advertise the STAC Authentication extension for licensed collections only."""

from urllib.parse import urlsplit

from access.stac import AUTH_EXTENSION, Presenter, auth_fields, is_stored, present_item

API = "https://catalogue.dinamis.test"
LICENSED = {"pleiades"}


def item(collection: str) -> dict:
    return {
        "id": "X 1",
        "collection": collection,
        "properties": {},
        "assets": {
            "image": {"href": "/var/lib/dinamis/storage/x.tif"},
            "quicklook": {"href": "https://provider.test/ql.jpg"},
            "thumbnail": {"href": "/var/lib/dinamis/storage/x.png", "roles": ["thumbnail"]},
        },
    }


def test_auth_fields_for_licensed_and_open() -> None:
    fields = auth_fields("pleiades", API, LICENSED)
    assert (
        fields["auth:schemes"]["dinamis-signed-url"]["flows"]["signedUrl"]["authorizationApi"]
        == f"{API}/sign"
    )
    assert set(fields["auth:refs"]) == set(fields["auth:schemes"])
    assert auth_fields("spot-world-heritage", API, LICENSED) == {}


def test_present_item_rewrites_stored_assets_only() -> None:
    licensed = present_item(item("pleiades"), API, LICENSED)
    image = licensed["assets"]["image"]
    assert image["href"] == f"{API}/collections/pleiades/items/X%201/assets/image/download"
    assert image["auth:refs"]
    assert "auth:refs" not in licensed["assets"]["quicklook"]
    # Browse images are public: stored here, but served to anyone.
    thumbnail = licensed["assets"]["thumbnail"]
    assert thumbnail["href"].endswith("/assets/thumbnail/download")
    assert "auth:refs" not in thumbnail
    assert licensed["stac_extensions"] == [AUTH_EXTENSION]

    open_item = present_item(item("spot-world-heritage"), API, LICENSED)
    assert open_item["assets"]["image"]["href"].endswith("/download")
    assert "auth:schemes" not in open_item["properties"]
    assert "stac_extensions" not in open_item


def test_stored_paths_are_told_from_urls_as_urlsplit_does() -> None:
    hrefs = [
        "synthetic/x.tif",
        "/var/lib/dinamis/storage/x.tif",
        "file:///var/lib/x.tif",
        "FILE:/x.tif",
        "https://provider.test/ql.jpg",
        "HTTP://provider.test/ql.jpg",
        "s3://bucket/key.tif",
        "svn+ssh.v1-x://h/p",
        "1abc:/not-a-scheme",
        "dir:with/colon.tif",
        "./a:b",
        "",
    ]
    for href in hrefs:
        assert is_stored(href) == (urlsplit(href).scheme in ("", "file")), href


def test_items_of_one_answer_share_their_collections_fields() -> None:
    public = Presenter(API, LICENSED)
    first, second = public.present(item("pleiades")), public.present(item("pleiades"))
    assert first["properties"]["auth:schemes"] is second["properties"]["auth:schemes"]
    assert first["assets"]["image"]["auth:refs"] == [
        "dinamis-key",
        "dinamis-token",
        "dinamis-signed-url",
    ]
    assert public.present(item("spot-world-heritage"))["properties"] == {}
