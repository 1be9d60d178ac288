"""The stylesheet and script as production serves them: hashed, compressed, cached for long.

Runs with the production settings `make test` uses (DEBUG off, after collectstatic).
"""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static


@pytest.mark.parametrize("name", ["newsroom.css", "newsroom.js"])
def test_asset_is_served_hashed_compressed_and_long_cached(client, name):
    url = static(name)
    assert url != f"/static/{name}", "the name carries the content hash"
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]


def test_stylesheet_is_small():
    with staticfiles_storage.open(staticfiles_storage.stored_name("newsroom.css")) as css:
        assert len(css.read()) < 20_000
