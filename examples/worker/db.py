"""Background worker: talks to the MySQL order database."""
import sqlalchemy as sa

ORDERS_URL = "mysql+pymysql://worker@orders-db:3306/orders"

engine = sa.create_engine(
    ORDERS_URL,
    pool_size=60,
    max_overflow=0,
)
