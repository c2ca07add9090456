"""Fill a database with a campaign and N signatures, fast, for benchmarks.

    python -m bench.generate [--database-url URL] [--signatures 1000000] [--slug bench-export]

The schema comes from the migrations (`flask db upgrade`), the rows from Core bulk inserts
(`COPY` on PostgreSQL); tally shards are filled to match. The default database is a SQLite
file under `bench/results/`. Names mix scripts and include spreadsheet formulas and quotes,
as a real export has to survive them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import Connection, delete, insert, select

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = f"sqlite:///{RESULTS / 'bench.db'}"

FIRST_NAMES = [
    "Ada", "Zoë", "José", "Jürgen", "Nguyễn", "Amaka", "Wanjiru", "Søren", "Łukasz",
    "Алёна", "Владимир", "محمد", "فاطمة", "שרה", "李", "王芳", "さくら", "김민준", "अनन्या",
    "Καλλιόπη", "O'Brien", '"Quoted"', "Comma, Name", "=1+2", "@SUM(A1)", "-Dash", "+Plus",
    '=HYPERLINK("https://evil.example","click")', "Multi\nLine",
]  # fmt: skip
LAST_NAMES = [
    "Lovelace", "Müller", "García", "Dupont", "Okafor", "Kamau", "Kowalski", "Иванова",
    "الحسيني", "כהן", "张", "山田", "박", "शर्मा", "Παπαδοπούλου", "Smith", "N'Diaye", "Ølsen",
]  # fmt: skip
COUNTRIES = [
    "FR", "GB", "DE", "US", "ES", "IT", "KE", "NG", "IN", "BR", "MX", "CA", "PL",
    "NL", "BE", "CH", "SE", "JP", "KR", "IL", "EG", "MA", "SN", "ZA", "AR", "AU",
]  # fmt: skip
SOURCES = [None, None, None, "twitter", "facebook", "whatsapp", "email", "link", "newsletter"]
DAYS = 60


def _rows(campaign_id: int, count: int, now: datetime, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = now - timedelta(days=DAYS)
    span = DAYS * 86400
    # In signing order, as a real table fills; more signatures late on, as when a story breaks.
    offsets = sorted(span * rng.random() ** 0.6 for _ in range(count))
    for n, offset in enumerate(offsets):
        signed_at = start + timedelta(seconds=offset)
        confirmed = rng.random() < 0.9
        confirmed_at = signed_at + timedelta(seconds=rng.randint(20, 7200)) if confirmed else None
        if confirmed_at is not None and confirmed_at > now:
            confirmed_at = now
        email = f"supporter{n}@example.org"
        yield {
            "campaign_id": campaign_id,
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "email": email,
            "email_normalised": email,
            "country": rng.choice(COUNTRIES),
            "postcode": f"{rng.randint(1000, 99999)}" if rng.random() < 0.7 else None,
            "opt_in": rng.random() < 0.4,
            "source": rng.choice(SOURCES),
            "status": "confirmed" if confirmed else "pending",
            "locale": "fr" if rng.random() < 0.3 else "en",
            "signed_at": signed_at,
            "confirmed_at": confirmed_at,
            "confirmation_token_hash": None,
            "confirmation_expires_at": None if confirmed else signed_at + timedelta(days=30),
            "repeat_emails_sent": 0,
            "consent_version": "2026-11-28",
            "ip_hash": None,
        }


SIGNED_AT = object()  # (a default: the row's signing time)


def _copy_postgres(connection: Connection, rows: Iterator[dict[str, Any]]) -> None:
    # COPY applies no SQLAlchemy defaults: a column the rows do not name gets its model's
    # scalar default (suspect: false), or the signing time for a time made by a function
    # (modified_at).
    first = next(rows, None)
    if first is None:
        return
    table = Signature.__table__
    columns = [c.name for c in table.columns if c.name != "id"]
    fill: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name not in first and default is not None:
            fill[column.name] = SIGNED_AT if default.is_callable else default.arg  # type: ignore[attr-defined]
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        statement = f"COPY signatures ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in itertools.chain([first], rows):
                values = {**fill, **row}
                copy.write_row(
                    [
                        row["signed_at"] if values.get(c) is SIGNED_AT else values.get(c)
                        for c in columns
                    ]
                )


def _insert_batches(connection: Connection, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 20_000:
            connection.execute(insert(Signature), batch)
            batch = []
    if batch:
        connection.execute(insert(Signature), batch)


def generate(database_url: str, count: int, slug: str, seed: int = 1) -> dict[str, int]:
    """Create (or replace) campaign `slug` with `count` signatures; return the counts."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark", "TESTING": False}
    )
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            old = connection.scalar(select(Campaign.id).where(Campaign.slug == slug))
            if old is not None:
                connection.execute(delete(Signature).where(Signature.campaign_id == old))
                connection.execute(delete(TallyShard).where(TallyShard.campaign_id == old))
                connection.execute(delete(Campaign).where(Campaign.id == old))
            campaign_id = connection.execute(
                insert(Campaign)
                .values(
                    slug=slug,
                    locale="en",
                    title="Benchmark: a moratorium on surveillance technology",
                    summary="A campaign with many signatures, for measuring.",
                    body="## The demand\n\nA moratorium.",
                    target="World leaders",
                    goal=max(count, 1),
                    featured=False,
                    show_recent_signers=True,
                    signing_paused=False,
                    created_at=now - timedelta(days=DAYS),
                    updated_at=now,
                )
                .returning(Campaign.id)
            ).scalar_one()
            confirmed_by_country: Counter[str] = Counter()

            def counted() -> Iterator[dict[str, Any]]:
                for row in _rows(campaign_id, count, now, seed):
                    if row["status"] == "confirmed":
                        confirmed_by_country[row["country"]] += 1
                    yield row

            if connection.dialect.name == "postgresql":
                _copy_postgres(connection, counted())
            else:
                _insert_batches(connection, counted())
            if confirmed_by_country:
                connection.execute(
                    insert(TallyShard),
                    [
                        {
                            "campaign_id": campaign_id,
                            "country": country,
                            "shard": 0,
                            "signature_count": n,
                            "updated_at": now,
                        }
                        for country, n in confirmed_by_country.items()
                    ],
                )
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE signatures")
        else:
            with db.engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    confirmed = sum(confirmed_by_country.values())
    return {"signatures": count, "confirmed": confirmed, "pending": count - confirmed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--slug", default="bench-export")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.database_url, args.signatures, args.slug)
    print(
        f"{counts['signatures']:,} signatures ({counts['confirmed']:,} confirmed) "
        f"in {time.perf_counter() - started:.1f} s -> {args.database_url}"
    )


if __name__ == "__main__":
    main()
