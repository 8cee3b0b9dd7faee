package atomicfile

// writeBehindWindow is how much a File lets the kernel hold as dirty pages
// before it asks for them to be written out. A File is fsynced on Commit:
// starting the writeback while the content is still being produced (a
// multi-GiB payload being sealed) overlaps the disk writes with that work,
// so Commit finds little left to flush, and the page cache never fills with
// dirty pages that the kernel would throttle the writer for.
const writeBehindWindow = 8 << 20

// writeBehind starts the writeback of the bytes written since the last call
// once a window is full. It is only a hint: errors are ignored, Commit's
// fsync is what makes the file durable.
func (f *File) writeBehind(n int) {
	f.written += int64(n)
	if f.written-f.flushed < writeBehindWindow {
		return
	}
	startWriteback(f.tmp, f.flushed, f.written-f.flushed)
	f.flushed = f.written
}
