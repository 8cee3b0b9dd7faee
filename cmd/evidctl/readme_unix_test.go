//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"syscall"
	"time"
)

// runScript runs cmd in a process group of its own and returns its combined output once
// it exits; then it kills what the script left running in the background, so that a
// script that failed half-way leaves no witness behind and no pipe open.
func runScript(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return out.Bytes(), err
}
