"""Executes a Jupyter notebook with nbclient, the way papermill does, for bn-lab's runner.

Usage: python3 execute_notebook.py INPUT OUTPUT [--kernel NAME] [--cwd DIR] [--timeout S]
       [--log-output] [--parameters-json FILE] [--input-path P]
       [--max-cell-output BYTES] [--max-output BYTES] [--reap]

Written by hand because papermill (which does this) is neither packaged in Debian nor reachable
here, and it has no TypeScript support anyway. It follows papermill's conventions so tools that
read papermill output understand ours: `metadata.papermill` on the notebook and on every cell,
an error banner cell at the top when a cell fails, and the output notebook saved after every
cell (atomically) so a failure, a timeout or Ctrl-C still leaves every output produced so far.

Exit codes: 0 success, 1 a cell failed, 2 usage or kernel start error, 3 timeout, 130 interrupted.
"""
import argparse
import datetime
import json
import math
import os
import signal
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def save(nb, path):
    """Writes the notebook to a temporary file beside `path`, then renames it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".ipynb", dir=folder)
    try:
        # mkstemp creates the file private (0600); give it the permissions a plain write would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


BANNER_SOURCE = (
    '<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
    "An Exception was encountered at '<a href=\"#papermill-error-cell\">In [{n}]</a>'.</span>"
)


def cell_text_outputs(cell):
    """The stderr/stdout text and error tracebacks of a cell, for the console report."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts).strip()


OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error", "update_display_data")


