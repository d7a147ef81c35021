"""Leaving a process that has loaded native model libraries, the same way every time.

llama.cpp, CTranslate2 (Whisper), onnxruntime (Piper) and Kaldi (Vosk) each keep thread pools
and C++ static objects whose destructors run in an order nobody controls during the
interpreter's teardown and libc's ``exit()``; one of them crashing there turned a finished
demo into exit code 139 now and then. So a command ends here instead: the Python exit handlers
run first, in their defined order (the LLM frees itself there, sockets and files are closed by
the commands' own ``finally`` blocks before), the standard streams and logs are flushed, and
``os._exit`` leaves without the teardown. Everything durable is committed by then: the store and
the statistics outbox write in SQLite transactions.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    try:
        atexit._run_exitfuncs()
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # a closed pipe at the very end must not change the exit code
        pass
    os._exit(code)


def exit_code(exc: SystemExit) -> int:
    """The code a ``SystemExit`` asks for (argparse's 2, ``sys.exit("message")``'s 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1
