// Ledger service (Rust, sqlx): seed 002's pool of 10 connections, written in code.
use sqlx::postgres::PgPoolOptions;

#[tokio::main]
async fn main() -> Result<(), sqlx::Error> {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(&database_url)
        .await?;
    sqlx::query("SELECT 1").execute(&pool).await?;
    Ok(())
}
