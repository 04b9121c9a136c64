# The few commands people type. Everything runs from a fresh clone: the first target that needs
# it creates .venv and installs the provider into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install release docs bench proto clean help

help:
	@echo "make demo     apply the managed-SMTP example against the local SparkPost emulator"
	@echo "make test     run the unit and end-to-end tests (real terraform, local emulator)"
	@echo "make install  install the provider into ~/.terraform.d/plugins (source sourcegraph/sparkpost)"
	@echo "make release  build the self-contained release (zip, SHA256SUMS, signature, network mirror) into dist/release"
	@echo "make docs     regenerate docs/ and the module READMEs from the schemas and examples/"
	@echo "make bench    print start-up and scale benchmark figures"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)
	$(PY) scripts/install_provider.py

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest

# PyInstaller (the `release` extra) is in the `test` extra too, so $(STAMP) installs it.
release: $(STAMP)
	$(PY) scripts/release.py all

docs: $(STAMP)
	$(PY) scripts/gen_docs.py
	$(PY) scripts/gen_module_readme.py

bench: $(STAMP)
	$(PY) scripts/bench-startup
	$(PY) scripts/bench-scale

proto: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	scripts/gen-proto

clean:
	rm -rf $(VENV) .demo .bench build dist *.egg-info
