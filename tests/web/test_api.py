"""The REST API with FastAPI's TestClient: every endpoint, every error, results equal to seglab run directly."""

from __future__ import annotations

import base64
import json
import re

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

import seglab
from seglab.io import encode_png, regions_csv
from seglab.run import OUTPUT_KINDS, labels_preview
from seglab.web import Settings
from seglab.web.app import create_app

from . import jobs
from .conftest import SAMPLES, labels_of, png_bomb


def _segment(client, image: bytes, method: str, *, name: str = "coins.png", files=(), **data):
    form = {"method": method, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}}
    return client.post("/segment", files=[("image", (name, image, "application/octet-stream")), *files], data=form)


def _file(client, body, suffix: str) -> bytes:
    (info,) = [f for f in body["files"] if f["name"].endswith(suffix)]
    if info.get("base64") is not None:
        return base64.b64decode(info["base64"])
    response = client.get(info["url"])
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == info["media_type"]
    assert f'filename="{info["name"]}"' in response.headers["content-disposition"]
    return response.content


def _error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail
    return detail


def test_health_reports_workers_queue_and_limits(client, settings):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["version"] == seglab.__version__
    assert (body["workers"], body["queue_size"]) == (settings.workers, settings.queue_size)
    assert body["limits"]["max_pixels"] == settings.max_pixels
    assert body["limits"]["max_upload_bytes"] == settings.max_upload_bytes
    assert all(type(body["limits"][k]) is int for k in ("max_pixels", "max_upload_bytes", "preview_side"))


def test_methods_lists_the_registry_and_the_output_kinds(client):
    body = client.get("/methods").json()
    assert body["methods"] == [json.loads(json.dumps(m.to_json())) for m in seglab.list_methods()]
    assert body["outputs"] == {name: kind.description for name, kind in OUTPUT_KINDS.items()}


def test_openapi_describes_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/segment", "/compare", "/eval", "/preview", "/jobs/{job_id}", "/jobs/{job_id}/files/{name}",
                 "/methods", "/health", "/samples", "/samples/{name}"):
        assert path in paths
    assert "202" in paths["/segment"]["post"]["responses"] and "429" in paths["/segment"]["post"]["responses"]


def test_segment_returns_the_labels_csv_and_sidecar_of_a_direct_call(client, coins_png, coins, tmp_path):
    response = _segment(client, coins_png, "otsu", outputs="labels,csv,json,overlay")
    assert response.status_code == 200, response.text
    body = response.json()
    seg = seglab.segment(coins, "otsu")
    assert body["method"] == "otsu" and body["task"] == "semantic" and body["segments"] == seg.num_segments
    assert body["meta"]["threshold"] == seg.meta["threshold"] and body["params"] == dict(seg.params)
    assert body["image"] == {"height": 303, "width": 384, "channels": 1, "dtype": "uint8"}
    assert 0 <= body["seconds"] <= body["total_seconds"]
    assert sorted(f["name"] for f in body["files"]) == ["coins.json", "coins.labels.png", "coins.overlay.png",
                                                        "coins.regions.csv"]
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), seg.labels)
    assert _file(client, body, ".regions.csv").decode() == regions_csv(seg, coins)
    sidecar = json.loads(_file(client, body, ".json"))
    assert sidecar["method"] == "otsu" and sidecar["input_file"] == "coins.png"


def test_base64_delivery_holds_the_same_files(client, coins_png, coins, tmp_path):
    body = _segment(client, coins_png, "otsu", delivery="base64").json()
    (info,) = body["files"]
    assert info.get("url") is None and info["size"] == len(base64.b64decode(info["base64"]))
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), seglab.segment(coins, "otsu").labels)


def test_parameters_are_text_parsed_as_the_command_line_does(client, coins_png, coins, tmp_path):
    body = _segment(client, coins_png, "adaptive", params={"window_size": "51", "offset": 10}).json()
    expected = seglab.segment(coins, "adaptive", window_size=51, offset=10.0).labels
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), expected)


def test_seeds_are_row_col_points(client, coins_png, coins, tmp_path):
    body = _segment(client, coins_png, "region_growing", params={"seeds": "50,60;150,200", "tolerance": "30"}).json()
    expected = seglab.segment(coins, "region_growing", seeds=[(50, 60), (150, 200)], tolerance=30.0).labels
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), expected)


