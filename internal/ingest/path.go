package ingest

import (
	"errors"
	"net/url"
	"path"
	"strings"
)

// Prefix is the URL path every ingest request starts with; the server
// mounts the Handler there without stripping it.
const Prefix = "/in/v2/"

const (
	// maxNameLen bounds an object name below the ingest endpoint (the
	// longest real encoder names are well under 200 bytes).
	maxNameLen = 512
	// maxElemLen bounds one path element of a name.
	maxElemLen = 128
	// maxDepth bounds the subdirectories of a name.
	maxDepth = 8
	// maxIDLen bounds channel and ingest endpoint ids (MediaPackage ids
	// are at most 128 characters).
	maxIDLen = 128
)

// errBadName reports an unacceptable request path.
var errBadName = errors.New("ingest: bad object name")

// target is what a request path names.
type target struct {
	channel  string
	endpoint string
	// name is the object path below the ingest endpoint ("channel_1.m3u8",
	// "v0/seg12.ts").
	name string
}

// parseTarget splits the escaped request path /in/v2/{channel}/{endpoint}/{name...}.
// Escapes are refused outright: encoders send plain names, and decoding
// them is how "%2e%2e" and "%2f" tricks get in.
func parseTarget(escapedPath string) (target, error) {
	rest, ok := strings.CutPrefix(escapedPath, Prefix)
	if !ok {
		return target{}, errBadName
	}
	ch, rest, ok1 := strings.Cut(rest, "/")
	ep, name, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !validID(ch) || !validID(ep) || !validName(name) {
		return target{}, errBadName
	}
	return target{channel: ch, endpoint: ep, name: name}, nil
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idChar(s[i]) {
			return false
		}
	}
	return true
}

func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// validName accepts slash-separated elements of [A-Za-z0-9._~-], none
// empty, "." or "..".
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || strings.Count(s, "/") > maxDepth {
		return false
	}
	for _, e := range strings.Split(s, "/") {
		if e == "" || e == "." || e == ".." || len(e) > maxElemLen {
			return false
		}
		for i := 0; i < len(e); i++ {
			c := e[i]
			if !idChar(c) && c != '.' && c != '~' {
				return false
			}
		}
	}
	return true
}

// isPlaylist reports whether a name is an HLS playlist by its extension.
func isPlaylist(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".m3u8" || ext == ".m3u"
}

// renditionName is a media playlist's rendition name: its name below the
// ingest endpoint without extension ("channel_1.m3u8" → "channel_1").
func renditionName(playlist string) string {
	return strings.TrimSuffix(playlist, path.Ext(playlist))
}

// resolve resolves a URI found in the playlist named base (relative to
// the ingest endpoint root) to an object name below the same root. Absolute
// URLs are accepted when their path lies under the same ingest endpoint.
// ok is false for anything that leaves the endpoint.
func resolve(t target, base, uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", false
	}
	root := Prefix + t.channel + "/" + t.endpoint + "/"
	b := &url.URL{Path: root + base}
	r := b.ResolveReference(&url.URL{Path: u.Path})
	if u.IsAbs() || u.Host != "" {
		r = &url.URL{Path: path.Clean(u.Path)}
	}
	name, ok := strings.CutPrefix(r.Path, root)
	if !ok || !validName(name) {
		return "", false
	}
	return name, true
}
