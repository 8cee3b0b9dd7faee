package posixlog

// AppendsInOrder reports that AppendBatch logs the leaves of a batch in the order given,
// at increasing indexes (they are handed to Tessera in order, in one turn of this
// process): custody's Batch appends a whole batch of dependent events at once to a log
// that says so.
func (l *Log) AppendsInOrder() bool { return true }
