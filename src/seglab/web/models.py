"""The shapes of the API's JSON answers (they document /openapi.json and are checked on the way out)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "ErrorOut", "JobOut", "FileOut", "ImageOut", "PreviewOut", "SegmentOut", "CompareItemOut", "CompareOut", "EvalOut",
    "ImagePreviewOut", "HealthOut", "MethodsOut",
]


class ErrorOut(BaseModel):
    """Any error: what went wrong, in one line that names the parameter or file."""

    detail: str = Field(description="the message, naming the parameter, method or file at fault")
    error: str = Field(description="the error type, e.g. InvalidParameterError")


class JobOut(BaseModel):
    """A job still queued or running (HTTP 202): poll `url` until it answers something else."""

    job: str
    kind: str
    status: Literal["queued", "running"]
    position: int = Field(description="place in the queue (1 = next); 0 once running")
    seconds: float = Field(description="seconds since the job was submitted")
    url: str = Field(description="GET it for the result")


class FileOut(BaseModel):
    """One output file: a download URL, or its content in base64 (``delivery=base64``)."""

    name: str
    media_type: str
    size: int
    url: str | None = None
    base64: str | None = None


class ImageOut(BaseModel):
    """The image as read: full resolution, its own dtype."""

    height: int
    width: int
    channels: int
    dtype: str


class PreviewOut(BaseModel):
    """Display PNGs (base64) of the preview size: labels as ids ``R + 256 G + 256**2 B``, or the image as RGB."""

    height: int
    width: int
    png: str


class SegmentOut(BaseModel):
    """A finished segmentation."""

    job: str
    status: Literal["done"] = "done"
    method: str
    task: str
    params: dict[str, Any] = Field(description="every parameter the method ran with, defaults filled in")
    meta: dict[str, Any] = Field(description="by-products, e.g. the threshold")
    classes: list[str]
    segments: int = Field(description="distinct labels other than background and void")
    seconds: float = Field(description="time in the method")
    total_seconds: float = Field(description="time from submission to the end of the job (reading, encoding, queue)")
    image: ImageOut
    notes: list[str]
    files: list[FileOut]
    preview: PreviewOut | None = None


class CompareItemOut(BaseModel):
    """One method of a comparison: its result, or (``status`` not 200) why it failed."""

    method: str
    status: int
    error: str | None = None
    detail: str | None = None
    task: str | None = None
    params: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    classes: list[str] | None = None
    segments: int | None = None
    seconds: float | None = None
    notes: list[str] | None = None
    files: list[FileOut] | None = None
    preview: PreviewOut | None = None


class CompareOut(BaseModel):
    """Several methods on one image."""

    job: str
    status: Literal["done"] = "done"
    total_seconds: float
    image: ImageOut
    notes: list[str]
    results: list[CompareItemOut]


class EvalOut(BaseModel):
    """The scores of ``seglab eval``: one row per image and the data-set summary."""

    job: str
    status: Literal["done"] = "done"
    task: str
    task_reason: str = Field(description="why task auto chose this task (as seglab eval prints it)")
    summary: dict[str, Any] | None
    images: list[dict[str, Any]]
    unpaired: int = Field(description="entries of one side without a partner on the other (COCO files)")
    notes: list[str]


class ImagePreviewOut(BaseModel):
    """An uploaded image's size and type, and a display PNG of it."""

    job: str
    status: Literal["done"] = "done"
    image: ImageOut
    notes: list[str]
    preview: PreviewOut


class HealthOut(BaseModel):
    """The server is up: its version, its workers and queue, and its limits."""

    status: Literal["ok"] = "ok"
    version: str
    workers: int
    running: int
    queued: int
    queue_size: int
    limits: dict[str, int | float]


class MethodsOut(BaseModel):
    """Every registered method with its parameter schema (as ``seglab info --json``), and the output kinds."""

    methods: list[dict[str, Any]]
    outputs: dict[str, str]
