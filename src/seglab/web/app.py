"""The FastAPI application behind ``seglab serve``: :func:`create_app`.

Every request that segments, compares, evaluates or previews becomes a job
of the :class:`~seglab.web.runner.JobRunner`. The request waits for it up to
``Settings.wait`` seconds (or the ``wait`` it asks for, if shorter) and then
answers with the result, or with 202 and the job's id; ``GET /jobs/{id}``
answers 202 while the job is queued or running and then exactly what the
request would have answered. Parameters are checked here, before any work,
by :func:`seglab.run.prepare` (422 naming the parameter); the image is read
in the worker (422 for a file that is not an image or is over the pixel
limit). Errors are ``{"detail": ..., "error": ...}`` (:mod:`.errors`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import __version__
from ..core.errors import InvalidParameterError, UnknownParameterError
from ..core.params import ARRAY, ParamSpec
from ..core.params_text import parse_json
from ..core.registry import MethodSpec, get_method, list_methods
from ..run import OUTPUT_KINDS, parse_outputs, prepare
from . import work
from .errors import describe
from .limits import BodyLimit, SecurityHeaders, TrustedHosts
from .models import (
    CompareOut,
    ErrorOut,
    EvalOut,
    HealthOut,
    ImagePreviewOut,
    JobOut,
    MethodsOut,
    SegmentOut,
)
from .runner import JobRecord, JobRunner
from .settings import Settings
from .uploads import UploadStore, kept_suffix, label_file_suffix, output_stem

__all__ = ["create_app"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in {
        413: "the request body is over the upload limit", 422: "a bad parameter, method or file (the detail names it)",
        429: "every worker is busy and the queue is full: retry later", 504: "the job ran past the time limit",
    }.items()
}
_ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"model": JobOut, "description": "still running: poll the url"}}
_STATIC = files("seglab.web") / "static"

Wait = Annotated[float | None, Form(ge=0, description="seconds to wait before answering 202 (at most the server's)")]
Delivery = Annotated[Literal["url", "base64"], Form(description="output files as download URLs or inline base64")]
Preview = Annotated[int, Form(ge=0, description="also send display PNGs at most this many pixels a side (0: none)")]
Page = Annotated[int | None, Form(ge=0, description="page of a multi-page file (0 first): TIFF page, DICOM or video "
                                                    "frame, NIfTI slice")]
Outputs = Annotated[str, Form(description=f"comma-separated, from {','.join(OUTPUT_KINDS)}")]


@dataclass
class _Web:
    """What the routes share: the settings, the runner, the upload folder, the bundled samples."""

    settings: Settings
    runner: JobRunner
    store: UploadStore
    samples: dict[str, Any]


router = APIRouter()


def _web(request: Request) -> _Web:
    return request.app.state.web


def _error(status: int, kind: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "error": kind}, status_code=status, headers=headers or None)


def _error_of(exc: BaseException) -> JSONResponse:
    status, kind, detail = describe(exc)
    return _error(status, kind, detail, **({"Retry-After": "5"} if status in (429, 503) else {}))


def _json_object(text: str, what: str) -> dict[str, Any]:
    """The JSON object in a form field (an empty field is ``{}``)."""
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise InvalidParameterError(f"{what}: not valid JSON ({exc}); send an object such as {{\"sigma\": 2}}.") from None
    if not isinstance(value, dict):
        raise InvalidParameterError(f"{what}: expected a JSON object such as {{\"sigma\": 2}}; got {text[:80]!r}.")
    return value


def _param_or_none(spec: MethodSpec, name: str) -> ParamSpec | None:
    """The schema of parameter `name` (old names included), or None for a name the method does not take."""
    try:
        return spec.param(name)
    except UnknownParameterError:
        return None


def _text_params(method: str, params: Mapping[str, Any], uploaded: Sequence[str] = ()) -> None:
    """Refuse what would name a file on the server: ``array`` parameters given as values (they come from
    uploads only) and ``weights`` other than a shipped name (a path would be probed and loaded).

    Unknown names pass: the run service refuses them with its own message.
    """
    spec = get_method(method)
    known = {name: _param_or_none(spec, name) for name in [*params, *uploaded, "weights"]}
    weights = params.get("weights")
    if known["weights"] is not None and weights is not None and weights not in spec.weights:
        shipped = ", ".join(repr(n) for n in spec.weights) or "none shipped"
        raise InvalidParameterError(
            f"{method}: weights={str(weights)[:80]!r} is not a shipped name ({shipped}); the web API runs shipped "
            "weights only, never a path on the server. Run other checkpoints from the command line or Python."
        )
    for name in params:
        if known[name] is not None and known[name].kind == ARRAY:
            raise InvalidParameterError(
                f"{method}: {name} is an array parameter; upload it as a file (fields arrays and array_params), "
                "a value in params is not accepted."
            )
    for name in uploaded:
        if known[name] is not None and known[name].kind != ARRAY:
            raise InvalidParameterError(f"{method}: {name} is not an array parameter; give it in params instead.")


def _things(text: str | None) -> tuple[str | int, ...] | None:
    """Class names or ids from ``cell,nucleus`` or ``[1, 2]``."""
    if text is None:
        return None
    value = parse_json(text) if text.strip() else []
    names = value if isinstance(value, list) else [value]
    if any(isinstance(n, bool) or not isinstance(n, (str, int)) for n in names):
        raise InvalidParameterError(f"things: expected class names or ids such as cell or [1, 2]; got {text[:80]!r}.")
    return tuple(names)


async def _save(web: _Web, upload: UploadFile, suffix: str = "") -> work.Upload:
    suffix = suffix or kept_suffix(upload.filename)
    return await asyncio.to_thread(web.store.save, upload.file, upload.filename, suffix=suffix)


def _size(value: Any) -> int:
    """Bytes held by the files in a result."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, Mapping):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return sum(_size(v) for v in value)
    return 0


