module github.com/kdev-dev/kdev/images/node/src/kindconsts

go 1.24.0
