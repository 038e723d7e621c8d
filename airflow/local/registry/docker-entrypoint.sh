#!/bin/sh
# registry:2's entrypoint, running Debian's binary: a configuration file alone or a registry
# subcommand runs the registry; anything else is executed as given.
set -e

case "$1" in
  *.yaml|*.yml) set -- /usr/bin/docker-registry serve "$@" ;;
  serve|garbage-collect|help|-*) set -- /usr/bin/docker-registry "$@" ;;
esac

exec "$@"
