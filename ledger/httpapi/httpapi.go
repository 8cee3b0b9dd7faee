// Package httpapi is the HTTP API of a ledger server as both sides speak it: the paths,
// query parameters, media types, headers and limits that ledger/server serves and
// ledger/httplog requests, and the one wire form the API defines itself, a proof body
// ([FormatProof], [ParseProof]). Receipts and checkpoints are C2SP formats, made and read
// by package ledger. docs/HTTP-API.md describes the API in prose.
//
//	POST AppendPath                        signed entry (SignedEntryType) in; receipt (ReceiptType) out
//	GET  CheckpointPath                    the latest signed checkpoint (CheckpointType)
//	GET  InclusionQuery(index, size)       inclusion path (ProofType)
//	GET  ConsistencyQuery(oldSize, newSize) consistency proof (ProofType)
//	GET  TilePrefix...                     tlog-tiles, from a posixlog backend only
//	GET  EntriesQuery(start, count)        the log's entries (EntriesType), any backend that can read them
//
// A refusal is one line of ErrorType text; 429 and 503 carry RetryAfterHeader; 409 is a
// conflict, its line made by FormatConflict; 415 answers any body but a signed entry
// (EnvelopeType included, with a line telling the client to upgrade).
package httpapi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// Paths, relative to the server's base URL.
const (
	// AppendPath takes a POST of a signed entry and answers its receipt.
	AppendPath = "/append"
	// CheckpointPath answers the latest signed checkpoint.
	CheckpointPath = "/checkpoint"
	// InclusionPath answers an inclusion path; its query is IndexParam and SizeParam.
	InclusionPath = "/proof/inclusion"
	// ConsistencyPath answers a consistency proof; its query is OldParam and NewParam.
	ConsistencyPath = "/proof/consistency"
	// TilePrefix begins the paths of the tlog-tiles (https://c2sp.org/tlog-tiles) a
	// posixlog backend publishes.
	TilePrefix = "/tile/"
	// EntriesPath answers a range of the log's entries; its query is StartParam and
	// CountParam.
	EntriesPath = "/entries"
)

// Query parameters of EntriesPath: each given once, as a canonical decimal; count is 1
// to MaxEntriesPerRequest and start+count at most the latest checkpoint's size.
const (
	StartParam = "start"
	CountParam = "count"
	// MaxEntriesPerRequest bounds the entries one request asks for.
	MaxEntriesPerRequest = 1024
)

// EntriesQuery is the path and query asking for count entries from index start.
func EntriesQuery(start, count uint64) string {
	return EntriesPath + "?" + StartParam + "=" + strconv.FormatUint(start, 10) + "&" + CountParam + "=" + strconv.FormatUint(count, 10)
}

// Query parameters of the proof paths: each given once, as a canonical decimal.
const (
	// IndexParam is the index of the leaf an inclusion path starts from.
	IndexParam = "index"
	// SizeParam is the size of the tree an inclusion path leads to the root of.
	SizeParam = "size"
	// OldParam is the size of the older tree of a consistency proof.
	OldParam = "old"
	// NewParam is the size of the newer tree of a consistency proof.
	NewParam = "new"
)

// Media types.
const (
	// EnvelopeType is the media type of a DSSE envelope as JSON, the append body of the
	// transition of issue 12, when ledgers still logged 32-byte commitments. A server
	// answers it 415, unread, telling the client to upgrade; it reads only
	// SignedEntryType (and LeafType when it allows unsafe leaf appends).
	EnvelopeType = "application/vnd.dsse.envelope.v1+json"
	// LeafType is the media type of a bare leaf, accepted only by a server started with
	// server.WithLeafAppendsUnsafe.
	LeafType = "application/octet-stream"
	// ReceiptType is the media type of an append's answer: C2SP tlog-proof text.
	ReceiptType = "text/x.tlog-proof; charset=utf-8"
	// CheckpointType is the media type of a checkpoint: a C2SP signed note.
	CheckpointType = "text/plain; charset=utf-8"
	// ProofType is the media type of a proof: see FormatProof.
	ProofType = "text/plain; charset=utf-8"
	// TileType is the media type of a tile or an entry bundle.
	TileType = "application/octet-stream"
	// EntriesType is the media type of an EntriesPath answer: the entries in the
	// tlog-tiles entry bundle encoding (each a big-endian uint16 length, then its bytes).
	EntriesType = "application/octet-stream"
	// ErrorType is the media type of a refusal: one line saying what is wrong.
	ErrorType = "text/plain; charset=utf-8"
)

// RetryAfterHeader is the header of a 429 or 503 answer that says, in seconds (or as an
// HTTP date), when to try again.
const RetryAfterHeader = "Retry-After"

// Limits.
const (
	// MaxAnswerSize bounds what a client reads of an answer: receipts, checkpoints and
	// proofs are a few KiB.
	MaxAnswerSize = 1 << 20
	// MaxProofHashes is the most hashes a proof may have: the depth of a tree of 2^64
	// leaves.
	MaxProofHashes = 64
)

// InclusionQuery is the path and query asking for the inclusion path of the leaf at index
// in the tree of size leaves.
func InclusionQuery(index, size uint64) string {
	return InclusionPath + "?" + IndexParam + "=" + strconv.FormatUint(index, 10) + "&" + SizeParam + "=" + strconv.FormatUint(size, 10)
}

// ConsistencyQuery is the path and query asking for the proof that the tree of newSize
// leaves extends the tree of oldSize leaves.
func ConsistencyQuery(oldSize, newSize uint64) string {
	return ConsistencyPath + "?" + OldParam + "=" + strconv.FormatUint(oldSize, 10) + "&" + NewParam + "=" + strconv.FormatUint(newSize, 10)
}

// FormatProof encodes a proof as a server sends it: each hash in canonical standard
// base64, followed by a newline, in order; nothing for an empty proof.
func FormatProof(p []tlog.Hash) []byte {
	var b strings.Builder
	for _, h := range p {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ParseProof reads a proof as FormatProof writes it, and nothing else: at most
// MaxProofHashes lines, each a canonical base64 hash ending in a newline. An error wraps
// ledger.ErrMalformed.
func ParseProof(body []byte) ([]tlog.Hash, error) {
	out := []tlog.Hash{}
	for line := range bytes.Lines(body) {
		text := string(bytes.TrimSuffix(line, []byte("\n")))
		h, err := tlog.ParseHash(text)
		if err != nil || line[len(line)-1] != '\n' || h.String() != text {
			return nil, fmt.Errorf("parsing proof: line %d is not a base64 hash: %w", len(out)+1, ledger.ErrMalformed)
		}
		if out = append(out, h); len(out) > MaxProofHashes {
			return nil, fmt.Errorf("parsing proof: more than %d hashes: %w", MaxProofHashes, ledger.ErrMalformed)
		}
	}
	return out, nil
}
