# dlcourse: `make lab` to learn, `make test` to check everything, `make course` to run it all headless.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# uv installs .venv from uv.lock (the same versions on every computer); without uv on the PATH,
# make installs it first, with pip, into .uv/ in this folder. It compiles the packages' bytecode
# once, at install (SYNC): Python otherwise compiles PyTorch's modules in every new process (a
# kernel, a test's subprocess) where it may not write them (PYTHONDONTWRITEBYTECODE, a read-only
# environment): `import torch` took 4.3 s here that way, 2.3 s from the compiled files.
UV     ?= $(shell command -v uv 2>/dev/null || echo .uv/bin/uv)
SYNC   := $(UV) sync --locked --inexact --compile-bytecode
LAB_STAMP := $(VENV)/.installed-lab
STAMP  := $(VENV)/.installed
HUB_STAMP := $(VENV)/.hub-installed
HUB_PROXY := .hub/node/node_modules/.bin/configurable-http-proxy
BOOK_FONT := .book/node/node_modules/@fontsource/noto-sans-kr/400.css
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
export TQDM_DISABLE ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv data lab test test-colab test-unit test-notebooks test-gpu course execute ko solutions bench doctor hub hub-install book clean

help:
	@echo "make lab      open the course in JupyterLab (creates .venv and the data if missing)"
	@echo "make doctor   check this computer for the course (Python, torch, device, data, kernel)"
	@echo "make hub      serve the course to a room of browsers (JupyterHub, as root; workshop/hub.toml)"
	@echo "make test     run every test on this machine (CPU; CUDA tests skip without a GPU)"
	@echo "make test-colab run every notebook on Google Colab's runtime (tests/colab-runtime.txt) in .venv-colab"
	@echo "make test-gpu run the CUDA tests and every notebook on CUDA; fails when there is no CUDA"
	@echo "make course   execute every notebook headless into build/ and print a summary table"
	@echo "make execute  re-execute the committed notebooks in place (CPU, fixed seeds), then make ko"
	@echo "make ko       build the Korean notebooks (notebooks/ko/) from the English ones and the translations"
	@echo "make solutions write every notebook with its exercises solved to build/solutions/"
	@echo "make book     build the course's website into build/book/ (HUB_URL=... adds a room-server button)"
	@echo "make bench    measure speed (writes bench/results.json); AGAINST=REF before/after, QUICK=1 smoke run, README=1 update the READMEs"

venv: $(LAB_STAMP)

# pip's --target (a few seconds); where the system's pip refuses, uv's own small venv. Delete .uv/ to update uv.
.uv/bin/uv:
	@echo "Installing uv (the installer the course uses) into .uv/ with pip"
	@$(PYTHON) -m pip install -q --disable-pip-version-check --target .uv uv \
	  || { rm -rf .uv && $(PYTHON) -m venv .uv && .uv/bin/python -m pip install -q --disable-pip-version-check uv; }

# What a learner needs (the course, JupyterLab); --inexact keeps what `make test` or `make hub` added.
# uv prints its progress; the first time it downloads PyTorch (see README's Quick start for sizes).
$(LAB_STAMP): pyproject.toml uv.lock | $(UV)
	$(SYNC)
	@touch $@

# The same plus the test group (pytest, papermill, nbval, Playwright, ...).
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(SYNC) --group test --group book
	@touch $@ $(LAB_STAMP)

# Fashion-MNIST: data root, else Debian's package, else download; with none of them and apt as
# root, install Debian's dataset-fashion-mnist (it comes from the distribution mirror).
data: $(LAB_STAMP)
	@$(PY) -m dlcourse data || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's dataset-fashion-mnist with apt-get"; \
	    { apt-get update -q && apt-get install -y -q dataset-fashion-mnist; } >/dev/null && $(PY) -m dlcourse data; \
	  else \
	    echo "No data: follow one of the three fixes above, then run make again."; exit 1; \
	  fi; }

lab: $(LAB_STAMP) data
	TQDM_DISABLE= $(PY) -m jupyter lab notebooks/

# Every test in one run of pytest, in JOBS processes at once (pytest-xdist; JOBS=1: one): the
# unit tests (a few minutes; the room server's included; a test file's tests in one process),
# every notebook twice in one kernel (in English as shipped: committed outputs, 0 exercises
# passed; then in Korean, solved: floors, every exercise passed, the same metrics; 01's English
# runs through JupyterLab in Chromium), longest first, so the processes finish together.
# A notebook's kernel gets cores / JOBS CPU threads: kernels sharing the cores, not fighting over
# them (PyTorch's threads slow down many times over when more of them run than there are cores).
JOBS ?= 2
XDIST = $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist loadgroup --no-loadscope-reorder)
KERNEL_THREADS = $$(( $$(nproc) / $(JOBS) > 1 ? $$(nproc) / $(JOBS) : 1 ))

test: $(STAMP) data $(HUB_STAMP) $(BOOK_FONT)
	OMP_NUM_THREADS=$(KERNEL_THREADS) $(PY) -m pytest tests -q $(XDIST) --durations=15

