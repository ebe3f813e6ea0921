"""Indgang: one way in to the municipal youth service."""
