"""A one-node SLURM on this machine for the tests: Debian's slurmctld, slurmd and munge,
a configuration for this host in a temporary folder, the daemons started on localhost and
stopped by the pids they wrote.

Job accounting comes from SLURM's job-completion log (``jobcomp/filetxt``: one line per
finished job with its state, time limit and TRES), so no slurmdbd or database is needed;
the executor plugin then checks job states with ``squeue``.

The plugin's job step clears ``SLURM_CONF`` before it calls ``srun``, so ``srun`` reads
/etc/slurm/slurm.conf: the cluster writes its configuration there too, only when that
file is absent or one this module wrote (an interrupted run's), so that a machine with a
SLURM of its own is left alone; it removes it again when it stops.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from conftest import free_port

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
PROGRAMS = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "sinfo")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
CLUSTER_LINE = "ClusterName=balancebc-test\n"  # marks a configuration this module wrote (an interrupted run's may remain)


def unavailable() -> str | None:
    """Why a SLURM cannot run here, or None; installs the Debian packages when missing."""
    if os.geteuid() != 0:
        return "installing SLURM's packages and running its daemons needs root"
    if any(shutil.which(p) is None for p in PROGRAMS):
        if shutil.which("apt-get") is None:
            return f"SLURM is not installed ({', '.join(PROGRAMS)}) and there is no apt-get to install it"
        proc = subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                              + " ".join(PACKAGES), shell=True, capture_output=True, text=True)
        if proc.returncode != 0:
            return f"apt-get install {' '.join(PACKAGES)} failed: {(proc.stderr or proc.stdout)[-800:]}"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text().startswith(CLUSTER_LINE):
        return f"{SYSTEM_CONF} exists: this machine has a SLURM configuration of its own, which the test leaves alone"
    return None


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent (containers may lack an init that reaps)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _memory_mb() -> int:
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return int(total_kb / 1024 * 0.8)


class LocalSlurm:
    """``start()`` / ``stop()`` a cluster of this one host with one partition."""

    def __init__(self, root: Path, partition: str):
        self.root, self.partition = Path(root), partition
        self.conf = self.root / "slurm.conf"
        self.jobcomp = self.root / "jobcomp.log"
        self.pidfiles = [self.root / n for n in ("munged.pid", "slurmctld.pid", "slurmd.pid")]
        self.env = {"SLURM_CONF": str(self.conf)}

    def _config(self) -> str:
        host, r = socket.gethostname().split(".")[0], self.root
        return CLUSTER_LINE + f"""\
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={r}/munge.socket
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName={self.partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""

    def start(self, timeout: float = 60) -> None:
        for d in ("state", "spool"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o600)
        self._run("munged", "--force", f"--socket={self.root}/munge.socket", f"--key-file={key}",
                  f"--pid-file={self.root}/munged.pid", f"--log-file={self.root}/munged.log",
                  f"--seed-file={self.root}/munged.seed")
        self.conf.write_text(self._config())
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.conf, SYSTEM_CONF)
        self._run("slurmctld", "-f", str(self.conf))
        self._run("slurmd", "-f", str(self.conf))
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                                   env={**os.environ, **self.env}).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError(f"the SLURM node did not come up (sinfo: {state!r}); logs:\n{self.logs()}")

    def _run(self, *cmd: str) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **self.env})
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n" + "\n".join(p.read_text().splitlines()[-15:])
                         for p in sorted(self.root.glob("*.log")))

    def _pids(self) -> list[int]:
        """The pids the daemons wrote, in start order (munged, slurmctld, slurmd)."""
        return [int(p.read_text().split()[0]) for p in self.pidfiles if p.exists()]

    def stop(self, timeout: float = 15) -> None:
        """Stop the daemons this cluster started (slurmd, slurmctld, munged), by pid."""
        for pid in reversed(self._pids()):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.time() + timeout
            while time.time() < deadline and _alive(pid):
                time.sleep(0.2)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.conf.exists() and SYSTEM_CONF.exists() and SYSTEM_CONF.read_text() == self.conf.read_text():
            SYSTEM_CONF.unlink()

    def running(self) -> list[int]:
        """The pids of this cluster's daemons that are still alive."""
        return [pid for pid in self._pids() if _alive(pid)]

    def finished_jobs(self) -> list[dict[str, str]]:
        """SLURM's record of every finished job: JobId, JobState, TimeLimit, Tres, ..."""
        if not self.jobcomp.exists():
            return []
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in self.jobcomp.read_text().splitlines() if line]
