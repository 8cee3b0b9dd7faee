package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEQuickstart runs the shell blocks of README.md's quickstart, as written, in a
// fresh directory with a freshly built evidctl on $PATH: the commands a newcomer copies
// must work, in order, the ledger server's block included (on a free port instead of
// 8080). Only the Trillian block, which needs a Trillian deployment, is left out; the
// Trillian suite covers it. The blocks that start a server or witnesses in the
// background stop them themselves; whatever the script leaves running when it ends (it
// failed half-way) is stopped with it.
func TestREADMEQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds evidctl and runs the README quickstart")
	}
	for _, tool := range []string{"go", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s is not on PATH", tool)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := quickstartScript(t, string(readme))
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "evidctl"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "127.0.0.1:8080", "127.0.0.1:"+port)
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+work)
	out, err := runScript(cmd)
	if err != nil {
		t.Fatalf("README quickstart failed: %v\n--- script ---\n%s\n--- output ---\n%s", err, script, out)
	}
	for _, want := range []string{"custody bundle: VALID", "wrote image-copy.dd", "wrote case-br-report.md: custody bundle VALID",
		"serving log ", "access: item ", "cosigned by witness.central-authority.example/1, witness.court.example/1",
		"complete as of checkpoint", "no duplicate tag as of checkpoint"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("README quickstart output lacks %q:\n%s", want, out)
		}
	}
}

var shBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// quickstartScript joins the sh blocks between "## Quickstart" and "## The library",
// without the one that needs Trillian.
func quickstartScript(t *testing.T, readme string) string {
	start := strings.Index(readme, "## Quickstart")
	end := strings.Index(readme, "## The library")
	if start < 0 || end < start {
		t.Fatal("README.md has no '## Quickstart' section before '## The library'")
	}
	var b strings.Builder
	n := 0
	for _, m := range shBlock.FindAllStringSubmatch(readme[start:end], -1) {
		if strings.Contains(m[1], "trillian") {
			continue
		}
		b.WriteString(m[1])
		b.WriteString("\n")
		n++
	}
	if n < 5 {
		t.Fatalf("found %d runnable sh blocks in the quickstart, want at least 5", n)
	}
	// Without the stock age CLI, the one line that uses it is skipped, not failed.
	if _, err := exec.LookPath("age"); err != nil {
		t.Log("age is not on PATH: the README's 'age -d' check is skipped")
		return regexp.MustCompile(`(?m)^age .*$`).ReplaceAllString(b.String(), "true")
	}
	return b.String()
}
