"""HTTP routes for conflicts, timeline and stats."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["insights"])
