package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealer encrypts secret values at rest with AES-256-GCM. Each value gets a
// fresh random 96-bit nonce (far below GCM's 2^32 messages per key for
// random nonces at any realistic number of secret versions) and is bound to
// its place: the additional data is the secret's ARN, the version id and
// the value's kind, so a sealed value moved to another secret or version,
// or turned from binary into string, fails to open.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: encryption key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func additionalData(arn, versionID string, binary bool) []byte {
	kind := "string"
	if binary {
		kind = "binary"
	}
	return []byte(arn + "\x00" + versionID + "\x00" + kind)
}

// seal returns nonce || ciphertext || tag.
func (s *sealer) seal(plaintext []byte, arn, versionID string, binary bool) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("secrets: crypto/rand failed: %v", err)) // crypto/rand does not fail on supported platforms
	}
	return s.aead.Seal(nonce, nonce, plaintext, additionalData(arn, versionID, binary))
}

// errOpen is a sealed value that does not open: another key, or damage.
var errOpen = errors.New("secrets: a sealed value does not decrypt with the configured key (is secrets.encryptionKey, or <dataDir>/secrets.key, the key it was written with?)")

func (s *sealer) open(sealed []byte, arn, versionID string, binary bool) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], additionalData(arn, versionID, binary))
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}
