"""A seeded data folder is copied for each end-to-end platform (benchmarks.processes
`copy_data_folder`) without the Postgres socket a stopping server may still leave for a moment:
copying a socket fails, and the copy's server makes its own."""

import socket
from pathlib import Path

from benchmarks.processes import copy_data_folder


def test_a_left_over_postgres_socket_is_not_copied(tmp_path: Path) -> None:
    seeded = tmp_path / "seeded"
    (seeded / "pgdata" / "base").mkdir(parents=True)
    (seeded / "pgdata" / "base" / "1").write_text("a table")
    (seeded / "pgdata" / "PG_VERSION").write_text("16\n")
    (seeded / "pgdata" / ".s.PGSQL.5432.lock").write_text("4242\n")
    left_over = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        left_over.bind(str(seeded / "pgdata" / ".s.PGSQL.5432"))
        copy_data_folder(seeded, tmp_path / "copy")
    finally:
        left_over.close()

    copied = tmp_path / "copy" / "pgdata"
    assert (copied / "base" / "1").read_text() == "a table"
    assert (copied / "PG_VERSION").read_text() == "16\n"
    assert not (copied / ".s.PGSQL.5432").exists()
    assert not (copied / ".s.PGSQL.5432.lock").exists()