async def _submit(request: Request, fn: Any, job_request: Any, *, kind: str, budget: float,
                  uploads: list[work.Upload], wait: float | None, view: Mapping[str, Any]) -> Response:
    web = _web(request)
    try:
        rec = web.runner.submit(fn, job_request, kind=kind, budget=budget, measure=_size,
                                on_end=lambda: web.store.remove(uploads), view=view)
    except Exception as exc:
        web.store.remove(uploads)
        return _error_of(exc)
    limit = web.settings.wait if wait is None else min(wait, web.settings.wait)
    if limit > 0:
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(rec.finished)), limit)
        except asyncio.TimeoutError:
            pass
    return _answer(request, rec)


def _answer(request: Request, rec: JobRecord) -> Response:
    """The answer for a job: 202 while it runs, then its result or its error."""
    if rec.status in ("queued", "running"):
        url = str(request.url_for("job", job_id=rec.id))
        body = JobOut(job=rec.id, kind=rec.kind, status=rec.status, position=_web(request).runner.position(rec),
                      seconds=rec.seconds, url=url)
        return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})
    if rec.error is not None:
        return _error_of(rec.error)
    body = {"job": rec.id, "status": "done", "total_seconds": rec.seconds, **_present(request, rec, rec.result)}
    return JSONResponse(body)


def _present(request: Request, rec: JobRecord, result: Mapping[str, Any]) -> dict[str, Any]:
    """A worker's result as the API shows it: files as URLs or base64, previews as base64 PNGs."""
    out = dict(result)
    if "files" in out:
        out["files"] = [_file(request, rec, name, data) for name, data in out["files"].items()]
    if "preview" in out:
        (height, width), png = out["preview"]["size"], out["preview"].get("labels", out["preview"].get("image"))
        out["preview"] = {"height": height, "width": width, "png": base64.b64encode(png).decode("ascii")}
    if "results" in out:
        out["results"] = [_present(request, rec, item) for item in out["results"]]
    return out


