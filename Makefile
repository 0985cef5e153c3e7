# Two commands on a fresh Debian 12 machine (as root or via sudo): `make demo`, `make test`.
# Both are idempotent: Debian packages are installed only when missing, the venv only
# re-installed when pyproject.toml changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTRAS := test,bench,train,sim,pkcs11,central

# Debian packages the project needs at run time or in its tests.
APT_PACKAGES := \
	python3-venv \
	python3-dev \
	tmux \
	libusb-1.0-0 \
	tesseract-ocr \
	fonts-ocr-b \
	systemd \
	nats-server \
	softhsm2 \
	umockdev \
	pcscd \
	libpcsclite-dev \
	swig \
	vsmartcard-vpcd \
	postgresql

.PHONY: all setup system-deps venv test lint typecheck pytest demo bench clean

all: test

setup: system-deps venv

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
	    install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest

test: setup lint typecheck pytest

demo: setup
	$(BIN)/kiosk run --sim

# PyPI's `mrz` checker (a reference in bench/mrz_parse.py) shadows our `mrz` package, so it
# lives in its own directory that only the benchmark's subprocess puts on sys.path.
$(VENV)/ref-mrz/mrz: | venv
	$(BIN)/python -m pip install -q --target $(VENV)/ref-mrz mrz

# face_recognition's source package carries real test photos (Obama x3, Biden) that
# bench/face_quality.py uses; only the photos are unpacked, the package is not installed.
$(VENV)/ref-faces/obama.jpg: | venv
	rm -rf $(VENV)/ref-faces.tmp && mkdir -p $(VENV)/ref-faces.tmp $(VENV)/ref-faces
	$(BIN)/python -m pip download -q --no-deps --no-binary :all: -d $(VENV)/ref-faces.tmp face-recognition==1.3.0
	tar -xzf $(VENV)/ref-faces.tmp/face_recognition-1.3.0.tar.gz -C $(VENV)/ref-faces.tmp
	cp $(VENV)/ref-faces.tmp/face_recognition-1.3.0/tests/test_images/{obama,obama2,obama3,biden}.jpg $(VENV)/ref-faces/
	rm -rf $(VENV)/ref-faces.tmp

bench: setup $(VENV)/ref-mrz/mrz $(VENV)/ref-faces/obama.jpg
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
