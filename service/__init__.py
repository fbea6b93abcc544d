"""Marraine's HTTP service: a thin FastAPI shell over the ``matching`` engine.

It owns the stateful programme API (programmes, participants, match runs executed by a
worker process, coordinator decisions, publishing), API keys and persistence. It adds no
matching logic: every result comes from :func:`matching.match`.
"""
