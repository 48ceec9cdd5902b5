"""One `ofq serve` process for the loopback suites (tests/server, tests/production):
started on a free port (the port is read from its startup line), stderr drained line by
line into `log` so that it never blocks on a full pipe, stopped with SIGTERM."""
import re
import signal
import subprocess
import threading
import time


class ServeProcess:
    def __init__(self, ofq, catalog, index_dir, *extra):
        self.args = [ofq, "serve", str(catalog), "--listen", "127.0.0.1:0", "--index-dir", str(index_dir),
                     *[str(e) for e in extra]]
        self.proc = subprocess.Popen(self.args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = []
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://[^:]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.wait(5)
            raise RuntimeError("ofq serve did not start: " + "".join(self.log) + self.proc.stderr.read())
        self.url = "http://127.0.0.1:%d/" % self.port
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after `timeout` seconds; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
