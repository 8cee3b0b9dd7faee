//go:build !unix

package main

import "os/exec"

// runScript runs cmd and returns its combined output.
func runScript(cmd *exec.Cmd) ([]byte, error) { return cmd.CombinedOutput() }
