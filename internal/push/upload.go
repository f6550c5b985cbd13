package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"boxcar/internal/digest"
)

const (
	// maxErrorBody bounds how much of an error response is read for its
	// message.
	maxErrorBody = 4 << 10
	// retryDelay is the pause before the one retry of an upload that
	// failed on the network or with a 5xx.
	retryDelay = 500 * time.Millisecond
	// maxAuthRounds bounds the challenges answered for one request (a
	// server that says stale=true forever).
	maxAuthRounds = 3
)

// uploader sends objects below an ingest URL, authenticating as told. It
// is safe for concurrent use: each request in flight holds its own Digest
// session.
type uploader struct {
	client    *http.Client
	base      *url.URL // the directory of the ingest URL, ending in "/"
	user      string
	pass      string
	mode      Auth
	userAgent string
	timeout   time.Duration

	mu    sync.Mutex
	basic bool             // auto mode: the server offered Basic only
	open  bool             // the server took a request without credentials
	idle  []*digestSession // sessions not in use
}

// upload is the outcome of one request.
type upload struct {
	method, name string
	bytes        int
	status       int // 0 when no response came
	latency      time.Duration
	// err is set when the upload failed: a network error or a status
	// other than 2xx, with the server's message.
	err error
}

// StatusError is an upload the server refused.
type StatusError struct {
	Method, Name string
	Status       int
	// Message is the server's explanation, from a JSON "message" member
	// or the start of the body.
	Message string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Name, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// send makes one request for the object name (relative to the ingest URL's
// directory), answering authentication challenges, and retries once on a
// network error or a 5xx.
func (u *uploader) send(ctx context.Context, method, name, contentType string, body []byte) upload {
	res := upload{method: method, name: name, bytes: len(body)}
	begin := time.Now()
	for attempt := 0; ; attempt++ {
		res.status, res.err = u.sendAuthenticated(ctx, method, name, contentType, body)
		retry := res.err != nil && (res.status == 0 || res.status >= 500) && ctx.Err() == nil && attempt == 0
		if !retry {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryDelay):
		}
	}
	res.latency = time.Since(begin)
	return res
}

// sendAuthenticated makes the request, and again with credentials when the
// server challenges: a fresh Digest nonce (first contact, stale=true, or a
// nonce the server no longer knows) or Basic in auto mode when the server
// offers nothing else. A challenge to credentials built from a nonce
// obtained for this very request means they are wrong.
func (u *uploader) sendAuthenticated(ctx context.Context, method, name, contentType string, body []byte) (int, error) {
	var sess *digestSession
	fresh := false
	if u.mode != AuthBasic {
		sess = u.take()
	}
	for round := 0; ; round++ {
		basic := u.mode == AuthBasic || u.mode == AuthAuto && u.useBasic()
		status, hdr, msg, err := u.do(ctx, method, name, contentType, body, func(r *http.Request) {
			switch {
			case basic:
				r.SetBasicAuth(u.user, u.pass)
			case sess != nil:
				r.Header.Set("Authorization", sess.authorization(method, r.URL.RequestURI(), u.user, u.pass, newCnonce()))
			case r.ContentLength > 0 && (u.user != "" || u.pass != "") && !u.isOpen():
				// Expecting a challenge: let the server refuse before
				// the body is sent.
				r.Header.Set("Expect", "100-continue")
			}
		})
		if err != nil {
			// The URL is known from the object name; say what went wrong.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return 0, fmt.Errorf("%s %s: %w", method, name, err)
		}
		if status != http.StatusUnauthorized {
			if sess != nil {
				u.put(sess)
			} else if !basic && status/100 == 2 {
				u.mu.Lock()
				u.open = true
				u.mu.Unlock()
			}
			if status/100 != 2 {
				return status, &StatusError{Method: method, Name: name, Status: status, Message: msg}
			}
			return status, nil
		}
		cs := digest.ParseChallenges(hdr.Values("WWW-Authenticate"))
		refused := &StatusError{Method: method, Name: name, Status: status, Message: msg}
		if u.user == "" && u.pass == "" {
			refused.Message = strings.TrimSpace(refused.Message + " (the server wants credentials: set a username and password)")
			return status, refused
		}
		if basic || round == maxAuthRounds {
			return status, refused
		}
		if d := digest.Pick(cs); d != nil {
			if fresh && d.Params["stale"] != "true" {
				return status, refused
			}
			sess, fresh = newDigestSession(d), true
			continue
		}
		if u.mode == AuthAuto && hasScheme(cs, "basic") {
			u.mu.Lock()
			u.basic = true
			u.mu.Unlock()
			sess = nil
			continue
		}
		refused.Message = strings.TrimSpace(refused.Message + fmt.Sprintf(" (no %s challenge to answer)", map[Auth]string{AuthAuto: "Digest or Basic", AuthDigest: "Digest"}[u.mode]))
		return status, refused
	}
}

// do makes one HTTP request and reads the response: the status, headers,
// and for errors the server's message.
func (u *uploader) do(ctx context.Context, method, name, contentType string, body []byte, auth func(*http.Request)) (int, http.Header, string, error) {
	ref, err := url.Parse(name)
	if err != nil {
		return 0, nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.base.ResolveReference(ref).String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if u.userAgent != "" {
		req.Header.Set("User-Agent", u.userAgent)
	}
	auth(req)
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	var msg string
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg = errorMessage(b)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return resp.StatusCode, resp.Header, msg, nil
}

// errorMessage extracts a server's message: the "message" member of a
// JSON body (MediaPackage's and Boxcar's shape), else the first line of
// the body, shortened.
func errorMessage(b []byte) string {
	var j struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(b, &j) == nil && (j.Message != "" || j.Message2 != "") {
		return j.Message + j.Message2
	}
	s := strings.TrimSpace(string(b))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func hasScheme(cs []digest.Challenge, scheme string) bool {
	for _, c := range cs {
		if c.Scheme == scheme {
			return true
		}
	}
	return false
}

func (u *uploader) isOpen() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.open
}

func (u *uploader) useBasic() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.basic
}

// take returns an idle Digest session, or nil when there is none.
func (u *uploader) take() *digestSession {
	u.mu.Lock()
	defer u.mu.Unlock()
	if n := len(u.idle); n > 0 {
		s := u.idle[n-1]
		u.idle = u.idle[:n-1]
		return s
	}
	return nil
}

func (u *uploader) put(s *digestSession) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.idle = append(u.idle, s)
}

// splitIngestURL splits an ingest URL into the directory objects go to and
// the base name of the files: ".../channel" gives ".../" and "channel"; a
// URL naming a playlist (".../channel.m3u8") drops the extension; one
// ending in "/" gets the base name "channel".
func splitIngestURL(raw string) (*url.URL, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("push: ingest URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, "", fmt.Errorf("push: ingest URL %q: want an absolute http(s) URL such as http://127.0.0.1:8080/in/v2/<channel>/<ingest endpoint>/channel", raw)
	}
	if u.User != nil {
		return nil, "", errors.New("push: ingest URL: pass credentials as username and password, not in the URL")
	}
	dir, name := u.Path[:strings.LastIndexByte(u.Path, '/')+1], u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	name = strings.TrimSuffix(name, ".m3u8")
	if name == "" {
		name = "channel"
	}
	if dir == "" {
		dir = "/"
	}
	base := *u
	base.Path, base.RawPath, base.RawQuery, base.Fragment = dir, "", "", ""
	return &base, name, nil
}
