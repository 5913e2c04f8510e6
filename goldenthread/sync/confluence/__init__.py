"""Confluence: the REST calls pages need (client) and the publisher that upserts page models."""