def test_array_parameters_and_the_mask_come_from_uploads(client, coins_png, coins, tmp_path):
    markers = np.zeros(coins.shape, np.uint8)
    markers[40:50, 40:50], markers[250:260, 330:340], markers[150:155, 150:155] = 1, 2, 3
    mask = np.zeros(coins.shape, np.uint8)
    mask[:, :300] = 255
    files = [("arrays", ("m.png", encode_png(markers), "image/png")), ("mask", ("k.png", encode_png(mask), "image/png"))]
    body = _segment(client, coins_png, "watershed", files=files, array_params="markers").json()
    expected = seglab.segment(coins, "watershed", markers=markers, mask=mask > 0).labels
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), expected)
    assert not expected[:, 300:].any()


def test_conversion_to_instances_gives_coco_objects(client, coins_png, coins):
    body = _segment(client, coins_png, "otsu", outputs="coco", as_task="instance").json()
    coco = json.loads(_file(client, body, ".coco.json"))
    assert len(coco["annotations"]) == len(seglab.to_instance(seglab.segment(coins, "otsu")).segments) > 1
    assert body["task"] == "instance"


def test_preview_of_the_labels_is_the_run_service_preview(client, coins_png, coins):
    body = _segment(client, coins_png, "watershed", preview=192).json()
    preview = body["preview"]
    ours = cv2.imdecode(np.frombuffer(base64.b64decode(preview["png"]), np.uint8), cv2.IMREAD_UNCHANGED)
    theirs = cv2.imdecode(np.frombuffer(labels_preview(seglab.segment(coins, "watershed").labels, 192), np.uint8),
                          cv2.IMREAD_UNCHANGED)
    assert (preview["height"], preview["width"]) == (152, 192) and np.array_equal(ours, theirs)


