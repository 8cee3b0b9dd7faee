package httpapi

// The time-stamp endpoint: a server whose ledger has an RFC 3161 time-stamping authority
// (`evidctl serve --tsa URL`) gives the token of its latest checkpoint, so that a signer
// can cite that checkpoint with trusted time (its anchor, docs/TRUST.md).
//
//	POST TimestampPath    a checkpoint of the log (CheckpointType) in; its token (TokenType) out
const (
	// TimestampPath takes a POST of one of the log's signed checkpoints, as
	// CheckpointPath answered it, and answers the RFC 3161 token over it: 404 when the
	// server has no TSA, 409 when the checkpoint is not the latest (read it again).
	TimestampPath = "/checkpoint/timestamp"
	// TokenType is the media type of a time-stamp token: a DER RFC 3161 TimeStampToken
	// (a CMS ContentInfo), as `openssl ts -verify -token_in` reads it.
	TokenType = "application/octet-stream"
	// MaxCheckpointSize bounds a checkpoint posted to TimestampPath: a signed note with
	// a few dozen cosignatures is a few KiB.
	MaxCheckpointSize = 64 << 10
)
