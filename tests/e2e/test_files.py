"""Files for real: the demo's business case photos and training materials, written by
`score seed --demo` into the file store, streamed back by their services through the
gateway; an upload through the gateway is checked by its bytes, whatever its name and
declared type."""

import hashlib
import io

import httpx
from PIL import Image

from benchmarks.processes import Platform


def partner_key(platform: Platform) -> tuple[str, str]:
    """An EFP staff key, and the demo's Indus Knitwear (an EFP enterprise in Karachi)."""
    analyst = platform.api_key("ilo_global", name="e2e-files-ilo")
    organisations = httpx.get(
        f"{platform.gateway}/enrolment/organisations?limit=100", headers={"X-API-Key": analyst}
    ).json()["items"]
    efp = next(o for o in organisations if o["short_name"] == "EFP")
    key = platform.api_key("partner_staff", org=efp["id"], name="e2e-files-efp")
    enterprises = httpx.get(
        f"{platform.gateway}/enrolment/enterprises?limit=500", headers={"X-API-Key": key}
    ).json()["items"]
    indus = next(e for e in enterprises if e["name"] == "Indus Knitwear (Pvt) Ltd")
    return key, indus["id"]


def test_the_demo_photos_stream_through_the_gateway_and_uploads_are_sniffed(
    platform: Platform,
) -> None:
    key, enterprise = partner_key(platform)
    headers = {"X-API-Key": key}
    listed = httpx.get(
        f"{platform.gateway}/indicators/enterprises/{enterprise}/business-cases", headers=headers
    )
    assert listed.status_code == 200, listed.text
    [case] = listed.json()["items"]
    assert [p["stage"] for p in case["photos"]] == ["before", "after"]
    photo = case["photos"][0]
    got = httpx.get(
        f"{platform.gateway}/indicators/business-cases/{case['id']}/photos/{photo['id']}/file",
        headers=headers,
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == photo["sha256"]
    assert Image.open(io.BytesIO(got.content)).size == (320, 200)

    url = f"{platform.gateway}/indicators/business-cases/{case['id']}/photos"
    form = {"stage": "after", "caption": "A second look"}
    disguised = httpx.post(
        url,
        data=form,
        files={"photo": ("after.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "image/jpeg")},
        headers=headers,
    )
    assert disguised.status_code == 415, disguised.text
    assert disguised.json()["errors"][0]["field"] == "body.photo"
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 0)).save(png, format="PNG")
    sent = httpx.post(
        url, data=form, files={"photo": ("x.gif", png.getvalue(), "image/gif")}, headers=headers
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["content_type"], sent.json()["file_name"]) == ("image/png", "x.png")


def test_the_demo_materials_library_serves_every_version_through_the_gateway(
    platform: Platform,
) -> None:
    key, _ = partner_key(platform)
    headers = {"X-API-Key": key}
    listed = httpx.get(
        f"{platform.gateway}/enrolment/modules/workplace_cooperation/materials",
        params={"language": "en"},
        headers=headers,
    )
    assert listed.status_code == 200, listed.text
    [guide] = listed.json()
    assert [v["version"] for v in guide["versions"]] == [2, 1]
    for version in guide["versions"]:
        got = httpx.get(
            f"{platform.gateway}/enrolment/materials/{guide['id']}/versions/"
            f"{version['version']}/file",
            headers=headers,
        )
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(got.content).hexdigest() == version["sha256"]
    # Publishing is the ILO's: a partner's upload is refused before its file is read.
    refused = httpx.post(
        f"{platform.gateway}/enrolment/materials/{guide['id']}/versions",
        files={"file": ("guide.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=headers,
    )
    assert refused.status_code == 403, refused.text
