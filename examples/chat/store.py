"""Chat history in SQLite (seed 000): the pool was raised to fix "QueuePool limit of size 5 overflow 10 reached"."""
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(
    "sqlite+aiosqlite:///./chat_history.db",
    pool_size=20,
    max_overflow=30,
    pool_pre_ping=True,
)