def _file(request: Request, rec: JobRecord, name: str, data: bytes) -> dict[str, Any]:
    info = {"name": name, "media_type": _media_type(name), "size": len(data)}
    if rec.view.get("delivery") == "base64":
        return {**info, "base64": base64.b64encode(data).decode("ascii")}
    return {**info, "url": str(request.url_for("download", job_id=rec.id, name=name))}


def _media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _files_of(result: Mapping[str, Any]) -> dict[str, bytes]:
    found = dict(result.get("files", {}))
    for item in result.get("results", ()):
        found.update(item.get("files", {}))
    return found


@router.get("/health", response_model=HealthOut, tags=["server"])
def health(request: Request) -> dict[str, Any]:
    """The server is up: version, workers, jobs running and queued, limits."""
    web = _web(request)
    stats = web.runner.stats()
    s = web.settings
    limits = {"max_upload_bytes": s.max_upload_bytes, "max_pixels": s.max_pixels, "timeout": s.timeout,
              "wait": s.wait, "preview_side": s.preview_side}
    return {"version": __version__, "workers": stats["workers"], "running": stats["running"],
            "queued": stats["queued"], "queue_size": stats["queue_size"], "limits": limits}


@router.get("/methods", response_model=MethodsOut, tags=["methods"])
def methods() -> dict[str, Any]:
    """Every registered method with its parameter schema (``seglab info --json``), and the output kinds."""
    return {"methods": [m.to_json() for m in list_methods()],
            "outputs": {name: kind.description for name, kind in OUTPUT_KINDS.items()}}


@router.post("/segment", response_model=SegmentOut, responses={**_ACCEPTED, **_ERRORS}, tags=["segment"])
async def segment(
    request: Request,
    image: Annotated[UploadFile, File(description="the image: PNG, JPEG, BMP, TIFF, GIF or WebP (read by content)")],
    method: Annotated[str, Form(description="a name from GET /methods")],
    params: Annotated[str, Form(description='JSON object of parameter values, e.g. {"nbins": 64}')] = "{}",
    outputs: Outputs = "labels",
    as_task: Annotated[Literal["semantic", "instance", "panoptic"] | None,
                       Form(description="convert the result to this task first")] = None,
    things: Annotated[str | None, Form(description="with as_task instance/panoptic: classes to split, e.g. cell "
                                                    "or [1, 2]")] = None,
    mask: Annotated[UploadFile | None, File(description="pixels where this image is 0 get label 0")] = None,
    arrays: Annotated[list[UploadFile] | None, File(description="images for array parameters (e.g. markers)")] = None,
    array_params: Annotated[str, Form(description="comma-separated: which parameter each of arrays fills")] = "",
    page: Page = None,
    delivery: Delivery = "url",
    preview: Preview = 0,
    wait: Wait = None,
) -> Response:
    """Segment one image with one method; the result's summary and the chosen output files."""
    web = _web(request)
    arrays = arrays or []
    names = [n.strip() for n in array_params.split(",") if n.strip()]
    try:
        values = _json_object(params, "params")
        if len(names) != len(arrays):
            raise InvalidParameterError(
                f"array_params names {len(names)} parameters but {len(arrays)} arrays were uploaded; name one for each."
            )
        _text_params(method, values, names)
        thing_names = _things(things)
        prepare(method, text=values, outputs=outputs, as_task=as_task, things=thing_names)
    except (ValueError, LookupError) as exc:
        return _error_of(exc)
    uploads = [await _save(web, image)]
    array_uploads = {name: await _save(web, upload) for name, upload in zip(names, arrays)}
    mask_upload = None if mask is None else await _save(web, mask)
    uploads += [*array_uploads.values(), *([mask_upload] if mask_upload else [])]
    job = work.SegmentRequest(
        uploads[0], method, values, array_uploads, mask_upload, parse_outputs(outputs), as_task, thing_names, page,
        output_stem(uploads[0].name), web.settings.max_pixels, min(preview, web.settings.preview_side),
    )
    return await _submit(request, work.segment, job, kind="segment", budget=web.settings.timeout, uploads=uploads,
                         wait=wait, view={"delivery": delivery})


