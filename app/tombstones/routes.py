"""HTTP routes for tombstones: list deleted records and restore them."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/tombstones", tags=["tombstones"])
