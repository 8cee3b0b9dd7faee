package httplog

import "testing"

// FuzzParseRetryAfter: any Retry-After value yields a wait that is not negative.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "3", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "999999999999999999999", "9227000000" /* overflowed into a negative wait */} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v); d < 0 {
			t.Fatalf("Retry-After %q gave a negative wait %v", v, d)
		}
	})
}
