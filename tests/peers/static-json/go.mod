// The static-JSON server of the serving benchmark (`cargo xtask bench`): the standard
// library only, built by xtask into the peers' cache keyed by this file and main.go.
module foo-apiserver.test/static-json

go 1.24.0
