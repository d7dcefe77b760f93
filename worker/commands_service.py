"""`formaudit serve`, `formaudit worker` and `formaudit beat`: the service's three processes.

Each validates the settings first (exit 2 with the message naming the key), then starts its
process. The modules behind them are imported only here, so `extract` and `audit` never load
FastAPI or Celery, and `serve` never loads OpenCV or ONNX (the embedded pipeline runs its
extraction in a child process).
"""
from __future__ import annotations

import argparse
from typing import TextIO

from worker.commands_audit import read_settings


def run_service_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    settings = read_settings(args.config, stderr)
    if settings is None:
        return 2
    if args.command == "serve":
        from worker.api.serve import serve

        return serve(settings, args.host, args.port, stdout, stderr)
    if settings.service.redis_url is None:
        print(f"formaudit: {args.command} needs a broker: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)", file=stderr)
        return 2
    from worker.queue_commands import start_beat, start_worker

    if args.command == "worker":
        return start_worker(settings, args.concurrency)
    return start_beat(settings)
