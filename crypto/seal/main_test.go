package seal

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// testPluginName is a real age plugin served by this test binary: TestMain
// puts a link named age-plugin-evidtest on $PATH, and when invoked under that
// name the binary speaks the plugin protocol. Its recipient and identity data
// are the text of an ordinary X25519 recipient and identity.
const testPluginName = "evidtest"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "age-plugin-"+testPluginName {
		os.Exit(runTestPlugin())
	}
	dir, err := os.MkdirTemp("", "seal-plugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		exe, err := os.Executable()
		if err == nil {
			err = os.Symlink(exe, filepath.Join(dir, "age-plugin-"+testPluginName))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "setting up test plugin:", err)
			return 2
		}
		os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		return m.Run()
	}()
	os.Exit(code)
}

func runTestPlugin() int {
	p, err := plugin.New(testPluginName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		return age.ParseX25519Recipient(string(data))
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		return age.ParseX25519Identity(string(data))
	})
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	p.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 1
	}
	return p.Main()
}
