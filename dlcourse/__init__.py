"""dlcourse: the support package for the dlcourse notebooks.

Modules, one concept each: `device` (where to compute, seeding), `data` (the data root,
Fashion-MNIST, in-memory loaders), `imagefiles` (your own image files: data.list, labels.json, a Dataset), `train` (the training
loop and evaluation), `models` (the course's models and counting), `transfer` (torchvision's
models, new output layers, ImageNet weights, checkpoints), `plots` (figures that take data and
return axes), `files` (atomic writes, metrics), `workshop` (doctor, bundle). Import explicitly, e.g.
`from dlcourse.train import fit`.
"""

__version__ = "0.1.0"