class LoggingClient(NotebookClient):
    """Echoes the kernel's output to stderr when --log-output is on: streams as they come, and
    plain-text displays (bn-lab's progress bars update one display in place) at most every 2 s.
    With output caps, a cell's outputs past its cap (or past the notebook's) are dropped and
    counted, so a flood of prints can neither fill the memory nor the saved notebook."""

    log_output = False
    _last_shown = {}
    max_cell_output = None
    max_output = None
    total_output = 0
    cell_output = {}  # cell index -> bytes kept
    cut = {}  # cell index -> bytes dropped

    def process_message(self, msg, cell, cell_index):
        if self.log_output:
            self._echo(msg)
        if self.max_output is not None and msg["msg_type"] in OUTPUT_TYPES:
            size = len(json.dumps(msg["content"]))
            kept = self.cell_output.get(cell_index, 0)
            # Updates replace an output in place: only their own size is capped, not their sum.
            growth = 0 if msg["msg_type"] == "update_display_data" else size
            if (self.cut.get(cell_index) or kept + growth > self.max_cell_output
                    or self.total_output + growth > self.max_output or size > self.max_cell_output):
                self.cut[cell_index] = self.cut.get(cell_index, 0) + size
                return None
            self.cell_output[cell_index] = kept + growth
            self.total_output += growth
        return super().process_message(msg, cell, cell_index)

    def _echo(self, msg):
        kind, content = msg["msg_type"], msg["content"]
        text = None
        if kind == "stream":
            text = content.get("text", "")
        elif kind in ("display_data", "update_display_data"):
            plain = content.get("data", {}).get("text/plain")
            key = content.get("transient", {}).get("display_id")
            now = time.time()
            if plain and (kind == "display_data" or now - self._last_shown.get(key, 0) >= 2):
                self._last_shown[key] = now
                text = plain + "\n"
        if text:
            sys.stderr.write(text)
            sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--timeout", type=float, default=None, help="seconds per cell")
    ap.add_argument("--log-output", action="store_true")
    ap.add_argument("--parameters-json", default=None)
    ap.add_argument("--input-path", default=None, help="the original notebook, for metadata")
    ap.add_argument("--max-cell-output", type=int, default=None, help="bytes of output kept per cell")
    ap.add_argument("--max-output", type=int, default=None, help="bytes of output kept per notebook")
    ap.add_argument("--deadline", type=float, default=None,
                    help="seconds for the whole run; then stop as on SIGTERM and exit 124")
    ap.add_argument("--reap", action="store_true",
                    help="sandboxed grading: report and kill the processes the kernel left behind")
    args = ap.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    parameters, defaults = {}, {}
    if args.parameters_json:
        with open(args.parameters_json, encoding="utf-8") as f:
            given = json.load(f)
        parameters, defaults = given.get("parameters", {}), given.get("default_parameters", {})
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "tslab")
    started = time.time()
    nb.metadata["papermill"] = {
        "default_parameters": defaults,
        "parameters": parameters,
        "environment_variables": {},
        "input_path": args.input_path or args.input,
        "output_path": args.output,
        "version": "bn-lab",
        "start_time": now(),
        "end_time": None,
        "duration": None,
        "exception": None,
    }
    for cell in nb.cells:
        cell.metadata["papermill"] = {"start_time": None, "end_time": None, "duration": None,
                                      "status": "pending", "exception": None}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None

    # nbclient wants whole seconds.
    timeout = int(math.ceil(args.timeout)) if args.timeout else None
    # iopub_timeout: how long nbclient keeps reading a cell's outputs after the kernel replied. The
    # reply comes on another socket, ahead of a backlog of display updates; the 4 s default cut that
    # backlog short on a loaded machine. The kernel sends its final idle status last (and, patched,
    # drops none), so a longer wait costs nothing when outputs arrive promptly.
    client = LoggingClient(nb, kernel_name=kernel, timeout=timeout, iopub_timeout=60,
                           resources={"metadata": {"path": args.cwd or os.path.dirname(os.path.abspath(args.input_path or args.input))}})
    client.log_output = args.log_output
    if args.max_cell_output or args.max_output:
        client.max_cell_output = args.max_cell_output or args.max_output
        client.max_output = args.max_output or args.max_cell_output
    if args.reap:
        # Keep the kernel (the submission's code) out of this process's /proc entries: it could
        # otherwise open this process's files and memory as the same user.
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        except Exception:
            pass
    facts = {"kernel_exit": None, "output_cut": {}, "leftover_processes": []}
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    failure = None  # (exit code, cell index, message)

    def note_cut(index):
        dropped = client.cut.get(index)
        if not dropped:
            return
        cell = nb.cells[index]
        cell.metadata["bn_lab"] = {"output_cut_bytes": dropped}
        cell.outputs.append(nbformat.v4.new_output(
            "stream", name="stderr",
            text=f"\n[bn-lab 채점기: 출력 {dropped:,}바이트를 잘라냈습니다. 셀당 {client.max_cell_output:,}바이트, "
                 f"제출물당 {client.max_output:,}바이트까지만 남깁니다.]\n"))
        facts["output_cut"][cell.get("id") or str(index)] = dropped

    def reap():
        """Every process still alive in the sandbox's PID namespace, besides this one and its init."""
        me, left = os.getpid(), []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in (1, me):
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
                os.kill(int(entry), signal.SIGKILL)
                left.append(cmd[:200] or f"pid {entry}")
            except OSError:
                pass
        return left

    def finish():
        if args.reap:
            # The kernel has been shut down: whatever still runs was started by the submission.
            facts["leftover_processes"] = reap()
        nb.metadata["bn_lab"] = facts
        meta = nb.metadata["papermill"]
        meta["end_time"] = now()
        meta["duration"] = time.time() - started
        meta["exception"] = failure is not None
        if failure is not None and failure[1] is not None:
            index = failure[1]
            nb.cells[index].metadata["papermill"]["exception"] = True
            nb.cells.insert(index, nbformat.v4.new_markdown_cell(
                '<span id="papermill-error-cell" style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">Execution using papermill encountered an exception here and stopped:</span>',
                metadata={"tags": ["papermill-error-cell-tag"]}))
            count = nb.cells[index + 1].get("execution_count") or "?"
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(BANNER_SOURCE.format(n=count),
                                                             metadata={"tags": ["papermill-error-cell-tag"]}))
        save(nb, args.output)

    # Turn SIGTERM into the same clean stop as Ctrl-C so the partial notebook is kept. The kernel
    # runs in its own session and may be stuck in a loop that ignores shutdown requests (a grader's
    # wall-clock limit sends SIGTERM), so kill its process group first.
    def on_sigterm(signum, frame):
        provisioner = getattr(getattr(client, "km", None), "provisioner", None)
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_sigterm)
    # A sandbox in between does not pass signals on: the run keeps its own wall-clock limit.
    deadline_hit = []

    def on_deadline(signum, frame):
        deadline_hit.append(True)
        on_sigterm(signum, frame)

    if args.deadline:
        signal.signal(signal.SIGALRM, on_deadline)
        signal.setitimer(signal.ITIMER_REAL, args.deadline)
    current = None
    try:
        with client.setup_kernel():
            for n, index in enumerate(code_cells, 1):
                current = index
                cell = nb.cells[index]
                meta = cell.metadata["papermill"]
                meta.update(start_time=now(), status="running")
                t0 = time.time()
                sys.stderr.write(f"[{n}/{len(code_cells)}] executing cell {index}\n")
                sys.stderr.flush()
                # tslab sends no execute_input message, so number the prompts here as nbconvert does.
                cell.execution_count = n
                try:
                    client.execute_cell(cell, index, execution_count=n)
                    meta.update(status="completed")
                except DeadKernelError:
                    # Its exit code tells a kernel that exited by itself from one killed by its heap limit.
                    try:
                        process = client.km.provisioner.process
                        process.wait(timeout=5)
                        facts["kernel_exit"] = process.returncode
                    except Exception:
                        pass
                    raise
                finally:
                    meta.update(end_time=now(), duration=time.time() - t0)
                    note_cut(index)
                    save(nb, args.output)
                current = None
    # CellTimeoutError is a CellExecutionError, so it must be caught first.
    except (CellTimeoutError, TimeoutError) as e:
        failure = (3, current, f"cell timed out after {args.timeout} s: {e}")
        if current is not None:
            nb.cells[current].metadata["papermill"]["status"] = "failed"
    except CellExecutionError as e:
        failure = (1, current, str(e))
        nb.cells[current].metadata["papermill"]["status"] = "failed"
    except KeyboardInterrupt:
        failure = (124 if deadline_hit else 130, current, "deadline reached" if deadline_hit else "interrupted")
        if current is not None:
            nb.cells[current].metadata["papermill"]["status"] = "failed"
    except DeadKernelError as e:
        failure = (1, current, f"the kernel died: {e}")
    except Exception as e:  # kernel could not start, etc.
        failure = (2, current, f"{type(e).__name__}: {e}")
    signal.setitimer(signal.ITIMER_REAL, 0)
    finish()
    if failure is None:
        return 0
    code, index, message = failure
    if index is not None:
        cell = nb.cells[index + 2]  # two banner cells were inserted above it
        detail = cell_text_outputs(cell)
        sys.stderr.write(f"\nCell {index} (execution count {cell.get('execution_count')}) failed: {message.splitlines()[0] if message else ''}\n")
        if detail:
            sys.stderr.write(detail + "\n")
    else:
        sys.stderr.write(f"\nExecution failed: {message}\n")
    sys.stderr.write(f"The partial notebook was saved to {args.output}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
