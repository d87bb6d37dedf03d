"""Command line: `python -m dlcourse data | doctor [--room N] | bundle DIR | hub | handout | collect`.

data    make Fashion-MNIST ready in the data root
doctor  check this computer for the course (never downloads); exit 1 with advice on a problem
bundle  gather what a room without internet needs into DIR (see dlcourse/workshop/bundle.py)
hub     serve the course to a room of browsers with JupyterHub (see dlcourse/workshop/hub.py)
handout merge the clone's notebooks into every learner's copy in the room (dlcourse/workshop/room.py)
collect gather every learner's notebooks and progress for the instructor
"""

from __future__ import annotations

import argparse
import sys


def _bundle(args: argparse.Namespace) -> int:
    """Run `bundle`; one line for every failure a room meets (no internet, a full disk, a folder
    of the user's own). Every file is written under a temporary name first: none is half-copied."""
    from urllib.error import URLError

    from dlcourse.data import DataUnavailableError
    from dlcourse.workshop.bundle import BundleError, bundle

    try:
        bundle(args.dir, wheels=not args.no_wheels, platforms=args.platform, python=args.python)
    except (BundleError, DataUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, URLError) as exc:
        print(f"error: the bundle in {args.dir} is not complete ({type(exc).__name__}: {exc}); "
              "fix that and run the same command again: it keeps what is done", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="make Fashion-MNIST ready in the data root; print the source used")
    data.add_argument("--no-download", action="store_true", help="never try the internet")
    doctor = sub.add_parser("doctor", help="check Python, torch, device, data, weights and the Jupyter kernel")
    doctor.add_argument("--room", type=int, metavar="N", help="check this machine as a room server for N learners")
    bundle = sub.add_parser("bundle", help="gather notebooks, data, weights and wheels for an offline room")
    bundle.add_argument("dir", help="folder to write the bundle into (created if missing)")
    bundle.add_argument("--no-wheels", action="store_true", help="skip downloading the environment's wheels")
    bundle.add_argument("--platform", action="append", choices=["linux", "macos", "windows"],
                        help="the laptops the wheels are for, from uv.lock (repeat for a mixed room; default: this one)")
    bundle.add_argument("--python", help="the learners' Python version, e.g. 3.12 (default: this one's)")
    hub = sub.add_parser("hub", help="start JupyterHub for a workshop room (as root; Ctrl-C stops it)")
    hub.add_argument("--config", default=None, help="the room's settings (default: workshop/hub.toml)")
    handout = sub.add_parser("handout", help="merge the course into every learner's copy in the room (as root)")
    handout.add_argument("--from", dest="source", default=None, help="the notebooks folder (default: the clone's)")
    handout.add_argument("--config", default=None, help="the room's settings (default: workshop/hub.toml)")
    collect = sub.add_parser("collect", help="every learner's notebooks and progress, for the instructor (as root)")
    collect.add_argument("out", nargs="?", default=None,
                         help="a new folder or .zip (default: collected-TIME in the instructor's home)")
    collect.add_argument("--config", default=None, help="the room's settings (default: workshop/hub.toml)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line, not a traceback: the package's errors name the file and the fix
        import subprocess

        clear = isinstance(exc, (OSError, ValueError, RuntimeError, subprocess.CalledProcessError))
        print(f"error: {exc}" if clear and str(exc) else f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "data":
        from dlcourse.data import ensure_fashion_mnist

        ensure_fashion_mnist(download=not args.no_download)
    elif args.command == "doctor" and args.room:
        from dlcourse.workshop.hub import room_doctor

        return room_doctor(args.room)
    elif args.command == "doctor":
        from dlcourse.workshop.doctor import doctor

        return doctor()
    elif args.command == "bundle":
        # Ctrl-C at any moment (importing torch takes a while) gets one line too
        try:
            return _bundle(args)
        except KeyboardInterrupt:
            print(f"interrupted: the bundle in {args.dir} is not complete (no file is half-written); "
                  "run the same command again to finish it", file=sys.stderr)
            return 130
    elif args.command == "hub":
        from dlcourse.workshop.hub import DEFAULT_CONFIG, load_config, serve

        return serve(load_config(args.config or DEFAULT_CONFIG))
    elif args.command == "handout":
        from dlcourse.workshop.hub import DEFAULT_CONFIG, REPO, load_config
        from dlcourse.workshop.room import handout, handout_report

        print(handout_report(handout(load_config(args.config or DEFAULT_CONFIG), args.source or REPO / "notebooks")))
    elif args.command == "collect":
        from dlcourse.workshop.hub import DEFAULT_CONFIG, load_config
        from dlcourse.workshop.room import collect

        print(f"collected into {collect(load_config(args.config or DEFAULT_CONFIG), args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
