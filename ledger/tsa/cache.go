package tsa

import "sync"

// fifoCache keeps up to max values, dropping the oldest first. It is safe for concurrent
// use; a max of zero keeps nothing.
type fifoCache[K comparable, V any] struct {
	mu     sync.Mutex
	max    int
	values map[K]V
	order  []K // insertion order, oldest first
}

func newFIFOCache[K comparable, V any](max int) *fifoCache[K, V] {
	return &fifoCache[K, V]{max: max, values: make(map[K]V)}
}

func (c *fifoCache[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[key]
	return v, ok
}

func (c *fifoCache[K, V]) put(key K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.values[key]; ok || c.max == 0 {
		return
	}
	if len(c.order) == c.max {
		delete(c.values, c.order[0])
		c.order = c.order[1:]
	}
	c.values[key] = v
	c.order = append(c.order, key)
}
