"""dlcourse: the support package for the dlcourse notebooks.

Modules, one concept each: `device` (where to compute, seeding), `data` (Fashion-MNIST and
your own image files), `train` (the training loop and evaluation), `models` (small models and
counting), `plots` (figures that take data and return axes). Import explicitly, e.g.
`from dlcourse.train import fit`.
"""

__version__ = "0.1.0"
