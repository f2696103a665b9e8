"""Scans of a case (附件) over the REST API: who may attach, list, open and withdraw them; what a scan must be;
the per-file and per-case limits; content-addressed storage, on a local folder and on an S3-compatible store."""

import io
import socket
import struct
import zlib
from urllib.parse import quote

import boto3
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from engine.attachments import checks, service, store
from engine.core.errors import Conflict
from tests.scenarios import ALL_MATERIALS, APPROVE, start_at_village, work

ID_CARD, INVOICE, LIST = ALL_MATERIALS[0], ALL_MATERIALS[1], ALL_MATERIALS[2]
AGENT = "qujiangcun.village_agent"
TOWNSHIP_CLERK = "qujiang.township_clerk"
OTHER_TOWNSHIP = "xiaogang.township_clerk"


# --- real files, made here ---------------------------------------------------------------------


def png(width=640, height=480, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_turned(width=800, height=400) -> bytes:
    """A landscape JPEG whose EXIF says: turn 90° clockwise to view (a phone held upright)."""
    image = Image.new("RGB", (width, height), (30, 90, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def pdf(pages=2, padding=0, password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_attachment("padding.bin", b"\0" * padding)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def scans_dir(tmp_path):
    """Scans go to a folder of the test's own; the store in place before comes back afterwards."""
    folder = tmp_path / "attachments"
    previous = store.use(store.LocalStore(folder))
    yield folder
    store.use(previous)


def stored_objects(folder):
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


def upload(caller, case_id, material, name, data):
    return caller.post(
        f"/api/instances/{case_id}/attachments",
        data={"material": material, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def attached(caller, case_id, material, name, data):
    response = upload(caller, case_id, material, name, data)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def delete(client, caller, attachment_id):
    return client.delete(f"/api/attachments/{attachment_id}", headers=caller.headers)


def listing(caller, case_id):
    response = caller.get(f"/api/instances/{case_id}/attachments")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(as_user, case_id):
    return as_user("fengcheng.admin").get(f"/api/instances/{case_id}").get_json()["history"]


# --- attaching, listing, opening -----------------------------------------------------------------


def test_the_village_agent_attaches_invoices_and_the_id_card_listed_with_pages_and_thumbnails(
    fresh, as_user, scans_dir
):
    case = start_at_village(as_user)
    agent = as_user(AGENT)
    first = attached(agent, case["id"], INVOICE, "发票一.png", png())
    document = pdf(pages=3)
    second = attached(agent, case["id"], INVOICE, "发票二.pdf", document)
    card = attached(agent, case["id"], ID_CARD, "身份证.jpg", jpeg_turned())

    rows = listing(agent, case["id"])
    assert [(r["material"], r["file_name"], r["content_type"], r["pages"], r["has_thumbnail"]) for r in rows] == [
        (INVOICE, "发票一.png", "image/png", None, True),
        (INVOICE, "发票二.pdf", "application/pdf", 3, False),
        (ID_CARD, "身份证.jpg", "image/jpeg", None, True),
    ]
    assert [r["id"] for r in rows] == [first["id"], second["id"], card["id"]]
    assert all(r["stage"] == "受理" and r["uploaded_by"]["username"] == AGENT and r["uploaded_at"] for r in rows)
    assert rows[1]["size"] == len(document)

    thumb = agent.get(f"/api/attachments/{card['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    small = Image.open(io.BytesIO(thumb.data))
    assert small.format == "JPEG" and max(small.size) <= 320
    assert small.height > small.width  # turned upright as the camera's EXIF said
    assert agent.get(f"/api/attachments/{second['id']}/thumbnail").status_code == 404  # a PDF has none
    assert history(as_user, case["id"])[-1]["action"] == "attachment_added"
    assert not any(e["action"] == "attachment_viewed" for e in history(as_user, case["id"]))  # thumbnails aren't


def test_the_township_clerk_downloads_a_scan_and_the_history_says_who_looked(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    data = jpeg_turned()
    card = attached(as_user(AGENT), case["id"], ID_CARD, "张三 身份证.jpg", data)

    response = as_user(TOWNSHIP_CLERK).get(f"/api/attachments/{card['id']}")
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('张三 身份证.jpg', safe='')}" in disposition
    assert "no-store" in response.headers["Cache-Control"]

    viewed = [e for e in history(as_user, case["id"]) if e["action"] == "attachment_viewed"]
    assert len(viewed) == 1
    assert viewed[0]["user"]["username"] == TOWNSHIP_CLERK
    assert viewed[0]["action_label"] == "查看附件"
    assert viewed[0]["detail"] == {"attachment_id": card["id"], "material": ID_CARD, "file_name": "张三 身份证.jpg"}


def test_another_township_may_not_learn_of_the_scans(fresh, as_user, client, scans_dir):
    case = start_at_village(as_user)
    card = attached(as_user(AGENT), case["id"], ID_CARD, "身份证.png", png())
    stranger = as_user(OTHER_TOWNSHIP)
    for url in (
        f"/api/attachments/{card['id']}",
        f"/api/attachments/{card['id']}/thumbnail",
        f"/api/instances/{case['id']}/attachments",
    ):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["message"] in ("附件不存在", "办件不存在")
    assert upload(stranger, case["id"], INVOICE, "发票.png", png()).status_code == 404
    assert delete(client, stranger, card["id"]).status_code == 404
    assert not any(e["action"] == "attachment_viewed" for e in history(as_user, case["id"]))
    assert len(listing(as_user(AGENT), case["id"])) == 1


def test_who_sees_the_case_but_holds_no_task_of_it_may_not_attach(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    supervisor = as_user("qujiang.supervisor")  # same unit as 乡镇初审, not its role
    assert supervisor.get(f"/api/instances/{case['id']}/attachments").status_code == 200
    response = upload(supervisor, case["id"], INVOICE, "发票.png", png())
    assert response.status_code == 403
    assert stored_objects(scans_dir) == []


def test_the_township_clerk_attaches_under_the_task_it_works(fresh, as_user, client, scans_dir):
    case = start_at_village(as_user)
    township = as_user(TOWNSHIP_CLERK)
    scan = attached(township, case["id"], LIST, "费用清单.pdf", pdf(pages=1))
    assert scan["stage"] == "乡镇初审" and scan["pages"] == 1
    added = [e for e in history(as_user, case["id"]) if e["action"] == "attachment_added"]
    assert added[-1]["task"] == "乡镇初审" and added[-1]["user"]["username"] == TOWNSHIP_CLERK
    # the village may read it, but only the uploading unit withdraws it
    assert [r["deletable"] for r in listing(as_user(AGENT), case["id"])] == [False]
    assert delete(client, as_user(AGENT), scan["id"]).status_code == 403
    work(township, "乡镇初审", APPROVE)
    refused = delete(client, township, scan["id"])
    assert refused.status_code == 409 and "下一环节已开始" in refused.get_json()["message"]


# --- what a scan must be ------------------------------------------------------------------------


def test_an_executable_named_pdf_is_refused_and_leaves_nothing(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    response = upload(as_user(AGENT), case["id"], INVOICE, "发票.pdf", b"MZ\x90\x00" + b"\0" * 4096)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"file": ["只能上传 JPG、PNG 或 PDF 文件（按文件内容判断）"]}
    assert listing(as_user(AGENT), case["id"]) == []
    assert stored_objects(scans_dir) == []
    assert not any(e["action"] == "attachment_added" for e in history(as_user, case["id"]))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n this is no document at all", checks.PDF_UNREADABLE),
        (pdf(pages=1, password="secret"), checks.PDF_ENCRYPTED),
        (png()[:200], "图片无法读取（文件已损坏或格式不正确）"),
        (png_claiming(30_000, 30_000), "图片像素过多（超过 64 百万像素），请降低分辨率后重新上传"),
        (b"", checks.EMPTY),
    ],
    ids=["broken-pdf", "encrypted-pdf", "truncated-png", "decompression-bomb", "empty"],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_field_message(fresh, as_user, scans_dir, data, message):
    case = start_at_village(as_user)
    response = upload(as_user(AGENT), case["id"], INVOICE, "scan.pdf", data)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {"file": [message]}
    assert stored_objects(scans_dir) == []


def test_bytes_written_by_an_upload_that_then_fails_are_removed_again(fresh, as_user, scans_dir, monkeypatch):
    case = start_at_village(as_user)

    def lost_race(*args, **kwargs):
        assert len(stored_objects(scans_dir)) == 2  # the bytes (and thumbnail) went to the store first
        raise Conflict("办件已被他人同时办理，请刷新后重试")

    monkeypatch.setattr(service.history, "record", lost_race)
    response = upload(as_user(AGENT), case["id"], INVOICE, "发票.png", png())
    assert response.status_code == 409
    monkeypatch.undo()
    assert listing(as_user(AGENT), case["id"]) == []
    assert stored_objects(scans_dir) == []


def test_a_material_the_item_does_not_ask_for_is_refused(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    response = upload(as_user(AGENT), case["id"], "户口本", "户口本.png", png())
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"material": ["该事项没有这项材料：户口本"]}
    assert stored_objects(scans_dir) == []


def test_the_name_is_kept_without_its_path_and_with_the_real_type_s_extension(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    scan = attached(as_user(AGENT), case["id"], INVOICE, "../../tmp/发票.exe", png())
    assert scan["file_name"] == "发票.exe.png" and scan["content_type"] == "image/png"


def test_a_file_over_10_mb_is_refused_with_a_field_message(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    agent = as_user(AGENT)
    huge = upload(agent, case["id"], INVOICE, "发票.pdf", b"%PDF-1.7\n" + b"\0" * (11 * 2**20))
    assert huge.status_code == 413  # refused before the body is read
    assert "单个文件不能超过 10 MB" in huge.get_json()["errors"]["file"][0]
    just_over = upload(agent, case["id"], INVOICE, "发票.pdf", b"%PDF-1.7\n" + b"\0" * checks.MAX_FILE_BYTES)
    assert just_over.status_code == 422
    assert just_over.get_json()["errors"] == {"file": ["单个文件不能超过 10 MB"]}
    assert listing(agent, case["id"]) == [] and stored_objects(scans_dir) == []


def test_a_case_holds_at_most_50_mb_of_scans(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    agent = as_user(AGENT)
    big = pdf(pages=1, padding=9 * 2**20 + 600_000)  # about 9.6 MB, a readable PDF
    assert checks.MAX_FILE_BYTES > len(big) > checks.MAX_CASE_BYTES // 6
    for _ in range(5):
        attached(agent, case["id"], INVOICE, "发票.pdf", big)
    response = upload(agent, case["id"], INVOICE, "发票.pdf", big)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"file": ["本办件的附件合计不能超过 50 MB"]}
    assert len(listing(agent, case["id"])) == 5
    # a small one still fits within the 50 MB
    attached(agent, case["id"], ID_CARD, "身份证.png", png())


# --- withdrawing --------------------------------------------------------------------------------


def test_a_scan_is_withdrawn_before_the_next_stage_and_not_after(fresh, as_user, client, scans_dir):
    case = start_at_village(as_user)
    agent = as_user(AGENT)
    wrong = attached(agent, case["id"], INVOICE, "拍错了.png", png(color=(0, 0, 0)))
    kept = attached(agent, case["id"], INVOICE, "发票.png", png())
    assert listing(agent, case["id"])[0]["deletable"] is True

    assert delete(client, agent, wrong["id"]).status_code == 204
    assert [r["id"] for r in listing(agent, case["id"])] == [kept["id"]]
    assert as_user(AGENT).get(f"/api/attachments/{wrong['id']}").status_code == 404
    deleted = [e for e in history(as_user, case["id"]) if e["action"] == "attachment_deleted"]
    assert deleted[0]["detail"]["attachment_id"] == wrong["id"] and deleted[0]["user"]["username"] == AGENT
    assert len(stored_objects(scans_dir)) == 2  # the withdrawn scan's bytes and thumbnail are gone

    work(as_user(TOWNSHIP_CLERK), "乡镇初审", APPROVE)
    assert listing(agent, case["id"])[0]["deletable"] is False
    refused = delete(client, agent, kept["id"])
    assert refused.status_code == 409
    assert refused.get_json()["message"] == "该附件所在环节已办理完毕，下一环节已开始，不能再删除"
    assert len(listing(agent, case["id"])) == 1


def test_identical_bytes_are_stored_once(fresh, as_user, client, scans_dir):
    case = start_at_village(as_user)
    other_case = start_at_village(as_user)
    agent = as_user(AGENT)
    data = png()
    first = attached(agent, case["id"], INVOICE, "发票.png", data)
    attached(agent, case["id"], LIST, "同一张.png", data)
    attached(agent, other_case["id"], INVOICE, "发票.png", data)
    assert len(listing(agent, case["id"])) == 2
    objects = stored_objects(scans_dir)
    assert len(objects) == 2  # the scan and its thumbnail, once
    assert store.content_key(data) in objects

    assert delete(client, agent, first["id"]).status_code == 204
    assert stored_objects(scans_dir) == objects  # still named by the other rows
    for row in listing(agent, case["id"]):
        assert agent.get(f"/api/attachments/{row['id']}").data == data


def test_the_upload_endpoint_is_in_the_openapi_document(fresh, client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/instances/{case_id}/attachments"]["post"]
    assert set(post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]) == {"file", "material"}
    assert {"get", "delete"} <= set(spec["paths"]["/api/attachments/{attachment_id}"])
    assert "get" in spec["paths"]["/api/attachments/{attachment_id}/thumbnail"]


def test_scans_need_a_login(fresh, client):
    assert client.get("/api/instances/1/attachments").status_code == 401
    assert client.get("/api/attachments/1").status_code == 401


# --- an S3-compatible store ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch):
    """A bucket on moto's server; scans go to it through the store `configure` builds, under a prefix."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    client = boto3.client("s3", endpoint_url=s3_endpoint, **credentials)
    client.create_bucket(Bucket="yibao-scans")
    previous = store.current()
    configured = store.configure(
        "s3",
        bucket="yibao-scans",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        prefix="fengcheng/",
        encryption="aws:kms",
        kms_key_id="alias/yibao-scans",
    )
    assert isinstance(configured, store.S3Store) and store.current() is configured
    yield client
    store.use(previous)
    for listed in client.list_objects_v2(Bucket="yibao-scans").get("Contents", []):
        client.delete_object(Bucket="yibao-scans", Key=listed["Key"])
    client.delete_bucket(Bucket="yibao-scans")


def test_scans_round_trip_through_an_s3_compatible_store(fresh, as_user, client, s3_bucket):
    case = start_at_village(as_user)
    agent = as_user(AGENT)
    data = pdf(pages=2)
    scan = attached(agent, case["id"], INVOICE, "发票.pdf", data)
    card = attached(agent, case["id"], ID_CARD, "身份证.png", png())
    key = store.content_key(data)
    keys = {o["Key"] for o in s3_bucket.list_objects_v2(Bucket="yibao-scans")["Contents"]}
    assert f"fengcheng/{key[:2]}/{key[2:4]}/{key}" in keys
    assert len(keys) == 3  # the PDF, the PNG and the PNG's thumbnail
    head = s3_bucket.head_object(Bucket="yibao-scans", Key=f"fengcheng/{key[:2]}/{key[2:4]}/{key}")
    assert head["ContentType"] == "application/pdf"
    assert head["ServerSideEncryption"] == "aws:kms", "scans are encrypted at rest under the named key"
    assert head["SSEKMSKeyId"].endswith("alias/yibao-scans")

    response = as_user(TOWNSHIP_CLERK).get(f"/api/attachments/{scan['id']}")
    assert response.status_code == 200 and response.data == data
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 2
    assert agent.get(f"/api/attachments/{card['id']}/thumbnail").mimetype == "image/jpeg"

    assert delete(client, agent, card["id"]).status_code == 204
    assert len(s3_bucket.list_objects_v2(Bucket="yibao-scans")["Contents"]) == 1


def test_a_refused_upload_writes_nothing_to_s3(fresh, as_user, s3_bucket):
    case = start_at_village(as_user)
    response = upload(as_user(AGENT), case["id"], INVOICE, "发票.pdf", b"MZ" + b"\0" * 100)
    assert response.status_code == 422
    assert s3_bucket.list_objects_v2(Bucket="yibao-scans").get("KeyCount") == 0
