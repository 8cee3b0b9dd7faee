package trillianlog

import "github.com/google/trillian"

// MaxQueueRPCs is maxQueueRPCs, for the tests outside the package.
const MaxQueueRPCs = maxQueueRPCs

// WrapClient has the log's appends call Trillian through wrap(client).
func (l *Log) WrapClient(wrap func(trillian.TrillianLogClient) trillian.TrillianLogClient) {
	l.b.client = wrap(l.b.client)
}
