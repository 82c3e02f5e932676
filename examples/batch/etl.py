"""Nightly ETL: NullPool opens a connection per checkout, so a pool size means nothing to it."""
import os

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

engine = create_engine(
    "postgresql://etl@warehouse:5432/etl",
    poolclass=NullPool,
    pool_size=int(os.getenv("ETL_POOL_SIZE", "4")),
    pool_pre_ping=True,
)
