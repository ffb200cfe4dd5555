"""HTTP route for full-text search across resources."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["search"])
