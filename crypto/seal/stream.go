package seal

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
)

// The payload of an age file (https://c2sp.org/age#payload) follows the
// header: a 16-byte nonce, then the plaintext in chunks of 64 KiB, each
// sealed with ChaCha20-Poly1305 under the key HKDF-SHA-256(ikm = file key,
// salt = nonce, info = "payload"). A chunk's 12-byte AEAD nonce is its index
// as an 11-byte big-endian counter, then 0x01 on the final chunk and 0x00
// on the others. Only the final chunk may be short, and it may be empty only
// when it is the only one.
//
// age's own reader allocates and copies every chunk; payloadOpener decrypts
// each chunk straight from the ciphertext ring into the plaintext ring, with
// no allocation. Sealing (sealpipe.go) shares the key and nonces with it
// (payloadAEAD, chunkNonce) and seals chunks on several cores, where age's
// writer seals them one after another. The header (parsing, identities, MAC) is left to age
// itself ([age.DecryptHeader]). Differential tests and a fuzz target check
// that it accepts and rejects exactly what age.Decrypt does.
const (
	plainChunkSize  = 64 << 10
	sealedChunkSize = plainChunkSize + chacha20poly1305.Overhead
	payloadNonceLen = 16
	// maxHeaderSize is age's own limit on the header.
	maxHeaderSize = 2 << 20
)

// ageIntro is the first line of every binary age v1 file.
const ageIntro = "age-encryption.org/v1\n"

// headerEnd returns the length of the age header at the start of b: up to
// and including the newline that ends the first line starting with "---"
// (the MAC line; no earlier header line can start so), or -1 if b does not
// hold it yet.
func headerEnd(b []byte) int {
	i := bytes.Index(b, []byte("\n---"))
	if i < 0 {
		return -1
	}
	j := bytes.IndexByte(b[i+1:], '\n')
	if j < 0 {
		return -1
	}
	return i + 1 + j + 1
}

// payloadAEAD returns the AEAD of a payload: ChaCha20-Poly1305 under
// HKDF-SHA-256(ikm = fileKey, salt = nonce, info = "payload"). The derived
// key is cleared once the AEAD holds it. Sealing and opening share it.
func payloadAEAD(fileKey, nonce []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return chacha20poly1305.New(key)
}

// chunkNonce is the AEAD nonce of one payload chunk: its index as an 11-byte
// big-endian counter, then 0x01 if it is the final chunk, else 0x00.
type chunkNonce [chacha20poly1305.NonceSize]byte

// of returns the nonce of chunk index (in n, so that no chunk allocates).
func (n *chunkNonce) of(index uint64, last bool) []byte {
	binary.BigEndian.PutUint64(n[3:11], index)
	n[11] = 0
	if last {
		n[11] = 1
	}
	return n[:]
}

// payloadOpener authenticates and decrypts the chunks of one payload, in
// order.
type payloadOpener struct {
	aead  cipher.AEAD
	chunk uint64 // index of the next chunk
	done  bool   // the final chunk was opened
	n     chunkNonce
}

func newPayloadOpener(fileKey, nonce []byte) (*payloadOpener, error) {
	aead, err := payloadAEAD(fileKey, nonce)
	if err != nil {
		return nil, err
	}
	return &payloadOpener{aead: aead}, nil
}

// open authenticates and decrypts the sealed chunk c, appending the
// plaintext to dst, which must have room for plainChunkSize bytes so that
// no allocation happens. atEnd says that the file ends with c; a chunk
// that is not at the end must be full-length, and is final only if it
// authenticates as such. A failure is a *CorruptError whose Offset the
// caller fills in.
func (p *payloadOpener) open(dst, c []byte, atEnd bool) ([]byte, error) {
	fault := func(kind error, detail string) error {
		return &CorruptError{Kind: kind, Chunk: int64(p.chunk), Detail: detail}
	}
	switch {
	case atEnd && len(c) < chacha20poly1305.Overhead:
		return nil, fault(ErrTruncated, "the final chunk is shorter than its authentication tag")
	case atEnd && len(c) == chacha20poly1305.Overhead && p.chunk > 0:
		return nil, fault(ErrAltered, "an empty final chunk after non-empty ones (age refuses these)")
	}
	last := atEnd
	out, err := p.aead.Open(dst, p.n.of(p.chunk, last), c, nil)
	if err != nil && !atEnd {
		// A full-length chunk may be the final one.
		last = true
		out, err = p.aead.Open(dst, p.n.of(p.chunk, last), c, nil)
	}
	if err != nil {
		detail := ""
		if atEnd {
			detail = "it is the final chunk: the file was cut short, extended or altered at its end"
		}
		return nil, fault(ErrAltered, detail)
	}
	p.chunk++
	p.done = last
	return out, nil
}
