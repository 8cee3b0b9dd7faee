//go:build !unix

package main

// lockBundle does not lock on systems without flock: concurrent updates of one bundle
// must be avoided by the users there.
func lockBundle(path string) (unlock func(), err error) { return func() {}, nil }
