"""Blob stores for originals: a folder on disk (the default) and S3-compatible object storage."""
