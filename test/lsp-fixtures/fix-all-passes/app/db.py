# Two fixes insert at the same place (after pool_size=5,): one pass takes the first, the next the other.
from sqlalchemy import create_engine

engine = create_engine(
    "postgresql://app@db.internal/app",
    pool_size=5,
)