def test_image_preview_reports_the_full_size_and_a_display_png(client, coins_png):
    body = client.post("/preview", files={"image": ("coins.png", coins_png)}, data={"size": "100"}).json()
    png = cv2.imdecode(np.frombuffer(base64.b64decode(body["preview"]["png"]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert body["image"]["height"] == 303 and png.shape == (79, 100, 3)


@pytest.mark.parametrize(("method", "data", "words"), [
    ("otsuu", {}, ["unknown method 'otsuu'", "Did you mean 'otsu'"]),
    ("otsu", {"params": {"nbins": 1}}, ["nbins=1 is out of range", "[2, 65536]"]),
    ("otsu", {"params": {"nbin": 64}}, ["unknown parameter 'nbin'", "Did you mean 'nbins'"]),
    ("otsu", {"params": {"nbins": "many"}}, ["nbins: expected an integer; got 'many'"]),
    ("adaptive", {"params": {"window_size": 4}}, ["window_size: must be odd"]),
    ("otsu", {"params": "nbins=3"}, ["params: not valid JSON"]),
    ("otsu", {"params": [1, 2]}, ["params: expected a JSON object"]),
    ("watershed", {"params": {"markers": "/etc/passwd"}}, ["markers is an array parameter; upload it as a file"]),
    ("otsu", {"array_params": "markers"}, ["names 1 parameters but 0 arrays were uploaded"]),
    ("otsu", {"outputs": "labels,lables"}, ["unknown output 'lables'"]),
    ("otsu", {"outputs": "coco"}, ["coco output lists segments", "as_task=instance"]),
    ("otsu", {"as_task": "semantics"}, ["as_task", "semantic"]),
    ("otsu", {"things": "{}"}, ["things: expected class names or ids"]),
])
def test_a_bad_request_gets_422_naming_what_to_fix(client, coins_png, method, data, words):
    _error(_segment(client, coins_png, method, **data), 422, *words)


def test_a_parameter_that_only_the_image_rejects_gets_422_from_the_worker(client, coins_png):
    _error(_segment(client, coins_png, "region_growing", params={"seeds": "5000,1"}), 422, "seed")


@pytest.mark.parametrize(("image", "words"), [
    (b"this is text, not an image", ["coins.png: is not an image seglab can read", "looks like text"]),
    (b"", ["the file is empty"]),
    (png_bomb(60000, 60000), ["is larger (3.6e+09 pixels) than Pillow's limit", "decompression bombs"]),
    (png_bomb(20000, 5000), ["20000 x 5000 = 1e+08 pixels, more than the limit of 4e+06 pixels"]),
    (png_bomb(2001, 2000), ["2001 x 2000 = 4e+06 pixels, more than the limit"]),
])
def test_bad_images_and_decompression_bombs_get_422_before_decoding(client, image, words):
    detail = _error(_segment(client, image, "otsu"), 422, *words)
    assert "/tmp" not in detail and "seglab-web" not in detail  # the server's own paths are never shown


def test_uploads_over_the_limit_get_413_with_or_without_a_length():
    app = create_app(Settings(max_upload_mb=0.01))
    client = TestClient(app, base_url="http://127.0.0.1")  # no lifespan: refused before any route runs
    big = b"x" * 20_000
    _error(client.post("/segment", files={"image": ("a.png", big)}, data={"method": "otsu"}), 413, "0.01 MiB",
           "--max-upload-mb")
    chunks = iter([b"--b\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\notsu\r\n", big, big])
    response = client.post("/segment", content=chunks, headers={"content-type": "multipart/form-data; boundary=b"})
    _error(response, 413, "larger than the server's limit")


def test_a_slow_request_answers_202_and_the_job_is_polled(client, coins_png, coins, tmp_path):
    response = _segment(client, coins_png, "otsu", wait="0")
    assert response.status_code == 202 and response.headers["location"] == response.json()["url"]
    assert response.json()["status"] in ("queued", "running")
    job = response.json()["job"]
    for _ in range(200):
        polled = client.get(f"/jobs/{job}")
        if polled.status_code != 202:
            break
    assert polled.status_code == 200 and polled.json()["job"] == job
    assert np.array_equal(labels_of(_file(client, polled.json(), ".labels.png"), tmp_path),
                          seglab.segment(coins, "otsu").labels)


def test_a_failed_job_answers_its_error_when_polled(client, coins_png):
    job = _segment(client, b"not an image", "otsu", wait="0").json()["job"]
    client.app.state.web.runner.get(job).finished.result(timeout=30)
    _error(client.get(f"/jobs/{job}"), 422, "is not an image")


def test_unknown_jobs_files_and_samples_get_404(client, coins_png):
    _error(client.get("/jobs/nope"), 404, "no job 'nope'")
    _error(client.get("/jobs/nope/files/x.png"), 404, "has no file")
    job = _segment(client, coins_png, "otsu").json()["job"]
    _error(client.get(f"/jobs/{job}/files/coins.json"), 404, "has no file")  # not among its outputs
    for path in (f"/jobs/{job}/files/..%2F..%2F..%2Fetc%2Fpasswd", "/samples/..%2F..%2Fio%2Fread.py",
                 "/static/..%2Fapp.py", "/static/../app.py"):
        response = client.get(path)
        assert response.status_code == 404 and b"import" not in response.content and b"root:" not in response.content


def test_a_full_queue_gets_429_and_the_server_keeps_answering(client, coins_png, settings):
    runner = client.app.state.web.runner
    busy = [runner.submit(jobs.nap, 1.0, kind="test", budget=10) for _ in range(settings.workers + settings.queue_size)]
    response = _segment(client, coins_png, "otsu")
    _error(response, 429, "workers are busy", "try again")
    assert response.headers["retry-after"] == "5"
    assert client.get("/health").json()["running"] == settings.workers  # answered while every worker is busy
    for rec in busy:
        assert rec.finished.result(timeout=30).status == "done"
    assert _segment(client, coins_png, "otsu").status_code == 200


def test_compare_runs_each_method_and_a_failing_one_fails_alone(client, coins_png, coins, tmp_path):
    data = {"methods": "otsu,kmeans,threshold,watershed", "params": json.dumps({"kmeans": {"rng": "0"}}),
            "preview": "64"}
    response = client.post("/compare", files={"image": ("coins.png", coins_png)}, data=data)
    assert response.status_code == 200, response.text
    rows = {r["method"]: r for r in response.json()["results"]}
    assert list(rows) == ["otsu", "kmeans", "threshold", "watershed"]
    assert rows["threshold"]["status"] == 422 and "needs the parameter 'value'" in rows["threshold"]["detail"]
    direct = {"otsu": {}, "kmeans": {"rng": 0}, "watershed": {}}
    for method, params in direct.items():
        labels = labels_of(_file(client, rows[method], ".labels.png"), tmp_path)
        assert np.array_equal(labels, seglab.segment(coins, method, **params).labels), method
        assert rows[method]["preview"]["width"] == 64
    assert {f["name"] for f in rows["otsu"]["files"]} == {"coins.otsu.labels.png"}


@pytest.mark.parametrize(("data", "words"), [
    ({"methods": "otsu,nope"}, ["unknown method 'nope'"]),
    ({"methods": " , "}, ["name at least one method"]),
    ({"methods": "otsu", "params": '{"kmeans": {}}'}, ["'kmeans' must be one of the methods compared"]),
    ({"methods": "watershed", "params": '{"watershed": {"markers": "x.png"}}'}, ["array parameter"]),
])
def test_compare_refuses_bad_requests_with_422(client, coins_png, data, words):
    _error(client.post("/compare", files={"image": ("coins.png", coins_png)}, data=data), 422, *words)


def test_eval_scores_as_seglab_eval(client, coins):
    truth = seglab.segment(coins, "otsu").labels
    pred = seglab.segment(coins, "threshold", value=90).labels
    files = {"prediction": ("p.png", encode_png(pred.astype(np.uint8))),
             "ground_truth": ("t.png", encode_png(truth.astype(np.uint8)))}
    body = client.post("/eval", files=files, data={"num_classes": "2"}).json()
    iou = [np.sum((truth == k) & (pred == k)) / np.sum((truth == k) | (pred == k)) for k in (0, 1)]
    assert body["task"] == "semantic" and body["summary"]["mean_iou"] == pytest.approx(np.mean(iou))
    assert body["images"][0]["image"] == "t"
    binary = client.post("/eval", files=files).json()  # task auto: a two-valued truth is a class map
    assert binary["task"] == "semantic" and "binary mask" in binary["task_reason"]
    objects = seglab.to_instance(seglab.segment(coins, "otsu")).labels
    files = {"prediction": ("p.png", encode_png(objects.astype(np.uint16))),
             "ground_truth": ("t.png", encode_png(objects.astype(np.uint16)))}
    instances = client.post("/eval", files=files).json()
    assert instances["task"] == "instance" and instances["summary"]["dsb_score"] == 1.0


def test_eval_refuses_files_that_do_not_fit(client, coins):
    labels = encode_png(np.zeros((4, 4), np.uint8))
    files = {"prediction": ("p.png", labels), "ground_truth": ("t.png", encode_png(np.zeros((5, 4), np.uint8)))}
    _error(client.post("/eval", files=files), 422, "shape")
    files = {"prediction": ("p.png", b"hello"), "ground_truth": ("t.png", labels)}
    detail = _error(client.post("/eval", files=files), 422, "p.png")
    assert "seglab-web" not in detail
    _error(client.post("/eval", files={"prediction": ("p.png", labels)}), 422, "ground_truth", "Field required")


def test_samples_are_listed_and_served(client):
    names = client.get("/samples").json()
    assert "coins.png" in names
    assert client.get("/samples/coins.png").content == (SAMPLES / "coins.png").read_bytes()


def test_the_page_and_its_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") or a == "data:," for a in assets)  # data:,: no favicon to fetch
    for name in ("app.js", "params.js", "render.js", "png.js", "style.css"):
        text = client.get(f"/static/{name}").text
        assert not re.search(r"https?://", text), name  # no CDN, nothing fetched from elsewhere
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/docs").status_code == 404  # FastAPI's docs page would load a CDN


def test_requests_naming_another_host_are_refused(client):
    assert client.get("/health", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/health", headers={"host": "localhost:8000"}).status_code == 200


def test_a_gzipped_nifti_upload_is_read_by_its_name_and_a_slice_segmented(client, tmp_path):
    nibabel = pytest.importorskip("nibabel")
    volume = np.zeros((20, 24, 3), np.int16)
    volume[5:15, 4:20, 2] = 400
    nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), tmp_path / "scan.nii.gz")
    response = _segment(client, (tmp_path / "scan.nii.gz").read_bytes(), "otsu", name="scan.nii.gz", page="2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [f["name"] for f in body["files"]] == ["scan.labels.png"]
    expected = seglab.segment(volume[:, :, 2], "otsu").labels
    assert np.array_equal(labels_of(_file(client, body, ".labels.png"), tmp_path), expected)


def test_a_request_lets_go_of_the_upload_the_readers_kept_open(tmp_path):
    """A volume's reader keeps its file open for the next slice; a worker's task lets go of it when it ends (the
    server deletes the upload afterwards)."""
    nibabel = pytest.importorskip("nibabel")
    from seglab.io import medical
    from seglab.web import work

    nibabel.save(nibabel.Nifti1Image(np.zeros((8, 8, 2), np.int16), np.eye(4)), tmp_path / "v.nii.gz")
    upload = work.Upload(str(tmp_path / "v.nii.gz"), "v.nii.gz")
    seglab.read_image(tmp_path / "v.nii.gz", page=0)
    assert medical._KEPT._handle is not None  # noqa: SLF001 - reading keeps the volume for the next slice
    out = work.segment(work.SegmentRequest(upload, "otsu", outputs=("labels",), page=1, stem="v"))
    assert sorted(out["files"]) == ["v.labels.png"]
    assert medical._KEPT._handle is None  # noqa: SLF001 - released when the task ended


def test_compare_an_unknown_parameter_fails_only_its_method(client, coins_png):
    data = {"methods": "otsu,kmeans", "params": json.dumps({"otsu": {"zzz": 1}, "kmeans": {"rng": 0}})}
    response = client.post("/compare", files={"image": ("coins.png", coins_png)}, data=data)
    assert response.status_code == 200, response.text
    rows = {r["method"]: r for r in response.json()["results"]}
    assert rows["otsu"]["status"] == 422 and "unknown parameter 'zzz'" in rows["otsu"]["detail"]
    assert rows["kmeans"]["status"] == 200


def test_weights_must_be_a_shipped_name_never_a_path_on_the_server(client, coins_png, tmp_path):
    # A path would be probed (two different answers for a file that exists and one that does not) and loaded.
    existing = tmp_path / "ckpt.pt"
    existing.write_bytes(b"not a checkpoint")
    details = [_error(_segment(client, coins_png, "unet", params={"weights": str(path)}), 422,
                      "not a shipped name ('membrane')", "never a path on the server")
               for path in (existing, tmp_path / "missing.pt", "../../etc/passwd")]
    assert len({d.split("weights=")[1].split("'", 2)[2] for d in details}) == 1  # the same words for each path
    data = {"methods": "otsu,unet", "params": json.dumps({"unet": {"weights": "~/ckpt.pt"}})}
    _error(client.post("/compare", files={"image": ("coins.png", coins_png)}, data=data), 422, "not a shipped name")


def test_eval_holds_label_images_to_max_pixels_from_their_header(client, settings):
    # a zlib TIFF of a few kilobytes can hold gigabytes of labels: refused before decoding, as /segment does
    import io

    import tifffile

    side = int(settings.max_pixels**0.5) + 100
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.zeros((side, side), np.uint8), compression="zlib")
    files = {"prediction": ("p.tif", buffer.getvalue()), "ground_truth": ("g.tif", buffer.getvalue())}
    assert len(buffer.getvalue()) < 100_000
    _error(client.post("/eval", files=files), 422, "more than the limit of")


def test_eval_reads_gzipped_nifti_labels_by_their_name(client, tmp_path):
    nibabel = pytest.importorskip("nibabel")
    labels = np.zeros((6, 7), np.uint8)
    labels[1:4, 2:5] = 1
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    data = (tmp_path / "seg.nii.gz").read_bytes()
    files = {"prediction": ("seg.nii.gz", data), "ground_truth": ("seg.nii.gz", data)}
    response = client.post("/eval", files=files, data={"num_classes": "2"})
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["mean_iou"] == 1.0


def test_a_foreign_host_header_is_refused_in_the_api_error_shape(client):
    # DNS rebinding: a page elsewhere resolving its own name to 127.0.0.1 sends that name as the Host
    refused = client.get("/health", headers={"Host": "evil.example:8000"})
    assert refused.status_code == 400 and refused.json()["error"] == "InvalidHost"
    assert "'evil.example:8000' is not this server's name" in refused.json()["detail"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host