@router.post("/compare", response_model=CompareOut, responses={**_ACCEPTED, **_ERRORS}, tags=["segment"])
async def compare(
    request: Request,
    image: Annotated[UploadFile, File(description="the image, read once for every method")],
    methods: Annotated[str, Form(description="comma-separated method names, e.g. otsu,kmeans,watershed")],
    params: Annotated[str, Form(description='JSON object: method -> its parameters, e.g. {"kmeans": '
                                            '{"num_classes": 3}}')] = "{}",
    outputs: Outputs = "labels",
    page: Page = None,
    delivery: Delivery = "url",
    preview: Preview = 0,
    wait: Wait = None,
) -> Response:
    """Run several methods on one image; one response, one row per method.

    A method whose parameters or outputs do not suit it, or that fails on this image, fails alone: its row has
    the status and message a ``POST /segment`` would have answered. An unknown method name is a 422.
    """
    web = _web(request)
    chosen = tuple(dict.fromkeys(m.strip() for m in methods.split(",") if m.strip()))
    try:
        by_method = _json_object(params, "params")
        if not chosen:
            raise InvalidParameterError("methods: name at least one method, e.g. otsu,kmeans.")
        for name, values in by_method.items():
            if name not in chosen or not isinstance(values, dict):
                raise InvalidParameterError(f"params: {name!r} must be one of the methods compared, with a JSON "
                                            "object of its parameters.")
        parse_outputs(outputs)
        for name in chosen:  # a method's own parameter problems fail its row only (checked by the worker)
            _text_params(name, by_method.get(name, {}))
    except (ValueError, LookupError) as exc:
        return _error_of(exc)
    upload = await _save(web, image)
    timeout = web.settings.timeout
    job = work.CompareRequest(upload, chosen, by_method, parse_outputs(outputs), page, output_stem(upload.name),
                              web.settings.max_pixels, min(preview, web.settings.preview_side), timeout)
    return await _submit(request, work.compare, job, kind="compare", budget=timeout * (len(chosen) + 1),
                         uploads=[upload], wait=wait, view={"delivery": delivery})


@router.post("/eval", response_model=EvalOut, responses={**_ACCEPTED, **_ERRORS}, tags=["evaluate"])
async def evaluate(
    request: Request,
    prediction: Annotated[UploadFile, File(description="label image (e.g. a labels output), COCO instance JSON or "
                                                       "BSDS .mat")],
    ground_truth: Annotated[UploadFile, File(description="the same image's ground truth, in one of those formats")],
    task: Annotated[Literal["auto", "semantic", "instance", "panoptic", "partition"],
                    Form(description="auto decides from the formats, as seglab eval does")] = "auto",
    num_classes: Annotated[int | None, Form(ge=1, le=65536, description="semantic: number of classes")] = None,
    ignore_index: Annotated[int | None, Form(description="ground-truth value left out")] = -1,
    nthresh: Annotated[int, Form(ge=1, le=1000, description="partition: thresholds of a ucm2 prediction")] = 99,
    wait: Wait = None,
) -> Response:
    """Score a prediction against its ground truth: the metrics ``seglab eval`` reports."""
    web = _web(request)
    saved = []
    for upload in (prediction, ground_truth):
        head = await upload.read(16)
        await upload.seek(0)
        saved.append(await _save(web, upload, label_file_suffix(head, upload.filename)))
    job = work.EvalRequest(saved[0], saved[1], task, num_classes, ignore_index, nthresh, web.settings.max_pixels)
    return await _submit(request, work.evaluate, job, kind="eval", budget=web.settings.timeout, uploads=saved,
                         wait=wait, view={})


