# kdev.mk: include it from a Makefile to bring a kdev environment up and down, and to
# carry its mirror caches between CI runs on systems without GitHub's cache:
#
#   include kdev.mk
#   test: kdev-cache-restore kdev-up
#   	go test ./...
#
# Save $(KDEV_CACHE) with your CI system's cache (GitLab's cache:paths, a bucket) after
# kdev-cache-save, which replaces it only when the caches changed.

KDEV ?= kdev
# KDEV_CONFIG is the kdev.yaml; empty means ./kdev.yaml when present, else the defaults.
KDEV_CONFIG ?=
KDEV_CACHE ?= .kdev/cache.tar.zst
# KDEV_CACHE_FLAGS go to kdev cache export: --images carries the node and registry images.
KDEV_CACHE_FLAGS ?=

kdev_f = $(if $(KDEV_CONFIG),-f $(KDEV_CONFIG))

.PHONY: kdev-up kdev-down kdev-cache-restore kdev-cache-save

kdev-up:
	$(KDEV) $(kdev_f) up

kdev-down:
	$(KDEV) $(kdev_f) down

kdev-cache-restore:
	@if [ -f "$(KDEV_CACHE)" ]; then \
		$(KDEV) $(kdev_f) cache import "$(KDEV_CACHE)"; \
	else \
		echo "kdev: no cache archive at $(KDEV_CACHE): starting cold"; \
	fi

kdev-cache-save:
	@mkdir -p "$(dir $(KDEV_CACHE))"
	$(KDEV) $(kdev_f) cache export -o "$(KDEV_CACHE)" --if-changed $(KDEV_CACHE_FLAGS)
