"""Chat history (seed 001's AsyncSqlRepo): one aiosqlite connection shared by every request."""
import aiosqlite


class HistoryRepo:
    def __init__(self, path: str = "chat_history.db"):
        self.path = path
        self._conn = None

    async def _ensure_connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            self._conn = await aiosqlite.connect(self.path, timeout=0)
        return self._conn

    async def add(self, room: str, text: str) -> None:
        conn = await self._ensure_connection()
        await conn.execute("INSERT INTO messages (room, text) VALUES (?, ?)", (room, text))
        await conn.commit()
