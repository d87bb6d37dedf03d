"""dlcourse: the support package for the dlcourse notebooks.

Modules, one concept each: `device` (where to compute, seeding), `data` (the data root,
Fashion-MNIST, in-memory loaders), `imagefiles` (your own image files: data.list, labels.json,
a Dataset), `train` (the training loop and evaluation), `models` (the course's models and
counting), `transfer` (torchvision's models, new output layers, ImageNet weights, checkpoints),
`plots` (figures that take data and return axes), `files` (atomic writes, metrics),
`exercises` (the checks behind every exercise; `exercises_ko`, their Korean feedback). The
notebooks import only these. Import explicitly, e.g. `from dlcourse.train import fit`.

The course's operations live apart, in `dlcourse.workshop` (doctor, bundle, the room server and
its load test); nothing here imports them, and `python -m dlcourse` loads them only when asked.
"""

__version__ = "0.1.0"


class VersionMismatch(Exception):
    """The installed dlcourse is not the one a notebook was written for (Jupyter shows one line)."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting a traceback: the learner sees the message only
        return [str(self)]


def require_version(version: str, source: str) -> None:
    """Stop a notebook, with one line saying how to fix it, unless this dlcourse is `version`."""
    if __version__ != version:
        raise VersionMismatch(
            f"This notebook needs dlcourse {version} but found {__version__}: run "
            f'%pip install "dlcourse @ {source}" and restart the kernel (in a clone of the course, use make lab).')
