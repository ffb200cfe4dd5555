"""HTTP routes for the typed links between commitments."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/links", tags=["commitments"])
