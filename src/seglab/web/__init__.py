"""``seglab serve``: a local web page and REST API over every registered method (extra ``seglab[web]``).

==================  ==============================================================
``settings``        :class:`Settings`: address, workers, queue, upload and pixel limits, timeouts
``app``             :func:`~seglab.web.app.create_app`: the FastAPI application (needs the extra)
``runner``          the job runner: a bounded queue in front of a spawn process pool
``work``            what the workers run, through :mod:`seglab.run` only
``uploads``         the private folder uploads wait in, under random names
``limits``          the upload limit and the page's security headers (ASGI middleware)
``errors``          the HTTP status of each error
``models``          the JSON answers, as /openapi.json documents them
``static/``         the page: plain HTML, CSS and JavaScript, no build step, no CDN
==================  ==============================================================

Importing this package is light; FastAPI and uvicorn are imported by
:mod:`seglab.web.app` and ``seglab serve`` only.

Examples
--------
>>> from seglab.web import Settings
>>> Settings(port=8080).port
8080
"""

from __future__ import annotations

from .settings import Settings

__all__ = ["Settings"]
