"""Implementations of application ports: Postgres, Redis, queue, LLMs, mail, crypto."""
