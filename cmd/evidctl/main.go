// Command evidctl keeps electronic evidence admissible as it moves between
// organisations and across borders: it hashes and seals evidence, signs every custody
// event and appends it to a verifiable log, and verifies the resulting bundle offline.
//
// It is a thin layer over the custody library; run "evidctl help" for the commands.
// Every command has one shape (see command): its flags live in a struct whose validate
// method checks them all, without any I/O, before the command reads or writes
// anything; commands that write a bundle and payloads do it through one helper
// (outputs, app.write).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// Exit codes.
const (
	exitOK      = 0 // success; a bundle that verified
	exitInvalid = 1 // verification failed
	exitUsage   = 2 // usage, I/O, password, identity or refused custody operation
)

// version is stamped by release builds: go build -ldflags "-X main.version=v1.2.3"
// (scripts/build.sh does it). Unstamped, evidctlVersion reads the build info.
var version string

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program: it parses args, runs the command and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	silenceKlog()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	return app.report(err)
}

// silenceKlog keeps Tessera's klog output away from users: they see only ours.
func silenceKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	_ = fs.Set("v", "0")
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
}

// app carries the standard streams to every command.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "evidctl",
		Short: "provable chain of custody for electronic evidence",
		Long: `evidctl hashes and seals evidence with age, signs every custody event, appends it
to a verifiable log, and verifies the bundle (NAME.custody.json + NAME.age) offline.

Passwords of signing keys come from $EVIDCTL_PASSWORD or a prompt on the terminal.
Exit codes: 0 ok or valid, 1 verification failed, 2 usage or I/O error.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.Version = evidctlVersion()
	root.SetVersionTemplate("evidctl {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(err.Error(), usageHint(c))
	})
	root.AddCommand(
		a.initCommand(), a.keygenCommand(), a.trustCommand(),
		a.acquireCommand(), a.discloseCommand(), a.preserveCommand(),
		a.transferCommand(), a.receiveCommand(), a.resealCommand(),
		a.accessCommand(), a.deriveCommand(),
		a.returnCommand(), a.disposeCommand(), a.noteCommand(),
		a.verifyCommand(), a.reportCommand(), a.auditCommand(), a.exportCommand(), a.decryptCommand(), a.showCommand(),
		a.serveCommand(), a.witnessCommand(), a.demoCommand(), a.versionCommand(),
	)
	return root
}

// commandPath is c's path below the root: "trust add-log"; "" for the root.
func commandPath(c *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "evidctl"), " ")
}

// usageHint points to c's help.
func usageHint(c *cobra.Command) string {
	return fmt.Sprintf("run '%s --help' for usage", c.CommandPath())
}

// commandFlags are a command's flags: a struct that registers them and validates them
// all, without any I/O, before the command runs (as age's cmd/age does).
type commandFlags interface {
	register(cmd *cobra.Command)
	validate(args []string) error
}

// command is the one way a command is made: cmd (Use, Short, Long, Args) gets f's flags,
// and runs run once f has validated them.
func command(cmd *cobra.Command, f commandFlags, run func(ctx context.Context, args []string) error) *cobra.Command {
	f.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := f.validate(args); err != nil {
			return err
		}
		return run(cmd.Context(), args)
	}
	return cmd
}

// noFlags are the flags of a command that has none.
type noFlags struct{}

func (noFlags) register(*cobra.Command) {}
func (noFlags) validate([]string) error { return nil }

func (a *app) versionCommand() *cobra.Command {
	return command(&cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  noArgs,
	}, noFlags{}, func(context.Context, []string) error {
		fmt.Fprintf(a.stdout, "evidctl %s\n", evidctlVersion())
		return nil
	})
}

// evidctlVersion is the version of this build: the one release builds stamp (see
// version), else the main module's version in the build info (go install …@v1.2.3,
// or the pseudo-version the go command derives from a VCS checkout), else "devel"
// with the VCS revision when there is one.
func evidctlVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return describeVersion(version, bi, ok)
}

func describeVersion(stamped string, bi *debug.BuildInfo, ok bool) string {
	switch {
	case stamped != "":
		return stamped
	case !ok:
		return "devel"
	case bi.Main.Version != "" && bi.Main.Version != "(devel)":
		return bi.Main.Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(fmt.Sprintf("%s takes no arguments, got %q", commandPath(cmd), shownArg(args[0])),
			usageHint(cmd))
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(fmt.Sprintf("%s needs %s (got %d %s)", commandPath(cmd), what, len(args), plural(len(args), "argument", "arguments")),
				usageHint(cmd))
		}
		return nil
	}
}

func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErr(fmt.Sprintf("%s needs %s", commandPath(cmd), what),
				usageHint(cmd))
		}
		return nil
	}
}
