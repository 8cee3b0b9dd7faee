// Package batch runs the appends of one batch concurrently, as the backends that append
// leaf by leaf (trillianlog, httplog) or wait for each leaf's checkpoint (posixlog) do.
package batch

import (
	"errors"
	"fmt"
	"sync"
)

// Each calls one(i) for every i below n, concurrently, and returns the results in order.
// The slot of a call that failed holds the zero value; the errors are joined, each
// prefixed "leaf i of n: " (counting from 1) when n is above 1. one bounds its own
// concurrency where it must.
func Each[T any](n int, one func(i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out[i], errs[i] = one(i)
			if errs[i] != nil && n > 1 {
				errs[i] = fmt.Errorf("leaf %d of %d: %w", i+1, n, errs[i])
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