@router.post("/preview", response_model=ImagePreviewOut, responses={**_ACCEPTED, **_ERRORS}, tags=["segment"])
async def preview(
    request: Request,
    image: Annotated[UploadFile, File(description="the image to show")],
    size: Annotated[int, Form(ge=1, description="longest side of the preview (at most the server's)")] = 1024,
    page: Page = None,
    wait: Wait = None,
) -> Response:
    """The image's full size and dtype, and an 8-bit RGB PNG of it for display (16-bit and TIFF included)."""
    web = _web(request)
    upload = await _save(web, image)
    job = work.PreviewRequest(upload, page, web.settings.max_pixels, min(size, web.settings.preview_side))
    return await _submit(request, work.preview, job, kind="preview", budget=web.settings.timeout, uploads=[upload],
                         wait=wait, view={})


@router.get("/jobs/{job_id}", name="job", responses={
    200: {"description": "the job's result: what its POST answers"}, **_ACCEPTED,
    404: {"model": ErrorOut, "description": "no such job (or it expired)"}}, tags=["jobs"])
def job(request: Request, job_id: str) -> Response:
    """Poll a job: 202 while queued or running, then exactly what its POST would have answered."""
    rec = _web(request).runner.get(job_id)
    if rec is None:
        return _error(404, "JobNotFound", f"no job {job_id!r}; finished jobs are kept for a limited time.")
    return _answer(request, rec)


@router.get("/jobs/{job_id}/files/{name}", name="download", tags=["jobs"], responses={
    200: {"content": {"application/octet-stream": {}}, "description": "the file, full resolution"},
    404: {"model": ErrorOut, "description": "no such job or file"}})
def download(request: Request, job_id: str, name: str) -> Response:
    """Download one output file of a finished job."""
    rec = _web(request).runner.get(job_id)
    data = _files_of(rec.result).get(name) if rec is not None and rec.status == "done" else None
    if data is None:
        return _error(404, "FileNotFound", f"job {job_id!r} has no file {name!r} (or it expired).")
    return Response(data, media_type=_media_type(name),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/samples", tags=["samples"])
def samples(request: Request) -> list[str]:
    """The bundled sample images' names."""
    return sorted(_web(request).samples)


@router.get("/samples/{name}", tags=["samples"], responses={
    200: {"content": {"image/png": {}}}, 404: {"model": ErrorOut, "description": "no such sample"}})
def sample(request: Request, name: str) -> Response:
    """One bundled sample image."""
    found = _web(request).samples.get(name)
    if found is None:
        return _error(404, "SampleNotFound", f"no sample {name!r}; GET /samples lists them.")
    return Response(found.read_bytes(), media_type="image/png")


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The web page."""
    return FileResponse(str(_STATIC / "index.html"), media_type="text/html")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's form checks, as one line naming each field."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    text = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in errors)
    return _error(422, "RequestValidationError", text or str(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _error(status, "HTTPException", str(getattr(exc, "detail", exc)))


def _allowed_hosts(host: str) -> list[str]:
    """Host headers accepted: loopback names unless the server listens on every address (DNS rebinding guard)."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return sorted({"127.0.0.1", "localhost", "::1", "[::1]", host})


def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    """The application: the API, the page at ``/`` and its assets under ``/static``.

    Parameters
    ----------
    settings : Settings, optional
        Limits and sizes (defaults: :class:`~seglab.web.settings.Settings`).
    warm : bool
        Start every worker process when the application starts (else on the first job).

    Returns
    -------
    FastAPI
        Its worker pool starts and stops with the application's lifespan.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        list_methods()
        runner = JobRunner(workers=settings.workers, queue_size=settings.queue_size,
                           keep_seconds=settings.keep_seconds, keep_bytes=settings.keep_mb * 2**20,
                           initializer=work.init_worker)
        await asyncio.to_thread(runner.start, warm=warm)
        store = UploadStore()
        samples = {p.name: p for p in (files("seglab") / "samples").iterdir() if p.name.endswith(".png")}
        app.state.web = _Web(settings, runner, store, samples)
        try:
            yield
        finally:
            await asyncio.to_thread(runner.close)
            store.close()

    app = FastAPI(title="seglab", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Segment images with every seglab method; compare methods; score results. "
                  "Long jobs answer 202 with a job id to poll at /jobs/{id}.")
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(TrustedHosts, allowed_hosts=_allowed_hosts(settings.host))
    return app
