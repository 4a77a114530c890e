"""The whole seed study as one cached, resumable pipeline with an HTML/Markdown report."""

from ctdenoise.study.reproduce import reproduce

__all__ = ["reproduce"]
