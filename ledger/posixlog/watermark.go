package posixlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// The watermark, DIR/.tags/watermark, says up to where the index is durable:
//
//	evidctl tag index v1
//	boot 7f14bb1a-7454-4106-9f22-7bcd05f85081
//	size 1234
//
// "boot" is the boot the index was last reconciled in (the kernel's boot id; "-" on a
// system without one), "size" a log size below which every leaf's key is durably in the
// index. It is replaced atomically, under the flock of DIR/.tags/watermark.lock.
const (
	watermarkFile  = "watermark"
	watermarkLock  = "watermark.lock"
	watermarkMagic = "evidctl tag index v1"
	noBoot         = "-"
)

// bootIDPath is Linux's random identifier of the running boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// readBootID returns the running boot's id, or "" where the system gives none. A
// variable, so that tests can reboot.
var readBootID = func() string {
	b, err := os.ReadFile(bootIDPath)
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(b))
	if !validBootID(id) {
		return ""
	}
	return id
}

// validBootID reports whether s is a boot id as Linux writes it: a UUID, lowercase.
func validBootID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// watermark is the parsed watermark file. boot is "" for a system without boot ids.
type watermark struct {
	boot string
	size uint64
}

func (w watermark) marshal() []byte {
	boot := w.boot
	if boot == "" {
		boot = noBoot
	}
	return fmt.Appendf(nil, "%s\nboot %s\nsize %d\n", watermarkMagic, boot, w.size)
}

// parseWatermark parses a watermark file, exactly as marshal writes it.
func parseWatermark(b []byte) (watermark, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) != 4 || lines[3] != "" {
		return watermark{}, errors.New("not three lines")
	}
	if lines[0] != watermarkMagic {
		return watermark{}, fmt.Errorf("first line is not %q", watermarkMagic)
	}
	boot, ok := strings.CutPrefix(lines[1], "boot ")
	if !ok || (boot != noBoot && !validBootID(boot)) {
		return watermark{}, errors.New("bad boot line")
	}
	if boot == noBoot {
		boot = ""
	}
	num, ok := strings.CutPrefix(lines[2], "size ")
	size, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil || strconv.FormatUint(size, 10) != num {
		return watermark{}, errors.New("bad size line")
	}
	return watermark{boot: boot, size: size}, nil
}

// readWatermark reads the index's watermark and when it was written. ok is false when
// there is none, or none that parses: the index is then reconciled from the start.
func (ix *tagIndex) readWatermark() (w watermark, written time.Time, ok bool, err error) {
	f, err := os.Open(filepath.Join(ix.dir, watermarkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return watermark{}, time.Time{}, false, nil
	}
	if err != nil {
		return watermark{}, time.Time{}, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return watermark{}, time.Time{}, false, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return watermark{}, time.Time{}, false, err
	}
	w, perr := parseWatermark(b)
	return w, st.ModTime(), perr == nil, nil
}

// writeWatermark replaces the watermark, durably.
func (ix *tagIndex) writeWatermark(w watermark) error {
	return atomicfile.Write(filepath.Join(ix.dir, watermarkFile), 0o644, func(out io.Writer) error {
		_, err := io.Copy(out, bytes.NewReader(w.marshal()))
		return err
	})
}

// dropWatermark removes the watermark, durably, so that an interrupted reconciliation
// starts again from the beginning of the log.
func (ix *tagIndex) dropWatermark() error {
	if err := os.Remove(filepath.Join(ix.dir, watermarkFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return atomicfile.SyncPath(ix.dir)
}
