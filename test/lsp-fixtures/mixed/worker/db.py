import os

from sqlalchemy import create_engine

engine = create_engine(
    os.environ["DATABASE_URL"],
    pool_size=int(os.getenv("WORKER_POOL_SIZE", "5")),
    max_overflow=int(os.getenv("WORKER_MAX_OVERFLOW", "10")),
    pool_pre_ping=True,
    pool_recycle=1800,
)
