//go:build !unix

package main

func setTestUmask() {}
