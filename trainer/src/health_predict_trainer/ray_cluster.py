"""A real multi-node Ray cluster on this machine, for tests and the benchmark: a head and worker
nodes, each a separate ``ray start --block`` process in its own process group, joined by
training through ``RAY_ADDRESS``.

Worker nodes carry the custom resource ``hp_worker`` so their node ids can be told from the
head's. The cluster is private to its owner: its own temp dir, free ports (nothing on Ray's
default ports, so two clusters and a local ``ray.init`` coexist), addressed at 127.0.0.1 (Ray's
servers still listen on every interface), token authentication with a token of its own (never
~/.ray/auth_token), usage stats off (the machine is offline). ``stop`` ends exactly the
processes it started: their process groups, then anything still naming its temp dir — never
``ray stop``, which ends every Ray process of the user. Should the owner die without stopping
it (SIGKILL), each ``ray start`` gets SIGTERM from the kernel (parent-death signal) and ends
its node.
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .local_mlflow import free_port

WORKER_RESOURCE = "hp_worker"
NODE_IP = "127.0.0.1"
# Ray's socket paths (<TMPDIR>/hp-ray-XXXXXXXX/head/session_<date>_<µs>_<pid>/sockets/plasma_store,
# about 86 bytes past TMPDIR) must stay under the 107-byte AF_UNIX limit: a longer TMPDIR falls
# back to /tmp.
_MAX_TMPDIR_LEN = 20

# Run by the driver env in a child process: waits until `expected` nodes are alive, prints them.
_PROBE = """
import json, sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
deadline = time.monotonic() + float(sys.argv[3])
while True:
    alive = [n for n in ray.nodes() if n["Alive"]]
    if len(alive) >= int(sys.argv[2]) or time.monotonic() > deadline:
        break
    time.sleep(0.5)
print(json.dumps([{"node_id": n["NodeID"], "resources": n["Resources"]} for n in alive]))
"""


@dataclass(frozen=True)
class RayNode:
    node_id: str
    resources: dict

    @property
    def is_worker(self) -> bool:
        return WORKER_RESOURCE in self.resources


class LocalRayCluster:
    """``with LocalRayCluster(workers=1) as cluster:`` → ``cluster.env`` joins it (RAY_ADDRESS + auth)."""

    def __init__(self, workers: int = 1, cpus_per_node: int = 1, env: dict | None = None,
                 startup_timeout: float = 90, ray_bin: str | Path | None = None):
        if workers < 0 or cpus_per_node < 1:
            raise ValueError("LocalRayCluster needs workers >= 0 and cpus_per_node >= 1")
        self.workers = workers
        self.cpus_per_node = cpus_per_node
        self.startup_timeout = startup_timeout
        self.ray_bin = str(ray_bin or Path(sys.executable).with_name("ray"))
        self._base_env = dict(os.environ if env is None else env)
        self.root: Path | None = None
        self.address: str | None = None
        self.nodes: list[RayNode] = []
        self._procs: list[subprocess.Popen] = []

    @property
    def env(self) -> dict:
        """What a driver (the training CLI) needs to join: RAY_ADDRESS and the cluster's token."""
        if self.root is None or self.address is None:
            raise RuntimeError("the Ray cluster is not running: use it inside `with LocalRayCluster(...)`")
        return {"RAY_ADDRESS": self.address, "RAY_AUTH_MODE": "token",
                "RAY_AUTH_TOKEN_PATH": str(self.root / "auth_token"), "RAY_USAGE_STATS_ENABLED": "0"}

    @property
    def worker_node_ids(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.is_worker]

    @property
    def head_node_id(self) -> str:
        return next(n.node_id for n in self.nodes if not n.is_worker)

    def start(self) -> "LocalRayCluster":
        base = tempfile.gettempdir()
        self.root = Path(tempfile.mkdtemp(prefix="hp-ray-", dir=base if len(base) <= _MAX_TMPDIR_LEN else "/tmp"))
        (self.root / "auth_token").write_text(secrets.token_hex(32))
        self.address = f"{NODE_IP}:{free_port()}"
        try:
            self._start_node("head", ["--head", "--port", self.address.rsplit(":", 1)[1],
                                      "--include-dashboard=false", "--dashboard-port", str(free_port())])
            for index in range(1, self.workers + 1):
                self._start_node(f"w{index}", ["--address", self.address,
                                               "--resources", json.dumps({WORKER_RESOURCE: 1})])
            self.nodes = self._wait_for_nodes(1 + self.workers)
        except BaseException:
            self.stop()
            raise
        return self

    def _node_env(self) -> dict:
        env = {**self._base_env, **self.env, "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
        env.pop("RAY_ADDRESS")  # `ray start` takes the address from its arguments
        return env

    def _start_node(self, name: str, args: list[str]) -> None:
        node_dir = self.root / name
        node_dir.mkdir()
        log = open(node_dir.with_suffix(".log"), "wb")
        try:
            self._procs.append(subprocess.Popen(
                [self.ray_bin, "start", "--block", *args, "--num-cpus", str(self.cpus_per_node),
                 "--node-ip-address", NODE_IP, "--temp-dir", str(node_dir), "--disable-usage-stats",
                 "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port()),
                 "--runtime-env-agent-port", str(free_port()), "--metrics-export-port", str(free_port())],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                env=self._node_env(), cwd=node_dir, preexec_fn=_terminate_with_parent,
            ))
        finally:
            log.close()

    def _log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                         for p in sorted(self.root.glob("*.log")))

    def _wait_for_nodes(self, expected: int) -> list[RayNode]:
        env = {**self._base_env, **self.env}
        probe = subprocess.Popen([sys.executable, "-c", _PROBE, self.address, str(expected),
                                  str(self.startup_timeout)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
        deadline = time.monotonic() + self.startup_timeout + 60
        try:
            while probe.poll() is None:
                dead = [" ".join(p.args[2:4]) for p in self._procs if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    reason = f"`ray start {dead[0]} ...` exited" if dead else "no answer in time"
                    raise RuntimeError(f"the Ray cluster at {self.address} did not start ({reason})\n"
                                       f"{self._log_tail()}")
                time.sleep(0.5)
            out, err = probe.communicate()
        finally:
            if probe.poll() is None:
                probe.kill()
                probe.communicate()
        if probe.returncode != 0:
            raise RuntimeError(f"cannot reach the Ray cluster at {self.address}: {err[-1500:]}\n{self._log_tail()}")
        nodes = [RayNode(n["node_id"], n["resources"]) for n in json.loads(out.strip().splitlines()[-1])]
        if len(nodes) < expected:
            raise RuntimeError(f"the Ray cluster at {self.address} has {len(nodes)} of {expected} nodes "
                               f"after {self.startup_timeout:.0f} s\n{self._log_tail()}")
        return nodes

    def stop(self, grace_s: float = 10) -> None:
        # workers first, the head (GCS) last; SIGTERM lets each node end its own processes
        for proc in reversed(self._procs):
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        self._procs.clear()
        if self.root is not None:
            _kill_naming(str(self.root))
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        self.address = None

    def __enter__(self) -> "LocalRayCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _terminate_with_parent() -> None:
    """In the forked child: SIGTERM when the process that started it dies (Linux prctl)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_naming(marker: str) -> None:
    """SIGKILL every process whose command line names `marker` (a node process that left its group)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
