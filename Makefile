# dlcourse: `make lab` to learn, `make test` to check everything, `make course` to run it all headless.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
export TQDM_DISABLE ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv data lab test test-unit test-notebooks test-gpu course execute solutions bench doctor clean

help:
	@echo "make lab      open the course in JupyterLab (creates .venv and the data if missing)"
	@echo "make doctor   check this computer for the course (Python, torch, device, data, kernel)"
	@echo "make test     run every test on this machine (CPU; CUDA tests skip without a GPU)"
	@echo "make test-gpu run the CUDA tests and every notebook on CUDA; fails when there is no CUDA"
	@echo "make course   execute every notebook headless into build/ and print a summary table"
	@echo "make execute  re-execute the committed notebooks in place (CPU, fixed seeds)"
	@echo "make solutions write every notebook with its exercises solved to build/solutions/"
	@echo "make bench    measure speed (writes bench/results.json); QUICK=1 smoke run, README=1 update the READMEs"

venv: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	@touch $(STAMP)

# Fashion-MNIST: data root, else Debian's package, else download; with none of them and apt as
# root, install Debian's dataset-fashion-mnist (it comes from the distribution mirror).
data: $(STAMP)
	@$(PY) -m dlcourse data || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's dataset-fashion-mnist with apt-get"; \
	    { apt-get update -q && apt-get install -y -q dataset-fashion-mnist; } >/dev/null && $(PY) -m dlcourse data; \
	  else \
	    echo "No data: follow one of the three fixes above, then run make again."; exit 1; \
	  fi; }

lab: $(STAMP) data
	TQDM_DISABLE= $(PY) -m jupyter lab notebooks/

test: test-unit test-notebooks

# Everything but the notebooks' runs and the browser (a few minutes).
test-unit: $(STAMP) data
	$(PY) -m pytest tests -q -m "not notebook and not browser" --durations=10

# Every notebook twice in one kernel: as shipped (committed outputs, 0 exercises passed), then
# solved (floors, every exercise passed, same metrics); 01 through JupyterLab in Chromium.
test-notebooks: $(STAMP) data
	$(PY) -m pytest tests -q -m "notebook or browser" --durations=10

test-gpu: $(STAMP) data
	$(PY) -m pytest tests -q -m cuda --require-cuda

course: $(STAMP) data
	$(PY) tools/run_course.py --out build

# QUICK=1: a smoke run of every section at tiny sizes (figures not meaningful);
# README=1: rewrite README.md's summary and bench/README.md's table from this run; THREADS=N: torch threads.
bench: $(STAMP) data
	$(PY) -m bench.bench $(if $(filter-out 0,$(QUICK)),--quick) $(if $(filter-out 0,$(README)),--readme) \
	  $(if $(THREADS),--threads $(THREADS))

execute: $(STAMP) data
	DLCOURSE_DEVICE=cpu $(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.record_timing=False $(NOTEBOOKS)

# The exercises' solutions (notebooks/solutions/*.py) filled into the notebooks: build/solutions/.
solutions: $(STAMP)
	$(PY) tools/solutions.py --out build/solutions

# Check this computer: Python, torch, device, data, pretrained weights, Jupyter kernel (offline).
doctor: $(STAMP)
	$(PY) -m dlcourse doctor

clean:
	rm -rf build .pytest_cache
