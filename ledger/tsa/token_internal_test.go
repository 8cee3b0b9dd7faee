package tsa

import (
	"errors"
	"testing"
)

func TestRecoverMalformedTurnsAPanicIntoAnError(t *testing.T) {
	err := func() (err error) {
		defer recoverMalformed(&err)
		var b []byte
		_ = b[3] // what a BER reader with a length bug would do
		return nil
	}()
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
}
