"""Reporting queries run long; someone removed the timeout."""
from sqlalchemy import create_engine


def engine_options() -> dict:
    return {
        "pool_size": 50,
        "pool_timeout": None,  # never fail a report
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }


engine = create_engine("postgresql+psycopg://reports@warehouse:5432/reports", **engine_options())
