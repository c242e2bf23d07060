#!/usr/bin/env bash
# Regenerates the Go code of the greeter's protobuf API.
#
# Needs protoc (Debian: apt-get install protobuf-compiler); the Go plugins
# are built from the Go module proxy at the versions pinned below.
#
#   bash examples/greeter/proto/generate.sh
set -euo pipefail
cd "$(dirname "$0")"

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" GOWORK=off go install "$PROTOC_GEN_GO"
GOBIN="$bin" GOWORK=off go install "$PROTOC_GEN_GO_GRPC"

PATH="$bin:$PATH" protoc \
  --proto_path=. \
  --go_out=. --go_opt=paths=source_relative \
  --go-grpc_out=. --go-grpc_opt=paths=source_relative \
  greeter/v1/greeter.proto
