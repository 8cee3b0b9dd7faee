package custody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// The three JSON documents of custody — statements, bundles and trust policies — are
// read strictly and written atomically in the same way.

// decodeStrict decodes exactly one JSON object into v: unknown fields and anything
// after the object are errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// decodeFile decodes a bundle or policy file strictly into v, whose mediaType field
// (decoded into *mediaType) must be want.
func decodeFile(data []byte, v any, mediaType *string, want string) error {
	if err := decodeStrict(data, v); err != nil {
		return err
	}
	return checkType("mediaType", *mediaType, want)
}

// checkType refuses a document whose type field (mediaType, _type, predicateType) is
// not want.
func checkType(field, got, want string) error {
	if got != want {
		return fmt.Errorf("%s is %q, want %q", field, got, want)
	}
	return nil
}

// writeJSONFile writes an encoded document and a final newline atomically: a
// temporary file renamed over path when complete.
func writeJSONFile(path string, data []byte, encodeErr error) error {
	if encodeErr != nil {
		return encodeErr
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
