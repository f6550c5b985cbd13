package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"boxcar/internal/config"
)

// KeySize is the length of the encryption key: AES-256.
const KeySize = 32

// keyFileName is the generated key's file under the data directory.
const keyFileName = "secrets.key"

// loadKey returns the key that seals secret values: secrets.encryptionKey
// when set, else the one in <dataDir>/secrets.key, generated (mode 0600)
// on first use. generated names the file when it was just written.
func loadKey(cfg config.SecretsConfig, dataDir string) (key []byte, generated string, err error) {
	if cfg.EncryptionKey != "" {
		key, err := decodeKey([]byte(cfg.EncryptionKey))
		if err != nil {
			return nil, "", fmt.Errorf("secrets: secrets.encryptionKey (BOXCAR_SECRETS_KEY): %w", err)
		}
		return key, "", nil
	}
	path := filepath.Join(dataDir, keyFileName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := decodeKey(b)
		if err != nil {
			return nil, "", fmt.Errorf("secrets: key file %s: %w", path, err)
		}
		return key, "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("secrets: read key file: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, "", fmt.Errorf("secrets: generate key: %w", err)
	}
	text := base64.StdEncoding.EncodeToString(key) + "\n"
	// O_EXCL: two processes racing on one data directory must not both
	// write a key (the config database's lock stops the second one later).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("secrets: create key file: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		os.Remove(path)
		return nil, "", fmt.Errorf("secrets: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, "", fmt.Errorf("secrets: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("secrets: write key file: %w", err)
	}
	return key, path, nil
}

// decodeKey decodes a base64 key of KeySize bytes; surrounding white space
// (a key file's newline) is ignored.
func decodeKey(text []byte) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("want the base64 of %d random bytes (e.g. the output of: openssl rand -base64 %d)", KeySize, KeySize)
	}
	return key, nil
}
