from sqlalchemy import create_engine

engine = create_engine(
    "postgresql://app@db/app",
    pool_size=5,
    max_overflow=10,
    pool_recycle=1800,
)