# Google Colab's runtime (tests/colab-runtime.txt: Colab's torch, IPython, ipykernel, ipywidgets 7, ...
# on this machine's Python) in .venv-colab, without dlcourse: each notebook's setup cell installs it
# as on Colab, in that environment's own kernel (tests/colab_notebooks.py). Colab's versions are the
# floors in pyproject.toml, so this is also the oldest-floor run. One test process: the notebooks
# take turns installing dlcourse into the one environment. Its PyTorch is PyPI's (a CUDA build, ~3 GB).
COLAB_VENV  := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed
$(COLAB_STAMP): tests/colab-runtime.txt | $(UV)
	rm -rf $(COLAB_VENV)
	$(UV) venv -q --python $(PYTHON) $(COLAB_VENV)
	VIRTUAL_ENV=$(COLAB_VENV) $(UV) pip install -q --compile-bytecode -r tests/colab-runtime.txt
	@touch $@

test-colab: $(STAMP) data $(COLAB_STAMP)
	$(PY) -m pytest tests/colab_notebooks.py -q -p no:xdist --durations=15

# The same, split in two: everything but the notebooks' runs and the browser; then those.
test-unit: $(STAMP) data $(HUB_STAMP) $(BOOK_FONT)
	OMP_NUM_THREADS=$(KERNEL_THREADS) $(PY) -m pytest tests -q -m "not notebook and not browser" $(XDIST) --durations=10

test-notebooks: $(STAMP) data
	OMP_NUM_THREADS=$(KERNEL_THREADS) $(PY) -m pytest tests -q -m "notebook or browser" $(XDIST) --durations=10

test-gpu: $(STAMP) data
	$(PY) -m pytest tests -q -m cuda --require-cuda

course: $(STAMP) data
	$(PY) tools/run_course.py --out build

# QUICK=1: a smoke run of every section at tiny sizes (figures not meaningful); AGAINST=REF: also
# REF's notebooks and dlcourse (a git ref) in the same run, before and after side by side;
# README=1: rewrite README.md's summary and bench/README.md's table from this run; THREADS=N: torch threads.
# Then the room server's load test (dlcourse/workshop/loadtest.py: K = 1, 2, 4, 8 learners running
# notebook 03 at once through JupyterHub, as root; bench/hub.json). QUICK=1: 1 and 2 learners, 1 epoch.
bench: $(STAMP) data $(HUB_STAMP)
	$(PY) -m bench.bench $(if $(filter-out 0,$(QUICK)),--quick) $(if $(filter-out 0,$(README)),--readme) \
	  $(if $(THREADS),--threads $(THREADS)) $(if $(AGAINST),--against $(AGAINST))
	$(PY) -m dlcourse.workshop.loadtest $(if $(filter-out 0,$(QUICK)),--learners 1 2 --epochs 1 --out bench/raw/hub-quick.json)

execute: $(STAMP) data
	$(PY) tools/execute.py $(NOTEBOOKS)
	$(MAKE) ko

# The Korean edition, notebooks/ko/, from the English notebooks and notebooks/ko/translations/
# (tools/translate.py says how): a Korean notebook is executed again only when its inputs changed.
ko: $(STAMP) data
	$(PY) tools/translate.py build

# The exercises' solutions (notebooks/solutions/*.py) filled into the notebooks: build/solutions/.
solutions: $(STAMP)
	$(PY) tools/solutions.py --out build/solutions

# Check this computer: Python, torch, device, data, pretrained weights, Jupyter kernel (offline);
# ROOM=N: check it as a room server for N learners (hub, proxy, shared data, memory).
doctor: $(LAB_STAMP)
	$(PY) -m dlcourse doctor $(if $(ROOM),--room $(ROOM))

# The workshop room server: JupyterHub (the `hub` extra) and its proxy from npm, into .hub/node.
hub-install: $(HUB_STAMP)
$(HUB_STAMP): $(LAB_STAMP) pyproject.toml uv.lock
	$(SYNC) --extra hub
	@command -v npm >/dev/null || { echo "make hub needs Node.js 20+ and npm (apt-get install nodejs npm)"; exit 1; }
	npm install -q --prefix .hub/node --no-fund --no-audit configurable-http-proxy@5.3.0
	@test -x $(HUB_PROXY) && touch $(HUB_STAMP)

# As root: users and homes in [room] root, then the hub on [hub] ip:port until Ctrl-C.
hub: $(HUB_STAMP) data
	$(PY) -m dlcourse hub

# The course's website (tools/book.py): Sphinx with myst-nb reads the committed notebooks as executed
# (never running them) into build/book/; the Korean web font comes from npm into .book/node/.
# HUB_URL=http://ROOM-SERVER:8000 adds an "open in the room server" button to every notebook.
$(BOOK_FONT):
	@command -v npm >/dev/null || { echo "make book needs Node.js and npm for its Korean web font (apt-get install nodejs npm)"; exit 1; }
	npm install -q --prefix .book/node --no-fund --no-audit @fontsource/noto-sans-kr@5.3.0

book: $(STAMP) $(BOOK_FONT)
	$(PY) tools/book.py --out build/book $(if $(HUB_URL),--hub-url $(HUB_URL))

clean:
	rm -rf build .pytest_cache
